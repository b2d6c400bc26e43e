"""Without a widget front end (an exported or headless notebook) every widget shows a static document written by
the one rendering layer: the quiz (answer folded away), the checklist (answers, evidence, other reviewers), the
stakeholder checklist with open concerns, the feedback panel (key hidden), the reader study. Golden HTML (and
Markdown where the widget builds a document)."""

from __future__ import annotations

import warnings

import pytest

from misyn_lab import render
from misyn_lab.checklist import Review
from misyn_lab.instruments import stakeholder as sh
from misyn_lab.metrics.result import MetricResult
from misyn_lab.widgets.checklist import ChecklistWidget
from misyn_lab.widgets.feedback import FeedbackPanel
from misyn_lab.widgets.quiz import Quiz
from misyn_lab.widgets.stakeholder import StakeholderWidget


@pytest.fixture
def review() -> Review:
    review = Review.new("static test", reviewer="ana")
    review.add_reviewer("ben")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        review.set_answer("EV-1", "ana", "no", "Only <b>model space</b> metrics.")
        review.set_answer("EV-1", "ben", "partly", "A reader session exists.")
        review.set_answer("EV-2", "ana", "not_applicable", "No benefit is claimed.")
    ev = review.add_evidence(MetricResult("prdc.coverage", 0.61, {"real": 40, "synthetic": 40}, ci=(0.5, 0.7),
                                          interpretation="61% covered."), rung=1)
    review.link_evidence("EV-9", ev)
    return review


def test_quiz_static_document_matches_golden(golden):
    q = Quiz("Which limit thins rare cases?", ["L1", "L2", "L3"], "L2",
             {"L1": "L1 is about single images.", "L2": "Subgroups get thinned.", "L3": "L3 is a new shift."})
    golden("quiz.html", q.static_html())
    golden("quiz.md", render.to_markdown(q.static_document()))


def test_checklist_static_document_matches_golden(review, golden):
    w = ChecklistWidget(review, "evaluation", reviewer="ana")
    golden("checklist.html", w.static_html())
    golden("checklist.md", render.to_markdown(w.static_document()))
    table = w.static_document().blocks[1]
    row = next(r for r in table.rows if r[0].startswith("EV-1 "))
    assert row[2] == "No" and render.plain(row[5]) == "ben: Partly (disagreement)"
    assert next(r for r in table.rows if r[0].startswith("EV-2 "))[2] == "N/A"
    assert "prdc.coverage = 0.61" in next(r for r in table.rows if r[0].startswith("EV-9 "))[4]


def test_stakeholder_static_document_matches_golden(golden):
    review = Review.new("concerns")
    review.add_record(sh.SECTION, {"id": "concern-1", "item_id": "TS-1", "name": "A. Patient", "role": "patient",
                                   "kind": "objection", "text": "Call them synthetic.", "time": "2026-01-01T00:00:00",
                                   "status": "open", "responses": []})
    w = StakeholderWidget(review)
    golden("stakeholder.html", w.static_html())
    golden("stakeholder.md", render.to_markdown(w.static_document()))
    assert "Objection from A. Patient (patient), open: Call them synthetic." in render.plain(w.static_html())


def test_feedback_static_view_matches_golden(review, golden):
    golden("feedback.html", FeedbackPanel(review, "evaluation", reviewer="ana").static_html())


def test_reader_study_static_view_matches_golden(golden):
    import numpy as np

    from misyn_lab.imagesets.core import ImageSet
    from misyn_lab.instruments.reader_study import ReaderStudy
    from misyn_lab.widgets.reader_study import ReaderStudyWidget

    rng = np.random.default_rng(0)
    real = ImageSet.from_arrays(rng.random((6, 16, 16)).astype(np.float32), name="real")
    syn = ImageSet.from_arrays(rng.random((6, 16, 16)).astype(np.float32), synthetic=True, name="syn")
    study = ReaderStudy.from_sets(real, syn, n_tiles=6, seed=0, study_id="rs-test")
    w = ReaderStudyWidget(study, reader="ana")
    golden("reader_study.html", w.static_html())
    truth = study.reveal()
    for tile_id in study.tile_ids:
        study.record_answer("ana", tile_id, truth[tile_id], 3)
    assert "100 %" in w.static_html() and "Wilson CI" in w.static_html()
