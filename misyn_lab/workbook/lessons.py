"""The demonstrations of notebook 01: each intrinsic limit (L1, L2, L3) shown on real images.

Every function fits a transparent teaching generator on the bundled brain MR slices and returns a
:class:`~misyn_lab.workbook.demos.Demo` (a table, a :mod:`misyn_lab.viz` figure with its takeaway, and
measured results).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from misyn_lab.imagesets.core import ImageSet
from misyn_lab.metrics.copies import BRIGHTNESS, JPEG_QUALITY, copy_probes, feature_copy_reading, pixel_copies
from misyn_lab.metrics.distances import feature_shift
from misyn_lab.metrics.memorisation import memorisation
from misyn_lab.metrics.result import build
from misyn_lab.metrics.utility import detection_auc
from misyn_lab.render.numbers import fmt_number
from misyn_lab.workbook.data import split_real, teaching_real_set
from misyn_lab.workbook.demos import Demo, pixels


def _features(real: ImageSet, *others: ImageSet, kind: str = "intensity+texture"):
    from misyn_lab.features import extract_features

    return [extract_features(s, kind, progress=False) for s in (real, *others)]


#: The one threshold of the L1 lesson: a pixel's invented detail (or its spread over posterior samples) counts when
#: it exceeds this many intensity units (images in [0, 1]); caption and table state the same value.
L1_THRESHOLD = 0.05


def invented_detail(*, n: int = 4, seed: int = 0, factor: int = 4, threshold: float = L1_THRESHOLD,
                    n_samples: int = 4) -> Demo:
    """L1: "super-resolution" restores a detailed image from a small one; the detail is the model's guess.

    Shown honestly: the PCA prior is fitted on the MNI152 template slices only, and the images restored are
    ``n`` Colin27 slices — a subject the prior never saw (restoring images that were in the prior's own fit would
    flatter it; ``n`` of those are in the table for comparison, with the error of plain bicubic upsampling as the
    no-prior baseline). ``n_samples`` posterior samples of one held-out input show, side by side with their
    per-pixel s.d., where the input leaves the detail open. One stated ``threshold`` is used by the caption, the
    table and the results alike. ``extra`` holds the ``posterior_figure``.
    """
    from misyn_lab.synth.super_resolution import SuperResolutionGenerator, degrade, invented_detail_map, upsample
    from misyn_lab.viz.galleries import invented_detail_figure
    from misyn_lab.viz.posterior import posterior_samples_figure

    prior_set = teaching_real_set(size=(64, 64), groups=("mni152",))
    held_set = teaching_real_set(size=(64, 64), groups=("colin27",))
    gen = SuperResolutionGenerator(factor=factor).fit(prior_set)
    rng = np.random.default_rng(seed)
    rows, maps = [], {}
    for label, imgs in (("held-out subject (Colin27)", held_set), ("in the prior's fit (MNI152)", prior_set)):
        idx = np.sort(rng.choice(len(imgs), int(n), replace=False))
        truth = imgs.images[idx].astype(np.float64)
        low = degrade(truth, factor)
        restored = gen.restore(low)
        detail = invented_detail_map(truth, restored, factor)
        bicubic = np.clip(upsample(low, truth.shape[1:]), 0, 1)
        maps[label] = (truth, low, restored, detail)
        for j, i in enumerate(idx):
            rows.append({"image": imgs.ids[i], "input": label,
                         "mean |error|": float(np.abs(restored[j] - truth[j]).mean()),
                         "mean |error| without the prior (bicubic)": float(np.abs(bicubic[j] - truth[j]).mean()),
                         f"pixels with invented detail > {threshold:g}": float(np.mean(detail[j] > threshold))})
    table = pd.DataFrame(rows)
    truth, low, restored, detail = maps["held-out subject (Colin27)"]
    fig = invented_detail_figure(truth[0], low[0], restored[0], detail[0], factor=factor, threshold=threshold,
                                 title="Super-resolution of a subject the prior never saw invents detail")
    samples = gen.posterior_samples(low[:1], int(n_samples), seed=seed)[0]
    post_fig = posterior_samples_figure(truth[0], low[0], samples, threshold=threshold,
                                        title="Several restorations of one held-out input")
    held = table[table["input"] == "held-out subject (Colin27)"]
    share = float(held[f"pixels with invented detail > {threshold:g}"].mean())
    res = build("l1.invented_pixels", share, n={"real": int(n), "synthetic": int(n)}, slices=n, threshold=threshold,
                details={"threshold": threshold, "prior": "MNI152 template slices",
                         "inputs": "Colin27 slices (held-out subject)"})
    spread = build("l1.posterior_sd", float(samples.std(axis=0).mean()), n={"samples": int(n_samples)},
                   samples=n_samples, details={"threshold": threshold,
                                               "share_above_threshold": float(np.mean(samples.std(axis=0) > threshold))})
    return Demo(table=table, results={res.key: res, spread.key: spread}, figure=fig,
                extra={"posterior_figure": post_fig})


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
    res = build("l2.tail_share", tail_syn, n={"real": len(real), "synthetic": len(syn)})
    return Demo(table=table, results={res.key: res}, figure=fig)


def dropped_subgroup(*, n: int = 180, seed: int = 0, column: str = "subject", minority_weight: float = 0.05
                     ) -> Demo:
    """L2: a generator that under-samples the smaller subgroup almost drops it.

    The flaw is **planted** so there is something to find: the generator is told to give the smaller subgroup
    ``minority_weight`` (default 0.05) of its share; the figure's takeaway and the result say so.
    """
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
    planted = (f"Planted so there is something to find: the generator was told to sample the smaller {column} at "
               f"{minority_weight:g}× its share; it ends up with {ratio:.2f}× its real share.")
    fig = subgroup_shares(pd.DataFrame({"subgroup": table[column], "share_real": table["share real"],
                                        "share_syn": table["share synthetic"]}), column, takeaway=planted)
    res = build("subgroup.representation_ratio_min", ratio, n={"real": len(real), "synthetic": len(syn)},
                interpretation=f"the least represented subgroup has {fmt_number(ratio)}× its real share ({planted})",
                details={"planted": True, "minority_weight": minority_weight})
    return Demo(table=table, results={res.key: res}, figure=fig)


def near_copies(*, n: int = 60, seed: int = 0, strength: float = 0.95, threshold: float | None = None) -> Demo:
    """L2 (privacy): a memorising generator outputs near-copies of its training images.

    A synthetic image counts as a copy when it is closer to a training image than the copy threshold of
    :func:`misyn_lab.metrics.memorisation.memorisation` (pixel space; by default calibrated on the training
    set's own nearest-neighbour distances, or ``threshold`` if given). ``extra`` holds the ``train`` and ``synthetic`` sets
    (for a gallery of nearest pairs) and the ``memorisation`` result.
    """
    from misyn_lab.synth.registry import make_generator

    train, holdout = split_real(teaching_real_set(), seed=seed)
    syn = make_generator("memorising", strength=strength, max_shift=0).fit(train).sample(n, seed=seed)
    mem = memorisation(pixels(train), pixels(syn), holdout_real=pixels(holdout), threshold=threshold)
    return Demo(table=mem.offenders.head(5), results=dict(mem.metrics),
                extra={"train": train, "synthetic": syn, "memorisation": mem})


def copies_caught(*, n: int = 60, seed: int = 0, noise: tuple[float, ...] = (0.01, 0.03, 0.05),
                  size: tuple[int, int] = (32, 32)) -> Demo:
    """Copies with noise, brightness changes and JPEG re-encoding: feature space beside pixel space.

    A memorising generator returns training images (strength 1) plus noise of each strength in ``noise``; the
    same training images are also returned brightened, darkened and re-encoded as JPEG. Each set is checked in
    feature space (:func:`misyn_lab.metrics.evidence.evaluate_all`'s memorisation, intensity + texture features)
    and in pixel space (:func:`misyn_lab.metrics.copies.pixel_copies`), both read against the held-out real
    images. A teaching demonstration on the bundled images (planted copies), not evidence about anyone's data.
    """
    from misyn_lab.features import extract_features, standardise
    from misyn_lab.synth.registry import make_generator

    train, holdout = split_real(teaching_real_set(size=size), seed=seed)
    probes: dict[str, np.ndarray] = {}
    base = make_generator("memorising", strength=1.0, noise=0.0, max_shift=0).fit(train)
    for s in noise:
        probes[f"memorising generator, noise s.d. {s:g}"] = base.with_params(noise=float(s)).sample(n, seed=seed).images
    probes.update(copy_probes(train.images[:n], seed=seed, noise=(), brightness=BRIGHTNESS, jpeg_quality=JPEG_QUALITY))
    f_tr = extract_features(train, "intensity+texture", progress=False).values
    f_ho = extract_features(holdout, "intensity+texture", progress=False).values
    rows = []
    for name, images in probes.items():
        syn = ImageSet.from_arrays(np.clip(images, 0, 1).astype(np.float32), synthetic=True, name=name)
        f_sy = extract_features(syn, "intensity+texture", progress=False).values
        z_tr, z_rest = standardise(f_tr, np.vstack([f_sy, f_ho]))
        mem = memorisation(z_tr, z_rest[:len(f_sy)], holdout_real=z_rest[len(f_sy):])
        feat = feature_copy_reading(mem["memorisation.copy_rate"], len(holdout))
        pix = pixel_copies(train, images, holdout)["memorisation.pixel_copy_rate"]
        rows.append({"returned": name, "feature-space copy rate": feat.value,
                     "feature-space verdict": feat.details["verdict"], "pixel-space copy rate": pix.value,
                     "pixel-space verdict": pix.details["verdict"],
                     "held-out false-alarm rate (pixel)": pix.details["false_alarm_rate"]})
    table = pd.DataFrame(rows)
    missed = table[table["feature-space verdict"] != "copies"]["returned"].tolist()
    res = build("lesson.copies_caught_pixel", float(table["pixel-space copy rate"].min()),
                n={"train": len(train), "holdout": len(holdout), "synthetic": n}, missed=len(missed), sets=len(table),
                split="training")
    return Demo(table=table, results={res.key: res}, extra={"missed_in_feature_space": missed})


def new_shift(*, n: int = 180, seed: int = 0) -> Demo:
    """L3: even a fitted generator adds its own shift; a simple classifier can tell its images from real ones."""
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


__all__ = ["L1_THRESHOLD", "invented_detail", "thinned_tails", "dropped_subgroup", "near_copies", "copies_caught",
           "new_shift"]
