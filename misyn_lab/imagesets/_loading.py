"""Shared loader machinery: collecting files, skip-or-raise, scaling raw values, assembling an ImageSet."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from misyn_lab.errors import InputError
from misyn_lab.imagesets._raster import RASTER_SUFFIXES, RawFrame
from misyn_lab.imagesets.core import ImageSet, SkippedFile
from misyn_lab.imagesets.intensity import luminance, normalise_intensity

NIFTI_SUFFIXES = (".nii", ".nii.gz")
NPZ_SUFFIXES = (".npz", ".npy")
#: Show a progress bar when a loader reads more files than this.
PROGRESS_THRESHOLD = 200

Record = tuple[np.ndarray, dict[str, Any]]


def check_on_error(on_error: str) -> None:
    if on_error not in ("raise", "skip"):
        raise InputError(f"on_error must be 'raise' or 'skip', got {on_error!r}", path="on_error")


def check_options(*, size: Any = None, max_pixels: Any = None) -> None:
    """Refuse a bad ``size`` (two positive integers) or ``max_pixels`` (a positive integer) before any file is read."""
    if size is not None:
        ok = isinstance(size, (tuple, list)) and len(size) == 2 and all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 1 for v in size)
        if not ok:
            raise InputError(f"size must be two positive integers (height, width), got {size!r}", path="size",
                             remedy="pass e.g. size=(64, 64)")
    if max_pixels is not None and (isinstance(max_pixels, bool) or not isinstance(max_pixels, (int, np.integer))
                                   or max_pixels < 1):
        raise InputError(f"max_pixels must be a positive integer, got {max_pixels!r}", path="max_pixels",
                         remedy="leave it at the default (64,000,000 pixel values)")


def suffix(path: str | os.PathLike[str]) -> str:
    """The lower-case file suffix, ``.nii.gz`` counted as one."""
    name = os.path.basename(os.fspath(path).rstrip(os.sep)).lower()  # Path(path).name, without building a Path
    if name.endswith(".nii.gz"):
        return ".nii.gz"
    dot = name.rfind(".")
    return name[dot:] if 0 < dot < len(name) - 1 else ""  # Path.suffix's rule


def collect(path: Path, accept: Callable[[Path], bool], recursive: bool) -> tuple[list[Path], list[Path]]:
    """Files under ``path`` (sorted) split into accepted and other (hidden files ignored)."""
    if not path.exists():
        raise InputError("no such file or folder", path=path, remedy="check the path")
    if path.is_file():
        return ([path], []) if accept(path) else ([], [path])
    it = path.rglob("*") if recursive else path.glob("*")
    files = sorted(p for p in it if p.is_file()
                   and not any(part.startswith(".") for part in p.relative_to(path).parts))
    return [p for p in files if accept(p)], [p for p in files if not accept(p)]


def progress(items: Sequence[Any], desc: str) -> Iterable[Any]:
    if len(items) <= PROGRESS_THRESHOLD:
        return items
    from tqdm.auto import tqdm

    return tqdm(items, desc=desc, disable=None)


def read_all(files: Sequence[Path], reader: Callable[[Path], list[Record]], on_error: str,
              desc: str) -> tuple[list[Record], list[SkippedFile]]:
    records: list[Record] = []
    skipped: list[SkippedFile] = []
    for f in progress(files, desc):
        try:
            records.extend(reader(f))
        except InputError as exc:
            if on_error == "raise":
                raise
            skipped.append(SkippedFile(text_path(f), exc.message + (f" (fix: {exc.remedy})" if exc.remedy else "")))
    return records, skipped


def warn_skipped(name: str, skipped: list[SkippedFile], total: int) -> None:
    if skipped:
        warnings.warn(f"{name}: skipped {len(skipped)} of {total} file(s) that could not be read "
                      f"(listed in ImageSet.skipped); first: {skipped[0]}", UserWarning, stacklevel=3)


def unit(raw: np.ndarray, where: str) -> tuple[np.ndarray, dict[str, Any]]:
    """Raw frame -> [0, 1] float32 plus a record of the original range and the scaling used."""
    a = np.asarray(raw)
    if a.dtype == bool:
        return a.astype(np.float32), {"orig_min": 0, "orig_max": 1, "intensity_scaling": "boolean"}
    if np.issubdtype(a.dtype, np.floating) and a.size and not np.isfinite(a).all():
        raise InputError("contains NaN or infinite values", path=where,
                         remedy="replace them first (e.g. numpy.nan_to_num) or pass on_error='skip'")
    lo, hi = (float(a.min()), float(a.max())) if a.size else (0.0, 0.0)
    info: dict[str, Any] = {"orig_min": lo, "orig_max": hi}
    if a.dtype == np.uint8:
        info["intensity_scaling"] = "divided by 255"
        return (a.astype(np.float32) / 255.0), info
    info["intensity_scaling"] = "per-image min-max"
    return normalise_intensity(a, where=where), info


def shape_key(img: np.ndarray) -> tuple[int, ...]:
    return tuple(int(s) for s in img.shape)


def assemble(records: list[Record], *, size: tuple[int, int] | None, grey: bool | None, name: str,
              skipped: list[SkippedFile], synthetic: bool, where: str) -> ImageSet:
    if not records:
        if skipped:
            raise InputError(f"none of the {len(skipped)} file(s) could be read; first: {skipped[0]}",
                             path=where, remedy="fix the files listed")
        raise InputError("no images found", path=where, remedy="point to a folder or file with images")
    colour = [im.ndim == 3 for im, _ in records]
    if grey is None and any(colour) and not all(colour):
        examples = [f"{info['source_path']} ({'RGB' if c else 'grey'})"
                    for (im, info), c in list(zip(records, colour))[:4]]
        raise InputError(f"mixed grey and colour images, e.g. {examples}", path=where,
                         remedy="pass grey=True (convert colour to grey) or grey=False (grey to RGB)")
    images = []
    for im, info in records:
        if grey is True and im.ndim == 3:
            im = np.clip(luminance(im), 0.0, 1.0)
            info["notes"] = "; ".join(filter(None, [info.get("notes", ""), "converted RGB -> grey"]))
        elif grey is False and im.ndim == 2:
            im = np.repeat(im[..., None], 3, axis=2)
        info.setdefault("orig_height", int(im.shape[0]))
        info.setdefault("orig_width", int(im.shape[1]))
        images.append(im.astype(np.float32))
    shapes = {shape_key(im) for im in images}
    if size is None and len(shapes) > 1:
        by_shape: dict[tuple[int, ...], str] = {}
        for im, (_, info) in zip(images, records):
            by_shape.setdefault(shape_key(im), str(info["source_path"]))
        listing = ", ".join(f"{Path(p).name} {s}" for s, p in list(by_shape.items())[:4])
        raise InputError(f"images have {len(shapes)} different shapes: {listing}", path=where,
                         remedy="pass size=(H, W) to resize every image to one shape")
    if size is not None:
        from skimage.transform import resize

        h, w = int(size[0]), int(size[1])
        if h < 1 or w < 1:
            raise InputError(f"size must be two positive integers, got {size}", path=where)
        images = [im if im.shape[:2] == (h, w) else
                  np.clip(resize(im, (h, w) + im.shape[2:], order=1, anti_aliasing=True, preserve_range=True),
                          0.0, 1.0).astype(np.float32) for im in images]
    import pandas as pd  # here, not at import: the file readers that import this module never need it

    meta = pd.DataFrame([info for _, info in records])
    meta["synthetic"] = bool(synthetic)
    ids = meta["id"].astype(str)
    if ids.duplicated().any():
        counts: dict[str, int] = {}
        new = []
        for i in ids:
            counts[i] = counts.get(i, 0) + 1
            new.append(i if counts[i] == 1 else f"{i}~{counts[i]}")
        meta["id"] = new
    return ImageSet(np.stack(images), meta, name=name, skipped=list(skipped))


def text_path(path: str | os.PathLike[str]) -> str:
    """A path as valid UTF-8 text: file-name bytes that are not UTF-8 (kept by Python as surrogate escapes)
    become ``\\xNN``, so ids and metadata can be written to YAML/JSON/HTML (a notebook, a review, a report)."""
    text = os.fspath(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(text).decode("utf-8", "backslashreplace")
    return text


def rel_id(path: Path, root: Path) -> str:
    try:
        rel = path.relative_to(root)
    except ValueError:
        rel = Path(path.name)
    text = text_path(rel.as_posix())
    for suf in (".nii.gz",) + tuple(RASTER_SUFFIXES) + (".dcm", ".dicom", ".npz", ".npy", ".nii"):
        if text.lower().endswith(suf):
            return text[: -len(suf)]
    return text


def frames_to_records(frames: list[RawFrame], path: Path, root: Path,
                       scale: Callable[[RawFrame, str], tuple[np.ndarray, dict[str, Any]]]) -> list[Record]:
    out = []
    base_id = rel_id(path, root)
    for fr in frames:
        img, extra = scale(fr, str(path))
        info = {"id": base_id + (f"#{fr.info['frame']}" if fr.info.get("frame", "") != "" else ""),
                "source_path": text_path(path), "orig_height": int(fr.pixels.shape[0]),
                "orig_width": int(fr.pixels.shape[1]), **fr.info, **extra}
        out.append((img, info))
    return out


def root_of(path: Path, files: Sequence[Path]) -> Path:
    if path.is_dir():
        return path
    parents = [str(f.parent) for f in files]
    return Path(os.path.commonpath(parents)) if parents else path.parent

