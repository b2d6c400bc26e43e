"""Memorising generator: returns near-copies of training images (privacy risk).

What it teaches (privacy, L2): a generator can reproduce its training images; a copy of a patient's scan
labelled "synthetic" still depicts that patient. ``strength`` moves from a PCA-Gaussian sample (0) to a
near-copy (1).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.ndimage import shift as nd_shift

from misyn_lab.errors import InputError
from misyn_lab.imagesets.core import ImageSet
from misyn_lab.synth.base import Generator
from misyn_lab.synth.pca_gaussian import PCAGaussianGenerator


class MemorisingGenerator(Generator):
    """Each sample = ``strength`` × (a training image shifted by a random whole number of pixels up to
    ``max_shift`` × the image side (default 1 %: ±1 pixel at 128×128, none at 32×32), plus Gaussian noise of
    s.d. ``noise``) + ``(1 - strength)`` × a PCA-Gaussian sample.

    The training image used is recorded in ``derived_from`` (the ground truth a memorisation metric should
    rediscover without being told).
    """

    name = "memorising"
    version = "0.1.0"
    limit = "privacy"
    description = ("Returns near-copies of training images (small shift + noise): shows memorisation, a "
                   "privacy leak, and why nearest-neighbour checks are needed.")

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

    def _fit(self, imageset: ImageSet) -> None:
        self._pca.fit(imageset)

    def _sample(self, n: int, rng: np.random.Generator,
                conditions: dict[str, Any]) -> tuple[np.ndarray, pd.DataFrame]:
        train = self.training_set
        mask = self._condition_mask(conditions) if conditions else np.ones(len(train), bool)
        pool = np.flatnonzero(mask)
        idx = pool[rng.integers(0, len(pool), size=n)]
        limit = int(round(self.max_shift * min(train.image_shape[:2])))
        shifts = rng.integers(-limit, limit + 1, size=(n, 2))
        copies = np.empty((n,) + train.image_shape, dtype=np.float64)
        for i, (j, (dy, dx)) in enumerate(zip(idx, shifts)):
            offset = (int(dy), int(dx)) + (0,) * (train.images.ndim - 3)
            copies[i] = nd_shift(train.images[j].astype(np.float64), offset, order=0, mode="nearest")
        copies += rng.normal(0.0, self.noise, size=copies.shape) if self.noise > 0 else 0.0
        if self.strength < 1.0:
            assert self._pca.basis is not None
            z = self._pca.sample_latents(n, rng, mask)
            copies = self.strength * copies + (1.0 - self.strength) * self._pca.basis.inverse(z)
        rows = self._attribute_rows(idx)
        rows["derived_from"] = train.meta["id"].to_numpy()[idx]
        return copies, rows
