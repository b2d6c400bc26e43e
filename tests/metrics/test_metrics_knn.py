"""k-NN utilities: exact thresholds, radii, chunked == unchunked, bounded blocks."""

from __future__ import annotations

import numpy as np
import pytest

from misyn_lab.errors import InputError
from misyn_lab.metrics import knn


def _brute_d(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1))


def test_strict_thresholds_reproduce_sqrt_comparison(rng):
    radii = np.abs(rng.standard_normal(2000)) * 10 ** rng.uniform(-3, 3, 2000)
    t = knn.strict_sq_thresholds(radii)
    # values just around each threshold: the squared-space test must equal the sqrt-space test
    probes = np.stack([np.nextafter(t, -np.inf), t, np.nextafter(t, np.inf), radii * radii], axis=1)
    for j in range(probes.shape[1]):
        via_sqrt = np.sqrt(np.maximum(probes[:, j], 0)) < radii
        via_sq = probes[:, j] < t
        assert np.array_equal(via_sqrt, via_sq)


def test_zero_radius_contains_nothing():
    t = knn.strict_sq_thresholds(np.array([0.0, 1.0]))
    assert t[0] == -np.inf
    assert not (np.array([-1e-18, 0.0]) < t[0]).any()


@pytest.mark.parametrize("method", ["blas", "sklearn"])
def test_radii_match_brute_force(rng, method):
    x = rng.standard_normal((60, 5))
    d = _brute_d(x, x)
    np.fill_diagonal(d, np.inf)
    for k in (1, 3, 7):
        expected = np.sort(d, axis=1)[:, k - 1]
        got = knn.kth_neighbour_radii(x, k, method=method)
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_radii_with_large_k_uses_partition_and_agrees(rng):
    x = rng.standard_normal((80, 3))
    d = _brute_d(x, x)
    np.fill_diagonal(d, np.inf)
    np.testing.assert_allclose(knn.kth_neighbour_radii(x, 20), np.sort(d, axis=1)[:, 19], rtol=1e-12)


def test_duplicates_give_zero_radius():
    x = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 0.0], [5.0, 5.0]])
    r = knn.kth_neighbour_radii(x, 1)
    assert r[0] == 0 and r[1] == 0 and r[2] == 1.0


@pytest.mark.parametrize("chunk", [1, 3, 17])
def test_chunked_equals_unchunked(rng, chunk):
    real = rng.standard_normal((90, 4))
    fake = rng.standard_normal((70, 4)) + 0.3
    rr, fr = knn.kth_neighbour_radii(real, 5), knn.kth_neighbour_radii(fake, 5)
    # a 1-row block is a matrix-vector product: rounding may differ in the last bit, never more
    np.testing.assert_allclose(knn.kth_neighbour_radii(real, 5, chunk_size=chunk), rr, rtol=1e-13)
    full = knn.cross_ball_stats(real, fake, rr, fr, chunk_size=10_000, n_threads=1)
    small = knn.cross_ball_stats(real, fake, rr, fr, chunk_size=chunk, n_threads=2)
    for name in ("fake_ball_count", "real_covered", "real_in_fake_balls", "fake_nearest_real"):
        assert np.array_equal(getattr(full, name), getattr(small, name)), name


@pytest.mark.parametrize("chunk", [1, 5])
def test_chunked_bitwise_equal_on_exact_arithmetic(rng, chunk):
    # small integer coordinates: every distance is exact, so chunking cannot change a single bit (ties included)
    real = rng.integers(-4, 5, (60, 3)).astype(float)
    fake = rng.integers(-4, 5, (50, 3)).astype(float)
    rr = knn.kth_neighbour_radii(real, 4)
    fr = knn.kth_neighbour_radii(fake, 4)
    assert np.array_equal(knn.kth_neighbour_radii(real, 4, chunk_size=chunk), rr)
    assert np.array_equal(knn.kth_neighbour_radii(real, 4, method="sklearn"), rr)
    a = knn.cross_ball_stats(real, fake, rr, fr, chunk_size=chunk)
    b = knn.cross_ball_stats(real, fake, rr, fr)
    d = _brute_d(fake, real)
    assert np.array_equal(a.fake_ball_count, b.fake_ball_count)
    assert np.array_equal(a.fake_ball_count, (d < rr[None, :]).sum(1))  # ties at the radius are excluded
    assert np.array_equal(a.real_in_fake_balls, b.real_in_fake_balls)


def test_cross_stats_match_dense_definition(rng):
    real = rng.standard_normal((50, 3))
    fake = rng.standard_normal((40, 3))
    rr, fr = knn.kth_neighbour_radii(real, 3), knn.kth_neighbour_radii(fake, 3)
    d = _brute_d(fake, real)  # fake × real
    st = knn.cross_ball_stats(real, fake, rr, fr, chunk_size=7)
    np.testing.assert_array_equal(st.fake_ball_count, (d < rr[None, :]).sum(1))
    np.testing.assert_array_equal(st.real_covered, d.min(0) < rr)
    np.testing.assert_array_equal(st.real_in_fake_balls, (d < fr[:, None]).any(0))
    np.testing.assert_array_equal(st.fake_nearest_real, d.argmin(1))
    np.testing.assert_allclose(st.fake_nearest_real_dist, d.min(1), rtol=1e-12)


def test_pairs_collected_for_bootstrap(rng):
    real = rng.standard_normal((30, 2))
    fake = rng.standard_normal((25, 2))
    rr = knn.kth_neighbour_radii(real, 2)
    st = knn.cross_ball_stats(real, fake, rr, None, chunk_size=4, collect_pairs=True)
    f_idx, r_idx = st.fake_in_real_pairs
    assert f_idx.size == st.fake_ball_count.sum()
    np.testing.assert_array_equal(np.bincount(f_idx, minlength=25), st.fake_ball_count)
    assert not st.real_in_fake_balls.any()  # no fake radii given


def test_pairs_dropped_when_too_many(rng):
    real = rng.standard_normal((30, 2))
    rr = knn.kth_neighbour_radii(real, 2)
    st = knn.cross_ball_stats(real, real, rr, rr, chunk_size=4, collect_pairs=True, max_pairs=3)
    assert st.fake_in_real_pairs is None


def test_nearest_neighbours_exact_and_exclude_self(rng):
    ref = rng.standard_normal((40, 6))
    q = ref[:5] + 1e-9
    dist, idx = knn.nearest_neighbours(q, ref, 2, chunk_size=3)
    assert list(idx[:, 0]) == [0, 1, 2, 3, 4]
    assert np.all(dist[:, 0] < 1e-8)  # exact recomputation, not BLAS rounding noise
    d_self, i_self = knn.nearest_neighbours(ref, ref, 1, exclude_self=True)
    d = _brute_d(ref, ref)
    np.fill_diagonal(d, np.inf)
    np.testing.assert_array_equal(i_self[:, 0], d.argmin(1))
    np.testing.assert_allclose(d_self[:, 0], d.min(1), rtol=1e-12)


def test_auto_chunk_size_respects_budget():
    assert knn.auto_chunk_size(10_000, memory_budget=256 * 2**20) * 10_000 * 12 <= 256 * 2**20
    assert knn.auto_chunk_size(10**9, memory_budget=1) == 1
    with pytest.raises(InputError, match="memory_budget must be positive"):
        knn.auto_chunk_size(10, memory_budget=0)
    with pytest.raises(InputError, match="chunk_size must be at least 1"):
        knn.kth_neighbour_radii(np.eye(5), 1, chunk_size=0)


def test_unknown_method():
    with pytest.raises(InputError, match="unknown k-NN method 'kd'"):
        knn.kth_neighbour_radii(np.eye(4), 1, method="kd")
