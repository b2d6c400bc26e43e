"""Plain data: numpy scalars and arrays, tuples and non-finite floats turned into JSON/YAML-safe Python values.

A leaf module used wherever results are stored or written (metric results, review files, ``results.json``).
It needs no numpy import: numpy values are recognised by their ``tolist`` method and their module.

>>> import numpy as np
>>> to_plain({"a": np.float32(0.5), 1: (np.int64(2), float("nan")), "m": np.eye(2, dtype=int)})
{'a': 0.5, '1': [2, None], 'm': [[1, 0], [0, 1]]}
"""

from __future__ import annotations

import math
from typing import Any


def _is_numpy(value: Any) -> bool:
    return type(value).__module__ == "numpy" and hasattr(value, "tolist")


def to_plain(value: Any) -> Any:
    """Recursively convert numpy scalars/arrays, tuples and NaN/inf to JSON-safe Python values.

    Parameters
    ----------
    value : Any
        A number, string, ``None``, numpy scalar or array, or a dict / list / tuple of these.

    Returns
    -------
    Any
        The same data as plain Python: dict keys as strings, sequences and arrays as lists, numpy scalars as
        Python numbers, NaN and infinities as ``None``.

    Examples
    --------
    >>> to_plain([1.0, float("inf")])
    [1.0, None]
    """
    if value is None:
        return None
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if _is_numpy(value):
        return to_plain(value.tolist())
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


__all__ = ["to_plain"]
