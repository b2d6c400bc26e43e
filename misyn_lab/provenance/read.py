"""Read a synthetic mark back: :func:`is_synthetic` for PNG, JPEG, TIFF, DICOM and NIfTI.

Marks written by misyn-lab are read in full (provenance included); standard marks written by other
tools are recognised too (IPTC digital source type in XMP, DICOM Synthetic Data = YES, Conversion Type
SYN, Contributing Equipment with purpose "Synthesizing Equipment").
"""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from misyn_lab.errors import InputError
from misyn_lab.provenance.dicom_mark import read_dataset_mark
from misyn_lab.provenance.fileformat import open_pil, read_dicom, read_head, sniff
from misyn_lab.provenance.record import SYNTHETIC_SOURCE_TYPES, parse_xmp

KEY_FLAG = "misyn:synthetic"
KEY_PROVENANCE = "misyn:provenance"
KEY_XMP_PNG = "XML:com.adobe.xmp"
#: Text misyn-lab writes into a NIfTI header's 80-byte ``descrip`` field.
NIFTI_DESCRIP = "SYNTHETIC misyn-lab trainedAlgorithmicMedia"


@dataclass
class SyntheticMark:
    """The synthetic mark found in a file.

    ``fields`` lists where the mark was found (e.g. ``["PNG tEXt misyn:synthetic", "XMP DigitalSourceType"]``
    or DICOM keywords), ``provenance`` is the provenance dict when the file carries one.
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

    ``data`` (the file's bytes, if the caller already read them) avoids a second read. Raises
    :class:`InputError` for a file that cannot be read or is not a supported image format.
    """
    head = data[:352] if data is not None else read_head(path)
    fmt = sniff(path, head)
    if fmt is None:
        raise InputError("not a supported image format", path=path,
                         remedy="misyn-lab reads PNG, JPEG, TIFF, DICOM and NIfTI")
    reader = {"png": _read_png, "jpeg": _read_jpeg, "tiff": _read_tiff, "dicom": _read_dicom, "nifti": _read_nifti}[fmt]
    return reader(Path(path), data)


def _mark(fmt: str, fields: list[str], provenance: dict | None, dst: str) -> SyntheticMark | None:
    if not fields:
        return None
    if not dst and provenance:
        dst = str(provenance.get("digital_source_type", ""))
    return SyntheticMark(True, fmt, provenance, fields, dst)


def _json_dict(text: Any) -> dict | None:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    try:
        loaded = json.loads(str(text))
    except (json.JSONDecodeError, TypeError):
        return None
    return loaded if isinstance(loaded, dict) else None


def _xmp_fields(packet: Any, fields: list[str]) -> tuple[dict | None, str]:
    xmp = parse_xmp(packet)
    if xmp is None:
        return None, ""
    if xmp.digital_source_type in SYNTHETIC_SOURCE_TYPES:
        fields.append("XMP Iptc4xmpExt:DigitalSourceType")
    if xmp.misyn_flag:
        fields.append("XMP misyn:Synthetic")
    return xmp.provenance, xmp.digital_source_type


def _read_png(path: Path, data: bytes | None) -> SyntheticMark | None:
    im = open_pil(path, data)
    info = dict(im.info)
    raw = data if data is not None else None
    if KEY_FLAG not in info and KEY_XMP_PNG not in info:
        # text chunks after the image data are only parsed on load: look for them only when present
        if raw is None:
            with open(path, "rb") as fh:
                raw = fh.read()
        if b"misyn:" in raw or b"XML:com.adobe.xmp" in raw:
            try:
                im.load()
                info.update(getattr(im, "text", {}) or {})
            except (OSError, SyntaxError, ValueError, EOFError) as exc:
                raise InputError(f"cannot read PNG text chunks: {exc}", path=path) from exc
    fields: list[str] = []
    provenance, dst = _xmp_fields(info.get(KEY_XMP_PNG) or info.get("xmp"), fields)
    if str(info.get(KEY_FLAG, "")).strip().lower() == "true":
        fields.insert(0, f"PNG text {KEY_FLAG}")
    if KEY_PROVENANCE in info:
        provenance = _json_dict(info[KEY_PROVENANCE]) or provenance
        if provenance is not None:
            fields.append(f"PNG iTXt {KEY_PROVENANCE}")
    return _mark("png", fields, provenance, dst)


def _read_jpeg(path: Path, data: bytes | None) -> SyntheticMark | None:
    im = open_pil(path, data)
    fields: list[str] = []
    provenance, dst = _xmp_fields(im.info.get("xmp"), fields)
    comment = im.info.get("comment", b"")
    if isinstance(comment, bytes):
        comment = comment.decode("utf-8", "replace")
    if comment.startswith(f"{KEY_FLAG}=true"):
        fields.append(f"JPEG COM {KEY_FLAG}")
        provenance = provenance or _json_dict(comment.split("\n", 1)[1] if "\n" in comment else "")
    return _mark("jpeg", fields, provenance, dst)


def _read_tiff(path: Path, data: bytes | None) -> SyntheticMark | None:
    im = open_pil(path, data)
    tags = getattr(im, "tag_v2", {})
    fields: list[str] = []
    provenance, dst = _xmp_fields(tags.get(700) or im.info.get("xmp"), fields)
    if fields:
        fields = [f.replace("XMP", "TIFF XMP (tag 700)") for f in fields]
    desc = _json_dict(tags.get(270, ""))
    if desc and desc.get(KEY_FLAG) is True:
        fields.append("TIFF ImageDescription misyn:synthetic")
        provenance = desc.get(KEY_PROVENANCE) if isinstance(desc.get(KEY_PROVENANCE), dict) else provenance
    return _mark("tiff", fields, provenance, dst)


def _read_dicom(path: Path, data: bytes | None) -> SyntheticMark | None:
    import io

    ds = read_dicom(io.BytesIO(data) if data is not None else path, pixels=False, where=path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # pydicom warns while converting garbage elements
            synthetic, provenance, fields, problems = read_dataset_mark(ds)
    except Exception as exc:  # noqa: BLE001 - pydicom converts elements lazily and raises arbitrary types
        raise InputError(f"corrupt DICOM attribute: {type(exc).__name__}: {exc}", path=path,
                         remedy="the file may be corrupt; re-export it") from exc
    if not synthetic:
        return None
    mark = _mark("dicom", fields, provenance, "")
    return None if mark is None else replace(mark, problems=problems)


def nifti_sidecar(path: str | os.PathLike[str]) -> Path:
    """The JSON sidecar of a NIfTI file (``x.nii.gz`` -> ``x.json``, as in BIDS)."""
    p = Path(path)
    stem = p.name[:-7] if p.name.lower().endswith(".nii.gz") else p.stem
    return p.with_name(stem + ".json")


def _read_nifti(path: Path, data: bytes | None) -> SyntheticMark | None:
    import nibabel as nib
    from nibabel.filebasedimages import ImageFileError

    try:
        header = nib.load(str(path)).header
    except (ImageFileError, OSError, ValueError, EOFError) as exc:
        raise InputError(f"cannot read NIfTI header: {exc}", path=path, remedy="the file may be corrupt") from exc
    fields: list[str] = []
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
        try:
            side = _json_dict(sidecar.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            side = None
        if side and side.get(KEY_FLAG) is True:
            fields.append(f"sidecar {sidecar.name} {KEY_FLAG}")
            provenance = side.get(KEY_PROVENANCE) if isinstance(side.get(KEY_PROVENANCE), dict) else None
    return _mark("nifti", fields, provenance, "")
