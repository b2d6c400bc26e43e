"""The vignette feedback panel: nothing of the key before the button; after it, only for answered items."""

from __future__ import annotations

import warnings

import pytest

from misyn_lab.checklist import Review
from misyn_lab.widgets.feedback import FeedbackPanel
from misyn_lab.workbook import vignette_key


def _reasons(stage: str) -> dict[str, str]:
    key = vignette_key(stage)
    return {i: key.answer(i, "answer key").justification for i in key.answers}


@pytest.fixture
def student() -> Review:
    review = Review.new("vignettes", reviewer="lee")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        review.set_answer("DE-1", "lee", "partly", "one assumption only")
        review.set_answer("DE-5", "lee", "no", "no test yet")
    return review


def _escaped(text: str) -> str:
    return text.replace("'", "&#x27;")


def test_the_key_stays_hidden_until_the_button(student, monkeypatch):
    monkeypatch.setenv("MISYN_WIDGETS", "static")
    panel = FeedbackPanel(student, "design", reviewer="lee")
    bundle = panel._repr_mimebundle_()
    shown = bundle["text/html"] + bundle["text/plain"] + panel.output.value
    assert "2 of 8 design items of the vignette answered by lee." in bundle["text/html"]
    assert "the answer key is not shown here" in bundle["text/html"]
    for reason in _reasons("design").values():
        assert _escaped(reason) not in shown and reason not in shown


def test_show_reveals_feedback_for_answered_items_only(student):
    panel = FeedbackPanel(student, "design", reviewer="lee")
    fb = panel.show()
    assert fb.counts["agreed"] == 1 and fb.counts["extra_flag"] == 1 and fb.counts["unanswered"] == 6
    html = panel.output.value
    reasons = _reasons("design")
    assert _escaped(reasons["DE-1"]) in html and _escaped(reasons["DE-5"]) in html
    for item in ("DE-2", "DE-3", "DE-4", "DE-6", "DE-7", "DE-8"):
        assert _escaped(reasons[item]) not in html
    assert panel.button.description == "Update feedback"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        student.set_answer("DE-8", "lee", "unknown", "consent unclear")
    assert panel.show().counts["agreed"] == 2  # reads the shared review: the latest answers count
    assert _escaped(reasons["DE-8"]) in panel.output.value
