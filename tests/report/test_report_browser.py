"""Real-browser test of the printed report (Playwright + Debian chromium): the default report, printed to PDF at A4.

In the page under print media at A4's content width (210 mm minus the 14 mm margins on each side), no table, image
or figure is wider than the page; the summary is the first section; the text holds no "...", no "next cell" and no
quiz; every figure has alt text. The PDF itself is A4 and has pages. Artifacts (the PDF, a screenshot of the first
printed page) are kept in test-artifacts/report/.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from misyn_lab.report.assemble import build_report
from tests.notebooks.jupyter_harness import CHROMIUM, CHROMIUM_ARGS

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "report"
#: A4 content width in CSS pixels: (210 mm - 2 x 14 mm margin) at 96 px per inch.
A4_CONTENT_PX = round((210 - 2 * 14) / 25.4 * 96)
#: PDF points of an A4 page (595.28 x 841.89), as Chromium writes them.
A4_POINTS = (595, 842)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(600),
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian chromium at /usr/bin/chromium "
                                 "(.ci/run installs it)")]

MEASURE = """(width) => {
  const out = {clientWidth: document.documentElement.clientWidth, scrollWidth: document.documentElement.scrollWidth,
               wide: [], firstSection: document.querySelector('section').id, noAlt: 0,
               text: document.body.innerText};
  for (const el of document.querySelectorAll('table, img, figure, .table-wrap, dl, pre')) {
    const r = el.getBoundingClientRect();
    if (r.right > width + 0.5 || r.width > width + 0.5)
      out.wide.push(`${el.tagName} ${Math.round(r.width)}px: ${el.textContent.slice(0, 60)}`);
  }
  for (const img of document.querySelectorAll('img')) if (!img.alt || img.alt.length < 20) out.noAlt++;
  return out;
}"""


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    from playwright.sync_api import sync_playwright

    out = tmp_path_factory.mktemp("printed")
    result = build_report(out=out, quick=True, progress=False, now=datetime(2026, 1, 1, tzinfo=timezone.utc))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf_path = ARTIFACTS / "report.pdf"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": A4_CONTENT_PX, "height": 1000})
            page.goto(result.html_path.resolve().as_uri())
            page.emulate_media(media="print")
            measured = page.evaluate(MEASURE, A4_CONTENT_PX)
            page.screenshot(path=str(ARTIFACTS / "first_printed_page.png"))
            page.pdf(path=str(pdf_path), format="A4", print_background=True, prefer_css_page_size=True)
        finally:
            browser.close()
    return measured, pdf_path.read_bytes()


def test_nothing_is_wider_than_an_a4_page(printed):
    measured, _ = printed
    assert measured["clientWidth"] == A4_CONTENT_PX
    assert measured["wide"] == [], f"wider than the A4 content width ({A4_CONTENT_PX} px): {measured['wide'][:5]}"
    assert measured["scrollWidth"] <= measured["clientWidth"]


def test_summary_first_no_truncation_no_quiz_and_alt_text(printed):
    measured, _ = printed
    assert measured["firstSection"] == "summary"
    text = measured["text"]
    assert text.index("Summary") < text.index("Contents") < text.index("Glossary") < text.index("Appendix")
    for bad in ("...", "…", "next cell", "Self-check", "Show answer", "Quiz"):
        assert bad not in text, bad
    assert measured["noAlt"] == 0


def test_the_pdf_has_a4_pages(printed):
    _, pdf = printed
    assert pdf[:5] == b"%PDF-"
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    assert boxes and all((round(float(w)), round(float(h))) == A4_POINTS for w, h in boxes)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) >= 10
