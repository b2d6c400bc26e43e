"""Small linear-algebra helpers shared by the generators: a seeded PCA basis and Gaussians on latents."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


EXACT_LIMIT = 2500


@dataclass
class PCABasis:
    """``x ≈ mean + z @ components`` with orthonormal rows in ``components`` (k×D)."""

    mean: np.ndarray
    components: np.ndarray
    shape: tuple[int, ...]

    @classmethod
    def fit(cls, images: np.ndarray, n_components: int, *, seed: int = 0) -> "PCABasis":
        """PCA of the flattened pixels (``k <= N - 1``).

        Exact via the smaller of the two Gram matrices while that is at most ``EXACT_LIMIT`` square; above it
        (thousands of images *and* large images) a seeded randomised SVD keeps the fit in seconds.
        Deterministic: each component's sign is fixed (largest entry positive).
        """
        x = images.reshape(len(images), -1).astype(np.float64)
        mean = x.mean(axis=0)
        c = x - mean
        n, d = c.shape
        k = int(max(0, min(n_components, n - 1, d)))
        if k == 0:
            comps = np.zeros((0, d))
        elif min(n, d) > EXACT_LIMIT:
            from misyn_lab.features.embedding import randomized_pca

            comps = randomized_pca(c, k, seed=seed)[1]
        elif n <= d:
            w, u = np.linalg.eigh(c @ c.T)
            order = np.argsort(w)[::-1][:k]
            w, u = np.maximum(w[order], 1e-12), u[:, order]
            comps = (u.T @ c) / np.sqrt(w)[:, None]
        else:
            w, v = np.linalg.eigh(c.T @ c)
            comps = v[:, np.argsort(w)[::-1][:k]].T
        signs = np.sign(comps[np.arange(k), np.abs(comps).argmax(axis=1)]) if k else np.ones(0)
        comps = comps * signs[:, None]
        return cls(mean=mean, components=comps, shape=tuple(images.shape[1:]))

    @property
    def k(self) -> int:
        return int(self.components.shape[0])

    def transform(self, images: np.ndarray) -> np.ndarray:
        x = images.reshape(len(images), -1).astype(np.float64)
        return (x - self.mean) @ self.components.T

    def inverse(self, z: np.ndarray) -> np.ndarray:
        x = self.mean + np.asarray(z, dtype=np.float64) @ self.components
        return x.reshape((len(x),) + self.shape)


@dataclass
class Gaussian:
    """A multivariate normal on latent vectors, with a ridge so a tiny group still samples."""

    mean: np.ndarray
    chol: np.ndarray

    @classmethod
    def fit(cls, z: np.ndarray, *, ridge: float = 1e-6, scale: float = 1.0) -> "Gaussian":
        z = np.atleast_2d(np.asarray(z, dtype=np.float64))
        k = z.shape[1]
        mean = z.mean(axis=0)
        cov = np.cov(z, rowvar=False).reshape(k, k) if len(z) > 1 else np.zeros((k, k))
        cov = cov * scale ** 2
        jitter = ridge * (np.trace(cov) / k if k and np.trace(cov) > 0 else 1.0)
        chol = np.linalg.cholesky(cov + jitter * np.eye(k)) if k else np.zeros((0, 0))
        return cls(mean=mean, chol=chol)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        k = len(self.mean)
        return self.mean + rng.standard_normal((n, k)) @ self.chol.T


def nearest_rows(z: np.ndarray, pool: np.ndarray) -> np.ndarray:
    """Index into ``pool`` of the nearest row (Euclidean) for each row of ``z`` (chunked k-NN of the metrics)."""
    from misyn_lab.metrics.knn import nearest_neighbours

    return nearest_neighbours(np.asarray(z, dtype=np.float64), np.asarray(pool, dtype=np.float64), 1)[1][:, 0]
