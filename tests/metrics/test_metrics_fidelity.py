"""PRDC: known answers, agreement with the prdc package, bootstrap, warnings, invalid input, invariants."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from misyn_lab.errors import InputError
from misyn_lab.metrics import PRDC_KEYS, prdc
from tests.metrics.conftest import peer_prdc

NAMES = ("precision", "recall", "density", "coverage")


@pytest.mark.parametrize("k", [1, 5, 10])
def test_agrees_with_prdc_package(rng, k):
    real = rng.standard_normal((300, 16))
    fake = rng.standard_normal((260, 16)) * 1.2 + 0.25
    ours = prdc(real, fake, k).values()
    ref = peer_prdc(real, fake, k)
    for name in NAMES:
        assert abs(ours[name] - ref[name]) <= 1e-9, name


def test_agrees_with_prdc_on_ties_and_duplicates(rng):
    # integer lattice: many exact ties at the radius and duplicate points; arithmetic is exact in both
    real = rng.integers(-3, 4, (200, 3)).astype(float)
    fake = rng.integers(-3, 4, (180, 3)).astype(float)
    ours = prdc(real, fake, 5, chunk_size=13)
    ref = peer_prdc(real, fake, 5)
    for name in NAMES:
        assert abs(ours.values()[name] - ref[name]) <= 1e-9, name


def test_identical_sets_give_one(rng):
    x = rng.standard_normal((150, 6))
    res = prdc(x, x.copy(), 5)
    assert res.precision.value == 1.0
    assert res.recall.value == 1.0
    assert res.coverage.value == 1.0
    assert res.density.value >= 1.0  # each sample sits at least in its own ball (+ neighbours' balls)
    assert res.fake_inside_real.all() and res.real_covered.all()
    np.testing.assert_array_equal(res.fake_nearest_real, np.arange(150))
    assert np.all(res.fake_nearest_real_dist == 0)


def test_shift_lowers_precision_and_coverage(rng):
    real = rng.standard_normal((400, 5))
    same = rng.standard_normal((400, 5))
    shifted = rng.standard_normal((400, 5)) + 1.5
    a, b = prdc(real, same), prdc(real, shifted)
    assert b.precision.value < a.precision.value - 0.3
    assert b.coverage.value < a.coverage.value - 0.3
    assert b.density.value < a.density.value


def test_disjoint_sets_give_zero(rng):
    real = rng.standard_normal((100, 4))
    fake = rng.standard_normal((100, 4)) + 100
    res = prdc(real, fake, 3)
    assert res.values() == {"precision": 0.0, "recall": 0.0, "density": 0.0, "coverage": 0.0}


def test_result_shape_keys_and_serialisable(gauss_pair):
    real, fake = gauss_pair
    res = prdc(real, fake, 5, feature_set="toy")
    assert tuple(res.metrics) == PRDC_KEYS
    assert res["coverage"] is res.coverage and res["prdc.recall"] is res.recall
    assert res.fake_ball_count.shape == (280,) and res.real_covered.shape == (300,)
    assert res.precision.value == pytest.approx(res.fake_inside_real.mean())
    assert res.density.value == pytest.approx(res.fake_ball_count.mean() / 5)
    for m in res:
        d = m.to_dict()
        json.dumps(d)
        assert m.n == {"real": 300, "synthetic": 280}
        assert m.details["feature_set"] == "toy" and m.details["k"] == 5
        assert m.interpretation.endswith(".")


def test_small_n_and_duplicate_warnings(rng):
    real = rng.standard_normal((50, 3))
    real[:4] = real[0]  # 4 identical rows: radius 0 at k = 3
    res = prdc(real, rng.standard_normal((60, 3)), 3)
    joined = " ".join(res.warnings)
    assert "small sample (real 50, synthetic 60 < 1000)" in joined
    assert "4 real sample(s) have k-NN radius 0" in joined
    assert res.precision.details["warnings"] == res.warnings


def test_no_warning_for_large_clean_sets(rng):
    res = prdc(rng.standard_normal((1000, 4)), rng.standard_normal((1000, 4)), 5)
    assert res.warnings == []


def test_bootstrap_ci_contains_estimate_and_is_seeded(gauss_pair):
    real, fake = gauss_pair
    a = prdc(real, fake, 5, bootstrap=150, seed=3)
    b = prdc(real, fake, 5, bootstrap=150, seed=3)
    for name in NAMES:
        m = getattr(a, name)
        assert m.ci == getattr(b, name).ci
        assert m.ci[0] <= m.value <= m.ci[1], name
        assert m.ci[0] < m.ci[1]
        assert m.ci_level == 0.95
    assert "both sets" in a.density.details["bootstrap"]
    assert prdc(real, fake, 5).precision.ci is None


@pytest.mark.parametrize(
    ("real", "fake", "k", "message"),
    [
        (np.zeros((0, 3)), np.ones((5, 3)), 2, "real is empty (0 samples)"),
        (np.ones((5, 3)), np.zeros((0, 3)), 2, "synthetic is empty (0 samples)"),
        (np.ones((6, 3)), np.ones((6, 4)), 2, "real has 3 features but synthetic has 4"),
        (np.full((6, 2), np.nan), np.ones((6, 2)), 2, "real contains NaN or infinite values in 6 row(s)"),
        (np.ones((6, 2)), np.r_[np.ones((5, 2)), [[np.inf, 0]]], 2, "(first: row 5)"),
        (np.ones((5, 2)), np.ones((9, 2)), 5, "k = 5 must be smaller than the number of samples in real (5)"),
        (np.ones((9, 2)), np.ones((3, 2)), 5, "k = 5 must be smaller than the number of samples in synthetic (3)"),
        (np.ones(6), np.ones((6, 1)), 2, "real must be a 2-D feature matrix (n_samples, n_features), got 1-D"),
        (np.ones((6, 2)), np.ones((6, 2)), 0, "k must be at least 1, got 0"),
        (np.ones((6, 2)), np.ones((6, 2)), 2.5, "k must be a positive integer, got 2.5"),
        (np.array([["a", "b"]] * 6), np.ones((6, 2)), 2, "real could not be read as a numeric feature matrix"),
    ],
)
def test_invalid_input_messages(real, fake, k, message):
    with pytest.raises(InputError) as err:
        prdc(real, fake, k)
    assert message in str(err.value)
    assert "(fix: " in str(err.value)


def test_invalid_bootstrap_arguments(gauss_pair):
    real, fake = gauss_pair
    with pytest.raises(InputError, match="bootstrap must be a non-negative integer, got -1"):
        prdc(real, fake, bootstrap=-1)
    with pytest.raises(InputError, match="ci_level must be between 0 and 1, got 95"):
        prdc(real, fake, bootstrap=10, ci_level=95)


# ------------------------------------------------------------------------------------------ properties
def _lattice(n_min: int = 6, n_max: int = 30):
    """Small integer-valued matrices: exact arithmetic, so the properties must hold bit for bit (ties too)."""
    return st.integers(1, 3).flatmap(
        lambda d: st.tuples(
            arrays(np.float64, st.tuples(st.integers(n_min, n_max), st.just(d)), elements=st.integers(-3, 3)),
            arrays(np.float64, st.tuples(st.integers(n_min, n_max), st.just(d)), elements=st.integers(-3, 3)),
        )
    )


_settings = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_settings
@given(pair=_lattice(), k=st.integers(1, 5), seed=st.integers(0, 2**16))
def test_property_bounds_permutation_and_duality(pair, k, seed):
    real, fake = pair
    res = prdc(real, fake, k)
    v = res.values()
    for name in ("precision", "recall", "coverage"):
        assert 0.0 <= v[name] <= 1.0
    assert 0.0 <= v["density"] <= len(real) / k
    rng = np.random.default_rng(seed)
    shuffled = prdc(real[rng.permutation(len(real))], fake[rng.permutation(len(fake))], k).values()
    assert shuffled == pytest.approx(v, abs=1e-12)
    # precision(real, syn) == recall(syn, real): both are "share of syn inside real balls"
    swapped = prdc(fake, real, k)
    assert swapped.recall.value == v["precision"]
    assert swapped.precision.value == v["recall"]


@_settings
@given(pair=_lattice(n_min=6, n_max=20), k=st.integers(1, 4))
def test_property_matches_prdc_package(pair, k):
    real, fake = pair
    ours = prdc(real, fake, k, chunk_size=4).values()
    ref = peer_prdc(real, fake, k)
    for name in NAMES:
        assert abs(ours[name] - ref[name]) <= 1e-9
