"""Small linear-algebra helpers shared by the generators: a seeded PCA basis and Gaussians on latents."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from misyn_lab.metrics.knn import nearest_neighbours
from misyn_lab.features.embedding import randomized_pca


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
        Same as ``PCASpectrum.fit(images, n_components, seed=seed).basis(n_components)``.
        """
        return PCASpectrum.fit(images, n_components, seed=seed, keep_centred=False).basis(n_components)

    @property
    def k(self) -> int:
        return int(self.components.shape[0])

    def transform(self, images: np.ndarray) -> np.ndarray:
        x = images.reshape(len(images), -1).astype(np.float64)
        return (x - self.mean) @ self.components.T

    def inverse(self, z: np.ndarray) -> np.ndarray:
        x = np.asarray(z, dtype=np.float64) @ self.components
        x += self.mean  # in place: same values as mean + x, one N×D allocation less
        return x.reshape((len(x),) + self.shape)


@dataclass
class PCASpectrum:
    """The expensive part of a pixel PCA, kept so that a basis of any rank can be cut from it cheaply.

    ``basis(k)`` is bit-for-bit the basis ``PCABasis.fit(images, k)`` returns, for every ``k``:

    * ``method="gram"`` (N <= D, exact): the eigen-decomposition of the N×N Gram matrix is stored (all
      eigenpairs, sorted), ``basis(k)`` only forms ``u_k.T @ centred / sqrt(w_k)`` (``k`` rows, O(k·N·D)).
    * ``method="cov"`` (N > D, exact): the D×D eigenvectors are stored; ``basis(k)`` is a slice.
    * ``method="randomized"`` (both N and D above ``EXACT_LIMIT``): the randomised SVD's sketch width depends
      on ``k``, so a rank-``k`` basis is *not* a truncation of a rank-``K`` one; ``basis(k)`` for a rank other
      than the fitted one reruns the seeded randomised SVD on the stored centred matrix (identical to a fresh
      fit, but costs a fit without the centring).

    ``centred`` (N×D float64, the fit's working matrix) is kept when ``keep_centred`` (needed by "gram" and
    "randomized" to cut new ranks and by :meth:`latents`); ``basis(k)`` without it refuses ranks that need it.
    """

    mean: np.ndarray
    shape: tuple[int, ...]
    method: str
    n: int
    d: int
    rank: int
    seed: int
    values: np.ndarray | None = None
    vectors: np.ndarray | None = None
    centred: np.ndarray | None = None
    _cut: dict[int, np.ndarray] | None = None

    @classmethod
    def fit(cls, images: np.ndarray, rank: int, *, seed: int = 0, keep_centred: bool = True) -> "PCASpectrum":
        """Decompose the flattened pixels of ``images``; ``rank`` only matters for the randomised path (the rank
        it is computed at) and for what :meth:`basis` can serve without ``centred``."""
        x = images.reshape(len(images), -1).astype(np.float64)
        mean = x.mean(axis=0)
        c = x - mean
        n, d = c.shape
        k = _cap(rank, n, d)
        shape = tuple(images.shape[1:])
        if k == 0:
            spec = cls(mean, shape, "empty", n, d, 0, seed)
        elif min(n, d) > EXACT_LIMIT:
            spec = cls(mean, shape, "randomized", n, d, k, seed)
            spec._cut = {k: randomized_pca(c, k, seed=seed)[1]}
        elif n <= d:
            w, u = np.linalg.eigh(c @ c.T)
            order = np.argsort(w)[::-1]
            spec = cls(mean, shape, "gram", n, d, k, seed, values=w[order], vectors=u[:, order])
        else:
            w, v = np.linalg.eigh(c.T @ c)
            spec = cls(mean, shape, "cov", n, d, k, seed, vectors=v[:, np.argsort(w)[::-1]])
        spec.centred = c if keep_centred or spec.method == "gram" else None
        if spec.method == "gram" and not keep_centred:  # one-shot fit: cut the asked rank now, drop the rest
            spec._cut = {k: spec._raw(k)}
            spec.centred = spec.vectors = spec.values = None
        return spec

    @property
    def max_rank(self) -> int:
        """The largest rank :meth:`basis` can give (``min(N - 1, D)``)."""
        return _cap(self.d, self.n, self.d)

    def _raw(self, k: int) -> np.ndarray:
        """Unsigned components of rank ``k`` (exactly the operations of a fresh fit)."""
        if k == 0:
            return np.zeros((0, self.d))
        if self._cut is not None and k in self._cut:
            return self._cut[k]
        if self.method == "cov":
            assert self.vectors is not None
            return self.vectors[:, :k].T
        if self.centred is None:
            raise ValueError(f"rank {k} needs the centred matrix, which this spectrum did not keep")
        if self.method == "randomized":
            return randomized_pca(self.centred, k, seed=self.seed)[1]
        assert self.values is not None and self.vectors is not None
        w, u = np.maximum(self.values[:k], 1e-12), np.ascontiguousarray(self.vectors[:, :k])
        return (u.T @ self.centred) / np.sqrt(w)[:, None]

    def basis(self, k: int) -> PCABasis:
        """The rank-``k`` basis (capped at ``min(N - 1, D)``), identical to ``PCABasis.fit(images, k)``."""
        k = _cap(k, self.n, self.d)
        comps = self._raw(k)
        signs = np.sign(comps[np.arange(k), np.abs(comps).argmax(axis=1)]) if k else np.ones(0)
        return PCABasis(mean=self.mean, components=comps * signs[:, None], shape=self.shape)

    def latents(self, basis: PCABasis) -> np.ndarray:
        """``basis.transform`` of the fitted images, reusing the stored centred matrix (same values)."""
        if self.centred is None:
            raise ValueError("this spectrum did not keep the centred matrix")
        return self.centred @ basis.components.T


def _cap(k: int, n: int, d: int) -> int:
    return int(max(0, min(k, n - 1, d)))


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
    return nearest_neighbours(np.asarray(z, dtype=np.float64), np.asarray(pool, dtype=np.float64), 1)[1][:, 0]
