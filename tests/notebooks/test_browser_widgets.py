"""Real-browser test: JupyterLab on localhost + headless Chromium (Playwright) drive the workbook widgets.

Opens a small evaluation notebook, runs all cells, moves the explorer's knob, clicks a checklist status
button, and checks that the readout changed and that the review file on disk holds the click.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.notebooks.jupyter_harness import CHROMIUM, lab_page, open_notebook, run_all, write_notebook

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "browser"
REVIEWER = "browser-test"

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

CELLS = [
    ("parameters", "review_path = 'review.yaml'\nn = 40\nseed = 0"),
    (None, "from misyn_lab import workbook\n"
           "real = workbook.teaching_real_set(n=n, seed=seed)"),
    (None, "from misyn_lab.widgets.explorer import DistributionExplorer\n"
           "explorer = DistributionExplorer(real, generator='pca_gaussian', n_synthetic=n, seed=seed)\n"
           "explorer"),
    (None, "from misyn_lab.checklist import Review\n"
           "from misyn_lab.widgets.checklist import ChecklistWidget\n"
           "review = workbook.open_review(review_path, title='browser test')\n"
           f"ChecklistWidget(review, 'evaluation', reviewer={REVIEWER!r}, path=review_path, debounce_s=0.2)"),
]


def _answer_on_disk(path: Path, item_id: str) -> str | None:
    from misyn_lab.checklist import Review

    if not path.exists():
        return None
    ans = Review.load(path).answers.get(item_id, {}).get(REVIEWER)
    if ans is None:
        return None
    return ans["status"] if isinstance(ans, dict) else ans.status


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian chromium at /usr/bin/chromium "
                    "(.ci/run installs it)")
def test_widgets_in_real_jupyterlab(tmp_path: Path):
    root = tmp_path / "root"
    root.mkdir()
    write_notebook(root / "browser_eval.ipynb", CELLS)
    shot = ARTIFACTS / "05_evaluation_widgets.png"
    with lab_page(root, tmp_path / "jupyter", ARTIFACTS, "widgets") as (server, page):
        open_notebook(page, server.notebook_url("browser_eval.ipynb"))
        run_all(page, ".misyn-readout")
        readout = page.locator(".misyn-readout").first
        page.locator(".misyn-checklist .misyn-status").first.wait_for(timeout=90_000)
        before = readout.inner_text()
        assert "precision" in before.lower()
        plot_before = page.locator(".misyn-explorer img").first.get_attribute("src")

        knob = page.locator(".misyn-knob .noUi-handle").first
        knob.focus()
        for _ in range(3):
            page.keyboard.press("ArrowRight")
        page.wait_for_function(
            "([sel, old]) => { const e = document.querySelector(sel); return e && e.innerText !== old; }",
            arg=[".misyn-readout", before], timeout=30_000)
        after = readout.inner_text()
        assert after != before and "knob = 16" in before and "knob = 16" not in after
        page.wait_for_function(
            "(old) => document.querySelector('.misyn-explorer img').getAttribute('src') !== old",
            arg=plot_before, timeout=10_000)

        first_item = page.locator(".misyn-checklist .misyn-item").first
        item_id = first_item.locator("b").first.inner_text().split(" ·")[0].strip()
        first_item.locator(".misyn-status button[data-value='No']").click()
        review_file = root / "review.yaml"
        deadline = time.monotonic() + 20
        while _answer_on_disk(review_file, item_id) != "no" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _answer_on_disk(review_file, item_id) == "no", "the click did not reach the review file"
        page.wait_for_selector(".misyn-save-state [data-state='saved']", timeout=10_000)
        page.screenshot(path=str(shot), full_page=False)
        page.locator(".misyn-explorer").first.screenshot(path=str(ARTIFACTS / "05_evaluation_explorer.png"))
    assert shot.stat().st_size > 10_000
