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
from misyn_lab.viz.style import finish, mark_synthetic, panels, show_image


def _stack(x: Any, name: str) -> np.ndarray:
    arr = np.asarray(getattr(x, "images", x), dtype=np.float64)
    if arr.ndim == 2 or (arr.ndim == 3 and arr.shape[-1] == 3 and name.endswith("image")):
        arr = arr[None]
    if arr.ndim not in (3, 4) or len(arr) == 0:
        raise InputError(f"{name} must be a non-empty image stack or ImageSet, got shape {arr.shape}", path=name)
    return arr


def image_grid(imageset: ImageSet, n: int = 16, *, ncols: int | None = None, seed: int | None = None,
               caption_column: str | None = None, title: str | None = None, ax: Any = None) -> Figure:
    """Up to ``n`` images of a set in a grid; synthetic images get the red SYNTHETIC marker.

    Parameters
    ----------
    imageset : ImageSet
        The images.
    n : int
        Tiles shown: the first ``n``, or a seeded random choice when ``seed`` is given.
    ncols : int, optional
        Tiles per row (default: about the square root of the number shown).
    seed : int, optional
        Seed of the random choice.
    caption_column : str, optional
        Metadata column captioning each tile (default: ``id``).
    title : str, optional
        Figure title.
    ax : sequence of Axes, optional
        ``rows × ncols`` Axes to draw into (see :mod:`misyn_lab.viz`); by default a figure of its own.

    Returns
    -------
    Figure
        The new figure, or the Axes' figure; the takeaway counts synthetic and real tiles.

    Raises
    ------
    InputError
        For an empty set, a bad ``n`` or an unknown caption column.

    Examples
    --------
    >>> from misyn_lab.imagesets.core import ImageSet
    >>> images = ImageSet.from_arrays(np.zeros((3, 8, 8)), name="demo")
    >>> image_grid(images, 2).misyn_takeaway
    '0 of 2 images shown are synthetic (red SYNTHETIC marker); 2 are real. The set holds 3 images.'
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
    fig, axes, own = panels(ax, nrows * ncols, nrows=nrows, ncols=ncols,
                            figsize=(1.9 * ncols + 0.4, 1.9 * nrows + 1.0))
    syn = imageset.synthetic
    for pos, tile_ax in enumerate(axes.ravel()):
        if pos >= k:
            tile_ax.set_axis_off()
            continue
        i = int(idx[pos])
        show_image(tile_ax, imageset.images[i], caption=str(imageset.meta[col].iloc[i])[:28], synthetic=bool(syn[i]))
    n_syn = int(syn[idx].sum())
    takeaway = (f"{n_syn} of {k} images shown are synthetic (red SYNTHETIC marker); "
                f"{k - n_syn} are real. The set holds {len(imageset)} images.")
    return finish(fig, title or f"Images from {imageset.name}", takeaway, axes=None if own else axes)


def _checked_pairs(pairs: Any, distances: Any, n_syn: int, n_real: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``(synthetic, real)`` index pairs and their distances, checked against the stack sizes."""
    p = np.asarray(pairs, dtype=int).reshape(-1, 2) if len(pairs) else np.zeros((0, 2), int)
    d = np.asarray(distances, dtype=np.float64).ravel()
    if len(p) == 0:
        raise InputError("no pairs to show", path="nn_pairs_gallery",
                         remedy="pass the memorisation offenders (synthetic_index, train_index)")
    if len(d) != len(p):
        raise InputError(f"{len(p)} pairs but {len(d)} distances", path="nn_pairs_gallery")
    if (p[:, 0] < 0).any() or (p[:, 0] >= n_syn).any() or (p[:, 1] < 0).any() or (p[:, 1] >= n_real).any():
        raise InputError("a pair index is out of range", path="nn_pairs_gallery",
                         remedy=f"synthetic indices must be < {n_syn}, real indices < {n_real}")
    return p, d


def nn_pairs_gallery(syn_images: Any, real_images: Any, pairs: Sequence[Sequence[int]] | np.ndarray,
                     distances: Sequence[float] | np.ndarray, *, threshold: float | None = None,
                     max_pairs: int = 8, syn_ids: Sequence[str] | None = None,
                     real_ids: Sequence[str] | None = None, title: str | None = None, ax: Any = None) -> Figure:
    """Each synthetic image beside its closest real image, closest pairs first.

    Parameters
    ----------
    syn_images, real_images : ImageSet or ndarray
        The image stacks the pair indices point into.
    pairs : array-like
        Rows of ``(synthetic index, real index)``, e.g. the ``offenders`` of
        :func:`misyn_lab.metrics.memorisation`.
    distances : array-like
        Their feature-space distances.
    threshold : float, optional
        The copy distance; pairs below it are captioned "likely copy".
    max_pairs : int
        Pairs shown (one column of pairs up to 4, two above).
    syn_ids, real_ids : sequence of str, optional
        Tile captions.
    title : str, optional
        Figure title.
    ax : sequence of Axes, optional
        ``rows × (2 per pair column)`` Axes to draw into (see :mod:`misyn_lab.viz`); by default a figure of its
        own.

    Returns
    -------
    Figure
        The new figure, or the Axes' figure; the takeaway counts the pairs below the threshold.

    Raises
    ------
    InputError
        For no pairs, a length mismatch or an index out of range.

    Examples
    --------
    >>> images = np.zeros((2, 8, 8))
    >>> nn_pairs_gallery(images, images, [[0, 1], [1, 0]], [0.01, 0.5], threshold=0.1).misyn_takeaway
    '1 of 2 listed synthetic images lie closer to a real image than the copy threshold (0.1); closest pair d = 0.01.'
    """
    s = _stack(syn_images, "syn_images")
    r = _stack(real_images, "real_images")
    p, d = _checked_pairs(pairs, distances, len(s), len(r))
    order = np.argsort(d, kind="stable")[:max(1, int(max_pairs))]
    sid = list(syn_ids) if syn_ids is not None else [f"syn #{i}" for i in range(len(s))]
    rid = list(real_ids) if real_ids is not None else [f"real #{i}" for i in range(len(r))]
    m = len(order)
    ncols_pairs = 2 if m > 4 else 1
    nrows = int(np.ceil(m / ncols_pairs))
    fig, axes, own = panels(ax, nrows * 2 * ncols_pairs, nrows=nrows, ncols=2 * ncols_pairs,
                            figsize=(2.3 * 2 * ncols_pairs + 0.4, 2.3 * nrows + 1.0))
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
    return finish(fig, title or "Synthetic images beside their closest real image", takeaway,
                  axes=None if own else axes)


def invented_detail_figure(real: np.ndarray, degraded: np.ndarray, restored: np.ndarray, detail: np.ndarray, *,
                           factor: int | None = None, title: str | None = None, threshold: float = 0.05,
                           ax: Any = None) -> Figure:
    """Ground truth, degraded input, restored output (SYNTHETIC) and the map of detail that was never observed.

    Parameters
    ----------
    real, degraded, restored : ndarray
        One grey image each (``H×W``; ``degraded`` may be smaller).
    detail : ndarray
        The map of invented detail at the shape of ``real``, computed by the caller with
        :func:`misyn_lab.synth.invented_detail_map` (the high-frequency band of restored minus that of the truth).
    factor : int, optional
        The degradation factor (default: the ratio of the sizes).
    title : str, optional
        Figure title.
    threshold : float
        Pixels whose invented detail exceeds it are counted in the takeaway.
    ax : sequence of Axes, optional
        Four Axes to draw into (see :mod:`misyn_lab.viz`); by default a figure of its own.

    Returns
    -------
    Figure
        The new figure, or the Axes' figure; the detail map is summarised in the takeaway.

    Raises
    ------
    InputError
        For images that are not single grey images of matching shapes.

    Examples
    --------
    >>> from misyn_lab.synth import invented_detail_map
    >>> truth, restored = np.tile([0.0, 1.0], (8, 4)), np.full((8, 8), 0.5)
    >>> detail = invented_detail_map(truth, restored, factor=2)
    >>> invented_detail_figure(truth, truth[::2, ::2], restored, detail).misyn_takeaway[:58]
    "Detail finer than the input's 2× lower resolution was neve"
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
    fig, axes, own = panels(ax, 4, figsize=(13.0, 3.9))
    images = [(t, f"ground truth ({t.shape[0]}×{t.shape[1]})", False),
              (lo, f"degraded input ({lo.shape[0]}×{lo.shape[1]})", False),
              (np.clip(rs, 0, 1), "restored (synthetic)", True)]
    for image_ax, (img, cap, syn) in zip(axes[0, :3], images):
        image_ax.imshow(img, cmap="gray", vmin=0, vmax=1, interpolation="nearest",
                        extent=(0, t.shape[1], t.shape[0], 0))
        image_ax.set_title(cap, fontsize=9)
        image_ax.set_xlabel("x (pixels of the ground truth)")
        image_ax.set_ylabel("y (pixels)")
        image_ax.grid(False)
        if syn:
            mark_synthetic(image_ax)
    map_ax = axes[0, 3]
    im = map_ax.imshow(detail, cmap="magma", vmin=0, interpolation="nearest")
    map_ax.set_title("invented / lost detail |high-pass difference|", fontsize=9)
    map_ax.set_xlabel("x (pixels)")
    map_ax.set_ylabel("y (pixels)")
    map_ax.grid(False)
    cb = fig.colorbar(im, ax=map_ax, shrink=0.8)
    cb.set_label("|difference| (intensity, 0–1)")
    err = float(np.sqrt(np.mean(detail ** 2)))
    share = float(np.mean(detail > threshold))
    takeaway = (f"Detail finer than the input's {f}× lower resolution was never observed: it differs from the truth "
                f"by RMS {err:.3f}, with {share:.0%} of pixels off by more than {threshold:g} (L1: no grounding).")
    return finish(fig, title or "Super-resolution invents detail it never saw", takeaway,
                  axes=None if own else axes)
