"""Distribution distances between real and synthetic feature matrices.

* :func:`frechet_distance` — Gaussian Fréchet distance ("FID" when the features come from Inception; here any
  feature set, named in ``details`` because the number means nothing without it);
* :func:`mmd_rbf` — unbiased MMD² with an RBF kernel (median-heuristic bandwidth) and a permutation-test p-value;
* :func:`feature_shift` / :func:`ks_max` — per-feature KS, Wasserstein-1 and standardised mean difference.
"""

from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np
import pandas as pd

from misyn_lab.errors import InputError
from misyn_lab.metrics.knn import as_feature_matrix, check_same_dim, sq_norms
from misyn_lab.metrics.result import MetricResult, build, check_ci_level, percentile_ci


def _pair(real: object, synthetic: object, min_rows: int = 1) -> tuple[np.ndarray, np.ndarray]:
    r = as_feature_matrix(real, "real", min_rows=min_rows)
    s = as_feature_matrix(synthetic, "synthetic", min_rows=min_rows)
    check_same_dim(r, s, "real", "synthetic")
    return r, s


# ------------------------------------------------------------------------------------------------------ Fréchet
def frechet_terms(
    mu1: np.ndarray, cov1: np.ndarray, mu2: np.ndarray, cov2: np.ndarray
) -> tuple[float, float, float, bool]:
    """The two unclipped terms of the Fréchet distance, the discarded imaginary part of ``sqrtm`` and a
    singular flag: ``(‖μ1 − μ2‖², Tr(Σ1 + Σ2 − 2 (Σ1 Σ2)^½), imaginary, singular)``.

    A tiny ridge is added when the product's square root is not finite and imaginary parts from rounding
    are dropped; the covariance term may come out slightly negative from rounding. The flag is True when
    scipy reported the covariance product as singular (the value may then be inaccurate).
    """
    from scipy import linalg

    diff = mu1 - mu2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", linalg.LinAlgWarning)
        covmean = linalg.sqrtm(cov1 @ cov2)
        if not np.isfinite(covmean).all():
            offset = np.eye(cov1.shape[0]) * 1e-6
            covmean = linalg.sqrtm((cov1 + offset) @ (cov2 + offset))
    singular = any(issubclass(w.category, linalg.LinAlgWarning) for w in caught)
    imag = 0.0
    if np.iscomplexobj(covmean):
        imag = float(np.max(np.abs(covmean.imag))) if covmean.size else 0.0
        covmean = covmean.real
    mean_term = float(diff @ diff)
    cov_term = float(np.trace(cov1) + np.trace(cov2) - 2.0 * np.trace(covmean))
    return mean_term, cov_term, imag, singular


def gaussian_frechet(
    mu1: np.ndarray, cov1: np.ndarray, mu2: np.ndarray, cov2: np.ndarray
) -> tuple[float, float, bool]:
    """Fréchet distance between two Gaussians (the sum of :func:`frechet_terms`, clipped at 0), the
    discarded imaginary part of ``sqrtm``, and a singular flag."""
    mean_term, cov_term, imag, singular = frechet_terms(mu1, cov1, mu2, cov2)
    return max(mean_term + cov_term, 0.0), imag, singular


def _moments(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return x.mean(axis=0), np.atleast_2d(np.cov(x, rowvar=False))


def frechet_distance(
    real: np.ndarray,
    synthetic: np.ndarray,
    *,
    feature_set: str | None = None,
    bootstrap: int = 0,
    seed: int = 0,
    ci_level: float = 0.95,
) -> MetricResult:
    """Gaussian Fréchet distance between the feature distributions (0 = same mean and covariance).

    Parameters
    ----------
    real, synthetic:
        Feature matrices with at least 2 rows each and the same number of columns.
    feature_set:
        Name of the features (e.g. ``"texture"``); recorded in ``details`` — a Fréchet distance is only comparable
        between runs on the same feature set, and medical-image conclusions should be checked on more than one.
    bootstrap, seed, ci_level:
        Number of bootstrap resamples (both sets resampled) for a percentile interval; 0 = none.

    Returns
    -------
    MetricResult
        ``frechet`` (lower is better), its two terms and the feature set in ``details``.

    Raises
    ------
    InputError
        For fewer than 2 rows, different widths or a bad confidence level.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> res = frechet_distance(rng.normal(size=(200, 2)), rng.normal(1.0, 1.0, size=(200, 2)), feature_set="texture")
    >>> round(res.value, 2), res.interpretation[:45]
    (2.09, 'Fréchet distance 2.09 on the texture features')
    """
    r, s = _pair(real, synthetic, min_rows=2)
    check_ci_level(ci_level)
    mu1, c1 = _moments(r)
    mu2, c2 = _moments(s)
    mean_term, covariance_term, imag, singular = frechet_terms(mu1, c1, mu2, c2)
    value = max(mean_term + covariance_term, 0.0)
    ci = None
    if bootstrap:
        rng = np.random.default_rng(seed)
        boots = np.empty(int(bootstrap))
        for b in range(int(bootstrap)):
            rb = r[rng.integers(0, len(r), len(r))]
            sb = s[rng.integers(0, len(s), len(s))]
            boots[b] = gaussian_frechet(*_moments(rb), *_moments(sb))[0]
        ci = percentile_ci(boots, ci_level)
    details = {
        "feature_set": feature_set or "unnamed",
        "n_features": int(r.shape[1]),
        "mean_term": mean_term,
        "covariance_term": covariance_term,  # unclipped: value = max(mean_term + covariance_term, 0)
        "sqrtm_imaginary_discarded": imag,
    }
    if singular:
        details["singular"] = (
            "the covariance product is singular (constant or collinear features, or too few samples); the "
            "square root and the distance may be inaccurate"
        )
    if min(len(r), len(s)) <= r.shape[1]:
        details["warning"] = (
            f"fewer samples than features ({min(len(r), len(s))} <= {r.shape[1]}): covariances are singular and "
            "the distance is biased upwards; reduce the feature dimension or add samples"
        )
    share = 0.0 if value == 0 else mean_term / value
    return build("frechet", value, n={"real": len(r), "synthetic": len(s)}, ci=ci, ci_level=ci_level,
                 details=details, features=feature_set or "given", mean_share=share)


# -------------------------------------------------------------------------------------------------------- MMD
def _sq_dists(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d2 = -2.0 * (a @ b.T)
    d2 += sq_norms(a)[:, None]
    d2 += sq_norms(b)[None, :]
    return np.maximum(d2, 0.0, out=d2)


def median_bandwidth(pooled: np.ndarray, *, max_n: int = 1000, seed: int = 0) -> float:
    """Median heuristic: the median pairwise Euclidean distance of (a random subsample of) ``pooled``."""
    x = pooled
    if len(x) > max_n:
        x = x[np.random.default_rng(seed).choice(len(x), max_n, replace=False)]
    d2 = _sq_dists(x, x)
    iu = np.triu_indices(len(x), k=1)
    med = float(np.sqrt(np.median(d2[iu]))) if iu[0].size else 0.0
    return med if med > 0 else 1.0


def _unbiased_mmd2(kernel: np.ndarray, in_x: np.ndarray, row_sums: np.ndarray | None = None) -> np.ndarray:
    """Unbiased MMD² for one or many labelings (columns of boolean ``in_x``) of a pooled kernel matrix.

    Uses one matrix product per batch of labelings: with ``a`` the indicator of X, ``b = 1 − a`` and the kernel
    symmetric, ``bᵀKb = 1ᵀK1 − 2aᵀK1 + aᵀKa`` and ``aᵀKb = aᵀK1 − aᵀKa``.
    """
    a = in_x.astype(float)
    if row_sums is None:
        row_sums = kernel.sum(axis=1)
    diag = np.diag(kernel)
    a_k_a = np.einsum("ij,ij->j", a, kernel @ a)
    return _mmd2_from_sums(a, a_k_a, row_sums, diag)


def _mmd2_from_sums(a: np.ndarray, a_k_a: np.ndarray, row_sums: np.ndarray, diag: np.ndarray) -> np.ndarray:
    """Unbiased MMD² per labeling (columns of the 0/1 matrix ``a``) from ``aᵀKa``, the kernel's row sums and its
    diagonal (see :func:`_unbiased_mmd2`)."""
    n = a.sum(axis=0)
    m = len(a) - n
    total = row_sums.sum()
    a_rows = row_sums @ a
    a_diag = diag @ a
    sxx = a_k_a - a_diag
    syy = total - 2.0 * a_rows + a_k_a - (diag.sum() - a_diag)
    sxy = a_rows - a_k_a
    return sxx / (n * (n - 1)) + syy / (m * (m - 1)) - 2.0 * sxy / (n * m)


#: Default cap on the rows of each set entering the MMD test (memory and time grow with (2·max_n)²).
MMD_MAX_N = 2000
#: Working memory of one kernel block (bytes); below it the pooled kernel is held whole.
MMD_BLOCK_BUDGET = 256 * 2**20


def _mmd_blocked(pooled: np.ndarray, sigma: float, labels: np.ndarray, budget: int) -> np.ndarray:
    """:func:`_unbiased_mmd2` for every column of ``labels`` without holding the pooled kernel: rows of the
    kernel are computed block by block (memory ~ ``budget``), each used once for all labelings."""
    n = len(pooled)
    a = labels.astype(float)
    sq = sq_norms(pooled)
    step = max(1, int(budget // (8 * max(n, 1) * 2)))
    row_sums = np.empty(n)
    diag = np.empty(n)
    a_k_a = np.zeros(a.shape[1])
    for start in range(0, n, step):
        stop = min(n, start + step)
        block = -2.0 * (pooled[start:stop] @ pooled.T)
        block += sq[start:stop, None]
        block += sq[None, :]
        np.maximum(block, 0.0, out=block)
        block *= -1.0 / (2.0 * sigma * sigma)
        np.exp(block, out=block)
        row_sums[start:stop] = block.sum(axis=1)
        diag[start:stop] = block[np.arange(stop - start), np.arange(start, stop)]
        a_k_a += np.einsum("ij,ij->j", a[start:stop], block @ a)
    return _mmd2_from_sums(a, a_k_a, row_sums, diag)


def _check_mmd_args(permutations: object, max_n: object) -> None:
    if isinstance(permutations, bool) or not isinstance(permutations, (int, np.integer)) or permutations < 0:
        raise InputError(f"permutations must be a non-negative integer, got {permutations!r}", remedy="pass 500")
    if max_n is not None and (isinstance(max_n, bool) or not isinstance(max_n, (int, np.integer)) or max_n < 2):
        raise InputError(f"max_n must be an integer >= 2 or None (every row), got {max_n!r}",
                         remedy=f"pass e.g. {MMD_MAX_N}, or None to test every row")


def _cap_rows(r: np.ndarray, s: np.ndarray, max_n: int | None,
              rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """At most ``max_n`` rows of each set (a seeded random subsample, in row order), with notes saying so."""
    notes = []
    n_real, n_syn = len(r), len(s)
    if max_n is not None and n_real > max_n:
        r = r[np.sort(rng.choice(n_real, max_n, replace=False))]
        notes.append(f"real subsampled from {n_real} to {max_n} rows")
    if max_n is not None and n_syn > max_n:
        s = s[np.sort(rng.choice(n_syn, max_n, replace=False))]
        notes.append(f"synthetic subsampled from {n_syn} to {max_n} rows")
    return r, s, notes


def _bandwidth(pooled: np.ndarray, bandwidth: float | str, seed: int) -> float:
    """σ of the RBF kernel: the median heuristic or the given positive number."""
    if isinstance(bandwidth, str):
        if bandwidth != "median":
            raise InputError(f"unknown bandwidth {bandwidth!r}", remedy="pass a positive number or 'median'")
        return median_bandwidth(pooled, seed=seed)
    sigma = float(bandwidth)
    if not sigma > 0 or not np.isfinite(sigma):
        raise InputError(f"bandwidth must be a positive number, got {bandwidth!r}", remedy="pass 'median'")
    return sigma


def _mmd_test(pooled: np.ndarray, n_real: int, sigma: float, permutations: int, rng: np.random.Generator,
              memory_budget: int) -> tuple[float, float | None, bool]:
    """Unbiased MMD² of the first ``n_real`` rows against the rest, its permutation p-value (``None`` without
    permutations) and whether the pooled kernel was held whole (``dense``) or computed in row blocks."""
    labels = np.zeros((len(pooled), 1), dtype=bool)
    labels[:n_real, 0] = True
    perms = []
    for _ in range(int(permutations)):
        col = np.zeros(len(pooled), dtype=bool)
        col[rng.permutation(len(pooled))[:n_real]] = True
        perms.append(col)
    dense = 8 * len(pooled) ** 2 <= memory_budget
    if not dense:
        stats = _mmd_blocked(pooled, sigma, np.column_stack([labels[:, 0]] + perms), memory_budget)
        value = float(stats[0])
        exceed = int(np.count_nonzero(stats[1:] >= value))
    else:
        kernel = _sq_dists(pooled, pooled)
        kernel *= -1.0 / (2.0 * sigma * sigma)
        np.exp(kernel, out=kernel)
        row_sums = kernel.sum(axis=1)
        value = float(_unbiased_mmd2(kernel, labels, row_sums)[0])
        exceed = 0
        for start in range(0, len(perms), 100):
            perm = np.column_stack(perms[start:start + 100])
            exceed += int(np.count_nonzero(_unbiased_mmd2(kernel, perm, row_sums) >= value))
    p_value = (1 + exceed) / (1 + permutations) if permutations else None
    return value, p_value, dense


def mmd_rbf(
    real: np.ndarray,
    synthetic: np.ndarray,
    *,
    bandwidth: float | str = "median",
    permutations: int = 500,
    seed: int = 0,
    max_n: int | None = MMD_MAX_N,
    memory_budget: int = MMD_BLOCK_BUDGET,
) -> MetricResult:
    """Unbiased squared MMD with the RBF kernel ``exp(-‖x−y‖² / (2σ²))`` and a permutation-test p-value.

    Parameters
    ----------
    bandwidth:
        σ, or ``"median"`` for the median pairwise distance of the pooled sample (subsampled to 1000 points).
    permutations:
        Label permutations for the p-value ``(1 + #{MMD²_perm >= MMD²}) / (1 + permutations)``; 0 = no test.
    max_n:
        At most this many rows of each set enter the test (a seeded random subsample of a larger set);
        ``None`` = every row. The rows used are the result's ``n`` (the full sizes are in
        ``details["n_full"]``) and the interpretation says when a subsample was tested. Time grows with
        ``(n_real + n_synthetic)² × (permutations + 1)``; memory stays near ``memory_budget`` bytes (the kernel
        is computed in row blocks once the pooled set no longer fits).

    real, synthetic:
        Feature matrices (at least 2 rows each, same width).
    seed:
        Seed of the subsample and the permutations.
    memory_budget:
        Bytes of one kernel block.

    Returns
    -------
    MetricResult
        ``mmd.rbf`` (lower is better) with the permutation p-value (``None`` without permutations).

    Raises
    ------
    InputError
        For a bad bandwidth, permutation count or ``max_n``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> res = mmd_rbf(rng.normal(size=(60, 2)), rng.normal(2.0, 1.0, size=(60, 2)), permutations=99)
    >>> round(res.value, 3), res.p_text
    (0.505, 'p ≤ 0.0100 (the smallest value 99 permutations can give)')
    """
    r, s = _pair(real, synthetic, min_rows=2)
    _check_mmd_args(permutations, max_n)
    rng = np.random.default_rng(seed)
    n_full = {"real": len(r), "synthetic": len(s)}
    r, s, notes = _cap_rows(r, s, max_n, rng)
    pooled = np.vstack([r, s])
    sigma = _bandwidth(pooled, bandwidth, seed)
    value, p_value, dense = _mmd_test(pooled, len(r), sigma, permutations, rng, memory_budget)
    verdict = ""
    if p_value is not None:
        verdict = (
            " The permutation test finds the difference significant (p < 0.05)."
            if p_value < 0.05
            else " The permutation test does not find a significant difference (p >= 0.05)."
        )
    used = (f" Tested on {len(r):,} of {n_full['real']:,} real and {len(s):,} of {n_full['synthetic']:,} synthetic "
            f"rows (a seeded random subsample; raise max_n to test more)." if notes else
            f" Tested on all {len(r):,} real and {len(s):,} synthetic rows.")
    return build("mmd.rbf", value, n={"real": len(r), "synthetic": len(s)}, p_value=p_value, verdict=verdict,
                 used=used, details={
                     "bandwidth": sigma,
                     "bandwidth_rule": "median" if isinstance(bandwidth, str) else "fixed",
                     "permutations": int(permutations),
                     "estimator": "unbiased",
                     "n_full": n_full,
                     "max_n": None if max_n is None else int(max_n),
                     "subsampled": bool(notes),
                     "kernel": "dense" if dense else "row blocks",
                     "notes": notes,
                 })


# ---------------------------------------------------------------------------------------------- per feature
def _names(feature_names: Sequence[str] | None, n: int) -> list[str]:
    if feature_names is None:
        return [f"f{i}" for i in range(n)]
    names = [str(x) for x in feature_names]
    if len(names) != n:
        raise InputError(
            f"feature_names has {len(names)} names but the matrices have {n} features",
            remedy="pass one name per feature column",
        )
    return names


def standardised_mean_difference(
    real: np.ndarray, synthetic: np.ndarray, *, constant_sd: float | None = None
) -> np.ndarray:
    """Standardised mean difference per column (axis 0): (mean synthetic − mean real) / pooled SD, with
    pooled SD = sqrt((var real + var synthetic) / 2).

    A column whose pooled SD is 0 is divided by ``constant_sd`` when given; otherwise its SMD is 0 when the
    means agree and ±inf when they differ. 1-D inputs give a 0-d array.
    """
    r, s = np.asarray(real, dtype=np.float64), np.asarray(synthetic, dtype=np.float64)
    diff = s.mean(axis=0) - r.mean(axis=0)
    pooled = np.sqrt((r.var(axis=0) + s.var(axis=0)) / 2)
    if constant_sd is not None:
        return diff / np.where(pooled > 0, pooled, constant_sd)
    with np.errstate(divide="ignore", invalid="ignore"):  # both branches are evaluated; np.where picks
        return np.where(pooled > 0, diff / pooled, np.where(diff == 0, 0.0, np.sign(diff) * np.inf))


def feature_shift(
    real: np.ndarray, synthetic: np.ndarray, feature_names: Sequence[str] | None = None
) -> pd.DataFrame:
    """Per-feature shift table sorted by KS statistic (largest shift first).

    Columns: ``feature``, ``ks_statistic``, ``ks_p_value`` (two-sample KS), ``wasserstein`` (Wasserstein-1, in the
    feature's units), ``smd`` (standardised mean difference, synthetic − real over the pooled SD), ``mean_real``,
    ``mean_synthetic``.

    Parameters
    ----------
    real, synthetic : ndarray
        Feature matrices of the same width.
    feature_names : sequence of str, optional
        One name per column (default ``f0``, ``f1`` ...).

    Returns
    -------
    DataFrame
        One row per feature, the largest KS statistic first.

    Raises
    ------
    InputError
        For matrices of different widths or a wrong number of names.

    Examples
    --------
    >>> real = np.array([[0.0, 0.0], [1.0, 0.1], [2.0, 0.2]])
    >>> feature_shift(real, real + [3.0, 0.0], ["moved", "same"])[["feature", "ks_statistic"]].to_dict("list")
    {'feature': ['moved', 'same'], 'ks_statistic': [1.0, 0.0]}
    """
    from scipy import stats

    r, s = _pair(real, synthetic)
    names = _names(feature_names, r.shape[1])
    rows = []
    for j, name in enumerate(names):
        ks = stats.ks_2samp(r[:, j], s[:, j])
        mr, ms = float(r[:, j].mean()), float(s[:, j].mean())
        smd = float(standardised_mean_difference(r[:, j], s[:, j]))
        rows.append(
            {
                "feature": name,
                "ks_statistic": float(ks.statistic),
                "ks_p_value": float(ks.pvalue),
                "wasserstein": float(stats.wasserstein_distance(r[:, j], s[:, j])),
                "smd": smd,
                "mean_real": mr,
                "mean_synthetic": ms,
            }
        )
    table = pd.DataFrame(rows)
    return table.sort_values(["ks_statistic", "wasserstein"], ascending=False, kind="stable").reset_index(drop=True)


def ks_max(
    real: np.ndarray,
    synthetic: np.ndarray,
    feature_names: Sequence[str] | None = None,
    *,
    table: pd.DataFrame | None = None,
) -> MetricResult:
    """Summary of :func:`feature_shift`: the largest per-feature KS statistic (``ks.max``).

    The p-value is Bonferroni-adjusted for the number of features. Pass a precomputed ``table`` to skip the work.

    Parameters
    ----------
    real, synthetic : ndarray
        Feature matrices of the same width.
    feature_names : sequence of str, optional
        One name per column.
    table : DataFrame, optional
        A :func:`feature_shift` table of the same matrices.

    Returns
    -------
    MetricResult
        ``ks.max`` (lower is better) naming the most shifted feature.

    Examples
    --------
    >>> real = np.array([[0.0, 0.0], [1.0, 0.1], [2.0, 0.2]])
    >>> res = ks_max(real, real + [3.0, 0.0], ["moved", "same"])
    >>> res.value, res.details["feature"]
    (1.0, 'moved')
    """
    r, s = _pair(real, synthetic)
    if table is None:
        table = feature_shift(r, s, feature_names)
    top = table.iloc[0]
    p_adj = float(min(1.0, top["ks_p_value"] * len(table)))
    return build("ks.max", float(top["ks_statistic"]), n={"real": len(r), "synthetic": len(s)}, p_value=p_adj,
                 feature=top["feature"], smd=float(top["smd"]), details={
                     "feature": str(top["feature"]),
                     "p_adjustment": "bonferroni",
                     "n_features": int(len(table)),
                     "n_features_p_below_0.05": int((table["ks_p_value"] * len(table) < 0.05).sum()),
                     "top5": table.head(5)[["feature", "ks_statistic", "wasserstein", "smd"]].to_dict("records"),
                 })
