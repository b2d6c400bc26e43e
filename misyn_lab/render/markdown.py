"""The Markdown format: writes any block of :mod:`misyn_lab.render.blocks` as GitHub-flavoured Markdown.

Same walk as the HTML format, same number format; tables become pipe tables (``|`` escaped), figures are
embedded as ``data:`` URIs so one file is the whole document, statuses keep their symbol and word.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable

from misyn_lab.render.blocks import (STATUS_STYLE, Block, BulletList, Contents, Definitions, Details, Document,
                                     Figure, Glossary, Paragraph, Section, Span, Table, Text, cell_value,
                                     register_format)
from misyn_lab.render.html import slug, with_glossary
from misyn_lab.render.numbers import fmt_number

__all__ = ["to_markdown", "document_markdown"]

_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def _esc(text: str) -> str:
    """Escape Markdown syntax characters and keep one line per cell/paragraph."""
    return _SPECIAL.sub(r"\\\1", " ".join(str(text).split("\n")))


def _span(s: Span) -> str:
    t = _esc(s.text)
    if s.kind in ("strong", "em") and t.strip():
        mark = "**" if s.kind == "strong" else "*"
        lead, core, trail = t[:len(t) - len(t.lstrip())], t.strip(), t[len(t.rstrip()):]
        return f"{lead}{mark}{core}{mark}{trail}"  # emphasis markers must touch the text they mark
    if s.kind == "code":
        return f"`{s.text.replace('`', '')}`"
    if s.kind == "link":
        return f"[{t}]({s.target})"
    if s.kind == "ref":
        return f"[{t}](#{slug(s.target)})"
    if s.kind == "badge":
        symbol, _ = STATUS_STYLE.get(s.target.lower(), ("•", "na"))
        return f"{symbol} {t}"
    return t  # term


def _text(value: Text | float | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return _esc(value)
    if isinstance(value, Span):
        return _span(value)
    if isinstance(value, (list, tuple)):
        return "".join(_text(v) for v in value)
    value = cell_value(value)
    return fmt_number(value) if isinstance(value, (bool, int, float)) else _text(value)


def _contents(blocks: Iterable[Block], depth: int, indent: str = "") -> list[str]:
    """The contents as a nested list of section titles."""
    lines = []
    for b in blocks:
        if isinstance(b, Section):
            lines.append(f"{indent}- {_esc(b.title)}")
            if depth > 1:
                lines += _contents(b.blocks, depth - 1, indent + "  ")
    return lines


def _block(b: Block, level: int, contents: str = "") -> str:
    if isinstance(b, Contents):
        return contents
    if isinstance(b, Glossary):
        return ""
    if isinstance(b, Section):
        inner = "\n\n".join(_block(x, level + 1) for x in b.blocks)
        return f"{'#' * min(level, 6)} {_esc(b.title)}\n\n{inner}".rstrip()
    if isinstance(b, Paragraph):
        text = _text(b.text)
        return f"> {text}" if b.role in ("note", "warning") else (f"*{text}*" if b.role == "meta" else text)
    if isinstance(b, BulletList):
        marks = [f"{chr(64 + i)}." if b.letters else f"{i}." if b.ordered else "-" for i in range(1, len(b.items) + 1)]
        return "\n".join(f"{m} {_text(item)}" for m, item in zip(marks, b.items))
    if isinstance(b, Details):
        return "\n\n".join([f"**{_esc(b.summary)}**", *(_block(x, level + 1) for x in b.blocks)])
    if isinstance(b, Table):
        if not b.rows:
            return f"*{_esc(b.caption) + ': ' if b.caption else ''}{_esc(b.empty)}*"
        lines = [f"*{_esc(b.caption)}*", ""] if b.caption else []
        lines += ["| " + " | ".join(_esc(c) for c in b.columns) + " |", "|" + "---|" * len(b.columns)]
        lines += ["| " + " | ".join(_text(c) for c in row) + " |" for row in b.rows]
        return "\n".join(lines)
    if isinstance(b, Figure):
        data = base64.b64encode(b.png).decode("ascii")
        cap = f"\n\n*{_esc(b.caption)}*" if b.caption else ""
        return f"![{_esc(b.alt)}](data:image/png;base64,{data}){cap}"
    if isinstance(b, Definitions):
        return "\n".join(f"- {_text(k)}: {_text(v)}" for k, v in b.items)
    raise TypeError(f"cannot write {type(b).__name__} as Markdown")


def to_markdown(node: Block | Iterable[Block], *, level: int = 2) -> str:
    """Markdown of one block (or a list of blocks); top sections get ``level`` hashes.

    Parameters
    ----------
    node : Block or iterable of Block
        What to write.
    level : int, optional
        Heading level of the top sections.

    Returns
    -------
    str
        Markdown text.

    Examples
    --------
    >>> from misyn_lab.render import Section, to_markdown
    >>> print(to_markdown(Section("Claims"), level=3))
    ### Claims
    <BLANKLINE>
    """
    if isinstance(node, (Paragraph, BulletList, Table, Figure, Definitions, Section, Contents, Glossary, Details)):
        return _block(node, level) + "\n"
    return "\n\n".join(_block(b, level) for b in node) + "\n"


def document_markdown(doc: Document) -> str:
    """A whole document as Markdown: title, meta lines, the blocks and the glossary.

    Parameters
    ----------
    doc : Document
        The document.

    Returns
    -------
    str
        Markdown text.

    Examples
    --------
    >>> from misyn_lab.render import Document, Paragraph, document_markdown
    >>> print(document_markdown(Document("Review", [Paragraph("No answers yet.")])))
    # Review
    <BLANKLINE>
    No answers yet.
    <BLANKLINE>
    """
    blocks = with_glossary(doc)
    meta = "\n\n".join(f"*{_text(m)}*" for m in doc.meta)
    placed = next((b for b in blocks if isinstance(b, Contents)), None)
    contents = "" if placed is None else "## Contents\n\n" + "\n".join(_contents(blocks, placed.depth))
    body = "\n\n".join(_block(b, 2, contents) for b in blocks) + "\n"
    return f"# {_esc(doc.title)}\n\n" + (meta + "\n\n" if meta else "") + body


register_format("markdown", to_markdown)
