"""MMD says how many rows entered the test, lets the user raise or drop the cap, and gives the same value and
p-value with the kernel computed in row blocks as with the whole kernel in memory."""

from __future__ import annotations

import pytest

from misyn_lab.errors import InputError
from misyn_lab.metrics import evaluate_all, mmd_rbf
from misyn_lab.metrics.distances import MMD_MAX_N


def test_subsample_is_stated_in_n_and_interpretation(rng):
    a, b = rng.standard_normal((300, 3)), rng.standard_normal((250, 3))
    res = mmd_rbf(a, b, permutations=0, max_n=100)
    assert res.n == {"real": 100, "synthetic": 100}
    assert res.details["subsampled"] is True and res.details["max_n"] == 100
    assert res.interpretation.endswith(
        "Tested on 100 of 300 real and 100 of 250 synthetic rows (a seeded random subsample; raise max_n to test "
        "more).")


def test_raising_the_cap_or_none_uses_every_row(rng):
    a, b = rng.standard_normal((300, 3)), rng.standard_normal((250, 3))
    for cap in (None, 300):
        res = mmd_rbf(a, b, permutations=0, max_n=cap)
        assert res.n == {"real": 300, "synthetic": 250} and res.details["subsampled"] is False
        assert res.interpretation.endswith("Tested on all 300 real and 250 synthetic rows.")
    assert MMD_MAX_N == 2000


def test_blocked_kernel_equals_dense(rng):
    a, b = rng.standard_normal((180, 4)), rng.standard_normal((150, 4)) + 0.15
    dense = mmd_rbf(a, b, permutations=60, seed=3)
    blocked = mmd_rbf(a, b, permutations=60, seed=3, memory_budget=20_000)
    assert dense.details["kernel"] == "dense" and blocked.details["kernel"] == "row blocks"
    assert blocked.value == pytest.approx(dense.value, rel=1e-10)
    assert blocked.p_value == dense.p_value
    no_test = mmd_rbf(a, b, permutations=0, memory_budget=20_000)
    assert no_test.value == pytest.approx(dense.value, rel=1e-10) and no_test.p_value is None


def test_evaluate_all_passes_the_cap(rng):
    a, b = rng.standard_normal((120, 3)), rng.standard_normal((130, 3))
    out = evaluate_all(a, b, permutations=0, detection=False, mmd_max_n=50)
    assert out["mmd.rbf"].n == {"real": 50, "synthetic": 50}


@pytest.mark.parametrize("bad", [1, 0, -5, 2.5, True])
def test_bad_cap(rng, bad):
    a, b = rng.standard_normal((30, 3)), rng.standard_normal((30, 3))
    with pytest.raises(InputError, match=f"max_n must be an integer >= 2 or None \\(every row\\), got {bad!r}"):
        mmd_rbf(a, b, permutations=0, max_n=bad)
