"""The review file helpers: open/status, and the metric table saved beside the review."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from misyn_lab.errors import InputError
from misyn_lab.metrics.result import TABLE_COLUMNS, MetricResult, results_table
from misyn_lab.workbook import open_review, review_status, save_metrics_table, saved_status, table_paths


def test_open_review_and_status(tmp_path: Path):
    path = tmp_path / "r.yaml"
    review = open_review(path)
    assert not path.exists() and "not written yet" in review_status(review, path)
    review.set_answer("EV-1", "ann", "no")
    review.save(path)
    again = open_review(path)
    assert again.answer("EV-1", "ann").status == "no"
    status = review_status(again, path)
    assert "saved (revision 1)" in status and "Reviewers: ann" in status and f"Review file: {path.resolve()}" in status


def test_metric_table_saved_beside_the_review(tmp_path: Path):
    table = results_table([MetricResult("mmd.rbf", 0.01, {"real": 10, "synthetic": 12}, p_value=0.03),
                           MetricResult("frechet", 2.5, {"real": 10, "synthetic": 12})])
    paths = save_metrics_table(table, tmp_path / "rev.yaml")
    assert paths == table_paths(tmp_path / "rev.yaml")
    assert paths["csv"].name == "rev.metrics.csv" and paths["json"].name == "rev.metrics.json"
    assert list(pd.read_csv(paths["csv"]).columns) == list(TABLE_COLUMNS)
    records = json.loads(paths["json"].read_text())
    assert [r["key"] for r in records] == ["mmd.rbf", "frechet"] and records[0]["p_value"] == 0.03
    assert records[1]["p_value"] is None  # NaN becomes null
    with pytest.raises(InputError, match=r"metric table lacks columns \['ci_low'\]"):
        save_metrics_table(table.drop(columns=["ci_low"]), tmp_path / "rev.yaml")


class _View:
    """A checklist view as saved_status sees it (review, path, flush)."""

    def __init__(self, review, path):
        self.review, self.path, self.flushed = review, path, 0

    def flush(self) -> bool:
        self.flushed += 1
        self.review.save(self.path)
        return True


def test_saved_status_flushes_then_reports(tmp_path: Path):
    path = tmp_path / "r.yaml"
    review = open_review(path)
    review.set_answer("EV-1", "ann", "no", "no held-out set")
    view = _View(review, path)
    text = saved_status(view)
    assert view.flushed == 1 and path.exists()
    assert text.splitlines()[1:] == ["State: saved (revision 1)", "Reviewers: ann",
                                     "Items answered by at least one reviewer: 1 of 45", "Evidence records: 0"]


def test_saved_status_refuses_a_view_without_a_file(tmp_path: Path):
    view = _View(open_review(tmp_path / "r.yaml"), None)
    with pytest.raises(InputError) as err:
        saved_status(view)
    assert str(err.value) == ("checklist: this checklist keeps its answers in memory only "
                              "(fix: create it with path=review_path so every answer is saved)")
    assert view.flushed == 0
