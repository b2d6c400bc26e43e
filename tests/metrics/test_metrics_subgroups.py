"""Per-subgroup metrics: missing and tiny subgroups, representation, summary, GroupFrame."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from misyn_lab.errors import InputError
from misyn_lab.metrics import GroupFrame, by_subgroup, frechet_distance, subgroup_summary


@pytest.fixture
def skewed(rng):
    """Real: 200 F + 100 M (M shifted); synthetic: 300 F only, plus one synthetic-only group."""
    real = np.r_[rng.standard_normal((200, 4)), rng.standard_normal((100, 4)) + 3]
    real_meta = pd.DataFrame({"sex": ["F"] * 200 + ["M"] * 100})
    syn = np.r_[rng.standard_normal((300, 4)), rng.standard_normal((10, 4))]
    syn_meta = pd.DataFrame({"sex": ["F"] * 300 + ["X"] * 10})
    return real, real_meta, syn, syn_meta


def test_missing_subgroup_gets_zero_coverage(skewed):
    real, real_meta, syn, syn_meta = skewed
    table = by_subgroup(real, real_meta, syn, syn_meta, "sex", k=5)
    rows = table.set_index("subgroup")
    assert set(rows.index) == {"F", "M", "X"}
    assert rows.loc["M", "coverage"] == 0.0 and rows.loc["M", "n_syn"] == 0
    assert rows.loc["M", "representation_ratio"] == 0.0
    assert "absent in synthetic" in rows.loc["M", "note"]
    assert rows.loc["F", "coverage"] > 0.8
    assert rows.loc["F", "representation_ratio"] == pytest.approx((300 / 310) / (200 / 300))
    assert np.isinf(rows.loc["X", "representation_ratio"]) and np.isnan(rows.loc["X", "coverage"])
    assert table.iloc[0]["subgroup"] == "M"  # worst first
    summary = subgroup_summary(table)
    cov = summary["subgroup.coverage_min"]
    assert cov.value == 0.0 and cov.details["worst_subgroup"] == "M" and "'M'" in cov.interpretation
    rep = summary["subgroup.representation_ratio_min"]
    assert rep.value == 0.0 and rep.details["worst_subgroup"] == "M"
    for m in summary.values():
        json.dumps(m.to_dict())


def test_tiny_subgroup_gives_nan_with_note(rng):
    real = rng.standard_normal((60, 3))
    labels = np.array(["a"] * 57 + ["b"] * 3)
    syn = rng.standard_normal((60, 3))
    table = by_subgroup(real, labels, syn, np.array(["a"] * 50 + ["b"] * 10), "site", k=5).set_index("subgroup")
    assert np.isnan(table.loc["b", "coverage"]) and np.isnan(table.loc["b", "precision"])
    assert "too few real samples for k=5" in table.loc["b", "note"]
    assert not np.isnan(table.loc["b", "distance"])
    summary = subgroup_summary(table.reset_index(), "site")
    assert summary["subgroup.coverage_min"].details["not_computed"] == ["b"]


@pytest.mark.parametrize("metric", ["mean_shift", "frechet", "mmd"])
def test_distance_per_subgroup_detects_distorted_group(rng, metric):
    real = rng.standard_normal((240, 3))
    syn = rng.standard_normal((240, 3))
    labels = np.array(["a", "b"] * 120)
    syn[labels == "b"] += 2.0
    table = by_subgroup(real, labels, syn, labels, "g", metric=metric).set_index("subgroup")
    assert table.loc["b", "distance"] > 3 * table.loc["a", "distance"]
    assert table.loc["b", "coverage"] < table.loc["a", "coverage"]
    assert (table["distance_metric"] == metric).all()


def test_callable_metric_and_group_frame(rng):
    real = rng.standard_normal((100, 2))
    syn = rng.standard_normal((100, 2))
    labels = np.array(["a"] * 50 + ["b"] * 50)

    def fd(r, s):
        return frechet_distance(r, s).value

    table = by_subgroup(real, labels, syn, labels, "g", metric=fd)
    gf = GroupFrame(fd, real, labels, syn, labels)
    assert gf.overall == pytest.approx(fd(real, syn))
    assert gf.by_group["a"] == pytest.approx(table.set_index("subgroup").loc["a", "distance"])
    assert gf.difference() == pytest.approx(abs(gf.by_group["a"] - gf.by_group["b"]))


def test_bad_inputs(skewed):
    real, real_meta, syn, syn_meta = skewed
    with pytest.raises(InputError, match="real_meta has no column 'age'"):
        by_subgroup(real, real_meta, syn, syn_meta, "age")
    with pytest.raises(InputError, match="syn_meta gives 5 labels for 310 feature rows"):
        by_subgroup(real, real_meta, syn, ["F"] * 5, "sex")
    with pytest.raises(InputError, match="unknown subgroup metric 'fid'"):
        by_subgroup(real, real_meta, syn, syn_meta, "sex", metric="fid")
