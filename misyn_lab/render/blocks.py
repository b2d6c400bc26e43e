"""The document model every rendered output is built from: plain dataclasses, no HTML, no Markdown.

A station that has something to show (a review summary, claim verdicts, an audit, a case) builds a
:class:`Section` of blocks from its own data, once; the formats in :mod:`misyn_lab.render.html` and
:mod:`misyn_lab.render.markdown` write any block. So no station writes HTML, and every document looks the
same in a notebook (``_repr_html_``), in the report and in Markdown.

Text is *rich text*: a ``str`` or a sequence of ``str`` and :class:`Span` (bold, code, links, status badges,
glossary terms, links to other sections). Numbers in table cells are formatted by the writers with
:mod:`misyn_lab.render.numbers`, so every document uses one number format.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Union

__all__ = [
    "Span", "Text", "Cell", "Block", "Paragraph", "BulletList", "Table", "Figure", "Definitions", "Section",
    "Document", "strong", "em", "code", "link", "badge", "term", "ref", "STATUS_STYLE", "register_format",
]

#: Writers by format name (``"html"``, ``"markdown"``), registered by the writer modules when
#: :mod:`misyn_lab.render` is imported; the document model itself knows no format.
_FORMATS: dict[str, Callable[[Any], str]] = {}


def register_format(name: str, writer: Callable[[Any], str]) -> None:
    """Make ``writer`` the function that writes any block in format ``name``."""
    _FORMATS[name] = writer


class _Displayable:
    """Notebook display of a block through the registered writers (Jupyter calls these)."""

    def _repr_html_(self) -> str:
        return _FORMATS["html"](self)

#: Span kinds the writers know.
SPAN_KINDS = ("strong", "em", "code", "link", "badge", "term", "ref")


@dataclass(frozen=True)
class Span:
    """An inline piece of text with a meaning: ``kind`` is one of :data:`SPAN_KINDS`.

    ``target`` is the URL of a ``link``, the section id of a ``ref``, the glossary key of a ``term`` and the
    status word of a ``badge``.
    """

    kind: str
    text: str
    target: str = ""

    def __post_init__(self) -> None:
        if self.kind not in SPAN_KINDS:
            raise ValueError(f"unknown span kind {self.kind!r}; use one of {SPAN_KINDS}")


#: Rich text: a plain string, one span, or a sequence of both.
Text = Union[str, Span, Sequence[Union[str, Span]]]
#: A table cell: rich text, a number (formatted by the writer) or ``None`` (empty).
Cell = Union[Text, float, int, None]


def strong(text: str) -> Span:
    """Bold text."""
    return Span("strong", str(text))


def em(text: str) -> Span:
    """Emphasised text."""
    return Span("em", str(text))


def code(text: str) -> Span:
    """Code or an identifier (monospace)."""
    return Span("code", str(text))


def link(text: str, href: str) -> Span:
    """A hyperlink (loads nothing; a report stays self-contained)."""
    return Span("link", str(text), str(href))


def badge(status: str, label: str | None = None) -> Span:
    """A status shown with a symbol, a word and a colour (never colour alone): see :data:`STATUS_STYLE`."""
    return Span("badge", str(label if label is not None else status).replace("_", " "), str(status))


def term(key: str, text: str | None = None) -> Span:
    """A glossary term; the HTML writer links its first use to the glossary entry ``key``."""
    return Span("term", str(text if text is not None else key), str(key))


def ref(section_id: str, text: str) -> Span:
    """A link to another section of the same document."""
    return Span("ref", str(text), str(section_id))


#: Status word -> (symbol, CSS class). Symbols carry the meaning for readers who cannot tell the colours apart.
STATUS_STYLE: dict[str, tuple[str, str]] = {
    **dict.fromkeys(("supported", "yes", "met", "complete", "clean", "equivalent", "ok", "pass"), ("✔", "ok")),
    **dict.fromkeys(("partly", "partial", "unknown", "untested", "inconclusive", "not_tested", "open", "unanswered",
                     "warning", "preliminary"), ("?", "warn")),
    **dict.fromkeys(("overclaimed", "overclaim", "not_supported", "no", "not_met", "gap", "missing", "fail",
                     "unlabelled"), ("✖", "bad")),
    **dict.fromkeys(("contradicted", "harm", "high"), ("✖✖", "worst")),
    **dict.fromkeys(("not_applicable", "n/a", "na", "answered", "closed", "none"), ("–", "na")),
}


@dataclass
class Paragraph:
    """A paragraph; ``role`` styles it: ``""`` (plain), ``"meta"``, ``"note"``, ``"warning"``, ``"lead"``."""

    text: Text
    role: str = ""


@dataclass
class BulletList:
    """A list of rich-text items (numbered when ``ordered``)."""

    items: list[Text]
    ordered: bool = False


@dataclass
class Table(_Displayable):
    """A table of rows (one cell per column). Numbers are formatted by the writer (3 significant digits)
    unless already given as text. ``empty`` is shown instead of a table without rows; ``caption`` says what
    the table is (and, for measured results, the split and n)."""

    columns: list[str]
    rows: list[list[Cell]]
    caption: str = ""
    empty: str = "none"

    def __post_init__(self) -> None:
        for i, row in enumerate(self.rows):
            if len(row) != len(self.columns):
                raise ValueError(f"table row {i} has {len(row)} cells for {len(self.columns)} columns")


@dataclass
class Figure:
    """A PNG figure; ``alt`` describes it for screen readers (e.g. its takeaway), ``caption`` is shown."""

    png: bytes
    alt: str
    caption: str = ""


@dataclass
class Definitions:
    """Term/definition pairs (a glossary, a record's fields); ``anchors`` optionally gives each term an id
    that links can point to."""

    items: list[tuple[Text, Text]]
    anchors: list[str] | None = None


@dataclass
class Section(_Displayable):
    """A titled part of a document; ``blocks`` may hold nested sections. ``id`` is the anchor (derived from
    the title by the writer when empty)."""

    title: str
    blocks: list[Block] = field(default_factory=list)
    id: str = ""


@dataclass
class Document:
    """A whole document: title, meta lines under it, the sections, and an optional glossary
    (``{key: (term, definition)}``) that :func:`~misyn_lab.render.blocks.term` spans link to."""

    title: str
    blocks: list[Block] = field(default_factory=list)
    meta: list[Text] = field(default_factory=list)
    glossary: dict[str, tuple[str, str]] = field(default_factory=dict)


Block = Union[Paragraph, BulletList, Table, Figure, Definitions, Section]
