"""The measurements of the evaluation notebook (05) in one call, on the user's images or the teaching set.

:func:`load_inputs` gives (real train, real held-out, synthetic); :func:`evaluate` computes fidelity and
diversity (PRDC with bootstrap CIs), distribution distances (Fréchet, RBF-MMD with a permutation test, largest
per-feature KS), memorisation (calibrated on held-out real images), per-subgroup views and train-on-synthetic-
test-on-real, all as :class:`MetricResult` objects keyed like the checklist's ``metric_keys``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from misyn_lab.errors import InputError
from misyn_lab.imagesets.core import ImageSet
from misyn_lab.metrics.result import MetricResult


@dataclass
class Inputs:
    """The three image sets of an evaluation (the held-out real set is never given to a generator)."""

    train: ImageSet
    holdout: ImageSet
    synthetic: ImageSet
    note: str


@dataclass
class Evaluation:
    """Everything :func:`evaluate` measured."""

    results: dict[str, MetricResult]
    by_subgroup: pd.DataFrame
    memorisation: Any
    utility: Any
    feature_shift: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def load_inputs(real_path: str | Path | None = None, synthetic_path: str | Path | None = None, *,
                n: int = 120, seed: int = 0, subgroup: str = "plane", size: tuple[int, int] = (32, 32),
                generator: str = "subgroup_skewed") -> Inputs:
    """Real and synthetic images for the evaluation.

    ``real_path=None``: the bundled brain MR slices. ``synthetic_path=None``: ``n`` images from a teaching
    generator fitted on the real training part (default: one that under-samples a subgroup, so there is
    something to find). Paths go through :func:`misyn_lab.imagesets.loaders.load_images` at ``size``.
    """
    from misyn_lab.imagesets.loaders import load_images
    from misyn_lab.synth.registry import make_generator
    from misyn_lab.widgets.workbook import split_real, teaching_real_set

    if real_path is None and synthetic_path is not None:
        raise InputError("a synthetic set needs the real set it imitates", path=str(synthetic_path),
                         remedy="pass real_path as well")
    real = teaching_real_set(size=size) if real_path is None else load_images(real_path, size=size)
    if real.synthetic.any():
        raise InputError(f"{int(real.synthetic.sum())} image(s) in the real set are marked synthetic",
                         path=str(real_path), remedy="give a folder of real images only")
    if subgroup and subgroup not in real.meta:
        raise InputError(f"the real set has no column {subgroup!r}", path=str(real_path or "samples"),
                         remedy=f"choose subgroup from {list(real.meta.columns)}")
    train, holdout = split_real(real, seed=seed)
    if synthetic_path is None:
        kwargs: dict[str, Any] = {"column": subgroup} if generator == "subgroup_skewed" else {}
        gen = make_generator(generator, **kwargs).fit(train)
        syn = gen.sample(int(n), seed=seed)
        note = f"synthetic: {n} images from the teaching generator {generator!r} fitted on {len(train)} real images"
    else:
        syn = load_images(synthetic_path, size=size)
        syn = syn.with_meta(synthetic=True) if not syn.synthetic.all() else syn
        note = f"synthetic: {len(syn)} images from {synthetic_path}"
    return Inputs(train=train, holdout=holdout, synthetic=syn, note=note)


def evaluate(inputs: Inputs, *, subgroup: str | None = "plane", seed: int = 0, bootstrap: int = 200,
             permutations: int = 200) -> Evaluation:
    """All evaluation-stage measurements (model space, rung 1) on standardised features."""
    from misyn_lab.features import PCAEmbedding, extract_features, standardise
    from misyn_lab.metrics import distances
    from misyn_lab.metrics.fidelity import prdc
    from misyn_lab.metrics.memorisation import memorisation
    from misyn_lab.metrics.subgroups import by_subgroup, subgroup_summary
    from misyn_lab.metrics.utility import detection_auc, tstr

    tr, ho, sy = inputs.train, inputs.holdout, inputs.synthetic
    h, w = tr.image_shape[:2]
    emb = PCAEmbedding.fit(tr, n_components=int(min(16, len(tr) - 1)), size=(min(h, 64), min(w, 64)), seed=seed)
    kind = "intensity+texture+embedding"
    f_tr, f_ho, f_sy = (extract_features(s, kind, embedding=emb, progress=False) for s in (tr, ho, sy))
    z_tr, z_sy = standardise(f_tr.values, f_sy.values)
    _, z_ho = standardise(f_tr.values, f_ho.values)
    res: dict[str, MetricResult] = {}
    k = int(min(5, len(z_tr) - 1, len(z_sy) - 1))
    res.update(prdc(z_tr, z_sy, k=k, bootstrap=bootstrap, seed=seed, feature_set=kind).metrics)
    res["frechet"] = distances.frechet_distance(z_tr, z_sy, feature_set=kind)
    res["mmd.rbf"] = distances.mmd_rbf(z_tr, z_sy, permutations=permutations, seed=seed)
    shift = distances.feature_shift(z_tr, z_sy, f_tr.names)
    res["ks.max"] = distances.ks_max(z_tr, z_sy, f_tr.names, table=shift)
    mem = memorisation(z_tr, z_sy, holdout_real=z_ho)
    res.update(mem.metrics)
    table = pd.DataFrame()
    util = None
    notes = [inputs.note]
    if subgroup:
        table = by_subgroup(z_tr, tr.meta, z_sy, sy.meta, subgroup, k=k, seed=seed)
        res.update(subgroup_summary(table, subgroup))
        if sy.meta[subgroup].nunique() >= 2 and tr.meta[subgroup].nunique() >= 2:
            util = tstr(z_tr, tr.meta[subgroup], z_sy, sy.meta[subgroup], z_ho, ho.meta[subgroup],
                        groups=ho.meta[subgroup], seed=seed, bootstrap=bootstrap)
            res.update(util.metrics)
        else:
            notes.append(f"TSTR skipped: the synthetic set has fewer than two {subgroup!r} values")
    res["detection.auc"] = detection_auc(z_tr, z_sy, seed=seed)
    return Evaluation(results=res, by_subgroup=table, memorisation=mem, utility=util, feature_shift=shift,
                      notes=notes)


def subgroup_figure(table: pd.DataFrame, column: str) -> Figure:
    """Per-subgroup share (real vs synthetic) and coverage: which group does the synthetic set under-serve?"""
    fig = Figure(figsize=(8, 3), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    names = [str(s) for s in table["subgroup"]]
    x = np.arange(len(names))
    ax1.bar(x - 0.2, table["share_real"], 0.4, label="real", color="#1f77b4")
    ax1.bar(x + 0.2, table["share_syn"], 0.4, label="SYNTHETIC", color="#d62728")
    ax1.set(xticks=x, xticklabels=names, ylabel="share of images", title=f"Share per {column}")
    ax1.legend(frameon=False)
    ax2.bar(x, table["coverage"].fillna(0), color="#7f7f7f")
    ax2.set(xticks=x, xticklabels=names, ylim=(0, 1), ylabel="coverage", title=f"Coverage per {column}")
    return fig


def memorisation_figure(mem: Any) -> Figure:
    """Distance of each synthetic image to its nearest training image, relative to real-to-real distances."""
    fig = Figure(figsize=(6, 3), layout="constrained")
    ax = fig.subplots()
    ax.hist(mem.ratio, bins=30, color="#d62728", alpha=0.7, label="SYNTHETIC → nearest training image")
    ax.axvline(mem.threshold, color="black", ls="--", label=f"copy threshold ({mem.threshold:.2f})")
    ax.set(xlabel="distance ratio (1 = typical real-to-real distance)", ylabel="synthetic images")
    ax.legend(frameon=False, fontsize=8)
    return fig
