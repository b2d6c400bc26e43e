"""The report document, verdict first: summary (per part its bottom line, claims by status, open items by
severity, the rung reached, the three most severe gaps in words and the next actions), contents, details, glossary,
appendix. Golden HTML page and Markdown of a report of one case measured elsewhere."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")

from misyn_lab import render  # noqa: E402
from misyn_lab.cases.case import load_case  # noqa: E402
from misyn_lab.cases.studies import review_study  # noqa: E402
from misyn_lab.report.cases import case_part  # noqa: E402
from misyn_lab.report.document import appendix_section, report_document, summary_section  # noqa: E402

VERSIONS = {"misyn-lab": "0.1.0", "python": "3.11", "numpy": "2.0"}


def _document():
    part = case_part(review_study(load_case("case1")))
    part.bottom_line = "Bottom line: nothing measured in this test."
    appendix = appendix_section(generated="2026-01-01 00:00 UTC", seed=0, versions=VERSIONS,
                                inputs=[("Case files", "case1.yaml")], how=["Made for a test."])
    return report_document([part], warnings=["Quick run: a smoke test."], appendix=appendix), part


def test_report_page_matches_golden(golden):
    doc, _ = _document()
    golden("report.html", render.page(doc), mask_images=True)
    golden("report.md", render.document_markdown(doc), mask_images=True)


def test_order_summary_contents_details_glossary_appendix():
    doc, part = _document()
    page = render.page(doc)
    ids = re.findall(r'<section id="([^"]+)"', page)
    assert ids[0] == "summary" and ids[-2:] == ["glossary-section", "appendix"]
    assert page.index('id="summary"') < page.index('<nav class="toc"') < page.index('id="case-case1-segmentation"')
    toc = page[page.index('<nav class="toc"'):page.index("</nav>")]
    assert 'href="#case1-segmentation-claims"' in toc and 'href="#appendix"' in toc


def test_summary_of_a_part():
    _, part = _document()
    summary = summary_section([part], warnings=["W"])
    md = render.to_markdown(summary)
    assert "**Bottom line:** nothing measured in this test." in md
    assert "**Claims:** ✖ 1 not supported, ? 2 untested, ✖ 1 overclaimed" in md
    assert "**Open checklist items:** 42 (severity: 24 high, 18 medium)" in md
    assert "**Evidence reaches:** rung none yet (no evidence carries a rung)" in md
    assert ("1. **Synthetic images not labelled as synthetic** (TS-3; risk: erosion of trust, L1 No grounding)"
            in md)
    assert "1. Write the mark into every file at generation time (misyn-lab label)" in md
    assert "> W" in md and "> Stand-in data (Case 1" in md
