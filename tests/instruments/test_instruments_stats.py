"""Known-answer tests for the paired statistics (hand-computed values and independent implementations)."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest

from misyn_lab.errors import InputError
from misyn_lab.instruments import stats

# Hand example: differences b - a = [1, 2, 3, -4, 5, 6]; |d| ranks 1..6; T+ = 17, T- = 4.
A = np.zeros(6)
B = np.array([1.0, 2.0, 3.0, -4.0, 5.0, 6.0])


def test_wilcoxon_hand_example():
    res = stats.wilcoxon_signed_rank(A, B)
    # statistic = min(T+, T-) = 4; exact two-sided p = 2 * #{subsets of 1..6 with sum <= 4} / 2**6 = 2*7/64
    assert res.value == 4
    assert res.p_value == pytest.approx(14 / 64)
    assert res.details["rank_biserial"] == pytest.approx((17 - 4) / 21)
    assert res.key == "paired.wilcoxon" and res.n == {"pairs": 6}


def test_permutation_exact_hand_example():
    res = stats.paired_permutation_test(A, B, n_resamples=10000)
    # exact sign-flip test: |sum| >= 13 iff flipped magnitudes sum <= 4 or >= 17: 14 of 64 sign vectors
    assert res.details["exact"] is True
    assert res.value == pytest.approx(13 / 6)
    assert res.p_value == pytest.approx(14 / 64)


def test_effect_size_against_stdlib():
    res = stats.effect_size_paired(A, B)
    d = list(B - A)
    assert res.value == pytest.approx(statistics.mean(d) / statistics.stdev(d))
    assert res.details["rank_biserial"] == pytest.approx(13 / 21)
    assert res.details["label"] == "medium"  # 2.1667 / 3.4303 = 0.63


def test_bootstrap_percentile_matches_independent_numpy_bootstrap(paired_dice):
    a, b = paired_dice
    res = stats.paired_bootstrap_ci(a, b, n_boot=20000, method="percentile", seed=1)
    d = b - a
    assert res.value == pytest.approx(d.mean())
    rng = np.random.default_rng(123)
    boots = d[rng.integers(0, d.size, (20000, d.size))].mean(axis=1)
    low, high = np.quantile(boots, [0.025, 0.975])
    tol = 0.1 * d.std(ddof=1) / math.sqrt(d.size)
    assert res.ci[0] == pytest.approx(low, abs=tol) and res.ci[1] == pytest.approx(high, abs=tol)
    assert res.ci[0] < res.value < res.ci[1]


def test_bootstrap_bca_close_to_t_interval_and_seeded(paired_dice):
    a, b = paired_dice
    res = stats.paired_bootstrap_ci(a, b, n_boot=5000, seed=3)
    d = b - a
    half = 2.045 * d.std(ddof=1) / math.sqrt(d.size)  # t_{0.975, 29}
    assert res.ci[0] == pytest.approx(d.mean() - half, abs=0.3 * half)
    assert res.ci[1] == pytest.approx(d.mean() + half, abs=0.3 * half)
    assert stats.paired_bootstrap_ci(a, b, n_boot=5000, seed=3).ci == res.ci
    assert "excludes 0" in res.interpretation


def test_bootstrap_constant_difference_is_degenerate_point():
    res = stats.paired_bootstrap_ci([0.1, 0.2, 0.3], [0.2, 0.3, 0.4])
    assert res.ci == (pytest.approx(0.1), pytest.approx(0.1))


def test_holm_hand_example():
    res = stats.holm_correction([0.01, 0.04, 0.03, 0.005])
    # sorted 0.005*4=0.02, 0.01*3=0.03, 0.03*2=0.06, max(0.06, 0.04*1)=0.06
    assert res.adjusted == pytest.approx((0.03, 0.06, 0.06, 0.02))
    assert res.reject == (True, False, False, True)
    assert stats.holm_correction([0.5, 0.6]).adjusted == (1.0, 1.0)
    assert stats.holm_correction([0.01, 0.02, 0.03]).adjusted == pytest.approx((0.03, 0.04, 0.04))
    assert stats.holm_correction([]).adjusted == ()


@pytest.mark.parametrize("bad", [1.2, -0.1, float("nan")])
def test_holm_rejects_p_outside_unit_interval(bad):
    with pytest.raises(InputError, match=r"outside \[0, 1\]"):
        stats.holm_correction([0.01, bad])


def test_holm_rejects_non_numbers():
    with pytest.raises(InputError, match="not a number"):
        stats.holm_correction([0.01, "abc"])


@pytest.mark.parametrize("d_z, n, power", [(0.5, 34, 0.8078), (0.8, 15, 0.8213), (0.2, 199, 0.8017)])
def test_power_and_required_n_match_gpower(d_z, n, power):
    # G*Power 3.1, "Means: difference from constant (one sample / matched pairs)", two-tailed, alpha .05, power .80
    assert stats.required_n(d_z) == n
    assert stats.t_test_power(d_z, n) == pytest.approx(power, abs=5e-4)
    assert stats.t_test_power(d_z, n - 1) < 0.8


def test_power_at_zero_effect_is_alpha():
    assert stats.t_test_power(0.0, 12, alpha=0.05) == pytest.approx(0.05)
    assert stats.required_n(0.0) is None


def test_power_note_uses_the_planned_effect_never_the_observed_one():
    rng = np.random.default_rng(0)
    a = rng.normal(0.8, 0.05, 10)
    b = a + rng.normal(0.01, 0.03, 10)
    sd = float(np.std(b - a, ddof=1))
    res = stats.power_note(a, b, mid=0.02)
    assert res.details["d_planned"] == pytest.approx(0.02 / sd)
    assert res.value == pytest.approx(stats.t_test_power(0.02 / sd, 10))
    assert res.details["required_n"] == stats.required_n(0.02 / sd)
    assert res.interpretation.startswith("Only 10 pairs: a paired t-test has")
    assert "planned minimal important difference 0.0200" in res.interpretation and "preliminary" in res.interpretation
    # shifting b changes the observed effect, not the power at the planned one
    shifted = stats.power_note(a, b + 0.05, mid=0.02)
    assert shifted.value == pytest.approx(res.value)
    big = stats.power_note(np.tile(a, 3), np.tile(b, 3), mid=0.02)
    assert big.interpretation.startswith("With 30 pairs")
    none = stats.power_note(a, b)
    assert np.isnan(none.value) and none.details["required_n"] is None
    assert none.interpretation.startswith("No planned effect (minimal important difference) was given")
    with pytest.raises(InputError, match="mid must be a positive number, got -0.1"):
        stats.power_note(a, b, mid=-0.1)


def test_tost_paired_against_statsmodels_values(paired_dice):
    a, b = paired_dice
    wide = stats.tost_paired(a, b, margin=0.1)
    narrow = stats.tost_paired(a, b, margin=0.01)
    assert wide.value == pytest.approx(float(np.mean(b - a)))
    assert wide.p_value < 0.001 and narrow.p_value > 0.5  # the +0.03 shift is within 0.1, not within 0.01
    from statsmodels.stats.weightstats import ttost_paired

    assert wide.p_value == pytest.approx(ttost_paired(b, a, -0.1, 0.1)[0])
    with pytest.raises(InputError, match="the equivalence margin must be a positive number"):
        stats.tost_paired(a, b, 0)


def test_permutation_p_at_its_floor_prints_as_a_bound():
    a = np.zeros(30)
    b = np.linspace(0.5, 1.0, 30)
    res = stats.paired_permutation_test(a, b, n_resamples=199, seed=0)
    floor = "p ≤ 0.0100 (the smallest value 199 permutations can give)"  # two-sided: the floor is 2/(B+1)
    assert res.p_value == pytest.approx(2 / 200) and res.p_text == floor
    assert res.interpretation.endswith(f"over 30 pairs: {floor}.")
    one = stats.paired_permutation_test(a, b, n_resamples=199, seed=0, alternative="greater")
    assert one.p_value == pytest.approx(1 / 200)
    assert one.p_text == "p ≤ 0.00500 (the smallest value 199 permutations can give)"


@pytest.mark.parametrize("a, b, message", [
    ([0.1, 0.2, 0.3], [0.1, 0.2], "unequal lengths"),
    ([0.1, float("nan"), 0.3], [0.1, 0.2, 0.3], "NaN"),
    ([0.1], [0.2], "at least 2 pairs"),
    ([[0.1, 0.2]], [[0.1, 0.2]], "one-dimensional"),
])
@pytest.mark.parametrize("fn", [stats.paired_bootstrap_ci, stats.wilcoxon_signed_rank, stats.paired_permutation_test,
                                stats.effect_size_paired, stats.power_note])
def test_bad_paired_input(fn, a, b, message):
    with pytest.raises(InputError, match=message):
        fn(a, b)


def test_wilcoxon_all_zero_differences():
    with pytest.raises(InputError, match="every paired difference is zero"):
        stats.wilcoxon_signed_rank([0.5, 0.6], [0.5, 0.6])


def test_results_serialise(paired_dice):
    a, b = paired_dice
    summary = stats.paired_summary(a, b, n_boot=500, n_resamples=500)
    for r in summary.results():
        d = r.to_dict()
        assert d["key"].startswith("paired.") and d["interpretation"]


def test_bootstrap_falls_back_to_percentile_when_bca_undefined(monkeypatch, paired_dice):
    from types import SimpleNamespace

    a, b = paired_dice
    original = stats.stats.bootstrap

    def undefined_bca(*args, **kwargs):
        res = original(*args, **kwargs)
        if kwargs.get("method") == "percentile":
            return res
        return SimpleNamespace(confidence_interval=SimpleNamespace(low=float("nan"), high=float("nan")),
                               bootstrap_distribution=res.bootstrap_distribution,
                               standard_error=res.standard_error)

    monkeypatch.setattr(stats.stats, "bootstrap", undefined_bca)
    res = stats.paired_bootstrap_ci(a, b, n_boot=2000, seed=0)
    assert res.details["method"] == "percentile (fallback from BCa)"
    monkeypatch.undo()
    expected = stats.paired_bootstrap_ci(a, b, n_boot=2000, seed=0, method="percentile")
    assert res.ci == pytest.approx(expected.ci)
