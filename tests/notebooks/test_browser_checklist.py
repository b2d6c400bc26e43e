"""Real-browser tests (JupyterLab on localhost + headless Chromium via Playwright) of the checklist and quiz.

Checklist: run a notebook holding a ChecklistWidget (default quiet period), choose Yes, click into the
justification box and type, never leaving it; the save-state label must go "unsaved" and then "saved", and the
review file must then hold the whole text. Reload the page, restart the kernel, find the text in the file,
re-run the notebook and find it in the widget again, with Yes marked by a tick, a filled button and words.

Quiz: a bank quiz shows no answer or explanation before a choice; a wrong choice says why it is wrong without
giving the answer away; the right choice says why, and why not the others.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.notebooks.jupyter_harness import CHROMIUM, lab_page, open_notebook, run_all, write_notebook

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "browser"
REVIEWER = "browser-typist"
TEXT = "Shown in Table 2: deduplicated training set, copy test on held-out real images (n = 120)"
TEXTAREA = ".misyn-checklist .misyn-item textarea"

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

CELLS = [
    ("parameters", "review_path = 'reviews/review.yaml'"),
    (None, ("from misyn_lab import workbook\n"
            "from misyn_lab.widgets.checklist import ChecklistWidget\n"
            "review = workbook.open_review(review_path, title='typing test')\n"
            f"checklist = ChecklistWidget(review, 'design', reviewer={REVIEWER!r}, path=review_path)\n"
            "checklist")),
]
QUIZ_CELLS = [("parameters", "quiz_id = '04-memorisation'"),
              (None, "from misyn_lab.widgets.quiz import Quiz\nQuiz.from_bank(quiz_id)")]

#: Records every save state the label shows, from the moment it is installed.
RECORD_STATES = """() => {
  window.__states = [];
  const label = document.querySelector('.misyn-checklist .misyn-save-state');
  const note = () => { const s = label.querySelector('[data-state]'); if (s) window.__states.push(s.dataset.state); };
  new MutationObserver(note).observe(label, {subtree: true, childList: true, characterData: true});
}"""
needs_chromium = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian chromium at "
                                    "/usr/bin/chromium (.ci/run installs it)")


def _answer_on_disk(path: Path, item_id: str) -> tuple[str, str] | None:
    from misyn_lab.checklist import Review

    if not path.exists():
        return None
    ans = Review.load(path).answers.get(item_id, {}).get(REVIEWER)
    return None if ans is None else (ans.status, ans.justification)


def _wait_for_disk(path: Path, item_id: str, expected: tuple[str, str], timeout_s: float = 30) -> None:
    """Poll the review file until the answer is ``expected`` (the save runs in the kernel, not in this process)."""
    deadline = time.monotonic() + timeout_s
    while _answer_on_disk(path, item_id) != expected and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _answer_on_disk(path, item_id) == expected


@needs_chromium
def test_quiz_gives_nothing_away_before_a_choice(tmp_path: Path):
    from misyn_lab.workbook.quiz_bank import get_quiz

    bank = get_quiz("04-memorisation")
    wrong = next(o for o in bank.options if "nearest-neighbour" in o.text)
    root = tmp_path / "root"
    root.mkdir()
    write_notebook(root / "quiz.ipynb", QUIZ_CELLS)
    with lab_page(root, tmp_path / "jupyter", ARTIFACTS, "quiz") as (server, page):
        open_notebook(page, server.notebook_url("quiz.ipynb"))
        run_all(page, ".jp-OutputArea .misyn-quiz .widget-radio-box")
        quiz = page.locator(".jp-OutputArea .misyn-quiz").first
        notebook = page.locator(".jp-Notebook")
        shown = notebook.inner_text()
        assert bank.question in shown and all(o.text in shown for o in bank.options)
        assert not any(o.why in shown for o in bank.options) and "Show answer" not in shown

        quiz.locator("label", has_text=wrong.text).click()
        feedback = quiz.locator(".widget-html").last
        page.wait_for_function("(t) => document.querySelector('.jp-Notebook').innerText.includes(t)",
                               arg="Not quite.", timeout=30_000)
        assert wrong.why in feedback.inner_text() and bank.answer.why not in notebook.inner_text()

        quiz.locator("label", has_text=bank.answer.text).click()
        page.wait_for_function("(t) => document.querySelector('.jp-Notebook').innerText.includes(t)",
                               arg="Correct.", timeout=30_000)
        text = feedback.inner_text()
        assert bank.answer.why in text and "Why not the others" in text
        assert all(o.why in text for o in bank.options)
        quiz.screenshot(path=str(ARTIFACTS / "quiz_after_answer.png"))


@needs_chromium
def test_typed_justification_survives_reload_and_kernel_restart(tmp_path: Path):
    root = tmp_path / "root"
    (root / "reviews").mkdir(parents=True)
    write_notebook(root / "typing.ipynb", CELLS)
    review_file = root / "reviews" / "review.yaml"
    with lab_page(root, tmp_path / "jupyter", ARTIFACTS, "typing") as (server, page):
        open_notebook(page, server.notebook_url("typing.ipynb"))
        run_all(page, TEXTAREA)
        item = page.locator(".misyn-checklist .misyn-item").first
        item_id = item.locator("b").first.inner_text().split(" ·")[0].strip()

        item.locator(".misyn-status button[data-value='Yes']").click()
        _wait_for_disk(review_file, item_id, ("yes", ""))
        page.wait_for_selector(".misyn-save-state [data-state='saved']", timeout=10_000)

        page.evaluate(RECORD_STATES)
        item.locator("textarea").click()
        page.keyboard.type(TEXT, delay=25)  # focus never leaves the box: no blur, no "change" event
        _wait_for_disk(review_file, item_id, ("yes", TEXT))
        page.wait_for_selector(".misyn-save-state [data-state='saved']", timeout=10_000)
        states = page.evaluate("() => window.__states")
        assert "unsaved" in states and states[-1] == "saved", states  # unsaved while typing, then saved
        assert _answer_on_disk(review_file, item_id) == ("yes", TEXT)  # "saved" means: in the file
        assert page.evaluate("() => document.activeElement.tagName") == "TEXTAREA"

        page.reload()  # still inside the text box
        open_notebook(page, server.notebook_url("typing.ipynb"))
        page.click("div.lm-MenuBar-itemLabel:text-is('Kernel')")
        page.click("text=Restart Kernel…")
        page.locator(".jp-Dialog .jp-mod-accept").click()
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=90_000)
        assert _answer_on_disk(review_file, item_id) == ("yes", TEXT)

        run_all(page, TEXTAREA)
        item = page.locator(".misyn-checklist .misyn-item").first
        page.wait_for_function(f"(t) => document.querySelector({TEXTAREA!r}).value === t", arg=TEXT,
                               timeout=30_000)
        chosen = item.locator(".misyn-status button.mod-active")
        chosen.locator("i.fa-check").wait_for(timeout=10_000)  # a tick on the chosen button
        assert chosen.inner_text().strip() == "Yes"
        assert "Your answer: ✓ Yes" in item.locator(".misyn-chosen").inner_text()  # and words
        fill = chosen.evaluate("(b) => getComputedStyle(b).backgroundColor")
        plain = item.locator(".misyn-status button:not(.mod-active)").first.evaluate(
            "(b) => getComputedStyle(b).backgroundColor")
        assert fill == "rgb(13, 71, 161)" and plain != fill  # and a filled colour
        item.screenshot(path=str(ARTIFACTS / "checklist_item_after_restart.png"))
