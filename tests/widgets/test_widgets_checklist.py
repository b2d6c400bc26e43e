"""ChecklistWidget logic without a front end: simulated clicks/typing, autosave, reviewers, evidence."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from misyn_lab.checklist.loader import load_checklist
from misyn_lab.checklist.review import Review
from misyn_lab.errors import InputError
from misyn_lab.metrics.result import MetricResult
from misyn_lab.widgets.checklist import ChecklistWidget, disagreements, evidence_line, stage_progress

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


@pytest.fixture()
def review_file(tmp_path: Path) -> Path:
    return tmp_path / "review.yaml"


def _widget(path: Path, reviewer: str = "ann", **kw) -> ChecklistWidget:
    review = Review.load(path) if path.exists() else Review.new("test")
    return ChecklistWidget(review, "evaluation", reviewer=reviewer, path=path, debounce_s=kw.pop("debounce_s", 0),
                           **kw)


def _first_ids(widget: ChecklistWidget, n: int = 2) -> list[str]:
    return list(widget.items)[:n]


def test_click_and_justification_are_saved(review_file: Path):
    w = _widget(review_file)
    item = _first_ids(w, 1)[0]
    view = w.items[item]
    view.status.value = "yes"
    assert "needs a justification" in view.warning.value  # CLAIM-style warning, answer kept
    assert Review.load(review_file).answer(item, "ann").status == "yes"
    view.justification.value = "Table 2 of the paper"
    assert view.warning.value == ""
    saved = Review.load(review_file).answer(item, "ann")
    assert (saved.status, saved.justification) == ("yes", "Table 2 of the paper")
    assert w.state_text.startswith("saved")


def test_not_applicable_needs_a_reason(review_file: Path):
    w = _widget(review_file)
    item = _first_ids(w, 1)[0]
    view = w.items[item]
    view.status.value = "not_applicable"
    assert "needs a reason" in view.warning.value
    assert w.review.answer(item, "ann") is None and not review_file.exists()
    view.justification.value = "no subgroups in this dataset"
    assert Review.load(review_file).answer(item, "ann").status == "not_applicable"
    answered, complete, total = stage_progress(w.review, w.checklist.by_stage("evaluation"), "ann")
    assert (answered, complete) == (1, 1) and total == len(w.checklist.by_stage("evaluation"))
    assert w.progress["evaluation"][0].value == 1


def test_autosave_is_debounced_and_flush_saves_now(review_file: Path):
    w = _widget(review_file, debounce_s=0.3)
    item = _first_ids(w, 1)[0]
    w.items[item].status.value = "no"
    assert not review_file.exists() and w.state_text.startswith("unsaved")
    deadline = time.monotonic() + 5
    while not review_file.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert Review.load(review_file).answer(item, "ann").status == "no"
    w.items[item].status.value = "partly"
    assert w.flush() is True and w.saved
    assert Review.load(review_file).answer(item, "ann").status == "partly"


def test_reviewer_switch_shows_others_and_disagreement(review_file: Path):
    w = _widget(review_file)
    item = _first_ids(w, 1)[0]
    w.items[item].status.value = "no"
    w.set_reviewer("bob")
    assert w.items[item].status.value is None  # bob has not answered
    assert "ann" in w.items[item].others.value and "disagree" not in w.items[item].others.value
    w.items[item].justification.value = "shown in Fig. 3"
    w.items[item].status.value = "yes"
    assert "Reviewers disagree" in w.items[item].others.value
    assert disagreements(w.review, item) == {"ann": "no", "bob": "yes"}
    on_disk = Review.load(review_file)
    assert on_disk.answer(item, "ann").status == "no" and on_disk.answer(item, "bob").status == "yes"
    assert "(disagreement)" in w.static_html()


def test_attach_evidence_inline_and_cited(review_file: Path):
    w = _widget(review_file)
    item = next(it for it in w.checklist.by_stage("evaluation") if "prdc.coverage" in it.metric_keys)
    result = MetricResult("prdc.coverage", 0.42, {"real": 50, "synthetic": 50}, ci=(0.3, 0.5),
                          interpretation="42% of real images have a synthetic neighbour")
    eid = w.attach_evidence(item.id, result)
    assert eid in w.items[item.id].evidence.value and "0.42" in w.items[item.id].evidence.value
    linked = Review.load(review_file)  # saved before any answer: a first-class link, not a note
    assert linked.links == {item.id: [eid]} and linked.answer(item.id, "ann") is None
    assert linked.evidence[eid]["note"] == "" and linked.evidence_for(item.id) == [eid]
    w.items[item.id].justification.value = "coverage measured"
    w.items[item.id].status.value = "partly"
    saved = Review.load(review_file)
    assert saved.evidence[eid]["result"]["value"] == pytest.approx(0.42)
    assert eid in saved.answer(item.id, "ann").evidence
    assert "prdc.coverage = 0.42 [0.3, 0.5]" in evidence_line(saved.evidence[eid])


def test_evidence_for_unanswered_item_survives_reload_and_reviewer_switch(review_file: Path):
    w = _widget(review_file)
    item = next(it for it in w.checklist.by_stage("evaluation") if not it.metric_keys)  # no key match
    eid = w.attach_evidence(item.id, {"key": "reader.accuracy", "value": 0.55, "interpretation": "near chance"})
    w.set_reviewer("bob")
    w.items[item.id].status.value = "no"  # bob answers: ann's pending evidence is not cited for him
    assert Review.load(review_file).answer(item.id, "bob").evidence == ()
    again = _widget(review_file, reviewer="ann")  # a new session: the saved link still shows the evidence
    assert eid in again.items[item.id].evidence.value and "near chance" in again.items[item.id].evidence.value
    assert "near chance" in again.static_html()
    assert Review.load(review_file).evidence_for(item.id) == [eid]


def test_pending_evidence_survives_a_refused_answer(review_file: Path):
    w = _widget(review_file)
    item = _first_ids(w, 1)[0]
    eid = w.attach_evidence(item, {"key": "x.y", "value": 1.0})
    w.items[item].status.value = "not_applicable"  # refused: needs a reason
    assert w.review.answer(item, "ann") is None
    w.items[item].justification.value = "no such data here"  # now recorded, still citing the evidence
    assert Review.load(review_file).answer(item, "ann").evidence == (eid,)


def test_save_failure_is_visible(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    w = _widget(blocker / "review.yaml")  # parent is a file: cannot be created
    w.items[_first_ids(w, 1)[0]].status.value = "no"
    assert not w.saved and w.state_text.startswith("NOT saved")


def test_concurrent_conflict_is_reported(review_file: Path):
    a, b = _widget(review_file), _widget(review_file)
    item = _first_ids(a, 1)[0]
    a.items[item].status.value = "no"
    b.items[item].justification.value = "documented"
    b.items[item].status.value = "yes"
    assert b.state_text.startswith("NOT saved") and "conflict" in b.last_error.lower()
    assert Review.load(review_file).answer(item, "ann").status == "no"


def test_static_fallback_without_front_end(review_file: Path, monkeypatch):
    w = _widget(review_file)
    w.items[_first_ids(w, 1)[0]].status.value = "no"
    bundle = w._repr_mimebundle_()
    assert WIDGET_MIME not in bundle and "<table>" in bundle["text/html"] and "1 of" in bundle["text/html"]
    monkeypatch.setenv("MISYN_WIDGETS", "live")
    assert WIDGET_MIME in w._repr_mimebundle_()


def test_bad_arguments(review_file: Path):
    with pytest.raises(InputError, match="reviewer name"):
        ChecklistWidget(Review.new(), "evaluation", reviewer=" ")
    with pytest.raises(InputError, match="unknown stage 'evalution'"):
        ChecklistWidget(Review.new(), "evalution", reviewer="ann")
    w = ChecklistWidget(Review.new(), None, reviewer="ann")
    assert len(w.items) == len(load_checklist()) and len(w.progress) == 5
    with pytest.raises(InputError, match="unknown checklist item"):
        w.attach_evidence("EV-999", {"key": "x", "value": 1.0})


def test_linked_evidence_is_cited_after_a_kernel_restart(review_file: Path):
    """The link saved in the file (not widget memory) is what gets cited: a new session still cites it for the
    reviewer who attached it, and not for another reviewer."""
    w = _widget(review_file)
    item = _first_ids(w, 1)[0]
    eid = w.attach_evidence(item, {"key": "x.y", "value": 1.0})
    w.flush()
    again = _widget(review_file, reviewer="ann")  # a fresh widget: nothing kept in memory
    again.items[item].justification.value = "shown by x.y"
    again.items[item].status.value = "yes"
    assert Review.load(review_file).answer(item, "ann").evidence == (eid,)
    other = _widget(review_file, reviewer="cy")
    other.items[item].status.value = "no"
    assert Review.load(review_file).answer(item, "cy").evidence == ()
