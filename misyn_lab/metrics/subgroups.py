"""Per-subgroup evidence: is every subgroup represented, covered and faithfully generated?

:func:`by_subgroup` computes, for each value of a metadata column (sex, age band, scanner ...), how many real and
synthetic samples there are, the representation ratio, PRDC precision/coverage (and recall) within the subgroup and
a distance between the subgroup's real and synthetic features. A subgroup absent from the synthetic set gets
coverage 0 and ``n_syn`` 0 instead of an error; a subgroup too small for the k-NN radii gets NaN with a note.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pandas as pd

from misyn_lab.errors import InputError
from misyn_lab.metrics.distances import frechet_distance, mmd_rbf, standardised_mean_difference
from misyn_lab.metrics.fidelity import prdc_values
from misyn_lab.metrics.knn import (
    as_feature_matrix,
    check_same_dim,
    cross_ball_stats,
    kth_neighbour_radii,
)
from misyn_lab.metrics.result import MetricResult

_DISTANCES = ("frechet", "mmd", "mean_shift")


def _labels(meta: Any, column: str, n: int, name: str) -> np.ndarray:
    if isinstance(meta, pd.DataFrame):
        if column not in meta.columns:
            raise InputError(
                f"{name} has no column {column!r} (columns: {', '.join(map(str, meta.columns))})",
                remedy=f"add a {column!r} column to {name} or choose one of its columns",
            )
        values = meta[column].to_numpy()
    else:
        values = np.asarray(meta)
    if values.ndim != 1 or len(values) != n:
        raise InputError(
            f"{name} gives {len(values)} labels for {n} feature rows",
            remedy=f"pass one metadata row per feature row in {name}",
        )
    return values.astype(object)


def _distance(real: np.ndarray, syn: np.ndarray, metric: str, seed: int) -> float:
    if metric == "mean_shift":  # root mean square SMD; a constant feature is compared in its own units

        return float(np.sqrt(np.mean(standardised_mean_difference(real, syn, constant_sd=1.0) ** 2)))
    if metric == "frechet":
        return frechet_distance(real, syn).value

    return mmd_rbf(real, syn, permutations=0, seed=seed).value


def by_subgroup(
    real_feats: np.ndarray,
    real_meta: Any,
    syn_feats: np.ndarray,
    syn_meta: Any,
    column: str,
    *,
    k: int = 5,
    metric: str | Callable[[np.ndarray, np.ndarray], float] = "mean_shift",
    seed: int = 0,
) -> pd.DataFrame:
    """One row per subgroup present in either set.

    Parameters
    ----------
    real_feats, syn_feats:
        Feature matrices.
    real_meta, syn_meta:
        DataFrames with ``column`` (one row per feature row), or 1-D arrays of labels.
    column:
        The subgroup column, e.g. ``"sex"``.
    k:
        PRDC neighbourhood size.
    metric:
        Per-subgroup distance: ``"mean_shift"`` (RMS standardised mean difference, default, stable at small n),
        ``"frechet"``, ``"mmd"`` or a callable ``f(real, syn) -> float``.

    Returns
    -------
    DataFrame with columns ``subgroup``, ``n_real``, ``n_syn``, ``share_real``, ``share_syn``,
    ``representation_ratio`` (share in synthetic / share in real), ``precision``, ``recall``, ``coverage``,
    ``distance``, ``distance_metric``, ``note``; sorted by coverage (worst first).
    """
    real = as_feature_matrix(real_feats, "real_feats")
    syn = as_feature_matrix(syn_feats, "syn_feats")
    check_same_dim(real, syn, "real_feats", "syn_feats")
    if isinstance(metric, str) and metric not in _DISTANCES:
        raise InputError(f"unknown subgroup metric {metric!r}", remedy=f"use one of {', '.join(_DISTANCES)}")
    metric_name = metric if isinstance(metric, str) else getattr(metric, "__name__", "custom")
    r_lab = _labels(real_meta, column, len(real), "real_meta")
    s_lab = _labels(syn_meta, column, len(syn), "syn_meta")
    groups = list(dict.fromkeys([*pd.unique(r_lab), *pd.unique(s_lab)]))
    rows = []
    for g in groups:
        rm = _eq(r_lab, g)
        sm = _eq(s_lab, g)
        r, s = real[rm], syn[sm]
        share_r = len(r) / len(real)
        share_s = len(s) / len(syn)
        row: dict[str, Any] = {
            "subgroup": g,
            "n_real": len(r),
            "n_syn": len(s),
            "share_real": share_r,
            "share_syn": share_s,
            "representation_ratio": share_s / share_r if share_r > 0 else np.inf,
            "precision": np.nan,
            "recall": np.nan,
            "coverage": np.nan,
            "distance": np.nan,
            "distance_metric": metric_name,
            "note": "",
        }
        notes = []
        if len(r) == 0:
            notes.append("absent in real data (synthetic only)")
        elif len(s) == 0:
            row["coverage"] = 0.0
            row["recall"] = 0.0
            notes.append("absent in synthetic data: coverage 0")
        elif len(r) <= k:
            notes.append(f"too few real samples for k={k} (need > {k}): precision/coverage not computed")
        else:
            real_radii = kth_neighbour_radii(r, k)
            fake_radii = kth_neighbour_radii(s, k) if len(s) > k else None
            values = prdc_values(cross_ball_stats(r, s, real_radii, fake_radii), k)
            row["precision"], row["coverage"] = values["precision"], values["coverage"]
            if fake_radii is not None:
                row["recall"] = values["recall"]
            else:  # without synthetic radii the recall pass was not run: keep NaN, not 0
                notes.append(f"too few synthetic samples for k={k}: recall not computed")
        if len(r) >= 2 and len(s) >= 2:
            row["distance"] = (
                _distance(r, s, metric, seed) if isinstance(metric, str) else float(metric(r, s))
            )
        elif len(r) and len(s):
            notes.append("distance needs at least 2 samples in each set")
        row["note"] = "; ".join(notes)
        rows.append(row)
    table = pd.DataFrame(rows)
    table.attrs["column"] = column
    table.attrs["k"] = k
    return table.sort_values(["coverage", "representation_ratio"], na_position="last", kind="stable").reset_index(
        drop=True
    )


def _eq(labels: np.ndarray, value: Any) -> np.ndarray:
    if isinstance(value, float) and np.isnan(value):
        return pd.isna(labels)
    return labels == value


def subgroup_summary(table: pd.DataFrame, column: str | None = None) -> dict[str, MetricResult]:
    """``subgroup.coverage_min`` and ``subgroup.representation_ratio_min`` from a :func:`by_subgroup` table."""
    column = column or table.attrs.get("column", "subgroup")
    n = {"subgroups": int(len(table)), "real": int(table["n_real"].sum()), "synthetic": int(table["n_syn"].sum())}
    out: dict[str, MetricResult] = {}
    cov = table.dropna(subset=["coverage"])
    if len(cov):
        worst = cov.loc[cov["coverage"].idxmin()]
        value = float(worst["coverage"])
        details = {"column": column, "worst_subgroup": _plain(worst["subgroup"]), "by_group": _records(table)}
        skipped = table[table["coverage"].isna()]["subgroup"].tolist()
        if skipped:
            details["not_computed"] = [_plain(x) for x in skipped]
        interp = (
            f"The worst-covered {column} subgroup is '{worst['subgroup']}': {value:.0%} of its real samples have a "
            "synthetic sample in their neighbourhood."
        )
    else:
        value = float("nan")
        details = {"column": column, "by_group": _records(table)}
        interp = f"Coverage could not be computed for any {column} subgroup (too few samples)."
    out["subgroup.coverage_min"] = MetricResult(
        key="subgroup.coverage_min",
        value=value,
        n=n,
        direction="higher_is_better",
        interpretation=interp,
        details=details,
    )
    rep = table[table["n_real"] > 0]
    worst_r = rep.loc[rep["representation_ratio"].idxmin()]
    rvalue = float(worst_r["representation_ratio"])
    out["subgroup.representation_ratio_min"] = MetricResult(
        key="subgroup.representation_ratio_min",
        value=rvalue,
        n=n,
        direction="higher_is_better",
        interpretation=(
            f"The most under-represented {column} subgroup is '{worst_r['subgroup']}': its share of the synthetic "
            f"set is {rvalue:.2f} times its share of the real set (1 = same proportion)."
        ),
        details={"column": column, "worst_subgroup": _plain(worst_r["subgroup"])},
    )
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    cols = ["subgroup", "n_real", "n_syn", "representation_ratio", "precision", "coverage", "distance"]
    return [{c: _plain(v) for c, v in rec.items()} for rec in table[cols].to_dict("records")]


class GroupFrame:
    """A small Fairlearn ``MetricFrame``-like view: one metric overall and per group.

    ``GroupFrame(fn, real, real_labels, syn, syn_labels)`` evaluates ``fn(real, syn) -> float`` on the whole sets
    (:attr:`overall`) and within each group present in both sets (:attr:`by_group`, a Series).
    """

    def __init__(
        self,
        fn: Callable[[np.ndarray, np.ndarray], float],
        real: np.ndarray,
        real_labels: Any,
        syn: np.ndarray,
        syn_labels: Any,
    ) -> None:
        real = as_feature_matrix(real, "real")
        syn = as_feature_matrix(syn, "syn")
        r_lab = _labels(real_labels, "", len(real), "real_labels")
        s_lab = _labels(syn_labels, "", len(syn), "syn_labels")
        self.overall = float(fn(real, syn))
        values = {}
        for g in dict.fromkeys([*pd.unique(r_lab), *pd.unique(s_lab)]):
            rm, sm = _eq(r_lab, g), _eq(s_lab, g)
            values[g] = float(fn(real[rm], syn[sm])) if rm.any() and sm.any() else float("nan")
        self.by_group = pd.Series(values, name=getattr(fn, "__name__", "metric"))

    def difference(self) -> float:
        """Largest minus smallest group value (NaN groups ignored)."""
        return float(self.by_group.max() - self.by_group.min())

    def ratio(self) -> float:
        """Smallest over largest group value."""
        hi = self.by_group.max()
        return float(self.by_group.min() / hi) if hi else float("nan")
