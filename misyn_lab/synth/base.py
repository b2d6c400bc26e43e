"""The common interface of the teaching generators.

Every generator is fitted on a real :class:`~misyn_lab.imagesets.ImageSet` and samples a new ImageSet whose
rows are marked ``synthetic=True`` and carry provenance columns:

``generator``, ``generator_version``, ``seed``, ``training_data`` (name, size and content hash of the training
set), ``conditions`` (JSON string, ``"{}"`` when unconditioned), ``created`` and, where a generator transforms
one specific training image, ``derived_from`` (that image's id).

Attribute columns of the training set (``modality``, ``plane``, ``sex`` ...) are copied to the synthetic rows,
from the conditions when given, else from the training row the sample was derived from or lies closest to.
Identity and file columns (``subject``, ``file``, ``slice_index``, ``source``, ``notes`` ...) are never
copied: a synthetic image depicts no patient (intrinsic limit L1).

``created`` is *not* the wall-clock time, so the output is byte-for-byte reproducible: by default it is a fixed
epoch (2000-01-01T00:00:00Z) plus ``seed`` seconds (modulo 2**31); pass ``created=`` to record a real timestamp.

Conditions: for every generator except :class:`~misyn_lab.synth.conditional.ConditionalGenerator`, a
``conditions`` dict selects the training rows the generator imitates (``{"plane": "axial"}``); a key that is not
a training metadata column, or a combination no training row has, is an :class:`InputError`.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from misyn_lab.errors import InputError
from misyn_lab.imagesets.core import REQUIRED_COLUMNS, ImageSet

#: Provenance columns every generator fills in.
PROVENANCE_COLUMNS = ("generator", "generator_version", "seed", "training_data", "conditions", "created")

#: Metadata columns that identify a real person/file and are never copied to synthetic rows.
IDENTITY_COLUMNS = frozenset({
    *REQUIRED_COLUMNS, *PROVENANCE_COLUMNS, "derived_from", "conditions_observed", "conditions_source",
    "file", "subject", "slice_index", "source", "source_package", "licence", "patient_id", "study_uid",
    "series_uid", "sop_instance_uid", "mask_file", "source_file", "notes", "burned_in_text",
})

_EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)


def default_created(seed: int) -> str:
    """The reproducible ``created`` stamp used when none is given: 2000-01-01T00:00:00Z plus ``seed`` seconds.

    Parameters
    ----------
    seed : int
        The sampling seed (taken modulo 2**31, so any seed gives a valid date).

    Returns
    -------
    str
        ISO 8601 UTC time.

    Examples
    --------
    >>> default_created(0), default_created(5)
    ('2000-01-01T00:00:00Z', '2000-01-01T00:00:05Z')
    """
    return (_EPOCH + timedelta(seconds=int(seed) % 2 ** 31)).isoformat().replace("+00:00", "Z")


def attribute_columns(meta: pd.DataFrame) -> list[str]:
    """Metadata columns that describe a subgroup (copied to synthetic rows), i.e. all but identity columns.

    Parameters
    ----------
    meta : pandas.DataFrame
        Metadata of an ImageSet.

    Returns
    -------
    list of str
        The attribute columns, in order.

    Examples
    --------
    >>> import pandas as pd
    >>> attribute_columns(pd.DataFrame(columns=["id", "source_path", "synthetic", "plane", "sex"]))
    ['plane', 'sex']
    """
    return [c for c in meta.columns if c not in IDENTITY_COLUMNS]


class Generator(ABC):
    """Base class of the teaching generators: ``fit(imageset)`` then ``sample(n, seed, conditions)``.

    Subclasses set the class attributes and implement :meth:`_fit` and :meth:`_sample`. Every sample is an
    :class:`~misyn_lab.imagesets.ImageSet` whose rows are marked ``synthetic=True`` and carry the provenance columns
    :data:`PROVENANCE_COLUMNS`.

    Examples
    --------
    >>> from misyn_lab.synth import PCAGaussianGenerator
    >>> issubclass(PCAGaussianGenerator, Generator)
    True
    >>> from misyn_lab.workbook import teaching_real_set
    >>> PCAGaussianGenerator(4).fit(teaching_real_set(40, size=(16, 16))).sample(2, seed=0).meta["generator"].tolist()
    ['pca_gaussian', 'pca_gaussian']
    """

    name: ClassVar[str] = "generator"
    version: ClassVar[str] = "0.1.0"
    limit: ClassVar[str] = "L2"
    description: ClassVar[str] = ""
    #: Parameters :meth:`with_params` can change on a fitted generator without a full refit.
    REUSABLE_PARAMS: ClassVar[tuple[str, ...]] = ()

    def __init__(self) -> None:
        self._train: ImageSet | None = None
        self._training_data: str = ""

    # ------------------------------------------------------------------ public API
    @property
    def is_fitted(self) -> bool:
        return self._train is not None

    @property
    def training_set(self) -> ImageSet:
        """The ImageSet the generator was fitted on."""
        self._check_fitted()
        assert self._train is not None
        return self._train

    def fit(self, imageset: ImageSet) -> "Generator":
        """Fit on a real ImageSet; returns ``self``."""
        self._check_training(imageset)
        self._fit(imageset)
        self._train = imageset
        self._training_data = imageset.describe()
        return self

    def sample(self, n: int, seed: int = 0, conditions: Mapping[str, Any] | None = None, *,
               created: str | None = None) -> ImageSet:
        """``n`` synthetic images as an ImageSet (``synthetic=True``, provenance filled in).

        The same ``(n, seed, conditions)`` gives identical bytes.
        """
        self._check_fitted()
        n, seed = check_n_seed(n, seed, where=self.name)
        cond = self._check_conditions(conditions)
        rng = np.random.default_rng(seed)
        images, rows = self._sample(n, rng, cond)
        return self._package(images, rows, seed, cond, created)

    def with_params(self, **changes: Any) -> "Generator":
        """A fitted copy of this generator with some parameters changed, reusing the fitted state the change
        leaves valid (e.g. a PCA basis), so turning a knob does not refit from scratch.

        The copy samples exactly what ``type(self)(**same params, **changes).fit(training set)`` would (same
        bytes for the same seed). Only the parameters in :attr:`REUSABLE_PARAMS` can be changed this way; this
        generator is not modified.
        """
        self._check_fitted()
        unknown = sorted(set(changes) - set(self.REUSABLE_PARAMS))
        if unknown:
            raise InputError(f"{self.name} cannot change {unknown} on a fitted generator",
                             path=self.name,
                             remedy=(f"change one of {list(self.REUSABLE_PARAMS)}, or create and fit a new "
                                     "generator with make_generator(...)"))
        return self._with_params(changes)

    def card(self) -> dict[str, Any]:
        """A plain, JSON-safe description of the generator (name, version, limit, parameters, training data),
        e.g. for a generator card or a provenance record."""
        params = {}
        for key, value in vars(self).items():
            value = value.item() if isinstance(value, np.generic) else value
            if key.startswith("_"):
                continue
            if isinstance(value, (list, tuple)) and all(isinstance(v, (int, float, str, bool)) for v in value):
                params[key] = list(value)
            elif isinstance(value, (int, float, str, bool, type(None))):
                params[key] = value
        return {"generator": self.name, "generator_version": self.version, "limit": self.limit,
                "description": self.description, "parameters": params,
                "training_data": self._training_data or None}

    def __repr__(self) -> str:
        state = f"fitted on {self._training_data}" if self.is_fitted else "not fitted"
        return f"{type(self).__name__}({state})"

    # ------------------------------------------------------------------ for subclasses
    @abstractmethod
    def _fit(self, imageset: ImageSet) -> None:
        """Learn from the training set (already validated)."""

    @abstractmethod
    def _sample(self, n: int, rng: np.random.Generator,
                conditions: dict[str, Any]) -> tuple[np.ndarray, pd.DataFrame]:
        """Return ``(images N×H×W[×3] in [0,1], per-row metadata)`` for ``n`` samples.

        The metadata frame has one row per sample with the attribute columns to copy (and optionally
        ``derived_from`` and generator-specific columns).
        """

    def _with_params(self, changes: dict[str, Any]) -> "Generator":
        """The copy for :meth:`with_params` (``changes`` only holds :attr:`REUSABLE_PARAMS`)."""
        raise NotImplementedError(f"{type(self).__name__} lists no reusable parameters")

    def _adopt_fit(self, other: "Generator") -> "Generator":
        """Take over ``other``'s training set record (for :meth:`_with_params`); returns ``self``."""
        self._train, self._training_data = other._train, other._training_data
        return self

    def _condition_mask(self, conditions: Mapping[str, Any]) -> np.ndarray:
        """Boolean mask of training rows matching ``conditions`` (InputError when none match)."""
        meta = self.training_set.meta
        mask = np.ones(len(meta), dtype=bool)
        for col, value in conditions.items():
            mask &= (meta[col] == value).to_numpy()
        if not mask.any():
            raise InputError(
                f"no training image matches conditions {json.dumps(conditions, default=str)}",
                path=self.name,
                remedy="condition on a value present in the training set, or use ConditionalGenerator "
                       "(which falls back to the nearest seen combination and flags it)",
            )
        return mask

    def _attribute_rows(self, train_idx: np.ndarray) -> pd.DataFrame:
        """Attribute columns of the given training rows (one output row per index)."""
        meta = self.training_set.meta
        cols = attribute_columns(meta)
        return meta.iloc[np.asarray(train_idx, dtype=int)][cols].reset_index(drop=True)

    # ------------------------------------------------------------------ internals
    def _check_fitted(self) -> None:
        if self._train is None:
            raise InputError(f"{type(self).__name__} has not been fitted", path=self.name,
                             remedy="call .fit(real_imageset) before .sample(...)")

    def _check_training(self, imageset: ImageSet) -> None:
        if not isinstance(imageset, ImageSet):
            raise InputError(f"fit() needs an ImageSet, got {type(imageset).__name__}", path=self.name,
                             remedy="wrap arrays with ImageSet.from_arrays(images, meta)")
        if len(imageset) < 2:
            raise InputError(f"need at least 2 training images, got {len(imageset)}", path=imageset.name,
                             remedy="fit on a larger real set")
        if imageset.synthetic.any():
            raise InputError(
                f"{int(imageset.synthetic.sum())} training image(s) are marked synthetic", path=imageset.name,
                remedy="fit teaching generators on real images only (drop rows with synthetic=True)")

    def _check_conditions(self, conditions: Mapping[str, Any] | None) -> dict[str, Any]:
        if conditions is None:
            return {}
        if not isinstance(conditions, Mapping):
            raise InputError(f"conditions must be a dict, got {type(conditions).__name__}", path=self.name,
                             remedy='pass e.g. conditions={"plane": "axial"}')
        meta = self.training_set.meta
        allowed = attribute_columns(meta)
        for key, value in conditions.items():
            if key not in allowed:
                raise InputError(f"unknown condition column {key!r}", path=self.name,
                                 remedy=f"condition on one of {allowed}")
            if isinstance(value, (list, tuple, dict, set, np.ndarray)):
                raise InputError(f"condition {key!r} must be a single value, got {value!r}", path=self.name)
        return dict(conditions)

    def _package(self, images: np.ndarray, rows: pd.DataFrame, seed: int, conditions: dict[str, Any],
                 created: str | None) -> ImageSet:
        n = len(images)
        meta = rows.reset_index(drop=True).copy()
        for key, value in conditions.items():
            meta[key] = value
        meta.insert(0, "id", [f"{self.name}-{seed}-{i}" for i in range(n)])
        meta["source_path"] = ""
        meta["synthetic"] = True
        meta["generator"] = self.name
        meta["generator_version"] = self.version
        meta["seed"] = int(seed)
        meta["training_data"] = self._training_data
        meta["conditions"] = json.dumps(conditions, sort_keys=True, default=str)
        meta["created"] = created if created is not None else default_created(seed)
        as32 = np.asarray(images, dtype=np.float32)
        # clip in place only when the float32 conversion made a new array (never touch the caller's pixels)
        images = np.clip(as32, 0.0, 1.0, out=None if np.may_share_memory(as32, images) else as32)
        return ImageSet(images, meta, name=f"{self.name}-seed{seed}")


def check_n_seed(n: Any, seed: Any, *, where: str) -> tuple[int, int]:
    """Validate a sample size (positive int) and a seed (non-negative int)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise InputError(f"n must be a positive integer, got {n!r}", path=where, remedy="ask for n >= 1 images")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed must be a non-negative integer, got {seed!r}", path=where)
    return int(n), int(seed)
