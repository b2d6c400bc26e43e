"""A learned low-dimensional embedding: PCA on resized grey pixels, fitted on REAL images only.

The same fitted embedding is then applied to the real and the synthetic set, so both live in one space that
the real data defined (fitting on the union would let the synthetic set shape the yardstick).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
from skimage.transform import resize

from misyn_lab.errors import InputError
from misyn_lab.features.intensity import luminance
from misyn_lab.imagesets.core import ImageSet


def _prepare(images: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Grey, resized (skimage, bilinear, anti-aliased), flattened float32 pixels.

    The whole stack is resized in one call (no smoothing or interpolation happens along the stack axis).
    """
    grey = luminance(np.asarray(images))
    if grey.shape[1:3] != tuple(size):
        grey = resize(grey, (len(grey),) + tuple(size), order=1, anti_aliasing=True, preserve_range=True)
    return np.ascontiguousarray(grey.reshape(len(grey), -1), dtype=np.float32)


def prepare_rows(images: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The rows an embedding is fitted on / applied to: grey, resized to ``size``, flattened float32 pixels.

    Per image, so a stack may be prepared in chunks with the same result."""
    return _prepare(images, size)


def fit_positions(n: int, max_fit: int, seed: int) -> np.ndarray:
    """Positions of the images an embedding is fitted on: all ``n``, or a seeded random ``max_fit`` of them
    (sorted) when there are more."""
    if n > max_fit:
        return np.sort(np.random.default_rng(seed).choice(n, size=max_fit, replace=False))
    return np.arange(n)


def randomized_pca(centred: np.ndarray, k: int, *, seed: int = 0, oversample: int = 10,
                   n_iter: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` singular values and right singular vectors of a centred matrix (Halko et al. randomised SVD).

    Seeded Gaussian test matrix, ``n_iter`` QR-stabilised power iterations, all in numpy float32 BLAS; the
    result is deterministic for a fixed seed on a given machine.
    """
    n, d = centred.shape
    width = min(k + oversample, n, d)
    rng = np.random.default_rng(seed)
    omega = rng.standard_normal((d, width)).astype(np.float32)
    q, _ = np.linalg.qr(centred @ omega)
    for _ in range(n_iter):
        q, _ = np.linalg.qr(centred.T @ q)
        q, _ = np.linalg.qr(centred @ q)
    b = (q.T @ centred).astype(np.float64)
    _, s, vt = np.linalg.svd(b, full_matrices=False)
    return s[:k], vt[:k]


@dataclass
class PCAEmbedding:
    """PCA embedding of grey images resized to ``size``, fitted on REAL images.

    :meth:`fit` uses at most ``max_fit`` real images (a seeded random subset when there are more) and a seeded
    randomised SVD, so it is deterministic for a fixed ``seed``; synthetic images are then projected with the real
    set's components. As a feature family it is used through :func:`misyn_lab.features.extract.extract_features`
    (``extract_features(s, "embedding", embedding=emb)``), which takes the fitted embedding;
    :meth:`transform_array` gives raw coordinates.

    Parameters
    ----------
    n_components : int, optional
        Number of components.
    size : (int, int), optional
        Size the images are resized to before projection.
    seed : int, optional
        Seed of the subset and the SVD.
    max_fit : int, optional
        At most this many images are used for the fit.
    mean, components, explained_variance_ratio : numpy.ndarray, optional
        The fitted state (set by :meth:`fit`).
    fitted_on : str, optional
        Which images it was fitted on (name, n, content hash).

    Examples
    --------
    >>> import numpy as np
    >>> from misyn_lab.imagesets import ImageSet
    >>> rng = np.random.default_rng(0)
    >>> real = ImageSet.from_arrays(rng.random((20, 16, 16)), name="real")
    >>> embedding = PCAEmbedding.fit(real, n_components=4, size=(16, 16), seed=0)
    >>> embedding.components.shape, embedding.fitted_on
    ((4, 256), 'real (n=20, sha256:093807d558f9af0c)')
    """

    n_components: int = 32
    size: tuple[int, int] = (64, 64)
    seed: int = 0
    max_fit: int = 2000
    mean: np.ndarray | None = field(default=None, repr=False)
    components: np.ndarray | None = field(default=None, repr=False)
    explained_variance_ratio: np.ndarray | None = field(default=None, repr=False)
    fitted_on: str = ""

    @classmethod
    def fit(cls, real: ImageSet, n_components: int = 32, size: tuple[int, int] = (64, 64), seed: int = 0,
            *, max_fit: int = 2000) -> "PCAEmbedding":
        """Fit on a real ImageSet (synthetic rows are refused)."""
        if not isinstance(real, ImageSet):
            raise InputError(f"PCAEmbedding.fit needs an ImageSet, got {type(real).__name__}", path="embedding")
        if real.synthetic.any():
            raise InputError(f"{int(real.synthetic.sum())} image(s) in the fitting set are synthetic",
                             path=real.name, remedy="fit the embedding on real images only, then transform both sets")
        if len(real) < 3:
            raise InputError(f"need at least 3 real images to fit an embedding, got {len(real)}", path=real.name)
        if isinstance(n_components, bool) or not isinstance(n_components, (int, np.integer)) or n_components < 1:
            raise InputError(f"n_components must be a positive integer, got {n_components!r}", path="embedding")
        size = (int(size[0]), int(size[1]))
        if size[0] < 2 or size[1] < 2:
            raise InputError(f"size must be at least 2×2, got {size}", path="embedding")
        x = _prepare(real.images, size)
        x = x[fit_positions(len(x), max_fit, seed)]
        return cls.from_rows(x, n_components=n_components, size=size, seed=seed, max_fit=max_fit,
                             fitted_on=real.describe())

    @classmethod
    def from_rows(cls, x: np.ndarray, *, n_components: int, size: tuple[int, int], seed: int, max_fit: int,
                  fitted_on: str) -> "PCAEmbedding":
        """Fit on already prepared rows (:func:`prepare_rows` of the images at :func:`fit_positions`); the
        second half of :meth:`fit`, shared with the file-backed path (:mod:`misyn_lab.features.stream`)."""
        if len(x) < 3:
            raise InputError(f"need at least 3 real images to fit an embedding, got {len(x)}", path=fitted_on)
        mean = x.mean(axis=0, dtype=np.float64)
        centred = x - mean.astype(np.float32)
        k = int(min(n_components, len(x) - 1, x.shape[1]))
        s, vt = randomized_pca(centred, k, seed=seed)
        signs = np.sign(vt[np.arange(k), np.abs(vt).argmax(axis=1)])
        vt = vt * signs[:, None]
        total = float(np.einsum("ij,ij->", centred, centred, dtype=np.float64))
        evr = (s.astype(np.float64) ** 2) / total if total > 0 else np.zeros(k)
        return cls(n_components=k, size=size, seed=seed, max_fit=max_fit, mean=mean,
                   components=vt.astype(np.float64), explained_variance_ratio=evr,
                   fitted_on=fitted_on)

    @property
    def is_fitted(self) -> bool:
        return self.components is not None

    @property
    def names(self) -> list[str]:
        return [f"embedding.pc{i + 1:02d}" for i in range(self.n_components)]

    def content_hash(self) -> str:
        """Hash of the fitted parameters (part of the feature cache key)."""
        if self.components is None or self.mean is None:
            raise InputError("the embedding has not been fitted", path="embedding",
                             remedy="use PCAEmbedding.fit(real_imageset)")
        h = hashlib.sha256()
        h.update(repr((self.n_components, self.size)).encode())
        h.update(np.ascontiguousarray(self.mean).tobytes())
        h.update(np.ascontiguousarray(self.components).tobytes())
        return h.hexdigest()

    def transform_array(self, images: np.ndarray) -> np.ndarray:
        """``N×k`` embedding coordinates of an image stack (real or synthetic), uncached."""
        if self.components is None or self.mean is None:
            raise InputError("the embedding has not been fitted", path="embedding",
                             remedy="use PCAEmbedding.fit(real_imageset)")
        x = _prepare(images, self.size)
        # einsum, not BLAS matmul: each image's coordinates are the same whatever batch or chunk it is in
        return np.einsum("ij,kj->ik", x - self.mean.astype(np.float32), self.components.astype(np.float32))
