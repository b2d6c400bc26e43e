"""Statistics to settle a claim about paired results (e.g. per-case Dice with and without synthetic data).

Every test that scipy.stats or statsmodels has is taken from there; this module only validates the input, calls
the library, and packages the answer as a :class:`~misyn_lab.metrics.result.MetricResult` with a plain-language
interpretation. Power and sample size come from a **planned** effect — the minimal important difference (MID) —
with ``statsmodels.stats.power.TTestPower``, never from the observed effect (power at the observed effect only
restates the p-value). Equivalence is tested with TOST (``statsmodels.stats.weightstats.ttost_paired``). The
Holm step-down correction and the paired effect sizes are written out here because they are a few lines each and
are tested against hand-computed values.

Convention: ``a`` is the baseline (e.g. real data only), ``b`` the treatment (e.g. real + synthetic);
differences are ``b - a``, so a positive mean difference means ``b`` scored higher.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from misyn_lab.errors import InputError
from misyn_lab.metrics.result import MetricResult, build, check_ci_level, format_p
from misyn_lab.render.numbers import fmt_number, fmt_percent

#: Below this many pairs, :func:`power_note` words its sentence as a warning.
SMALL_N = 20


def _paired(a: Sequence[float], b: Sequence[float], *, min_n: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Validate two paired samples and return them as float arrays."""
    arrays = []
    for name, values in (("a", a), ("b", b)):
        try:
            arr = np.asarray(values, dtype=float)
        except (TypeError, ValueError) as exc:
            raise InputError(f"paired sample '{name}' is not numeric ({exc})",
                             remedy="pass one number per case") from None
        if arr.ndim != 1:
            raise InputError(f"paired sample '{name}' must be one-dimensional, got shape {arr.shape}",
                             remedy="pass one number per case")
        if not np.all(np.isfinite(arr)):
            bad = int(np.count_nonzero(~np.isfinite(arr)))
            raise InputError(f"paired sample '{name}' contains {bad} NaN/infinite value(s)",
                             remedy="drop the cases with missing results from BOTH samples and report how many")
        arrays.append(arr)
    a_arr, b_arr = arrays
    if a_arr.shape != b_arr.shape:
        raise InputError(f"paired samples have unequal lengths: a has {a_arr.size}, b has {b_arr.size}",
                         remedy="pair every case: the same cases, in the same order, in both samples")
    if a_arr.size < min_n:
        raise InputError(f"paired samples need at least {min_n} pairs, got {a_arr.size}",
                         remedy="collect more paired cases")
    return a_arr, b_arr


def _mean_diff(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(b - a, axis=axis)


def paired_bootstrap_ci(a: Sequence[float], b: Sequence[float], *, n_boot: int = 10000,
                        ci_level: float = 0.95, seed: int = 0, method: str = "BCa") -> MetricResult:
    """Mean paired difference ``mean(b - a)`` with a bootstrap CI (``scipy.stats.bootstrap``, ``paired=True``).

    When every difference is the same the bootstrap distribution is degenerate and the CI is that single value.

    Parameters
    ----------
    a, b : sequence of float
        Paired results: ``a`` the baseline, ``b`` the treatment, one pair per independent unit.
    n_boot : int, optional
        Bootstrap resamples.
    ci_level : float, optional
        Confidence level.
    seed : int, optional
        Seed of the resampling.
    method : {"BCa", "percentile", "basic"}, optional
        Interval method.

    Returns
    -------
    MetricResult
        Key ``paired.mean_difference`` with ``ci`` and ``n`` (pairs).

    Examples
    --------
    >>> a = [0.70, 0.72, 0.68, 0.75, 0.71, 0.69, 0.74, 0.73]   # baseline Dice, one per seed
    >>> b = [0.74, 0.75, 0.71, 0.80, 0.73, 0.72, 0.78, 0.77]   # with synthetic augmentation
    >>> diff = paired_bootstrap_ci(a, b, n_boot=2000)
    >>> round(diff.value, 3), [round(x, 3) for x in diff.ci]
    (0.035, [0.029, 0.04])
    """
    a_arr, b_arr = _paired(a, b)
    ci_level = check_ci_level(ci_level)
    if method not in ("BCa", "percentile", "basic"):
        raise InputError(f"unknown bootstrap method {method!r}", remedy="use 'BCa', 'percentile' or 'basic'")
    diff = b_arr - a_arr
    value = float(diff.mean())
    if np.ptp(diff) == 0:
        ci = (value, value)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=stats.DegenerateDataWarning)
            res = stats.bootstrap((a_arr, b_arr), _mean_diff, n_resamples=n_boot, paired=True,
                                  vectorized=True, confidence_level=ci_level, method=method,
                                  rng=np.random.default_rng(seed))
        ci = (float(res.confidence_interval.low), float(res.confidence_interval.high))
        if not all(math.isfinite(c) for c in ci) and method != "percentile":
            # BCa/basic can be undefined on tiny or tied samples: fall back to the percentile interval
            res = stats.bootstrap((a_arr, b_arr), _mean_diff, n_resamples=0, paired=True, vectorized=True,
                                  confidence_level=ci_level, method="percentile", bootstrap_result=res,
                                  rng=np.random.default_rng(seed))
            ci = (float(res.confidence_interval.low), float(res.confidence_interval.high))
            method = f"percentile (fallback from {method})"
    excludes_zero = not (ci[0] <= 0 <= ci[1])
    sentence = (f"Mean paired difference (b - a) = {fmt_number(value)}, {fmt_percent(ci_level)} {method} bootstrap "
                f"CI [{fmt_number(ci[0])}, {fmt_number(ci[1])}] over {a_arr.size} pairs; the CI "
                f"{'excludes' if excludes_zero else 'includes'} 0.")
    return build("paired.mean_difference", value, n={"pairs": int(a_arr.size)}, ci=ci,
                 ci_level=ci_level, interpretation=sentence,
                 details={"method": method, "n_boot": n_boot, "seed": seed,
                          "source": "scipy.stats.bootstrap(paired=True)"})


def wilcoxon_signed_rank(a: Sequence[float], b: Sequence[float], *,
                         alternative: str = "two-sided") -> MetricResult:
    """Wilcoxon signed-rank test of the paired differences ``b - a`` (``scipy.stats.wilcoxon``).

    Parameters
    ----------
    a, b : sequence of float
        Paired results: ``a`` the baseline, ``b`` the treatment, one pair per independent unit.
    alternative : {"two-sided", "greater", "less"}, optional
        Alternative hypothesis.

    Returns
    -------
    MetricResult
        Key ``paired.wilcoxon``: scipy's statistic with its p-value; the matched rank-biserial correlation is in
        ``details``.

    Examples
    --------
    >>> a = [0.70, 0.72, 0.68, 0.75, 0.71, 0.69, 0.74, 0.73]   # baseline Dice, one per seed
    >>> b = [0.74, 0.75, 0.71, 0.80, 0.73, 0.72, 0.78, 0.77]   # with synthetic augmentation
    >>> test = wilcoxon_signed_rank(a, b)
    >>> test.value, test.p_value
    (0.0, 0.0078125)
    """
    a_arr, b_arr = _paired(a, b)
    diff = b_arr - a_arr
    nonzero = int(np.count_nonzero(diff))
    if nonzero == 0:
        raise InputError("every paired difference is zero, the Wilcoxon test is undefined",
                         remedy="check that a and b are different results; there is nothing to test")
    res = stats.wilcoxon(b_arr, a_arr, alternative=alternative)
    p = float(res.pvalue)
    r_rb = _rank_biserial(diff)
    sentence = (f"Wilcoxon signed-rank test ({alternative}) on {a_arr.size} pairs ({nonzero} non-zero "
                f"differences): statistic = {fmt_number(float(res.statistic))}, {format_p(p)}; matched "
                f"rank-biserial r = {fmt_number(r_rb)}.")
    return build("paired.wilcoxon", float(res.statistic), n={"pairs": int(a_arr.size)},
                 p_value=p, interpretation=sentence,
                 details={"alternative": alternative, "nonzero_pairs": nonzero,
                          "rank_biserial": r_rb, "source": "scipy.stats.wilcoxon"})


def paired_permutation_test(a: Sequence[float], b: Sequence[float], *, n_resamples: int = 10000,
                            seed: int = 0, alternative: str = "two-sided") -> MetricResult:
    """Sign-flip permutation test of the mean paired difference (``scipy.stats.permutation_test``,
    ``permutation_type="samples"``). Exact when ``2**n <= n_resamples``.

    Parameters
    ----------
    a, b : sequence of float
        Paired results: ``a`` the baseline, ``b`` the treatment, one pair per independent unit.
    n_resamples : int, optional
        Permutations.
    seed : int, optional
        Seed.
    alternative : {"two-sided", "greater", "less"}, optional
        Alternative hypothesis.

    Returns
    -------
    MetricResult
        Key ``paired.permutation``: the mean difference with its p-value.

    Examples
    --------
    >>> a = [0.70, 0.72, 0.68, 0.75, 0.71, 0.69, 0.74, 0.73]   # baseline Dice, one per seed
    >>> b = [0.74, 0.75, 0.71, 0.80, 0.73, 0.72, 0.78, 0.77]   # with synthetic augmentation
    >>> test = paired_permutation_test(a, b, n_resamples=1000)
    >>> round(test.value, 3), test.p_value
    (0.035, 0.0078125)
    """
    a_arr, b_arr = _paired(a, b)
    res = stats.permutation_test((a_arr, b_arr), _mean_diff, permutation_type="samples", vectorized=True,
                                 n_resamples=n_resamples, alternative=alternative,
                                 rng=np.random.default_rng(seed))
    p = float(res.pvalue)
    exact = 2 ** a_arr.size <= n_resamples
    p_text = format_p(p, resamples=None if exact else n_resamples, tails=2 if alternative == "two-sided" else 1)
    sentence = (f"Paired permutation test ({alternative}, {'exact' if exact else f'{n_resamples} resamples'}) "
                f"of the mean difference {fmt_number(float(res.statistic))} over {a_arr.size} pairs: "
                f"{p_text}.")
    return build("paired.permutation", float(res.statistic), n={"pairs": int(a_arr.size)},
                 p_value=p, interpretation=sentence,
                 details={"alternative": alternative, "n_resamples": n_resamples, "seed": seed,
                          "exact": exact, "source": "scipy.stats.permutation_test(samples)"})


def _number(x: float) -> str:
    """A number in the house format; an infinite one (a zero spread) is said as such, not as a dash."""
    return fmt_number(x) if math.isfinite(x) else ("infinite" if x > 0 else "minus infinite")


def _rank_biserial(diff: np.ndarray) -> float:
    """Matched-pairs rank-biserial correlation (T+ - T-) / (T+ + T-), zero differences dropped."""
    d = diff[diff != 0]
    if d.size == 0:
        return 0.0
    ranks = stats.rankdata(np.abs(d))
    t_plus = float(ranks[d > 0].sum())
    t_minus = float(ranks[d < 0].sum())
    return (t_plus - t_minus) / (t_plus + t_minus)


def effect_size_paired(a: Sequence[float], b: Sequence[float]) -> MetricResult:
    """Cohen's d_z of paired results: ``mean(b - a) / sd(b - a)`` (ddof = 1).

    Parameters
    ----------
    a, b : sequence of float
        Paired results: ``a`` the baseline, ``b`` the treatment, one pair per independent unit.

    Returns
    -------
    MetricResult
        Key ``paired.cohens_dz``; the matched rank-biserial r is in ``details``.

    Examples
    --------
    >>> a = [0.70, 0.72, 0.68, 0.75, 0.71, 0.69, 0.74, 0.73]   # baseline Dice, one per seed
    >>> b = [0.74, 0.75, 0.71, 0.80, 0.73, 0.72, 0.78, 0.77]   # with synthetic augmentation
    >>> round(effect_size_paired(a, b).value, 2)
    3.78
    """
    a_arr, b_arr = _paired(a, b)
    diff = b_arr - a_arr
    sd = float(diff.std(ddof=1))
    mean = float(diff.mean())
    if sd == 0:
        d_z = 0.0 if mean == 0 else math.copysign(math.inf, mean)
    else:
        d_z = mean / sd
    r_rb = _rank_biserial(diff)
    size = abs(d_z)
    label = ("negligible" if size < 0.2 else "small" if size < 0.5 else "medium" if size < 0.8 else "large")
    sentence = (f"Paired effect size: Cohen's d_z = {_number(d_z)} ({label} by Cohen's conventions), matched "
                f"rank-biserial r = {fmt_number(r_rb)}, n = {a_arr.size} pairs.")
    return build("paired.cohens_dz", d_z, n={"pairs": int(a_arr.size)}, interpretation=sentence,
                 details={"rank_biserial": r_rb, "mean_difference": mean, "sd_difference": sd,
                          "label": label})


@dataclass(frozen=True)
class HolmResult:
    """Holm step-down adjusted p-values, in the input order."""

    pvalues: tuple[float, ...]
    adjusted: tuple[float, ...]
    reject: tuple[bool, ...]
    alpha: float

    def to_dict(self) -> dict:
        return {"pvalues": list(self.pvalues), "adjusted": list(self.adjusted),
                "reject": list(self.reject), "alpha": self.alpha}


def holm_correction(pvalues: Sequence[float], alpha: float = 0.05) -> HolmResult:
    """Holm (1979) step-down correction of m p-values.

    Sorted ascending, ``adj_(i) = max_{j <= i} min(1, (m - j + 1) * p_(j))`` (1-based ``j``); a hypothesis is
    rejected when its adjusted p-value is ``<= alpha``. Controls the family-wise error rate.

    Parameters
    ----------
    pvalues : sequence of float
        The p-values, in [0, 1].
    alpha : float, optional
        Family-wise error rate.

    Returns
    -------
    HolmResult
        ``pvalues``, ``adjusted`` and ``reject`` in the input order.

    Raises
    ------
    InputError
        A p-value outside [0, 1] or not finite.

    Examples
    --------
    >>> result = holm_correction([0.01, 0.04, 0.03])
    >>> result.adjusted, result.reject
    ((0.03, 0.06, 0.06), (True, False, False))
    """
    if not 0 < alpha < 1:
        raise InputError(f"alpha must be in (0, 1), got {alpha}", remedy="use e.g. 0.05")
    p = []
    for i, value in enumerate(pvalues):
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise InputError(f"p-value #{i} is not a number: {value!r}",
                             remedy="give every p-value as a number in [0, 1]") from None
        if not 0.0 <= v <= 1.0:  # also catches NaN
            raise InputError(f"p-value #{i} = {value!r} is outside [0, 1]",
                             remedy="a p-value is a probability; check how it was copied")
        p.append(v)
    m = len(p)
    if m == 0:
        return HolmResult((), (), (), alpha)
    order = sorted(range(m), key=lambda i: p[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, idx in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[idx]))
        adjusted[idx] = running
    return HolmResult(tuple(p), tuple(adjusted), tuple(a <= alpha for a in adjusted), alpha)


def t_test_power(d_z: float, n: int, alpha: float = 0.05) -> float:
    """Power of a two-sided paired (one-sample) t-test at effect ``d_z`` with ``n`` pairs
    (``statsmodels.stats.power.TTestPower``)."""
    from statsmodels.stats.power import TTestPower

    if n < 2:
        raise InputError(f"power needs at least 2 pairs, got {n}", remedy="collect more paired cases")
    return float(TTestPower().power(effect_size=float(d_z), nobs=int(n), alpha=alpha, alternative="two-sided"))


def required_n(d_z: float, alpha: float = 0.05, power: float = 0.8, max_n: int = 100000) -> int | None:
    """Smallest number of pairs giving ``power`` for a two-sided paired t-test at ``d_z``
    (``TTestPower.solve_power``, rounded up); ``None`` if the effect is zero or more than ``max_n`` pairs would
    be needed."""
    from statsmodels.stats.power import TTestPower

    if d_z == 0 or not math.isfinite(d_z):
        return None if d_z == 0 else 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        n = TTestPower().solve_power(effect_size=abs(float(d_z)), alpha=alpha, power=power, alternative="two-sided")
    n = int(math.ceil(float(np.asarray(n).item()) - 1e-9))
    while n > 2 and t_test_power(d_z, n - 1, alpha) >= power:  # solve_power's root may sit a hair above n
        n -= 1
    return None if n > max_n else max(n, 2)


def power_note(a: Sequence[float], b: Sequence[float], *, mid: float | None = None, alpha: float = 0.05,
               target_power: float = 0.8) -> MetricResult:
    """Power of a paired t-test at the **planned** effect ``mid``, and the pairs needed for ``target_power``.

    The planned standardised effect is ``mid / sd(b - a)`` (the MID in the data's unit, the spread of the
    differences from the data at hand). Without a MID nothing is computed (value NaN): power at the *observed*
    effect is a function of the p-value and adds nothing. The interpretation is worded as a warning with fewer than
    :data:`SMALL_N` pairs.

    Parameters
    ----------
    a, b : sequence of float
        Paired results: ``a`` the baseline, ``b`` the treatment, one pair per independent unit.
    mid : float, optional
        The minimal important difference, in the data's unit.
    alpha : float, optional
        Significance level.
    target_power : float, optional
        The power wanted.

    Returns
    -------
    MetricResult
        Key ``paired.t_power``: the power, with the pairs needed in ``details``.

    Examples
    --------
    >>> a = [0.70, 0.72, 0.68, 0.75, 0.71, 0.69, 0.74, 0.73]   # baseline Dice, one per seed
    >>> b = [0.74, 0.75, 0.71, 0.80, 0.73, 0.72, 0.78, 0.77]   # with synthetic augmentation
    >>> round(power_note(a, b, mid=0.02).value, 3)
    0.999
    """
    from statsmodels.stats.power import TTestPower  # noqa: F401  (named in details["source"])

    a_arr, b_arr = _paired(a, b)
    n = int(a_arr.size)
    sd = float((b_arr - a_arr).std(ddof=1))
    common = {"alpha": alpha, "target_power": target_power, "small_n": n < SMALL_N, "sd_difference": sd,
              "source": "statsmodels.stats.power.TTestPower (planned effect = MID)"}
    if mid is None:
        sentence = (f"No planned effect (minimal important difference) was given, so power is not computed: power "
                    f"at the observed effect only restates the p-value ({n} pairs).")
        return build("paired.t_power", float("nan"), n={"pairs": n},
                     interpretation=sentence, details={**common, "mid": None, "d_planned": None,
                                                       "required_n": None})
    mid = float(mid)
    if not (math.isfinite(mid) and mid > 0):
        raise InputError(f"mid must be a positive number, got {mid!r}", path="mid",
                         remedy="give the minimal important difference in the data's unit, e.g. 0.01")
    d_planned = math.inf if sd == 0 else mid / sd
    power = 1.0 if not math.isfinite(d_planned) else t_test_power(d_planned, n, alpha)
    need = 2 if not math.isfinite(d_planned) else required_n(d_planned, alpha, target_power)
    need_text = (f"no feasible number of pairs reaches {fmt_percent(target_power)} power" if need is None
                 else f"{need} pairs give {fmt_percent(target_power)} power")
    head = f"Only {n} pairs: a" if n < SMALL_N else f"With {n} pairs a"
    sentence = (f"{head} paired t-test has {fmt_percent(power)} power to detect the planned minimal important "
                f"difference {fmt_number(mid)} (standardised {_number(d_planned)} with the observed spread s.d. "
                f"{fmt_number(sd)}, alpha = {alpha}); {need_text}.")
    if n < SMALL_N:
        sentence += " Treat any 'significant' or 'no difference' statement from so few cases as preliminary."
    return build("paired.t_power", power, n={"pairs": n},
                 interpretation=sentence,
                 details={**common, "mid": mid, "d_planned": d_planned, "required_n": need})


def tost_paired(a: Sequence[float], b: Sequence[float], margin: float) -> MetricResult:
    """Two one-sided tests (TOST) that the mean paired difference ``b - a`` lies within ``(-margin, margin)``
    (``statsmodels.stats.weightstats.ttost_paired``). A small p-value shows equivalence within the margin.

    Parameters
    ----------
    a, b : sequence of float
        Paired results: ``a`` the baseline, ``b`` the treatment, one pair per independent unit.
    margin : float
        The equivalence margin (> 0), in the data's unit.

    Returns
    -------
    MetricResult
        Key ``paired.tost``: the mean difference with the TOST p-value.

    Raises
    ------
    InputError
        A margin that is not positive.

    Examples
    --------
    >>> a = [0.70, 0.72, 0.68, 0.75, 0.71, 0.69, 0.74, 0.73]   # baseline Dice, one per seed
    >>> b = [0.74, 0.75, 0.71, 0.80, 0.73, 0.72, 0.78, 0.77]   # with synthetic augmentation
    >>> tost = tost_paired(a, b, margin=0.1)
    >>> round(tost.value, 3), tost.p_value < 0.05
    (0.035, True)
    """
    from statsmodels.stats.weightstats import ttost_paired

    a_arr, b_arr = _paired(a, b)
    margin = float(margin)
    if not (math.isfinite(margin) and margin > 0):
        raise InputError(f"the equivalence margin must be a positive number, got {margin!r}", path="mid",
                         remedy="give the minimal important difference as the margin, e.g. 0.01")
    p, lower, upper = ttost_paired(b_arr, a_arr, -margin, margin)
    p = float(p)
    diff = float(np.mean(b_arr - a_arr))
    sentence = (f"TOST (paired t, margin +/-{fmt_number(margin)}) on {a_arr.size} pairs: mean difference "
                f"{fmt_number(diff)}, "
                f"{format_p(p)}; equivalence within the margin is {'shown' if p <= 0.05 else 'not shown'} at 0.05.")
    return build("paired.tost", diff, n={"pairs": int(a_arr.size)}, p_value=p,
                 interpretation=sentence,
                 details={"margin": margin, "p_lower": float(lower[1]), "p_upper": float(upper[1]),
                          "source": "statsmodels.stats.weightstats.ttost_paired"})


@dataclass(frozen=True)
class PairedSummary:
    """All paired statistics at once (what :func:`misyn_lab.instruments.claims.settle_claim` uses)."""

    bootstrap: MetricResult
    wilcoxon: MetricResult | None
    permutation: MetricResult
    effect: MetricResult
    power: MetricResult
    extra: dict = field(default_factory=dict)

    def results(self) -> list[MetricResult]:
        return [r for r in (self.bootstrap, self.wilcoxon, self.permutation, self.effect, self.power)
                if r is not None]


def paired_summary(a: Sequence[float], b: Sequence[float], *, n_boot: int = 10000, n_resamples: int = 10000,
                   ci_level: float = 0.95, seed: int = 0, alpha: float = 0.05,
                   mid: float | None = None) -> PairedSummary:
    """Bootstrap CI, Wilcoxon (``None`` if all differences are zero), permutation test, d_z and the power at the
    planned effect ``mid`` (:func:`power_note`)."""
    a_arr, b_arr = _paired(a, b)
    wil = wilcoxon_signed_rank(a_arr, b_arr) if np.any(b_arr != a_arr) else None
    return PairedSummary(
        bootstrap=paired_bootstrap_ci(a_arr, b_arr, n_boot=n_boot, ci_level=ci_level, seed=seed),
        wilcoxon=wil,
        permutation=paired_permutation_test(a_arr, b_arr, n_resamples=n_resamples, seed=seed),
        effect=effect_size_paired(a_arr, b_arr),
        power=power_note(a_arr, b_arr, mid=mid, alpha=alpha),
    )


__all__ = ["SMALL_N", "paired_bootstrap_ci", "wilcoxon_signed_rank", "paired_permutation_test", "effect_size_paired",
           "holm_correction", "t_test_power", "required_n", "power_note", "tost_paired", "PairedSummary",
           "paired_summary"]
