"""`ImageSet`: the one image container of misyn-lab.

An ImageSet is a stack of 2-D images (``N×H×W`` grey or ``N×H×W×C`` colour, float32 in [0, 1]) plus a
metadata table with one row per image. Required metadata columns are ``id`` (unique str),
``source_path`` (str, may be empty for in-memory images) and ``synthetic`` (bool); any other column
(modality, body_part, plane, sex, ...) is a real attribute that can be used as a subgroup.

Files that could not be read are never dropped silently: loaders called with ``on_error="skip"``
record them in :attr:`ImageSet.skipped`.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from misyn_lab.atomic import atomic_write_bytes
from misyn_lab.errors import InputError
from misyn_lab.imagesets.intensity import luminance

if TYPE_CHECKING:  # pandas is imported where a table is built: file readers and audit workers never need it
    import pandas as pd

REQUIRED_COLUMNS = ("id", "source_path", "synthetic")
#: Metadata columns the loaders write about the file itself (identity, decoding, scaling); never a subgroup.
FILE_COLUMNS = frozenset({"id", "source_path", "synthetic", "orig_height", "orig_width", "file_format", "pil_mode",
                          "orig_dtype", "frame", "notes", "orig_min", "orig_max", "intensity_scaling", "photometric",
                          "transfer_syntax", "window_center", "window_width", "burned_in_annotation", "provenance",
                          "error", "reason", "path"})


def subgroup_columns(meta: pd.DataFrame) -> list[str]:
    """The metadata columns that can name a subgroup (every column but the file properties in
    :data:`FILE_COLUMNS`), in table order."""
    return [str(c) for c in meta.columns if str(c) not in FILE_COLUMNS]


#: Key of the :meth:`ImageSet.groups` group holding images whose value is missing.
MISSING_GROUP = "<missing>"


@dataclass(frozen=True)
class SkippedFile:
    """A file a loader could not use, and why (listed in :attr:`ImageSet.skipped` with ``on_error="skip"``).

    Parameters
    ----------
    path : str
        The file.
    reason : str
        Why it was skipped (one line).

    Examples
    --------
    >>> SkippedFile("scans/broken.png", "not an image (cannot identify image file)").reason
    'not an image (cannot identify image file)'
    """

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


def validate_pixels(images: np.ndarray, *, where: str = "images") -> np.ndarray:
    """Check and return an image stack as contiguous float32 in [0, 1].

    Parameters
    ----------
    images : numpy.ndarray
        N×H×W (grey) or N×H×W×3 (colour) values.
    where : str, optional
        What the stack is, named in the error message.

    Returns
    -------
    numpy.ndarray
        The same values as C-contiguous float32.

    Raises
    ------
    InputError
        A wrong rank, an empty stack, NaN/inf values or values outside [0, 1] (naming ``where``).

    Examples
    --------
    >>> import numpy as np
    >>> validate_pixels(np.ones((2, 4, 4), dtype=np.float64)).dtype
    dtype('float32')
    >>> validate_pixels(np.full((1, 2, 2), 2.0), where="scan")
    Traceback (most recent call last):
    ...
    misyn_lab.errors.InputError: scan: pixel values must lie in [0, 1], found range [2, 2] (fix: normalise first, ...)
    """
    arr = np.asarray(images)
    if arr.ndim not in (3, 4):
        raise InputError(
            f"expected an image stack of shape N×H×W or N×H×W×C, got shape {arr.shape}",
            path=where,
            remedy="stack 2-D images along a first axis; use ImageSet.from_arrays([...]) for a list",
        )
    if arr.ndim == 4 and arr.shape[-1] not in (1, 3):
        raise InputError(
            f"colour images must have 1 or 3 channels, got {arr.shape[-1]}",
            path=where,
            remedy="drop the alpha channel or convert to RGB/grey first",
        )
    if arr.ndim == 4 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if not np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.complexfloating):
        raise InputError(f"pixel values must be real numbers, got dtype {arr.dtype}", path=where)
    arr = np.ascontiguousarray(arr, dtype=np.float32)
    if arr.size and not np.isfinite(arr).all():
        bad = int((~np.isfinite(arr)).reshape(len(arr), -1).any(axis=1).sum())
        raise InputError(
            f"{bad} image(s) contain NaN or infinite pixel values",
            path=where,
            remedy="replace or drop those images (e.g. np.nan_to_num) before building the ImageSet",
        )
    if arr.size and (arr.min() < 0.0 or arr.max() > 1.0):
        raise InputError(
            f"pixel values must lie in [0, 1], found range [{arr.min():.4g}, {arr.max():.4g}]",
            path=where,
            remedy="normalise first, e.g. misyn_lab.imagesets.normalise_intensity(array)",
        )
    return arr


@dataclass
class ImageSet:
    """Images plus one metadata row per image: the one image container of the package.

    Use :meth:`from_arrays` to build one from arrays; loaders in :mod:`misyn_lab.imagesets` build them from files.
    Pixels are float32 in [0, 1] (N×H×W grey or N×H×W×3 colour); the metadata always has the columns ``id``
    (unique), ``source_path`` and ``synthetic`` (every image marked real or synthetic), then any others.

    Parameters
    ----------
    images : numpy.ndarray
        N×H×W or N×H×W×3 pixel values in [0, 1] (checked by :func:`validate_pixels`).
    meta : pandas.DataFrame
        One row per image; missing ``id``/``source_path``/``synthetic`` columns are filled in.
    name : str, optional
        Name of the set (used in messages and ids).
    skipped : list of SkippedFile, optional
        Files a loader could not use.

    Raises
    ------
    InputError
        Pixels out of range or of a wrong shape, a metadata row count that differs from the image count,
        duplicate ids, or missing values in ``synthetic``.

    Examples
    --------
    >>> import numpy as np
    >>> images = ImageSet.from_arrays(np.zeros((4, 8, 8)), {"plane": ["ax", "ax", "cor", "sag"]}, name="demo")
    >>> len(images), images.meta.columns.tolist()
    (4, ['id', 'source_path', 'synthetic', 'plane'])
    >>> images.meta["id"].tolist()[:2], bool(images.synthetic.any())
    (['demo-00000', 'demo-00001'], False)
    """

    images: np.ndarray
    meta: pd.DataFrame
    name: str = "images"
    skipped: list[SkippedFile] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.images = validate_pixels(self.images, where=self.name)
        import pandas as pd

        if not isinstance(self.meta, pd.DataFrame):
            raise InputError("metadata must be a pandas DataFrame", path=self.name)
        if len(self.meta) != len(self.images):
            raise InputError(
                f"{len(self.images)} images but {len(self.meta)} metadata rows",
                path=self.name,
                remedy="give exactly one metadata row per image",
            )
        meta = self.meta.reset_index(drop=True).copy()
        if "id" not in meta:
            meta["id"] = [f"{self.name}-{i:05d}" for i in range(len(meta))]
        meta["id"] = meta["id"].astype(str)
        dup = meta["id"][meta["id"].duplicated()].tolist()
        if dup:
            raise InputError(f"duplicate image ids: {dup[:5]}", path=self.name, remedy="make every id unique")
        if "source_path" not in meta:
            meta["source_path"] = ""
        meta["source_path"] = meta["source_path"].fillna("").astype(str)
        if "synthetic" not in meta:
            meta["synthetic"] = False
        if meta["synthetic"].isna().any():
            raise InputError("the 'synthetic' column has missing values", path=self.name,
                             remedy="mark every image True (synthetic) or False (real)")
        meta["synthetic"] = meta["synthetic"].astype(bool)
        cols = list(REQUIRED_COLUMNS) + [c for c in meta.columns if c not in REQUIRED_COLUMNS]
        self.meta = meta[cols]

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_arrays(
        cls,
        images: np.ndarray | Sequence[np.ndarray],
        meta: pd.DataFrame | Mapping[str, Sequence[Any]] | None = None,
        *,
        synthetic: bool | None = None,
        name: str = "images",
    ) -> "ImageSet":
        """Build an ImageSet from an array (or a list of equally shaped arrays) in [0, 1].

        ``synthetic`` sets the flag of every image when given (it overrides a ``synthetic`` column).
        """
        if isinstance(images, (list, tuple)):
            if not images:
                raise InputError("no images given", path=name, remedy="pass at least one image")
            shapes = {np.shape(im) for im in images}
            if len(shapes) > 1:
                raise InputError(
                    f"images have different shapes {sorted(shapes)[:4]}",
                    path=name,
                    remedy="resize them to one shape first (ImageSet loaders accept size=(H, W))",
                )
            images = np.stack([np.asarray(im) for im in images])
        arr = np.asarray(images)
        n = arr.shape[0] if arr.ndim else 0
        import pandas as pd

        frame = pd.DataFrame(meta) if meta is not None else pd.DataFrame(index=range(n))
        if synthetic is not None:
            frame["synthetic"] = bool(synthetic)
        return cls(arr, frame, name=name)

    # ------------------------------------------------------------------ basic properties
    def __len__(self) -> int:
        return int(self.images.shape[0])

    def __repr__(self) -> str:
        n_syn = int(self.meta["synthetic"].sum())
        extra = f", {len(self.skipped)} skipped" if self.skipped else ""
        return (f"ImageSet(name={self.name!r}, n={len(self)}, shape={self.image_shape}, "
                f"synthetic={n_syn}{extra})")

    @property
    def image_shape(self) -> tuple[int, ...]:
        """Shape of one image: ``(H, W)`` or ``(H, W, 3)``."""
        return tuple(int(s) for s in self.images.shape[1:])

    @property
    def is_colour(self) -> bool:
        return self.images.ndim == 4

    @property
    def ids(self) -> list[str]:
        return self.meta["id"].tolist()

    @property
    def synthetic(self) -> np.ndarray:
        """Boolean array: which images are synthetic."""
        return self.meta["synthetic"].to_numpy(dtype=bool)

    def content_hash(self) -> str:
        """SHA-256 over pixels, shape and ids: the cache key for features computed from this set."""
        h = hashlib.sha256()
        h.update(str(self.images.shape).encode())
        h.update(np.ascontiguousarray(self.images).tobytes())
        h.update("\x00".join(self.ids).encode())
        return h.hexdigest()

    def describe(self) -> str:
        """``"<name> (n=<N>, sha256:<first 16 hex of content_hash>)"``: this set in one line, e.g. what a
        generator or an embedding was fitted on."""
        return f"{self.name} (n={len(self)}, sha256:{self.content_hash()[:16]})"

    # ------------------------------------------------------------------ selection
    def take(self, indices: Iterable[int] | np.ndarray) -> "ImageSet":
        """The images at the given positions (or a boolean mask), metadata kept, as a new ImageSet."""
        idx = np.asarray(list(indices) if not isinstance(indices, np.ndarray) else indices)
        if idx.dtype == bool:
            if idx.shape != (len(self),):
                raise InputError(f"boolean mask has shape {idx.shape}, expected ({len(self)},)", path=self.name)
            idx = np.flatnonzero(idx)
        idx = idx.astype(int)
        return ImageSet(self.images[idx], self.meta.iloc[idx].reset_index(drop=True), name=self.name,
                        skipped=list(self.skipped))

    def subset(self, query: str | None = None, **equals: Any) -> "ImageSet":
        """Select images by metadata.

        ``subset(modality="MR")`` keeps rows whose column equals the value (a list/tuple/set means "any of");
        ``subset("slice_index > 40")`` uses :meth:`pandas.DataFrame.query`. Unknown columns are an error.
        An empty result is allowed (check ``len``).
        """
        mask = np.ones(len(self), dtype=bool)
        for col, value in equals.items():
            if col not in self.meta:
                raise InputError(f"unknown metadata column {col!r}", path=self.name,
                                 remedy=f"use one of {list(self.meta.columns)}")
            if isinstance(value, (list, tuple, set, frozenset)):
                mask &= self.meta[col].isin(list(value)).to_numpy()
            else:
                mask &= (self.meta[col] == value).to_numpy()
        if query:
            try:
                keep = self.meta.eval(query)
            except Exception as exc:  # pandas raises many types for a bad expression
                raise InputError(f"cannot evaluate query {query!r}: {exc}", path=self.name) from exc
            mask &= np.asarray(keep, dtype=bool)
        return self.take(mask)

    def groups(self, column: str) -> dict[Any, "ImageSet"]:
        """Split by a metadata column: ``{value: ImageSet}`` in sorted order of the values.

        Images whose value is missing (NaN/None) are not dropped: they form a last group keyed
        :data:`MISSING_GROUP` (``"<missing>"``), so every image lands in exactly one group.
        """
        if column not in self.meta:
            raise InputError(f"unknown metadata column {column!r}", path=self.name,
                             remedy=f"use one of {list(self.meta.columns)}")
        values = self.meta[column]
        missing = values.isna().to_numpy()
        present = values[~missing].unique()
        if missing.any() and any(str(v) == MISSING_GROUP for v in present):
            raise InputError(f"column {column!r} has missing values and also the value {MISSING_GROUP!r}",
                             path=self.name, remedy=f"rename the {MISSING_GROUP!r} value first")
        out: dict[Any, ImageSet] = {}
        for value in sorted(present, key=str):
            out[value] = self.take((values == value).to_numpy())
        if missing.any():
            out[MISSING_GROUP] = self.take(missing)
        return out

    def concat(self, other: "ImageSet", *, name: str | None = None) -> "ImageSet":
        """Both sets in one (same image shape required; metadata columns are unioned)."""
        if self.image_shape != other.image_shape:
            raise InputError(
                f"cannot concatenate images of shape {self.image_shape} and {other.image_shape}",
                path=f"{self.name} + {other.name}",
                remedy="resize both to one shape first: imageset.resized((H, W))",
            )
        import pandas as pd

        meta = pd.concat([self.meta, other.meta], ignore_index=True)
        return ImageSet(np.concatenate([self.images, other.images]), meta,
                        name=name or f"{self.name}+{other.name}", skipped=self.skipped + other.skipped)

    # ------------------------------------------------------------------ transforms
    def resized(self, size: tuple[int, int], *, anti_aliasing: bool = True) -> "ImageSet":
        """A copy with every image resized to ``size=(H, W)`` (scikit-image, bilinear)."""
        from skimage.transform import resize

        h, w = int(size[0]), int(size[1])
        if h < 1 or w < 1:
            raise InputError(f"size must be positive, got {size}", path=self.name)
        if self.images.shape[1:3] == (h, w):
            return ImageSet(self.images.copy(), self.meta.copy(), name=self.name, skipped=list(self.skipped))
        out_shape = (h, w) + self.images.shape[3:]
        out = np.stack([
            resize(im, out_shape, order=1, anti_aliasing=anti_aliasing, preserve_range=True) for im in self.images
        ]).astype(np.float32) if len(self) else np.zeros((0,) + out_shape, np.float32)
        return ImageSet(np.clip(out, 0.0, 1.0), self.meta.copy(), name=self.name, skipped=list(self.skipped))

    def to_grey(self) -> "ImageSet":
        """A copy with colour images converted to grey (luminance); grey sets are returned as a copy."""
        if not self.is_colour:
            return ImageSet(self.images.copy(), self.meta.copy(), name=self.name, skipped=list(self.skipped))
        grey = luminance(self.images)
        return ImageSet(np.clip(grey, 0.0, 1.0), self.meta.copy(), name=self.name, skipped=list(self.skipped))

    def with_meta(self, **columns: Any) -> "ImageSet":
        """A copy with metadata columns set (scalar or one value per image)."""
        meta = self.meta.copy()
        for col, value in columns.items():
            meta[col] = value
        return ImageSet(self.images.copy(), meta, name=self.name, skipped=list(self.skipped))

    # ------------------------------------------------------------------ persistence
    def save_npz(self, path: str | Path) -> Path:
        """Save pixels, metadata and skipped-file records to one ``.npz`` file (read back by ``load_npz``).

        ``.npz`` is appended when ``path`` lacks it (as numpy would); the file is written atomically and the
        path actually written is returned.
        """
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_name(path.name + ".npz")
        meta_json = self.meta.to_json(orient="records")
        skipped_json = json.dumps([{"path": s.path, "reason": s.reason} for s in self.skipped])
        buf = io.BytesIO()
        np.savez_compressed(buf, images=self.images, meta=np.array(meta_json), name=np.array(self.name),
                            skipped=np.array(skipped_json))
        return atomic_write_bytes(path, buf.getvalue())
