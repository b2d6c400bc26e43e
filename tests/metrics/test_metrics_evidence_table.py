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
        "mmd.rbf": MetricResult("mmd.rbf", 0.01, {"real": 10, "synthetic": 12}, p_value=1 / 201,
                                interpretation="permutation test", details={"permutations": 200}, split="held-out"),
        "memorisation.copy_rate": MetricResult("memorisation.copy_rate", 0.0, {"train": 7, "synthetic": 12},
                                               split="training"),
    }


def test_results_table_columns_and_values():
    table = results_table(_results())
    assert list(table.columns) == list(TABLE_COLUMNS)
    row = table.set_index("key").loc["prdc.coverage"]
    assert (row["ci_low"], row["ci_high"], row["n_real"], row["n_synthetic"]) == (0.4, 0.6, 10, 12)
    assert pd.isna(row["p_value"]) and table.set_index("key").loc["mmd.rbf", "p_value"] == 1 / 201
    # the permutation floor is said as such, not printed as 0.004975
    assert table.set_index("key").loc["mmd.rbf", "p"] == "p ≤ 0.00498 (the smallest value 200 permutations can give)"
    assert table["split"].tolist() == ["", "held-out", "training"] and row["p"] == ""
    assert table.set_index("key").loc["memorisation.copy_rate", "n_real"] == 7  # "train" counts as real
    assert results_table(list(_results().values()))["key"].tolist() == list(_results())


def test_results_table_empty_and_bad_input():
    assert list(results_table([]).columns) == list(TABLE_COLUMNS)
    with pytest.raises(InputError, match="expected MetricResult objects, got dict"):
        results_table([{"key": "x"}])


def test_format_p_one_formatter_for_every_p_value():
    from misyn_lab.metrics.result import format_p

    from misyn_lab.render.numbers import fmt_p

    assert format_p(None) == "p not reported" and format_p(float("nan")) == "p not reported"
    assert format_p(0.012345) == "p = 0.0123" == fmt_p(0.012345) and format_p(4e-9) == "p < 0.001"
    assert format_p(1 / 201, resamples=200) == "p ≤ 0.00498 (the smallest value 200 permutations can give)"
    assert format_p(2 / 201, resamples=200, tails=2) == "p ≤ 0.00995 (the smallest value 200 permutations can give)"
    assert format_p(3 / 201, resamples=200) == "p = 0.0149"
    r = MetricResult("mmd.rbf", 0.1, {"real": 3}, p_value=1 / 201, details={"permutations": 200}, split="held-out")
    assert str(r) == "mmd.rbf = 0.1 (p ≤ 0.00498 (the smallest value 200 permutations can give)) [held-out]"
    assert MetricResult.from_dict(r.to_dict()) == r


def test_with_split_records_the_split_and_refuses_unknown_ones():
    r = MetricResult("prdc.coverage", 0.5, {"real": 10, "synthetic": 12})
    assert r.with_split("held-out", n_real=4).n == {"real": 4, "synthetic": 12}
    with pytest.raises(InputError, match="unknown split 'test'"):
        r.with_split("test")
