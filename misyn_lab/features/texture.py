"""Texture features, batched over the stack: GLCM properties, uniform LBP histogram, gradient magnitude.

All computed on grey images (colour is converted to luminance first).

* GLCM: grey levels quantised to ``levels`` (default 32) bins of [0, 1]; symmetric, normalised co-occurrence
  matrices at distances 1 and 2 and angles 0, π/4, π/2, 3π/4 (the same matrices as
  ``skimage.feature.graycomatrix(q, [1, 2], angles, levels, symmetric=True, normed=True)``); contrast,
  homogeneity, energy and correlation as in ``skimage.feature.graycoprops``, averaged over the 8 offsets.
  Counting is one ``np.bincount`` per offset for the whole batch instead of one call per image.
* LBP: uniform local binary patterns, P = 8, R = 1, on the image quantised to 8 bits, the same codes as
  ``skimage.feature.local_binary_pattern(u8, 8, 1, "uniform")`` (bilinear neighbours, zero outside), as a
  10-bin normalised histogram. One deliberate difference: a diagonal neighbour whose interpolated value equals
  the centre (e.g. a flat patch) always counts as ">=", while scikit-image's compiled code may round it either
  way; this changes a few pixels in a thousand on some images.
* Gradient magnitude (``np.gradient`` along rows and columns, in intensity units per pixel): mean, s.d. and
  95th percentile.
"""

from __future__ import annotations

import numpy as np

from misyn_lab.features.intensity import luminance

GLCM_DISTANCES = (1, 2)
GLCM_ANGLES = (0.0, np.pi / 4, np.pi / 2, 3 * np.pi / 4)
GLCM_PROPS = ("contrast", "homogeneity", "energy", "correlation")
LBP_P, LBP_R = 8, 1
_TIE = 1e-9  # an interpolated neighbour equal to the centre counts as ">=" whatever the float rounding


def texture_names() -> list[str]:
    names = [f"glcm_{p}" for p in GLCM_PROPS] + [f"lbp{i:02d}" for i in range(LBP_P + 2)]
    names += ["grad_mean", "grad_std", "grad_p95"]
    return [f"texture.{n}" for n in names]


def _offsets() -> list[tuple[int, int]]:
    out = []
    for d in GLCM_DISTANCES:
        for a in GLCM_ANGLES:
            out.append((int(round(np.sin(a) * d)), int(round(np.cos(a) * d))))
    return out


def glcm_matrices(q: np.ndarray, levels: int, dr: int, dc: int) -> np.ndarray:
    """Symmetric, normalised GLCMs (``N×L×L``) of a quantised stack for one pixel offset ``(dr, dc)``."""
    n, h, w = q.shape
    r0, r1 = max(0, -dr), h - max(0, dr)
    c0, c1 = max(0, -dc), w - max(0, dc)
    a = q[:, r0:r1, c0:c1]
    b = q[:, r0 + dr:r1 + dr, c0 + dc:c1 + dc]
    code = a.astype(np.int64) * levels + b
    code += (np.arange(n, dtype=np.int64) * levels * levels)[:, None, None]
    counts = np.bincount(code.ravel(), minlength=n * levels * levels).reshape(n, levels, levels)
    counts = counts + counts.transpose(0, 2, 1)
    total = counts.sum(axis=(1, 2), keepdims=True)
    return counts / np.where(total > 0, total, 1)


def glcm_props(p: np.ndarray) -> np.ndarray:
    """``N×4`` (contrast, homogeneity, energy, correlation) of normalised GLCMs, as in ``graycoprops``."""
    levels = p.shape[1]
    i, j = np.ogrid[:levels, :levels]
    diff2 = (i - j) ** 2.0
    contrast = (p * diff2).sum(axis=(1, 2))
    homogeneity = (p / (1.0 + diff2)).sum(axis=(1, 2))
    energy = np.sqrt((p * p).sum(axis=(1, 2)))
    ii = np.arange(levels, dtype=np.float64)
    pi = p.sum(axis=2)
    pj = p.sum(axis=1)
    # einsum, not BLAS gemv: a per-image reduction whose result does not depend on the batch it is in
    mu_i = np.einsum("ni,i->n", pi, ii)
    mu_j = np.einsum("ni,i->n", pj, ii)
    sd_i = np.sqrt(np.einsum("ni,i->n", pi, ii ** 2) - mu_i ** 2).clip(min=0)
    sd_j = np.sqrt(np.einsum("ni,i->n", pj, ii ** 2) - mu_j ** 2).clip(min=0)
    cov = np.einsum("nij,i,j->n", p, ii, ii) - mu_i * mu_j
    flat = (sd_i < 1e-15) | (sd_j < 1e-15)
    corr = np.where(flat, 1.0, cov / np.where(flat, 1.0, sd_i * sd_j))
    return np.stack([contrast, homogeneity, energy, corr], axis=1)


def lbp_uniform(u8: np.ndarray) -> np.ndarray:
    """Uniform LBP codes (0..P+1) of an 8-bit stack, P = 8, R = 1, as ``skimage.feature.local_binary_pattern``."""
    n, h, w = u8.shape
    img = u8.astype(np.float64)
    pad = np.zeros((n, h + 2, w + 2))
    pad[:, 1:-1, 1:-1] = img
    ang = 2 * np.pi * np.arange(LBP_P, dtype=np.float64) / LBP_P
    rp = np.round(-LBP_R * np.sin(ang), 5)
    cp = np.round(LBP_R * np.cos(ang), 5)

    def at(dr: int, dc: int) -> np.ndarray:
        return pad[:, 1 + dr:1 + dr + h, 1 + dc:1 + dc + w]

    bits = np.empty((LBP_P, n, h, w), dtype=bool)
    for k in range(LBP_P):
        r, c = rp[k], cp[k]
        minr, maxr = int(np.floor(r)), int(np.ceil(r))
        minc, maxc = int(np.floor(c)), int(np.ceil(c))
        if minr == maxr and minc == maxc:  # axis-aligned neighbour: interpolation returns the pixel itself
            bits[k] = at(minr, minc) >= img
            continue
        fr, fc = r - minr, c - minc
        top = (1 - fc) * at(minr, minc) + fc * at(minr, maxc)
        bottom = (1 - fc) * at(maxr, minc) + fc * at(maxr, maxc)
        top *= 1 - fr
        bottom *= fr
        top += bottom
        bits[k] = top >= img - _TIE
    changes = (bits[:-1] != bits[1:]).sum(axis=0)
    ones = bits.sum(axis=0)
    return np.where(changes <= 2, ones, LBP_P + 1)


def texture_features(images: np.ndarray, *, levels: int = 32) -> np.ndarray:
    """``N×D`` texture features (see :func:`texture_names`) of a stack in [0, 1]."""
    grey = luminance(images).astype(np.float64)
    n = len(grey)
    q = np.minimum((grey * levels).astype(np.int64), levels - 1)
    props = np.zeros((n, len(GLCM_PROPS)))
    offsets = _offsets()
    for dr, dc in offsets:
        props += glcm_props(glcm_matrices(q, levels, dr, dc))
    props /= len(offsets)
    u8 = np.round(grey * 255).astype(np.uint8)
    codes = lbp_uniform(u8).reshape(n, -1)
    codes = codes + (np.arange(n, dtype=np.int64) * (LBP_P + 2))[:, None]
    lbp = np.bincount(codes.ravel(), minlength=n * (LBP_P + 2)).reshape(n, LBP_P + 2) / (codes.shape[1])
    gy, gx = np.gradient(grey, axis=(1, 2))
    mag = np.sqrt(gx * gx + gy * gy).reshape(n, -1)
    grad = np.stack([mag.mean(axis=1), mag.std(axis=1), np.percentile(mag, 95, axis=1)], axis=1)
    return np.hstack([props, lbp, grad])
