"""The rendering layer writes every block the same way in HTML and Markdown: escaped text, one number format,
statuses with a symbol and a word, unique heading ids, glossary links on first use, embedded figures."""

from __future__ import annotations

import re

import pytest

from misyn_lab import render as r
from misyn_lab.render.html import CSS

PNG = b"\x89PNG\r\n\x1a\n-not-a-real-image-"


def sample_document() -> r.Document:
    claims = r.Table(["claim", "estimate", "verdict", "note"], [
        ["C1 <script>alert(1)</script>", -0.02071, r.badge("contradicted"), ["CI wholly below 0; ", r.code("dice")]],
        ["C2 | pipe", 0.5, r.badge("supported"), None],
        ["C3", 1234.5, r.badge("not_applicable", "N/A"), r.link("paper", "https://arxiv.org/abs/2508.09293")],
    ], caption="Claims (n = 20 seeds)")
    return r.Document(
        "Review report <draft>",
        [r.Section("Summary", [
            r.Paragraph(["Synthetic pairs ", r.strong("harmed"), " segmentation: ", r.term("dice", "Dice"),
                         " fell; see ", r.ref("claims", "the claims"), "."], role="lead"),
            r.BulletList(["first", ["second with ", r.term("dice", "Dice")]]),
            r.Paragraph("Stand-in data: real MNI152 slices.", role="warning"),
        ]),
         r.Section("Claims", [claims, r.Table(["a"], [], caption="Worst cases", empty="none recorded")], id="claims"),
         r.Section("Claims", [r.Figure(PNG, alt="Dice per seed: 15 of 20 below zero", caption="Paired Dice"),
                              r.Definitions([("L1", "No grounding"), (r.strong("L2"), "Incomplete")]),
                              r.Section("Deeper", [r.Paragraph("x", role="meta")])])],
        meta=["Generated for a test", ["Seed ", r.code("0")]],
        glossary={"dice": ("Dice", "Overlap of two segmentations, 0 (none) to 1 (identical).")})


def test_html_page_matches_golden(golden):
    golden("sample_page.html", r.page(sample_document()))


def test_markdown_matches_golden(golden):
    golden("sample_document.md", r.document_markdown(sample_document()))


def test_html_escapes_text_and_loads_nothing():
    html = r.page(sample_document())
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Review report &lt;draft&gt;" in html
    assert not re.search(r"\bsrc=[\"'](?!data:)", html), "only data: URIs may be loaded"


def test_statuses_carry_a_symbol_and_a_word():
    html = r.text_html(r.badge("contradicted"))
    assert html == '<span class="status worst">✖✖ contradicted</span>'
    assert r.text_html(r.badge("not_supported")) == '<span class="status bad">✖ not supported</span>'
    assert r.text_html(r.badge("mystery")) == '<span class="status na">• mystery</span>'


def test_numbers_use_one_format():
    html = r.to_html(r.Table(["v"], [[0.053172], [2.5e-14], [float("nan")], [3], [True]]))
    cells = re.findall(r"<td>(.*?)</td>", html)
    assert cells == ["0.0532", "2.50e-14", "—", "3", "yes"]


def test_heading_ids_are_unique_and_match_the_contents():
    html = r.page(sample_document())
    ids = re.findall(r'<section id="([^"]+)"', html)
    assert ids == ["summary", "claims", "claims-2", "deeper", "glossary-section"]
    toc = re.findall(r'<nav class="toc".*?</nav>', html, re.S)[0]
    assert re.findall(r'href="#([^"]+)"', toc) == ["summary", "claims", "claims-2", "deeper", "glossary-section"]
    assert all(f'id="{i}-title"' in html for i in ids)  # every heading (h2, h3 ...) has an id


def test_glossary_term_links_first_use_only():
    html = r.page(sample_document())
    assert html.count('href="#glossary-dice"') == 1
    assert 'id="glossary-dice"' in html


def test_empty_table_shows_its_empty_text():
    assert r.to_html(r.Table(["a"], [], caption="Worst cases", empty="none recorded")) == \
        '<p class="meta">Worst cases: none recorded</p>'


def test_table_rows_must_match_columns():
    with pytest.raises(ValueError, match="table row 0 has 1 cells for 2 columns"):
        r.Table(["a", "b"], [["only one"]])


def test_unknown_span_kind_is_refused():
    with pytest.raises(ValueError, match="unknown span kind 'blink'"):
        r.Span("blink", "x")


def test_sections_display_in_notebooks():
    sec = r.Section("Claims", [r.Paragraph("x")])
    assert sec._repr_html_() == r.to_html(sec)


def test_print_styles_keep_tables_and_figures_on_the_page():
    assert "@page{size:A4" in CSS and "table-layout:fixed" in CSS and "break-inside:avoid" in CSS
