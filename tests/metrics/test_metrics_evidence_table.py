"""results_table: MetricResults as one DataFrame with fixed columns."""

from __future__ import annotations

import pandas as pd
import pytest

from misyn_lab.errors import InputError
from misyn_lab.metrics.result import TABLE_COLUMNS, MetricResult, results_table


def _results() -> dict[str, MetricResult]:
    return {
        "prdc.coverage": MetricResult("prdc.coverage", 0.5, {"real": 10, "synthetic": 12}, ci=(0.4, 0.6),
                                      interpretation="half covered"),
        "mmd.rbf": MetricResult("mmd.rbf", 0.01, {"real": 10, "synthetic": 12}, p_value=0.03,
                                interpretation="permutation test"),
        "memorisation.copy_rate": MetricResult("memorisation.copy_rate", 0.0, {"train": 7, "synthetic": 12}),
    }


def test_results_table_columns_and_values():
    table = results_table(_results())
    assert list(table.columns) == list(TABLE_COLUMNS)
    row = table.set_index("key").loc["prdc.coverage"]
    assert (row["ci_low"], row["ci_high"], row["n_real"], row["n_synthetic"]) == (0.4, 0.6, 10, 12)
    assert pd.isna(row["p_value"]) and table.set_index("key").loc["mmd.rbf", "p_value"] == 0.03
    assert table.set_index("key").loc["memorisation.copy_rate", "n_real"] == 7  # "train" counts as real
    assert results_table(list(_results().values()))["key"].tolist() == list(_results())


def test_results_table_empty_and_bad_input():
    assert list(results_table([]).columns) == list(TABLE_COLUMNS)
    with pytest.raises(InputError, match="expected MetricResult objects, got dict"):
        results_table([{"key": "x"}])
