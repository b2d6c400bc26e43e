"""The demonstrations of notebook 01: each intrinsic limit (L1, L2, L3) shown on real images.

Every function fits a transparent teaching generator on the bundled brain MR slices and returns a
:class:`~misyn_lab.workbook.demos.Demo` (a table, a :mod:`misyn_lab.viz` figure with its takeaway, and
measured results).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from misyn_lab.imagesets.core import ImageSet
from misyn_lab.metrics.result import MetricResult
from misyn_lab.workbook.data import split_real, teaching_real_set
from misyn_lab.workbook.demos import Demo, pixels


def _features(real: ImageSet, *others: ImageSet, kind: str = "intensity+texture"):
    from misyn_lab.features import extract_features

    return [extract_features(s, kind, progress=False) for s in (real, *others)]


def invented_detail(*, n: int = 4, seed: int = 0, factor: int = 4) -> Demo:
    """L1: "super-resolution" restores a detailed image from a small one; the detail is the model's guess."""
    from misyn_lab.synth.super_resolution import SuperResolutionGenerator
    from misyn_lab.viz.galleries import invented_detail_figure

    real = teaching_real_set(size=(64, 64))
    trip = SuperResolutionGenerator(factor=factor).fit(real).sample_triplets(n, seed=seed)
    err = np.abs(trip.restored.images - trip.real.images)
    fig = invented_detail_figure(trip.real.images[0], trip.degraded[0], trip.restored.images[0], factor=factor)
    table = pd.DataFrame({"image": trip.real.ids, "mean |error|": err.reshape(n, -1).mean(axis=1),
                          "pixels off by > 0.1": (err > 0.1).reshape(n, -1).mean(axis=1)})
    res = MetricResult("l1.invented_pixels", float((err > 0.1).mean()), {"real": n, "synthetic": n},
                       direction="lower_is_better",
                       interpretation="share of restored pixels that differ from the real scan by more than 0.1")
    return Demo(table=table, results={res.key: res}, figure=fig)


def thinned_tails(*, n: int = 180, seed: int = 0, n_components: int = 4, feature: str = "intensity.skew"
                  ) -> Demo:
    """L2: a generator with a few components reproduces the common images and thins the tails."""
    from misyn_lab.synth.registry import make_generator
    from misyn_lab.viz.distributions import feature_histogram

    real = teaching_real_set()
    syn = make_generator("pca_gaussian", n_components=n_components).fit(real).sample(n, seed=seed)
    fr, fs = _features(real, syn)
    j = fr.names.index(feature) if feature in fr.names else 0
    xr, xs = fr.values[:, j], fs.values[:, j]
    lo, hi = np.percentile(xr, [5, 95])
    tail_real = float(np.mean((xr < lo) | (xr > hi)))
    tail_syn = float(np.mean((xs < lo) | (xs > hi)))
    fig = feature_histogram(xr, xs, fr.names[j], marks=(lo, hi),
                            title="Outside the dotted lines: the real tails (10 %)",
                            takeaway=f"{tail_syn:.0%} of synthetic vs {tail_real:.0%} of real images fall in the "
                                     "real tails: unusual cases are thinned out (L2).")
    table = pd.DataFrame({"set": ["real", "synthetic"], "share in the tails": [tail_real, tail_syn]})
    res = MetricResult("l2.tail_share", tail_syn, {"real": len(real), "synthetic": len(syn)},
                       interpretation=f"{tail_syn:.0%} of synthetic images fall in the real 10 % tails")
    return Demo(table=table, results={res.key: res}, figure=fig)


def dropped_subgroup(*, n: int = 180, seed: int = 0, column: str = "subject", minority_weight: float = 0.05
                     ) -> Demo:
    """L2: a generator that under-samples the smaller subgroup almost drops it."""
    from misyn_lab.synth.registry import make_generator
    from misyn_lab.viz.subgroups import subgroup_shares

    real = teaching_real_set()
    syn = make_generator("subgroup_skewed", column=column, minority_weight=minority_weight).fit(real).sample(
        n, seed=seed)
    share_r = real.meta[column].value_counts(normalize=True)
    share_s = syn.meta[column].value_counts(normalize=True).reindex(share_r.index, fill_value=0.0)
    table = pd.DataFrame({column: share_r.index.astype(str), "share real": share_r.to_numpy(),
                          "share synthetic": share_s.to_numpy()})
    ratio = float((share_s / share_r).min())
    fig = subgroup_shares(pd.DataFrame({"subgroup": table[column], "share_real": table["share real"],
                                        "share_syn": table["share synthetic"]}), column)
    res = MetricResult("subgroup.representation_ratio_min", ratio, {"real": len(real), "synthetic": len(syn)},
                       direction="higher_is_better",
                       interpretation=f"the least represented subgroup has {ratio:.2f}× its real share")
    return Demo(table=table, results={res.key: res}, figure=fig)


def near_copies(*, n: int = 60, seed: int = 0, strength: float = 0.95, threshold: float | None = None) -> Demo:
    """L2 (privacy): a memorising generator outputs near-copies of its training images.

    A synthetic image counts as a copy when it is closer to a training image than the copy threshold of
    :func:`misyn_lab.metrics.memorisation.memorisation` (pixel space; by default calibrated on the training
    set's own nearest-neighbour distances, or ``threshold`` if given). ``extra`` holds the ``train`` and ``synthetic`` sets
    (for a gallery of nearest pairs) and the ``memorisation`` result.
    """
    from misyn_lab.metrics.memorisation import memorisation
    from misyn_lab.synth.registry import make_generator

    train, holdout = split_real(teaching_real_set(), seed=seed)
    syn = make_generator("memorising", strength=strength, max_shift=0).fit(train).sample(n, seed=seed)
    mem = memorisation(pixels(train), pixels(syn), holdout_real=pixels(holdout), threshold=threshold)
    return Demo(table=mem.offenders.head(5), results=dict(mem.metrics),
                extra={"train": train, "synthetic": syn, "memorisation": mem})


def new_shift(*, n: int = 180, seed: int = 0) -> Demo:
    """L3: even a fitted generator adds its own shift; a simple classifier can tell its images from real ones."""
    from misyn_lab.metrics.distances import feature_shift
    from misyn_lab.metrics.utility import detection_auc
    from misyn_lab.synth.registry import make_generator
    from misyn_lab.viz.distributions import feature_histogram

    real = teaching_real_set()
    syn = make_generator("pca_gaussian", n_components=16).fit(real).sample(n, seed=seed)
    fr, fs = _features(real, syn)
    mu, sd = fr.values.mean(0), fr.values.std(0) + 1e-12
    zr, zs = (fr.values - mu) / sd, (fs.values - mu) / sd
    shift = feature_shift(zr, zs, fr.names)
    auc = detection_auc(zr, zs, seed=seed)
    top = shift.iloc[0]["feature"]
    j = fr.names.index(top)
    fig = feature_histogram(fr.values[:, j], fs.values[:, j], top, title=f"Most shifted feature: {top}")
    return Demo(table=shift.head(5)[["feature", "ks_statistic", "smd"]], results={auc.key: auc}, figure=fig)
