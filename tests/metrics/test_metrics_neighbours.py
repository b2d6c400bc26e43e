"""Exact k-NN backends (faiss, NumPy) give the canonical answer, ties included; the certificate falls back to an
exact search where rounding could decide; approximate search only on request, with its recall reported."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from misyn_lab.errors import InputError
from misyn_lab.metrics import neighbours
from misyn_lab.metrics.knn import nearest_neighbours
from misyn_lab.metrics.neighbours import cross_nearest, exact_sq, knn_search, resolve_backend

BACKENDS = ["numpy", pytest.param("faiss", marks=pytest.mark.skipif(not neighbours.have_faiss(),
                                                                     reason='needs pip install "misyn-lab[scale]"'))]


def brute(q: np.ndarray, r: np.ndarray, k: int, exclude_self: bool) -> tuple[np.ndarray, np.ndarray]:
    """The canonical answer by definition: every pair's distance from its differences, (distance, index) order."""
    d = np.array([[exact_sq(q[i][None], r[j][None])[0] for j in range(len(r))] for i in range(len(q))])
    if exclude_self:
        np.fill_diagonal(d, np.inf)
    idx = np.array([np.lexsort((np.arange(len(r)), row))[:k] for row in d])
    return np.sqrt(np.take_along_axis(d, idx, axis=1)), idx


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 40), m=st.integers(3, 40), d=st.integers(1, 5),
       levels=st.integers(1, 3))
@pytest.mark.parametrize("backend", BACKENDS)
def test_lattices_full_of_ties_give_the_canonical_answer(backend, seed, n, m, d, levels):
    rng = np.random.default_rng(seed)
    q = rng.integers(0, levels + 1, (n, d)).astype(float)
    r = rng.integers(0, levels + 1, (m, d)).astype(float)
    k = int(rng.integers(1, min(4, m - 1) + 1))
    dist, idx, info = knn_search(q, r, k, backend=backend)
    bd, bi = brute(q, r, k, False)
    np.testing.assert_array_equal(idx, bi)
    np.testing.assert_array_equal(dist, bd)
    dist, idx, _ = knn_search(r, r, k, exclude_self=True, backend=backend)
    bd, bi = brute(r, r, k, True)
    np.testing.assert_array_equal(idx, bi)
    np.testing.assert_array_equal(dist, bd)
    ad, ai, bd1, bi1, _ = cross_nearest(q, r, backend=backend)
    np.testing.assert_array_equal(ai, brute(q, r, 1, False)[1][:, 0])
    np.testing.assert_array_equal(bi1, brute(r, q, 1, False)[1][:, 0])
    np.testing.assert_array_equal(ad, brute(q, r, 1, False)[0][:, 0])
    assert info.backend == backend and not info.approximate


@pytest.mark.skipif(not neighbours.have_faiss(), reason='needs pip install "misyn-lab[scale]"')
def test_backends_agree_bitwise_on_continuous_data():
    rng = np.random.default_rng(5)
    a, b = rng.standard_normal((1500, 24)) * 3 + 7, rng.standard_normal((1300, 24)) * 3 + 7
    for k in (1, 4):
        x = knn_search(a, b, k, backend="numpy")
        y = knn_search(a, b, k, backend="faiss")
        np.testing.assert_array_equal(x[0], y[0])
        np.testing.assert_array_equal(x[1], y[1])
    np.testing.assert_array_equal(nearest_neighbours(a, a, 2, exclude_self=True, backend="numpy")[1],
                                  nearest_neighbours(a, a, 2, exclude_self=True, backend="faiss")[1])
    fused = cross_nearest(a, b, backend="numpy")
    two = cross_nearest(a, b, backend="faiss")
    for u, v in zip(fused[:4], two[:4]):
        np.testing.assert_array_equal(u, v)


def test_certificate_falls_back_to_exact_rows_for_near_ties():
    """Points at distances differing by less than float32 resolution: the float32 candidates cannot decide, the
    rows are recomputed exactly and the lower index wins only on an exact tie."""
    base = np.zeros((1, 3))
    ref = np.array([[1.0, 0, 0], [1.0 + 1e-12, 0, 0], [0, 1.0, 0], [0, 0, 1.0 - 1e-13], [5, 5, 5]])
    dist, idx, info = knn_search(base, ref, 2, backend="numpy")
    assert idx.tolist() == [[3, 0]] and info.recertified_rows == 1
    np.testing.assert_array_equal(dist, brute(base, ref, 2, False)[0])


def test_small_memory_budget_gives_the_same_answer():
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((300, 6)), rng.standard_normal((280, 6))
    x = knn_search(a, b, 3, backend="numpy")
    y = knn_search(a, b, 3, backend="numpy", memory_budget=10_000)
    z = cross_nearest(a, b, backend="numpy", memory_budget=10_000)
    np.testing.assert_array_equal(x[1], y[1])
    np.testing.assert_array_equal(z[1], x[1][:, 0])


@pytest.mark.skipif(not neighbours.have_faiss(), reason='needs pip install "misyn-lab[scale]"')
def test_approximate_search_reports_measured_recall():
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((20, 8)) * 10  # clustered data, as image features are
    ref = centres[rng.integers(0, 20, 4000)] + rng.standard_normal((4000, 8))
    q = centres[rng.integers(0, 20, 1500)] + rng.standard_normal((1500, 8))
    dist, idx, info = knn_search(q, ref, 1, approximate=True)
    exact = knn_search(q, ref, 1)
    assert info.approximate and info.backend == "faiss-ivf" and info.recall_queries == 1000
    sample = np.sort(np.random.default_rng(0).choice(1500, 1000, replace=False))
    assert info.recall == pytest.approx(np.mean(dist[sample, 0] <= exact[0][sample, 0]))
    assert 0.5 < info.recall <= 1.0
    assert "APPROXIMATE" in info.describe() and "recall" in info.describe()
    np.testing.assert_array_equal(dist[:, 0], np.sqrt(exact_sq(q, ref[idx[:, 0]])))  # distances are exact


def test_backend_errors(monkeypatch):
    with pytest.raises(InputError, match="unknown k-NN backend 'gpu'"):
        resolve_backend("gpu")
    monkeypatch.setattr(neighbours, "have_faiss", lambda: False)
    assert resolve_backend("auto") == "numpy"
    with pytest.raises(InputError) as err:
        resolve_backend("faiss")
    assert str(err.value) == ("knn_backend: k-NN backend 'faiss' asked for but faiss is not installed (fix: pip "
                              'install "misyn-lab[scale]", or use knn_backend=\'numpy\')')
    with pytest.raises(InputError, match="approximate k-NN needs faiss"):
        knn_search(np.zeros((3, 2)), np.ones((4, 2)), 1, approximate=True)
    with pytest.raises(InputError, match="k = 4 but only 3 reference rows"):
        knn_search(np.zeros((3, 2)), np.ones((4, 2)), 4, exclude_self=True)
