"""Memorising generator: returns near-copies of training images (privacy risk).

What it teaches (privacy, L2): a generator can reproduce its training images; a copy of a patient's scan
labelled "synthetic" still depicts that patient. ``strength`` moves from a PCA-Gaussian sample (0) to a
near-copy (1).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from misyn_lab.errors import InputError
from misyn_lab.imagesets.core import ImageSet
from misyn_lab.synth.base import Generator
from misyn_lab.synth.pca_gaussian import PCAGaussianGenerator


def shifted_copies(images: np.ndarray, idx: np.ndarray, shifts: np.ndarray) -> np.ndarray:
    """``images[idx]`` moved by whole-pixel ``shifts`` (n×2: rows, columns), edges repeated, as float64.

    The same values as ``scipy.ndimage.shift(image, (dy, dx), order=0, mode="nearest")`` per image (for whole
    pixels that is a gather at clamped coordinates), for all images at once.
    """
    h, w = images.shape[1:3]
    rows = np.clip(np.arange(h)[None, :] - shifts[:, :1], 0, h - 1)
    cols = np.clip(np.arange(w)[None, :] - shifts[:, 1:2], 0, w - 1)
    return images[idx[:, None, None], rows[:, :, None], cols[:, None, :]].astype(np.float64)


class MemorisingGenerator(Generator):
    """A generator that copies (privacy): each sample is ``strength`` × (a training image shifted by a random whole
    number of pixels up to ``max_shift`` × the image side, plus Gaussian noise of s.d. ``noise``) + ``(1 -
    strength)`` × a PCA-Gaussian sample.

    The training image used is recorded in ``derived_from`` (the ground truth a memorisation metric should
    rediscover without being told).

    Parameters
    ----------
    strength : float, optional
        Weight of the copied training image, in [0, 1].
    noise : float, optional
        s.d. of the added noise.
    max_shift : float, optional
        Largest shift as a share of the image side (default 1 %: ±1 pixel at 128×128, none at 32×32).
    n_components : int, optional
        Components of the PCA-Gaussian part.

    Examples
    --------
    >>> from misyn_lab.workbook import teaching_real_set
    >>> real = teaching_real_set(40, size=(16, 16))            # bundled brain MR slices (real)
    >>> sample = MemorisingGenerator().fit(real).sample(3, seed=0)
    >>> sample.meta["derived_from"].tolist()
    ['colin27-cor-149', 'colin27-sag-067', 'mni152-axi-101']
    """

    name = "memorising"
    version = "0.1.0"
    limit = "privacy"
    description = ("Returns near-copies of training images (small shift + noise): shows memorisation, a "
                   "privacy leak, and why nearest-neighbour checks are needed.")
    REUSABLE_PARAMS = ("strength", "noise", "max_shift")  # sampling only: the fitted PCA is shared

    def __init__(self, strength: float = 0.9, *, noise: float = 0.01, max_shift: float = 0.01,
                 n_components: int = 16) -> None:
        super().__init__()
        if not (0.0 <= float(strength) <= 1.0):
            raise InputError(f"strength must lie in [0, 1], got {strength!r}", path=self.name)
        if noise < 0 or not 0 <= max_shift < 0.5:
            raise InputError("need noise >= 0 and max_shift (a fraction of the image side) in [0, 0.5)",
                             path=self.name)
        self.strength = float(strength)
        self.noise = float(noise)
        self.max_shift = float(max_shift)
        self._pca = PCAGaussianGenerator(n_components)
        self._pca._keep_spectrum = False  # its rank never changes here
        self._memo: dict[str, Any] | None = None  # see _draws

    def _fit(self, imageset: ImageSet) -> None:
        self._pca.fit(imageset)

    def _with_params(self, changes: dict[str, Any]) -> "MemorisingGenerator":
        """A copy with new sampling parameters sharing the fitted PCA-Gaussian (read-only when sampling)."""
        new = MemorisingGenerator(changes.get("strength", self.strength), noise=changes.get("noise", self.noise),
                                  max_shift=changes.get("max_shift", self.max_shift),
                                  n_components=self._pca.n_components)
        new._pca = self._pca
        # the strength-independent draws of the last sample are shared by this generator and its copies
        if self._memo is None:
            self._memo = {}
        new._memo = self._memo
        return new._adopt_fit(self)  # type: ignore[return-value]

    def _draws(self, n: int, rng: np.random.Generator, conditions: dict[str, Any],
               need_latent: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """``(training indices, shifted copies + noise, PCA-Gaussian images or None)``: everything a sample
        draws, none of which depends on ``strength``.

        Remembered for the last ``(n, conditions, RNG state, noise, max_shift)`` when a memo is shared (set up
        by :meth:`with_params`), so a new strength only re-mixes the same draws: same bytes as a fresh sample.
        Remembered arrays are never modified.
        """
        key = (n, json.dumps(conditions, sort_keys=True, default=str),
               json.dumps(rng.bit_generator.state, sort_keys=True), self.noise, self.max_shift)
        if self._memo is not None and self._memo.get("key") == key:
            return self._memo["draws"]
        train = self.training_set
        mask = self._condition_mask(conditions) if conditions else np.ones(len(train), bool)
        pool = np.flatnonzero(mask)
        idx = pool[rng.integers(0, len(pool), size=n)]
        limit = int(round(self.max_shift * min(train.image_shape[:2])))
        shifts = rng.integers(-limit, limit + 1, size=(n, 2))
        copies = shifted_copies(train.images, idx, shifts)
        copies += rng.normal(0.0, self.noise, size=copies.shape) if self.noise > 0 else 0.0
        latent_images = None
        if need_latent or self._memo is not None:  # drawn last, so a strength of 1 sees the same copies
            assert self._pca.basis is not None
            latent_images = self._pca.basis.inverse(self._pca.sample_latents(n, rng, mask))
        draws = (idx, copies, latent_images)
        if self._memo is not None:
            self._memo.clear()
            self._memo.update(key=key, draws=draws)
        return draws

    def _sample(self, n: int, rng: np.random.Generator,
                conditions: dict[str, Any]) -> tuple[np.ndarray, pd.DataFrame]:
        train = self.training_set
        idx, copies, latent_images = self._draws(n, rng, conditions, need_latent=self.strength < 1.0)
        if self.strength < 1.0:
            assert latent_images is not None
            copies = self.strength * copies + (1.0 - self.strength) * latent_images
        rows = self._attribute_rows(idx)
        rows["derived_from"] = train.meta["id"].to_numpy()[idx]
        return copies, rows
