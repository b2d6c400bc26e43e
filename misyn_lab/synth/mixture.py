"""Gaussian-mixture generator: a mixture of Gaussians in the latent space of a pixel PCA.

What it teaches (L2, L3): more flexible than one Gaussian, yet it still smooths detail; components fitted on
few images collapse onto them, so small groups come out either thinned or near-copied.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.mixture import GaussianMixture

from misyn_lab.errors import InputError
from misyn_lab.imagesets.core import ImageSet
from misyn_lab.synth._linalg import PCABasis, nearest_rows
from misyn_lab.synth.base import Generator


class GaussianMixtureGenerator(Generator):
    """PCA (``n_pca`` components) + a ``n_components``-Gaussian mixture (scikit-learn, ``random_state=0``).

    Conditions re-weight the mixture components by the responsibilities of the matching training rows. Sampling uses
    the generator's own seeded RNG, so it is deterministic (limits L2, L3: smoothing; tiny components collapse onto
    their images).

    Parameters
    ----------
    n_components : int, optional
        Mixture components.
    n_pca : int, optional
        Principal components the mixture is fitted on.

    Examples
    --------
    >>> from misyn_lab.workbook import teaching_real_set
    >>> real = teaching_real_set(40, size=(16, 16))            # bundled brain MR slices (real)
    >>> generator = GaussianMixtureGenerator(2, n_pca=4).fit(real)
    >>> sample = generator.sample(6, seed=0)
    >>> len(sample), sample.images.shape[1:], bool(sample.synthetic.all())
    (6, (16, 16), True)
    """

    name = "gaussian_mixture"
    version = "0.1.0"
    limit = "L2"
    description = ("PCA + Gaussian mixture in latent space: smooths detail (L3); components over few images "
                   "collapse onto them, thinning or copying small subgroups (L2).")
    REUSABLE_PARAMS = ("n_components",)  # the PCA basis (n_pca) is shared; only the mixture is refitted

    def __init__(self, n_components: int = 5, *, n_pca: int = 16) -> None:
        super().__init__()
        for label, value in (("n_components", n_components), ("n_pca", n_pca)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise InputError(f"{label} must be a positive integer, got {value!r}", path=self.name)
        self.n_components = int(n_components)
        self.n_pca = int(n_pca)
        self.basis: PCABasis | None = None
        self.latents: np.ndarray | None = None
        self.gmm: GaussianMixture | None = None

    def _fit(self, imageset: ImageSet) -> None:
        self.basis = PCABasis.fit(imageset.images, self.n_pca, seed=0)
        self.latents = self.basis.transform(imageset.images)
        self._fit_mixture()

    def _fit_mixture(self) -> None:
        assert self.latents is not None
        k = min(self.n_components, len(self.latents))
        self.gmm = GaussianMixture(n_components=k, covariance_type="full", reg_covar=1e-4,
                                   random_state=0, max_iter=200).fit(self.latents)

    def _with_params(self, changes: dict[str, Any]) -> "GaussianMixtureGenerator":
        """A copy with another number of mixture parts: the PCA basis and latents are shared, the mixture
        (seeded EM) is refitted, so the result equals a fresh fit."""
        new = GaussianMixtureGenerator(changes.get("n_components", self.n_components), n_pca=self.n_pca)
        new.basis, new.latents = self.basis, self.latents
        if new.n_components == self.n_components:
            new.gmm = self.gmm
        else:
            new._fit_mixture()
        return new._adopt_fit(self)  # type: ignore[return-value]

    def _sample(self, n: int, rng: np.random.Generator,
                conditions: dict[str, Any]) -> tuple[np.ndarray, pd.DataFrame]:
        assert self.basis is not None and self.latents is not None and self.gmm is not None
        mask = self._condition_mask(conditions) if conditions else np.ones(len(self.latents), bool)
        weights = self.gmm.predict_proba(self.latents[mask]).sum(axis=0)
        weights = weights / weights.sum()
        comp = rng.choice(len(weights), size=n, p=weights)
        chols = np.linalg.cholesky(self.gmm.covariances_)
        eps = rng.standard_normal((n, self.latents.shape[1]))
        z = self.gmm.means_[comp] + np.einsum("nij,nj->ni", chols[comp], eps)
        pool = np.flatnonzero(mask)
        nearest = pool[nearest_rows(z, self.latents[pool])]
        rows = self._attribute_rows(nearest)
        rows["mixture_component"] = comp.astype(int)
        return self.basis.inverse(z), rows
