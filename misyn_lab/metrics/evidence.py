"""One call for the standard real-vs-synthetic evidence, used by notebooks and the report."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from misyn_lab.metrics.distances import feature_shift, frechet_distance, ks_max, mmd_rbf
from misyn_lab.metrics.fidelity import prdc
from misyn_lab.metrics.knn import as_feature_matrix, check_same_dim
from misyn_lab.metrics.result import MetricResult


def evaluate_all(
    real_feats: np.ndarray,
    syn_feats: np.ndarray,
    *,
    k: int = 5,
    feature_set: str | None = None,
    feature_names: Sequence[str] | None = None,
    train_feats: np.ndarray | None = None,
    holdout_feats: np.ndarray | None = None,
    permutations: int = 200,
    detection: bool = True,
    seed: int = 0,
) -> dict[str, MetricResult]:
    """PRDC, Fréchet, MMD, KS max, detection AUC (and memorisation when ``train_feats`` is given).

    Returns ``{key: MetricResult}``; every result carries a one-sentence plain interpretation. Detection is
    skipped when a set has fewer than 5 samples; every other input problem raises :class:`InputError`.
    """
    real = as_feature_matrix(real_feats, "real_feats")
    syn = as_feature_matrix(syn_feats, "syn_feats")
    check_same_dim(real, syn, "real_feats", "syn_feats")
    out: dict[str, MetricResult] = {}
    out.update(prdc(real, syn, k, feature_set=feature_set).metrics)
    out["frechet"] = frechet_distance(real, syn, feature_set=feature_set)
    out["mmd.rbf"] = mmd_rbf(real, syn, permutations=permutations, seed=seed)
    out["ks.max"] = ks_max(real, syn, table=feature_shift(real, syn, feature_names))
    if detection and min(len(real), len(syn)) >= 5:
        from misyn_lab.metrics.utility import detection_auc

        out["detection.auc"] = detection_auc(real, syn, seed)
    if train_feats is not None:
        from misyn_lab.metrics.memorisation import memorisation

        out.update(memorisation(train_feats, syn, holdout_real=holdout_feats).metrics)
    return out
