"""Feature cache: in-memory LRU plus an optional on-disk store (``.npz``), keyed by content.

The key is ``(ImageSet content hash, feature family, parameters, embedding hash)``, so the same pixels
and ids give the same features without recomputation, whichever object or widget asks. Set the environment
variable ``MISYN_LAB_CACHE`` to a folder to also keep features across sessions.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections import OrderedDict
from pathlib import Path

import numpy as np

from misyn_lab.atomic import atomic_write_bytes

ENV_VAR = "MISYN_LAB_CACHE"
MAX_ITEMS = 64

_memory: OrderedDict[str, np.ndarray] = OrderedDict()
stats = {"hits": 0, "misses": 0, "disk_hits": 0}


def make_key(*parts: object) -> str:
    """A stable string key from the parts (hashed)."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _disk_dir() -> Path | None:
    value = os.environ.get(ENV_VAR, "").strip()
    return Path(value) if value else None


def get(key: str) -> np.ndarray | None:
    """Cached values for ``key`` (memory first, then disk), or ``None``."""
    if key in _memory:
        _memory.move_to_end(key)
        stats["hits"] += 1
        return _memory[key]
    folder = _disk_dir()
    if folder is not None:
        path = folder / f"features-{key}.npz"
        if path.is_file():
            try:
                with np.load(path) as data:
                    values = np.array(data["values"])
            except (OSError, ValueError, KeyError):
                values = None  # a damaged cache file is recomputed and overwritten, never trusted
            if values is not None:
                stats["disk_hits"] += 1
                _remember(key, values)
                return values
    stats["misses"] += 1
    return None


def put(key: str, values: np.ndarray) -> None:
    """Store ``values`` under ``key`` (memory, and disk when ``MISYN_LAB_CACHE`` is set)."""
    _remember(key, values)
    folder = _disk_dir()
    if folder is not None:
        buf = io.BytesIO()
        np.savez(buf, values=values)
        atomic_write_bytes(folder / f"features-{key}.npz", buf.getvalue())


def _remember(key: str, values: np.ndarray) -> None:
    values = np.array(values, dtype=np.float64)
    values.setflags(write=False)
    _memory[key] = values
    _memory.move_to_end(key)
    while len(_memory) > MAX_ITEMS:
        _memory.popitem(last=False)


def clear() -> None:
    """Empty the in-memory cache and reset the counters (the disk cache is left alone)."""
    _memory.clear()
    for k in stats:
        stats[k] = 0


def info() -> dict[str, int]:
    """Counters (hits, misses, disk_hits) and the number of cached matrices."""
    return {**stats, "items": len(_memory)}
