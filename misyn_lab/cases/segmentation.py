"""Case 1: synthetic (image, mask) pairs as extra training data for segmentation with scarce annotations.

The measured part of the first case study. A practice of this kind trains a segmenter on a few real
annotated images plus many synthetic (image, mask) pairs from a label-conditioned generator and reports
"a significant improvement" in mean Dice. We re-run that design on a stand-in with REAL images and REAL
masks (MNI152 T1 template slices with the template's own grey/white-matter maps; wound images cannot be
obtained offline) and report what such a practice tends not to: the paired test behind "significant",
the spread and worst cases, the result per subgroup, near-copies in pixel space.

Every sentence that states a direction or a size is generated here from the measured numbers
(:func:`dice_bottom_line`, :func:`subgroup_sentence`, :meth:`Case1Result.bottom_line`), never written ahead.
Everything here is a pure function of arrays and a seed; plotting lives in the notebook / viz.

Segmenter: scikit-image multiscale pixel features + a scikit-learn random forest (the design of
``skimage.future.trainable_segmentation``), small enough for a CPU in seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from misyn_lab.cases.release import audit_release
from misyn_lab.errors import InputError
from misyn_lab.imagesets.core import ImageSet
from misyn_lab.imagesets.samples import load_sample_with_masks
from misyn_lab.metrics.copies import pixel_copies, pool_pixel_copies
from misyn_lab.metrics.result import build
from misyn_lab.progress import Progress, report_progress
from misyn_lab.render.numbers import fmt_number, fmt_percent

#: Label values of the stand-in masks.
LABELS = {0: "background", 1: "grey matter", 2: "white matter"}

#: A synthetic-pair maker: (train_images, train_masks, n, seed) -> (images, masks).
PairMaker = Callable[[np.ndarray, np.ndarray, int, int], tuple[np.ndarray, np.ndarray]]


# --------------------------------------------------------------------------- data
def slice_region(meta: pd.DataFrame) -> pd.Series:
    """Tertile of the slice position within its plane: 'low', 'middle', 'high' (a second subgroup axis)."""
    if "slice_index" not in meta or "plane" not in meta:
        return pd.Series(["all"] * len(meta), index=meta.index)
    out = pd.Series("middle", index=meta.index, dtype=object)
    for _, grp in meta.groupby("plane"):
        ranks = grp["slice_index"].rank(method="first", pct=True)
        out.loc[grp.index] = np.where(ranks <= 1 / 3, "low", np.where(ranks > 2 / 3, "high", "middle"))
    return out


# --------------------------------------------------------------------------- segmenter
def pixel_features(images: np.ndarray, sigma_max: float = 8.0) -> np.ndarray:
    """Multiscale intensity/edge/texture features per pixel: ``N×H×W×F`` float32."""
    from skimage.feature import multiscale_basic_features

    feats = [multiscale_basic_features(np.asarray(im, dtype=np.float32), sigma_min=1, sigma_max=sigma_max,
                                       channel_axis=None) for im in images]
    return np.stack(feats).astype(np.float32)


def train_segmenter(images: np.ndarray, masks: np.ndarray, *, seed: int, max_pixels: int = 12000,
                    n_estimators: int = 25, features: np.ndarray | None = None):
    """Fit a random-forest pixel classifier on (image, mask) pairs; returns the fitted forest.

    At most ``max_pixels`` pixels (drawn with ``seed``) are used, so adding synthetic pairs changes the
    composition of the training pixels, not the compute budget. ``features`` (from :func:`pixel_features`)
    may be passed to avoid recomputing them.
    """
    from sklearn.ensemble import RandomForestClassifier

    images = np.asarray(images)
    masks = np.asarray(masks)
    if images.shape[:3] != masks.shape[:3]:
        raise InputError(f"{images.shape[:3]} images but masks of shape {masks.shape[:3]}", path="masks",
                         remedy="give one mask of the image's size per image")
    feats = pixel_features(images) if features is None else features
    X = feats.reshape(-1, feats.shape[-1])
    y = masks.reshape(-1)
    rng = np.random.default_rng(seed)
    if len(y) > max_pixels:
        pick = rng.choice(len(y), max_pixels, replace=False)
        X, y = X[pick], y[pick]
    clf = RandomForestClassifier(n_estimators=n_estimators, max_depth=10, n_jobs=2,
                                 random_state=int(rng.integers(2**31 - 1)))
    clf.fit(X, y)
    return clf


def predict_masks(clf, images: np.ndarray, *, features: np.ndarray | None = None) -> np.ndarray:
    """Label maps predicted by a fitted pixel classifier: ``N×H×W`` int."""
    feats = pixel_features(images) if features is None else features
    n, h, w, f = feats.shape
    return clf.predict(feats.reshape(-1, f)).reshape(n, h, w).astype(np.int64)


def dice(pred: np.ndarray, truth: np.ndarray, labels: Sequence[int] = (1, 2)) -> float:
    """Mean Dice over ``labels`` of one predicted vs true label map (a label absent from both counts 1)."""
    scores = []
    for lab in labels:
        p, t = pred == lab, truth == lab
        denom = p.sum() + t.sum()
        scores.append(1.0 if denom == 0 else 2.0 * np.logical_and(p, t).sum() / denom)
    return float(np.mean(scores))


# --------------------------------------------------------------------------- the experiment
@dataclass
class SegmentationExperiment:
    """Per-(seed, held-out image) Dice for both arms, plus the data used.

    ``table`` columns: seed, image_id, arm ("real" / "real+synthetic"), dice, plus subgroup columns.
    ``synthetic`` maps seed -> (images, masks, train_ids) of the synthetic pairs made in that run.
    """

    table: pd.DataFrame
    k: int
    n_synthetic: int
    seeds: list[int]
    synthetic: dict[int, tuple[np.ndarray, np.ndarray, list[str]]] = field(default_factory=dict)

    def per_seed(self) -> pd.DataFrame:
        """Mean Dice per seed and arm (seeds as rows, arms as columns): the paired replication units."""
        return self.table.pivot_table(index="seed", columns="arm", values="dice", aggfunc="mean")

    def per_image(self) -> pd.DataFrame:
        """Dice per (seed, image) with both arms side by side and their difference."""
        wide = self.table.pivot_table(index=["seed", "image_id"], columns="arm", values="dice").reset_index()
        wide["difference"] = wide["real+synthetic"] - wide["real"]
        return wide


def run_experiment(images: np.ndarray, masks: np.ndarray, meta: pd.DataFrame, make_pairs: PairMaker, *,
                   k: int = 3, n_synthetic: int = 12, seeds: Sequence[int] = range(12), n_test: int = 12,
                   subgroup_cols: Sequence[str] = ("plane", "slice_region"),
                   progress: Progress | None = None) -> SegmentationExperiment:
    """Train on k real pairs vs k real + ``n_synthetic`` synthetic pairs, per seed; Dice on held-out real.

    Each seed draws a new split: ``k`` training pairs and ``n_test`` held-out real pairs (disjoint), a
    new synthetic set from ``make_pairs`` fitted on the k training pairs only, and a new forest seed. The
    same held-out images score both arms (paired design). ``progress`` is told after each seed
    (:mod:`misyn_lab.progress`).
    """
    images = np.asarray(images)
    masks = np.asarray(masks)
    n = len(images)
    if len(masks) != n or len(meta) != n:
        raise InputError(f"{n} images, {len(masks)} masks, {len(meta)} metadata rows", path="case1 data",
                         remedy="give one mask and one metadata row per image")
    if k < 1 or k + 2 > n:
        raise InputError(f"k={k} training pairs leaves too few of {n} images to test on", path="k",
                         remedy="choose 1 <= k <= N-2")
    meta = meta.reset_index(drop=True)
    n_test = min(n_test, n - k)
    rows: list[dict[str, Any]] = []
    synthetic: dict[int, tuple[np.ndarray, np.ndarray, list[str]]] = {}
    real_feats = pixel_features(images)
    seeds = list(seeds)
    report_progress(progress, "training segmenters", 0, len(seeds), "seeds")
    for done, seed in enumerate(seeds, 1):
        rng = np.random.default_rng(1000 + int(seed))
        order = rng.permutation(n)
        train, test = order[:k], order[k:k + n_test]
        syn_im, syn_mask = make_pairs(images[train], masks[train], n_synthetic, int(seed))
        syn_im, syn_mask = np.asarray(syn_im, dtype=np.float32), np.asarray(syn_mask).astype(np.int64)
        synthetic[int(seed)] = (syn_im, syn_mask, meta.loc[train, "id"].astype(str).tolist())
        syn_feats = pixel_features(syn_im)
        arms = {
            "real": (images[train], masks[train], real_feats[train]),
            "real+synthetic": (np.concatenate([images[train], syn_im]), np.concatenate([masks[train], syn_mask]),
                               np.concatenate([real_feats[train], syn_feats])),
        }
        for arm, (tr_im, tr_mask, tr_feats) in arms.items():
            clf = train_segmenter(tr_im, tr_mask, seed=int(seed), features=tr_feats)
            pred = predict_masks(clf, images[test], features=real_feats[test])
            for j, idx in enumerate(test):
                row = {"seed": int(seed), "image_id": str(meta.loc[idx, "id"]), "arm": arm,
                       "dice": dice(pred[j], masks[idx])}
                for col in subgroup_cols:
                    if col in meta:
                        row[col] = meta.loc[idx, col]
                rows.append(row)
        report_progress(progress, "training segmenters", done, len(seeds), "seeds")
    return SegmentationExperiment(pd.DataFrame(rows), k, n_synthetic, [int(s) for s in seeds], synthetic)


def subgroup_table(exp: SegmentationExperiment, column: str) -> pd.DataFrame:
    """Mean, worst (min) and count of Dice per subgroup and arm, plus the mean paired difference."""
    if column not in exp.table:
        raise InputError(f"no subgroup column {column!r} in the experiment table", path=column,
                         remedy=f"use one of {[c for c in exp.table.columns if c not in ('seed', 'image_id', 'arm', 'dice')]}")
    grp = exp.table.groupby([column, "arm"])["dice"].agg(["mean", "min", "count"]).unstack("arm")
    grp.columns = [f"{stat} ({arm})" for stat, arm in grp.columns]
    wide = exp.per_image().merge(exp.table[["seed", "image_id", column]].drop_duplicates(), on=["seed", "image_id"])
    grp["mean difference"] = wide.groupby(column)["difference"].mean()
    grp["share worse with synthetic"] = wide.groupby(column)["difference"].apply(lambda d: float((d < 0).mean()))
    return grp.reset_index()


def worst_cases(exp: SegmentationExperiment, n: int = 5) -> pd.DataFrame:
    """The ``n`` (seed, image) pairs where adding synthetic pairs hurt Dice most."""
    wide = exp.per_image().merge(exp.table.drop(columns=["arm", "dice"]).drop_duplicates(), on=["seed", "image_id"])
    return wide.sort_values("difference").head(n).reset_index(drop=True)


def label_conditioned_pairs(train_images: np.ndarray, train_masks: np.ndarray, n: int, seed: int, *,
                            ids: Sequence[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic (image, mask) pairs from :class:`misyn_lab.synth.LabelConditionedGenerator` fitted on the
    given real training pairs only (the :data:`PairMaker` used by the case study)."""
    syn, syn_masks = label_conditioned_set(train_images, train_masks, n, seed, ids=ids)
    return syn.images, syn_masks


def label_conditioned_set(train_images: np.ndarray, train_masks: np.ndarray, n: int, seed: int, *,
                          ids: Sequence[str] | None = None) -> tuple[Any, np.ndarray]:
    """Like :func:`label_conditioned_pairs`, but the synthetic images as an ImageSet (with provenance)."""
    from misyn_lab.synth import LabelConditionedGenerator

    k = len(train_images)
    meta = pd.DataFrame({"id": list(ids) if ids is not None else [f"train-{i}" for i in range(k)]})
    real = ImageSet.from_arrays(np.asarray(train_images, dtype=np.float32), meta, synthetic=False, name="case1-train")
    gen = LabelConditionedGenerator().fit(real, np.asarray(train_masks))
    return gen.sample_pairs(n, seed=seed, created="case-study")


# --------------------------------------------------------------------------- the whole case-1 measurement
def load_case1_data(size: int = 64, per_plane: int = 8) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """The bundled MNI152 slices with their grey/white-matter masks, ``per_plane`` evenly spaced slices per
    plane, resized to ``size``×``size`` (masks by nearest neighbour); meta gains ``slice_region``."""
    from skimage.transform import resize

    imageset, masks = load_sample_with_masks("mni152")
    meta = imageset.meta.copy()
    meta["slice_index"] = pd.to_numeric(meta["slice_index"], errors="coerce")
    keep: list[int] = []
    for _, grp in meta.groupby("plane", sort=True):
        order = grp.sort_values("slice_index").index.to_numpy()
        keep += order[np.linspace(0, len(order) - 1, min(per_plane, len(order))).round().astype(int)].tolist()
    keep = sorted(set(keep))
    imgs = np.stack([resize(imageset.images[i], (size, size), anti_aliasing=True, preserve_range=True)
                     for i in keep]).astype(np.float32)
    labs = np.stack([resize(masks[i], (size, size), order=0, preserve_range=True, anti_aliasing=False)
                     for i in keep]).astype(np.int64)
    sel = meta.loc[keep].reset_index(drop=True)
    sel["slice_region"] = slice_region(sel)
    return np.clip(imgs, 0, 1), labs, sel


MetricResultLike = Any


@dataclass
class Case1Result:
    """Everything the case-1 notebook shows."""

    experiment: SegmentationExperiment
    paired: Any                      # instruments.stats.PairedSummary over per-seed means (the unit replicated)
    paired_images: Any               # PairedSummary over (seed, image) pairs (pseudo-replicated; shown beside)
    by_plane: pd.DataFrame
    by_region: pd.DataFrame
    worst: pd.DataFrame
    copies: MetricResultLike = None  # memorisation.pixel_copy_rate pooled over all seeds
    copy_pairs: pd.DataFrame = field(default_factory=pd.DataFrame)
    audit: Any = None                # cases.release.ReleaseAudit
    images: np.ndarray | None = None
    masks: np.ndarray | None = None
    meta: pd.DataFrame | None = None

    def worst_subgroup(self) -> dict[str, Any]:
        """The subgroup (plane or slice region) with the lowest mean Dice in the real+synthetic arm."""
        rows = []
        for col, tab in (("plane", self.by_plane), ("slice_region", self.by_region)):
            for _, r in tab.iterrows():
                rows.append({"column": col, "group": r[col], "mean": r["mean (real+synthetic)"],
                             "min": r["min (real+synthetic)"], "mean difference": r["mean difference"],
                             "share worse": r["share worse with synthetic"]})
        return min(rows, key=lambda r: r["mean"])

    def most_harmed_subgroup(self) -> dict[str, Any]:
        """The subgroup where adding synthetic pairs lowered Dice most (most negative mean difference)."""
        rows = [{"column": col, "group": r[col], "mean difference": r["mean difference"],
                 "share worse": r["share worse with synthetic"], "min": r["min (real+synthetic)"]}
                for col, tab in (("plane", self.by_plane), ("slice_region", self.by_region)) for _, r in tab.iterrows()]
        return min(rows, key=lambda r: r["mean difference"])

    def share_worse(self) -> float:
        """Share of (seed, held-out image) pairs segmented worse with synthetic pairs."""
        return float((self.experiment.per_image()["difference"] < 0).mean())

    def bottom_line(self, mid: float | None = None) -> str:
        """The case's one-sentence bottom line, generated from the per-seed paired result
        (:func:`dice_bottom_line`), with the near-copy verdict."""
        b = self.paired.bootstrap
        line = dice_bottom_line(b.value, b.ci, b.n["pairs"], mid=mid, share_worse=self.share_worse())
        if self.copies is not None:
            verdict = self.copies.details.get("verdict")
            line = line[:-1] + (f"; {fmt_percent(self.copies.value)} of the synthetic images are copies of a training "
                                f"image in pixel space ({verdict})." if verdict == "copies" else
                                "; copies of training images: not shown beyond the false-alarm rate (inconclusive).")
        return line

    def reporting_tables(self) -> dict[str, Any]:
        """What our measurement shows beyond the mean, for
        :func:`misyn_lab.instruments.reporting.attach_reporting`: the worst cases and the per-subgroup table."""
        cols = [c for c in ("seed", "image_id", "plane", "slice_region", "real", "real+synthetic", "difference")
                if c in self.worst]
        subgroups = pd.concat([self.by_plane.rename(columns={"plane": "group"}).assign(column="plane"),
                               self.by_region.rename(columns={"slice_region": "group"}).assign(column="slice_region")])
        return {"worst_cases": self.worst[cols], "subgroups": subgroups}

    def settle_data(self) -> dict[str, tuple[Any, Any, str]]:
        """Paired data that settle the bundled claims: C1 (mean Dice per seed/split) and C4 (mean Dice per
        seed/split in the most harmed subgroup): ``claim id -> (baseline, treatment, unit)``."""
        per_seed = self.experiment.per_seed()
        harm = self.most_harmed_subgroup()
        sub = subgroup_per_seed(self.experiment, harm["column"], harm["group"])
        return {"C1": (per_seed["real"], per_seed["real+synthetic"], "seed/split"),
                "C4": (sub["real"], sub["real+synthetic"], f"seed/split, {harm['column']} = {harm['group']} only")}

    def measured(self) -> dict[str, Any]:
        """Evidence for :meth:`misyn_lab.cases.case.Case.to_review` (measurement key -> one or more MetricResults)."""
        ws = self.worst_subgroup()
        harm = self.most_harmed_subgroup()
        worst = build(
            "seg.dice_worst_subgroup", float(ws["mean"]), n={"pairs": int(len(self.experiment.table) // 2)},
            interpretation=subgroup_sentence(ws, harm),
            details={"worst_subgroup": {k: (float(v) if isinstance(v, (float, np.floating)) else v)
                                        for k, v in ws.items()},
                     "most_harmed_subgroup": {k: (float(v) if isinstance(v, (float, np.floating)) else v)
                                              for k, v in harm.items()},
                     "worst_cases": self.worst.head(5).to_dict("records")})
        out: dict[str, Any] = {"seg.dice_paired": self.paired.results(), "seg.dice_worst_subgroup": worst}
        if self.copies is not None:
            out["memorisation.pixel_copy_rate"] = self.copies
        if self.audit is not None:
            out["audit.unlabelled_synthetic"] = self.audit.result
        return out



def near_copies(exp: SegmentationExperiment, images: np.ndarray, meta: pd.DataFrame) -> tuple[Any, pd.DataFrame]:
    """Copies of training images among each seed's synthetic images, in pixel space
    (:func:`misyn_lab.metrics.copies.pixel_copies`: each seed's k training images are the references, its held-out
    test images the negative controls), pooled over seeds (:func:`~misyn_lab.metrics.copies.pool_pixel_copies`).
    Returns the pooled ``memorisation.pixel_copy_rate`` and the closest pairs (seed, synthetic index, training
    id, score, is_copy), most similar first."""
    ids = meta["id"].astype(str).tolist()
    parts, pairs = [], []
    for seed, (syn_im, _, train_ids) in exp.synthetic.items():
        train_idx = [ids.index(t) for t in train_ids]
        test_ids = set(exp.table.loc[exp.table["seed"] == seed, "image_id"])
        hold_idx = [i for i, x in enumerate(ids) if x in test_ids]
        res = pixel_copies(images[train_idx], syn_im, images[hold_idx])
        parts.append((f"seed {seed}", res))
        for j in range(len(syn_im)):
            pairs.append({"seed": seed, "synthetic_index": j, "train_id": train_ids[int(res.nearest[j])],
                          "score": float(res.score[j]), "is_copy": bool(res.score[j] > res.threshold)})
    result = pool_pixel_copies(parts)
    return result, pd.DataFrame(pairs).sort_values("score", ascending=False, kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- sentences from numbers
def bottom_line(result: Case1Result, mid: float | None = None) -> str:
    """Case 1's one-sentence bottom line, generated from its results (see :meth:`Case1Result.bottom_line`)."""
    return result.bottom_line(mid)


def dice_bottom_line(estimate: float, ci: tuple[float, float], n: int, *, unit: str = "seeds/splits",
                     mid: float | None = None, share_worse: float | None = None) -> str:
    """One sentence saying what the paired Dice difference (real+synthetic minus real) shows, from its numbers.

    Harm when the CI lies wholly below 0; no detectable change when it includes 0; a gain otherwise — too small
    to matter when the whole CI lies below ``mid``, possibly too small when the CI includes ``mid``.
    """
    lo, hi = float(ci[0]), float(ci[1])
    if lo > hi:
        raise InputError(f"CI low {lo} is above high {hi}", path="ci", remedy="pass the CI as (low, high)")
    numbers = f"mean Dice change {fmt_number(estimate)}, 95 % CI [{fmt_number(lo)}, {fmt_number(hi)}] over {n} {unit}"
    worse = "" if share_worse is None else f"; {fmt_percent(share_worse)} of held-out images were segmented worse"
    if hi < 0:
        verdict = "adding synthetic pairs made segmentation worse (harm)"
    elif lo <= 0:
        verdict = "adding synthetic pairs made no detectable difference (the CI includes 0)"
    elif mid is not None and hi < mid:
        verdict = f"adding synthetic pairs gave a gain smaller than the minimal important difference {mid:g}"
    elif mid is not None and lo < mid:
        verdict = (f"adding synthetic pairs gave a gain that may be smaller than the minimal important difference "
                   f"{mid:g}")
    else:
        verdict = "adding synthetic pairs improved segmentation (gain)"
    return f"Bottom line: {verdict}: {numbers}{worse}."


def subgroup_sentence(worst: dict[str, Any], harmed: dict[str, Any]) -> str:
    """The subgroup with the lowest Dice and the one where synthetic pairs cost most, in words, from
    :meth:`Case1Result.worst_subgroup` and :meth:`Case1Result.most_harmed_subgroup`; a change is called a loss or a
    gain by its sign. The two rankings differ (Dice reached vs change made), and the sentence says so."""
    def change(d: float) -> str:
        return (f"a mean loss of {fmt_number(abs(d))}" if d < 0 else f"a mean gain of {fmt_number(d)}" if d > 0
                else "no mean change")

    def name(row: dict[str, Any]) -> str:
        return f"{str(row['column']).replace('_', ' ')} = {row['group']}"

    d = harmed["mean difference"]
    least = ("the largest loss from adding synthetic pairs" if d < 0 else
             "the smallest gain from adding synthetic pairs" if d > 0 else "no change from adding synthetic pairs")
    lowest = (f"mean Dice {fmt_number(worst['mean'])}, worst case {fmt_number(worst['min'])}; adding synthetic pairs "
              f"brought {change(worst['mean difference'])} there and made {fmt_percent(worst['share worse'])} of its "
              "images worse")
    if (worst["column"], worst["group"]) == (harmed["column"], harmed["group"]):
        return f"Lowest Dice with synthetic pairs, and {least}: {name(worst)} ({lowest})."
    return (f"Lowest Dice with synthetic pairs: {name(worst)} ({lowest}). {least[0].upper()}{least[1:]}: "
            f"{name(harmed)} ({change(d)}, {fmt_percent(harmed['share worse'])} of its images worse). The first "
            "subgroup is ranked by the Dice it reaches, the second by the change synthetic pairs made.")


def subgroup_per_seed(exp: SegmentationExperiment, column: str, group: Any) -> pd.DataFrame:
    """Mean Dice per seed and arm over the held-out images of one subgroup (seeds without such images dropped)."""
    if column not in exp.table:
        raise InputError(f"no subgroup column {column!r} in the experiment table", path=column,
                         remedy="use plane or slice_region")
    part = exp.table[exp.table[column] == group]
    return part.pivot_table(index="seed", columns="arm", values="dice", aggfunc="mean").dropna()


def run_case1(*, seed: int = 0, n_seeds: int = 20, k: int = 3, n_synthetic: int = 12, n_test: int = 12,
              size: int = 64, per_plane: int = 8, audit_dir: str | None = None,
              n_boot: int = 5000, mid: float | None = None, progress: Progress | None = None) -> Case1Result:
    """The complete case-1 measurement (seeds ``seed .. seed+n_seeds-1``); ``mid`` (the minimal important Dice
    difference) plans the power shown beside the paired test. ``progress`` hears of each seed and of the later
    steps (paired statistics, copies, audit)."""
    from misyn_lab.instruments.stats import paired_summary

    images, masks, meta = load_case1_data(size=size, per_plane=per_plane)

    made: dict[int, Any] = {}  # the first seed's synthetic ImageSet (with provenance), reused by the audit

    def maker(tr_im: np.ndarray, tr_mask: np.ndarray, n: int, s: int) -> tuple[np.ndarray, np.ndarray]:
        syn, syn_masks = label_conditioned_set(tr_im, tr_mask, n, s)
        if s == seed:
            made[s] = syn
        return syn.images, syn_masks

    exp = run_experiment(images, masks, meta, maker, k=k, n_synthetic=n_synthetic,
                         seeds=range(seed, seed + n_seeds), n_test=n_test, progress=progress)
    report_progress(progress, "paired statistics, copies and audit", 0, 3, "steps")
    per_seed = exp.per_seed()
    paired = paired_summary(per_seed["real"], per_seed["real+synthetic"], n_boot=n_boot, n_resamples=n_boot,
                            seed=seed, mid=mid)
    wide = exp.per_image()
    paired_img = paired_summary(wide["real"], wide["real+synthetic"], n_boot=n_boot, n_resamples=n_boot, seed=seed,
                                mid=mid)
    report_progress(progress, "paired statistics, copies and audit", 1, 3, "steps")
    copies, copy_pairs = near_copies(exp, images, meta)
    report_progress(progress, "paired statistics, copies and audit", 2, 3, "steps")
    audit = None
    if audit_dir is not None:
        audit = audit_release(made[seed], audit_dir)  # the pairs the first seed trained with, not a refit
    report_progress(progress, "paired statistics, copies and audit", 3, 3, "steps")
    return Case1Result(experiment=exp, paired=paired, paired_images=paired_img,
                       by_plane=subgroup_table(exp, "plane"), by_region=subgroup_table(exp, "slice_region"),
                       worst=worst_cases(exp, 8), copies=copies, copy_pairs=copy_pairs, audit=audit,
                       images=images, masks=masks, meta=meta)
