"""Read one DICOM file with pydicom into frames of modality values (rescale slope/intercept applied)."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from misyn_lab.errors import InputError
from misyn_lab.imagesets._raster import RawFrame
from misyn_lab.imagesets.budget import DEFAULT_MAX_PIXELS, check_budget

DICOM_SUFFIXES = (".dcm", ".dicom")
DECODER_REMEDY = ("install a decoder for this transfer syntax: pip install pylibjpeg pylibjpeg-libjpeg "
                  "pylibjpeg-openjpeg (or python-gdcm), or pass on_error='skip'")


def has_dicm_marker(head: bytes) -> bool:
    """True when ``head`` (a file's first bytes, at least 132) carries the 'DICM' marker at byte 128."""
    return len(head) >= 132 and head[128:132] == b"DICM"


def _check_standard_elements(ds: Any) -> int:
    """Convert every non-private element, nested sequences included; returns how many are known to the
    DICOM dictionary (have a keyword).

    pydicom parses element values lazily, so a corrupt value (wrong length for its VR, bad number ...)
    only raises when it is first read; converting them here makes that happen inside :func:`dcmread`.
    """
    n = 0
    for tag in list(ds.keys()):
        if tag.is_private:
            continue
        elem = ds[tag]
        n += bool(elem.keyword)
        if elem.VR == "SQ":
            for item in elem.value or []:
                n += _check_standard_elements(item)
    return n


def dcmread(source: Any, *, pixels: bool = True, where: Any = None,
            remedy: str = "the file may be truncated or corrupt; re-export it") -> Any:
    """``pydicom.dcmread`` (``stop_before_pixels`` unless ``pixels``) with every read failure as
    :class:`InputError` naming the file (``where``, default ``source``).

    pydicom raises arbitrary types on damaged files (InvalidDicomError, struct.error, EOFError,
    NotImplementedError, BytesLengthException ...), partly only when a value is first read; all standard
    elements are therefore converted here, and a file without any standard attribute is refused.
    """
    import pydicom
    from pydicom.errors import InvalidDicomError

    where = source if where is None else where
    try:
        with pydicom_notes():  # pydicom warns and logs about odd VRs in garbage: never printed
            ds = pydicom.dcmread(source, stop_before_pixels=not pixels, force=False)
    except InvalidDicomError as exc:
        raise InputError(f"not a DICOM file ({exc})", path=where, remedy=remedy) from exc
    except Exception as exc:  # noqa: BLE001 - pydicom raises arbitrary types (struct.error, EOFError ...) on garbage
        raise InputError(f"cannot read DICOM file: {type(exc).__name__}: {exc}", path=where, remedy=remedy) from exc
    try:
        with pydicom_notes():
            n_standard = _check_standard_elements(ds)
    except Exception as exc:  # noqa: BLE001 - lazily converted elements raise arbitrary types
        raise InputError(f"corrupt DICOM attribute: {type(exc).__name__}: {exc}", path=where, remedy=remedy) from exc
    if not n_standard:
        raise InputError("DICOM file holds no standard attributes (corrupt data after the preamble)", path=where,
                         remedy=remedy)
    return ds


def looks_like_dicom(path: Path) -> bool:
    """True for a ``.dcm``/``.dicom`` suffix or a 'DICM' marker at byte 128 (suffix-less files)."""
    if path.suffix.lower() in DICOM_SUFFIXES:
        return True
    if path.suffix:
        return False
    try:
        with open(path, "rb") as fh:
            head = fh.read(132)
    except OSError:
        return False
    return has_dicm_marker(head)


def _text(ds: Any, keyword: str) -> str:
    value = ds.get(keyword, "")
    return "" if value is None else str(value).strip()


def _first_number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value[0]) if hasattr(value, "__len__") and not isinstance(value, str) else float(value)
    except (TypeError, ValueError, IndexError):
        return None


PIXEL_KEYWORDS = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")


def _int(ds: Any, keyword: str, default: int) -> int:
    value = _first_number(ds.get(keyword, default))
    return default if value is None else int(value)


def check_dicom_budget(ds: Any, path: Any, max_pixels: int = DEFAULT_MAX_PIXELS, *, frames: int | None = None) -> int:
    """Rows × Columns × frames × samples of a dataset against the pixel budget, before any pixel is decoded.

    ``frames`` (default: Number of Frames) lets a caller that decodes one frame count only that one.
    Returns the declared number of frames. Missing or non-positive sizes are an :class:`InputError`.
    """
    rows, cols = _int(ds, "Rows", 0), _int(ds, "Columns", 0)
    n_frames, samples = _int(ds, "NumberOfFrames", 1), _int(ds, "SamplesPerPixel", 1)
    if rows < 1 or cols < 1 or n_frames < 1 or samples < 1:
        raise InputError(f"DICOM image declares an impossible size (Rows {rows}, Columns {cols}, Number of Frames "
                         f"{n_frames}, Samples per Pixel {samples})", path=path,
                         remedy="the file is corrupt or not an image; re-export it or skip it")
    count = n_frames if frames is None else min(frames, n_frames)
    check_budget(rows * cols * count * samples, max_pixels, path,
                 what=f"{count} frame(s) of {cols}×{rows}×{samples}")
    return n_frames


@contextmanager
def pydicom_notes() -> Iterator[list[str]]:
    """Collect what pydicom says while decoding — ``warnings`` and records of its ``pydicom`` logger (which would
    otherwise reach stderr through logging's last-resort handler) — as a list of one-line notes."""
    notes: list[str] = []

    class _Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            notes.append("pydicom: " + " ".join(record.getMessage().split())[:200])

    log = logging.getLogger("pydicom")
    handler, propagate = _Collect(logging.WARNING), log.propagate
    log.addHandler(handler)
    log.propagate = False
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield notes
    finally:
        log.removeHandler(handler)
        log.propagate = propagate
        notes.extend("pydicom: " + " ".join(str(w.message).split())[:200] for w in caught)
        notes[:] = sorted(set(notes))


def dicom_pixels(ds: Any, path: Any, *, index: int | None = None) -> tuple[np.ndarray, list[str]]:
    """Decode pixel data (all frames, or frame ``index``) with pydicom; ``(array, notes)``.

    Warnings and log messages pydicom emits while decoding are returned as notes (never printed); a missing
    decoder or corrupt data is an :class:`InputError`. Call :func:`check_dicom_budget` first.
    """
    from pydicom.pixels import pixel_array

    ts = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
    with pydicom_notes() as notes:
        try:
            arr = ds.pixel_array if index is None else pixel_array(ds, index=index)
        except Exception as exc:  # noqa: BLE001 - pydicom/numpy raise arbitrary types on corrupt pixel data
            first = " ".join(str(exc).split())[:200]
            if isinstance(exc, (RuntimeError, NotImplementedError)):
                first = first if first else type(exc).__name__
            else:
                first = f"{type(exc).__name__}: {first}"
            if ts is not None and getattr(ts, "is_compressed", False):
                raise InputError(f"cannot decode compressed pixel data: no working decoder for the compressed "
                                 f"transfer syntax {getattr(ts, 'name', ts)} ({first})", path=path,
                                 remedy=DECODER_REMEDY) from exc
            raise InputError(f"pixel data unreadable ({first})", path=path,
                             remedy="check the file is complete, or pass on_error='skip'") from exc
    return np.asarray(arr), list(notes)


def read_dicom(path: str | Path, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> list[RawFrame]:
    """Decode a DICOM file into frames of modality values.

    Rescale slope/intercept (modality LUT) is applied; palette colour becomes RGB; MONOCHROME1 is
    inverted so that bright means high signal. The pixel budget (Rows × Columns × frames × samples,
    :mod:`~misyn_lab.imagesets.budget`) is checked before decoding. Integer, Float and Double Float Pixel
    Data are read; pydicom warnings become notes. A file without pixel data, a compressed file without a
    decoder, or an oversized image raises :class:`InputError` naming the file and the remedy.
    """
    from pydicom.pixels import apply_color_lut, apply_modality_lut

    path = Path(path)
    ds = dcmread(path, remedy="check the file is a complete DICOM file, remove it from the list, or pass "
                              "on_error='skip'")
    if not any(k in ds for k in PIXEL_KEYWORDS):
        kind = _text(ds, "Modality") or "unknown modality"
        raise InputError(f"DICOM object has no pixel data ({kind}; e.g. a report, plan or waveform)",
                         path=path, remedy="load only image objects, or pass on_error='skip'")
    n_frames = check_dicom_budget(ds, path, max_pixels)
    ts = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
    arr, notes = dicom_pixels(ds, path)
    stored_dtype = str(arr.dtype)
    photometric = _text(ds, "PhotometricInterpretation")
    rescaled = "RescaleSlope" in ds or "RescaleIntercept" in ds or "ModalityLUTSequence" in ds
    samples = _int(ds, "SamplesPerPixel", 1)
    try:
        with pydicom_notes() as lut_notes:
            if photometric == "PALETTE COLOR":
                arr = apply_color_lut(arr, ds)
                notes.append("palette colour expanded to RGB")
            elif samples == 1 and not np.issubdtype(arr.dtype, np.floating):
                arr = apply_modality_lut(arr, ds)
                if rescaled:
                    notes.append("rescale slope/intercept applied")
            if samples == 1 and photometric == "MONOCHROME1":
                arr = arr.max() - arr
                notes.append("MONOCHROME1 inverted")
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - pydicom's LUT helpers raise arbitrary types on corrupt LUTs
        raise InputError(f"cannot apply the modality/palette lookup table ({type(exc).__name__}: "
                         f"{' '.join(str(exc).split())[:200]})", path=path,
                         remedy="check the file is complete, or pass on_error='skip'") from exc
    notes += lut_notes
    colour = photometric == "PALETTE COLOR" or samples == 3
    if n_frames > 1 or (arr.ndim == 3 and not colour) or arr.ndim == 4:
        stack = arr if arr.ndim == (4 if colour else 3) else arr[None]
    else:
        stack = arr[None]
    base = {
        "file_format": "DICOM", "orig_dtype": stored_dtype,
        "modality": _text(ds, "Modality"), "body_part": _text(ds, "BodyPartExamined"),
        "sex": _text(ds, "PatientSex"), "age": _text(ds, "PatientAge"),
        "photometric": photometric, "transfer_syntax": getattr(ts, "name", "") if ts else "",
        "burned_in_annotation": _text(ds, "BurnedInAnnotation"),
        "window_center": _first_number(ds.get("WindowCenter")),
        "window_width": _first_number(ds.get("WindowWidth")),
        "notes": "; ".join(notes),
    }
    frames = []
    for k, frame in enumerate(stack):
        info = dict(base)
        info["frame"] = k if len(stack) > 1 else ""
        frames.append(RawFrame(np.asarray(frame), info))
    return frames
