"""Load a NIfTI volume (nibabel) as 2-D slices."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from misyn_lab.errors import InputError
from misyn_lab.imagesets._loading import Record, assemble, rel_id
from misyn_lab.imagesets._raster import DEFAULT_MAX_PIXELS
from misyn_lab.imagesets.core import ImageSet

PLANES = {0: "sagittal", 1: "coronal", 2: "axial"}


def load_nifti(path: str | os.PathLike[str], *, axis: int = 2, slices: int | Sequence[int] | None = None,
               size: tuple[int, int] | None = None, synthetic: bool = False, skip_empty: bool = True,
               max_pixels: int = DEFAULT_MAX_PIXELS, name: str | None = None) -> ImageSet:
    """Slice a 3-D NIfTI volume (nibabel) into 2-D images along ``axis`` of the RAS-reoriented volume.

    ``axis`` 0/1/2 = sagittal/coronal/axial. ``slices`` = list of indices, or an int n for n evenly
    spaced slices, or None for all (``skip_empty`` drops all-constant slices, recorded in metadata as
    absent indices). Intensities are scaled with the volume's min-max so slices stay comparable.
    4-D volumes are refused with the remedy.
    """
    import nibabel as nib

    p = Path(path)
    if not p.is_file():
        raise InputError("no such NIfTI file", path=p, remedy="check the path")
    if axis not in (0, 1, 2):
        raise InputError(f"axis must be 0, 1 or 2, got {axis}", path=p)
    try:
        img = nib.load(str(p))
    except (nib.filebasedimages.ImageFileError, OSError, EOFError, ValueError) as exc:
        raise InputError(f"not a readable NIfTI file ({exc})", path=p,
                         remedy="check the file is a complete .nii/.nii.gz") from exc
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
    if len(shape) == 3:
        img = nib.as_closest_canonical(img)
    data = np.asarray(img.dataobj)
    if data.ndim == 2:
        data = data[:, :, None]
        axis = 2
    data = data.astype(np.float64) if not np.issubdtype(data.dtype, np.floating) else data
    if not np.isfinite(data).all():
        raise InputError("volume contains NaN or infinite values", path=p,
                         remedy="replace them first (e.g. numpy.nan_to_num) and save again")
    plane_shape = [s for i, s in enumerate(data.shape) if i != axis]
    if plane_shape[0] * plane_shape[1] > max_pixels:
        raise InputError(f"slices of {plane_shape[0]}×{plane_shape[1]} exceed the {max_pixels} pixel limit",
                         path=p, remedy="raise max_pixels= if you trust the file")
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
            "id": f"{stem}:{PLANES[axis]}:{i:04d}", "source_path": str(p), "file_format": "NIfTI",
            "plane": PLANES[axis], "slice_index": i, "orig_dtype": str(img.get_data_dtype()),
            "orig_min": lo, "orig_max": hi, "intensity_scaling": "volume min-max",
            "notes": "RAS-reoriented; rotated so superior/anterior is up"}))
    return assemble(records, size=size, grey=None, name=name or stem, skipped=[], synthetic=synthetic,
                     where=str(p))
