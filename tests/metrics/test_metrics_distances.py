"""Fréchet, MMD with permutation test, per-feature shift."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from misyn_lab.errors import InputError
from misyn_lab.metrics import feature_shift, frechet_distance, ks_max, mmd_rbf


def test_frechet_identical_is_zero(rng):
    x = rng.standard_normal((200, 5))
    res = frechet_distance(x, x.copy(), feature_set="texture")
    assert res.value == pytest.approx(0.0, abs=1e-8)
    assert res.key == "frechet" and res.direction == "lower_is_better"
    assert res.details["feature_set"] == "texture"
    assert "texture" in res.interpretation
    json.dumps(res.to_dict())


def test_frechet_known_mean_shift(rng):
    # same covariance, means shifted by 0.5 in each of 4 dims -> distance = 4 * 0.25 = 1 (up to sampling)
    base = rng.standard_normal((4000, 4))
    res = frechet_distance(base, base + 0.5)
    assert res.value == pytest.approx(1.0, abs=1e-6)
    assert res.details["mean_term"] == pytest.approx(1.0, abs=1e-9)


def test_frechet_known_scale_change():
    # N(0, I) vs N(0, 4I) in d dims: Tr(I + 4I - 2*2I) = d
    rng = np.random.default_rng(0)
    a = rng.standard_normal((20000, 3))
    res = frechet_distance(a, 2 * rng.standard_normal((20000, 3)))
    assert res.value == pytest.approx(3.0, rel=0.05)


def test_frechet_grows_with_shift(rng):
    a = rng.standard_normal((300, 6))
    values = [frechet_distance(a, rng.standard_normal((300, 6)) + s).value for s in (0.0, 0.5, 1.0)]
    assert values[0] < values[1] < values[2]


def test_frechet_bootstrap_and_small_sample_warning(rng):
    a, b = rng.standard_normal((120, 3)), rng.standard_normal((100, 3)) + 0.4
    res = frechet_distance(a, b, bootstrap=100, seed=1)
    assert res.ci[0] < res.value < res.ci[1]
    assert res.ci == frechet_distance(a, b, bootstrap=100, seed=1).ci
    warn = frechet_distance(rng.standard_normal((5, 8)), rng.standard_normal((5, 8))).details["warning"]
    assert "fewer samples than features (5 <= 8)" in warn


def test_frechet_singular_covariance_is_noted_not_warned(rng, recwarn):
    a = np.c_[rng.standard_normal((50, 2)), np.zeros(50)]  # constant third feature
    b = np.c_[rng.standard_normal((50, 2)), np.zeros(50)]
    res = frechet_distance(a, b)
    assert np.isfinite(res.value) and res.value >= 0
    assert "singular" in res.details["singular"]
    assert not [w for w in recwarn if "singular" in str(w.message).lower()]


def test_frechet_needs_two_rows():
    with pytest.raises(InputError, match="real has 1 samples but at least 2 are needed"):
        frechet_distance(np.ones((1, 3)), np.ones((4, 3)))


def test_mmd_same_distribution_not_significant(rng):
    a, b = rng.standard_normal((150, 4)), rng.standard_normal((150, 4))
    res = mmd_rbf(a, b, permutations=200, seed=0)
    assert res.p_value > 0.05
    assert abs(res.value) < 0.02
    same = mmd_rbf(a, a.copy(), permutations=200)
    assert same.p_value > 0.5 and same.value <= 0
    assert "does not find a significant difference" in res.interpretation


def test_mmd_shift_significant_and_growing(rng):
    a = rng.standard_normal((150, 4))
    small = mmd_rbf(a, rng.standard_normal((150, 4)) + 0.5, permutations=200)
    large = mmd_rbf(a, rng.standard_normal((150, 4)) + 1.5, permutations=200)
    assert small.p_value < 0.01 and large.p_value < 0.01
    assert 0 < small.value < large.value
    assert small.p_value == pytest.approx(1 / 201)
    assert "significant (p < 0.05)" in large.interpretation


def test_mmd_subsamples_large_sets_with_note(rng):
    a, b = rng.standard_normal((300, 3)), rng.standard_normal((250, 3))
    res = mmd_rbf(a, b, permutations=0, max_n=100)
    assert res.n == {"real": 100, "synthetic": 100}
    assert res.details["n_full"] == {"real": 300, "synthetic": 250}
    assert res.details["notes"] == ["real subsampled from 300 to 100 rows", "synthetic subsampled from 250 to 100 rows"]
    assert res.p_value is None


def test_mmd_unbiased_estimator_matches_direct_formula(rng):
    a, b = rng.standard_normal((30, 2)), rng.standard_normal((25, 2)) + 0.3
    sigma = 1.3
    res = mmd_rbf(a, b, bandwidth=sigma, permutations=0)

    def k(x, y):
        d2 = ((x[:, None] - y[None]) ** 2).sum(-1)
        return np.exp(-d2 / (2 * sigma**2))

    kxx, kyy, kxy = k(a, a), k(b, b), k(a, b)
    n, m = len(a), len(b)
    expected = (kxx.sum() - n) / (n * (n - 1)) + (kyy.sum() - m) / (m * (m - 1)) - 2 * kxy.mean()
    assert res.value == pytest.approx(expected, rel=1e-10)
    assert res.details["bandwidth"] == sigma


def test_mmd_bad_arguments(rng):
    a = rng.standard_normal((10, 2))
    with pytest.raises(InputError, match="unknown bandwidth 'silverman'"):
        mmd_rbf(a, a, bandwidth="silverman")
    with pytest.raises(InputError, match="bandwidth must be a positive number, got -1"):
        mmd_rbf(a, a, bandwidth=-1)
    with pytest.raises(InputError, match="permutations must be a non-negative integer"):
        mmd_rbf(a, a, permutations=-5)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), shift=st.floats(0, 2))
def test_property_symmetry(seed, shift):
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal((40, 3)), rng.standard_normal((35, 3)) + shift
    assert frechet_distance(a, b).value == pytest.approx(frechet_distance(b, a).value, rel=1e-7, abs=1e-9)
    assert mmd_rbf(a, b, permutations=0).value == pytest.approx(mmd_rbf(b, a, permutations=0).value, abs=1e-12)
    perm = rng.permutation(len(a))
    assert frechet_distance(a[perm], b).value == pytest.approx(frechet_distance(a, b).value, rel=1e-7, abs=1e-9)
    assert mmd_rbf(a[perm], b, permutations=0).value == pytest.approx(
        mmd_rbf(a, b, permutations=0).value, abs=1e-12
    )


def test_feature_shift_ranks_shifted_feature_first(rng):
    a = rng.standard_normal((300, 3))
    b = rng.standard_normal((300, 3))
    b[:, 1] += 1.0
    table = feature_shift(a, b, ["mean", "contrast", "entropy"])
    assert list(table.columns[:5]) == ["feature", "ks_statistic", "ks_p_value", "wasserstein", "smd"]
    assert table.loc[0, "feature"] == "contrast"
    assert table["ks_statistic"].is_monotonic_decreasing
    assert table.loc[0, "smd"] == pytest.approx(1.0, abs=0.2)
    assert table.loc[0, "wasserstein"] == pytest.approx(1.0, abs=0.2)
    assert table.loc[0, "ks_p_value"] < 1e-10
    summary = ks_max(a, b, ["mean", "contrast", "entropy"])
    assert summary.key == "ks.max" and summary.details["feature"] == "contrast"
    assert summary.value == table.loc[0, "ks_statistic"]
    assert summary.p_value == pytest.approx(min(1.0, table.loc[0, "ks_p_value"] * 3))
    json.dumps(summary.to_dict())


def test_feature_shift_constant_feature_and_names_error():
    a = np.c_[np.ones(20), np.arange(20.0)]
    b = np.c_[np.ones(20), np.arange(20.0)]
    table = feature_shift(a, b)
    assert set(table["feature"]) == {"f0", "f1"}
    assert (table["smd"] == 0).all() and (table["ks_statistic"] == 0).all()
    with pytest.raises(InputError, match="feature_names has 3 names but the matrices have 2 features"):
        feature_shift(a, b, ["a", "b", "c"])


def test_frechet_details_report_the_unclipped_terms(rng):
    x = rng.standard_normal((40, 6))
    same = frechet_distance(x, x.copy())
    d = same.details
    assert same.value == max(d["mean_term"] + d["covariance_term"], 0.0) and d["mean_term"] == 0.0
    assert abs(d["covariance_term"]) < 1e-6  # rounding only, and not forced to be >= 0 by the clip
    shifted = frechet_distance(x, x * 2.0 + 1.0)
    d = shifted.details
    assert d["mean_term"] == pytest.approx(float(np.sum((x.mean(axis=0) + 1.0) ** 2)))
    assert shifted.value == pytest.approx(d["mean_term"] + d["covariance_term"]) and d["covariance_term"] > 0


def test_standardised_mean_difference_constant_columns():
    from misyn_lab.metrics.distances import standardised_mean_difference

    real = np.array([[0.0, 1.0, 2.0], [2.0, 1.0, 2.0]])
    syn = np.array([[1.0, 1.0, 3.0], [3.0, 1.0, 3.0]])
    np.testing.assert_array_equal(standardised_mean_difference(real, syn), [1.0, 0.0, np.inf])
    np.testing.assert_array_equal(standardised_mean_difference(real, syn, constant_sd=1.0), [1.0, 0.0, 1.0])
    table = feature_shift(real, syn, ["a", "b", "c"]).set_index("feature")
    assert table.loc["a", "smd"] == 1.0 and table.loc["c", "smd"] == np.inf
