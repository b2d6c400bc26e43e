"""Fidelity and diversity: precision, recall, density and coverage (Naeem et al. 2020, the ``prdc`` definitions).

Same numbers as the ``prdc`` package (radius = distance to the k-th nearest *other* point, Euclidean, strict ``<``),
but computed in memory-bounded chunks, with per-sample output, warnings and optional bootstrap intervals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

import numpy as np

from misyn_lab.errors import InputError
from misyn_lab.metrics.knn import (
    DEFAULT_MEMORY_BUDGET,
    CrossBallStats,
    as_feature_matrix,
    check_k,
    check_same_dim,
    cross_ball_stats,
    kth_neighbour_radii,
)
from misyn_lab.metrics.result import MetricResult, build, check_ci_level, percentile_ci

#: Below this many real samples the prdc authors report density to be unstable.
SMALL_N = 1000
PRDC_KEYS = ("prdc.precision", "prdc.recall", "prdc.density", "prdc.coverage")


@dataclass(frozen=True)
class PRDCResult:
    """The four PRDC metrics plus per-sample detail.

    Attributes
    ----------
    precision, recall, density, coverage:
        :class:`MetricResult` with keys ``prdc.precision`` ... ``prdc.coverage``.
    fake_inside_real:
        Per synthetic sample: inside at least one real k-NN ball (counts towards precision).
    fake_ball_count:
        Per synthetic sample: number of real balls containing it (density = mean / k).
    real_covered:
        Per real sample: a synthetic sample lies inside its own k-NN ball (coverage).
    real_inside_fake:
        Per real sample: inside at least one synthetic k-NN ball (recall).
    fake_nearest_real, fake_nearest_real_dist:
        Per synthetic sample: index of, and distance to, its nearest real sample.
    real_radii, fake_radii:
        k-NN radii of each set.
    k:
        Neighbourhood size.
    warnings:
        Plain-language caveats (small N, duplicate points).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> res = prdc(rng.normal(size=(30, 2)), rng.normal(size=(30, 2)), k=3)
    >>> [m.key for m in res], res["coverage"] is res.coverage
    (['prdc.precision', 'prdc.recall', 'prdc.density', 'prdc.coverage'], True)
    """

    precision: MetricResult
    recall: MetricResult
    density: MetricResult
    coverage: MetricResult
    fake_inside_real: np.ndarray
    fake_ball_count: np.ndarray
    real_covered: np.ndarray
    real_inside_fake: np.ndarray
    fake_nearest_real: np.ndarray
    fake_nearest_real_dist: np.ndarray
    real_radii: np.ndarray
    fake_radii: np.ndarray
    k: int
    warnings: list[str] = field(default_factory=list)

    @property
    def metrics(self) -> dict[str, MetricResult]:
        """``{key: MetricResult}`` for the four metrics."""
        return {m.key: m for m in (self.precision, self.recall, self.density, self.coverage)}

    def values(self) -> dict[str, float]:
        """``{"precision": ..., "recall": ..., "density": ..., "coverage": ...}`` like ``prdc.compute_prdc``."""
        return {
            "precision": self.precision.value,
            "recall": self.recall.value,
            "density": self.density.value,
            "coverage": self.coverage.value,
        }

    def __getitem__(self, key: str) -> MetricResult:
        metrics = self.metrics
        if key in metrics:
            return metrics[key]
        full = f"prdc.{key}"
        if full in metrics:
            return metrics[full]
        raise KeyError(key)

    def __iter__(self) -> Iterator[MetricResult]:
        return iter(self.metrics.values())


def prdc(
    real: np.ndarray,
    synthetic: np.ndarray,
    k: int = 5,
    *,
    bootstrap: int = 0,
    seed: int = 0,
    ci_level: float = 0.95,
    chunk_size: int | None = None,
    memory_budget: int = DEFAULT_MEMORY_BUDGET,
    knn_method: str = "auto",
    feature_set: str | None = None,
) -> PRDCResult:
    """Precision, recall, density and coverage of ``synthetic`` against ``real`` feature matrices.

    Parameters
    ----------
    real, synthetic:
        Feature matrices ``N×D`` and ``M×D`` (finite floats, same ``D``, ``k < N`` and ``k < M``).
    k:
        Neighbourhood size (5 in the paper).
    bootstrap:
        Number of bootstrap resamples for percentile confidence intervals (0 = none). Both sets are resampled;
        the k-NN radii are kept at their full-sample values (a resample with repeated points would shrink them to
        0), and the ball memberships found in the single distance pass are reused, so each resample costs O(pairs).
    seed, ci_level, chunk_size, memory_budget:
        Bootstrap seed and confidence level; rows per distance block (default: from ``memory_budget`` bytes).
    knn_method, feature_set:
        ``"auto"``, ``"sklearn"`` or ``"blas"`` for the radii (:func:`kth_neighbour_radii`); the features' name.

    Returns
    -------
    PRDCResult
        The four results (``prdc.precision`` ... ``prdc.coverage``) and the per-sample memberships.

    Raises
    ------
    InputError
        For matrices that are not finite 2-D arrays of one width, ``k`` too large, or a bad bootstrap count.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> real, syn = rng.normal(size=(60, 3)), rng.normal(size=(50, 3))
    >>> res = prdc(real, syn, k=5)
    >>> {name: round(v, 3) for name, v in res.values().items()}
    {'precision': 0.9, 'recall': 1.0, 'density': 0.796, 'coverage': 0.9}
    >>> res.coverage.direction, res.coverage.n
    ('higher_is_better', {'real': 60, 'synthetic': 50})
    """
    real = as_feature_matrix(real, "real")
    synthetic = as_feature_matrix(synthetic, "synthetic")
    check_same_dim(real, synthetic, "real", "synthetic")
    k = check_k(k, real.shape[0], "real")
    check_k(k, synthetic.shape[0], "synthetic")
    _check_bootstrap(bootstrap, ci_level)

    opts = {"chunk_size": chunk_size, "memory_budget": memory_budget}
    real_radii = kth_neighbour_radii(real, k, method=knn_method, **opts)
    fake_radii = kth_neighbour_radii(synthetic, k, method=knn_method, **opts)
    stats = cross_ball_stats(real, synthetic, real_radii, fake_radii, collect_pairs=bootstrap > 0, **opts)
    warnings = prdc_warnings(real.shape[0], synthetic.shape[0], real_radii, fake_radii)
    values = prdc_values(stats, k)
    cis: dict[str, tuple[float, float]] = {}
    boot_note = None
    if bootstrap > 0:
        cis, boot_note = _bootstrap(stats, real.shape[0], synthetic.shape[0], k, bootstrap, seed, ci_level)
    n = {"real": int(real.shape[0]), "synthetic": int(synthetic.shape[0])}
    common = {"k": k, "warnings": list(warnings), "feature_set": feature_set}
    if boot_note:
        common["bootstrap"] = boot_note
    results = {name: build(f"prdc.{name}", values[name], n=n, ci=cis.get(name),
                           ci_level=ci_level if name in cis else None, details=dict(common), k=k)
               for name in ("precision", "recall", "density", "coverage")}
    return PRDCResult(**results, fake_inside_real=stats.fake_ball_count > 0, fake_ball_count=stats.fake_ball_count,
                      real_covered=stats.real_covered, real_inside_fake=stats.real_in_fake_balls,
                      fake_nearest_real=stats.fake_nearest_real, fake_nearest_real_dist=stats.fake_nearest_real_dist,
                      real_radii=real_radii, fake_radii=fake_radii, k=k, warnings=warnings)


def prdc_values(stats: CrossBallStats, k: int) -> dict[str, float]:
    """The four PRDC numbers from one :class:`CrossBallStats` pass."""
    return {
        "precision": float(np.mean(stats.fake_ball_count > 0)),
        "recall": float(np.mean(stats.real_in_fake_balls)),
        "density": float(np.mean(stats.fake_ball_count) / k),
        "coverage": float(np.mean(stats.real_covered)),
    }


def prdc_warnings(n_real: int, n_fake: int, real_radii: np.ndarray, fake_radii: np.ndarray) -> list[str]:
    """Plain-language caveats: small samples and duplicate points (radius 0)."""
    out = []
    if min(n_real, n_fake) < SMALL_N:
        out.append(
            f"small sample (real {n_real}, synthetic {n_fake} < {SMALL_N}): the prdc authors report density (and "
            "to a lesser degree the other three) to be unstable below about 1000 samples; report intervals"
        )
    for name, radii in (("real", real_radii), ("synthetic", fake_radii)):
        zero = int(np.count_nonzero(radii == 0))
        if zero:
            out.append(
                f"{zero} {name} sample(s) have k-NN radius 0 (at least k exact duplicates): their balls are empty, "
                "which lowers precision/coverage; remove duplicates or check the feature extractor"
            )
    return out


def _check_bootstrap(bootstrap: object, ci_level: float) -> None:
    if isinstance(bootstrap, bool) or not isinstance(bootstrap, (int, np.integer)) or bootstrap < 0:
        raise InputError(f"bootstrap must be a non-negative integer, got {bootstrap!r}", remedy="pass e.g. 200")
    check_ci_level(ci_level)


def _bootstrap(
    stats: CrossBallStats, n_real: int, n_fake: int, k: int, reps: int, seed: int, ci_level: float
) -> tuple[dict[str, tuple[float, float]], str]:
    """Percentile CIs from per-sample memberships, with the k-NN radii held at their full-sample values.

    Precision resamples the synthetic set, recall and coverage the real set (the set each one averages over).
    Resampling the reference set too would bias these "any ball" shares downward (a resample holds ~63 % of the
    distinct points, so balls go missing). Density resamples both sets: it counts balls with multiplicity, so the
    stored "fake inside real ball" pairs give an unbiased resample of the real set at O(pairs) per resample.
    """
    from scipy import sparse

    rng = np.random.default_rng(seed)
    samples = {name: np.empty(reps) for name in ("precision", "recall", "density", "coverage")}
    inside = (stats.fake_ball_count > 0).astype(float)
    cov = stats.real_covered.astype(float)
    rec = stats.real_in_fake_balls.astype(float)
    a = None
    if stats.fake_in_real_pairs is not None:
        f_idx, r_idx = stats.fake_in_real_pairs
        a = sparse.csr_matrix((np.ones(f_idx.size), (f_idx, r_idx)), shape=(n_fake, n_real))
    for b in range(reps):
        f = rng.integers(0, n_fake, n_fake)
        r = rng.integers(0, n_real, n_real)
        samples["precision"][b] = inside[f].mean()
        samples["coverage"][b] = cov[r].mean()
        samples["recall"][b] = rec[r].mean()
        if a is not None:
            w_real = np.bincount(r, minlength=n_real).astype(float)
            samples["density"][b] = (a @ w_real)[f].mean() / k
        else:
            samples["density"][b] = stats.fake_ball_count[f].mean() / k
    note = (
        f"{reps} bootstrap resamples, radii fixed at full-sample values; precision resamples synthetic, recall and "
        "coverage resample real, density resamples "
        + ("both sets" if a is not None else "synthetic only (memberships too dense to store)")
    )
    cis = {name: percentile_ci(vals, ci_level) for name, vals in samples.items()}
    return cis, note
