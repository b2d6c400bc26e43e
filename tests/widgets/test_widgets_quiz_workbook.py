"""Quiz feedback and the workbook helpers (metric table, saving it beside the review, evidence matching)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from misyn_lab.checklist.review import Review
from misyn_lab.errors import InputError
from misyn_lab.metrics.result import MetricResult
from misyn_lab.widgets import workbook
from misyn_lab.widgets.checklist import ChecklistWidget
from misyn_lab.widgets.quiz import Quiz


def test_quiz_gives_immediate_feedback():
    q = Quiz("Which limit?", ["L1", "L2", "L3"], "L2", "Subgroups get thinned.")
    q.choice.value = "L1"
    assert "Not quite" in q.feedback.value and "Subgroups" not in q.feedback.value
    q.choice.value = "L2"
    assert "Correct" in q.feedback.value and "Subgroups get thinned." in q.feedback.value
    assert q.attempts == ["L1", "L2"]
    static = q._repr_mimebundle_()
    assert "Answer: L2" in static["text/plain"] and "Which limit?" in static["text/html"]


def test_quiz_bad_input():
    with pytest.raises(InputError, match="at least two unique options"):
        Quiz("q", ["a", "a"], 0, "x")
    with pytest.raises(InputError, match="answer 'c' is not one of the options"):
        Quiz("q", ["a", "b"], "c", "x")
    with pytest.raises(InputError, match="answer index 5 is outside 0..1"):
        Quiz("q", ["a", "b"], 5, "x")


def _results() -> dict[str, MetricResult]:
    return {
        "prdc.coverage": MetricResult("prdc.coverage", 0.5, {"real": 10, "synthetic": 12}, ci=(0.4, 0.6),
                                      interpretation="half covered"),
        "mmd.rbf": MetricResult("mmd.rbf", 0.01, {"real": 10, "synthetic": 12}, p_value=0.03,
                                interpretation="permutation test"),
        "unused.key": MetricResult("unused.key", 1.0, {"real": 10, "synthetic": 12}),
    }


def test_metrics_table_columns_and_saving(tmp_path: Path):
    table = workbook.metrics_table(_results())
    assert list(table.columns) == list(workbook.TABLE_COLUMNS)
    row = table.set_index("key").loc["prdc.coverage"]
    assert (row["ci_low"], row["ci_high"], row["n_real"], row["n_synthetic"]) == (0.4, 0.6, 10, 12)
    assert pd.isna(row["p_value"]) and table.set_index("key").loc["mmd.rbf", "p_value"] == 0.03
    paths = workbook.save_metrics_table(table, tmp_path / "rev.yaml")
    assert paths["csv"].name == "rev.metrics.csv"
    assert pd.read_csv(paths["csv"])["key"].tolist() == table["key"].tolist()
    assert json.loads(paths["json"].read_text())[1]["p_value"] == 0.03
    with pytest.raises(InputError, match="lacks columns"):
        workbook.save_metrics_table(table.drop(columns=["ci_low"]), tmp_path / "rev.yaml")
    with pytest.raises(InputError, match="expected MetricResult objects"):
        workbook.metrics_table([{"key": "x"}])


def test_attach_matching_uses_item_metric_keys(tmp_path: Path):
    path = tmp_path / "rev.yaml"
    widget = ChecklistWidget(Review.new(), "evaluation", reviewer="ann", path=path, debounce_s=0)
    attached = workbook.attach_matching(widget, _results())
    wanting = {it.id for it in widget.checklist.by_stage("evaluation")
               if {"prdc.coverage", "mmd.rbf"} & set(it.metric_keys)}
    assert set(attached) == wanting and wanting
    stored = {rec["key"] for rec in Review.load(path).evidence.values()}
    assert stored == {"prdc.coverage", "mmd.rbf"}  # a key no item names is not attached


def test_open_review_and_status(tmp_path: Path):
    path = tmp_path / "r.yaml"
    review = workbook.open_review(path)
    assert "not written yet" in workbook.review_status(review, path)
    review.set_answer("EV-1", "ann", "no")
    review.save(path)
    again = workbook.open_review(path)
    assert again.answer("EV-1", "ann").status == "no"
    assert "saved (revision 1)" in workbook.review_status(again, path)


def test_show_figure_needs_a_takeaway():
    from matplotlib.figure import Figure

    with pytest.raises(InputError, match="needs a one-line takeaway"):
        workbook.show_figure(Figure(), " ")
