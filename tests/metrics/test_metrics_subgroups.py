"""Per-subgroup metrics (one SubgroupFrame): missing and tiny subgroups, representation, overall, difference,
ratio, worst group, summary."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from misyn_lab.errors import InputError
from misyn_lab.metrics import SubgroupFrame, frechet_distance, prdc, subgroup_frame


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
    frame = subgroup_frame(real, real_meta, syn, syn_meta, "sex", k=5)
    table = frame.by_group
    rows = table.set_index("subgroup")
    assert set(rows.index) == {"F", "M", "X"}
    assert rows.loc["M", "coverage"] == 0.0 and rows.loc["M", "n_syn"] == 0
    assert rows.loc["M", "representation_ratio"] == 0.0
    assert "absent in synthetic" in rows.loc["M", "note"]
    assert rows.loc["F", "coverage"] > 0.8
    assert rows.loc["F", "representation_ratio"] == pytest.approx((300 / 310) / (200 / 300))
    assert np.isinf(rows.loc["X", "representation_ratio"]) and np.isnan(rows.loc["X", "coverage"])
    assert table.iloc[0]["subgroup"] == "M"  # worst first
    summary = frame.summary()
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
    frame = subgroup_frame(real, labels, syn, np.array(["a"] * 50 + ["b"] * 10), "site", k=5)
    table = frame.by_group.set_index("subgroup")
    assert np.isnan(table.loc["b", "coverage"]) and np.isnan(table.loc["b", "precision"])
    assert "too few real samples for k=5" in table.loc["b", "note"]
    assert not np.isnan(table.loc["b", "distance"])
    summary = frame.summary()
    assert summary["subgroup.coverage_min"].details["not_computed"] == ["b"]


@pytest.mark.parametrize("metric", ["mean_shift", "frechet", "mmd"])
def test_distance_per_subgroup_detects_distorted_group(rng, metric):
    real = rng.standard_normal((240, 3))
    syn = rng.standard_normal((240, 3))
    labels = np.array(["a", "b"] * 120)
    syn[labels == "b"] += 2.0
    table = subgroup_frame(real, labels, syn, labels, "g", metric=metric).by_group.set_index("subgroup")
    assert table.loc["b", "distance"] > 3 * table.loc["a", "distance"]
    assert table.loc["b", "coverage"] < table.loc["a", "coverage"]
    assert (table["distance_metric"] == metric).all()


def test_callable_metric_overall_difference_ratio_worst(rng):
    real = rng.standard_normal((100, 2))
    syn = rng.standard_normal((100, 2))
    labels = np.array(["a"] * 50 + ["b"] * 50)
    syn[labels == "b"] += 1.0

    def fd(r, s):
        return frechet_distance(r, s).value

    frame = subgroup_frame(real, labels, syn, labels, "g", metric=fd, k=5)
    assert isinstance(frame, SubgroupFrame) and frame.column == "g" and len(frame) == 2
    dist = frame.by_group.set_index("subgroup")["distance"]
    assert dist["a"] == pytest.approx(fd(real[:50], syn[:50]))
    assert frame.overall["distance"] == pytest.approx(fd(real, syn))
    assert frame.overall["coverage"] == pytest.approx(prdc(real, syn, 5).coverage.value)
    assert frame.overall["n_real"] == 100 and frame.overall["representation_ratio"] == 1.0
    assert frame.difference("distance") == pytest.approx(abs(dist["a"] - dist["b"]))
    assert frame.difference("distance", method="to_overall") == pytest.approx(
        max(abs(dist - frame.overall["distance"])))
    cov = frame.by_group.set_index("subgroup")["coverage"]
    assert frame.ratio("coverage") == pytest.approx(cov.min() / cov.max())
    assert frame.worst("distance").name == "b" and frame.worst("coverage").name == "b"
    assert frame.n.loc["a"].tolist() == [50, 50]


def test_frame_reads_refuse_unknown_names(skewed):
    frame = subgroup_frame(*skewed, "sex", k=5)
    with pytest.raises(InputError, match="no per-group metric 'dice'"):
        frame.difference("dice")
    with pytest.raises(InputError, match="unknown method 'max'"):
        frame.difference("coverage", method="max")
    assert frame.ratio("coverage") == 0.0  # M is not covered at all; X (synthetic only) has no coverage
    assert frame.worst("representation_ratio").name == "M"
    with pytest.raises(InputError, match="no subgroup has a finite precision"):
        subgroup_frame(*skewed, "sex", k=500).worst("precision")
def test_bad_inputs(skewed):
    real, real_meta, syn, syn_meta = skewed
    with pytest.raises(InputError, match="real_meta has no column 'age'"):
        subgroup_frame(real, real_meta, syn, syn_meta, "age")
    with pytest.raises(InputError, match="syn_meta gives 5 labels for 310 feature rows"):
        subgroup_frame(real, real_meta, syn, ["F"] * 5, "sex")
    with pytest.raises(InputError, match="unknown subgroup metric 'fid'"):
        subgroup_frame(real, real_meta, syn, syn_meta, "sex", metric="fid")
