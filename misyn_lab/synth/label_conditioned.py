"""Label-conditioned generator: new (image, mask) pairs by smooth elastic deformation of real pairs.

What it teaches (L1, L2): the masks are "perfect" only because image and mask are warped together from a
few real pairs; the new anatomy was never observed in anyone, and the variety is bounded by the handful of
training pairs (the segmentation-training case study).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.ndimage import gaussian_filter, map_coordinates

from misyn_lab.errors import InputError
from misyn_lab.imagesets.core import ImageSet
from misyn_lab.synth.base import Generator, check_n_seed


class LabelConditionedGenerator(Generator):
    """(image, mask) pairs by random elastic warps of a few real pairs (limit L1: new-looking pairs, no new anatomy).

    A displacement noise smoothed by a Gaussian of ``sigma`` pixels, scaled to at most about ``alpha`` pixels, is
    applied identically to an image (linear interpolation) and its mask (nearest neighbour, so label values are
    preserved), then intensity jitter (gain, bias, gamma) on the image only. Use :meth:`fit` with ``masks`` and
    :meth:`sample_pairs` to get ``(ImageSet, masks)``; :meth:`sample` returns just the ImageSet of the same call.

    Parameters
    ----------
    alpha : float, optional
        Largest displacement, in pixels.
    sigma : float, optional
        Smoothness of the displacement field, in pixels.
    intensity_jitter : float, optional
        Size of the gain/bias/gamma jitter.

    Examples
    --------
    >>> import numpy as np
    >>> from misyn_lab.imagesets import load_sample_with_masks
    >>> images, masks = load_sample_with_masks("mni152")
    >>> generator = LabelConditionedGenerator().fit(images.take(np.arange(4)), masks=masks[:4])
    >>> pairs, pair_masks = generator.sample_pairs(2, seed=0)
    >>> len(pairs), pair_masks.shape, sorted(np.unique(pair_masks).tolist())
    (2, (2, 128, 128), [0, 1, 2])
    """

    name = "label_conditioned"
    version = "0.1.0"
    limit = "L1"
    description = ("New (image, mask) pairs by elastic warps + intensity jitter of a few real pairs: labels look "
                   "perfect but the anatomy was never observed (L1) and variety is bounded (L2).")

    def __init__(self, *, alpha: float = 6.0, sigma: float = 8.0, intensity_jitter: float = 0.1) -> None:
        super().__init__()
        if alpha < 0 or sigma <= 0 or not 0 <= intensity_jitter < 1:
            raise InputError("need alpha >= 0, sigma > 0 and 0 <= intensity_jitter < 1", path=self.name)
        self.alpha = float(alpha)
        self.sigma = float(sigma)
        self.intensity_jitter = float(intensity_jitter)
        self.masks: np.ndarray | None = None

    def fit(  # type: ignore[override]
        self, imageset: ImageSet, masks: np.ndarray | None = None
    ) -> "LabelConditionedGenerator":
        """Fit on real images and their integer label masks (``N×H×W``, same H×W as the images)."""
        if masks is None:
            raise InputError("LabelConditionedGenerator needs masks", path=self.name,
                             remedy="call fit(imageset, masks) with one integer mask per image")
        m = np.asarray(masks)
        if isinstance(imageset, ImageSet) and m.shape != (len(imageset),) + imageset.image_shape[:2]:
            raise InputError(f"masks have shape {m.shape}, expected {(len(imageset),) + imageset.image_shape[:2]}",
                             path=self.name, remedy="give one H×W mask per image")
        if not np.issubdtype(m.dtype, np.integer) and not np.issubdtype(m.dtype, np.bool_):
            if not np.array_equal(m, np.round(m)):
                raise InputError("masks must hold integer labels", path=self.name,
                                 remedy="pass label masks (e.g. 0 = background, 1 = structure)")
        self.masks = m.astype(np.int64)
        super().fit(imageset)
        return self

    def _fit(self, imageset: ImageSet) -> None:
        if self.masks is None:  # fit() sets masks first; _fit alone is not enough
            raise InputError("masks missing", path=self.name, remedy="call fit(imageset, masks)")

    def _warp(self, image: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        h, w = mask.shape
        disp = []
        for _ in range(2):
            field = gaussian_filter(rng.uniform(-1, 1, size=(h, w)), self.sigma, mode="reflect")
            peak = np.abs(field).max()
            disp.append(field / peak * self.alpha if peak > 0 else field)
        yy, xx = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
        coords = np.array([yy + disp[0], xx + disp[1]])
        if image.ndim == 3:
            warped = np.stack([map_coordinates(image[..., c], coords, order=1, mode="reflect")
                               for c in range(image.shape[2])], axis=-1)
        else:
            warped = map_coordinates(image, coords, order=1, mode="reflect")
        warped_mask = map_coordinates(mask, coords, order=0, mode="reflect")
        j = self.intensity_jitter
        gain, bias = 1 + rng.uniform(-j, j), rng.uniform(-j, j) / 2
        gamma = float(np.exp(rng.uniform(-j, j)))
        warped = gain * np.clip(warped, 0, 1) ** gamma + bias
        return np.clip(warped, 0, 1), warped_mask

    def _pairs(self, n: int, rng: np.random.Generator,
               conditions: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
        train = self.training_set
        assert self.masks is not None
        mask = self._condition_mask(conditions) if conditions else np.ones(len(train), bool)
        pool = np.flatnonzero(mask)
        idx = pool[rng.integers(0, len(pool), size=n)]
        images = np.empty((n,) + train.image_shape, dtype=np.float64)
        masks = np.empty((n,) + train.image_shape[:2], dtype=self.masks.dtype)
        for i, j in enumerate(idx):
            images[i], masks[i] = self._warp(train.images[j].astype(np.float64), self.masks[j], rng)
        rows = self._attribute_rows(idx)
        rows["derived_from"] = train.meta["id"].to_numpy()[idx]
        return images, masks, rows

    def _sample(self, n: int, rng: np.random.Generator,
                conditions: dict[str, Any]) -> tuple[np.ndarray, pd.DataFrame]:
        images, _, rows = self._pairs(n, rng, conditions)
        return images, rows

    def sample_pairs(self, n: int, seed: int = 0, conditions: dict[str, Any] | None = None, *,
                     created: str | None = None) -> tuple[ImageSet, np.ndarray]:
        """``(ImageSet, masks)``: ``n`` synthetic images and their warped masks (``n×H×W`` integers)."""
        self._check_fitted()
        n, seed = check_n_seed(n, seed, where=self.name)
        cond = self._check_conditions(conditions)
        images, masks, rows = self._pairs(n, np.random.default_rng(seed), cond)
        return self._package(images, rows, seed, cond, created), masks
