"""The HTML format: writes any block of :mod:`misyn_lab.render.blocks` as escaped, self-contained HTML.

Every text is escaped (``<script>`` shows as text); figures are embedded as base64 PNG with their alt text;
numbers use :mod:`misyn_lab.render.numbers`; statuses show a symbol and a word beside their colour; every
heading has an id; a glossary term links to its entry on first use. :func:`page` writes a whole
:class:`~misyn_lab.render.blocks.Document` (contents, screen and print styles for A4, nothing loaded from the
network).
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Iterable

from misyn_lab.render.blocks import (STATUS_STYLE, Block, BulletList, Contents, Definitions, Details, Document,
                                     Figure, Glossary, Paragraph, Section, Span, Table, Text, cell_value,
                                     register_format)
from misyn_lab.render.numbers import fmt_number

__all__ = ["CSS", "esc", "slug", "to_html", "page", "text_html", "external_references"]

CSS = """
:root{--ok:#d8f0d8;--warn:#fff0c0;--bad:#f8d0d0;--worst:#b71c1c;--na:#e4e4e4}
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;
color:#1b1b1b;line-height:1.45}
h1{border-bottom:3px solid #444;padding-bottom:.2em}h2{border-bottom:1px solid #999;margin-top:2em}
.table-wrap{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}th,td{border:1px solid #ccc;padding:3px 7px;
text-align:left;vertical-align:top;overflow-wrap:anywhere}th{background:#f0f0f0}
caption{caption-side:top;text-align:left;font-size:.9em;color:#333;padding:.2em 0}
.status{font-weight:600;padding:1px 6px;border-radius:3px;white-space:nowrap}.ok{background:var(--ok)}
.warn{background:var(--warn)}.bad{background:var(--bad)}.worst{background:var(--worst);color:#fff}
.na{background:var(--na)}
p.meta{color:#555;font-size:.9em}p.note{border-left:4px solid #888;padding-left:.7em}
p.warning{border:2px solid #b00;padding:.4em .8em;background:#fff5f5}p.lead{font-size:1.08em}
figure{margin:.8em 0}figure img{max-width:100%;height:auto}figcaption{font-size:.88em;color:#444}
dl dt{font-weight:600;margin-top:.4em}dl dd{margin-left:1.2em}
nav.toc ul{margin:.1em 0}nav.toc li{margin:.1em 0}a.term{color:inherit;text-decoration:underline dotted}
@page{size:A4;margin:14mm}
@media print{body{max-width:none;margin:0;padding:0;font-size:10pt}
.table-wrap{overflow:visible}table{width:100%;table-layout:fixed;font-size:8.5pt}
figure,table,tr,dl{break-inside:avoid}h2,h3,h4{break-after:avoid}nav.toc{break-after:page}
a{color:inherit;text-decoration:none}.status{border:1px solid #555}}
"""


def esc(value: object) -> str:
    """Escape any value for HTML text and attribute context (``None`` becomes an empty string).

    Parameters
    ----------
    value : object
        Anything; it is turned into text first.

    Returns
    -------
    str
        Escaped text.

    Examples
    --------
    >>> from misyn_lab.render import esc
    >>> esc("<b>&"), esc(None)
    ('&lt;b&gt;&amp;', '')
    """
    return "" if value is None else html.escape(str(value), quote=True)


def slug(text: str) -> str:
    """An HTML id from free text (lower-case letters, digits and dashes).

    Parameters
    ----------
    text : str
        Any text.

    Returns
    -------
    str
        The id.

    Examples
    --------
    >>> from misyn_lab.render import slug
    >>> slug("Claims & verdicts (case 1)")
    'claims-verdicts-case-1'
    """
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-") or "section"


class _Writer:
    """One pass over a document: remembers used ids (kept unique) and glossary terms already linked."""

    def __init__(self, glossary: dict[str, tuple[str, str]] | None = None) -> None:
        self.glossary = glossary or {}
        self.ids: set[str] = {"contents", "glossary"}  # taken by the page's contents and glossary
        self.terms_seen: set[str] = set()
        self.contents = ""  # the page's contents, written where a Contents block stands

    def unique_id(self, wanted: str) -> str:
        base = slug(wanted)
        sid, i = base, 2
        while sid in self.ids:
            sid, i = f"{base}-{i}", i + 1
        self.ids.add(sid)
        return sid

    # ------------------------------------------------------------------ inline
    def span(self, s: Span) -> str:
        t = esc(s.text)
        if s.kind == "strong":
            return f"<strong>{t}</strong>"
        if s.kind == "em":
            return f"<em>{t}</em>"
        if s.kind == "code":
            return f"<code>{t}</code>"
        if s.kind == "link":
            return f'<a href="{esc(s.target)}">{t}</a>'
        if s.kind == "ref":
            return f'<a href="#{esc(slug(s.target))}">{t}</a>'
        if s.kind == "badge":
            symbol, cls = STATUS_STYLE.get(s.target.lower(), ("•", "na"))
            return f'<span class="status {cls}">{esc(symbol)} {t}</span>'
        # term: link the first use to the glossary entry, if the document has one
        key = s.target.lower()
        if key in self.glossary and key not in self.terms_seen:
            self.terms_seen.add(key)
            return f'<a class="term" href="#glossary-{esc(slug(key))}" title="{esc(self.glossary[key][1])}">{t}</a>'
        return t

    def text(self, value: Text | float | int | None) -> str:
        if value is None:
            return ""
        if isinstance(value, str):
            return esc(value)
        if isinstance(value, Span):
            return self.span(value)
        if isinstance(value, (list, tuple)):
            return "".join(self.text(v) for v in value)
        value = cell_value(value)
        return esc(fmt_number(value)) if isinstance(value, (bool, int, float)) else self.text(value)

    # ------------------------------------------------------------------ blocks
    def block(self, b: Block, level: int) -> str:
        if isinstance(b, Section):
            return self.section(b, level)
        if isinstance(b, Paragraph):
            cls = f' class="{esc(b.role)}"' if b.role else ""
            return f"<p{cls}>{self.text(b.text)}</p>"
        if isinstance(b, BulletList):
            tag = "ol" if b.ordered or b.letters else "ul"
            kind = ' type="A"' if b.letters else ""
            return f"<{tag}{kind}>" + "".join(f"<li>{self.text(i)}</li>" for i in b.items) + f"</{tag}>"
        if isinstance(b, Details):
            inner = "".join(self.block(x, level + 1) for x in b.blocks)
            return f"<details><summary>{esc(b.summary)}</summary>{inner}</details>"
        if isinstance(b, Table):
            return self.table(b)
        if isinstance(b, Figure):
            data = base64.b64encode(b.png).decode("ascii")
            cap = f"<figcaption>{esc(b.caption)}</figcaption>" if b.caption else ""
            return f'<figure><img alt="{esc(b.alt)}" src="data:image/png;base64,{data}"/>{cap}</figure>'
        if isinstance(b, Contents):
            return self.contents
        if isinstance(b, Glossary):
            return ""
        if isinstance(b, Definitions):
            anchors = b.anchors or [""] * len(b.items)
            items = []
            for (k, v), a in zip(b.items, anchors):
                ident = f' id="{esc(slug(a))}"' if a else ""
                items.append(f"<dt{ident}>{self.text(k)}</dt><dd>{self.text(v)}</dd>")
            return "<dl>" + "".join(items) + "</dl>"
        raise TypeError(f"cannot write {type(b).__name__} as HTML")

    def table(self, t: Table) -> str:
        if not t.rows:
            cap = f"{esc(t.caption)}: " if t.caption else ""
            return f'<p class="meta">{cap}{esc(t.empty)}</p>'
        head = "".join(f'<th scope="col">{esc(c)}</th>' for c in t.columns)
        body = "".join("<tr>" + "".join(f"<td>{self.text(c)}</td>" for c in row) + "</tr>" for row in t.rows)
        cap = f"<caption>{esc(t.caption)}</caption>" if t.caption else ""
        return f'<div class="table-wrap"><table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'

    def section(self, s: Section, level: int) -> str:
        sid = self.unique_id(s.id or s.title)
        h = min(level, 6)
        inner = "\n".join(self.block(b, level + 1) for b in s.blocks)
        cls = f' class="{esc(s.role)}"' if s.role else ""
        return (f'<section id="{esc(sid)}"{cls}><h{h} id="{esc(sid)}-title">{esc(s.title)}</h{h}>\n{inner}\n'
                "</section>")

    def blocks(self, blocks: Iterable[Block], level: int) -> str:
        return "\n".join(self.block(b, level) for b in blocks)


def to_html(node: Block | Iterable[Block], *, level: int = 2,
            glossary: dict[str, tuple[str, str]] | None = None) -> str:
    r"""An HTML fragment of one block (or a list of blocks); top sections get ``<h{level}>``.

    Parameters
    ----------
    node : Block or iterable of Block
        What to write.
    level : int, optional
        Heading level of the top sections.
    glossary : dict, optional
        ``{key: (term, definition)}`` that term spans link to.

    Returns
    -------
    str
        HTML.

    Examples
    --------
    >>> from misyn_lab.render import Paragraph, Section, to_html
    >>> to_html(Section("Claims", [Paragraph("None.")], id="claims"))
    '<section id="claims"><h2 id="claims-title">Claims</h2>\n<p>None.</p>\n</section>'
    """
    w = _Writer(glossary)
    if isinstance(node, (Paragraph, BulletList, Table, Figure, Definitions, Section, Contents, Glossary, Details)):
        return w.block(node, level)
    return w.blocks(node, level)


def text_html(value: Text) -> str:
    """Escaped HTML of one piece of rich text (for a widget label or a table cell built elsewhere).

    Parameters
    ----------
    value : Text
        A string, a span or a list of them.

    Returns
    -------
    str
        HTML.

    Examples
    --------
    >>> from misyn_lab.render import strong, text_html
    >>> text_html([strong("a<b"), " c"])
    '<strong>a&lt;b</strong> c'
    """
    return _Writer().text(value)


def _toc(sections: list[tuple[str, str, list]]) -> str:
    if not sections:
        return ""
    return "<ul>" + "".join(f'<li><a href="#{esc(sid)}">{esc(title)}</a>{_toc(children)}</li>'
                            for sid, title, children in sections) + "</ul>"


def page(doc: Document, *, toc_depth: int = 2, css: str = CSS) -> str:
    """A whole self-contained HTML page: title, meta lines, contents, the blocks, and the glossary (when the
    document has one).

    Parameters
    ----------
    doc : Document
        The document.
    toc_depth : int, optional
        Section levels in the contents (or the depth of the document's :class:`Contents` block, written where
        that block stands).
    css : str, optional
        The style sheet (inlined).

    Returns
    -------
    str
        The page, loading nothing from the network.

    Examples
    --------
    >>> from misyn_lab.render import Document, Section, page
    >>> html = page(Document("Demo", [Section("Claims", id="claims")]))
    >>> html.startswith("<!DOCTYPE html>"), "<title>Demo</title>" in html
    (True, True)
    """
    blocks = with_glossary(doc)
    placed = next((b for b in blocks if isinstance(b, Contents)), None)
    depth = placed.depth if placed is not None else toc_depth
    nav = (f'<nav class="toc" aria-label="Contents"><h2 id="contents">Contents</h2>'
           f'{_toc(_outline(blocks, depth, _Writer()))}</nav>')
    w = _Writer({k.lower(): v for k, v in doc.glossary.items()})
    w.contents = nav
    meta = "".join(f'<p class="meta">{w.text(m)}</p>' for m in doc.meta)
    body = w.blocks(blocks, 2)
    top = "" if placed is not None else nav + "\n"
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'/>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'/><title>{esc(doc.title)}</title>"
            f"<style>{css}</style></head><body>\n<h1>{esc(doc.title)}</h1>\n{meta}\n"
            f'{top}{body}\n'
            "</body></html>\n")


def with_glossary(doc: Document) -> list[Block]:
    """The document's blocks with its glossary section where a :class:`~misyn_lab.render.blocks.Glossary` block
    stands, or at the end (no glossary: the blocks as they are, without placeholders)."""
    section = [_glossary_section(doc.glossary)] if doc.glossary else []
    if not any(isinstance(b, Glossary) for b in doc.blocks):
        return list(doc.blocks) + section
    out: list[Block] = []
    for b in doc.blocks:
        out += section if isinstance(b, Glossary) else [b]
    return out


def _glossary_section(glossary: dict[str, tuple[str, str]]) -> Section:
    """The glossary as a section whose entries are the anchors ``glossary-<key>`` that terms link to."""
    keys = list(glossary)
    return Section("Glossary", [Definitions([(Span("strong", glossary[k][0]), glossary[k][1]) for k in keys],
                                            anchors=[f"glossary-{k.lower()}" for k in keys])], id="glossary-section")


def _outline(blocks: Iterable[Block], depth: int, ids: _Writer) -> list[tuple[str, str, list]]:
    """(id, title, children) of the sections, with the same unique ids the body gets."""
    out = []
    for b in blocks:
        if isinstance(b, Section):
            sid = ids.unique_id(b.id or b.title)
            children = _outline(b.blocks, depth - 1, ids) if depth > 1 else _skip(b.blocks, ids)
            out.append((sid, b.title, children))
    return out


def _skip(blocks: Iterable[Block], ids: _Writer) -> list:
    """Reserve the ids of sections below the contents depth, so numbering matches the body."""
    for b in blocks:
        if isinstance(b, Section):
            ids.unique_id(b.id or b.title)
            _skip(b.blocks, ids)
    return []


_EXTERNAL = re.compile(r"""(?:\bsrc\s*=\s*["']?\s*(?:https?:)?//|<link\b[^>]*\bhref\s*=\s*["']?\s*(?:https?:)?//"""
                       r"""|url\(\s*["']?\s*(?:https?:)?//|@import\s+["']?(?:https?:)?//)""", re.I)


def external_references(document: str) -> list[str]:
    """Resources a page would load from the network (``src``, ``<link href>``, CSS ``url()``/``@import``).

    A page written by :func:`page` has none; plain hyperlinks (``<a href>``, e.g. a citation) load nothing and are
    allowed.

    Parameters
    ----------
    document : str
        HTML text.

    Returns
    -------
    list of str
        The offending references (empty: self-contained).

    Examples
    --------
    >>> from misyn_lab.render import Document, Paragraph, external_references, page
    >>> external_references('<img src="https://example.org/x.png"><a href="https://arxiv.org">x</a>')
    ['src="https://']
    >>> external_references(page(Document("Demo", [Paragraph("Hi")])))
    []
    """
    return [m.group(0) for m in _EXTERNAL.finditer(document)]


register_format("html", to_html)
