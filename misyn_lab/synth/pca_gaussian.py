"""PCA-Gaussian generator: a Gaussian in the latent space of a pixel PCA.

What it teaches (L2, L3): it keeps only the ``n_components`` main modes of variation, so fine detail is
smoothed away (a new, systematic shift) and the rare images in the tails are thinned, because a Gaussian puts
little mass there.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from misyn_lab.errors import InputError
from misyn_lab.imagesets.core import ImageSet
from misyn_lab.synth._linalg import Gaussian, PCABasis, nearest_rows
from misyn_lab.synth.base import Generator


class PCAGaussianGenerator(Generator):
    """Fit an exact PCA on the pixels (at full resolution, no downsampling), then a full-covariance Gaussian on
    the latent codes; sample codes and map them back to pixels (clipped to [0, 1]).

    Parameters
    ----------
    n_components:
        Number of principal components kept (capped at ``N - 1``).
    scale:
        Multiplies the latent standard deviations (``< 1`` thins the tails further).

    Conditions select the training rows whose latent codes the Gaussian is fitted on (shared PCA basis).
    Attribute columns of each sample are copied from its nearest training image in latent space.
    """

    name = "pca_gaussian"
    version = "0.1.0"
    limit = "L2"
    description = ("PCA on pixels + Gaussian in latent space: smooths fine detail (L3) and thins the tails "
                   "and small subgroups (L2).")

    def __init__(self, n_components: int = 16, *, scale: float = 1.0) -> None:
        super().__init__()
        if isinstance(n_components, bool) or not isinstance(n_components, (int, np.integer)) or n_components < 1:
            raise InputError(f"n_components must be a positive integer, got {n_components!r}", path=self.name)
        if not np.isfinite(scale) or scale <= 0:
            raise InputError(f"scale must be > 0, got {scale!r}", path=self.name)
        self.n_components = int(n_components)
        self.scale = float(scale)
        self.basis: PCABasis | None = None
        self.latents: np.ndarray | None = None

    def _fit(self, imageset: ImageSet) -> None:
        self.basis = PCABasis.fit(imageset.images, self.n_components, seed=0)
        self.latents = self.basis.transform(imageset.images)

    def sample_latents(self, n: int, rng: np.random.Generator, mask: np.ndarray | None = None) -> np.ndarray:
        """Latent codes from the Gaussian fitted on the (masked) training codes."""
        assert self.latents is not None
        z = self.latents if mask is None else self.latents[mask]
        return Gaussian.fit(z, scale=self.scale).sample(n, rng)

    def _sample(self, n: int, rng: np.random.Generator,
                conditions: dict[str, Any]) -> tuple[np.ndarray, pd.DataFrame]:
        assert self.basis is not None and self.latents is not None
        mask = self._condition_mask(conditions) if conditions else np.ones(len(self.latents), bool)
        z = self.sample_latents(n, rng, mask)
        pool = np.flatnonzero(mask)
        nearest = pool[nearest_rows(z, self.latents[pool])]
        return self.basis.inverse(z), self._attribute_rows(nearest)
