"""Subgroup-skewed generator: under-samples a minority subgroup and distorts it towards the majority.

What it teaches (L2, L3, discrimination): the minority ends up rarer than in the training data and its
images drift towards majority appearance, while still being *labelled* as the minority; a model trained on
them inherits subgroup-specific errors.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from misyn_lab.errors import InputError
from misyn_lab.imagesets.core import ImageSet
from misyn_lab.synth._linalg import Gaussian, PCABasis, nearest_rows
from misyn_lab.synth.base import Generator


class SubgroupSkewedGenerator(Generator):
    """Shared PCA basis, one latent Gaussian per value of ``column``, the minority under-sampled and pulled towards
    the majority (limit L2).

    Group shares follow the training shares, except the minority's share, which is multiplied by
    ``minority_weight`` (then all shares are renormalised). Minority latents are pulled towards the majority mean:
    ``z' = (1 - distortion) · z + distortion · mean(majority)``.

    Parameters
    ----------
    column : str
        Metadata column that defines the subgroups (needs >= 2 values).
    minority : optional
        The value treated as minority; default: the least frequent value (ties: first in sorted order).
    minority_weight : float, optional
        Factor in [0, 1] on the minority's sampling share.
    distortion : float, optional
        In [0, 1]: how far minority images are pulled towards the majority.
    n_components : int, optional
        Principal components.

    Examples
    --------
    >>> from misyn_lab.workbook import teaching_real_set
    >>> real = teaching_real_set(40, size=(16, 16))            # bundled brain MR slices (real)
    >>> generator = SubgroupSkewedGenerator("plane").fit(real)
    >>> generator.minority
    'coronal'
    >>> sample = generator.sample(60, seed=0)
    >>> bool((sample.meta["plane"] == "coronal").mean() < (real.meta["plane"] == "coronal").mean())
    True
    """

    name = "subgroup_skewed"
    version = "0.1.0"
    limit = "L2"
    description = ("Under-samples a minority subgroup and pulls its images towards the majority while keeping "
                   "the minority label: representation loss (L2), new bias (L3), discrimination risk.")
    REUSABLE_PARAMS = ("minority_weight", "distortion")  # sampling only: basis, latents, minority shared

    def __init__(self, column: str, *, minority: Any = None, minority_weight: float = 0.2,
                 distortion: float = 0.5, n_components: int = 16) -> None:
        super().__init__()
        if not isinstance(column, str) or not column:
            raise InputError(f"column must be a metadata column name, got {column!r}", path=self.name)
        if not 0.0 <= float(minority_weight) <= 1.0:
            raise InputError(f"minority_weight must lie in [0, 1], got {minority_weight!r}", path=self.name)
        if not 0.0 <= float(distortion) <= 1.0:
            raise InputError(f"distortion must lie in [0, 1], got {distortion!r}", path=self.name)
        self.column = column
        self.minority = minority
        self.minority_weight = float(minority_weight)
        self.distortion = float(distortion)
        self.n_components = int(n_components)
        self.basis: PCABasis | None = None
        self.latents: np.ndarray | None = None

    def _fit(self, imageset: ImageSet) -> None:
        if self.column not in imageset.meta:
            raise InputError(f"unknown metadata column {self.column!r}", path=imageset.name,
                             remedy=f"use one of {list(imageset.meta.columns)}")
        values = imageset.meta[self.column]
        if values.isna().any():
            raise InputError(f"column {self.column!r} has missing values", path=imageset.name,
                             remedy="fill them or drop those rows before fitting")
        counts = values.value_counts()
        if len(counts) < 2:
            raise InputError(f"column {self.column!r} has only one value; a minority needs >= 2 groups",
                             path=imageset.name)
        if self.minority is None:
            least = counts.min()
            self.minority = sorted((v for v, c in counts.items() if c == least), key=str)[0]
        elif self.minority not in set(counts.index):
            raise InputError(f"minority {self.minority!r} not found in column {self.column!r}",
                             path=imageset.name, remedy=f"use one of {sorted(counts.index, key=str)}")
        self.basis = PCABasis.fit(imageset.images, self.n_components, seed=0)
        self.latents = self.basis.transform(imageset.images)

    def _with_params(self, changes: dict[str, Any]) -> "SubgroupSkewedGenerator":
        """A copy with a new minority weight / distortion sharing the fitted basis, latents and minority."""
        new = SubgroupSkewedGenerator(self.column, minority=self.minority,
                                      minority_weight=changes.get("minority_weight", self.minority_weight),
                                      distortion=changes.get("distortion", self.distortion),
                                      n_components=self.n_components)
        new.basis, new.latents = self.basis, self.latents
        return new._adopt_fit(self)  # type: ignore[return-value]

    def group_shares(self, mask: np.ndarray | None = None) -> dict[Any, float]:
        """The sampling share of each group (after down-weighting the minority)."""
        values = self.training_set.meta[self.column]
        if mask is not None:
            values = values[mask]
        counts = values.value_counts()
        weights = {v: float(c) * (self.minority_weight if v == self.minority else 1.0) for v, c in counts.items()}
        total = sum(weights.values())
        if total <= 0:  # only the minority is left and its weight is 0
            raise InputError(f"nothing to sample: only the minority {self.minority!r} matches and "
                             "minority_weight is 0", path=self.name)
        return {v: w / total for v, w in sorted(weights.items(), key=lambda kv: str(kv[0]))}

    def _sample(self, n: int, rng: np.random.Generator,
                conditions: dict[str, Any]) -> tuple[np.ndarray, pd.DataFrame]:
        assert self.basis is not None and self.latents is not None
        meta = self.training_set.meta
        mask = self._condition_mask(conditions) if conditions else np.ones(len(meta), bool)
        shares = self.group_shares(mask)
        groups = list(shares)
        pick = rng.choice(len(groups), size=n, p=np.array([shares[g] for g in groups]))
        values = meta[self.column].to_numpy()
        majority_mask = mask & (values != self.minority)
        majority_mean = self.latents[majority_mask].mean(axis=0) if majority_mask.any() else None
        z = np.empty((n, self.latents.shape[1]))
        template = np.empty(n, dtype=int)
        for gi, group in enumerate(groups):
            where = np.flatnonzero(pick == gi)
            if not len(where):
                continue
            gmask = mask & (values == group)
            zg = Gaussian.fit(self.latents[gmask]).sample(len(where), rng)
            if group == self.minority and majority_mean is not None:
                zg = (1.0 - self.distortion) * zg + self.distortion * majority_mean
            z[where] = zg
            rows = np.flatnonzero(gmask)
            template[where] = rows[nearest_rows(zg, self.latents[rows])]
        attrs = self._attribute_rows(template)
        attrs[self.column] = [groups[i] for i in pick]
        return self.basis.inverse(z), attrs
