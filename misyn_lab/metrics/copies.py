"""Copies caught in pixel space, calibrated on held-out real images.

A feature vector (intensity statistics, texture, an embedding) can move a lot when a copied image gets a little
noise, a brightness change or a JPEG re-encoding, so a copy check in feature space alone misses copies. This
module compares the images themselves:

1. **Working images.** Each image is made grey and resized (anti-aliased) to ``size`` × ``size`` pixels
   (:data:`WORK_SIZE`), so images of any size can be compared.
2. **Intensity-normalised, shift-tolerant similarity.** For a query image and a reference image the similarity is
   the largest normalised cross-correlation (Pearson correlation of the pixels of a central crop, i.e. invariant to
   brightness and contrast changes) over whole-pixel shifts of up to :data:`MAX_SHIFT` pixels; for the
   :data:`REFINE_CANDIDATES` best references the shift is refined to sub-pixel precision
   (``skimage.registration.phase_cross_correlation``, then ``scipy.ndimage.shift``).
3. **Noise correction.** Noise lowers a correlation by the factor ``sqrt(1 - sigma^2 / var)`` (attenuation); the
   noise s.d. ``sigma`` of each query is estimated with ``skimage.restoration.estimate_sigma`` and the correlation
   is divided by that factor (Spearman's correction for attenuation). A noisy copy of a training image then scores
   near 1, as a clean copy does. Scores may exceed 1 slightly where the noise estimate is off.
4. **Calibration on held-out real images.** The negative controls are real images the generator never saw: each
   held-out image's similarity to its closest training image. The copy threshold is their conformal
   ``(1 - target)`` quantile (the ``ceil((n + 1)(1 - target))``-th smallest score), so an unseen real image is
   flagged with probability at most ``target`` (:data:`TARGET_FALSE_ALARM`, 5 %). The false-alarm rate reported
   (with its Wilson CI) is measured out of sample: each negative control is compared with the threshold
   calibrated on the *other* controls (:func:`loo_false_alarms`), since the threshold calibrated on all of them
   can flag none by construction (with fewer than 19 controls it is their maximum). Without held-out images (no
   training set named), every real image is compared with all the other real images (leave one out) and those
   scores calibrate the threshold.
5. **Verdict.** The copy rate (share of synthetic images above the threshold, Wilson CI) is read against the
   false-alarm rate: only a copy rate whose CI lies wholly above the false-alarm rate's CI shows copies
   (``"copies"``); otherwise the result is ``"inconclusive"`` — the detector flags synthetic images no more often
   than unseen real images, which is not evidence that nothing was copied.

:func:`copy_probes` makes positive controls (training images with noise of each strength in
:data:`NOISE_STRENGTHS`, brightness changes :data:`BRIGHTNESS`, JPEG re-encoding at :data:`JPEG_QUALITY`): their
detection rates are the detector's measured sensitivity.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from misyn_lab.errors import InputError
from misyn_lab.metrics.result import SPLIT_ALL_REAL, SPLIT_TRAINING, MetricResult, build
from misyn_lab.render.numbers import fmt_percent

#: Side of the working images (pixels).
WORK_SIZE = 32
#: Largest whole-pixel shift searched, in working pixels.
MAX_SHIFT = 2
#: References per query whose shift is refined to sub-pixel precision.
REFINE_CANDIDATES = 3
#: Target false-alarm rate of the copy threshold on unseen real images.
TARGET_FALSE_ALARM = 0.05
#: Noise s.d. (images in [0, 1]) of the noisy-copy probes (notebook 05 offers these strengths).
NOISE_STRENGTHS = (0.01, 0.03, 0.05)
#: Brightness probes: an added offset and a multiplicative factor.
BRIGHTNESS = (("brightness +0.05", 0.05, 1.0), ("brightness x0.9", 0.0, 0.9))
#: JPEG quality of the re-encoding probe.
JPEG_QUALITY = 75
#: Keys of the results this module returns.
PIXEL_KEY = "memorisation.pixel_copy_rate"
COPIES = "copies"
INCONCLUSIVE = "inconclusive"


def _stack(images: Any, name: str) -> np.ndarray:
    """Images (an ImageSet or an array N×H×W[×C]) as a float64 array, checked."""
    arr = np.asarray(getattr(images, "images", images), dtype=np.float64)
    if arr.ndim == 2:
        raise InputError(f"{name} is one image of shape {arr.shape}, expected a stack N×H×W[×C]", path=name,
                         remedy="pass several images (an ImageSet or an array N×H×W)")
    if arr.ndim not in (3, 4) or arr.shape[0] == 0:
        raise InputError(f"{name} must be a non-empty image stack N×H×W[×C], got shape {arr.shape}", path=name,
                         remedy="pass an ImageSet or an array of images")
    if not np.all(np.isfinite(arr)):
        raise InputError(f"{name} contains NaN or infinite pixel values", path=name,
                         remedy="drop or repair the broken images first")
    return arr


def working_images(images: Any, size: int = WORK_SIZE, *, name: str = "images") -> np.ndarray:
    """Grey ``size`` × ``size`` versions of ``images`` (anti-aliased resize; colour averaged over channels)."""
    from skimage.transform import resize

    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 4 * MAX_SHIFT + 4:
        raise InputError(f"size must be an integer >= {4 * MAX_SHIFT + 4}, got {size!r}", path="size",
                         remedy=f"use the default {WORK_SIZE}")
    arr = _stack(images, name)
    if arr.ndim == 4:
        arr = arr.mean(axis=-1)
    if arr.shape[1:] == (size, size):
        return arr.copy()
    return np.stack([resize(im, (size, size), anti_aliasing=True, preserve_range=True) for im in arr])


def noise_levels(work: np.ndarray) -> np.ndarray:
    """Estimated noise s.d. of each working image (``skimage.restoration.estimate_sigma``, wavelet MAD)."""
    from skimage.restoration import estimate_sigma

    return np.array([float(estimate_sigma(im)) for im in work])


def _centred(crops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows centred and scaled to unit length, and their variance (per pixel)."""
    c = crops - crops.mean(axis=1, keepdims=True)
    var = (c * c).mean(axis=1)
    return c / (np.linalg.norm(c, axis=1, keepdims=True) + 1e-12), var


def _attenuation(sigma: np.ndarray | float, var: np.ndarray | float) -> np.ndarray:
    """``sqrt(1 - sigma^2 / var)``, kept away from 0."""
    return np.sqrt(np.clip(1.0 - np.asarray(sigma) ** 2 / np.maximum(var, 1e-12), 1e-3, 1.0))


@dataclass(frozen=True)
class Similarity:
    """Per query: the best noise-corrected correlation to any reference (``score``) and that reference's index."""

    score: np.ndarray
    nearest: np.ndarray


def copy_similarity(queries: np.ndarray, references: np.ndarray, *, exclude_self: bool = False,
                    max_shift: int = MAX_SHIFT, candidates: int = REFINE_CANDIDATES,
                    chunk: int = 256) -> Similarity:
    """Shift-tolerant, intensity-normalised, noise-corrected similarity of each query to its closest reference.

    ``queries`` and ``references`` are working images (:func:`working_images`) of one size. ``exclude_self``:
    the queries ARE the references (same order) and an image is not compared with itself (leave one out).
    Queries are processed ``chunk`` at a time so memory stays at ``chunk`` × len(references) floats.
    """
    from scipy.ndimage import shift as nd_shift
    from skimage.registration import phase_cross_correlation

    q = np.asarray(queries, dtype=np.float64)
    r = np.asarray(references, dtype=np.float64)
    if q.ndim != 3 or r.ndim != 3 or q.shape[1:] != r.shape[1:]:
        raise InputError(f"queries {q.shape} and references {r.shape} must be working images of one size",
                         path="copy_similarity", remedy="make both with working_images(..., size)")
    if exclude_self and q.shape != r.shape:
        raise InputError("exclude_self needs the queries to be the references", path="copy_similarity")
    if exclude_self and len(r) < 2:
        raise InputError("leave-one-out needs at least 2 real images", path="copy_similarity",
                         remedy="give at least 2 real images")
    h, w = q.shape[1:]
    m = int(max_shift) + 1
    sigma = noise_levels(q)
    ref_unit, _ = _centred(r[:, m:h - m, m:w - m].reshape(len(r), -1))
    score = np.empty(len(q))
    nearest = np.empty(len(q), dtype=np.int64)
    top = max(1, min(int(candidates), len(r) - (1 if exclude_self else 0)))
    for start in range(0, len(q), int(chunk)):
        stop = min(start + int(chunk), len(q))
        best = np.full((stop - start, len(r)), -np.inf)
        for dy in range(-int(max_shift), int(max_shift) + 1):
            for dx in range(-int(max_shift), int(max_shift) + 1):
                crop = q[start:stop, m + dy:h - m + dy, m + dx:w - m + dx].reshape(stop - start, -1)
                unit, var = _centred(crop)
                np.maximum(best, (unit @ ref_unit.T) / _attenuation(sigma[start:stop], var)[:, None], out=best)
        if exclude_self:
            best[np.arange(stop - start), np.arange(start, stop)] = -np.inf
        order = np.argsort(-best, axis=1, kind="stable")[:, :top]
        for row, i in enumerate(range(start, stop)):
            s_best, j_best = best[row, order[row, 0]], int(order[row, 0])
            for j in order[row]:
                offset, _, _ = phase_cross_correlation(r[j], q[i], upsample_factor=8, normalization=None)
                if np.max(np.abs(offset)) > m:
                    continue
                moved = nd_shift(q[i], offset, order=3, mode="nearest")
                unit, var = _centred(moved[m:h - m, m:w - m].reshape(1, -1))
                value = float((unit @ ref_unit[j])[0] / _attenuation(sigma[i], var[0]))
                if value > s_best:
                    s_best, j_best = value, int(j)
            score[i], nearest[i] = s_best, j_best
    return Similarity(score=score, nearest=nearest)


def conformal_threshold(scores: np.ndarray, target: float = TARGET_FALSE_ALARM) -> float:
    """The ``ceil((n + 1)(1 - target))``-th smallest negative-control score (the largest if n is too small).

    A new unseen real image, exchangeable with the negative controls, scores above it with probability at most
    ``target``.
    """
    s = np.sort(np.asarray(scores, dtype=np.float64))
    if s.size == 0:
        raise InputError("no negative-control scores to calibrate the copy threshold", path="conformal_threshold",
                         remedy="give held-out real images (or at least 2 real images)")
    if not 0 < target < 1:
        raise InputError(f"target false-alarm rate must be in (0, 1), got {target}", path="target_false_alarm",
                         remedy="use e.g. 0.05")
    k = math.ceil((s.size + 1) * (1 - target))
    return float(s[min(k, s.size) - 1])


def loo_false_alarms(scores: np.ndarray, target: float = TARGET_FALSE_ALARM) -> np.ndarray:
    """Per negative control: is it above the threshold calibrated on the other controls? (out-of-sample flags)"""
    s = np.asarray(scores, dtype=np.float64)
    if s.size < 2:
        raise InputError("at least 2 negative controls are needed to measure a false-alarm rate",
                         path="loo_false_alarms", remedy="give at least 2 held-out real images")
    return np.array([s[i] > conformal_threshold(np.delete(s, i), target) for i in range(s.size)])


def rate_ci(flags: np.ndarray, ci_level: float = 0.95) -> tuple[float, tuple[float, float]]:
    """Share of true flags with its Wilson CI (``statsmodels.stats.proportion.proportion_confint``)."""
    from statsmodels.stats.proportion import proportion_confint

    f = np.asarray(flags, dtype=bool)
    if f.size == 0:
        raise InputError("no images to compute a rate over", path="rate_ci")
    lo, hi = proportion_confint(int(f.sum()), int(f.size), alpha=1 - ci_level, method="wilson")
    return float(f.mean()), (float(lo), float(hi))


def proportion_ci(rate: float, n: int, ci_level: float = 0.95) -> tuple[float, float]:
    """Wilson CI of a proportion ``rate`` observed over ``n`` items (the count is ``round(rate * n)``)."""
    from statsmodels.stats.proportion import proportion_confint

    if n < 1:
        raise InputError(f"a proportion needs n >= 1, got {n}", path="proportion_ci")
    lo, hi = proportion_confint(int(round(rate * n)), int(n), alpha=1 - ci_level, method="wilson")
    return float(lo), float(hi)


def copy_verdict(copy_ci: tuple[float, float], false_alarm_ci: tuple[float, float] | None) -> str:
    """``"copies"`` when the copy rate's CI lies wholly above the false-alarm rate's CI, else ``"inconclusive"``
    (also without a negative control: a copy rate that cannot be read against one decides nothing)."""
    if false_alarm_ci is None:
        return INCONCLUSIVE
    return COPIES if copy_ci[0] > false_alarm_ci[1] else INCONCLUSIVE


#: How the negative controls are named in sentences, by how they were chosen.
CONTROL_HELDOUT = "real images the generator never saw"
CONTROL_LEAVE_ONE_OUT = "real images compared with the other real images (no training set named)"


def verdict_sentence(rate: float, ci: tuple[float, float], n: int, false_alarm: float | None,
                     false_alarm_ci: tuple[float, float] | None, n_control: int, verdict: str, *,
                     space: str, control: str = CONTROL_HELDOUT, ci_level: float = 0.95) -> str:
    """One sentence reading a copy rate against its negative control, computed from the numbers given (in the house
    number formats, :mod:`misyn_lab.render.numbers`).

    ``control`` names the negative controls (:data:`CONTROL_HELDOUT` or :data:`CONTROL_LEAVE_ONE_OUT`); ``ci_level``
    is the level of both intervals.

    >>> verdict_sentence(0.4, (0.2, 0.6), 20, 0.05, (0.01, 0.2), 20, COPIES, space="pixel space")[:62]
    '40 % of 20 synthetic images (95 % CI 20 %–60 %) are flagged as'
    """
    head = (f"{fmt_percent(rate)} of {n} synthetic images ({fmt_percent(ci_level)} CI {fmt_percent(ci[0])}–"
            f"{fmt_percent(ci[1])}) are flagged as copies of a training image in {space}")
    if false_alarm is None or false_alarm_ci is None:
        return head + "; no negative control was available, so the rate is inconclusive."
    reading = (f"the same rule flags {fmt_percent(false_alarm)} of {n_control} {control} "
               f"(CI {fmt_percent(false_alarm_ci[0])}–{fmt_percent(false_alarm_ci[1])})")
    if verdict == COPIES:
        return f"{head}, while {reading}: the synthetic set contains copies."
    return (f"{head}, and {reading}: not more than among those real images, so inconclusive (no copying "
            "detectable beyond the false-alarm rate; not proof that nothing was copied).")


@dataclass
class PixelCopyResult:
    """The pixel-space copy check: the result, per-image scores and the calibration.

    ``metrics`` holds :data:`PIXEL_KEY`; ``score``/``nearest`` are per synthetic image (its best similarity and the
    index of that training image); ``control_score`` the negative controls' scores; ``probes`` the detection
    rate of each positive control (name -> rate); ``offenders`` the closest synthetic-training pairs.
    """

    metrics: dict[str, MetricResult]
    score: np.ndarray
    nearest: np.ndarray
    control_score: np.ndarray
    threshold: float
    verdict: str
    probes: dict[str, float] = field(default_factory=dict)
    offenders: pd.DataFrame = field(default_factory=pd.DataFrame)

    def __getitem__(self, key: str) -> MetricResult:
        return self.metrics[key]


def pixel_copies(train: Any, synthetic: Any, holdout: Any = None, *, target_false_alarm: float = TARGET_FALSE_ALARM,
                 size: int = WORK_SIZE, positive_controls: Mapping[str, Any] | None = None, top: int = 10,
                 ci_level: float = 0.95) -> PixelCopyResult:
    """Flag synthetic images that are copies of training images, in pixel space (see the module docstring).

    Parameters
    ----------
    train:
        The real images the generator saw (ImageSet or array). Without a named training set pass every real
        image here and ``holdout=None``: the negative controls are then each real image against the others.
    synthetic:
        The generated images.
    holdout:
        Real images the generator never saw: the negative controls that calibrate the threshold.
    target_false_alarm:
        The share of unseen real images the threshold may flag.
    positive_controls:
        ``name -> images`` of known copies (e.g. :func:`copy_probes`); their detection rates are reported.
    """
    w_train = working_images(train, size, name="train")
    w_syn = working_images(synthetic, size, name="synthetic")
    if holdout is None:
        if len(w_train) < 2:
            raise InputError("at least 2 real images are needed to calibrate the copy threshold", path="train",
                             remedy="give more real images or a held-out set")
        control = copy_similarity(w_train, w_train, exclude_self=True).score
        control_what = "each real image against the other real images (leave one out)"
        split, label = SPLIT_ALL_REAL, CONTROL_LEAVE_ONE_OUT
    else:
        control = copy_similarity(working_images(holdout, size, name="holdout"), w_train).score
        control_what = "held-out real images against the training images"
        split, label = SPLIT_TRAINING, CONTROL_HELDOUT
    threshold = conformal_threshold(control, target_false_alarm)
    if len(control) < 2:
        raise InputError("at least 2 held-out real images are needed as negative controls", path="holdout",
                         remedy="give more held-out real images")
    false_alarm, fa_ci = rate_ci(loo_false_alarms(control, target_false_alarm), ci_level)
    sim = copy_similarity(w_syn, w_train)
    flags = sim.score > threshold
    rate, ci = rate_ci(flags, ci_level)
    verdict = copy_verdict(ci, fa_ci)
    probes = {}
    for name, images in (positive_controls or {}).items():
        probes[str(name)] = float(np.mean(copy_similarity(working_images(images, size, name=str(name)),
                                                          w_train).score > threshold))
    order = np.argsort(-sim.score, kind="stable")[:max(0, int(top))]
    offenders = pd.DataFrame({"synthetic_index": order, "train_index": sim.nearest[order],
                              "score": sim.score[order], "is_copy": flags[order]})
    n = {"train" if holdout is not None else "real": len(w_train), "synthetic": len(w_syn)}
    if holdout is not None:
        n["holdout"] = len(control)
    space = f"pixel space ({size}x{size}, intensity-normalised, shifts up to {MAX_SHIFT} px, noise-corrected)"
    sentence = verdict_sentence(rate, ci, len(w_syn), false_alarm, fa_ci, len(control), verdict, space=space,
                                control=label, ci_level=ci_level)
    if probes:
        sentence += " Known copies detected: " + ", ".join(f"{k} {fmt_percent(v)}" for k, v in probes.items()) + "."
    result = build(
        PIXEL_KEY, rate, n=n, ci=ci, ci_level=ci_level, interpretation=sentence, split=split,
        details={"verdict": verdict, "threshold": threshold, "threshold_rule":
                 f"conformal {1 - target_false_alarm:.0%} quantile of the negative controls' scores",
                 "target_false_alarm_rate": target_false_alarm, "false_alarm_rate": false_alarm,
                 "false_alarm_ci": list(fa_ci), "false_alarm_rule": "each control against the threshold of the others",
                 "negative_control": control_what, "n_negative_control": len(control),
                 "copies": int(flags.sum()), "positive_control_detection": probes, "space": space,
                 "worst": offenders.head(5).to_dict("records")})
    return PixelCopyResult(metrics={PIXEL_KEY: result}, score=sim.score, nearest=sim.nearest, control_score=control,
                           threshold=threshold, verdict=verdict, probes=probes, offenders=offenders)


def _jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    """One image re-encoded as JPEG at ``quality`` (8-bit, grey or RGB) and decoded back to [0, 1]."""
    from PIL import Image

    arr = np.clip(np.round(np.asarray(image) * 255.0), 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="JPEG", quality=int(quality))
    buf.seek(0)
    with Image.open(buf) as im:
        return np.asarray(im, dtype=np.float64) / 255.0


def copy_probes(train: Any, *, seed: int = 0, noise: tuple[float, ...] = NOISE_STRENGTHS,
                brightness: tuple[tuple[str, float, float], ...] = BRIGHTNESS,
                jpeg_quality: int | None = JPEG_QUALITY) -> dict[str, np.ndarray]:
    """Known copies of the training images (positive controls): ``name -> images``.

    ``noise s.d. X``: Gaussian noise of that s.d. added (not clipped, as a generator's output may not be);
    the brightness probes add an offset / scale intensities (clipped to [0, 1]); ``JPEG qQ`` re-encodes.
    """
    images = _stack(train, "train")
    rng = np.random.default_rng(seed)
    out: dict[str, np.ndarray] = {}
    for s in noise:
        if not float(s) >= 0:
            raise InputError(f"noise strengths must be >= 0, got {s!r}", path="noise", remedy="e.g. (0.01, 0.05)")
        out[f"noise s.d. {float(s):g}"] = images + rng.normal(0.0, float(s), images.shape)
    for name, offset, factor in brightness:
        out[str(name)] = np.clip(images * float(factor) + float(offset), 0.0, 1.0)
    if jpeg_quality is not None:
        out[f"JPEG q{int(jpeg_quality)}"] = np.stack([_jpeg(im, jpeg_quality) for im in images])
    return out


def feature_copy_reading(result: MetricResult, n_control: int, *, false_alarm: float | None = None,
                         control: str = CONTROL_HELDOUT, ci_level: float = 0.95) -> MetricResult:
    """The feature-space copy rate (``memorisation.copy_rate``) read against its negative control.

    Adds the copy rate's Wilson CI, the false-alarm rate's CI and the verdict (``"copies"`` / ``"inconclusive"``)
    to a result of :func:`misyn_lab.metrics.memorisation.memorisation`, and a sentence that says which.
    ``false_alarm``: the share of negative controls the same rule flags (default: the result's
    ``holdout_false_alarm_rate``) over ``n_control`` images; ``control`` names them in the sentence.
    """
    n_syn = int(result.n.get("synthetic", 0))
    if n_syn < 1:
        raise InputError("the copy-rate result names no synthetic images", path=result.key)
    ci = proportion_ci(float(result.value), n_syn, ci_level)
    fa = result.details.get("holdout_false_alarm_rate") if false_alarm is None else false_alarm
    fa_ci = None if fa is None or n_control < 1 else proportion_ci(float(fa), int(n_control), ci_level)
    verdict = copy_verdict(ci, fa_ci)
    sentence = verdict_sentence(float(result.value), ci, n_syn, None if fa_ci is None else float(fa), fa_ci,
                                int(n_control), verdict, space="feature space (nearest-neighbour distance ratio)",
                                control=control, ci_level=ci_level)
    details = {**result.details, "verdict": verdict, "false_alarm_rate": None if fa is None else float(fa),
               "false_alarm_ci": None if fa_ci is None else list(fa_ci), "n_negative_control": int(n_control),
               "rule_interpretation": result.interpretation}
    return replace(result, ci=ci, ci_level=ci_level, interpretation=sentence, details=details)


def pool_pixel_copies(parts: list[tuple[str, PixelCopyResult]], *, ci_level: float = 0.95) -> MetricResult:
    """Several pixel-space copy checks (one per seed or per prompt, each with its own training images and
    negative controls) pooled into one :data:`PIXEL_KEY` result: copies and out-of-sample false alarms are
    counted over all parts, each with its Wilson CI, and read against each other (:func:`copy_verdict`).
    ``details["per_part"]`` keeps every part's rate, false-alarm rate and n."""
    if not parts:
        raise InputError("no copy checks to pool", path="pool_pixel_copies", remedy="run pixel_copies first")
    copies = n_syn = alarms = n_ctrl = 0
    per_part: dict[str, dict] = {}
    split = SPLIT_TRAINING
    for label, res in parts:
        r = res[PIXEL_KEY]
        n_c = int(r.details["n_negative_control"])
        fa_count = round(float(r.details["false_alarm_rate"]) * n_c)
        copies += int(r.details["copies"])
        n_syn += int(r.n["synthetic"])
        alarms += fa_count
        n_ctrl += n_c
        split = r.split
        per_part[str(label)] = {"copy_rate": float(r.value), "copies": int(r.details["copies"]),
                                "n_synthetic": int(r.n["synthetic"]),
                                "false_alarm_rate": float(r.details["false_alarm_rate"]),
                                "n_negative_control": n_c, "verdict": r.details["verdict"]}
    rate, ci = copies / n_syn, proportion_ci(copies / n_syn, n_syn, ci_level)
    fa, fa_ci = alarms / n_ctrl, proportion_ci(alarms / n_ctrl, n_ctrl, ci_level)
    verdict = copy_verdict(ci, fa_ci)
    first = parts[0][1][PIXEL_KEY]
    sentence = verdict_sentence(rate, ci, n_syn, fa, fa_ci, n_ctrl, verdict, space=str(first.details["space"]),
                                control=CONTROL_HELDOUT if split == SPLIT_TRAINING else CONTROL_LEAVE_ONE_OUT,
                                ci_level=ci_level)
    sentence += f" Pooled over {len(parts)} checks, each against its own training and held-out images."
    return build(PIXEL_KEY, rate, n={"synthetic": n_syn, "holdout": n_ctrl, "checks": len(parts)},
                        ci=ci, ci_level=ci_level, interpretation=sentence, split=split,
                        details={"verdict": verdict, "copies": copies, "false_alarm_rate": fa,
                                 "false_alarm_ci": list(fa_ci), "n_negative_control": n_ctrl,
                                 "target_false_alarm_rate": float(first.details["target_false_alarm_rate"]),
                                 "space": first.details["space"], "per_part": per_part})


__all__ = ["NOISE_STRENGTHS", "BRIGHTNESS", "JPEG_QUALITY", "PIXEL_KEY", "working_images", "Similarity",
           "copy_similarity", "conformal_threshold", "loo_false_alarms", "proportion_ci", "copy_verdict",
           "CONTROL_LEAVE_ONE_OUT", "PixelCopyResult", "pixel_copies", "copy_probes", "feature_copy_reading",
           "pool_pixel_copies"]
