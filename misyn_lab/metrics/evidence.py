"""The standard real-vs-synthetic evaluation, in one place, used by notebooks and the report.

* :func:`evaluate_all`: feature matrices in, ``{key: MetricResult}`` out (PRDC with optional bootstrap CIs,
  Fréchet, RBF-MMD with a permutation test, largest per-feature KS, detection AUC, memorisation).
* :func:`evaluate_imagesets`: three ImageSets (real train, real held-out, synthetic) in, an
  :class:`Evaluation` out: the same measurements on standardised features, plus per-subgroup results and
  train-on-synthetic-test-on-real (TSTR) when a subgroup column is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from misyn_lab.errors import InputError
from misyn_lab.metrics.distances import MMD_MAX_N, feature_shift, frechet_distance, ks_max, mmd_rbf
from misyn_lab.metrics.fidelity import prdc
from misyn_lab.metrics.knn import as_feature_matrix, check_same_dim
from misyn_lab.metrics.memorisation import MemorisationResult, memorisation
from misyn_lab.metrics.result import MetricResult
from misyn_lab.metrics.utility import UtilityResult

if TYPE_CHECKING:
    from misyn_lab.engine import Engine
    from misyn_lab.imagesets.core import ImageSet

#: Feature kinds :func:`evaluate_imagesets` measures on.
IMAGESET_FEATURES = "intensity+texture+embedding"


class EvidenceResults(dict):
    """``{key: MetricResult}`` as returned by :func:`evaluate_all`, plus what the figures need.

    ``feature_shift``: the per-feature shift table behind ``ks.max``; ``memorisation``: the full
    :class:`MemorisationResult` (per-sample ratios, offenders) or ``None`` without ``train_feats``.
    """

    feature_shift: pd.DataFrame
    memorisation: MemorisationResult | None


@dataclass
class Evaluation:
    """Everything :func:`evaluate_imagesets` measured.

    ``by_subgroup`` is empty and ``utility`` is ``None`` when no subgroup column was given (see ``notes``).
    """

    results: dict[str, MetricResult]
    by_subgroup: pd.DataFrame
    memorisation: MemorisationResult | None
    utility: UtilityResult | None
    feature_shift: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def evaluate_all(
    real_feats: np.ndarray,
    syn_feats: np.ndarray,
    *,
    k: int = 5,
    feature_set: str | None = None,
    feature_names: Sequence[str] | None = None,
    train_feats: np.ndarray | None = None,
    holdout_feats: np.ndarray | None = None,
    bootstrap: int = 0,
    permutations: int = 200,
    detection: bool = True,
    seed: int = 0,
    mmd_max_n: int | None = MMD_MAX_N,
    knn_backend: str = "auto",
) -> EvidenceResults:
    """PRDC, Fréchet, MMD, KS max, detection AUC (and memorisation when ``train_feats`` is given).

    ``bootstrap`` > 0 adds percentile confidence intervals to the PRDC results. Returns
    ``{key: MetricResult}`` (an :class:`EvidenceResults`, which also keeps the per-feature shift table and the
    memorisation arrays); every result carries a one-sentence plain interpretation. Detection is skipped when a
    set has fewer than 5 samples; every other input problem raises :class:`InputError`. ``mmd_max_n`` caps the
    rows of each set entering the MMD test (``None``: all; the result states how many entered);
    ``knn_backend`` picks where memorisation's exact neighbour searches run (same results on every backend).
    """
    real = as_feature_matrix(real_feats, "real_feats")
    syn = as_feature_matrix(syn_feats, "syn_feats")
    check_same_dim(real, syn, "real_feats", "syn_feats")
    out = EvidenceResults()
    out.update(prdc(real, syn, k, bootstrap=bootstrap, seed=seed, feature_set=feature_set).metrics)
    out["frechet"] = frechet_distance(real, syn, feature_set=feature_set)
    out["mmd.rbf"] = mmd_rbf(real, syn, permutations=permutations, seed=seed, max_n=mmd_max_n)
    out.feature_shift = feature_shift(real, syn, feature_names)
    out["ks.max"] = ks_max(real, syn, feature_names, table=out.feature_shift)
    if detection and min(len(real), len(syn)) >= 5:
        from misyn_lab.metrics.utility import detection_auc

        out["detection.auc"] = detection_auc(real, syn, seed)
    out.memorisation = None
    if train_feats is not None:
        out.memorisation = memorisation(train_feats, syn, holdout_real=holdout_feats, knn_backend=knn_backend)
        out.update(out.memorisation.metrics)
    return out


def evaluate_imagesets(
    train: ImageSet,
    holdout: ImageSet,
    synthetic: ImageSet,
    *,
    subgroup: str | None = None,
    seed: int = 0,
    bootstrap: int = 200,
    permutations: int = 200,
    scheduler: str | Engine | None = None,
    chunk_size: int | None = None,
    mmd_max_n: int | None = MMD_MAX_N,
    knn_backend: str = "auto",
) -> Evaluation:
    """All evaluation-stage measurements (model space, rung 1) of ``synthetic`` against real images.

    Features (intensity, texture and a PCA embedding fitted on ``train``) are z-scored with the training
    set's statistics. ``holdout`` (real images never shown to the generator) calibrates memorisation and is
    the TSTR test set. ``subgroup`` (a metadata column of all three sets) adds per-subgroup results
    (``by_subgroup``, ``subgroup.*`` keys) and TSTR with the subgroup as label; ``None`` or ``""`` skips both
    (noted in ``notes``).

    Large sets: each of the three may also be a file-backed
    :class:`~misyn_lab.imagesets.files.ImageFiles` (read chunk by chunk) or a
    :class:`~misyn_lab.features.table.FeatureTable` saved by ``misyn-lab features`` (all in the embedding
    fitted on the training images). ``scheduler`` (``"local"``, a Dask scheduler address or an
    :class:`~misyn_lab.engine.Engine`; ``pip install "misyn-lab[scale]"``) computes the features in chunks of
    ``chunk_size`` on Dask, with the same results. ``mmd_max_n`` and ``knn_backend`` are passed to
    :func:`evaluate_all`.
    """
    from misyn_lab.features import standardise
    from misyn_lab.features.stream import evaluation_tables
    from misyn_lab.imagesets.files import ImageFiles
    from misyn_lab.metrics.subgroups import by_subgroup, subgroup_summary
    from misyn_lab.metrics.utility import tstr

    subgroup = subgroup or None

    def check_subgroup(sets: Sequence[tuple[str, Any]]) -> None:
        """Every set has the subgroup column (file-backed sets are checked once their metadata is read)."""
        for name, s in sets:
            meta = None if isinstance(s, ImageFiles) else getattr(s, "meta", None)
            if subgroup is not None and meta is not None and subgroup not in meta:
                raise InputError(f"the {name} set has no metadata column {subgroup!r}", path=s.name,
                                 remedy=f"choose subgroup from {list(meta.columns)} or pass subgroup=None")

    check_subgroup((("train", train), ("holdout", holdout), ("synthetic", synthetic)))
    if min(len(train), len(synthetic)) < 3 or len(holdout) < 1:
        raise InputError(f"too few images (train {len(train)}, held-out {len(holdout)}, synthetic "
                         f"{len(synthetic)})", path="evaluate_imagesets",
                         remedy="give at least 3 training, 1 held-out and 3 synthetic images")
    t_tr, t_ho, t_sy = evaluation_tables(train, holdout, synthetic, kind=IMAGESET_FEATURES, seed=seed,
                                         scheduler=scheduler, chunk_size=chunk_size)
    check_subgroup((("train", t_tr), ("holdout", t_ho), ("synthetic", t_sy)))
    f_tr, f_ho, f_sy = t_tr.features, t_ho.features, t_sy.features
    m_tr, m_ho, m_sy = t_tr.meta, t_ho.meta, t_sy.meta
    z_tr, z_rest = standardise(f_tr.values, np.vstack([f_sy.values, f_ho.values]))  # one set of training stats
    z_sy, z_ho = z_rest[:len(f_sy)], z_rest[len(f_sy):]
    k = int(min(5, len(z_tr) - 1, len(z_sy) - 1))
    m = evaluate_all(z_tr, z_sy, k=k, feature_set=IMAGESET_FEATURES, feature_names=f_tr.names, train_feats=z_tr,
                     holdout_feats=z_ho, bootstrap=bootstrap, permutations=permutations, seed=seed,
                     mmd_max_n=mmd_max_n, knn_backend=knn_backend)
    results = dict(m)
    table, util, notes = pd.DataFrame(), None, []
    if subgroup is None:
        notes.append("no subgroup column given: per-subgroup results and TSTR skipped")
    else:
        table = by_subgroup(z_tr, m_tr, z_sy, m_sy, subgroup, k=k, seed=seed)
        results.update(subgroup_summary(table, subgroup))
        lacking = [name for name, meta in (("synthetic", m_sy), ("training", m_tr))
                   if meta[subgroup].nunique() < 2]
        if not lacking:
            util = tstr(z_tr, m_tr[subgroup], z_sy, m_sy[subgroup], z_ho, m_ho[subgroup],
                        groups=m_ho[subgroup], seed=seed, bootstrap=bootstrap)
            results.update(util.metrics)
        else:
            sets = " and the ".join(lacking)
            notes.append(f"TSTR skipped: the {sets} set{'s have' if len(lacking) > 1 else ' has'} fewer than two "
                         f"{subgroup!r} values")
    return Evaluation(results=results, by_subgroup=table, memorisation=m.memorisation, utility=util,
                      feature_shift=m.feature_shift, notes=notes)
