"""The reader-study widget in a class: each reader gets their own tile order, saves to their own file, and sees
the debrief after the reveal; headless it records nothing."""

from __future__ import annotations

import numpy as np
import pytest

from misyn_lab.checklist import Review
from misyn_lab.instruments.reader_study import ReaderStudy
from misyn_lab.widgets.reader_study import ReaderStudyWidget


@pytest.fixture
def study() -> ReaderStudy:
    rng = np.random.default_rng(0)
    real = rng.random((6, 8, 8)).astype(np.float32) * 0.5
    syn = 0.5 + rng.random((6, 8, 8)).astype(np.float32) * 0.5
    return ReaderStudy.from_sets(real, syn, n_tiles=6, seed=2, per_reader_order=True)


def test_each_reader_answers_in_their_own_order_into_their_own_file(monkeypatch, study, tmp_path):
    monkeypatch.setenv("MISYN_WIDGETS", "live")
    paths = {r: tmp_path / f"{r}.yaml" for r in ("ana", "bo")}
    widgets = {r: ReaderStudyWidget(study.with_review(Review.new(r, reviewer=r)), r, save_path=p,
                                    debrief="## Debrief\nThank you.") for r, p in paths.items()}
    assert study.order_for("ana") != study.order_for("bo")
    for reader, widget in widgets.items():
        seen = []
        while widget.current is not None:
            seen.append(widget.current)
            widget.btn_real.click()
        assert seen == study.order_for(reader)
        saved = Review.load(paths[reader]).records("reader_answers")
        assert [(r["reader"], r["tile_id"], r["position"]) for r in saved] == \
            [(reader, t, i) for i, t in enumerate(seen, start=1)]
        debrief = widget.children[-1]
        assert debrief.outputs[0]["data"]["text/markdown"] == "## Debrief\nThank you."


def test_without_debrief_and_headless(monkeypatch, study, tmp_path):
    monkeypatch.setenv("MISYN_WIDGETS", "live")
    widget = ReaderStudyWidget(study.with_review(Review.new("x")), "cy")
    for _ in range(6):
        widget.btn_syn.click()
    assert widget.children[-1] is widget.reveal_box
    monkeypatch.setenv("MISYN_WIDGETS", "static")
    review = Review.new("y")
    headless = ReaderStudyWidget(study.with_review(review), "cy", save_path=tmp_path / "y.yaml", debrief="hi")
    assert headless.answer("real") is None and review.records("reader_answers") == []
    assert not (tmp_path / "y.yaml").exists()
