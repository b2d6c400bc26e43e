"""The review file helpers: open/status, and the metric table saved beside the review."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from misyn_lab.errors import InputError
from misyn_lab.metrics.result import TABLE_COLUMNS, MetricResult, results_table
from misyn_lab.workbook import open_review, review_status, save_metrics_table, table_paths


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
