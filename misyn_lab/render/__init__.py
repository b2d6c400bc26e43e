"""render station: the one rendering layer. A leaf: it imports no other station, so every station may use it.

Stations describe what they show as blocks (:mod:`misyn_lab.render.blocks`: sections, paragraphs, tables,
figures, lists, definitions; rich text with status badges, glossary terms and links); the formats write them:
:func:`to_html` / :func:`page` (HTML fragment / whole self-contained page) and :func:`to_markdown` /
:func:`document_markdown`. Numbers everywhere go through :mod:`misyn_lab.render.numbers`.

>>> from misyn_lab import render
>>> doc = render.Section("Claims", [render.Table(["claim", "verdict"], [["C1", render.badge("contradicted")]])])
>>> print(render.to_markdown(doc))
## Claims
<BLANKLINE>
| claim | verdict |
|---|---|
| C1 | ✖✖ contradicted |
<BLANKLINE>
"""

from misyn_lab.render.blocks import (STATUS_STYLE, Block, BulletList, Cell, Contents, Definitions, Details,
                                     Document, Figure, Glossary, Paragraph, Section, Span, Table, Text, badge, code,
                                     em, link, plain, ref, section_ids, strong, term)
from misyn_lab.render.figures import figure, figure_png
from misyn_lab.render.html import esc, external_references, page, slug, text_html, to_html
from misyn_lab.render.markdown import document_markdown, to_markdown
from misyn_lab.render.numbers import fmt_ci, fmt_n, fmt_number, fmt_p, fmt_percent

__all__ = [
    "Block", "BulletList", "Cell", "Contents", "Definitions", "Details", "Document", "Figure", "Glossary",
    "Paragraph", "STATUS_STYLE",
    "Section", "Span", "Table", "Text", "badge", "code", "document_markdown", "em", "esc", "external_references",
    "figure", "figure_png", "fmt_ci", "fmt_n", "fmt_number", "fmt_p", "fmt_percent", "link", "page", "plain", "ref",
    "section_ids", "slug", "strong", "term", "text_html", "to_html", "to_markdown",
]
