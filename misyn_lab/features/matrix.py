"""`FeatureMatrix`: one row of named features per image, plus where it came from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from misyn_lab.errors import InputError


@dataclass(frozen=True)
class FeatureMatrix:
    """Features of an ImageSet: one row per image, one named column per feature.

    Parameters
    ----------
    values : numpy.ndarray
        ``N×D`` float64 (stored read-only, so a cached matrix cannot be changed by accident).
    names : list of str
        ``D`` feature names, prefixed by their family (``"intensity.mean"``, ``"texture.glcm_contrast"``,
        ``"embedding.pc01"``).
    kind : str
        The families included, joined by ``"+"`` (e.g. ``"intensity+embedding"``).
    ids : list of str
        The image ids, one per row.
    source_hash : str
        :meth:`ImageSet.content_hash` of the images the features came from.
    params : dict, optional
        Extraction parameters (levels, embedding hash ...), for provenance.

    Examples
    --------
    >>> import numpy as np
    >>> from misyn_lab.imagesets import ImageSet
    >>> rng = np.random.default_rng(0)
    >>> real = ImageSet.from_arrays(rng.random((20, 16, 16)), name="real")
    >>> from misyn_lab.features import extract_features
    >>> features = extract_features(real, "intensity", cache=False)
    >>> features.values.shape, features.names[:2], features.kind
    ((20, 28), ['intensity.mean', 'intensity.std'], 'intensity')
    """

    values: np.ndarray
    names: list[str]
    kind: str
    ids: list[str]
    source_hash: str
    params: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        vals = np.array(self.values, dtype=np.float64)
        if vals.ndim != 2:
            raise InputError(f"feature values must be 2-D (N×D), got shape {vals.shape}", path="FeatureMatrix")
        if vals.shape[1] != len(self.names):
            raise InputError(f"{vals.shape[1]} feature columns but {len(self.names)} names", path="FeatureMatrix")
        if vals.shape[0] != len(self.ids):
            raise InputError(f"{vals.shape[0]} rows but {len(self.ids)} ids", path="FeatureMatrix")
        vals.setflags(write=False)
        object.__setattr__(self, "values", vals)
        object.__setattr__(self, "names", list(self.names))
        object.__setattr__(self, "ids", [str(i) for i in self.ids])

    def __len__(self) -> int:
        return int(self.values.shape[0])

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.values.shape[0]), int(self.values.shape[1]))

    def to_frame(self) -> pd.DataFrame:
        """A DataFrame indexed by image id, one column per feature."""
        return pd.DataFrame(self.values, columns=self.names, index=pd.Index(self.ids, name="id"))

    def select(self, prefix: str) -> "FeatureMatrix":
        """Only the features whose name starts with ``prefix`` (e.g. ``"intensity."``)."""
        keep = [i for i, n in enumerate(self.names) if n.startswith(prefix)]
        if not keep:
            raise InputError(f"no feature name starts with {prefix!r}", path="FeatureMatrix",
                             remedy=f"families present: {self.kind}")
        return FeatureMatrix(self.values[:, keep], [self.names[i] for i in keep], prefix.rstrip("."), self.ids,
                             self.source_hash, dict(self.params))

    def take(self, indices: Sequence[int] | np.ndarray) -> "FeatureMatrix":
        """Rows at the given positions (or boolean mask)."""
        idx = np.asarray(indices)
        if idx.dtype == bool:
            idx = np.flatnonzero(idx)
        return FeatureMatrix(self.values[idx], self.names, self.kind, [self.ids[i] for i in idx],
                             self.source_hash, dict(self.params))


def hstack(parts: Sequence[FeatureMatrix]) -> FeatureMatrix:
    """Join feature families computed on the same images column-wise.

    Parameters
    ----------
    parts : sequence of FeatureMatrix
        Matrices of the same images (same ids, same source hash), different families.

    Returns
    -------
    FeatureMatrix
        All columns, ``kind`` joined with ``"+"``.

    Raises
    ------
    InputError
        Parts computed on different images.

    Examples
    --------
    >>> import numpy as np
    >>> from misyn_lab.imagesets import ImageSet
    >>> rng = np.random.default_rng(0)
    >>> real = ImageSet.from_arrays(rng.random((20, 16, 16)), name="real")
    >>> from misyn_lab.features import extract_features
    >>> parts = [extract_features(real, family, cache=False) for family in ("intensity", "texture")]
    >>> both = hstack(parts)
    >>> both.kind, both.values.shape[0]
    ('intensity+texture', 20)
    """
    if not parts:
        raise InputError("nothing to stack", path="FeatureMatrix")
    first = parts[0]
    for p in parts[1:]:
        if p.ids != first.ids:
            raise InputError("feature matrices describe different images", path="FeatureMatrix",
                             remedy="stack features of one ImageSet only")
    params: dict = {}
    for p in parts:
        params.update(p.params)
    return FeatureMatrix(np.hstack([p.values for p in parts]), [n for p in parts for n in p.names],
                         "+".join(p.kind for p in parts), first.ids, first.source_hash, params)


def standardise(real: FeatureMatrix | np.ndarray, syn: FeatureMatrix | np.ndarray
                ) -> tuple[FeatureMatrix | np.ndarray, FeatureMatrix | np.ndarray]:
    """Z-score both sets with the mean and s.d. of the *real* set (constant real features get s.d. 1).

    Standardising on the real set keeps the real data the reference, so a synthetic shift shows up as a shift, not
    as a change of scale.

    Parameters
    ----------
    real, syn : FeatureMatrix or numpy.ndarray
        Features of the real and the synthetic images (same columns).

    Returns
    -------
    (FeatureMatrix or numpy.ndarray, FeatureMatrix or numpy.ndarray)
        Both standardised, of the types given.

    Examples
    --------
    >>> import numpy as np
    >>> real_z, syn_z = standardise(np.array([[1.0], [3.0]]), np.array([[5.0]]))
    >>> real_z.ravel().tolist(), syn_z.ravel().round(3).tolist()
    ([-1.0, 1.0], [3.0])
    """
    r = real.values if isinstance(real, FeatureMatrix) else np.asarray(real, dtype=np.float64)
    s = syn.values if isinstance(syn, FeatureMatrix) else np.asarray(syn, dtype=np.float64)
    if r.ndim != 2 or s.ndim != 2 or r.shape[1] != s.shape[1]:
        raise InputError(f"feature shapes {r.shape} and {s.shape} do not match", path="standardise",
                         remedy="extract the same feature kind (and embedding) for both sets")
    if len(r) < 2:
        raise InputError("need at least 2 real rows to standardise", path="standardise")
    mu = r.mean(axis=0)
    sd = r.std(axis=0)
    sd = np.where(sd > 1e-12, sd, 1.0)
    rz, sz = (r - mu) / sd, (s - mu) / sd

    def wrap(orig: FeatureMatrix | np.ndarray, z: np.ndarray) -> FeatureMatrix | np.ndarray:
        if isinstance(orig, FeatureMatrix):
            return FeatureMatrix(z, orig.names, orig.kind, orig.ids, orig.source_hash,
                                 {**orig.params, "standardised_on": "real"})
        return z

    return wrap(real, rz), wrap(syn, sz)
