"""Per-subgroup evidence: is every subgroup represented, covered and faithfully generated?

One object, :class:`SubgroupFrame` (the idea of Fairlearn's ``MetricFrame``), made by :func:`subgroup_frame`: for
each value of a metadata column (sex, age band, scanner ...) its ``by_group`` frame holds how many real and
synthetic samples there are, the representation ratio, PRDC precision/coverage (and recall) within the subgroup
and a distance between the subgroup's real and synthetic features; ``overall`` holds the same on the whole sets,
and :meth:`~SubgroupFrame.difference`, :meth:`~SubgroupFrame.ratio`, :meth:`~SubgroupFrame.worst` and
:meth:`~SubgroupFrame.summary` read it. A subgroup absent from the synthetic set gets coverage 0 and ``n_syn`` 0
instead of an error; a subgroup too small for the k-NN radii gets NaN with a note.
"""

from __future__ import annotations

from dataclasses import dataclass
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
from misyn_lab.metrics.result import MetricResult, build

__all__ = ["GROUP_METRICS", "SubgroupFrame", "subgroup_frame"]

_DISTANCES = ("frechet", "mmd", "mean_shift")
#: Columns of ``by_group`` that hold a per-group metric, and whether higher is better (False: lower is better).
GROUP_METRICS = {"precision": True, "recall": True, "coverage": True, "representation_ratio": True,
                 "distance": False}


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



def _group_row(r: np.ndarray, s: np.ndarray, n_real: int, n_syn: int, k: int, metric: Any,
               metric_name: str, seed: int) -> dict[str, Any]:
    """The by-group row of one subgroup (``r``, ``s``: its real and synthetic features), with notes."""
    share_r, share_s = len(r) / n_real, len(s) / n_syn
    row: dict[str, Any] = {
        "n_real": len(r), "n_syn": len(s), "share_real": share_r, "share_syn": share_s,
        "representation_ratio": share_s / share_r if share_r > 0 else np.inf,
        "precision": np.nan, "recall": np.nan, "coverage": np.nan, "distance": np.nan,
        "distance_metric": metric_name, "note": "",
    }
    notes = _prdc_into(row, r, s, k)
    if len(r) >= 2 and len(s) >= 2:
        row["distance"] = _distance(r, s, metric, seed) if isinstance(metric, str) else float(metric(r, s))
    elif len(r) and len(s):
        notes.append("distance needs at least 2 samples in each set")
    row["note"] = "; ".join(notes)
    return row


def _prdc_into(row: dict[str, Any], r: np.ndarray, s: np.ndarray, k: int) -> list[str]:
    """Fill precision/recall/coverage of ``row`` where the subgroup is large enough; the notes saying why not."""
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
    return notes


def subgroup_frame(
    real_feats: np.ndarray,
    real_meta: Any,
    syn_feats: np.ndarray,
    syn_meta: Any,
    column: str,
    *,
    k: int = 5,
    metric: str | Callable[[np.ndarray, np.ndarray], float] = "mean_shift",
    seed: int = 0,
) -> "SubgroupFrame":
    """Measure every subgroup of ``column`` present in either set, and the whole sets.

    Parameters
    ----------
    real_feats, syn_feats : ndarray
        Feature matrices (rows = images).
    real_meta, syn_meta : DataFrame or array-like
        DataFrames with ``column`` (one row per feature row), or 1-D arrays of labels.
    column : str
        The subgroup column, e.g. ``"sex"``.
    k : int
        PRDC neighbourhood size.
    metric : str or callable
        Per-subgroup distance: ``"mean_shift"`` (RMS standardised mean difference, default, stable at small n),
        ``"frechet"``, ``"mmd"`` or a callable ``f(real, syn) -> float``.
    seed : int
        Seed of the MMD bandwidth subsample.

    Returns
    -------
    SubgroupFrame
        ``by_group``: one row per subgroup with columns ``subgroup``, ``n_real``, ``n_syn``, ``share_real``,
        ``share_syn``, ``representation_ratio`` (share in synthetic / share in real), ``precision``, ``recall``,
        ``coverage``, ``distance``, ``distance_metric``, ``note``, sorted by coverage (worst first); ``overall``:
        the same measures on the whole sets.

    Raises
    ------
    InputError
        For an unknown metric, a missing column or labels that do not match the feature rows.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> real, syn = rng.standard_normal((40, 3)), rng.standard_normal((40, 3))
    >>> labels = np.array(["a", "b"] * 20)
    >>> frame = subgroup_frame(real, labels, syn, labels, "site", k=3)
    >>> frame.by_group[["subgroup", "n_real", "n_syn"]].to_dict("list")
    {'subgroup': ['a', 'b'], 'n_real': [20, 20], 'n_syn': [20, 20]}
    >>> int(frame.overall["n_real"]), round(frame.difference("representation_ratio"), 3)
    (40, 0.0)
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
    rows = [{"subgroup": g, **_group_row(real[_eq(r_lab, g)], syn[_eq(s_lab, g)], len(real), len(syn), k, metric,
                                         metric_name, seed)} for g in groups]
    table = pd.DataFrame(rows).sort_values(["coverage", "representation_ratio"], na_position="last",
                                           kind="stable").reset_index(drop=True)
    overall = pd.Series(_group_row(real, syn, len(real), len(syn), k, metric, metric_name, seed), name="overall")
    return SubgroupFrame(by_group=table, overall=overall, column=column, k=k)


def _eq(labels: np.ndarray, value: Any) -> np.ndarray:
    if isinstance(value, float) and np.isnan(value):
        return pd.isna(labels)
    return labels == value


@dataclass(frozen=True)
class SubgroupFrame:
    """Per-subgroup results of one column and the same measures on the whole sets (made by
    :func:`subgroup_frame`).

    Attributes
    ----------
    by_group : DataFrame
        One row per subgroup (see :func:`subgroup_frame`), worst coverage first.
    overall : Series
        The same measures on the whole sets (``note`` says why one could not be computed).
    column : str
        The subgroup column.
    k : int
        PRDC neighbourhood size.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> real, syn = rng.standard_normal((60, 2)), rng.standard_normal((45, 2))
    >>> frame = subgroup_frame(real, np.array(["a", "b"] * 30), syn, np.array(["a"] * 40 + ["b"] * 5), "site")
    >>> frame.worst("representation_ratio").name, round(frame.ratio("representation_ratio"), 3)
    ('b', 0.125)
    >>> sorted(frame.summary())
    ['subgroup.coverage_min', 'subgroup.representation_ratio_min']
    """

    by_group: pd.DataFrame
    overall: pd.Series
    column: str
    k: int

    def __len__(self) -> int:
        return len(self.by_group)

    @property
    def n(self) -> pd.DataFrame:
        """Real and synthetic images per subgroup (``n_real``, ``n_syn``), indexed by subgroup."""
        return self.by_group.set_index("subgroup")[["n_real", "n_syn"]]

    def _values(self, metric: str) -> pd.Series:
        if metric not in GROUP_METRICS:
            raise InputError(f"no per-group metric {metric!r}", path="SubgroupFrame",
                             remedy=f"use one of {', '.join(GROUP_METRICS)}")
        values = self.by_group.set_index("subgroup")[metric].astype(float)
        return values[np.isfinite(values)]

    def difference(self, metric: str = "coverage", *, method: str = "between_groups") -> float:
        """Largest minus smallest group value (``method="between_groups"``), or the largest distance of a group
        from ``overall`` (``"to_overall"``); groups where the metric is NaN or infinite are left out.

        Parameters
        ----------
        metric : str
            A column of :data:`GROUP_METRICS`.
        method : str
            ``"between_groups"`` or ``"to_overall"``.

        Returns
        -------
        float
            NaN when no group has a finite value.
        """
        values = self._values(metric)
        if not len(values):
            return float("nan")
        if method == "between_groups":
            return float(values.max() - values.min())
        if method == "to_overall":
            return float((values - float(self.overall[metric])).abs().max())
        raise InputError(f"unknown method {method!r}", path="SubgroupFrame.difference",
                         remedy="use 'between_groups' or 'to_overall'")

    def ratio(self, metric: str = "coverage") -> float:
        """Smallest over largest group value (1 = every group alike); NaN when the largest is 0 or none is finite.

        Parameters
        ----------
        metric : str
            A column of :data:`GROUP_METRICS` (all are non-negative, so the ratio is in [0, 1]).

        Returns
        -------
        float
        """
        values = self._values(metric)
        if not len(values) or values.max() == 0:
            return float("nan")
        return float(values.min() / values.max())

    def worst(self, metric: str = "coverage") -> pd.Series:
        """The row of the subgroup worst on ``metric`` (lowest, or highest for ``distance``).

        Parameters
        ----------
        metric : str
            A column of :data:`GROUP_METRICS`.

        Returns
        -------
        Series
            Its ``by_group`` row.

        Raises
        ------
        InputError
            When no subgroup has a finite value of ``metric``.
        """
        values = self._values(metric)
        if not len(values):
            raise InputError(f"no subgroup has a finite {metric}", path=f"SubgroupFrame.worst({metric!r})",
                             remedy="give subgroups with more than k real samples")
        label = values.idxmax() if not GROUP_METRICS[metric] else values.idxmin()
        return self.by_group.set_index("subgroup").loc[label].rename(label)

    def summary(self) -> dict[str, MetricResult]:
        """``subgroup.coverage_min`` and ``subgroup.representation_ratio_min`` (worst group, all groups in
        ``details["by_group"]``).

        Returns
        -------
        dict of str to MetricResult
        """
        return _summary(self.by_group, self.column)


def _summary(table: pd.DataFrame, column: str) -> dict[str, MetricResult]:
    """``subgroup.coverage_min`` and ``subgroup.representation_ratio_min`` from a ``by_group`` table."""
    n = {"subgroups": int(len(table)), "real": int(table["n_real"].sum()), "synthetic": int(table["n_syn"].sum())}
    out: dict[str, MetricResult] = {}
    cov = table.dropna(subset=["coverage"])
    if len(cov):
        worst = cov.loc[cov["coverage"].idxmin()]
        details = {"column": column, "worst_subgroup": _plain(worst["subgroup"]), "by_group": _records(table)}
        skipped = table[table["coverage"].isna()]["subgroup"].tolist()
        if skipped:
            details["not_computed"] = [_plain(x) for x in skipped]
        out["subgroup.coverage_min"] = build("subgroup.coverage_min", float(worst["coverage"]), n=n, details=details,
                                             column=column, group=worst["subgroup"])
    else:
        out["subgroup.coverage_min"] = build(
            "subgroup.coverage_min", float("nan"), n=n, details={"column": column, "by_group": _records(table)},
            interpretation=f"Coverage could not be computed for any {column} subgroup (too few samples).")
    rep = table[table["n_real"] > 0]
    worst_r = rep.loc[rep["representation_ratio"].idxmin()]
    out["subgroup.representation_ratio_min"] = build(
        "subgroup.representation_ratio_min", float(worst_r["representation_ratio"]), n=n,
        details={"column": column, "worst_subgroup": _plain(worst_r["subgroup"])}, column=column,
        group=worst_r["subgroup"])
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    cols = ["subgroup", "n_real", "n_syn", "representation_ratio", "precision", "coverage", "distance"]
    return [{c: _plain(v) for c, v in rec.items()} for rec in table[cols].to_dict("records")]
