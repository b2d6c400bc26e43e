"""The Markdown format: writes any block of :mod:`misyn_lab.render.blocks` as GitHub-flavoured Markdown.

Same walk as the HTML format, same number format; tables become pipe tables (``|`` escaped), figures are
embedded as ``data:`` URIs so one file is the whole document, statuses keep their symbol and word.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable

from misyn_lab.render.blocks import (STATUS_STYLE, Block, BulletList, Definitions, Document, Figure, Paragraph,
                                     Section, Span, Table, Text, register_format)
from misyn_lab.render.html import glossary_section, slug
from misyn_lab.render.numbers import fmt_number

__all__ = ["to_markdown", "document_markdown"]

_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def _esc(text: str) -> str:
    """Escape Markdown syntax characters and keep one line per cell/paragraph."""
    return _SPECIAL.sub(r"\\\1", " ".join(str(text).split("\n")))


def _span(s: Span) -> str:
    t = _esc(s.text)
    if s.kind == "strong":
        return f"**{t}**"
    if s.kind == "em":
        return f"*{t}*"
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
    if isinstance(value, (bool, int, float)):
        return fmt_number(value)
    if isinstance(value, str):
        return _esc(value)
    if isinstance(value, Span):
        return _span(value)
    return "".join(_text(v) for v in value)


def _block(b: Block, level: int) -> str:
    if isinstance(b, Section):
        inner = "\n\n".join(_block(x, level + 1) for x in b.blocks)
        return f"{'#' * min(level, 6)} {_esc(b.title)}\n\n{inner}".rstrip()
    if isinstance(b, Paragraph):
        text = _text(b.text)
        return f"> {text}" if b.role in ("note", "warning") else (f"*{text}*" if b.role == "meta" else text)
    if isinstance(b, BulletList):
        return "\n".join(f"{f'{i}.' if b.ordered else '-'} {_text(item)}" for i, item in enumerate(b.items, 1))
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
    """Markdown of one block (or a list of blocks); top sections get ``level`` hashes."""
    if isinstance(node, (Paragraph, BulletList, Table, Figure, Definitions, Section)):
        return _block(node, level) + "\n"
    return "\n\n".join(_block(b, level) for b in node) + "\n"


def document_markdown(doc: Document) -> str:
    """A whole document: title, meta lines, the blocks and the glossary."""
    blocks = list(doc.blocks) + ([glossary_section(doc.glossary)] if doc.glossary else [])
    meta = "\n\n".join(f"*{_text(m)}*" for m in doc.meta)
    return f"# {_esc(doc.title)}\n\n" + (meta + "\n\n" if meta else "") + to_markdown(blocks, level=2)


register_format("markdown", to_markdown)
