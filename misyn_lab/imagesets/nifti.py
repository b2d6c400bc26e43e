"""Load a NIfTI volume (nibabel) as 2-D slices."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from misyn_lab.errors import InputError
from misyn_lab.imagesets._loading import Record, assemble, check_options, rel_id, text_path
from misyn_lab.imagesets.budget import DEFAULT_MAX_PIXELS, check_budget, shape_values
from misyn_lab.imagesets.core import ImageSet

PLANES = {0: "sagittal", 1: "coronal", 2: "axial"}
_REMEDY = "check the file is a complete .nii/.nii.gz (re-export it), or skip it"


def open_nifti(path: str | os.PathLike[str]) -> Any:
    """Open a NIfTI file with nibabel, reading the header only; every failure is an :class:`InputError`."""
    import nibabel as nib

    p = Path(path)
    try:
        if p.stat().st_size == 0:
            raise InputError("NIfTI file is empty (0 bytes)", path=p, remedy=_REMEDY)
        return nib.load(str(p))
    except InputError:
        raise
    except PermissionError as exc:
        raise InputError("permission denied: the file cannot be opened for reading", path=p,
                         remedy="fix the file's permissions (chmod u+r)") from exc
    except Exception as exc:  # noqa: BLE001 - nibabel raises ImageFileError, HeaderDataError, OSError, zlib.error ...
        raise InputError(f"not a readable NIfTI file ({type(exc).__name__}: {' '.join(str(exc).split())[:200]})",
                         path=p, remedy=_REMEDY) from exc


def check_nifti_budget(img: Any, path: str | os.PathLike[str], max_pixels: int = DEFAULT_MAX_PIXELS) -> None:
    """The header's shape (all dimensions) against the pixel budget, and, for an uncompressed ``.nii``, the
    file's length against the voxel data the header declares — both before any voxel is read."""
    shape = tuple(int(s) for s in img.shape)
    if any(s < 1 for s in shape):
        raise InputError(f"NIfTI header declares an impossible shape {shape}", path=path, remedy=_REMEDY)
    check_budget(shape_values(shape), max_pixels, path, what=f"a volume of {'×'.join(map(str, shape))}")
    p = Path(path)
    if not p.name.lower().endswith(".gz"):
        need = nifti_extent(img, p)
        size = p.stat().st_size
        if size < need:
            raise InputError(f"NIfTI file is truncated: the header declares {need:,} bytes, the file holds {size:,}",
                             path=p, remedy=_REMEDY)


def nifti_extent(img: Any, path: str | os.PathLike[str]) -> int:
    """Bytes from the start of the (uncompressed) file to the end of the voxel data the header declares."""
    try:
        offset = getattr(img.dataobj, "offset", None)
        offset = int(img.header.get_data_offset() if offset is None else offset)
        itemsize = int(img.header.get_data_dtype().itemsize)
        shape = tuple(int(s) for s in img.header.get_data_shape())
    except Exception as exc:  # noqa: BLE001 - nibabel header accessors raise arbitrary types on junk
        raise InputError(f"NIfTI header is unreadable ({type(exc).__name__}: {exc})", path=path,
                         remedy=_REMEDY) from exc
    return offset + shape_values(shape) * itemsize


def nifti_voxels(img: Any, path: str | os.PathLike[str]) -> np.ndarray:
    """The voxel array (scaling applied by nibabel); truncated or corrupt data is an :class:`InputError`.

    Call :func:`check_nifti_budget` first.
    """
    try:
        return np.asarray(img.dataobj)
    except MemoryError as exc:
        raise InputError("not enough memory to read the volume", path=path,
                         remedy="lower max_pixels= or free memory") from exc
    except Exception as exc:  # noqa: BLE001 - nibabel/gzip/zlib raise OSError, EOFError, zlib.error, ValueError ...
        raise InputError(f"NIfTI voxel data unreadable ({type(exc).__name__}: {' '.join(str(exc).split())[:200]})",
                         path=path, remedy=_REMEDY) from exc


def _canonical(img: Any, path: Path) -> Any:
    import nibabel as nib

    try:
        return nib.as_closest_canonical(img)
    except Exception as exc:  # noqa: BLE001 - a degenerate affine raises numpy/nibabel errors
        raise InputError(f"cannot reorient the volume to RAS ({type(exc).__name__}: {exc})", path=path,
                         remedy="fix the file's affine (qform/sform)") from exc


def load_nifti(path: str | os.PathLike[str], *, axis: int = 2, slices: int | Sequence[int] | None = None,
               size: tuple[int, int] | None = None, synthetic: bool = False, skip_empty: bool = True,
               max_pixels: int = DEFAULT_MAX_PIXELS, name: str | None = None) -> ImageSet:
    """Slice a 3-D NIfTI volume (nibabel) into 2-D images along ``axis`` of the RAS-reoriented volume.

    Intensities are scaled with the volume's min-max so slices stay comparable. 4-D volumes are refused with the
    remedy. The whole volume counts against the pixel budget (``max_pixels`` values;
    :mod:`~misyn_lab.imagesets.budget`), checked from the header before reading.

    Parameters
    ----------
    path : str or path-like
        A ``.nii`` or ``.nii.gz`` file.
    axis : {0, 1, 2}, optional
        Sagittal, coronal or axial.
    slices : int or sequence of int, optional
        Slice indices, or an int n for n evenly spaced slices; ``None``: all.
    size : (int, int), optional
        Resize every slice to (H, W).
    synthetic : bool, optional
        Mark every slice synthetic.
    skip_empty : bool, optional
        Drop all-constant slices (their indices are recorded in the metadata as absent).
    max_pixels : int, optional
        Pixel budget of the volume.
    name : str, optional
        Name of the set (default: the file name).

    Returns
    -------
    ImageSet
        One row per slice with ``axis`` and ``slice`` columns.

    Raises
    ------
    InputError
        A missing or unreadable file, a 4-D volume, a slice index out of range, a volume over the budget.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import nibabel as nib
    >>> import numpy as np
    >>> volume = np.zeros((6, 6, 4), np.float32)
    >>> volume[1:5, 1:5, :] = np.arange(4)
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "vol.nii.gz"
    >>> nib.save(nib.Nifti1Image(volume, np.eye(4)), path)
    >>> slices = load_nifti(path, axis=2)
    >>> len(slices), slices.images.shape[1:]
    (3, (6, 6))
    """
    check_options(size=size, max_pixels=max_pixels)
    p = Path(path)
    if not p.is_file():
        raise InputError("no such NIfTI file", path=p, remedy="check the path")
    if axis not in (0, 1, 2):
        raise InputError(f"axis must be 0, 1 or 2, got {axis}", path=p)
    img = open_nifti(p)
    shape = tuple(int(s) for s in img.shape)
    if len(shape) == 4 and shape[3] == 1:
        img = img.slicer[..., 0]
        shape = shape[:3]
    if len(shape) > 3:
        raise InputError(f"volume is {len(shape)}-D with shape {shape}; only 3-D volumes are sliced", path=p,
                         remedy="pick one volume first, e.g. nibabel's img.slicer[..., t] or "
                                "nibabel.funcs.four_to_three(img), and save it")
    if len(shape) < 2:
        raise InputError(f"volume has shape {shape}; need 2-D or 3-D", path=p)
    check_nifti_budget(img, p, max_pixels)
    if len(shape) == 3:
        img = _canonical(img, p)
    data = nifti_voxels(img, p)
    if data.ndim == 2:
        data = data[:, :, None]
        axis = 2
    data = data.astype(np.float64) if not np.issubdtype(data.dtype, np.floating) else data
    if not np.isfinite(data).all():
        raise InputError("volume contains NaN or infinite values", path=p,
                         remedy="replace them first (e.g. numpy.nan_to_num) and save again")
    n = data.shape[axis]
    if slices is None:
        idx = list(range(n))
    elif isinstance(slices, (int, np.integer)):
        if slices < 1:
            raise InputError(f"slices must be >= 1, got {slices}", path=p)
        idx = sorted({int(round(v)) for v in np.linspace(0, n - 1, int(slices))})
    else:
        idx = [int(i) for i in slices]
        bad = [i for i in idx if not 0 <= i < n]
        if bad:
            raise InputError(f"slice indices {bad[:5]} outside 0..{n - 1} on axis {axis}", path=p)
    lo, hi = float(data.min()), float(data.max())
    scale = (hi - lo) or 1.0
    records: list[Record] = []
    stem = rel_id(p, p.parent)
    for i in idx:
        sl = data[(slice(None),) * axis + (i,)]
        if slices is None and skip_empty and np.ptp(sl) == 0:
            continue
        img2d = np.rot90(((sl - lo) / scale).astype(np.float32))
        records.append((np.clip(img2d, 0.0, 1.0), {
            "id": f"{stem}:{PLANES[axis]}:{i:04d}", "source_path": text_path(p), "file_format": "NIfTI",
            "plane": PLANES[axis], "slice_index": i, "orig_dtype": str(img.get_data_dtype()),
            "orig_min": lo, "orig_max": hi, "intensity_scaling": "volume min-max",
            "notes": "RAS-reoriented; rotated so superior/anterior is up"}))
    return assemble(records, size=size, grey=None, name=name or stem, skipped=[], synthetic=synthetic,
                     where=str(p))
