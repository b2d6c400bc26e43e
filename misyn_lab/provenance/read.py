"""Read a synthetic mark back: :func:`is_synthetic` for PNG, JPEG, TIFF, DICOM and NIfTI.

Marks written by misyn-lab are read in full (provenance included); standard marks written by other
tools are recognised too (IPTC digital source type in XMP, DICOM Synthetic Data = YES, Conversion Type
SYN, Contributing Equipment with purpose "Synthesizing Equipment").

Every embedded text is parsed through :mod:`misyn_lab.safe_parse` (size and nesting limits checked before
parsing; PNG text chunks are read chunk by chunk, compressed ones decompressed with a bound, without decoding
any pixel). A container that cannot be read within those limits never raises a parser's exception: next to a
valid mark it is listed in :attr:`SyntheticMark.problems`; without one, :func:`is_synthetic` raises
:class:`UnreadableMark`, which an audit turns into a per-file "unreadable mark" result.
"""

from __future__ import annotations

import io
import os
import struct
import warnings
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from misyn_lab.errors import InputError
from misyn_lab.imagesets.readers import open_nifti
from misyn_lab.provenance.dicom_mark import read_dataset_mark
from misyn_lab.provenance.fileformat import open_pil, read_dicom, read_head, sniff
from misyn_lab.provenance.record import SYNTHETIC_SOURCE_TYPES, parse_xmp
from misyn_lab.safe_parse import MAX_TEXT_BYTES, TextLimitError, json_or_problem

KEY_FLAG = "misyn:synthetic"
KEY_PROVENANCE = "misyn:provenance"
KEY_XMP_PNG = "XML:com.adobe.xmp"
#: Text misyn-lab writes into a NIfTI header's 80-byte ``descrip`` field.
NIFTI_DESCRIP = "SYNTHETIC misyn-lab trainedAlgorithmicMedia"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: Most text (all tEXt/zTXt/iTXt chunks together, after decompression) read from one PNG.
MAX_PNG_TEXT_BYTES = 4 * MAX_TEXT_BYTES


class UnreadableMark(InputError):
    """A file holds a mark container (XMP, provenance JSON, sidecar ...) that cannot be read within the limits, and
    no other valid mark: whether it is marked synthetic cannot be told. An :class:`~misyn_lab.errors.InputError`.

    Parameters
    ----------
    message : str
        What could not be read.
    path : str or path-like, optional
        The file.
    remedy : str, optional
        What to do.

    Examples
    --------
    >>> str(UnreadableMark("XMP packet larger than 1 MiB", path="a.png", remedy="re-export the file"))
    'a.png: XMP packet larger than 1 MiB (fix: re-export the file)'
    """


@dataclass
class SyntheticMark:
    """The synthetic mark found in a file (from :func:`is_synthetic`).

    Parameters
    ----------
    labelled : bool
        Whether the file is marked synthetic.
    format : str
        The file format.
    provenance : dict, optional
        The provenance record when the file carries one.
    fields : list of str, optional
        Where the mark was found (e.g. ``["PNG tEXt misyn:synthetic", "XMP DigitalSourceType"]`` or DICOM keywords).
    digital_source_type : str, optional
        The IPTC digital source type stated.
    problems : list of str, optional
        Parts of the mark that could not be read.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import numpy as np
    >>> from misyn_lab.provenance import Provenance, label_file, write_png
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> prov = Provenance("pca_gaussian", seed=0, created="2025-01-01T00:00:00+00:00")
    >>> from misyn_lab.provenance import is_synthetic
    >>> mark = is_synthetic(write_png(np.zeros((4, 4)), folder / "s.png", prov))
    >>> mark.labelled, mark.digital_source_type.rsplit("/", 1)[-1]
    (True, 'trainedAlgorithmicMedia')
    """

    labelled: bool
    format: str
    provenance: dict[str, Any] | None = None
    fields: list[str] = field(default_factory=list)
    digital_source_type: str = ""
    #: What could not be read although the file is marked (e.g. a corrupt private provenance block).
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def is_synthetic(path: str | os.PathLike[str], *, data: bytes | None = None) -> SyntheticMark | None:
    """The synthetic mark of an image file, or ``None`` when it carries none.

    Embedded text is parsed with size and depth limits.

    Parameters
    ----------
    path : str or path-like
        An image file (PNG, JPEG, TIFF, DICOM, NIfTI).
    data : bytes, optional
        The file's bytes, if the caller already read them (avoids a second read).

    Returns
    -------
    SyntheticMark or None
        The mark, or ``None`` for an unmarked file.

    Raises
    ------
    InputError
        A file that cannot be read or is not a supported image format.
    UnreadableMark
        A mark container is unreadable and no valid mark was found.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import numpy as np
    >>> from misyn_lab.provenance import Provenance, label_file, write_png
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> prov = Provenance("pca_gaussian", seed=0, created="2025-01-01T00:00:00+00:00")
    >>> from PIL import Image
    >>> Image.fromarray(np.zeros((4, 4), np.uint8)).save(folder / "plain.png")
    >>> is_synthetic(folder / "plain.png") is None
    True
    >>> is_synthetic(write_png(np.zeros((4, 4)), folder / "s.png", prov)).labelled
    True
    """
    head = data[:352] if data is not None else read_head(path)
    fmt = sniff(path, head)
    if fmt is None:
        raise InputError("not a supported image format", path=path,
                         remedy="misyn-lab reads PNG, JPEG, TIFF, DICOM and NIfTI")
    reader = {"png": _read_png, "jpeg": _read_jpeg, "tiff": _read_tiff, "dicom": _read_dicom, "nifti": _read_nifti}[fmt]
    fields: list[str] = []
    problems: list[str] = []
    provenance, dst = reader(path if isinstance(path, Path) else Path(path), data, fields, problems)
    if not fields:
        if problems:
            raise UnreadableMark("unreadable mark: " + "; ".join(problems), path=path,
                                 remedy="re-label the file with misyn-lab label, or remove the damaged metadata")
        return None
    if not dst and provenance:
        dst = str(provenance.get("digital_source_type", ""))
    return SyntheticMark(True, fmt, provenance, fields, dst, problems)


def _xmp_fields(packet: Any, fields: list[str], problems: list[str], where: Any,
                label: str = "XMP") -> tuple[dict | None, str]:
    try:
        xmp = parse_xmp(packet, where)
    except TextLimitError as exc:
        problems.append(f"{label}: {exc.message}")
        return None, ""
    if xmp is None:
        return None, ""
    problems.extend(f"{label}: {p}" for p in xmp.problems)
    if xmp.digital_source_type in SYNTHETIC_SOURCE_TYPES:
        fields.append(f"{label} Iptc4xmpExt:DigitalSourceType")
    if xmp.misyn_flag:
        fields.append(f"{label} misyn:Synthetic")
    return xmp.provenance, xmp.digital_source_type


# ------------------------------------------------------------------------------------------------ PNG
def _png_text(keyword: bytes, ctype: bytes, body: bytes, budget: int) -> str:
    """Text of one tEXt/zTXt/iTXt chunk body (after the keyword), decompressed with a bound."""
    def inflate(raw: bytes) -> str:
        d = zlib.decompressobj()
        out = d.decompress(raw, budget + 1)
        if len(out) > budget:
            raise TextLimitError(f"compressed PNG text {keyword.decode('latin-1')!r} expands beyond "
                                 f"{budget:,} bytes", path="png")
        return out.decode("utf-8" if ctype == b"iTXt" else "latin-1", "replace")

    if ctype == b"tEXt":
        return body.decode("latin-1", "replace")
    if ctype == b"zTXt":
        return inflate(body[1:])
    # iTXt: compression flag, method, language tag \0, translated keyword \0, text
    if len(body) < 2:
        raise TextLimitError("iTXt chunk is truncated", path="png")
    flag, rest = body[0], body[2:]
    parts = rest.split(b"\0", 2)
    if len(parts) < 3:
        raise TextLimitError("iTXt chunk is malformed", path="png")
    return inflate(parts[2]) if flag else parts[2].decode("utf-8", "replace")


def png_text_chunks(fh: BinaryIO, size: int, path: Any) -> tuple[dict[str, str], list[str]]:
    """``({keyword: text}, problems)`` of every tEXt/zTXt/iTXt chunk, read chunk by chunk (no pixel decoded).

    A chunk running past the end of the file is an :class:`InputError` (truncated file); text that breaks
    the limits is skipped and named in ``problems``.
    """
    if fh.read(8) != PNG_SIGNATURE:
        raise InputError("not a PNG file (bad signature)", path=path, remedy="re-export the image")
    texts: dict[str, str] = {}
    problems: list[str] = []
    pos, used, first = 8, 0, True
    while True:
        head = fh.read(8)
        if len(head) < 8:
            raise InputError(f"truncated PNG: the file ends at byte {pos:,} without an IEND chunk", path=path,
                             remedy="re-export the image; the file is incomplete")
        length, ctype = struct.unpack(">I4s", head)
        if first and ctype != b"IHDR":
            raise InputError("corrupt PNG: the first chunk is not IHDR", path=path, remedy="re-export the image")
        first = False
        end = pos + 8 + length + 4
        if end > size:
            raise InputError(f"truncated PNG: chunk {ctype.decode('latin-1', 'replace')!r} at byte {pos:,} runs past "
                             f"the end of the file ({size:,} bytes)", path=path,
                             remedy="re-export the image; the file is incomplete")
        if ctype == b"IEND":
            break
        if ctype in (b"tEXt", b"zTXt", b"iTXt"):
            if length > MAX_TEXT_BYTES or used + length > MAX_PNG_TEXT_BYTES:
                problems.append(f"PNG {ctype.decode()} chunk of {length:,} bytes exceeds the text limit")
                fh.seek(length + 4, io.SEEK_CUR)
            else:
                body = fh.read(length)
                fh.seek(4, io.SEEK_CUR)
                keyword, _, rest = body.partition(b"\0")
                name = keyword.decode("latin-1", "replace")
                try:
                    text = _png_text(keyword, ctype, rest, MAX_PNG_TEXT_BYTES - used)
                except (TextLimitError, zlib.error) as exc:
                    why = exc.message if isinstance(exc, TextLimitError) else f"corrupt compressed text ({exc})"
                    problems.append(f"PNG {ctype.decode()} {name!r}: {why}")
                else:
                    used += len(text)
                    texts[name] = text
        else:
            fh.seek(length + 4, io.SEEK_CUR)
        pos = end
    return texts, problems


def _read_png(path: Path, data: bytes | None, fields: list[str], problems: list[str]) -> tuple[dict | None, str]:
    try:
        if data is not None:
            texts, chunk_problems = png_text_chunks(io.BytesIO(data), len(data), path)
        else:
            with open(path, "rb") as fh:
                texts, chunk_problems = png_text_chunks(fh, os.fstat(fh.fileno()).st_size, path)
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", path=path) from exc
    problems.extend(chunk_problems)
    provenance, dst = _xmp_fields(texts.get(KEY_XMP_PNG), fields, problems, path)
    if texts.get(KEY_FLAG, "").strip().lower() == "true":
        fields.insert(0, f"PNG text {KEY_FLAG}")
    if KEY_PROVENANCE in texts:
        prov, problem = json_or_problem(texts[KEY_PROVENANCE], path, what=f"PNG iTXt {KEY_PROVENANCE} JSON")
        if problem:
            problems.append(problem)
        elif prov is not None:
            provenance = prov
            fields.append(f"PNG iTXt {KEY_PROVENANCE}")
    return provenance, dst


# ------------------------------------------------------------------------------------------------ JPEG / TIFF
def _read_jpeg(path: Path, data: bytes | None, fields: list[str], problems: list[str]) -> tuple[dict | None, str]:
    im = open_pil(path, data)
    provenance, dst = _xmp_fields(im.info.get("xmp"), fields, problems, path)
    comment = im.info.get("comment", b"")
    if isinstance(comment, bytes):
        comment = comment.decode("utf-8", "replace")
    if comment.startswith(f"{KEY_FLAG}=true"):
        fields.append(f"JPEG COM {KEY_FLAG}")
        if "\n" in comment:
            prov, problem = json_or_problem(comment.split("\n", 1)[1], path, what="JPEG COM provenance JSON")
            if problem:
                problems.append(problem)
            provenance = provenance or prov
    return provenance, dst


def _read_tiff(path: Path, data: bytes | None, fields: list[str], problems: list[str]) -> tuple[dict | None, str]:
    im = open_pil(path, data)
    tags = getattr(im, "tag_v2", {})
    try:
        xmp, desc_raw = tags.get(700) or im.info.get("xmp"), tags.get(270, "")
    except (OSError, ValueError, SyntaxError, EOFError) as exc:  # Pillow reads tag data lazily
        raise InputError(f"cannot read TIFF tags: {exc}", path=path, remedy="the file may be corrupt") from exc
    provenance, dst = _xmp_fields(xmp, fields, problems, path, label="TIFF XMP (tag 700)")
    if isinstance(desc_raw, bytes):
        desc_raw = desc_raw.decode("utf-8", "replace")
    text = str(desc_raw or "").strip()
    if text[:1] in ("{", "["):
        desc, problem = json_or_problem(text, path, what="TIFF ImageDescription JSON")
        if problem and ("misyn" in text or not problem.startswith("malformed")):
            problems.append(problem)  # over-size/over-deep text, or a misyn-lab description that is damaged
        if desc and desc.get(KEY_FLAG) is True:
            fields.append("TIFF ImageDescription misyn:synthetic")
            provenance = desc.get(KEY_PROVENANCE) if isinstance(desc.get(KEY_PROVENANCE), dict) else provenance
    return provenance, dst


# ------------------------------------------------------------------------------------------------ DICOM
def _read_dicom(path: Path, data: bytes | None, fields: list[str], problems: list[str]) -> tuple[dict | None, str]:
    ds = read_dicom(io.BytesIO(data) if data is not None else path, pixels=False, where=path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # pydicom warns while converting garbage elements
            synthetic, provenance, found, found_problems = read_dataset_mark(ds)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - pydicom converts elements lazily and raises arbitrary types
        raise InputError(f"corrupt DICOM attribute: {type(exc).__name__}: {exc}", path=path,
                         remedy="the file may be corrupt; re-export it") from exc
    problems.extend(found_problems)
    if synthetic:
        fields.extend(found)
    return provenance, ""


# ------------------------------------------------------------------------------------------------ NIfTI
def nifti_sidecar(path: str | os.PathLike[str]) -> Path:
    """The JSON sidecar of a NIfTI file (``x.nii.gz`` -> ``x.json``, as in BIDS)."""
    p = Path(path)
    stem = p.name[:-7] if p.name.lower().endswith(".nii.gz") else p.stem
    return p.with_name(stem + ".json")


def _read_nifti(path: Path, data: bytes | None, fields: list[str], problems: list[str]) -> tuple[dict | None, str]:
    header = open_nifti(path).header
    provenance = None
    descrip = header.get("descrip")
    descrip = descrip.item().decode("latin-1", "replace") if descrip is not None else ""
    if "SYNTHETIC" in descrip.upper():
        fields.append("NIfTI descrip")
    intent = header.get("intent_name")
    if intent is not None and intent.item().decode("latin-1", "replace").lower().startswith("misyn:synthetic"):
        fields.append("NIfTI intent_name")
    sidecar = nifti_sidecar(path)
    if sidecar.is_file():
        side, problem = None, None
        try:
            size = sidecar.stat().st_size
            if size > MAX_TEXT_BYTES:
                problem = f"sidecar {sidecar.name} is {size:,} bytes, more than the {MAX_TEXT_BYTES:,} read"
            else:
                side, problem = json_or_problem(sidecar.read_bytes(), sidecar, what=f"sidecar {sidecar.name}")
        except OSError as exc:
            problem = f"sidecar {sidecar.name} cannot be read ({exc.strerror or exc})"
        if problem:
            problems.append(problem)
        if side and side.get(KEY_FLAG) is True:
            fields.append(f"sidecar {sidecar.name} {KEY_FLAG}")
            provenance = side.get(KEY_PROVENANCE) if isinstance(side.get(KEY_PROVENANCE), dict) else None
    return provenance, ""

