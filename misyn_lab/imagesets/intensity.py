"""Pure intensity functions: scale raw pixel values to [0, 1] without silent clipping.

Every loader maps its raw values (8/16-bit, signed, float, Hounsfield units ...) to float32 in [0, 1]
with these functions and records the original range in the metadata, so nothing is lost unseen.
"""

from __future__ import annotations

import numpy as np

from misyn_lab.errors import InputError


#: ITU-R BT.709 luminance weights for R, G, B (as scikit-image ``rgb2gray``).
LUMA_WEIGHTS = (0.2125, 0.7154, 0.0721)


def luminance(rgb: np.ndarray) -> np.ndarray:
    """Grey values of RGB pixels (colour in the last axis): the BT.709 weighted sum :data:`LUMA_WEIGHTS`.

    The weights take the input's precision: float64 input is weighted in float64, anything else in
    float32 (so float32 images stay float32). No clipping; callers clip if they need to.
    """
    a = np.asarray(rgb)
    return a @ np.array(LUMA_WEIGHTS, dtype=np.float64 if a.dtype == np.float64 else np.float32)


def _check_finite(arr: np.ndarray, where: str) -> None:
    if arr.size and not np.isfinite(arr).all():
        raise InputError("contains NaN or infinite values", path=where,
                         remedy="replace them first (e.g. numpy.nan_to_num) or drop the image")


def normalise_intensity(arr: np.ndarray, *, lo_pct: float | None = None, hi_pct: float | None = None,
                        where: str = "array") -> np.ndarray:
    """Map ``arr`` linearly to float32 in [0, 1].

    Without percentiles the minimum maps to 0 and the maximum to 1 (nothing is clipped). With ``lo_pct``/``hi_pct``
    (0-100) values below/above those percentiles are clipped first, which is a deliberate windowing choice. A
    constant image maps to all zeros.

    Parameters
    ----------
    arr : numpy.ndarray
        Any numeric array (one image or a stack).
    lo_pct, hi_pct : float, optional
        Percentiles (0-100) to clip at before scaling.
    where : str, optional
        What the array is, named in the error message.

    Returns
    -------
    numpy.ndarray
        float32 values in [0, 1], same shape.

    Raises
    ------
    InputError
        NaN/inf values, or percentiles out of order or outside 0-100.

    Examples
    --------
    >>> import numpy as np
    >>> normalise_intensity(np.array([100, 150, 300])).tolist()
    [0.0, 0.25, 1.0]
    """
    a = np.asarray(arr)
    if a.dtype == bool:
        return a.astype(np.float32)
    if not np.issubdtype(a.dtype, np.number) or np.issubdtype(a.dtype, np.complexfloating):
        raise InputError(f"pixel values must be real numbers, got dtype {a.dtype}", path=where)
    a = a.astype(np.float64)
    _check_finite(a, where)
    if a.size == 0:
        return a.astype(np.float32)
    for name, pct in (("lo_pct", lo_pct), ("hi_pct", hi_pct)):
        if pct is not None and not 0.0 <= float(pct) <= 100.0:
            raise InputError(f"{name} must lie in [0, 100], got {pct}", path=where)
    lo = float(np.percentile(a, lo_pct)) if lo_pct is not None else float(a.min())
    hi = float(np.percentile(a, hi_pct)) if hi_pct is not None else float(a.max())
    if hi <= lo:
        return np.zeros(a.shape, dtype=np.float32)
    out = (np.clip(a, lo, hi) - lo) / (hi - lo)
    return out.astype(np.float32)


def apply_window(arr: np.ndarray, center: float, width: float, *, where: str = "array") -> np.ndarray:
    """DICOM-style linear window: ``center ± width/2`` mapped to [0, 1], values outside clipped."""
    if width <= 0:
        raise InputError(f"window width must be positive, got {width}", path=where)
    a = np.asarray(arr, dtype=np.float64)
    _check_finite(a, where)
    lo, hi = center - width / 2.0, center + width / 2.0
    return ((np.clip(a, lo, hi) - lo) / (hi - lo)).astype(np.float32)


def to_uint8(img: np.ndarray) -> np.ndarray:
    """float [0, 1] -> uint8 with round-half-even (deterministic)."""
    return np.rint(np.clip(np.asarray(img, dtype=np.float64), 0.0, 1.0) * 255.0).astype(np.uint8)
