"""Loaders: folders of PNG/JPEG/TIFF, DICOM files, NIfTI volumes, ``.npz`` arrays -> :class:`ImageSet`.

Every loader maps raw values to float32 in [0, 1] and records how (``orig_dtype``, ``orig_min``,
``orig_max``, ``intensity_scaling``) so 16-bit, signed or Hounsfield data is never clipped unseen.
A file that cannot be used raises :class:`~misyn_lab.errors.InputError` naming the file and the remedy,
or, with ``on_error="skip"``, is listed in :attr:`ImageSet.skipped` and announced with a warning.
NIfTI and ``.npz`` loaders live in :mod:`.nifti` and :mod:`.npz` and are re-exported here.
"""

from __future__ import annotations

import inspect
import os
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from misyn_lab.errors import InputError
from misyn_lab.imagesets._dicom import looks_like_dicom, read_dicom
from misyn_lab.imagesets._loading import (NIFTI_SUFFIXES, NPZ_SUFFIXES, Record, assemble, check_on_error, check_options,
                                          collect,
                                          frames_to_records, read_all, rel_id, root_of, suffix, unit, warn_skipped)
from misyn_lab.imagesets._raster import RASTER_SUFFIXES, RawFrame, read_raster
from misyn_lab.imagesets.budget import DEFAULT_MAX_PIXELS
from misyn_lab.imagesets.core import ImageSet
from misyn_lab.imagesets.intensity import apply_window
from misyn_lab.imagesets.nifti import load_nifti
from misyn_lab.imagesets.npz import load_npz

__all__ = ["load_folder", "load_dicom", "load_nifti", "load_npz", "load_images"]


def load_folder(path: str | os.PathLike[str], *, size: tuple[int, int] | None = None, grey: bool | None = None,
                on_error: str = "raise", recursive: bool = True, synthetic: bool = False,
                max_pixels: int = DEFAULT_MAX_PIXELS, alpha: str = "drop", name: str | None = None) -> ImageSet:
    """Load every PNG/JPEG/TIFF file in a folder (or one file) into an :class:`ImageSet`.

    8-bit images are divided by 255; 16-bit, signed and float images are scaled per image with min-max to [0, 1]
    and their original dtype and range are recorded (never clipped). RGBA drops the alpha channel with a note
    (``alpha="error"`` refuses instead). A file declaring more than ``max_pixels`` pixel values (height × width ×
    samples over all its pages; :mod:`~misyn_lab.imagesets.budget`) is refused before decoding; with ``size`` large
    JPEGs are decoded at reduced scale (Pillow draft).

    Parameters
    ----------
    path : str or path-like
        A folder or one image file.
    size : (int, int), optional
        Resize every image to (H, W); needed when the files have mixed shapes.
    grey : bool, optional
        Convert to grey (``True``) or to colour (``False``); needed for mixed grey/colour files.
    on_error : {"raise", "skip"}, optional
        ``"skip"`` lists unreadable files in ``.skipped`` instead of raising.
    recursive : bool, optional
        Look into subfolders.
    synthetic : bool, optional
        Mark every image synthetic.
    max_pixels : int, optional
        Pixel budget per file.
    alpha : {"drop", "error"}, optional
        What to do with an alpha channel.
    name : str, optional
        Name of the set (default: the folder name).

    Returns
    -------
    ImageSet
        One row per image, with ``source_path`` and the file properties as metadata.

    Raises
    ------
    InputError
        A missing or empty folder, an unreadable file (with ``on_error="raise"``), mixed shapes without ``size``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import numpy as np
    >>> from PIL import Image
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> for i in range(3):
    ...     Image.fromarray(np.full((8, 8), 60 * i, np.uint8)).save(folder / f"img{i}.png")
    >>> images = load_folder(folder)
    >>> len(images), images.images.shape[1:], round(float(images.images[1].max()), 3)
    (3, (8, 8), 0.235)
    """
    check_on_error(on_error)
    check_options(size=size, max_pixels=max_pixels)
    root = Path(path)
    files, others = collect(root, lambda p: suffix(p) in RASTER_SUFFIXES, recursive)
    if not files:
        hint = ""
        if any(looks_like_dicom(p) for p in others):
            hint = "; it holds DICOM files: use load_dicom or load_images"
        elif any(suffix(p) in NIFTI_SUFFIXES for p in others):
            hint = "; it holds NIfTI files: use load_nifti or load_images"
        what = f"{len(others)} other file(s), e.g. {[p.name for p in others[:3]]}" if others else "no files"
        raise InputError(f"no PNG/JPEG/TIFF images found ({what}){hint}", path=root,
                         remedy=f"point to a folder with files ending in {', '.join(RASTER_SUFFIXES)}")
    if others and root.is_dir():
        warnings.warn(f"{root}: ignored {len(others)} file(s) that are not PNG/JPEG/TIFF, e.g. "
                      f"{[p.name for p in others[:3]]}", UserWarning, stacklevel=2)

    reader = raster_reader(root if root.is_dir() else None, max_pixels=max_pixels, alpha=alpha, target=size)
    records, skipped = read_all(files, reader, on_error, f"reading {root.name}")
    label = name or (rel_id(root, root.parent) or "images")
    warn_skipped(label, skipped, len(files))
    return assemble(records, size=size, grey=grey, name=label, skipped=skipped, synthetic=synthetic,
                     where=str(root))


def load_dicom(path_or_paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]], *,
               size: tuple[int, int] | None = None, grey: bool | None = None, on_error: str = "raise",
               recursive: bool = True, synthetic: bool = False, window: str | tuple[float, float] | None = None,
               max_pixels: int = DEFAULT_MAX_PIXELS, name: str | None = None) -> ImageSet:
    """Load DICOM files (a file, a folder, or a list of files); multi-frame objects become one image per frame.

    Rescale slope/intercept is applied, then each frame is scaled to [0, 1]: per-frame min-max by default,
    ``window="file"`` uses the file's first Window Center/Width (min-max where absent), and ``window=(center,
    width)`` applies that window. The real attributes the file states (modality, body part, sex, age, burned-in
    annotation) become metadata columns.

    Parameters
    ----------
    path_or_paths : str, path-like or sequence of them
        A ``.dcm`` file, a folder of them, or a list of files.
    size, grey, on_error, recursive, synthetic, max_pixels, name
        As for :func:`load_folder`.
    window : "file" or (float, float), optional
        Intensity window (see above); ``None``: per-frame min-max.

    Returns
    -------
    ImageSet
        One row per frame with the DICOM attributes as metadata.

    Raises
    ------
    InputError
        A missing file, a file that is not DICOM or has no pixel data (with ``on_error="raise"``).

    Examples
    --------
    >>> from pydicom.data import get_testdata_file         # a small CT file shipped with pydicom
    >>> ct = load_dicom(get_testdata_file("CT_small.dcm"), size=(32, 32))
    >>> len(ct), ct.meta["modality"].tolist(), ct.images.shape[1:]
    (1, ['CT'], (32, 32))
    """
    check_on_error(on_error)
    check_options(size=size, max_pixels=max_pixels)
    if window is not None and window != "file" and not (
            isinstance(window, (tuple, list)) and len(window) == 2
            and all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) and np.isfinite(v)
                    for v in window)):
        raise InputError(f"window must be None, 'file' or (center, width) numbers, got {window!r}", path="window")
    if isinstance(path_or_paths, (str, os.PathLike)):
        root = Path(path_or_paths)
        files, others = collect(root, looks_like_dicom, recursive)
        where = str(root)
        if not files:
            raise InputError(f"no DICOM files found ({len(others)} other file(s))", path=root,
                             remedy="point to .dcm files (or suffix-less files with a DICM header)")
    else:
        files = [Path(p) for p in path_or_paths]
        if not files:
            raise InputError("empty list of DICOM files", path="load_dicom", remedy="pass at least one file")
        missing = [str(p) for p in files if not p.is_file()]
        if missing:
            raise InputError(f"{len(missing)} file(s) do not exist, e.g. {missing[:3]}", path=missing[0],
                             remedy="check the paths")
        root, where = root_of(Path(files[0]), files), "DICOM list"

    id_root = root if root.is_dir() else root.parent
    records, skipped = read_all(files, dicom_reader(id_root, window=window, max_pixels=max_pixels), on_error,
                                "reading DICOM")
    label = name or (rel_id(root, root.parent) or "dicom")
    warn_skipped(label, skipped, len(files))
    blank_windows(records)
    return assemble(records, size=size, grey=grey, name=label, skipped=skipped, synthetic=synthetic, where=where)


def raster_reader(id_root: Path | None, *, max_pixels: int = DEFAULT_MAX_PIXELS, alpha: str = "drop",
                  target: tuple[int, int] | None = None) -> Callable[[Path], list[Record]]:
    """The per-file reader of :func:`load_folder`: PNG/JPEG/TIFF file -> records (ids relative to ``id_root``,
    or to the file's own folder when ``None``). ``target`` (the size the images will be resized to) lets large
    JPEGs decode at reduced scale. Also used by the file-backed :class:`~.files.ImageFiles`."""

    def scale(fr: RawFrame, where: str) -> tuple[np.ndarray, dict[str, Any]]:
        return unit(fr.pixels, where)

    def reader(f: Path) -> list[Record]:
        return frames_to_records(read_raster(f, max_pixels=max_pixels, alpha=alpha, target=target), f,
                                  f.parent if id_root is None else id_root, scale)

    return reader


def dicom_reader(id_root: Path, *, window: str | tuple[float, float] | None = None,
                 max_pixels: int = DEFAULT_MAX_PIXELS) -> Callable[[Path], list[Record]]:
    """The per-file reader of :func:`load_dicom` (one record per frame; see its ``window``)."""

    def scale(fr: RawFrame, where_: str) -> tuple[np.ndarray, dict[str, Any]]:
        px = fr.pixels
        if px.ndim == 3 and px.dtype == np.uint8:
            return unit(px, where_)
        c, w = (fr.info.get("window_center"), fr.info.get("window_width")) if window == "file" else \
            (window if window is not None else (None, None))
        if c is not None and w is not None and px.ndim == 2:
            lo, hi = float(px.min()), float(px.max())
            return apply_window(px, float(c), float(w), where=where_), {
                "orig_min": lo, "orig_max": hi, "intensity_scaling": f"window center {c} width {w}"}
        return unit(px, where_)

    def reader(f: Path) -> list[Record]:
        return frames_to_records(read_dicom(f, max_pixels=max_pixels), f, id_root, scale)

    return reader


def blank_windows(records: list[Record]) -> None:
    """DICOM records: an absent window centre/width becomes ``""`` (one column type for the metadata)."""
    for _, info in records:
        for k in ("window_center", "window_width"):
            info[k] = "" if info.get(k) is None else info[k]


def _call(loader: Callable[..., ImageSet], path: Path, kwargs: dict[str, Any]) -> ImageSet:
    """Call ``loader`` after checking that it accepts every option given to :func:`load_images`."""
    accepted = set(inspect.signature(loader).parameters)
    unknown = sorted(set(kwargs) - accepted)
    if unknown:
        raise InputError(f"option(s) {unknown} do not apply to {loader.__name__}", path=path,
                         remedy=f"{loader.__name__} accepts {sorted(accepted - {'path', 'path_or_paths'})}")
    return loader(path, **kwargs)


def load_images(path: str | os.PathLike[str], **kwargs: Any) -> ImageSet:
    """Pick the loader by what ``path`` is: folder, ``.dcm``, ``.nii[.gz]``, ``.npz/.npy`` or an image file.

    Parameters
    ----------
    path : str or path-like
        A folder, or one file of a supported format.
    **kwargs
        Options of the chosen loader (:func:`load_folder`, :func:`load_dicom`, :func:`load_nifti`,
        :func:`load_npz`).

    Returns
    -------
    ImageSet
        The images.

    Raises
    ------
    InputError
        A missing path, an unknown format, or an option the chosen loader does not take.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import numpy as np
    >>> from PIL import Image
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> for i in range(3):
    ...     Image.fromarray(np.full((8, 8), 60 * i, np.uint8)).save(folder / f"img{i}.png")
    >>> len(load_images(folder, size=(4, 4)))
    3
    >>> load_images(folder, axis=2)
    Traceback (most recent call last):
    ...
    misyn_lab.errors.InputError: ...: option(s) ['axis'] do not apply to load_folder (fix: ...)
    """
    if not isinstance(path, (str, os.PathLike)):
        raise InputError(f"expected a file or folder path, got {type(path).__name__}", path=repr(path)[:80],
                         remedy="pass a str or pathlib.Path")
    p = Path(path)
    if not p.exists():
        raise InputError("no such file or folder", path=p, remedy="check the path")
    suf = suffix(p)
    if p.is_dir():
        rasters, others = collect(p, lambda f: suffix(f) in RASTER_SUFFIXES, kwargs.get("recursive", True))
        if rasters:
            return _call(load_folder, p, kwargs)
        if any(looks_like_dicom(f) for f in others):
            return _call(load_dicom, p, kwargs)
        raise InputError(f"no loadable images found ({len(others)} other file(s))", path=p,
                         remedy="use a folder of PNG/JPEG/TIFF or DICOM files")
    if suf in NIFTI_SUFFIXES:
        return _call(load_nifti, p, kwargs)
    if suf in NPZ_SUFFIXES:
        return _call(load_npz, p, kwargs)
    if looks_like_dicom(p):
        return _call(load_dicom, p, kwargs)
    if suf in RASTER_SUFFIXES:
        return _call(load_folder, p, kwargs)
    raise InputError(f"unsupported file type {suf or '(no suffix)'}", path=p,
                     remedy="use PNG/JPEG/TIFF, DICOM (.dcm), NIfTI (.nii/.nii.gz) or .npz/.npy")
