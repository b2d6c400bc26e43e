"""The standard real-vs-synthetic evaluation, in one place, used by notebooks and the report.

**One evaluation protocol.** Real images are split into what the generator was trained on and a held-out
reference it never saw. Fidelity and coverage (PRDC), distances (Fréchet, MMD, KS) and detection are measured
against the **held-out** images; memorisation compares the synthetic images with the **training** images, with
the held-out images as the negative control (a copy rule must not flag them). When no training set is named,
every real image is held-out, and memorisation compares against all of them (each real image against the others
is the negative control). Every result records its ``split`` and the number of real images behind it
(:data:`misyn_lab.metrics.result.SPLITS`).

* :func:`evaluate_all`: feature matrices in, ``{key: MetricResult}`` out (PRDC with optional bootstrap CIs,
  Fréchet, RBF-MMD with a permutation test, largest per-feature KS, detection AUC with a CI, memorisation).
* :func:`evaluate_imagesets`: three ImageSets (real train or ``None``, real held-out, synthetic) in, an
  :class:`Evaluation` out: the same measurements on standardised features, the pixel-space copy check
  (:mod:`misyn_lab.metrics.copies`), per-subgroup results when a subgroup column is given, and
  train-on-synthetic-test-on-real (TSTR) when a *task* label column is given (never the subgroup implicitly).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from misyn_lab import render
from misyn_lab.errors import InputError
from misyn_lab.imagesets.core import ImageSet
from misyn_lab.metrics.document import evaluation_section
from misyn_lab.metrics.copies import CONTROL_LEAVE_ONE_OUT, PixelCopyResult, feature_copy_reading, pixel_copies
from misyn_lab.metrics.distances import MMD_MAX_N, feature_shift, frechet_distance, ks_max, mmd_rbf
from misyn_lab.metrics.fidelity import prdc
from misyn_lab.metrics.knn import as_feature_matrix, check_same_dim
from misyn_lab.metrics.memorisation import MemorisationResult, memorisation
from misyn_lab.metrics.result import SPLIT_ALL_REAL, SPLIT_HELDOUT, SPLIT_TRAINING, MetricResult
from misyn_lab.metrics.subgroups import SubgroupFrame, subgroup_frame
from misyn_lab.metrics.utility import UtilityResult, check_task, detection_auc, tstr

if TYPE_CHECKING:
    from misyn_lab.engine import Engine
    from misyn_lab.features.table import FeatureTable
    from misyn_lab.imagesets.files import ImageFiles

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

    Attributes
    ----------
    results : dict of str to MetricResult
        Every result by key, each with its split and n.
    subgroups : SubgroupFrame or None
        Per-subgroup results; ``None`` when no subgroup column was given.
    memorisation : MemorisationResult or None
        Memorisation against the training images (held-out real as the negative control).
    utility : UtilityResult or None
        TSTR vs TRTR; ``None`` without a task label (see ``notes``).
    feature_shift : DataFrame
        Per-feature shift between held-out real and synthetic images.
    notes : list of str
        What was not measured, and why.
    protocol : dict
        Which real images each kind of result was measured against, with their numbers (``n_train`` is 0 when
        no training set was named).
    pixel_copies : PixelCopyResult or None
        The pixel-space copy check.

    Examples
    --------
    >>> ev = Evaluation(results={}, subgroups=None, memorisation=None, utility=None, feature_shift=pd.DataFrame(),
    ...                 protocol={"n_train": 0, "n_holdout": 30, "n_synthetic": 20})
    >>> ev.protocol_text()[:60]
    'No training set was named, so every real image (30) is treat'
    """

    results: dict[str, MetricResult]
    subgroups: SubgroupFrame | None
    memorisation: MemorisationResult | None
    utility: UtilityResult | None
    feature_shift: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    protocol: dict = field(default_factory=dict)
    pixel_copies: PixelCopyResult | None = None

    def to_section(self, title: str = "Measured results", *, id: str = "") -> render.Section:
        """This evaluation as a document section (:func:`misyn_lab.metrics.document.evaluation_section`)."""
        return evaluation_section(self, title=title, id=id, features=IMAGESET_FEATURES)

    def _repr_html_(self) -> str:
        return render.to_html(self.to_section())

    def __repr__(self) -> str:  # the text a notebook stores beside the HTML (the frames are in the HTML)
        groups = 0 if self.subgroups is None else len(self.subgroups)
        return f"Evaluation({len(self.results)} results, {groups} subgroups, protocol={self.protocol})"

    def protocol_text(self) -> str:
        """One sentence naming the split and n of the fidelity and memorisation results (from ``protocol``)."""
        p = self.protocol
        if not p:
            return ""
        if p["n_train"]:
            return (f"Fidelity, coverage, distances and detection: against the {p['n_holdout']} held-out real "
                    f"images the generator never saw. Memorisation: against the {p['n_train']} training images, "
                    f"with the held-out images as the negative control.")
        return (f"No training set was named, so every real image ({p['n_holdout']}) is treated as held-out: "
                "fidelity, coverage, distances and detection are measured against all of them, and memorisation "
                "compares the synthetic images with all of them (each real image against the others is the "
                "negative control).")


def _fidelity(real: np.ndarray, syn: np.ndarray, k: int, feature_set: str | None,
              feature_names: Sequence[str] | None, *, bootstrap: int, permutations: int, detection: bool, seed: int,
              mmd_max_n: int | None) -> tuple[dict[str, MetricResult], pd.DataFrame]:
    """PRDC, Fréchet, MMD, KS max and (with 5 samples per set) detection, and the per-feature shift table."""
    fidelity: dict[str, MetricResult] = dict(prdc(real, syn, k, bootstrap=bootstrap, seed=seed,
                                                  feature_set=feature_set).metrics)
    fidelity["frechet"] = frechet_distance(real, syn, feature_set=feature_set)
    fidelity["mmd.rbf"] = mmd_rbf(real, syn, permutations=permutations, seed=seed, max_n=mmd_max_n)
    shift = feature_shift(real, syn, feature_names)
    fidelity["ks.max"] = ks_max(real, syn, feature_names, table=shift)
    if detection and min(len(real), len(syn)) >= 5:
        fidelity["detection.auc"] = detection_auc(real, syn, seed)
    return fidelity, shift


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
    split: str = SPLIT_HELDOUT,
    mmd_max_n: int | None = MMD_MAX_N,
    knn_backend: str = "auto",
) -> EvidenceResults:
    """PRDC, Fréchet, MMD, KS max, detection AUC (and memorisation when ``train_feats`` is given), each with a
    one-sentence interpretation and the split it was measured against.

    Parameters
    ----------
    real_feats, syn_feats : ndarray
        The real features fidelity is measured against (held-out, or all real without a training set) and the
        synthetic ones.
    k : int
        PRDC neighbourhood size.
    feature_set, feature_names : str, sequence of str, optional
        Names of the features (recorded with the results).
    train_feats, holdout_feats : ndarray, optional
        Memorisation compares with ``train_feats`` and reads the copy rate against the negative control
        ``holdout_feats`` (verdict ``copies`` / ``inconclusive``, :mod:`misyn_lab.metrics.copies`).
    bootstrap, permutations : int
        PRDC bootstrap resamples (percentile CIs) and MMD permutations.
    detection : bool
        Measure the detection AUC (skipped when a set has fewer than 5 samples).
    seed : int
        Seed of every resampling.
    split : str
        Split of ``real_feats``: :data:`~misyn_lab.metrics.result.SPLIT_HELDOUT` or ``SPLIT_ALL_REAL``.
    mmd_max_n, knn_backend : int or None, str
        Rows of each set entering the MMD test (``None``: all); where memorisation's exact searches run.

    Returns
    -------
    EvidenceResults
        ``{key: MetricResult}`` plus the per-feature shift table and the memorisation arrays.

    Raises
    ------
    InputError
        For bad matrices or a split fidelity is not measured against.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> real, syn = rng.normal(size=(40, 3)), rng.normal(0.5, 1.0, size=(30, 3))
    >>> out = evaluate_all(real, syn, permutations=0, detection=False)
    >>> sorted(out), out["frechet"].split
    (['frechet', 'ks.max', 'mmd.rbf', 'prdc.coverage', 'prdc.density', 'prdc.precision', 'prdc.recall'], 'held-out')
    """
    real = as_feature_matrix(real_feats, "real_feats")
    syn = as_feature_matrix(syn_feats, "syn_feats")
    check_same_dim(real, syn, "real_feats", "syn_feats")
    if split not in (SPLIT_HELDOUT, SPLIT_ALL_REAL):
        raise InputError(f"fidelity is measured against held-out images, not split {split!r}", path="split",
                         remedy=f"use {SPLIT_HELDOUT!r} or {SPLIT_ALL_REAL!r}")
    out = EvidenceResults()
    fidelity, out.feature_shift = _fidelity(real, syn, k, feature_set, feature_names, bootstrap=bootstrap,
                                            permutations=permutations, detection=detection, seed=seed,
                                            mmd_max_n=mmd_max_n)
    # every fidelity result records its split; n["real"] is the reference size, except for MMD, whose n states the
    # rows that entered its test (capped by mmd_max_n)
    out.update({key: r.with_split(split, n_real=None if key == "mmd.rbf" else len(real))
                for key, r in fidelity.items()})
    out.memorisation = None
    if train_feats is not None:
        out.memorisation = memorisation(train_feats, syn, holdout_real=holdout_feats, knn_backend=knn_backend)
        out.update(_copy_readings(out.memorisation, holdout_feats, split))
    return out


def _copy_readings(mem: MemorisationResult, holdout_feats: np.ndarray | None,
                   split: str) -> dict[str, MetricResult]:
    """The memorisation results with their split, the copy rate read against its negative control (the held-out
    images, or without them each training image against the others)."""
    mem_split = SPLIT_ALL_REAL if split == SPLIT_ALL_REAL else SPLIT_TRAINING
    out = {key: r.with_split(mem_split) for key, r in mem.metrics.items()}
    rate = out["memorisation.copy_rate"]
    if holdout_feats is not None:
        out["memorisation.copy_rate"] = feature_copy_reading(rate, len(holdout_feats))
    else:  # the training images against each other are the only negative control
        typical = float(rate.details["typical_train_nn_distance"])
        loo = float(np.mean(mem.train_nn_dist / typical < mem.threshold))
        out["memorisation.copy_rate"] = feature_copy_reading(rate, len(mem.train_nn_dist), false_alarm=loo,
                                                             control=CONTROL_LEAVE_ONE_OUT)
    return out


def _check_columns(sets: Sequence[tuple[str, Any]], subgroup: str | None, task: str | None) -> None:
    """Every set whose metadata is known has the subgroup and task columns (an InputError names the first gap)."""
    from misyn_lab.imagesets.files import ImageFiles

    for column, what in ((subgroup, "subgroup"), (task, "task")):
        if column is None:
            continue
        for name, s in sets:
            meta = None if isinstance(s, ImageFiles) else getattr(s, "meta", None)
            if meta is not None and column not in meta:
                raise InputError(f"the {name} set has no metadata column {column!r}", path=s.name,
                                 remedy=f"choose {what} from {list(meta.columns)} or pass {what}=None")


@dataclass(frozen=True)
class _Features:
    """The three sets' standardised features (``z_*``; without a training set ``z_ho`` is ``z_ref``), their
    metadata (``m_*``) and the feature names."""

    z_ref: np.ndarray
    z_ho: np.ndarray
    z_sy: np.ndarray
    m_ref: pd.DataFrame
    m_ho: pd.DataFrame
    m_sy: pd.DataFrame
    names: list[str]


def _feature_matrices(reference: Any, holdout: Any, synthetic: Any, has_train: bool, subgroup: str | None,
                      task: str | None, *, seed: int, scheduler: Any, chunk_size: int | None) -> _Features:
    """Features of all three sets in the embedding fitted on the reference (training) images, z-scored with one
    set of statistics (the reference's)."""
    from misyn_lab.features import standardise
    from misyn_lab.features.stream import evaluation_tables

    t_ref, t_ho, t_sy = evaluation_tables(reference, holdout, synthetic, kind=IMAGESET_FEATURES, seed=seed,
                                          scheduler=scheduler, chunk_size=chunk_size)
    _check_columns((("train" if has_train else "holdout", t_ref), ("holdout", t_ho), ("synthetic", t_sy)),
                   subgroup, task)
    f_ref, f_ho, f_sy = t_ref.features, t_ho.features, t_sy.features
    z_ref, z_rest = standardise(f_ref.values, np.vstack([f_sy.values, f_ho.values]))  # one set of statistics
    z_sy, z_ho = z_rest[:len(f_sy)], z_rest[len(f_sy):]
    return _Features(z_ref=z_ref, z_ho=z_ho if has_train else z_ref, z_sy=z_sy, m_ref=t_ref.meta, m_ho=t_ho.meta,
                     m_sy=t_sy.meta, names=list(f_ref.names))


def _utility(f: _Features, task: str | None, subgroup: str | None, has_train: bool, notes: list[str], *,
             seed: int, bootstrap: int) -> UtilityResult | None:
    """TSTR against the training images when a task label is given and both training sets hold two of its
    values; otherwise ``None`` and a note saying why it was skipped."""
    if task is None:
        notes.append("no task label given: TSTR (train on synthetic, test on real) skipped")
        return None
    if not has_train:
        notes.append("TSTR skipped: it compares with a classifier trained on the training images, and no training "
                     "set was named")
        return None
    lacking = [name for name, meta in (("synthetic", f.m_sy), ("training", f.m_ref)) if meta[task].nunique() < 2]
    if lacking:
        sets_text = " and the ".join(lacking)
        notes.append(f"TSTR skipped: the {sets_text} set{'s have' if len(lacking) > 1 else ' has'} fewer than "
                     f"two {task!r} values")
        return None
    return tstr(f.z_ref, f.m_ref[task], f.z_sy, f.m_sy[task], f.z_ho, f.m_ho[task],
                groups=f.m_ho[subgroup] if subgroup else None, seed=seed, bootstrap=bootstrap)


def _check_inputs(train: Any, holdout: Any, synthetic: Any, has_train: bool, subgroup: str | None,
                  task: str | None) -> tuple[tuple[str, Any], ...]:
    """The named sets, once their columns and sizes are checked (file-backed sets are checked again once their
    metadata is read)."""
    sets = (("train", train), ("holdout", holdout), ("synthetic", synthetic)) if has_train else (
        ("holdout", holdout), ("synthetic", synthetic))
    _check_columns(sets, subgroup, task)
    reference = train if has_train else holdout
    if min(len(reference), len(synthetic)) < 3 or len(holdout) < 1:
        raise InputError(f"too few images (train {len(train) if has_train else 0}, held-out {len(holdout)}, "
                         f"synthetic {len(synthetic)})", path="evaluate_imagesets",
                         remedy="give at least 3 training (or, without a training set, 3 real), 1 held-out and "
                                "3 synthetic images")
    return sets


def _pixel_step(pixel_check: bool, sets: tuple[tuple[str, Any], ...], reference: Any, synthetic: Any,
                holdout: Any, positive_controls: Mapping[str, object] | None,
                notes: list[str]) -> PixelCopyResult | None:
    """The pixel-space copy check when asked for and every set is in memory (else a note says it was skipped)."""
    if not pixel_check:
        return None
    if all(isinstance(s, ImageSet) for _, s in sets):
        return pixel_copies(reference, synthetic, holdout, positive_controls=positive_controls)
    notes.append("pixel-space copy check skipped: it needs the images in memory (file-backed or saved-feature "
                 "inputs); memorisation is read in feature space only")
    return None


def evaluate_imagesets(
    train: ImageSet | ImageFiles | FeatureTable | None,
    holdout: ImageSet | ImageFiles | FeatureTable,
    synthetic: ImageSet | ImageFiles | FeatureTable,
    *,
    subgroup: str | None = None,
    task: str | None = None,
    sensitive_task: bool = False,
    seed: int = 0,
    bootstrap: int = 200,
    permutations: int = 200,
    pixel_check: bool = True,
    positive_controls: Mapping[str, object] | None = None,
    scheduler: str | Engine | None = None,
    chunk_size: int | None = None,
    mmd_max_n: int | None = MMD_MAX_N,
    knn_backend: str = "auto",
) -> Evaluation:
    """All evaluation-stage measurements (model space, rung 1) of ``synthetic`` against real images; features
    (intensity, texture and a PCA embedding fitted on the training images, or on the held-out ones without a
    training set) are z-scored with that set's statistics.

    Parameters
    ----------
    train, holdout, synthetic : ImageSet, ImageFiles or FeatureTable
        ``train``: the images the generator was trained on, or ``None`` (then every real image is held-out; said
        in ``notes``). ``holdout``: real images it never saw (the reference for fidelity, coverage, distances and
        detection, the negative control for memorisation, the TSTR test set). File-backed ``ImageFiles`` are read
        in chunks; a ``FeatureTable`` of ``misyn-lab features`` is used as saved (the pixel check is then skipped).
    subgroup, task : str, optional
        A metadata column for per-subgroup results (``subgroups``, ``subgroup.*``); a label column for TSTR
        against a classifier trained on the training images (a sensitive attribute is refused unless
        ``sensitive_task`` declares it, :func:`misyn_lab.metrics.utility.check_task`).
    sensitive_task : bool
        Declare a sensitive attribute as the TSTR task.
    seed, bootstrap, permutations : int
        Seed and resamples of every resampling step.
    pixel_check, positive_controls : bool, mapping
        The pixel-space copy check (``memorisation.pixel_copy_rate``) and known copies measuring its sensitivity
        (``name -> images``, e.g. :func:`misyn_lab.metrics.copies.copy_probes`).
    scheduler, chunk_size : optional
        ``"local"``, a Dask address or an :class:`~misyn_lab.engine.Engine` computing the features in chunks
        (``pip install "misyn-lab[scale]"``; same results).
    mmd_max_n, knn_backend : int or None, str
        Passed to :func:`evaluate_all`.

    Returns
    -------
    Evaluation
        Results, per-subgroup frame, memorisation, utility, notes and the protocol.

    Raises
    ------
    InputError
        For missing columns, too few images or a refused task.

    Examples
    --------
    >>> from misyn_lab.imagesets import ImageSet
    >>> rng = np.random.default_rng(0)
    >>> def images(n, shift, synthetic=False):
    ...     return ImageSet.from_arrays(np.clip(rng.normal(0.5 + shift, 0.1, (n, 16, 16)), 0, 1), synthetic=synthetic)
    >>> ev = evaluate_imagesets(images(12, 0.0), images(10, 0.0), images(10, 0.2, True), bootstrap=0,
    ...                         permutations=0, pixel_check=False)
    >>> ev.protocol["fidelity_split"], len(ev.results), ev.subgroups is None
    ('held-out', 12, True)
    """
    subgroup = subgroup or None
    task = check_task(task, sensitive_task=sensitive_task)
    has_train = train is not None and len(train) > 0
    sets = _check_inputs(train, holdout, synthetic, has_train, subgroup, task)
    reference = train if has_train else holdout
    notes: list[str] = []
    if not has_train:
        notes.append(f"no training set named: all {len(holdout)} real images are treated as held-out; memorisation "
                     "is checked against all of them")
    f = _feature_matrices(reference, holdout, synthetic, has_train, subgroup, task, seed=seed, scheduler=scheduler,
                          chunk_size=chunk_size)
    z_ref, z_ho, z_sy, m_ho, m_sy = f.z_ref, f.z_ho, f.z_sy, f.m_ho, f.m_sy
    k = int(min(5, len(z_ho) - 1, len(z_sy) - 1))
    if k < 1:
        raise InputError(f"too few held-out images ({len(z_ho)}) for nearest-neighbour metrics",
                         path="evaluate_imagesets", remedy="give at least 2 held-out real images")
    split = SPLIT_HELDOUT if has_train else SPLIT_ALL_REAL
    m = evaluate_all(z_ho, z_sy, k=k, feature_set=IMAGESET_FEATURES, feature_names=f.names, train_feats=z_ref,
                     holdout_feats=z_ho if has_train else None, bootstrap=bootstrap, permutations=permutations,
                     seed=seed, split=split, mmd_max_n=mmd_max_n, knn_backend=knn_backend)
    results = dict(m)
    pixel = _pixel_step(pixel_check, sets, reference, synthetic, holdout if has_train else None, positive_controls,
                        notes)
    results.update({} if pixel is None else pixel.metrics)
    groups = None
    if subgroup is None:
        notes.append("no subgroup column given: per-subgroup results skipped")
    else:
        groups = subgroup_frame(z_ho, m_ho, z_sy, m_sy, subgroup, k=k, seed=seed)
        results.update({key: r.with_split(split) for key, r in groups.summary().items()})
    util = _utility(f, task, subgroup, has_train, notes, seed=seed, bootstrap=bootstrap)
    if util is not None:
        results.update({key: r.with_split(SPLIT_HELDOUT, n_real=len(z_ho)) for key, r in util.metrics.items()})
    protocol = {"n_train": len(train) if has_train else 0, "n_holdout": len(holdout), "n_synthetic": len(synthetic),
                "fidelity_split": split, "memorisation_split": SPLIT_TRAINING if has_train else SPLIT_ALL_REAL,
                "subgroup": subgroup, "task": task}
    return Evaluation(results=results, subgroups=groups, memorisation=m.memorisation, utility=util,
                      feature_shift=m.feature_shift, notes=notes, protocol=protocol, pixel_copies=pixel)
