"""Real and synthetic features mapped into two dimensions, for a scatter (:func:`misyn_lab.viz.embedding_scatter`).

``"pca"``: the first two principal components of the *real* features (standardised on the real set), so the real
data defines the map; ``"tsne"``: scikit-learn t-SNE on both sets (seeded; exact up to 600 points, Barnes-Hut
above). The axis labels say what each axis is and in which units.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from misyn_lab.errors import InputError
from misyn_lab.metrics.knn import as_feature_matrix, check_same_dim

__all__ = ["METHODS", "Projection", "project_2d"]

#: Projection methods.
METHODS = ("pca", "tsne")


@dataclass(frozen=True)
class Projection:
    """Real and synthetic rows in the same 2-D map.

    Attributes
    ----------
    real, synthetic : ndarray
        ``N × 2`` and ``M × 2`` coordinates.
    axis_labels : (str, str)
        What the two axes are, with units.
    method : str
        ``"pca"`` or ``"tsne"``.

    Examples
    --------
    >>> p = project_2d(np.eye(4), np.eye(4)[:2])
    >>> p.real.shape, p.synthetic.shape, p.method
    ((4, 2), (2, 2), 'pca')
    """

    real: np.ndarray
    synthetic: np.ndarray
    axis_labels: tuple[str, str]
    method: str


def _standardise_on(real: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    mu = real.mean(axis=0)
    sd = real.std(axis=0)
    sd = np.where(sd > 1e-12, sd, 1.0)
    return [(x - mu) / sd for x in (real, *others)]


def _pca(real: np.ndarray, syn: np.ndarray) -> tuple[np.ndarray, np.ndarray, tuple[str, str]]:
    rz, sz = _standardise_on(real, syn)
    if rz.shape[1] == 1:
        return np.c_[rz, np.zeros(len(rz))], np.c_[sz, np.zeros(len(sz))], (
            "feature 1 (standardised on real)", "constant (single feature)")
    _, s, vt = np.linalg.svd(rz - rz.mean(axis=0), full_matrices=False)
    var = s ** 2 / max((s ** 2).sum(), 1e-300)
    comps = vt[:2]
    labels = (f"PC 1 ({var[0]:.0%} of real variance, standardised units)",
              f"PC 2 ({var[1]:.0%} of real variance, standardised units)")
    return rz @ comps.T, sz @ comps.T, labels


def _tsne(real: np.ndarray, syn: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray, tuple[str, str]]:
    from sklearn.manifold import TSNE

    (both,) = _standardise_on(real, np.vstack([real, syn]))[1:]
    perplexity = float(min(30.0, max(2.0, (len(both) - 1) / 3)))
    # exact t-SNE is much faster than Barnes-Hut for a few hundred points (and needs no OpenMP threads)
    algo = "exact" if len(both) <= 600 else "barnes_hut"
    emb = TSNE(n_components=2, perplexity=perplexity, random_state=seed, init="pca",
               method=algo).fit_transform(both)
    return emb[:len(real)], emb[len(real):], ("t-SNE 1 (arbitrary units)", "t-SNE 2 (arbitrary units)")


def project_2d(real: Any, synthetic: Any, method: str = "pca", *, seed: int = 0) -> Projection:
    """Map real and synthetic feature rows into the same two dimensions.

    Parameters
    ----------
    real, synthetic : ndarray or FeatureMatrix
        Feature matrices with the same columns (at least 3 real rows and 1 synthetic row).
    method : str
        ``"pca"`` (axes from the real set) or ``"tsne"``.
    seed : int
        Seed of t-SNE.

    Returns
    -------
    Projection

    Raises
    ------
    InputError
        For an unknown method, too few rows or different feature columns.

    Examples
    --------
    >>> real = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 1.0], [2.0, 1.0]])
    >>> p = project_2d(real, real + [1.0, 0.0])
    >>> p.axis_labels[0], p.synthetic.shape
    ('PC 1 (50% of real variance, standardised units)', (4, 2))
    """
    if method not in METHODS:
        raise InputError(f"unknown method {method!r}", path="project_2d", remedy="use 'pca' or 'tsne'")
    r = as_feature_matrix(getattr(real, "values", real), "real_feats", min_rows=3)
    s = as_feature_matrix(getattr(synthetic, "values", synthetic), "syn_feats")
    check_same_dim(r, s, "real_feats", "syn_feats")
    pr, ps, labels = _pca(r, s) if method == "pca" else _tsne(r, s, seed)
    return Projection(real=pr, synthetic=ps, axis_labels=labels, method=method)
