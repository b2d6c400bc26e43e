"""Load ``.npz``/``.npy`` arrays: ``ImageSet.save_npz`` files or plain image stacks."""

from __future__ import annotations

import os
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from misyn_lab.errors import InputError
from misyn_lab.imagesets._loading import check_options, text_path, unit
from misyn_lab.imagesets.budget import DEFAULT_MAX_PIXELS, check_budget, shape_values
from misyn_lab.imagesets.core import ImageSet, SkippedFile
from misyn_lab.safe_parse import load_json

#: Largest metadata text (``meta``/``skipped``/``name`` members) read from a ``.npz``: 4 MiB + 4 KiB per image.
META_BYTES_BASE = 4 * 1024 * 1024
META_BYTES_PER_IMAGE = 4096
_SAVE_REMEDY = "save plain numeric arrays (no Python objects) with numpy.savez / ImageSet.save_npz"


def _header(fh: Any, where: str) -> tuple[tuple[int, ...], np.dtype]:
    """Shape and dtype from a ``.npy`` header (numpy.lib.format), read without loading the data."""
    from numpy.lib import format as npy_format

    try:
        version = npy_format.read_magic(fh)
        if version == (1, 0):
            shape, _fortran, dtype = npy_format.read_array_header_1_0(fh)
        elif version in ((2, 0), (3, 0)):
            shape, _fortran, dtype = npy_format.read_array_header_2_0(fh)
        else:
            raise ValueError(f"unsupported .npy format version {version}")
    except (ValueError, OSError, EOFError, SyntaxError, TypeError) as exc:
        raise InputError(f"not a readable .npz/.npy file: bad array header ({' '.join(str(exc).split())[:200]})",
                         path=where, remedy=_SAVE_REMEDY) from exc
    return tuple(int(s) for s in shape), np.dtype(dtype)


def array_headers(path: str | os.PathLike[str]) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """``{member: (shape, dtype)}`` of a ``.npz`` (or ``{"": ...}`` for a ``.npy``) from the headers alone."""
    p = Path(path)
    try:
        if zipfile.is_zipfile(p):
            out = {}
            with zipfile.ZipFile(p) as zf:
                for info in zf.infolist():
                    if not info.filename.endswith(".npy"):
                        continue
                    with zf.open(info) as fh:
                        out[info.filename[:-4]] = _header(fh, f"{p}[{info.filename}]")
            return out
        with open(p, "rb") as fh:
            return {"": _header(fh, str(p))}
    except InputError:
        raise
    except (OSError, EOFError, ValueError, zipfile.BadZipFile, NotImplementedError) as exc:
        raise InputError(f"not a readable .npz/.npy file ({type(exc).__name__}: {' '.join(str(exc).split())[:200]})",
                         path=p, remedy=_SAVE_REMEDY) from exc


def _check_members(p: Path, headers: dict[str, tuple[tuple[int, ...], np.dtype]], key: str,
                   max_pixels: int) -> None:
    shape, dtype = headers[key]
    if dtype.hasobject:
        raise InputError(f"cannot read array {key or 'in the file'!r}: it holds Python objects (dtype {dtype}); "
                         "not loaded", path=p, remedy=_SAVE_REMEDY)
    check_budget(shape_values(shape), max_pixels, p, what=f"an array of shape {shape}")
    n_images = shape[0] if len(shape) >= 3 else 1
    limit = META_BYTES_BASE + META_BYTES_PER_IMAGE * n_images
    for name in ("meta", "skipped", "name"):
        if name in headers:
            m_shape, m_dtype = headers[name]
            size = shape_values(m_shape) * m_dtype.itemsize
            if m_dtype.hasobject or size > limit:
                raise InputError(f"member {name!r} is {size:,} bytes ({m_dtype}), more than the {limit:,} allowed for "
                                 f"{n_images} image(s)", path=p, remedy="save the set with ImageSet.save_npz")


def load_npz(path: str | os.PathLike[str], *, key: str | None = None, synthetic: bool | None = None,
             name: str | None = None, max_pixels: int = DEFAULT_MAX_PIXELS) -> ImageSet:
    """Read an ``ImageSet.save_npz`` file, or a plain ``.npz``/``.npy`` array stack (N×H×W[×3]).

    The arrays' shapes and dtypes are read from their ``.npy`` headers first: an array over the pixel budget
    (``max_pixels`` values; :mod:`~misyn_lab.imagesets.budget`), object arrays and oversized metadata are refused
    before anything is loaded; the metadata JSON is parsed with size and depth limits. Plain arrays outside [0, 1]
    are scaled per image with min-max and the original range recorded.

    Parameters
    ----------
    path : str or path-like
        The ``.npz`` or ``.npy`` file.
    key : str, optional
        The array to read from a plain ``.npz`` holding several.
    synthetic : bool, optional
        Mark every image synthetic (a saved ImageSet keeps its own marks when ``None``).
    name : str, optional
        Name of the set.
    max_pixels : int, optional
        Pixel budget.

    Returns
    -------
    ImageSet
        The images with their saved metadata (or a fresh one for a plain array).

    Raises
    ------
    InputError
        A missing file, object arrays, NaN/inf values, an array over the budget, malformed metadata.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import numpy as np
    >>> from misyn_lab.imagesets import ImageSet
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "set.npz"
    >>> saved = ImageSet.from_arrays(np.full((2, 4, 4), 0.5), {"plane": ["ax", "cor"]}, synthetic=True).save_npz(path)
    >>> back = load_npz(saved)
    >>> back.meta["plane"].tolist(), back.synthetic.tolist()
    (['ax', 'cor'], [True, True])
    """
    import pandas as pd  # here, not at import: the file readers that import this module never need it

    check_options(max_pixels=max_pixels)
    p = Path(path)
    if not p.is_file():
        raise InputError("no such file", path=p, remedy="check the path")
    headers = array_headers(p)
    meta = None
    skipped: list[SkippedFile] = []
    set_name = name or text_path(p.stem)
    if "" in headers:
        _check_members(p, headers, "", max_pixels)
    else:
        keys = list(headers)
        if key is None:
            key = "images" if "images" in keys else (keys[0] if len(keys) == 1 else None)
        if key is None or key not in keys:
            raise InputError(f"cannot tell which array holds the images; keys: {keys}", path=p,
                             remedy="pass key='<name>'")
        _check_members(p, headers, key, max_pixels)
    try:
        loaded = np.load(p, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise InputError(f"not a readable .npz/.npy file ({exc})", path=p, remedy=_SAVE_REMEDY) from exc
    if isinstance(loaded, np.ndarray):
        arr = loaded
    else:
        with loaded:
            keys = list(loaded.keys())
            try:
                arr = loaded[key]
                if "meta" in keys and key == "images":
                    meta = pd.DataFrame(load_json(str(loaded["meta"]), f"{p}[meta]", what="metadata JSON",
                                                  max_bytes=10 ** 12))
                    if "name" in keys and name is None:
                        set_name = str(loaded["name"])
                    if "skipped" in keys:
                        rows = load_json(str(loaded["skipped"]), f"{p}[skipped]", what="skipped-file JSON",
                                         max_bytes=10 ** 12)
                        skipped = [SkippedFile(str(r["path"]), str(r["reason"])) for r in rows]
            except InputError:
                raise
            except (ValueError, OSError, EOFError, KeyError, TypeError, zlib.error) as exc:
                # object arrays (pickles), corrupt members, metadata of the wrong form
                raise InputError(f"cannot read array {key!r} ({type(exc).__name__}: "
                                 f"{' '.join(str(exc).split())[:200]})", path=p, remedy=_SAVE_REMEDY) from exc
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim not in (3, 4):
        raise InputError(f"expected N×H×W or N×H×W×3 array, got shape {arr.shape}", path=p)
    if (not np.issubdtype(arr.dtype, np.number) and arr.dtype != bool) or np.iscomplexobj(arr):
        raise InputError(f"array has non-numeric dtype {arr.dtype}", path=p)
    if np.issubdtype(arr.dtype, np.floating) and not np.isfinite(arr).all():
        bad = int((~np.isfinite(arr)).reshape(len(arr), -1).any(axis=1).sum())
        raise InputError(f"{bad} image(s) contain NaN or infinite values", path=p,
                         remedy="replace them first (e.g. numpy.nan_to_num) and save again")
    if meta is None:
        meta = pd.DataFrame({"id": [f"{text_path(p.stem)}-{i:05d}" for i in range(len(arr))],
                             "source_path": text_path(p)})
        if arr.size and (arr.dtype == np.uint8 or arr.min() < 0 or arr.max() > 1):
            on_disk = str(arr.dtype)  # before scaling: the stacked result is float32
            out = []
            for i, im in enumerate(arr):
                u, info = unit(im, f"{p}[{i}]")
                out.append(u)
                for k, v in info.items():
                    meta.loc[i, k] = v
            arr = np.stack(out)
            meta["orig_dtype"] = on_disk
    if synthetic is not None:
        meta["synthetic"] = bool(synthetic)
    return ImageSet(arr.astype(np.float32), meta, name=set_name, skipped=skipped)
