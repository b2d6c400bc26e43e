"""A registry of the synthetic images a user generated or labelled (one SQLite file).

Each row stores the SHA-256 of the file bytes, the SHA-256 of the decoded pixels, pHash and dHash of a
normalised grey image (algorithm, hash size and imagehash version recorded per row), the provenance JSON
and the registration time. :meth:`Registry.match` recognises an image whose metadata was stripped, or
that was re-encoded or resized, with the perceptual threshold calibrated in ``CALIBRATION.md``.

Crash safety: WAL journal, every write in one transaction. A process killed mid-write leaves the
previous rows intact. Schema version: ``PRAGMA user_version``; a file from a newer misyn-lab is refused.
"""

from __future__ import annotations

import hashlib
import io
import os
import sqlite3
import threading
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import numpy as np

from misyn_lab.atomic import discard, writing
from misyn_lab.errors import InputError, SchemaError
from misyn_lab.imagesets.readers import (
    DEFAULT_MAX_PIXELS,
    check_budget,
    check_nifti_budget,
    nifti_voxels,
    open_nifti,
    shape_values,
)
from misyn_lab.provenance import hashing
from misyn_lab.provenance.fileformat import decode_dicom, decode_pil, read_dicom, read_head, sniff
from misyn_lab.provenance.perceptual_index import PerceptualIndex
from misyn_lab.provenance.record import Provenance
from misyn_lab.safe_parse import MAX_DEPTH, MAX_NUMBER_DIGITS, MAX_TEXT_BYTES, json_or_problem

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
_PENDING_TABLE = """CREATE TABLE IF NOT EXISTS pending (
    id INTEGER PRIMARY KEY,
    target TEXT NOT NULL,
    temp TEXT NOT NULL
)"""
_SCHEMA += _PENDING_TABLE + ";\n"


@dataclass(frozen=True)
class ImageHashes:
    """Everything the registry knows how to compare about one image."""

    sha256: str | None
    pixel_sha256: str | None
    perceptual: hashing.PerceptualHashes
    shape: tuple[int, ...]


@dataclass(frozen=True)
class Match:
    """A registry hit: how it matched, the distances and the registered row's provenance.

    Parameters
    ----------
    kind : str
        ``sha256`` (same file bytes), ``pixels`` (same decoded pixels) or ``perceptual``.
    registry_id : int
        The row id.
    provenance : dict
        The registered provenance.
    phash_distance, dhash_distance : int, optional
        Perceptual-hash distances (perceptual matches).
    thumb_rmse : float, optional
        Thumbnail difference (perceptual matches).
    source_name : str, optional
        The file name registered.
    problem : str, optional
        Why the row's provenance could not be read (then ``provenance`` is empty; the image is registered all
        the same).

    Examples
    --------
    >>> Match("sha256", 1, {"generator": "pca_gaussian"}).to_dict()["kind"]
    'sha256'
    """

    kind: str
    registry_id: int
    provenance: dict[str, Any]
    phash_distance: int = 0
    dhash_distance: int = 0
    thumb_rmse: float = 0.0
    source_name: str = ""
    problem: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "registry_id": self.registry_id, "phash_distance": self.phash_distance,
                "dhash_distance": self.dhash_distance, "thumb_rmse": round(self.thumb_rmse, 3),
                "source_name": self.source_name,
                "generator": self.provenance.get("generator", ""), "problem": self.problem}


def default_registry_path() -> Path:
    """Where the default registry lives.

    Returns
    -------
    Path
        ``$MISYN_LAB_REGISTRY`` if set, else ``~/.misyn-lab/registry.sqlite``.

    Examples
    --------
    >>> default_registry_path().name
    'registry.sqlite'
    """
    env = os.environ.get(ENV_VAR)
    return Path(env).expanduser() if env else DEFAULT_PATH.expanduser()


def decode_any(path: str | os.PathLike[str], data: bytes | None = None, *, fast: bool = False) -> tuple[str, np.ndarray]:
    """``(format, pixels)`` of a PNG/JPEG/TIFF/DICOM file, decoded under the pixel budget (first frame/page).

    ``fast`` lets JPEG decode at reduced size. NIfTI volumes are hashed by :func:`hashes_of` (voxels).
    """
    head = (data[:352] if data is not None else None)
    if head is None:
        head = read_head(path)
    fmt = sniff(path, head)
    if fmt in ("png", "jpeg", "tiff"):
        return fmt, decode_pil(path, data, draft=hashing.NORMALISED_SIDE if fast else None)
    if fmt == "dicom":
        ds = read_dicom(io.BytesIO(data) if data is not None else path, pixels=True, where=path)
        return fmt, decode_dicom(path, ds)
    raise InputError(f"cannot compute image hashes for format {fmt or 'unknown'}", path=path,
                     remedy="the registry holds PNG/JPEG/TIFF/DICOM images and NIfTI volumes")


#: NIfTI rows carry no perceptual hashes (a volume is matched by file bytes and by voxels only).
NO_PERCEPTUAL = hashing.PerceptualHashes(phash="", dhash="", thumb=b"", hash_size=0)


def _nifti_header(raw: bytes, path: Any) -> Any:
    import nibabel as nib

    two = int.from_bytes(raw[:4], "little") == 540 or int.from_bytes(raw[:4], "big") == 540
    try:
        return (nib.Nifti2Header if two else nib.Nifti1Header).from_fileobj(io.BytesIO(raw))
    except Exception as exc:  # noqa: BLE001 - nibabel raises HeaderDataError, ValueError, OSError ... on junk
        raise InputError(f"not a readable NIfTI header ({type(exc).__name__}: {' '.join(str(exc).split())[:200]})",
                         path=path, remedy="check the file is a complete .nii/.nii.gz") from exc


def _nifti_bytes_needed(header: Any, path: Any, max_pixels: int) -> int:
    shape = tuple(int(v) for v in header.get_data_shape())
    if any(v < 1 for v in shape):
        raise InputError(f"NIfTI header declares an impossible shape {shape}", path=path, remedy="re-export it")
    check_budget(shape_values(shape), max_pixels, path, what=f"a volume of {'×'.join(map(str, shape))}")
    return int(header.get_data_offset()) + shape_values(shape) * int(header.get_data_dtype().itemsize)


def nifti_voxels_from(path: str | os.PathLike[str], data: bytes | None = None, *,
                      max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """The voxel array of a NIfTI file (or of its bytes ``data``), read under the pixel budget.

    The header's shape is checked against the budget before any voxel is read; a gzip stream is inflated
    only as far as the header says the volume reaches.
    """
    import nibabel as nib

    if data is None:
        img = open_nifti(path)
        check_nifti_budget(img, path, max_pixels)
        return nifti_voxels(img, path)
    raw = data
    if data[:2] == b"\x1f\x8b":  # gzip: inflate the header, then only as much as it declares
        inflater = zlib.decompressobj(wbits=31)
        try:
            raw = inflater.decompress(data, 540)
            need = _nifti_bytes_needed(_nifti_header(raw, path), path, max_pixels)
            raw += inflater.decompress(inflater.unconsumed_tail, max(need - len(raw), 1))
        except zlib.error as exc:
            raise InputError(f"corrupt gzip data in NIfTI file ({exc})", path=path, remedy="re-export it") from exc
    header = _nifti_header(raw, path)
    need = _nifti_bytes_needed(header, path, max_pixels)
    if len(raw) < need:
        raise InputError(f"NIfTI file is truncated: the header declares {need:,} bytes, the file holds {len(raw):,}",
                         path=path, remedy="re-export it")
    klass = nib.Nifti2Image if isinstance(header, nib.Nifti2Header) else nib.Nifti1Image
    try:
        img = klass.from_bytes(raw[:need])
    except Exception as exc:  # noqa: BLE001 - nibabel raises arbitrary types on junk
        raise InputError(f"not a readable NIfTI file ({type(exc).__name__}: {' '.join(str(exc).split())[:200]})",
                         path=path, remedy="check the file is a complete .nii/.nii.gz") from exc
    return nifti_voxels(img, path)


def hashes_of(item: str | os.PathLike[str] | np.ndarray, *, data: bytes | None = None,
              fast: bool = False, sha256: str | None = None) -> ImageHashes:
    """Hashes of a file (bytes, pixels, perceptual) or of an in-memory array (pixels, perceptual).

    NIfTI volumes get the file hash and a hash of their voxels (no perceptual hashes). Decoding goes
    through the pixel budget of :mod:`misyn_lab.imagesets.budget`. ``sha256``: the SHA-256 of ``data``, when the
    caller has already computed it (an audit hashes every file's bytes before it decodes any); else computed here.
    """
    if isinstance(item, np.ndarray):
        arr = np.asarray(item)
        if arr.ndim not in (2, 3) or arr.size == 0:
            raise InputError(f"expected a 2-D image array, got shape {arr.shape}", path="array")
        return ImageHashes(None, hashing.pixel_sha256(arr), hashing.perceptual_hashes(arr), tuple(arr.shape))
    path = item if isinstance(item, Path) else Path(item)
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read file: {exc.strerror or exc}", path=path) from exc
    if not data:
        raise InputError("file is empty (0 bytes)", path=path)
    if sniff(path, data[:352]) == "nifti":
        vox = nifti_voxels_from(path, data)
        return ImageHashes(sha256 or hashing.sha256_bytes(data), hashing.pixel_sha256(vox), NO_PERCEPTUAL,
                           tuple(vox.shape))
    fmt, arr = decode_any(path, data, fast=fast)
    drafted = fast and fmt == "jpeg"
    return ImageHashes(sha256 or hashing.sha256_bytes(data), None if drafted else hashing.pixel_sha256(arr),
                       hashing.perceptual_hashes(arr), tuple(arr.shape))


# ------------------------------------------------------------------------------------------------ SQLite errors
#: Seconds a writer waits for another process's lock before giving up with a designed message.
LOCK_TIMEOUT = 30.0
_DAMAGED_REMEDY = ("restore the registry from a backup, or recover its rows with "
                   "`sqlite3 FILE .recover | sqlite3 NEW.sqlite` and point --registry at NEW.sqlite")


def registry_error(exc: sqlite3.Error, path: Path, doing: str) -> InputError:
    """One designed :class:`InputError` for an SQLite failure (disk full, lock, damage, foreign file ...)."""
    code = int(getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF
    name = str(getattr(exc, "sqlite_errorname", "") or "")
    text = " ".join(str(exc).split())
    if code == sqlite3.SQLITE_FULL or "disk is full" in text:
        return InputError(f"disk full: cannot write the registry while {doing}", path=path,
                          remedy="free space on the registry's drive, or use another registry path "
                                 "(--registry FILE or MISYN_LAB_REGISTRY)")
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or "locked" in text:
        return InputError(f"registry is locked by another process (waited {LOCK_TIMEOUT:g} s while {doing})",
                          path=path, remedy="wait until the other misyn-lab or sqlite3 process has finished, "
                                            "then run the command again")
    if code == sqlite3.SQLITE_CORRUPT or "malformed" in text:
        return InputError(f"registry file is damaged (corrupt database pages) while {doing}", path=path,
                          remedy=_DAMAGED_REMEDY)
    if code == sqlite3.SQLITE_NOTADB or "not a database" in text:
        return InputError("not a misyn-lab registry (the file is not an SQLite database)", path=path,
                          remedy="point --registry at a registry file or a new path")
    if code == sqlite3.SQLITE_READONLY or "readonly" in text or "read-only" in text:
        return InputError(f"registry is on read-only media or not writable (while {doing})", path=path,
                          remedy="audits read it as it is; to label or register, use a writable registry path")
    if code == sqlite3.SQLITE_CANTOPEN or "unable to open" in text:
        return InputError(f"cannot open the registry file (while {doing})", path=path,
                          remedy="check that its folder exists and is readable")
    if code == sqlite3.SQLITE_IOERR or "disk I/O error" in text:
        return InputError(f"disk I/O error on the registry while {doing}", path=path,
                          remedy="check the drive (and free space), then run the command again")
    if code == sqlite3.SQLITE_PERM or "permission" in text.lower():
        return InputError(f"permission denied on the registry while {doing}", path=path,
                          remedy="fix the file's permissions, or use another registry path")
    return InputError(f"SQLite error {name or code} while {doing}: {text[:200]}", path=path,
                      remedy="check the registry file; if it is damaged: " + _DAMAGED_REMEDY)


@contextmanager
def _sqlite(path: Path, doing: str) -> Iterator[None]:
    try:
        yield
    except (sqlite3.ProgrammingError, sqlite3.InterfaceError):
        raise  # misuse of the API (e.g. a closed registry), not a fault of the file
    except sqlite3.Error as exc:
        raise registry_error(exc, path, doing) from exc


# ------------------------------------------------------------------------------------------------ rows
#: Columns a registry's ``images`` table must have (a table without them is a foreign schema).
REQUIRED_COLUMNS = ("id", "sha256", "pixel_sha256", "phash", "dhash", "thumb", "hash_size", "imagehash_version",
                    "provenance", "source_name")
_HEX = frozenset("0123456789abcdefABCDEF")
#: The columns :class:`RegistryIndex` reads, in this order.
INDEX_COLUMNS = ("id", "sha256", "pixel_sha256", "phash", "dhash", "thumb", "hash_size", "imagehash_version",
                 "provenance", "source_name")


def _hex(value: Any, n: int) -> bool:
    return isinstance(value, str) and len(value) == n and set(value) <= _HEX


def validate_row(row: tuple) -> tuple[tuple | None, str | None]:
    """``(row with provenance parsed, None)`` for a usable registry row, else ``(None, reason)``.

    Checks the hash columns (64 hex digits for SHA-256, ``hash_size²/4`` for pHash/dHash), the thumbnail size
    and the provenance JSON (size and nesting limits of :mod:`misyn_lab.safe_parse`). Rows with
    ``hash_size`` 0 (NIfTI volumes) carry no perceptual hashes.
    """
    rid, sha, pix, ph, dh, thumb, size, _version, prov, name = row
    if sha is not None and not _hex(sha, 64):
        return None, "file hash is not 64 hex digits"
    if pix is not None and not _hex(pix, 64):
        return None, "pixel hash is not 64 hex digits"
    if sha is None and pix is None and not ph:
        return None, "row holds no hash at all"
    if not isinstance(size, int) or size < 0 or size > 64:
        return None, f"hash size {size!r} is not a small integer"
    if size:
        n_hex = size * size // 4
        if not (_hex(ph, n_hex) and _hex(dh, n_hex)):
            return None, f"pHash/dHash are not {n_hex} hex digits"
        if not isinstance(thumb, (bytes, memoryview)) or len(thumb) != hashing.THUMB_SIDE ** 2:
            got = len(thumb) if isinstance(thumb, (bytes, memoryview, str)) else type(thumb).__name__
            return None, f"thumbnail has {got} bytes, expected {hashing.THUMB_SIDE ** 2}"
    provenance, problem = json_or_problem(prov if isinstance(prov, (str, bytes)) else None, f"registry row #{rid}",
                                          what="provenance JSON")
    if problem is not None or provenance is None:
        return None, f"provenance {problem or 'is missing'}"
    return (rid, sha, pix, ph, dh, bytes(thumb) if thumb is not None else b"", size, _version, provenance,
            name if isinstance(name, str) else ""), None


def _file_sha256(path: str) -> str | None:
    try:
        with open(path, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError:
        return None


_HEX_DIGITS = "".join(sorted(_HEX))


def _is_hex(value: Any, n: int) -> bool:
    return type(value) is str and len(value) == n and not value.strip(_HEX_DIGITS)


def _clean(raw: tuple) -> tuple | None:
    """The row as :func:`validate_row` would return it, with its provenance left as JSON text that SQLite's parser
    accepted (``raw[-1]``) and Python's parses when the row matches, or ``None`` when the row needs
    :func:`validate_row` (it breaks a rule, is a NIfTI row, or its provenance is large or bracket-rich enough for
    the full limits check). The fast path for the usual row of a large registry: the rules, checked by cheap
    string operations instead of regular expressions and a JSON parse per row."""
    rid, sha, pix, ph, dh, thumb, size, version, text, name, json_ok = raw
    if not json_ok or type(size) is not int or not 1 <= size <= 64 or type(text) is not str:
        return None
    if (sha is not None and not _is_hex(sha, 64)) or (pix is not None and not _is_hex(pix, 64)):
        return None
    n_hex = size * size // 4
    if not (_is_hex(ph, n_hex) and _is_hex(dh, n_hex)) or (sha is None and pix is None and not ph):
        return None
    if type(thumb) is not bytes or len(thumb) != hashing.THUMB_SIDE ** 2:
        return None
    if (text.lstrip(" \t\n\r")[:1] != "{" or len(text) > MAX_NUMBER_DIGITS or len(text) * 4 > MAX_TEXT_BYTES
            or text.count("[") + text.count("{") > MAX_DEPTH):
        return None
    return (rid, sha, pix, ph, dh, thumb, size, version, text, name if isinstance(name, str) else "")


#: Rows checked together by :func:`_clean_batch` (one unusual row sends only its batch through :func:`_clean`).
CLEAN_BATCH = 4096


def _all_hex(values: list[Any], n: int) -> bool:
    """Every value is a str of ``n`` hex digits (:func:`_is_hex` for a whole column, in a few C loops)."""
    if not all(type(v) is str for v in values) or set(map(len, values)) - {n}:
        return False
    return not "".join(values).strip(_HEX_DIGITS)  # strip stops at the first non-hex character from either end


def _clean_batch(raws: list[tuple]) -> list[tuple | None]:
    """``[_clean(raw) for raw in raws]``, checked column by column when every row of the batch is a usual one (the
    rows of a large registry written by misyn-lab): the same rules as :func:`_clean`, in a few C loops over each
    column instead of Python calls per row. Any batch with a row off the usual shape goes through :func:`_clean`
    row by row."""
    if not raws:
        return []
    ids, sha, pix, ph, dh, thumb, size, _version, text, name, json_ok = zip(*raws)
    sizes = set(size)
    usual = len(sizes) == 1 and all(json_ok)
    if usual:
        (n,) = sizes
        usual = type(n) is int and 4 <= n <= 64  # n ≥ 4: the pHash is never empty, so every row holds a hash
    if usual:
        n_hex = n * n // 4
        shas = [v for v in sha if v is not None]
        pixes = [v for v in pix if v is not None]
        usual = (_all_hex(shas, 64) and _all_hex(pixes, 64) and _all_hex(list(ph), n_hex)
                 and _all_hex(list(dh), n_hex) and all(type(t) is bytes for t in thumb)
                 and set(map(len, thumb)) == {hashing.THUMB_SIDE ** 2}
                 and all(type(t) is str and t[:1] == "{" for t in text))
    if usual:
        longest = max(map(len, text))
        usual = (longest <= MAX_NUMBER_DIGITS and longest * 4 <= MAX_TEXT_BYTES
                 and max(t.count("[") + t.count("{") for t in text) <= MAX_DEPTH)
    if not usual:
        return [_clean(raw) for raw in raws]
    if all(type(v) is str for v in name):
        return [raw[:10] for raw in raws]
    return [(*raw[:9], v if isinstance(v, str) else "") for raw, v in zip(raws, name)]


def _select_rows(conn: sqlite3.Connection) -> sqlite3.Cursor:
    columns = ", ".join(INDEX_COLUMNS)
    try:
        return conn.execute(f"SELECT {columns}, json_valid(provenance) FROM images ORDER BY id")
    except sqlite3.OperationalError as exc:  # an SQLite built without its JSON functions: every row in Python
        if "json_valid" not in str(exc):
            raise
        return conn.execute(f"SELECT {columns}, 0 FROM images ORDER BY id")


def load_rows(conn: sqlite3.Connection, path: Path) -> tuple[list[tuple], list[str]]:
    """Every usable row of a registry (see :func:`validate_row`) and one warning per row skipped.

    A row staged by an interrupted ``label`` (see :meth:`Registry.stage`) counts only when the file it was
    staged for now holds the bytes it registered; otherwise it is left out (the file was never replaced).
    Usual rows keep their provenance as JSON text (valid for SQLite's ``json_valid``), parsed when a match needs
    it (:func:`row_provenance`).
    """
    tables = _tables(conn)
    pending: dict[int, str] = {}
    if "pending" in tables:
        pending = {int(r[0]): str(r[1]) for r in conn.execute("SELECT id, target FROM pending")}
    rows, warnings = [], []
    cursor = _select_rows(conn)
    while raws := cursor.fetchmany(CLEAN_BATCH):
        for raw, row in zip(raws, _clean_batch(raws)):
            if row is None:
                row, reason = validate_row(tuple(raw[:-1]))
                if row is None:
                    warnings.append(f"registry row #{raw[0]} skipped: {reason}")
                    continue
            if pending:
                target = pending.get(int(row[0]))
                if target is not None and (row[1] is None or _file_sha256(target) != row[1]):
                    continue  # an interrupted label: the labelled file was never put in place
            rows.append(row)
    return rows, warnings


def row_provenance(row: tuple) -> tuple[dict[str, Any], str]:
    """``(provenance, problem)`` of a row from :func:`load_rows`: its provenance as a dict (parsed now when it was
    kept as text) and ``""``, or ``{}`` and why Python's JSON parser refused a text SQLite's accepted."""
    value = row[8]
    if isinstance(value, dict):
        return dict(value), ""
    parsed, problem = json_or_problem(value, f"registry row #{row[0]}", what="provenance JSON")
    return (parsed, "") if parsed is not None else ({}, f"provenance of registry row #{row[0]} {problem}")


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def _uri(path: Path, **query: str) -> str:
    return "file:" + quote(str(path.resolve())) + "?" + urlencode(query)


class Registry:
    """The SQLite registry of synthetic images (see :mod:`misyn_lab.provenance.registry`).

    Each generated image is registered with its provenance, file and pixel hashes and perceptual hashes, so an
    audit finds it later even when its mark was stripped. Every SQLite failure is a designed :class:`InputError`
    (disk full, locked, damaged, not a registry, foreign schema) naming the file and the fix.

    Parameters
    ----------
    path : str or path-like, optional
        The registry file (default: :func:`default_registry_path`).
    readonly : bool, optional
        Open an existing registry for reading only (SQLite ``mode=ro``; on read-only media ``immutable=1``):
        nothing is created or changed. Audits and cards open registries this way.

    One thread at a time may use a registry, not necessarily the one that opened it (a parallel audit builds the
    index in a helper thread while the main thread hands out chunks).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import numpy as np
    >>> from misyn_lab.provenance import Provenance
    >>> registry = Registry(pathlib.Path(tempfile.mkdtemp()) / "registry.sqlite")
    >>> image = np.linspace(0, 1, 1024).reshape(32, 32)
    >>> _ = registry.register(image, Provenance("pca_gaussian"))
    >>> registry.match(image).kind
    'pixels'
    >>> registry.close()
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, *, readonly: bool = False):
        self.path = Path(path).expanduser() if path is not None else default_registry_path()
        self.readonly = bool(readonly)
        if self.path.exists() and self.path.is_dir():
            raise InputError("registry path is a folder", path=self.path, remedy="give a .sqlite file path")
        self._cache: tuple[Any, RegistryIndex] | None = None
        # index builds running (in any thread), and a close asked for meanwhile (done when the last one ends)
        self._building, self._close_pending, self._guard = 0, False, threading.Lock()
        if self.readonly:
            self._conn = self._connect_readonly()
        else:
            with writing(self.path):
                self.path.parent.mkdir(parents=True, exist_ok=True)
            with _sqlite(self.path, "opening the registry"):
                self._conn = sqlite3.connect(str(self.path), timeout=LOCK_TIMEOUT, isolation_level=None,
                                             check_same_thread=False)
        try:
            self._check_schema()
        except BaseException:
            self._conn.close()
            raise

    def _connect_readonly(self) -> sqlite3.Connection:
        if not self.path.is_file():
            raise InputError("registry file does not exist", path=self.path,
                             remedy="register images first (misyn-lab label --registry FILE) or fix the path")
        last: sqlite3.Error | None = None
        for query in ({"mode": "ro"}, {"mode": "ro", "immutable": "1"}):
            try:
                conn = sqlite3.connect(_uri(self.path, **query), uri=True, timeout=LOCK_TIMEOUT,
                                       isolation_level=None, check_same_thread=False)
                conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
                return conn
            except sqlite3.Error as exc:
                last = exc
                code = int(getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF
                if code not in (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_IOERR):
                    break
        assert last is not None
        raise registry_error(last, self.path, "opening the registry read-only")

    def _check_schema(self) -> None:
        with _sqlite(self.path, "opening the registry"):
            if not self.readonly:
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA synchronous=FULL")
            version = int(self._conn.execute("PRAGMA user_version").fetchone()[0])
            tables = _tables(self._conn)
        if version > SCHEMA_VERSION:
            raise SchemaError(f"registry schema version {version} is newer than this misyn-lab supports "
                              f"({SCHEMA_VERSION})", path=self.path, remedy="upgrade misyn-lab to read this registry")
        foreign = sorted(tables - {"images", "sqlite_sequence", "pending"})
        if version == 0:
            if foreign:
                raise InputError("not a misyn-lab registry: the SQLite file holds other tables "
                                 f"({', '.join(foreign[:5])})", path=self.path, remedy="use a new file for the registry")
            if not self.readonly:
                self._create_schema()
            elif "images" not in tables:
                raise InputError("registry file holds no registry yet (empty SQLite file)", path=self.path,
                                 remedy="register images first (misyn-lab label --registry FILE) or fix the path")
        with _sqlite(self.path, "reading the registry schema"):
            columns = {r[1] for r in self._conn.execute("PRAGMA table_info(images)")}
        missing = [c for c in REQUIRED_COLUMNS if c not in columns]
        if missing:
            raise InputError(f"registry has a foreign schema: table 'images' lacks the columns {missing}",
                             path=self.path, remedy="use a registry written by misyn-lab, or a new path")
        if not self.readonly:
            if "pending" not in tables:  # a registry written before two-phase labelling: add the table
                with self._transaction("adding the pending-registrations table"):
                    self._conn.execute(_PENDING_TABLE)
            self._finish_pending()

    def _create_schema(self) -> None:
        with self._transaction("creating the registry"):
            for stmt in filter(None, (s.strip() for s in _SCHEMA.split(";"))):
                self._conn.execute(stmt)
            self._conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    @contextmanager
    def _transaction(self, doing: str) -> Iterator[None]:
        """One write transaction (``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back on any error), SQLite failures
        reported as designed errors naming ``doing``."""
        with _sqlite(self.path, doing):
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield
                self._conn.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise

    def _rollback(self) -> None:
        """Roll back the open transaction, if SQLite has not already done so (it does on SQLITE_FULL, for one)."""
        if self._conn.in_transaction:
            try:
                self._conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass  # the original error is the one to report

    # -------------------------------------------------------------- lifecycle
    def close(self) -> None:
        """Close the registry. While another thread builds the index (a parallel audit interrupted by Ctrl-C), the
        connection is closed when that build ends: closing an SQLite connection under a running query crashes
        the interpreter."""
        with self._guard:
            if self._building:
                self._close_pending = True
                return
        self._conn.close()

    def __enter__(self) -> "Registry":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __len__(self) -> int:
        with _sqlite(self.path, "counting registry rows"):
            return int(self._conn.execute("SELECT COUNT(*) FROM images").fetchone()[0])

    # -------------------------------------------------------------- writing
    def _row(self, item: Any, provenance: Provenance, hashes: ImageHashes | None = None,
             name: str | None = None) -> tuple:
        if not isinstance(provenance, Provenance):
            raise InputError("provenance must be a Provenance object", path="provenance")
        h = hashes if hashes is not None else hashes_of(item)
        if name is None:
            name = "" if isinstance(item, np.ndarray) else Path(item).name
        created = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
        shape = h.shape + (0, 0)
        algorithm = "phash+dhash+thumb32" if h.perceptual.hash_size else "sha256+voxels"
        return (h.sha256, h.pixel_sha256, h.perceptual.phash, h.perceptual.dhash, h.perceptual.thumb,
                algorithm, h.perceptual.hash_size, h.perceptual.imagehash_version, shape[0], shape[1], name,
                provenance.to_json(), created)

    def _writable(self, doing: str) -> None:
        if self.readonly:
            raise InputError(f"registry was opened read-only; cannot {doing}", path=self.path,
                             remedy="open it with Registry(path) to write")

    def _insert(self, row: tuple) -> int:
        cur = self._conn.execute(
            "INSERT INTO images (sha256, pixel_sha256, phash, dhash, thumb, hash_algorithm, hash_size, "
            "imagehash_version, height, width, source_name, provenance, created) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", row)
        return int(cur.lastrowid)

    def register_many(self, items: Iterable[tuple[Any, Provenance]]) -> list[int]:
        """Register ``(path_or_array, provenance)`` pairs in ONE transaction (all or nothing)."""
        self._writable("register images")
        ids: list[int] = []
        with self._transaction("registering images"):
            for item, provenance in items:
                ids.append(self._insert(self._row(item, provenance)))
        self._cache = None
        return ids

    def register(self, item: str | os.PathLike[str] | np.ndarray, provenance: Provenance) -> int:
        """Register one synthetic image (file or array); returns its registry id."""
        return self.register_many([(item, provenance)])[0]

    # -------------------------------------------------------------- two-phase registration (label)
    def stage(self, hashes: ImageHashes, provenance: Provenance, target: str | os.PathLike[str],
              temp: str | os.PathLike[str]) -> int:
        """Register the hashes of a file about to be put at ``target`` (now written at ``temp``), in one
        committed transaction, marked *pending* until :meth:`confirm`.

        A pending row counts only while ``target`` holds the registered bytes, so a process killed between
        this call and the rename of ``temp`` over ``target`` leaves no effective row for a file that was
        never replaced; :meth:`confirm` (or the next writable open) makes the row final.
        """
        self._writable("stage a registration")
        row = self._row(None, provenance, hashes=hashes, name=Path(target).name)
        with self._transaction("registering the labelled file"):
            rid = self._insert(row)
            self._conn.execute("INSERT INTO pending (id, target, temp) VALUES (?,?,?)",
                               (rid, str(Path(target).resolve()), str(temp)))
        self._cache = None
        return rid

    def confirm(self, rid: int) -> None:
        """Make a staged row final (its file is in place)."""
        with _sqlite(self.path, "confirming the registry row"):
            self._conn.execute("DELETE FROM pending WHERE id = ?", (int(rid),))
        self._cache = None

    def abandon(self, rid: int) -> None:
        """Remove a staged row whose file was never put in place."""
        with self._transaction("removing an unfinished registry row"):
            self._conn.execute("DELETE FROM pending WHERE id = ?", (int(rid),))
            self._conn.execute("DELETE FROM images WHERE id = ?", (int(rid),))
        self._cache = None

    def _finish_pending(self) -> None:
        """Settle rows staged by an interrupted ``label``: confirm those whose file is in place, drop the rest
        (and their leftover temporary files)."""
        with _sqlite(self.path, "settling unfinished registrations"):
            rows = self._conn.execute(
                "SELECT p.id, p.target, p.temp, i.sha256 FROM pending p LEFT JOIN images i ON i.id = p.id").fetchall()
        for rid, target, temp, sha in rows:
            if sha is not None and _file_sha256(target) == sha:
                self.confirm(rid)
            else:
                self.abandon(rid)
                discard(temp)

    # -------------------------------------------------------------- reading
    def rows(self) -> list[dict[str, Any]]:
        with _sqlite(self.path, "reading registry rows"):
            cur = self._conn.execute("SELECT * FROM images ORDER BY id")
            names = [d[0] for d in cur.description]
            return [{k: v for k, v in zip(names, r) if k != "thumb"} for r in cur.fetchall()]

    def snapshot(self) -> tuple[int, int]:
        """``(rows, largest id)`` of the registry now: it changes whenever an image is registered or removed, so a
        process that reads the file later can tell whether it still sees the same registry.

        Returns
        -------
        tuple of int
            Number of rows and the largest row id (0 when empty).

        Examples
        --------
        >>> import pathlib, tempfile
        >>> import numpy as np
        >>> from misyn_lab.provenance import Provenance
        >>> with Registry(pathlib.Path(tempfile.mkdtemp()) / "registry.sqlite") as registry:
        ...     before = registry.snapshot()
        ...     _ = registry.register(np.eye(16), Provenance("pca_gaussian"))
        ...     before, registry.snapshot()
        ((0, 0), (1, 1))
        """
        with _sqlite(self.path, "reading the registry"):
            count, last = self._conn.execute("SELECT COUNT(*), COALESCE(MAX(id), 0) FROM images").fetchone()
        return int(count), int(last)

    def index(self) -> "RegistryIndex":
        """An in-memory, read-only, thread-safe snapshot of the registry for matching many images.

        Rows that cannot be used (bad hashes, wrong thumbnail size, unreadable provenance) are left out and
        listed in :attr:`RegistryIndex.warnings`.
        """
        with self._guard:
            self._building += 1
        try:
            with _sqlite(self.path, "reading the registry"):
                key = self._conn.execute("SELECT COUNT(*), COALESCE(MAX(id), 0) FROM images").fetchone()
                if self._cache is None or self._cache[0] != key:
                    rows, warnings = load_rows(self._conn, self.path)
                    self._cache = (key, RegistryIndex(rows, warnings))
            return self._cache[1]
        finally:
            with self._guard:
                self._building -= 1
                close_now = self._close_pending and not self._building
            if close_now:
                self._conn.close()

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
    """Registry rows held in memory for fast, thread-safe matching (see :meth:`Registry.index`).

    ``rows`` are validated rows (:func:`validate_row`: provenance already parsed); ``warnings`` name the rows
    that were skipped.
    """

    def __init__(self, rows: list[tuple], warnings: Iterable[str] = ()):
        self.warnings = list(warnings)
        self._by_sha: dict[str, tuple] = {}
        self._by_pixels: dict[str, tuple] = {}
        for r in rows:
            if r[1]:
                self._by_sha.setdefault(r[1], r)
            if r[2]:
                self._by_pixels.setdefault(r[2], r)
        comparable = [r for r in rows if r[6] == hashing.HASH_SIZE and r[7] == hashing.IMAGEHASH_VERSION]
        self._rows = comparable
        self._thumbs = (np.frombuffer(b"".join(r[5] for r in comparable), np.uint8).reshape(len(comparable), -1)
                        if comparable else np.zeros((0, hashing.THUMB_SIDE ** 2), np.uint8))
        self.n_rows = len(rows)
        # exact index for the perceptual rule (same decisions as the linear scan, see perceptual_index.py)
        self._perceptual = PerceptualIndex([r[3] for r in comparable], [r[4] for r in comparable], self._thumbs,
                                           phash_max=PHASH_MAX, dhash_max=DHASH_MAX, rmse_max=THUMB_RMSE_MAX)

    @staticmethod
    def _match(kind: str, r: tuple, dp: int = 0, dd: int = 0, rmse: float = 0.0) -> Match:
        provenance, problem = row_provenance(r)
        return Match(kind, int(r[0]), provenance, dp, dd, rmse, r[9] or "", problem)

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
        return self.match_many([h])[0]

    def match_many(self, hashes: Sequence[ImageHashes]) -> list[Match | None]:
        """``[self.match_hashes(h) for h in hashes]``, the perceptual index asked once for all of them."""
        out: list[Match | None] = []
        ask: list[int] = []
        for h in hashes:
            out.append(self._exact(h))
            if out[-1] is None and self._rows and h.perceptual.informative:
                ask.append(len(out) - 1)  # a flat image looks like every other flat image: never asked
        for k, hit in zip(ask, self._perceptual.best_many([hashes[k].perceptual for k in ask])):
            if hit is not None:
                out[k] = self._match("perceptual", self._rows[hit.position], hit.phash_distance,
                                     hit.dhash_distance, hit.thumb_rmse)
        return out

    @cached_property
    def _bits(self) -> tuple[np.ndarray, np.ndarray]:
        """pHash and dHash bit matrices of the comparable rows (built on the first linear scan)."""
        n_bits = hashing.HASH_SIZE * hashing.HASH_SIZE
        return (hashing.hex_to_bits([r[3] for r in self._rows], n_bits),
                hashing.hex_to_bits([r[4] for r in self._rows], n_bits))

    def match_hashes_linear(self, h: ImageHashes) -> Match | None:
        """:meth:`match_hashes` by scanning every registered row (the reference the index is tested against)."""
        exact = self._exact(h)
        if exact is not None or not self._rows or not h.perceptual.informative:
            return exact
        pbits, dbits = self._bits
        n_bits = pbits.shape[1]
        dp = (pbits != hashing.hex_to_bits([h.perceptual.phash], n_bits)[0]).sum(axis=1)
        dd = (dbits != hashing.hex_to_bits([h.perceptual.dhash], n_bits)[0]).sum(axis=1)
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

    A registry object is passed through and left open (the caller owns it); a registry opened here from a path is
    closed when the block ends (labelling/exporting opens it for writing; auditing and cards only read it and open
    it read-only, which also works on read-only media).

    Parameters
    ----------
    registry : Registry, str, path-like or None
        The registry.
    create : bool, optional
        Create the file when it does not exist.

    Yields
    ------
    Registry
        The open registry.

    Raises
    ------
    InputError
        A path that does not exist (unless ``create``), or a file that is not a registry.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "registry.sqlite"
    >>> with open_registry(path, create=True) as registry:
    ...     registry.rows()
    []
    """
    if isinstance(registry, Registry):
        yield registry
        return
    path = Path(registry).expanduser() if registry is not None else default_registry_path()
    if not create and not path.exists():
        raise InputError("registry file does not exist", path=path,
                         remedy="register images first (misyn-lab label --registry FILE) or fix the path")
    reg = Registry(path, readonly=not create)
    try:
        yield reg
    finally:
        reg.close()
