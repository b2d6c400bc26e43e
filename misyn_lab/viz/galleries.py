"""Image galleries: a grid of an ImageSet, nearest-neighbour pairs, and the invented-detail figure (L1).

Every synthetic tile carries a visible red "SYNTHETIC" label and frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from misyn_lab.errors import InputError
from misyn_lab.imagesets.core import ImageSet
from misyn_lab.viz.style import finish, mark_synthetic, new_figure, show_image


def _stack(x: Any, name: str) -> np.ndarray:
    arr = np.asarray(getattr(x, "images", x), dtype=np.float64)
    if arr.ndim == 2 or (arr.ndim == 3 and arr.shape[-1] == 3 and name.endswith("image")):
        arr = arr[None]
    if arr.ndim not in (3, 4) or len(arr) == 0:
        raise InputError(f"{name} must be a non-empty image stack or ImageSet, got shape {arr.shape}", path=name)
    return arr


def image_grid(imageset: ImageSet, n: int = 16, *, ncols: int | None = None, seed: int | None = None,
               caption_column: str | None = None, title: str | None = None) -> Figure:
    """Up to ``n`` images of a set in a grid (the first ``n``, or a seeded random choice when ``seed`` is given).

    Synthetic images get the red SYNTHETIC marker; tiles are captioned with ``caption_column`` (default: id).
    """
    if not isinstance(imageset, ImageSet):
        raise InputError(f"image_grid needs an ImageSet, got {type(imageset).__name__}", path="image_grid")
    if len(imageset) == 0:
        raise InputError("the image set is empty", path=imageset.name)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise InputError(f"n must be a positive integer, got {n!r}", path="image_grid")
    col = caption_column or "id"
    if col not in imageset.meta:
        raise InputError(f"unknown metadata column {col!r}", path=imageset.name,
                         remedy=f"use one of {list(imageset.meta.columns)}")
    k = min(int(n), len(imageset))
    idx = (np.sort(np.random.default_rng(seed).choice(len(imageset), k, replace=False)) if seed is not None
           else np.arange(k))
    ncols = int(ncols or min(k, int(np.ceil(np.sqrt(k)))))
    nrows = int(np.ceil(k / ncols))
    fig, axes = new_figure(nrows, ncols, figsize=(1.9 * ncols + 0.4, 1.9 * nrows + 1.0))
    syn = imageset.synthetic
    for pos, ax in enumerate(axes.ravel()):
        if pos >= k:
            ax.set_axis_off()
            continue
        i = int(idx[pos])
        show_image(ax, imageset.images[i], caption=str(imageset.meta[col].iloc[i])[:28], synthetic=bool(syn[i]))
    n_syn = int(syn[idx].sum())
    takeaway = (f"{n_syn} of {k} images shown are synthetic (red SYNTHETIC marker); "
                f"{k - n_syn} are real. The set holds {len(imageset)} images.")
    return finish(fig, title or f"Images from {imageset.name}", takeaway)


def nn_pairs_gallery(syn_images: Any, real_images: Any, pairs: Sequence[Sequence[int]] | np.ndarray,
                     distances: Sequence[float] | np.ndarray, *, threshold: float | None = None,
                     max_pairs: int = 8, syn_ids: Sequence[str] | None = None,
                     real_ids: Sequence[str] | None = None, title: str | None = None) -> Figure:
    """Each synthetic image beside its closest real image, closest pairs first.

    ``pairs``: rows of ``(synthetic index, real index)``; ``distances``: their feature-space distances (e.g. the
    ``offenders`` table of ``misyn_lab.metrics.memorisation``). ``threshold``: the copy distance; pairs below it
    are captioned "likely copy".
    """
    s = _stack(syn_images, "syn_images")
    r = _stack(real_images, "real_images")
    p = np.asarray(pairs, dtype=int).reshape(-1, 2) if len(pairs) else np.zeros((0, 2), int)
    d = np.asarray(distances, dtype=np.float64).ravel()
    if len(p) == 0:
        raise InputError("no pairs to show", path="nn_pairs_gallery",
                         remedy="pass the memorisation offenders (synthetic_index, train_index)")
    if len(d) != len(p):
        raise InputError(f"{len(p)} pairs but {len(d)} distances", path="nn_pairs_gallery")
    if (p[:, 0] < 0).any() or (p[:, 0] >= len(s)).any() or (p[:, 1] < 0).any() or (p[:, 1] >= len(r)).any():
        raise InputError("a pair index is out of range", path="nn_pairs_gallery",
                         remedy=f"synthetic indices must be < {len(s)}, real indices < {len(r)}")
    order = np.argsort(d, kind="stable")[:max(1, int(max_pairs))]
    sid = list(syn_ids) if syn_ids is not None else [f"syn #{i}" for i in range(len(s))]
    rid = list(real_ids) if real_ids is not None else [f"real #{i}" for i in range(len(r))]
    m = len(order)
    ncols_pairs = 2 if m > 4 else 1
    nrows = int(np.ceil(m / ncols_pairs))
    fig, axes = new_figure(nrows, 2 * ncols_pairs, figsize=(2.3 * 2 * ncols_pairs + 0.4, 2.3 * nrows + 1.0))
    for slot in range(nrows * ncols_pairs):
        a_syn = axes[slot // ncols_pairs, 2 * (slot % ncols_pairs)]
        a_real = axes[slot // ncols_pairs, 2 * (slot % ncols_pairs) + 1]
        if slot >= m:
            a_syn.set_axis_off()
            a_real.set_axis_off()
            continue
        j = int(order[slot])
        si, ri = int(p[j, 0]), int(p[j, 1])
        copy = threshold is not None and d[j] < threshold
        show_image(a_syn, s[si], caption=f"{str(sid[si])[:22]}\nd = {d[j]:.3g}" + (" · likely copy" if copy else ""),
                   synthetic=True)
        show_image(a_real, r[ri], caption=f"closest real: {str(rid[ri])[:20]}")
    if threshold is not None:
        n_copy = int((d < threshold).sum())
        takeaway = (f"{n_copy} of {len(d)} listed synthetic images lie closer to a real image than the copy "
                    f"threshold ({threshold:.3g}); closest pair d = {d.min():.3g}.")
    else:
        takeaway = (f"Closest synthetic–real pair: d = {d.min():.3g} (median of listed pairs {np.median(d):.3g}); "
                    "judge by eye whether these are copies.")
    return finish(fig, title or "Synthetic images beside their closest real image", takeaway)


def invented_detail_figure(real: np.ndarray, degraded: np.ndarray, restored: np.ndarray, detail: np.ndarray, *,
                           factor: int | None = None, title: str | None = None, threshold: float = 0.05) -> Figure:
    """Ground truth, degraded input, restored output (SYNTHETIC) and the map of detail that was never observed.

    One image each (``H×W``; ``degraded`` may be smaller). ``detail`` is the map of invented detail, computed by
    the caller with :func:`misyn_lab.synth.invented_detail_map` (high-frequency band of restored minus that of the
    truth), at the shape of ``real``.
    """
    t = np.asarray(real, dtype=np.float64)
    lo = np.asarray(degraded, dtype=np.float64)
    rs = np.asarray(restored, dtype=np.float64)
    if t.ndim != 2 or rs.ndim != 2 or lo.ndim != 2:
        raise InputError(f"expected three single grey images (H×W), got shapes {t.shape}, {lo.shape}, {rs.shape}",
                         path="invented_detail_figure", remedy="pass one image, e.g. triplets.real.images[0]")
    if t.shape != rs.shape:
        raise InputError(f"real {t.shape} and restored {rs.shape} differ in shape", path="invented_detail_figure")
    f = int(factor or max(1, round(t.shape[0] / lo.shape[0])))
    detail = np.asarray(detail, dtype=np.float64)
    if detail.shape != t.shape:
        raise InputError(f"detail map {detail.shape} and real {t.shape} differ in shape", path="invented_detail_figure",
                         remedy="pass invented_detail_map(real, restored) of the same image")
    fig, axes = new_figure(1, 4, figsize=(13.0, 3.9))
    panels = [(t, f"ground truth ({t.shape[0]}×{t.shape[1]})", False),
              (lo, f"degraded input ({lo.shape[0]}×{lo.shape[1]})", False),
              (np.clip(rs, 0, 1), "restored (synthetic)", True)]
    for ax, (img, cap, syn) in zip(axes[0, :3], panels):
        ax.imshow(img, cmap="gray", vmin=0, vmax=1, interpolation="nearest",
                  extent=(0, t.shape[1], t.shape[0], 0))
        ax.set_title(cap, fontsize=9)
        ax.set_xlabel("x (pixels of the ground truth)")
        ax.set_ylabel("y (pixels)")
        ax.grid(False)
        if syn:
            mark_synthetic(ax)
    ax = axes[0, 3]
    im = ax.imshow(detail, cmap="magma", vmin=0, interpolation="nearest")
    ax.set_title("invented / lost detail |high-pass difference|", fontsize=9)
    ax.set_xlabel("x (pixels)")
    ax.set_ylabel("y (pixels)")
    ax.grid(False)
    cb = fig.colorbar(im, ax=ax, shrink=0.8)
    cb.set_label("|difference| (intensity, 0–1)")
    err = float(np.sqrt(np.mean(detail ** 2)))
    share = float(np.mean(detail > threshold))
    takeaway = (f"Detail finer than the input's {f}× lower resolution was never observed: it differs from the truth "
                f"by RMS {err:.3f}, with {share:.0%} of pixels off by more than {threshold:g} (L1: no grounding).")
    return finish(fig, title or "Super-resolution invents detail it never saw", takeaway)
