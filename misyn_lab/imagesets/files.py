"""`ImageFiles`: a file-backed image collection read chunk by chunk (for sets too large to hold in memory).

An :class:`ImageFiles` is only a sorted list of files plus how to read them (the options of
:func:`~misyn_lab.imagesets.loaders.load_folder` / :func:`~misyn_lab.imagesets.loaders.load_dicom`). Pixels are
read when asked for, a chunk of files at a time, through the same per-file readers as those loaders, and each
chunk is an ordinary :class:`~misyn_lab.imagesets.core.ImageSet` (still the only in-memory image container). So
decoding, scaling and resizing rules live in one place, and::

    ImageFiles.from_folder(path, **options).to_imageset()  ==  load_folder(path, **options)

(same pixels, same metadata, same skipped files; tested). Rules that span the whole set are kept across chunks:
one image shape (unless ``size=`` is given), no mix of grey and colour (unless ``grey=`` is given), unique ids
(``name~2`` for a repeated id, as the loaders do). A chunk is described by a picklable :class:`ChunkSpec`, so a
chunk can be read in another process (:mod:`misyn_lab.engine`). Every file's content hash (SHA-256 of its bytes)
is recorded beside its images.

Supported: folders or lists of PNG/JPEG/TIFF files or of DICOM files. NIfTI volumes and ``.npz`` stacks are single
files: use :func:`~misyn_lab.imagesets.loaders.load_nifti` / ``load_npz``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from misyn_lab.errors import InputError
from misyn_lab.imagesets._dicom import looks_like_dicom
from misyn_lab.imagesets._loading import (assemble, check_on_error, collect, read_all, rel_id, suffix,
                                          warn_skipped)
from misyn_lab.imagesets._raster import DEFAULT_MAX_PIXELS, RASTER_SUFFIXES
from misyn_lab.imagesets.core import ImageSet, SkippedFile
from misyn_lab.imagesets.loaders import blank_windows, dicom_reader, raster_reader

#: Pixels (H·W·channels) read per chunk by default: 16 MiB of float32 pixels, e.g. 64 grey images of 256×256;
#: feature extraction needs ~100 bytes per pixel of working memory on top.
CHUNK_PIXELS = 4 * 2**20
KINDS = ("raster", "dicom")


def file_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes (read in 1 MiB blocks)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def unique_ids(ids: Sequence[str]) -> list[str]:
    """Repeated ids get ``~2``, ``~3`` ... in order of appearance (the loaders' rule)."""
    counts: dict[str, int] = {}
    out = []
    for i in ids:
        counts[i] = counts.get(i, 0) + 1
        out.append(i if counts[i] == 1 else f"{i}~{counts[i]}")
    return out


@dataclass(frozen=True)
class ChunkSpec:
    """Everything needed to read one chunk of an :class:`ImageFiles` in any process."""

    files: tuple[str, ...]
    kind: str
    id_root: str | None
    options: tuple[tuple[str, Any], ...]
    name: str
    where: str
    index: int = 0


@dataclass
class ChunkInfo:
    """What the set-wide rules need to know about a chunk, without its pixels (cheap to send between
    processes): number of images, image shape, colour, metadata, ids before the set-wide de-duplication, each
    image's file hash, and the skipped files."""

    n: int
    shape: tuple[int, ...]
    colour: bool
    meta: pd.DataFrame | None
    raw_ids: list[str]
    file_sha256: list[str]
    skipped: list[SkippedFile] = field(default_factory=list)
    index: int = 0


@dataclass
class Chunk:
    """One chunk as read: its images (``None`` when every file of the chunk was skipped) and its
    :class:`ChunkInfo`."""

    images: ImageSet | None
    info: ChunkInfo


def read_chunk(spec: ChunkSpec) -> Chunk:
    """Read the files of one chunk into an ImageSet (module-level so Dask workers can import it)."""
    opts = dict(spec.options)
    files = [Path(f) for f in spec.files]
    root = None if spec.id_root is None else Path(spec.id_root)
    if spec.kind == "raster":
        reader = raster_reader(root, max_pixels=opts["max_pixels"], alpha=opts["alpha"], target=opts["size"])
    else:
        reader = dicom_reader(root if root is not None else files[0].parent, window=opts["window"],
                              max_pixels=opts["max_pixels"])
    records, skipped = read_all(files, reader, opts["on_error"], f"reading {spec.name}")
    if spec.kind == "dicom":
        blank_windows(records)
    if not records:
        return Chunk(None, ChunkInfo(0, (), False, None, [], [], skipped, spec.index))
    hashes: dict[str, str] = {}
    sha = [hashes.setdefault(info["source_path"], file_sha256(info["source_path"])) for _, info in records]
    raw_ids = [str(info["id"]) for _, info in records]
    images = assemble(records, size=opts["size"], grey=opts["grey"], name=spec.name, skipped=skipped,
                      synthetic=opts["synthetic"], where=spec.where)
    return Chunk(images, ChunkInfo(len(images), images.image_shape, images.is_colour, images.meta, raw_ids, sha,
                                   skipped, spec.index))


@dataclass
class ImageFiles:
    """A lazy, file-backed image collection read chunk by chunk (see :mod:`misyn_lab.imagesets.files`).

    Build it with :meth:`from_folder` or :meth:`from_files`; ``len()`` is the number of FILES (a multi-frame file
    gives several images). Features of large collections are computed from it chunk by chunk
    (:func:`misyn_lab.features.extract_table`), so memory is bounded by one chunk.

    Parameters
    ----------
    files : list of Path
        The files, in order.
    kind : {"raster", "dicom"}
        Which reader decodes them.
    id_root : Path or None
        Image ids are the file paths relative to this folder.
    options : dict
        Loader options (``size``, ``grey``, ``on_error``, ``synthetic``, ``max_pixels`` ...).
    name : str
        Name of the collection.
    where : str
        Where it came from (named in messages).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import numpy as np
    >>> from PIL import Image
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> for i in range(3):
    ...     Image.fromarray(np.full((8, 8), 60 * i, np.uint8)).save(folder / f"img{i}.png")
    >>> files = ImageFiles.from_folder(folder)
    >>> len(files), files.to_imageset().images.shape
    (3, (3, 8, 8))
    """

    files: list[Path]
    kind: str
    id_root: Path | None
    options: dict[str, Any]
    name: str
    where: str
    _shape: tuple[int, ...] | None = field(default=None, repr=False, compare=False)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_folder(cls, path: str | os.PathLike[str], *, size: tuple[int, int] | None = None,
                    grey: bool | None = None, on_error: str = "raise", recursive: bool = True,
                    synthetic: bool = False, max_pixels: int = DEFAULT_MAX_PIXELS, alpha: str = "drop",
                    window: str | tuple[float, float] | None = None, name: str | None = None) -> "ImageFiles":
        """Every PNG/JPEG/TIFF file under ``path`` or, when it holds none, every DICOM file. The options mean
        what they mean for :func:`~misyn_lab.imagesets.loaders.load_folder` (``window``: DICOM only)."""
        root = Path(path)
        rasters, others = collect(root, lambda p: suffix(p) in RASTER_SUFFIXES, recursive)
        if rasters:
            files, kind = rasters, "raster"
        else:
            files, kind = [p for p in others if looks_like_dicom(p)], "dicom"
        if not files:
            raise InputError(f"no PNG/JPEG/TIFF or DICOM images found ({len(others)} other file(s))", path=root,
                             remedy="point to a folder of PNG/JPEG/TIFF or DICOM files")
        label = name or (rel_id(root, root.parent) or "images")
        return cls._make(files, kind, root if root.is_dir() else None, label, str(root), size=size, grey=grey,
                         on_error=on_error, synthetic=synthetic, max_pixels=max_pixels, alpha=alpha, window=window)

    @classmethod
    def from_files(cls, files: Sequence[str | os.PathLike[str]], *, root: str | os.PathLike[str] | None = None,
                   kind: str | None = None, name: str = "images", **options: Any) -> "ImageFiles":
        """An explicit list of files (kept in the given order); ids are relative to ``root`` (default: the
        files' common folder). ``kind`` ``"raster"``/``"dicom"`` is taken from the first file when not given."""
        paths = [Path(f) for f in files]
        if not paths:
            raise InputError("empty list of image files", path=name, remedy="pass at least one file")
        missing = [str(p) for p in paths if not p.is_file()]
        if missing:
            raise InputError(f"{len(missing)} file(s) do not exist, e.g. {missing[:3]}", path=missing[0],
                             remedy="check the paths")
        if kind is None:
            kind = "raster" if suffix(paths[0]) in RASTER_SUFFIXES else "dicom"
        id_root = Path(root) if root is not None else Path(os.path.commonpath([str(p.parent) for p in paths]))
        return cls._make(paths, kind, id_root, name, name, **options)

    @classmethod
    def _make(cls, files: list[Path], kind: str, id_root: Path | None, name: str, where: str, *,
              size: tuple[int, int] | None = None, grey: bool | None = None, on_error: str = "raise",
              synthetic: bool = False, max_pixels: int = DEFAULT_MAX_PIXELS, alpha: str = "drop",
              window: str | tuple[float, float] | None = None) -> "ImageFiles":
        check_on_error(on_error)
        if kind not in KINDS:
            raise InputError(f"kind must be one of {list(KINDS)}, got {kind!r}", path=where)
        if alpha not in ("drop", "error"):
            raise InputError(f"alpha must be 'drop' or 'error', got {alpha!r}", path=where)
        if window is not None and window != "file" and not (isinstance(window, (tuple, list)) and len(window) == 2):
            raise InputError(f"window must be None, 'file' or (center, width), got {window!r}", path="window")
        if size is not None:
            if len(size) != 2 or int(size[0]) < 1 or int(size[1]) < 1:
                raise InputError(f"size must be two positive integers, got {size}", path=where)
            size = (int(size[0]), int(size[1]))
        options = {"size": size, "grey": grey, "on_error": on_error, "synthetic": bool(synthetic),
                   "max_pixels": int(max_pixels), "alpha": alpha,
                   "window": tuple(window) if isinstance(window, list) else window}
        return cls(list(files), kind, id_root, options, name, where)

    # ------------------------------------------------------------------ description
    def __len__(self) -> int:
        return len(self.files)

    def __repr__(self) -> str:
        return f"ImageFiles(name={self.name!r}, files={len(self)}, kind={self.kind!r})"

    @property
    def synthetic(self) -> bool:
        """Whether the images are declared synthetic (one flag for the whole collection)."""
        return bool(self.options["synthetic"])

    def with_options(self, **options: Any) -> "ImageFiles":
        """A copy with loader options changed (e.g. ``size=(64, 64)``, ``synthetic=True``)."""
        opts = {**self.options, **options}
        return ImageFiles._make(self.files, self.kind, self.id_root, self.name, self.where, **opts)

    def take(self, positions: Sequence[int] | np.ndarray) -> "ImageFiles":
        """The files at the given positions (in that order), as a new collection."""
        idx = np.asarray(positions, dtype=int)
        return ImageFiles(self.files_at(idx), self.kind, self.id_root, dict(self.options), self.name, self.where)

    def files_at(self, positions: np.ndarray) -> list[Path]:
        return [self.files[int(i)] for i in positions]

    # ------------------------------------------------------------------ chunks
    def chunk_files(self, chunk_size: int | None = None) -> int:
        """Files per chunk: ``chunk_size`` or, by default, as many as keep a chunk near :data:`CHUNK_PIXELS`
        (judged from the first readable file, resized to ``size=`` when given)."""
        if chunk_size is not None:
            if isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
                raise InputError(f"chunk_size must be a positive integer, got {chunk_size!r}", path="chunk_size",
                                 remedy="pass e.g. 256")
            return int(chunk_size)
        per_image = int(np.prod(self.first_shape()))
        return int(max(1, min(4096, CHUNK_PIXELS // max(1, per_image))))

    def first_shape(self) -> tuple[int, ...]:
        """The image shape of the first readable file among the first 20 (``(256, 256)`` if none is), after
        ``size=``; read once and remembered."""
        if self._shape is not None:
            return self._shape
        self._shape = self._read_first_shape()
        return self._shape

    def _read_first_shape(self) -> tuple[int, ...]:
        for f in self.files[:20]:
            spec = ChunkSpec((str(f),), self.kind, _s(self.id_root),
                             tuple(sorted({**self.options, "on_error": "skip"}.items())), self.name, self.where)
            info = read_chunk(spec).info
            if info.n:
                return info.shape
        return (256, 256)

    def specs(self, chunk_size: int | None = None) -> list[ChunkSpec]:
        """The chunks as picklable specs, in file order."""
        step = self.chunk_files(chunk_size)
        opts = tuple(sorted(self.options.items()))
        return [ChunkSpec(tuple(str(f) for f in self.files[i:i + step]), self.kind, _s(self.id_root), opts,
                          self.name, self.where, index=k)
                for k, i in enumerate(range(0, len(self.files), step))]

    def chunks(self, chunk_size: int | None = None) -> Iterator[ImageSet]:
        """The images, chunk by chunk (ImageSets with the set-wide ids), read in this process.

        At most one chunk's pixels are held at a time. Set-wide rules are checked as the chunks come in
        (:class:`ChunkChecker`).
        """
        check = ChunkChecker(self)
        for spec in self.specs(chunk_size):
            images = check.add_images(read_chunk(spec))
            if images is not None:
                yield images
        check.finish()

    def to_imageset(self, chunk_size: int | None = None) -> ImageSet:
        """Every image in memory (what the matching loader returns for the same files and options)."""
        check = ChunkChecker(self)
        parts = [check.add_images(read_chunk(spec)) for spec in self.specs(chunk_size)]
        skipped = check.finish()
        parts = [p for p in parts if p is not None]
        meta = pd.concat([p.meta for p in parts], ignore_index=True)
        return ImageSet(np.concatenate([p.images for p in parts]), meta, name=self.name, skipped=skipped)


def _s(p: Path | None) -> str | None:
    return None if p is None else str(p)


class ChunkChecker:
    """Applies the set-wide rules to chunks in file order: one image shape, grey or colour, unique ids; collects
    the skipped files and the file hashes. Raises :class:`InputError` like the loaders do."""

    def __init__(self, files: ImageFiles):
        self.files = files
        self.shape: tuple[int, ...] | None = None
        self.first_path = ""
        self.colour: bool | None = None
        self.skipped: list[SkippedFile] = []
        self.seen: dict[str, int] = {}
        self.n_images = 0
        self.file_sha256: list[str] = []
        self.ids: list[str] = []

    def add(self, chunk: ChunkInfo) -> list[str]:
        """Check one chunk (in file order) and return its images' set-wide ids."""
        self.skipped.extend(chunk.skipped)
        if chunk.n == 0:
            return []
        opts = self.files.options
        where = self.files.where
        first_here = str(chunk.meta["source_path"].iloc[0]) if chunk.meta is not None else ""
        if opts["grey"] is None and self.colour is not None and chunk.colour != self.colour:
            raise InputError(
                f"mixed grey and colour images, e.g. {self.first_path} ({'RGB' if self.colour else 'grey'}) and "
                f"{first_here} ({'RGB' if chunk.colour else 'grey'})", path=where,
                remedy="pass grey=True (convert colour to grey) or grey=False (grey to RGB)")
        if self.shape is not None and chunk.shape != self.shape:
            raise InputError(
                f"images have 2 different shapes: {Path(self.first_path).name} {self.shape}, "
                f"{Path(first_here).name} {chunk.shape}", path=where,
                remedy="pass size=(H, W) to resize every image to one shape")
        if self.shape is None:
            self.shape, self.colour, self.first_path = chunk.shape, chunk.colour, first_here
        ids = []
        for raw in chunk.raw_ids:
            self.seen[raw] = self.seen.get(raw, 0) + 1
            ids.append(raw if self.seen[raw] == 1 else f"{raw}~{self.seen[raw]}")
        self.n_images += chunk.n
        self.file_sha256.extend(chunk.file_sha256)
        self.ids.extend(ids)
        return ids

    def add_images(self, chunk: Chunk) -> ImageSet | None:
        """:meth:`add` for a chunk with pixels: its ImageSet with the set-wide ids (``None`` if it has none)."""
        ids = self.add(chunk.info)
        images = chunk.images
        if images is None:
            return None
        if ids != images.ids:
            images = ImageSet(images.images, images.meta.assign(id=ids), name=images.name,
                              skipped=list(images.skipped))
        return images

    def finish(self) -> list[SkippedFile]:
        """After the last chunk: the skipped files (announced with one warning); InputError when nothing was
        readable."""
        if self.n_images == 0:
            if self.skipped:
                raise InputError(f"none of the {len(self.skipped)} file(s) could be read; first: {self.skipped[0]}",
                                 path=self.files.where, remedy="fix the files listed")
            raise InputError("no images found", path=self.files.where, remedy="point to a folder with images")
        warn_skipped(self.files.name, self.skipped, len(self.files))
        return list(self.skipped)


def split_positions(n: int, *, seed: int = 0, holdout: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """Seeded split of ``n`` rows into sorted (train, held-out) positions: a random permutation, the first
    ``max(1, round(n · holdout))`` positions held out (the rule of ``workbook.split_real``)."""
    if not 0 < holdout < 1:
        raise InputError(f"holdout must be between 0 and 1, got {holdout}", path="holdout",
                         remedy="give the held-out share as a fraction, e.g. 0.3")
    order = np.random.default_rng(seed).permutation(n)
    cut = max(1, int(round(n * holdout)))
    return np.sort(order[cut:]), np.sort(order[:cut])
