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
from misyn_lab.synth._linalg import Gaussian, PCABasis, PCASpectrum, nearest_rows
from misyn_lab.synth.base import Generator


class PCAGaussianGenerator(Generator):
    """An exact PCA on the pixels (at full resolution, no downsampling), then a full-covariance Gaussian on the latent
    codes; samples are codes mapped back to pixels (clipped to [0, 1]). Limits L2, L3: smoothing, thinned tails.

    Conditions select the training rows whose latent codes the Gaussian is fitted on (shared PCA basis). Attribute
    columns of each sample are copied from its nearest training image in latent space. :meth:`with_components`
    (or ``with_params(n_components=k)``) returns a fitted generator of another rank that reuses this fit's
    eigen-decomposition (no new SVD) and samples the same bytes as a fresh fit with ``k`` components; for that the
    fitted generator keeps the decomposition and the centred training pixels (N×D float64).

    Parameters
    ----------
    n_components : int, optional
        Number of principal components kept (capped at ``N - 1``).
    scale : float, optional
        Multiplies the latent standard deviations (``< 1`` thins the tails further).

    Examples
    --------
    >>> from misyn_lab.workbook import teaching_real_set
    >>> real = teaching_real_set(40, size=(16, 16))            # bundled brain MR slices (real)
    >>> generator = PCAGaussianGenerator(4).fit(real)
    >>> sample = generator.sample(5, seed=0)
    >>> len(sample), bool(sample.synthetic.all()), float(sample.images.min()) >= 0
    (5, True, True)
    >>> bool((generator.with_components(2).sample(5, seed=0).images
    ...       == PCAGaussianGenerator(2).fit(real).sample(5, seed=0).images).all())
    True
    """

    name = "pca_gaussian"
    version = "0.1.0"
    limit = "L2"
    description = ("PCA on pixels + Gaussian in latent space: smooths fine detail (L3) and thins the tails "
                   "and small subgroups (L2).")
    REUSABLE_PARAMS = ("n_components", "scale")

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
        self._spectrum: PCASpectrum | None = None
        self._keep_spectrum = True  # False: forget the decomposition after the fit (saves memory, no cheap re-rank)

    def _fit(self, imageset: ImageSet) -> None:
        spectrum = PCASpectrum.fit(imageset.images, self.n_components, seed=0)
        self._use_rank(spectrum)
        self._spectrum = spectrum if self._keep_spectrum else None

    def _use_rank(self, spectrum: PCASpectrum) -> None:
        """Basis and training latents of rank ``n_components`` cut from ``spectrum`` (same as a fresh fit)."""
        self.basis = spectrum.basis(self.n_components)
        self.latents = spectrum.latents(self.basis)

    def with_components(self, n_components: int) -> "PCAGaussianGenerator":
        """A fitted copy with ``n_components`` components, without redoing the PCA.

        Identical to ``PCAGaussianGenerator(n_components, scale=...).fit(training set)``: same basis, latents
        and, for a given seed, the same sampled bytes (guaranteed by construction: both cut the basis from the
        same stored decomposition with the same operations). Cost: forming ``k`` components and the training
        latents, O(k·N·D), instead of the O(N²·D + N³) fit. In the randomised regime (N and D above
        ``_linalg.EXACT_LIMIT``) the randomised SVD is recomputed for the new rank (still identical to a fresh
        fit, just not cheap), because a truncated randomised SVD differs from one computed at the lower rank.
        """
        return self.with_params(n_components=n_components)  # type: ignore[return-value]

    def _with_params(self, changes: dict[str, Any]) -> "PCAGaussianGenerator":
        new = PCAGaussianGenerator(changes.get("n_components", self.n_components),
                                   scale=changes.get("scale", self.scale))
        new._keep_spectrum = self._keep_spectrum
        new._adopt_fit(self)
        if new.n_components == self.n_components:
            new.basis, new.latents = self.basis, self.latents
        elif self._spectrum is not None:
            new._use_rank(self._spectrum)
        else:  # the decomposition was not kept: a fresh fit gives the same result
            new._fit(self.training_set)
        new._spectrum = self._spectrum
        return new

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
