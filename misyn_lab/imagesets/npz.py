"""Load ``.npz``/``.npy`` arrays: ``ImageSet.save_npz`` files or plain image stacks."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from misyn_lab.errors import InputError
from misyn_lab.imagesets._loading import unit
from misyn_lab.imagesets.core import ImageSet, SkippedFile


def load_npz(path: str | os.PathLike[str], *, key: str | None = None, synthetic: bool | None = None,
             name: str | None = None) -> ImageSet:
    """Read an ``ImageSet.save_npz`` file, or a plain ``.npz``/``.npy`` array stack (N×H×W[×3]).

    Plain arrays outside [0, 1] are scaled per image with min-max and the original range recorded.
    NaN/inf values raise :class:`InputError`.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError("no such file", path=p, remedy="check the path")
    try:
        loaded = np.load(p, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise InputError(f"not a readable .npz/.npy file ({exc})", path=p,
                         remedy="save arrays with numpy.savez / ImageSet.save_npz") from exc
    meta = None
    skipped: list[SkippedFile] = []
    set_name = name or p.stem
    if isinstance(loaded, np.ndarray):
        arr = loaded
    else:
        with loaded:
            keys = list(loaded.keys())
            if key is None:
                key = "images" if "images" in keys else (keys[0] if len(keys) == 1 else None)
            if key is None or key not in keys:
                raise InputError(f"cannot tell which array holds the images; keys: {keys}", path=p,
                                 remedy="pass key='<name>'")
            try:
                arr = loaded[key]
                if "meta" in keys and key == "images":
                    meta = pd.DataFrame(json.loads(str(loaded["meta"])))
                    if "name" in keys and name is None:
                        set_name = str(loaded["name"])
                    if "skipped" in keys:
                        skipped = [SkippedFile(str(r["path"]), str(r["reason"]))
                                   for r in json.loads(str(loaded["skipped"]))]
            except (ValueError, OSError, EOFError, KeyError, TypeError) as exc:  # object arrays (pickles), corrupt members, bad JSON
                raise InputError(f"cannot read array {key!r} ({exc})", path=p,
                                 remedy="save plain numeric arrays (no Python objects) with numpy.savez") from exc
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim not in (3, 4):
        raise InputError(f"expected N×H×W or N×H×W×3 array, got shape {arr.shape}", path=p)
    if not np.issubdtype(arr.dtype, np.number) and arr.dtype != bool:
        raise InputError(f"array has non-numeric dtype {arr.dtype}", path=p)
    if np.issubdtype(arr.dtype, np.floating) and not np.isfinite(arr).all():
        bad = int((~np.isfinite(arr)).reshape(len(arr), -1).any(axis=1).sum())
        raise InputError(f"{bad} image(s) contain NaN or infinite values", path=p,
                         remedy="replace them first (e.g. numpy.nan_to_num) and save again")
    if meta is None:
        meta = pd.DataFrame({"id": [f"{p.stem}-{i:05d}" for i in range(len(arr))], "source_path": str(p)})
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
