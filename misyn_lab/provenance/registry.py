"""A registry of the synthetic images a user generated or labelled (one SQLite file).

Each row stores the SHA-256 of the file bytes, the SHA-256 of the decoded pixels, pHash and dHash of a
normalised grey image (algorithm, hash size and imagehash version recorded per row), the provenance JSON
and the registration time. :meth:`Registry.match` recognises an image whose metadata was stripped, or
that was re-encoded or resized, with the perceptual threshold calibrated in ``CALIBRATION.md``.

Crash safety: WAL journal, every write in one transaction. A process killed mid-write leaves the
previous rows intact. Schema version: ``PRAGMA user_version``; a file from a newer misyn-lab is refused.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from misyn_lab.errors import InputError, SchemaError
from misyn_lab.provenance import hashing
from misyn_lab.provenance.fileformat import decode_dicom, decode_pil, read_dicom, sniff
from misyn_lab.provenance.perceptual_index import PerceptualIndex
from misyn_lab.provenance.record import Provenance

SCHEMA_VERSION = 1
ENV_VAR = "MISYN_LAB_REGISTRY"
DEFAULT_PATH = Path("~/.misyn-lab/registry.sqlite")
#: Perceptual match rule (calibrated in CALIBRATION.md): a candidate is a row whose 64-bit pHash is within
#: PHASH_MAX bits OR whose dHash is within DHASH_MAX bits; it matches when the 32×32 thumbnails differ by
#: at most THUMB_RMSE_MAX (root mean square, 0..255 scale after min-max normalisation).
PHASH_MAX = 16
DHASH_MAX = 12
THUMB_RMSE_MAX = 10.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS images (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sha256 TEXT,
    pixel_sha256 TEXT,
    phash TEXT NOT NULL,
    dhash TEXT NOT NULL,
    thumb BLOB NOT NULL,
    hash_algorithm TEXT NOT NULL,
    hash_size INTEGER NOT NULL,
    imagehash_version TEXT NOT NULL,
    height INTEGER, width INTEGER,
    source_name TEXT,
    provenance TEXT NOT NULL,
    created TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS images_sha256 ON images(sha256);
CREATE INDEX IF NOT EXISTS images_pixel_sha256 ON images(pixel_sha256);
"""


@dataclass(frozen=True)
class ImageHashes:
    """Everything the registry knows how to compare about one image."""

    sha256: str | None
    pixel_sha256: str | None
    perceptual: hashing.PerceptualHashes
    shape: tuple[int, ...]


@dataclass(frozen=True)
class Match:
    """A registry hit: how it matched (``sha256`` / ``pixels`` / ``perceptual``), distances and the row."""

    kind: str
    registry_id: int
    provenance: dict[str, Any]
    phash_distance: int = 0
    dhash_distance: int = 0
    thumb_rmse: float = 0.0
    source_name: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "registry_id": self.registry_id, "phash_distance": self.phash_distance,
                "dhash_distance": self.dhash_distance, "thumb_rmse": round(self.thumb_rmse, 3),
                "source_name": self.source_name,
                "generator": self.provenance.get("generator", "")}


def default_registry_path() -> Path:
    """``$MISYN_LAB_REGISTRY`` if set, else ``~/.misyn-lab/registry.sqlite``."""
    env = os.environ.get(ENV_VAR)
    return Path(env).expanduser() if env else DEFAULT_PATH.expanduser()


def decode_any(path: str | os.PathLike[str], data: bytes | None = None, *, fast: bool = False) -> tuple[str, np.ndarray]:
    """``(format, pixels)`` of a PNG/JPEG/TIFF/DICOM file. ``fast`` lets JPEG decode at reduced size."""
    import io

    head = (data[:352] if data is not None else None)
    if head is None:
        with open(path, "rb") as fh:
            head = fh.read(352)
    fmt = sniff(path, head)
    if fmt in ("png", "jpeg", "tiff"):
        return fmt, decode_pil(path, data, draft=hashing.NORMALISED_SIDE if fast else None)
    if fmt == "dicom":
        ds = read_dicom(io.BytesIO(data) if data is not None else path, pixels=True, where=path)
        return fmt, decode_dicom(path, ds)
    raise InputError(f"cannot compute image hashes for format {fmt or 'unknown'}", path=path,
                     remedy="the registry holds 2-D PNG/JPEG/TIFF/DICOM images")


def hashes_of(item: str | os.PathLike[str] | np.ndarray, *, data: bytes | None = None,
              fast: bool = False) -> ImageHashes:
    """Hashes of a file (bytes, pixels, perceptual) or of an in-memory array (pixels, perceptual)."""
    if isinstance(item, np.ndarray):
        arr = np.asarray(item)
        if arr.ndim not in (2, 3) or arr.size == 0:
            raise InputError(f"expected a 2-D image array, got shape {arr.shape}", path="array")
        return ImageHashes(None, hashing.pixel_sha256(arr), hashing.perceptual_hashes(arr), tuple(arr.shape))
    path = Path(item)
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read file: {exc.strerror or exc}", path=path) from exc
    if not data:
        raise InputError("file is empty (0 bytes)", path=path)
    fmt, arr = decode_any(path, data, fast=fast)
    drafted = fast and fmt == "jpeg"
    return ImageHashes(hashing.sha256_bytes(data), None if drafted else hashing.pixel_sha256(arr),
                       hashing.perceptual_hashes(arr), tuple(arr.shape))


class Registry:
    """The SQLite registry of synthetic images (see module docstring)."""

    def __init__(self, path: str | os.PathLike[str] | None = None):
        self.path = Path(path).expanduser() if path is not None else default_registry_path()
        if self.path.exists() and self.path.is_dir():
            raise InputError("registry path is a folder", path=self.path, remedy="give a .sqlite file path")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._conn = sqlite3.connect(str(self.path), timeout=30.0, isolation_level=None)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            version = int(self._conn.execute("PRAGMA user_version").fetchone()[0])
        except sqlite3.DatabaseError as exc:
            raise InputError(f"not a misyn-lab registry (SQLite error: {exc})", path=self.path,
                             remedy="point --registry at a registry file or a new path") from exc
        if version > SCHEMA_VERSION:
            self._conn.close()
            raise SchemaError(f"registry schema version {version} is newer than this misyn-lab supports "
                              f"({SCHEMA_VERSION})", path=self.path, remedy="upgrade misyn-lab to read this registry")
        if version == 0:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                tables = {r[0] for r in self._conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
                if tables - {"images", "sqlite_sequence"}:
                    raise InputError("SQLite file is not a misyn-lab registry", path=self.path,
                                     remedy="use a new file for the registry")
                for stmt in filter(None, (s.strip() for s in _SCHEMA.split(";"))):
                    self._conn.execute(stmt)
                self._conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                self._conn.close()
                raise
        self._cache: tuple[Any, RegistryIndex] | None = None

    # -------------------------------------------------------------- lifecycle
    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> "Registry":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __len__(self) -> int:
        return int(self._conn.execute("SELECT COUNT(*) FROM images").fetchone()[0])

    # -------------------------------------------------------------- writing
    def _row(self, item: Any, provenance: Provenance) -> tuple:
        if not isinstance(provenance, Provenance):
            raise InputError("provenance must be a Provenance object", path="provenance")
        h = hashes_of(item)
        name = "" if isinstance(item, np.ndarray) else Path(item).name
        created = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
        shape = h.shape + (0, 0)
        return (h.sha256, h.pixel_sha256, h.perceptual.phash, h.perceptual.dhash, h.perceptual.thumb,
                "phash+dhash+thumb32",
                h.perceptual.hash_size, h.perceptual.imagehash_version, shape[0], shape[1], name,
                provenance.to_json(), created)

    def register_many(self, items: Iterable[tuple[Any, Provenance]]) -> list[int]:
        """Register ``(path_or_array, provenance)`` pairs in ONE transaction (all or nothing)."""
        ids: list[int] = []
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            for item, provenance in items:
                cur = self._conn.execute(
                    "INSERT INTO images (sha256, pixel_sha256, phash, dhash, thumb, hash_algorithm, hash_size, "
                    "imagehash_version, height, width, source_name, provenance, created) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", self._row(item, provenance))
                ids.append(int(cur.lastrowid))
            self._conn.execute("COMMIT")
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._cache = None
        return ids

    def register(self, item: str | os.PathLike[str] | np.ndarray, provenance: Provenance) -> int:
        """Register one synthetic image (file or array); returns its registry id."""
        return self.register_many([(item, provenance)])[0]

    # -------------------------------------------------------------- reading
    def rows(self) -> list[dict[str, Any]]:
        cur = self._conn.execute("SELECT * FROM images ORDER BY id")
        names = [d[0] for d in cur.description]
        return [{k: v for k, v in zip(names, r) if k != "thumb"} for r in cur.fetchall()]

    def index(self) -> "RegistryIndex":
        """An in-memory, read-only, thread-safe snapshot of the registry for matching many images."""
        key = self._conn.execute("SELECT COUNT(*), COALESCE(MAX(id), 0) FROM images").fetchone()
        if self._cache is None or self._cache[0] != key:
            rows = self._conn.execute(
                "SELECT id, sha256, pixel_sha256, phash, dhash, thumb, hash_size, imagehash_version, provenance, "
                "source_name FROM images ORDER BY id").fetchall()
            self._cache = (key, RegistryIndex(rows))
        return self._cache[1]

    def lookup_sha256(self, sha256: str) -> Match | None:
        """Exact file-bytes match (no decoding needed)."""
        return self.index().lookup_sha256(sha256)

    def match_hashes(self, h: ImageHashes) -> Match | None:
        """The best registry match for precomputed hashes, or ``None``."""
        return self.index().match_hashes(h)

    def match(self, item: str | os.PathLike[str] | np.ndarray) -> Match | None:
        """Is this file/array a registered synthetic image (exact, same pixels, or perceptually)?"""
        return self.match_hashes(hashes_of(item))


class RegistryIndex:
    """Registry rows held in memory for fast, thread-safe matching (see :meth:`Registry.index`)."""

    def __init__(self, rows: list[tuple]):
        self._by_sha: dict[str, tuple] = {}
        self._by_pixels: dict[str, tuple] = {}
        for r in rows:
            if r[1]:
                self._by_sha.setdefault(r[1], r)
            if r[2]:
                self._by_pixels.setdefault(r[2], r)
        comparable = [r for r in rows if r[6] == hashing.HASH_SIZE and r[7] == hashing.IMAGEHASH_VERSION]
        self._rows = comparable
        n_bits = hashing.HASH_SIZE * hashing.HASH_SIZE
        self._pbits = hashing.hex_to_bits([r[3] for r in comparable], n_bits)
        self._dbits = hashing.hex_to_bits([r[4] for r in comparable], n_bits)
        self._thumbs = (np.frombuffer(b"".join(r[5] for r in comparable), np.uint8).reshape(len(comparable), -1)
                        if comparable else np.zeros((0, hashing.THUMB_SIDE ** 2), np.uint8))
        self.n_rows = len(rows)
        # exact index for the perceptual rule (same decisions as the linear scan, see perceptual_index.py)
        self._perceptual = PerceptualIndex([r[3] for r in comparable], [r[4] for r in comparable], self._thumbs,
                                           phash_max=PHASH_MAX, dhash_max=DHASH_MAX, rmse_max=THUMB_RMSE_MAX)

    @staticmethod
    def _match(kind: str, r: tuple, dp: int = 0, dd: int = 0, rmse: float = 0.0) -> Match:
        return Match(kind, int(r[0]), json.loads(r[8]), dp, dd, rmse, r[9] or "")

    def lookup_sha256(self, sha256: str) -> Match | None:
        r = self._by_sha.get(sha256)
        return None if r is None else self._match("sha256", r)

    def _exact(self, h: ImageHashes) -> Match | None:
        """Same file bytes, then same decoded pixels."""
        if h.sha256 and h.sha256 in self._by_sha:
            return self._match("sha256", self._by_sha[h.sha256])
        if h.pixel_sha256 and h.pixel_sha256 in self._by_pixels:
            return self._match("pixels", self._by_pixels[h.pixel_sha256])
        return None

    def match_hashes(self, h: ImageHashes) -> Match | None:
        """Exact bytes, then identical pixels, then perceptual candidates verified by thumbnail RMSE.

        The perceptual step goes through the exact index (:mod:`misyn_lab.provenance.perceptual_index`); its
        decisions equal :meth:`match_hashes_linear`'s, which scans every row.
        """
        exact = self._exact(h)
        if exact is not None or not self._rows or not h.perceptual.informative:
            return exact  # a flat image looks like every other flat image: no perceptual match
        hit = self._perceptual.best(h.perceptual)
        if hit is None:
            return None
        return self._match("perceptual", self._rows[hit.position], hit.phash_distance, hit.dhash_distance,
                           hit.thumb_rmse)

    def match_hashes_linear(self, h: ImageHashes) -> Match | None:
        """:meth:`match_hashes` by scanning every registered row (the reference the index is tested against)."""
        exact = self._exact(h)
        if exact is not None or not self._rows or not h.perceptual.informative:
            return exact
        n_bits = self._pbits.shape[1]
        dp = (self._pbits != hashing.hex_to_bits([h.perceptual.phash], n_bits)[0]).sum(axis=1)
        dd = (self._dbits != hashing.hex_to_bits([h.perceptual.dhash], n_bits)[0]).sum(axis=1)
        cand = np.flatnonzero((dp <= PHASH_MAX) | (dd <= DHASH_MAX))
        if not len(cand):
            return None
        rmse = hashing.thumb_rmse(h.perceptual.thumb, self._thumbs[cand])
        k = int(np.argmin(rmse))
        if rmse[k] > THUMB_RMSE_MAX:
            return None
        best = int(cand[k])
        return self._match("perceptual", self._rows[best], int(dp[best]), int(dd[best]), float(rmse[k]))


@contextmanager
def open_registry(registry: "Registry | str | os.PathLike[str] | None", *,
                  create: bool = False) -> Iterator[Registry]:
    """Use a :class:`Registry` given as an object, a path, or ``None`` (the default path) in a ``with`` block.

    A registry object is passed through and left open (the caller owns it); a registry opened here from a
    path is closed when the block ends. A path that does not exist is an :class:`InputError` unless
    ``create`` is true (labelling/exporting creates the registry; auditing and cards only read it).
    """
    if isinstance(registry, Registry):
        yield registry
        return
    path = Path(registry).expanduser() if registry is not None else default_registry_path()
    if not create and not path.exists():
        raise InputError("registry file does not exist", path=path,
                         remedy="register images first (misyn-lab label --registry FILE) or fix the path")
    reg = Registry(path)
    try:
        yield reg
    finally:
        reg.close()
