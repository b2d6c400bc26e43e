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

import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Union

__all__ = [
    "Span", "Text", "Cell", "Block", "Paragraph", "BulletList", "Table", "Figure", "Definitions", "Section",
    "Contents", "Details", "Glossary", "Document", "strong", "em", "code", "link", "badge", "term", "ref",
    "STATUS_STYLE", "register_format", "plain",
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
    """An inline piece of text with a meaning; build spans with :func:`strong`, :func:`em`, :func:`code`,
    :func:`link`, :func:`ref`, :func:`term` and :func:`badge`.

    Parameters
    ----------
    kind : str
        One of :data:`SPAN_KINDS`.
    text : str
        The words.
    target : str, optional
        The URL of a ``link``, the section id of a ``ref``, the glossary key of a ``term``, the status word of a
        ``badge``.

    Examples
    --------
    >>> from misyn_lab.render import Span
    >>> Span("strong", "Recall")
    Span(kind='strong', text='Recall', target='')
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
    """Bold text.

    Parameters
    ----------
    text : str
        The words.

    Returns
    -------
    Span
        An inline piece of rich text.

    Examples
    --------
    >>> from misyn_lab.render import Paragraph, strong, to_markdown
    >>> print(to_markdown(Paragraph([strong("Recall"), " fell"])))
    **Recall** fell
    <BLANKLINE>
    """
    return Span("strong", str(text))


def em(text: str) -> Span:
    """Emphasised text.

    Parameters
    ----------
    text : str
        The words.

    Returns
    -------
    Span
        An inline piece of rich text.

    Examples
    --------
    >>> from misyn_lab.render import Paragraph, em, to_markdown
    >>> print(to_markdown(Paragraph(em("synthetic"))))
    *synthetic*
    <BLANKLINE>
    """
    return Span("em", str(text))


def code(text: str) -> Span:
    """Code or an identifier (monospace).

    Parameters
    ----------
    text : str
        The code.

    Returns
    -------
    Span
        An inline piece of rich text.

    Examples
    --------
    >>> from misyn_lab.render import Paragraph, code, to_markdown
    >>> print(to_markdown(Paragraph(code("prdc.recall"))))
    `prdc.recall`
    <BLANKLINE>
    """
    return Span("code", str(text))


def link(text: str, href: str) -> Span:
    """A hyperlink (loads nothing; a report stays self-contained).

    Parameters
    ----------
    text : str
        The words.
    href : str
        The URL.

    Returns
    -------
    Span
        An inline piece of rich text.

    Examples
    --------
    >>> from misyn_lab.render import Paragraph, link, to_markdown
    >>> print(to_markdown(Paragraph(link("the paper", "https://arxiv.org/abs/2508.09293"))))
    [the paper](https://arxiv.org/abs/2508.09293)
    <BLANKLINE>
    """
    return Span("link", str(text), str(href))


def badge(status: str, label: str | None = None) -> Span:
    """A status shown with a symbol, a word and a colour (never colour alone): see :data:`STATUS_STYLE`.

    Parameters
    ----------
    status : str
        A status word (``supported``, ``contradicted``, ``yes``, ``no`` ...).
    label : str, optional
        Words shown instead of the status.

    Returns
    -------
    Span
        An inline piece of rich text.

    Examples
    --------
    >>> from misyn_lab.render import Paragraph, badge, to_markdown
    >>> print(to_markdown(Paragraph(badge("supported"))))
    ✔ supported
    <BLANKLINE>
    """
    return Span("badge", str(label if label is not None else status).replace("_", " "), str(status))


def term(key: str, text: str | None = None) -> Span:
    """A glossary term; the HTML writer links its first use to the glossary entry ``key``.

    Parameters
    ----------
    key : str
        The glossary key.
    text : str, optional
        The words shown (default: the key).

    Returns
    -------
    Span
        An inline piece of rich text.

    Examples
    --------
    >>> from misyn_lab.render import term
    >>> term("prdc", "PRDC")
    Span(kind='term', text='PRDC', target='prdc')
    """
    return Span("term", str(text if text is not None else key), str(key))


def ref(section_id: str, text: str) -> Span:
    """A link to another section of the same document.

    Parameters
    ----------
    section_id : str
        The section's id.
    text : str
        The words.

    Returns
    -------
    Span
        An inline piece of rich text.

    Examples
    --------
    >>> from misyn_lab.render import Paragraph, ref, to_markdown
    >>> print(to_markdown(Paragraph(ref("claims", "see the claims"))))
    [see the claims](#claims)
    <BLANKLINE>
    """
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
    "medium": ("!", "warn"), "low": ("·", "na"),
}


@dataclass
class Paragraph:
    """A paragraph of rich text.

    Parameters
    ----------
    text : Text
        A string, a span, or a list of them.
    role : str, optional
        ``""`` (plain), ``"meta"``, ``"note"``, ``"warning"`` or ``"lead"``.

    Examples
    --------
    >>> from misyn_lab.render import Paragraph, to_markdown
    >>> print(to_markdown(Paragraph("Stand-in data.", role="warning")))
    > Stand-in data.
    <BLANKLINE>
    """

    text: Text
    role: str = ""


@dataclass
class BulletList:
    """A list of rich-text items (numbered when ``ordered``; lettered A, B, C ... when ``letters``).

    Parameters
    ----------
    items : list of Text
        The items (strings, spans, or lists of them).
    ordered : bool, optional
        Number the items.
    letters : bool, optional
        Letter the items.

    Examples
    --------
    >>> from misyn_lab.render import BulletList, to_markdown
    >>> print(to_markdown(BulletList(["first", "second"], ordered=True)))
    1. first
    2. second
    <BLANKLINE>
    """

    items: list[Text]
    ordered: bool = False
    letters: bool = False


@dataclass(repr=False)
class Table(_Displayable):
    """A table of rows (one cell per column). Numbers are formatted by the writer (3 significant digits) unless
    already given as text.

    Parameters
    ----------
    columns : list of str
        Column headings.
    rows : list of list of Cell
        One cell per column (text, spans or numbers).
    caption : str, optional
        What the table is (and, for measured results, the split and n).
    empty : str, optional
        Shown instead of a table without rows.

    Examples
    --------
    >>> from misyn_lab.render import Table, to_markdown
    >>> print(to_markdown(Table(["key", "value"], [["prdc.recall", 0.41234]], caption="held-out real, n = 52")))
    *held-out real, n = 52*
    <BLANKLINE>
    | key | value |
    |---|---|
    | prdc.recall | 0.412 |
    <BLANKLINE>
    >>> print(to_markdown(Table(["key"], [], empty="no results yet")))
    *no results yet*
    <BLANKLINE>
    """

    columns: list[str]
    rows: list[list[Cell]]
    caption: str = ""
    empty: str = "none"

    def __post_init__(self) -> None:
        for i, row in enumerate(self.rows):
            if len(row) != len(self.columns):
                raise ValueError(f"table row {i} has {len(row)} cells for {len(self.columns)} columns")

    def __repr__(self) -> str:
        return f"Table({len(self.rows)} rows x {len(self.columns)} columns, caption={self.caption!r})"

    @classmethod
    def from_frame(cls, frame: Any, *, caption: str = "", columns: Mapping[str, str] | Sequence[str] | None = None,
                   empty: str = "none") -> "Table":
        """A table of a pandas DataFrame's rows (its index dropped; keep it with ``frame.reset_index()``).

        ``columns`` picks and orders the columns, and with a mapping ``{column: heading}`` names them in words.
        Numpy scalars become Python numbers (so the writers format them), missing values an empty-looking "—",
        lists are joined with commas; text is kept whole (never cut short).
        """
        if columns is None:
            names = {str(c): str(c) for c in frame.columns}
        elif isinstance(columns, Mapping):
            names = {str(c): str(h) for c, h in columns.items()}
        else:
            names = {str(c): str(c) for c in columns}
        missing = [c for c in names if c not in [str(x) for x in frame.columns]]
        if missing:
            raise ValueError(f"table columns {missing} are not in the frame (it has {list(map(str, frame.columns))})")
        lookup = {str(c): c for c in frame.columns}
        rows = [[cell_value(frame[lookup[c]].iloc[i]) for c in names] for i in range(len(frame))]
        return cls(list(names.values()), rows, caption=caption, empty=empty)


@dataclass(repr=False)
class Figure:
    r"""A PNG figure; ``alt`` describes it for screen readers (e.g. its takeaway), ``caption`` is shown.
    Build one from a matplotlib figure with :func:`misyn_lab.render.figure` (alt text from its takeaway).

    Parameters
    ----------
    png : bytes
        The image.
    alt : str
        What it shows, in words.
    caption : str, optional
        The caption.

    Examples
    --------
    >>> from misyn_lab.render import Figure, to_html
    >>> html = to_html(Figure(b"\x89PNG...", alt="recall fell in the minority"))
    >>> 'alt="recall fell in the minority"' in html
    True
    """

    png: bytes
    alt: str
    caption: str = ""

    def __repr__(self) -> str:
        return f"Figure({len(self.png):,} bytes of PNG, alt={self.alt!r})"

    def __post_init__(self) -> None:
        if not str(self.alt).strip():
            raise ValueError("a figure needs alt text saying what it shows (e.g. its takeaway)")


@dataclass
class Definitions:
    """Term/definition pairs (a glossary, a record's fields).

    Parameters
    ----------
    items : list of (Text, Text)
        The pairs.
    anchors : list of str, optional
        An id per term that links can point to.

    Examples
    --------
    >>> from misyn_lab.render import Definitions, to_markdown
    >>> print(to_markdown(Definitions([("PRDC", "precision, recall, density, coverage")])))
    - PRDC: precision, recall, density, coverage
    <BLANKLINE>
    """

    items: list[tuple[Text, Text]]
    anchors: list[str] | None = None


@dataclass(repr=False)
class Section(_Displayable):
    """A titled part of a document; ``blocks`` may hold nested sections.

    Parameters
    ----------
    title : str
        The heading.
    blocks : list of Block, optional
        The content.
    id : str, optional
        The anchor (derived from the title by the writer when empty).
    role : str, optional
        A style hint.

    Examples
    --------
    >>> from misyn_lab.render import Paragraph, Section, to_markdown
    >>> print(to_markdown(Section("Evidence", [Section("Fidelity", [Paragraph("Recall 0.41.")])])))
    ## Evidence
    <BLANKLINE>
    ### Fidelity
    <BLANKLINE>
    Recall 0.41.
    <BLANKLINE>
    """

    title: str
    blocks: list[Block] = field(default_factory=list)
    id: str = ""
    #: A class name for the section (a notebook view's stylesheet hook); written as ``class`` in HTML only.
    role: str = ""

    def __repr__(self) -> str:  # the text form a notebook stores beside the HTML: short, never the figures' bytes
        return f"Section({self.title!r}, {len(self.blocks)} blocks, id={self.id!r})"

    def find(self, section_id: str) -> "Section":
        """The section with id ``section_id`` (this one or one nested in it); ``KeyError`` naming the ids there
        are when there is none."""
        found = _find(self, section_id)
        if found is None:
            raise KeyError(f"no section {section_id!r}; there are {section_ids(self)}")
        return found


@dataclass
class Details:
    """Blocks shown only when the reader opens them (``summary`` is the line to click); Markdown shows them
    under the summary in bold.

    Parameters
    ----------
    summary : str
        The line to click.
    blocks : list of Block, optional
        The hidden blocks.

    Examples
    --------
    >>> from misyn_lab.render import Details, Paragraph, to_markdown
    >>> print(to_markdown(Details("Show the numbers", [Paragraph("n = 40")])))
    **Show the numbers**
    <BLANKLINE>
    n = 40
    <BLANKLINE>
    """

    summary: str
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Contents:
    """Where a page puts its table of contents (every section to ``depth`` levels, with links to their ids).
    A document without one gets its contents under the title.

    Parameters
    ----------
    depth : int, optional
        Section levels listed.

    Examples
    --------
    >>> from misyn_lab.render import Contents, Document, Section, page
    >>> html = page(Document("Report", [Contents(depth=1), Section("Claims", id="claims")]))
    >>> 'href="#claims"' in html
    True
    """

    depth: int = 2


@dataclass
class Glossary:
    """Where a page puts the document's glossary (its entries are what :func:`term` spans link to). A document
    with a glossary but without this block gets it at the end.

    Examples
    --------
    >>> from misyn_lab.render import Document, Glossary, Paragraph, page, term
    >>> doc = Document("Report", [Paragraph(term("prdc", "PRDC")), Glossary()],
    ...                glossary={"prdc": ("PRDC", "precision, recall, density, coverage")})
    >>> 'href="#glossary-prdc"' in page(doc)
    True
    """


@dataclass(repr=False)
class Document:
    """A whole document: title, meta lines under it, the sections, and an optional glossary that
    :func:`~misyn_lab.render.blocks.term` spans link to.

    Parameters
    ----------
    title : str
        The title.
    blocks : list of Block, optional
        The sections and other blocks.
    meta : list of Text, optional
        Lines under the title (date, inputs ...).
    glossary : dict, optional
        ``{key: (term, definition)}``.

    Examples
    --------
    >>> from misyn_lab.render import Document, Paragraph, Section, document_markdown
    >>> print(document_markdown(Document("Review", [Section("Claims", [Paragraph("None yet.")])])))
    # Review
    <BLANKLINE>
    ## Claims
    <BLANKLINE>
    None yet.
    <BLANKLINE>
    """

    title: str
    blocks: list[Block] = field(default_factory=list)
    meta: list[Text] = field(default_factory=list)
    glossary: dict[str, tuple[str, str]] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"Document({self.title!r}, {len(self.blocks)} blocks)"

    def _repr_html_(self) -> str:
        """In a notebook: the document as one section (title, meta lines, blocks), glossary terms linked."""
        body: list[Block] = [Paragraph(m, role="meta") for m in self.meta] + list(self.blocks)
        return _FORMATS["html"](Section(self.title, body))


Block = Union[Paragraph, BulletList, Table, Figure, Definitions, Section, Contents, Glossary, Details]


def _find(section: Section, section_id: str) -> Section | None:
    if section.id == section_id:
        return section
    for b in section.blocks:
        if isinstance(b, Section):
            found = _find(b, section_id)
            if found is not None:
                return found
    return None


def section_ids(node: Section | Document | Sequence[Any]) -> list[str]:
    """The ids of every section in ``node`` (given ids only), in document order.

    Parameters
    ----------
    node : Section, Document or sequence of blocks
        Where to look.

    Returns
    -------
    list of str
        The ids.

    Examples
    --------
    >>> from misyn_lab.render import Document, Section, section_ids
    >>> section_ids(Document("d", [Section("A", [Section("B", id="b")], id="a")]))
    ['a', 'b']
    """
    blocks = node.blocks if isinstance(node, (Section, Document)) else list(node)
    out = [node.id] if isinstance(node, Section) and node.id else []
    for b in blocks:
        if isinstance(b, Section):
            out += section_ids(b)
    return out


def cell_value(value: Any) -> Any:
    """A table cell from any value: numpy scalars as Python numbers, pandas' missing values as NaN (written as
    "—"), lists and tuples joined with commas, other objects as their text; rich text and ``None`` are kept."""
    if value is None or isinstance(value, (str, Span)):
        return value
    if isinstance(value, bool):
        return value
    if type(value).__name__ in ("NAType", "NaTType"):
        return float("nan")
    if hasattr(value, "item") and not isinstance(value, (list, tuple)) and getattr(value, "ndim", 0) == 0:
        value = value.item()
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(str(plain(cell_value(v))) for v in value)
    return str(value)


def plain(value: Any) -> str:
    """The words of rich text without markup (a badge keeps its word, a link its text).

    Parameters
    ----------
    value : Text
        A string, a span or a list of them.

    Returns
    -------
    str
        The words.

    Examples
    --------
    >>> from misyn_lab.render import badge, plain, strong
    >>> plain([strong("Recall"), " fell ", badge("contradicted")])
    'Recall fell contradicted'
    """
    if value is None:
        return ""
    if isinstance(value, Span):
        return value.text
    if isinstance(value, (str, int, float)):
        return str(value)
    return "".join(plain(v) for v in value)
