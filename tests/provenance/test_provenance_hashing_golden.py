"""The hashes a registry stores never move: every bundled sample image and a set of awkward arrays (16-bit, signed,
float with NaN/inf, RGB, RGBA, two-channel, non-square, flat, Fortran order) hash exactly as the golden file says.

A registry written by an earlier version holds these values; were a speed-up of the hashing code to change one
bit, its registered images would silently stop matching. The golden file was written by the code before the
hashing glue was rewritten (``5380c12``); ``MISYN_UPDATE_GOLDEN=1`` rewrites it only after an intended change of
the hash definitions (which would also need a registry migration).
"""

from __future__ import annotations

import hashlib

import numpy as np

from misyn_lab.imagesets.samples import BUNDLED_DIR
from misyn_lab.provenance import hashing
from misyn_lab.provenance.registry import hashes_of

#: Every how-many-th bundled image enters the golden file (all formats and modes present stay represented).
EVERY = 3


def _odd_arrays() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(20261201)
    base = rng.normal(120, 45, (90, 70))
    out = {
        "uint16": (base * 200).clip(0, 65535).astype(np.uint16),
        "int16_ct": (base * 10 - 1000).astype(np.int16),
        "float32": base.astype(np.float32),
        "float64_nan_inf": base.copy(),
        "rgb_uint8": rng.integers(0, 256, (40, 50, 3)).astype(np.uint8),
        "rgba_uint8": rng.integers(0, 256, (33, 65, 4)).astype(np.uint8),
        "two_channel_float": rng.normal(0, 1, (64, 64, 2)),
        "exactly_64_square": rng.integers(0, 256, (64, 64)).astype(np.uint8),
        "flat": np.full((50, 50), 7, np.uint8),
        "fortran_order": np.asfortranarray(base.astype(np.uint8)),
        "bool": base > 120,
    }
    out["float64_nan_inf"][3, 4], out["float64_nan_inf"][10, 11], out["float64_nan_inf"][0, 0] = np.nan, np.inf, -np.inf
    return out


def _line(name: str, h) -> str:
    p = h.perceptual
    return (f"{name}  sha256={h.sha256 or '-'}  pixels={h.pixel_sha256 or '-'}  shape={'x'.join(map(str, h.shape))}  "
            f"phash={p.phash}  dhash={p.dhash}  thumb={hashlib.sha256(p.thumb).hexdigest()[:16]}")


def test_registered_hashes_match_golden(golden):
    files = sorted(p for p in BUNDLED_DIR.rglob("*.png"))[::EVERY]
    assert len(files) > 100  # the sample set, not an empty glob
    lines = [_line(str(p.relative_to(BUNDLED_DIR)), hashes_of(p)) for p in files]
    lines += [_line(f"array:{name}", hashes_of(arr)) for name, arr in _odd_arrays().items()]
    golden("hashes.txt", "\n".join(lines) + "\n")


def test_audit_fast_path_hashes_equal_registration_hashes():
    """The audit hashes a file with ``fast=True`` and its bytes' SHA-256 passed in; for a PNG that must give exactly
    what registering the file stored."""
    for p in sorted(BUNDLED_DIR.rglob("*.png"))[::EVERY * 4]:
        data = p.read_bytes()
        fast = hashes_of(p, data=data, fast=True, sha256=hashing.sha256_bytes(data))
        assert fast == hashes_of(p), p
