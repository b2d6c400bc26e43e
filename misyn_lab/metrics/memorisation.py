"""Memorisation: are synthetic samples (near-)copies of training samples?

Each synthetic sample's distance to its nearest training sample is compared with how close real training samples
are to *each other*. A synthetic sample closer to a training sample than (by default) 99 % of training samples are
to their nearest other training sample is flagged as a likely copy. Reports both directions the literature asks for
(Dar et al. 2024): the share of synthetic samples that are copies and the share of training samples that were
copied, plus the SDMetrics train-vs-holdout score and synthcity's identifiability, and the worst offenders so a
gallery can show the pairs side by side.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from misyn_lab.errors import InputError
from misyn_lab.metrics.knn import DEFAULT_MEMORY_BUDGET, as_feature_matrix, check_same_dim
from misyn_lab.metrics.neighbours import SearchInfo, cross_nearest, knn_search
from misyn_lab.metrics.result import MetricResult, build
from misyn_lab.render.numbers import fmt_number

if TYPE_CHECKING:
    import pandas as pd

#: Below this many training samples the calibrated copy threshold is unreliable (a warning is attached).
SMALL_TRAIN = 50


@dataclass(frozen=True)
class MemorisationResult:
    """Memorisation metrics plus per-sample arrays.

    Attributes
    ----------
    metrics:
        ``{key: MetricResult}``: ``memorisation.copy_rate``, ``memorisation.train_copied_rate``,
        ``memorisation.identifiability`` and, with a holdout set, ``memorisation.sdmetrics_score``.
    syn_nearest_train, syn_nearest_train_dist:
        Per synthetic sample: index of and distance to its nearest training sample.
    ratio:
        Per synthetic sample: that distance divided by the typical (median) train-to-train NN distance.
    is_copy:
        Per synthetic sample: flagged as a likely copy (``ratio < threshold``).
    train_nn_dist:
        Per training sample: distance to its nearest other training sample (the real-to-real reference).
    train_nearest_syn_dist:
        Per training sample: distance to its nearest synthetic sample.
    train_copied:
        Per training sample: some synthetic sample lies within the copy distance of it.
    threshold:
        The ratio threshold used.
    offenders:
        DataFrame of the closest synthetic-to-train pairs (``synthetic_index``, ``train_index``, ``distance``,
        ``ratio``, ``is_copy``), most suspicious first.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> res = memorisation(rng.normal(size=(40, 2)), rng.normal(size=(20, 2)))
    >>> sorted(res.metrics)
    ['memorisation.copy_rate', 'memorisation.identifiability', 'memorisation.train_copied_rate']
    >>> list(res.offenders.columns)[:2]
    ['synthetic_index', 'train_index']
    """

    metrics: dict[str, MetricResult]
    syn_nearest_train: np.ndarray
    syn_nearest_train_dist: np.ndarray
    ratio: np.ndarray
    is_copy: np.ndarray
    train_nn_dist: np.ndarray
    train_nearest_syn_dist: np.ndarray
    train_copied: np.ndarray
    threshold: float
    offenders: pd.DataFrame
    warnings: list[str] = field(default_factory=list)

    def __getitem__(self, key: str) -> MetricResult:
        return self.metrics[key if key.startswith("memorisation.") else f"memorisation.{key}"]


def memorisation(
    train_real: np.ndarray,
    synthetic: np.ndarray,
    *,
    holdout_real: np.ndarray | None = None,
    threshold: float | None = None,
    percentile: float = 1.0,
    positive_controls: np.ndarray | None = None,
    top: int = 20,
    memory_budget: int = DEFAULT_MEMORY_BUDGET,
    knn_backend: str = "auto",
    approximate: bool = False,
    seed: int = 0,
) -> MemorisationResult:
    """Flag synthetic samples that are likely copies of training samples.

    Parameters
    ----------
    train_real:
        Features of the images the generator was trained on (at least 2 rows).
    synthetic:
        Features of the generated images.
    holdout_real:
        Features of real images the generator never saw (same distribution). Enables the SDMetrics-style score
        and reports the false-alarm rate of the threshold on these negative controls.
    threshold:
        Copy threshold on the distance ratio ``d(syn, nearest train) / median train-to-train NN distance``.
        Default: the ``percentile``-th percentile (1 %) of the train-to-train NN distances over their median, i.e. a
        synthetic sample is a copy when it is closer to a training sample than 99 % of training samples are to
        their nearest other training sample. The percentile is taken over the strictly positive distances:
        exact duplicates in ``train_real`` (distance 0) would make it 0, and then nothing could be flagged; their
        number is named in ``warnings`` (also in every result's ``details["warnings"]``).
    positive_controls:
        Optional features of known copies (e.g. augmented training images); their detection rate is reported.
    top:
        Number of worst offenders listed.
    knn_backend:
        ``"auto"``, ``"faiss"`` or ``"numpy"``: where the exact nearest-neighbour searches run; every backend
        gives the same answer (:mod:`misyn_lab.metrics.neighbours`). With ``"auto"`` the training-to-training
        search uses faiss when installed, and the synthetic<->training distances come from one fused pass that
        yields both directions.
    approximate:
        Use approximate nearest-neighbour search (faiss IVF; needs faiss). Off by default; when on, its recall,
        measured against exact search on a sample of queries (``seed``), is reported in every result's
        ``details["knn"]`` and interpretation.

    seed:
        Seed of the approximate search's recall sample.

    Returns
    -------
    MemorisationResult
        The results (``memorisation.*``, lower is better except the SDMetrics-style score) and per-sample arrays.

    Raises
    ------
    InputError
        For bad matrices, a percentile outside [0, 100], a negative threshold, or a training set made mostly of
        exact duplicates.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> train = rng.normal(size=(80, 3))
    >>> syn = np.vstack([train[:4] + 1e-6, rng.normal(size=(36, 3))])  # 4 near-copies planted
    >>> res = memorisation(train, syn, holdout_real=rng.normal(size=(40, 3)))
    >>> res["copy_rate"].value, int(res.is_copy[:4].sum())
    (0.125, 4)
    """
    train, syn, hold = _inputs(train_real, synthetic, holdout_real, percentile)
    search = _Searches(knn_backend, approximate, memory_budget, seed)
    train_nn = search.nearest(train, train, exclude_self=True)
    typical, threshold, rule, warnings = _calibrate(train_nn, threshold, percentile)
    copy_distance = threshold * typical
    s_dist, s_idx, t_syn_dist = search.cross(syn, train)
    ratio = s_dist / typical
    is_copy = ratio < threshold
    train_copied = t_syn_dist < copy_distance
    offenders = _offenders(ratio, s_idx, s_dist, is_copy, top)
    common: dict[str, object] = {"warnings": list(warnings), "threshold_ratio": threshold, "threshold_rule": rule,
                                 "copy_distance": copy_distance, "typical_train_nn_distance": typical,
                                 "worst": offenders.head(5).to_dict("records")}
    metrics = _control_checks(search, train, syn, hold, positive_controls, s_dist, typical, threshold, common)
    common["knn"] = search.summary()
    metrics.update(_rate_results(is_copy, train_copied, t_syn_dist < train_nn, common, warnings,
                                 n_train=len(train), n_syn=len(syn)))
    return MemorisationResult(
        metrics=metrics,
        syn_nearest_train=s_idx,
        syn_nearest_train_dist=s_dist,
        ratio=ratio,
        is_copy=is_copy,
        train_nn_dist=train_nn,
        train_nearest_syn_dist=t_syn_dist,
        train_copied=train_copied,
        threshold=threshold,
        offenders=offenders,
        warnings=warnings,
    )


def _inputs(train_real: np.ndarray, synthetic: np.ndarray, holdout_real: np.ndarray | None,
            percentile: float) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The checked feature matrices (training, synthetic, held-out or ``None``)."""
    train = as_feature_matrix(train_real, "train_real", min_rows=2)
    syn = as_feature_matrix(synthetic, "synthetic")
    check_same_dim(train, syn, "train_real", "synthetic")
    hold = None
    if holdout_real is not None:
        hold = as_feature_matrix(holdout_real, "holdout_real")
        check_same_dim(train, hold, "train_real", "holdout_real")
    if not 0 <= percentile <= 100:
        raise InputError(f"percentile must be within [0, 100], got {percentile}", remedy="pass e.g. 1.0")
    return train, syn, hold


class _Searches:
    """The nearest-neighbour searches of one memorisation check, each recorded for ``details["knn"]``."""

    def __init__(self, backend: str, approximate: bool, memory_budget: int, seed: int) -> None:
        self.options = {"backend": backend, "approximate": approximate, "memory_budget": memory_budget,
                        "seed": seed}
        self.infos: list[SearchInfo] = []

    def nearest(self, queries: np.ndarray, reference: np.ndarray, exclude_self: bool = False) -> np.ndarray:
        """Distance of every query row to its nearest reference row."""
        dist, _, info = knn_search(queries, reference, 1, exclude_self=exclude_self, **self.options)
        self.infos.append(info)
        return dist[:, 0]

    def cross(self, syn: np.ndarray, train: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Both directions at once: per synthetic row its nearest training distance and index, per training row
        its nearest synthetic distance."""
        s_dist, s_idx, t_syn_dist, _, info = cross_nearest(syn, train, **self.options)
        self.infos.append(info)
        return s_dist, s_idx, t_syn_dist

    def summary(self) -> dict[str, object]:
        return _search_summary(self.infos)


def _calibrate(train_nn: np.ndarray, threshold: float | None,
               percentile: float) -> tuple[float, float, str, list[str]]:
    """The typical train-to-train distance, the copy threshold (a ratio to it), the rule that gave it and the
    warnings about the training set (few samples, exact duplicates)."""
    n_train = len(train_nn)
    typical = float(np.median(train_nn))
    if typical <= 0:
        raise InputError(
            "more than half of train_real are exact duplicates of another training sample (median "
            "nearest-neighbour distance 0), so no copy threshold can be calibrated",
            remedy="remove duplicate training images/features before checking memorisation",
        )
    warnings: list[str] = []
    if n_train < SMALL_TRAIN:
        warnings.append(
            f"only {n_train} training samples: the train-to-train reference distances are few and wide apart, so "
            "the copy threshold is loose and independent samples can be flagged; check the holdout false-alarm "
            "rate (pass holdout_real) or pass an explicit threshold"
        )
    positive = train_nn[train_nn > 0]
    n_dup = n_train - len(positive)
    if n_dup:
        warnings.append(
            f"{n_dup} of {n_train} training samples have an exact duplicate in the training set (nearest-neighbour "
            f"distance 0): the default copy threshold is calibrated on the {len(positive)} strictly positive "
            "distances only, and duplicated training samples never count as identifiable; remove duplicate "
            "training images/features"
        )
    if threshold is None:
        # over strictly positive distances: duplicated training rows would otherwise pull the percentile to 0,
        # and a 0 threshold flags nothing
        threshold = float(np.percentile(positive, percentile)) / typical
        rule = (f"{percentile:g}th percentile of the strictly positive train-to-train nearest-neighbour distances "
                "/ the median of all of them")
    else:
        threshold = float(threshold)
        if not threshold >= 0:
            raise InputError(f"threshold must be a non-negative ratio, got {threshold}", remedy="pass e.g. 0.1")
        rule = "given"
    return typical, threshold, rule, warnings


def _control_checks(search: _Searches, train: np.ndarray, syn: np.ndarray, hold: np.ndarray | None,
                    positive_controls: np.ndarray | None, s_dist: np.ndarray, typical: float, threshold: float,
                    common: dict[str, object]) -> dict[str, MetricResult]:
    """The controls: known copies' detection rate and the held-out images' false-alarm rate (into ``common``),
    and with held-out images the SDMetrics-style score (returned)."""
    if positive_controls is not None:
        pos = as_feature_matrix(positive_controls, "positive_controls")
        check_same_dim(train, pos, "train_real", "positive_controls")
        pos_ratio = search.nearest(pos, train) / typical
        common["positive_control_detection_rate"] = float(np.mean(pos_ratio < threshold))
    if hold is None:
        return {}
    h_train = search.nearest(hold, train)
    common["holdout_false_alarm_rate"] = float(np.mean(h_train / typical < threshold))
    return {"memorisation.sdmetrics_score": _sdmetrics_score(train, hold, syn, s_dist, search.nearest(syn, hold))}


def _offenders(ratio: np.ndarray, s_idx: np.ndarray, s_dist: np.ndarray, is_copy: np.ndarray,
               top: int) -> pd.DataFrame:
    """The ``top`` closest synthetic-to-training pairs, most suspicious first."""
    order = np.argsort(ratio, kind="stable")[: max(0, int(top))]
    import pandas as pd  # here, not at import: the metrics package imports this module for its name

    return pd.DataFrame({"synthetic_index": order, "train_index": s_idx[order], "distance": s_dist[order],
                         "ratio": ratio[order], "is_copy": is_copy[order]})


def _rate_results(is_copy: np.ndarray, train_copied: np.ndarray, identifiable: np.ndarray,
                  common: dict[str, object], warnings: list[str], *, n_train: int,
                  n_syn: int) -> dict[str, MetricResult]:
    """``copy_rate``, ``train_copied_rate`` and ``identifiability`` from the per-sample flags."""
    knn: dict = common["knn"]  # type: ignore[assignment]
    search_note = "" if not knn["approximate"] else (
        f" Nearest neighbours were searched APPROXIMATELY (recall {fmt_number(knn['recall'])} against exact search "
        f"on {knn['recall_queries']:,} queries), so some copies may be missed.")
    n = {"train": n_train, "synthetic": n_syn}
    baseline = n_syn / (n_syn + n_train - 1)
    return {
        "memorisation.copy_rate": build("memorisation.copy_rate", float(np.mean(is_copy)), n=n,
                                        details=dict(common), copy_distance=common["copy_distance"],
                                        threshold=common["threshold_ratio"], search_note=search_note),
        "memorisation.train_copied_rate": build("memorisation.train_copied_rate", float(np.mean(train_copied)),
                                                n=n, details=dict(common), search_note=search_note),
        "memorisation.identifiability": build(
            "memorisation.identifiability", float(np.mean(identifiable)), n=n, baseline=baseline,
            search_note=search_note,
            details={"expected_if_independent": baseline, "definition": "synthcity identifiability (unweighted)",
                     "warnings": list(warnings), "knn": knn}),
    }

def _search_summary(searches: list[SearchInfo]) -> dict[str, object]:
    """One record of how the neighbour searches ran (for ``details["knn"]``)."""
    approx = [s for s in searches if s.approximate]
    n = sum(s.recall_queries for s in approx)
    return {
        "backends": sorted({s.backend for s in searches}),
        "approximate": bool(approx),
        "recall": (sum((s.recall or 0.0) * s.recall_queries for s in approx) / n) if n else None,
        "recall_queries": n,
        "recertified_rows": sum(s.recertified_rows for s in searches),
    }


def _sdmetrics_score(
    train: np.ndarray, hold: np.ndarray, syn: np.ndarray, s_train: np.ndarray, s_hold: np.ndarray
) -> MetricResult:
    """SDMetrics-style overfitting protection: share of synthetic closer to train than to holdout."""
    share = float(np.mean(s_train < s_hold))
    score = min(2.0 * (1.0 - share), 1.0)
    expected = len(train) / (len(train) + len(hold))
    details = {
        "share_closer_to_train": share,
        "expected_share_if_no_memorisation": expected,
        "formula": "min(2 * (1 - share), 1)",
    }
    if abs(len(train) - len(hold)) > 0.1 * max(len(train), len(hold)):
        details["warning"] = (
            f"train ({len(train)}) and holdout ({len(hold)}) differ in size; the score assumes equal sizes "
            f"(expected share without memorisation here is {expected:.2f}, not 0.5)"
        )
    return build("memorisation.sdmetrics_score", score,
                 n={"train": len(train), "holdout": len(hold), "synthetic": len(syn)}, details=details,
                 share=share, expected=expected)
