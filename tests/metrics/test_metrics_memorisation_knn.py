"""Memorisation's neighbour searches: every backend gives the same result as a brute-force reference, the fused
synthetic<->training pass included; approximate search is reported as such, with its recall."""

from __future__ import annotations

import numpy as np
import pytest

from misyn_lab.errors import InputError
from misyn_lab.metrics import memorisation
from misyn_lab.metrics.neighbours import have_faiss
from misyn_lab.render.numbers import fmt_number

BACKENDS = ["numpy", pytest.param("faiss", marks=pytest.mark.skipif(not have_faiss(),
                                                                     reason='needs pip install "misyn-lab[scale]"'))]


@pytest.fixture
def sets(rng):
    train = np.round(rng.standard_normal((220, 5)), 1)  # rounded: duplicates and tied distances
    train[10] = train[11]
    syn = np.concatenate([train[:30] + rng.normal(0, 1e-4, (30, 5)), np.round(rng.standard_normal((150, 5)), 1)])
    hold = np.round(rng.standard_normal((200, 5)), 1)
    return train, syn, hold


def _brute_nn(q: np.ndarray, r: np.ndarray, exclude_self: bool = False) -> tuple[np.ndarray, np.ndarray]:
    diff = q[:, None, :] - r[None, :, :]
    d = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
    if exclude_self:
        np.fill_diagonal(d, np.inf)
    idx = np.array([np.lexsort((np.arange(len(r)), row))[0] for row in d])
    return d[np.arange(len(q)), idx], idx


@pytest.mark.parametrize("backend", BACKENDS)
def test_backends_equal_brute_force(sets, backend):
    train, syn, hold = sets
    res = memorisation(train, syn, holdout_real=hold, knn_backend=backend)
    s_dist, s_idx = _brute_nn(syn, train)
    np.testing.assert_array_equal(res.syn_nearest_train, s_idx)
    np.testing.assert_allclose(res.syn_nearest_train_dist, s_dist, rtol=1e-15, atol=0)
    np.testing.assert_allclose(res.train_nearest_syn_dist, _brute_nn(train, syn)[0], rtol=1e-15, atol=0)
    np.testing.assert_allclose(res.train_nn_dist, _brute_nn(train, train, True)[0], rtol=1e-15, atol=0)
    typical = float(np.median(_brute_nn(train, train, True)[0]))
    assert res["copy_rate"].value == np.mean(s_dist / typical < res.threshold)
    assert res["copy_rate"].value >= 30 / 180  # the 30 planted near-copies at least
    knn = res["copy_rate"].details["knn"]
    assert knn["backends"] == [backend] and knn["approximate"] is False and knn["recall"] is None
    assert "APPROXIMATE" not in res["copy_rate"].interpretation


@pytest.mark.skipif(not have_faiss(), reason='needs pip install "misyn-lab[scale]"')
def test_all_backends_give_identical_results(sets):
    train, syn, hold = sets
    a = memorisation(train, syn, holdout_real=hold, knn_backend="numpy")
    b = memorisation(train, syn, holdout_real=hold, knn_backend="faiss")
    for field in ("syn_nearest_train", "syn_nearest_train_dist", "ratio", "is_copy", "train_nn_dist",
                  "train_nearest_syn_dist", "train_copied"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert {k: v.value for k, v in a.metrics.items()} == {k: v.value for k, v in b.metrics.items()}


@pytest.mark.skipif(not have_faiss(), reason='needs pip install "misyn-lab[scale]"')
def test_approximate_search_is_declared_with_its_recall(rng):
    centres = rng.standard_normal((15, 6)) * 8
    train = centres[rng.integers(0, 15, 3000)] + rng.standard_normal((3000, 6))
    syn = np.concatenate([train[:100] + 1e-4, centres[rng.integers(0, 15, 1400)] + rng.standard_normal((1400, 6))])
    res = memorisation(train, syn, approximate=True, seed=3)
    knn = res["copy_rate"].details["knn"]
    assert knn["approximate"] is True and knn["backends"] == ["faiss-ivf"] and 0 < knn["recall"] <= 1
    assert knn["recall_queries"] == 3000  # 1,000 sampled queries in each of the three searches
    text = res["copy_rate"].interpretation
    assert f"APPROXIMATELY (recall {fmt_number(knn['recall'])}" in text and "some copies may be missed" in text
    assert "APPROXIMATELY" in res["identifiability"].interpretation


def test_bad_backend_is_an_input_error(sets):
    train, syn, _ = sets
    with pytest.raises(InputError, match="unknown k-NN backend 'cuda'"):
        memorisation(train, syn, knn_backend="cuda")
