"""Intensity statistics, vectorised over the whole stack.

Colour images: every statistic is computed on the luminance (ITU-R BT.709 weights, as
:meth:`ImageSet.to_grey`), plus the mean and s.d. of each RGB channel, so grey and colour sets share the
same first features.
"""

from __future__ import annotations

import numpy as np

from misyn_lab.imagesets.intensity import luminance as rgb_luminance

PERCENTILES = (1, 5, 25, 50, 75, 95, 99)
HIST_BINS = 16
ENTROPY_BINS = 256


def intensity_names(colour: bool) -> list[str]:
    names = ["mean", "std"] + [f"p{p:02d}" for p in PERCENTILES] + ["skew", "kurtosis", "entropy"]
    names += [f"hist{i:02d}" for i in range(HIST_BINS)]
    if colour:
        names += [f"{s}_{c}" for c in "rgb" for s in ("mean", "std")]
    return [f"intensity.{n}" for n in names]


def luminance(images: np.ndarray) -> np.ndarray:
    """Grey stack (N×H×W) from grey or RGB images."""
    return rgb_luminance(images) if images.ndim == 4 else images


def _percentiles_sorted(xs: np.ndarray, q: tuple[int, ...]) -> np.ndarray:
    """Percentiles of each row of a row-sorted array, numpy's default ("linear") definition."""
    m = xs.shape[1]
    pos = np.asarray(q, dtype=np.float64) / 100.0 * (m - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, m - 1)
    frac = pos - lo
    a = xs[:, lo].astype(np.float64)
    b = xs[:, hi].astype(np.float64)
    return a + (b - a) * frac


def intensity_features(images: np.ndarray) -> np.ndarray:
    """``N×D`` intensity features (see :func:`intensity_names`) of a stack in [0, 1].

    One sort per image gives the percentiles; moments are accumulated in float64 from float32 pixels.
    """
    grey = luminance(images)
    n = len(grey)
    x = np.ascontiguousarray(grey.reshape(n, -1), dtype=np.float32)
    mean = x.mean(axis=1, dtype=np.float64)
    c = x - mean.astype(np.float32)[:, None]
    c2 = c * c
    m2 = c2.mean(axis=1, dtype=np.float64)
    m3 = np.einsum("ij,ij->i", c2, c, dtype=np.float64) / x.shape[1]
    m4 = np.einsum("ij,ij->i", c2, c2, dtype=np.float64) / x.shape[1]
    safe = m2 > 1e-12
    skew = np.where(safe, m3 / np.where(safe, m2, 1.0) ** 1.5, 0.0)
    kurt = np.where(safe, m4 / np.where(safe, m2, 1.0) ** 2 - 3.0, 0.0)
    pct = _percentiles_sorted(np.sort(x, axis=1), PERCENTILES)
    bins = np.minimum((x * ENTROPY_BINS).astype(np.intp), ENTROPY_BINS - 1)
    bins += (np.arange(n, dtype=np.intp) * ENTROPY_BINS)[:, None]
    h256 = np.bincount(bins.ravel(), minlength=n * ENTROPY_BINS).reshape(n, ENTROPY_BINS) / x.shape[1]
    with np.errstate(divide="ignore", invalid="ignore"):
        ent = -np.where(h256 > 0, h256 * np.log2(h256), 0.0).sum(axis=1)
    h16 = h256.reshape(n, HIST_BINS, ENTROPY_BINS // HIST_BINS).sum(axis=2)
    cols = [mean[:, None], np.sqrt(m2)[:, None], pct, skew[:, None], kurt[:, None], ent[:, None], h16]
    if images.ndim == 4:
        rgb = images.reshape(n, -1, 3)
        per = np.stack([rgb.mean(axis=1, dtype=np.float64), rgb.std(axis=1, dtype=np.float64)], axis=2)
        cols.append(per.reshape(n, 6))
    return np.hstack(cols)
