"""Label files as synthetic and export synthetic ImageSets with the mark.

* :func:`label_file` adds the mark + provenance to an existing PNG, TIFF, JPEG, DICOM or NIfTI file.
  Pixels are never changed unless ``banner=True`` (then a visible "SYNTHETIC" strip is burned in; off by
  default). PNG/TIFF are re-encoded losslessly and verified pixel-identical; JPEG gets its metadata
  segments inserted byte-wise (no lossy re-encode); DICOM attributes are listed in ``DICOM.md``.
* :func:`write_png`, :func:`write_tiff`, :func:`write_dicom` write one array as a labelled file.
* :func:`export_imageset` writes every synthetic image of an ImageSet labelled, and registers it.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import zlib
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image, PngImagePlugin
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

from misyn_lab import faults
from misyn_lab.atomic import atomic_write_bytes, atomic_write_text, discard, replace_with, write_temp
from misyn_lab.errors import InputError
from misyn_lab.imagesets.core import ImageSet
from misyn_lab.imagesets.readers import check_nifti_budget, nifti_extent, open_nifti
from misyn_lab.provenance import dicom_mark
from misyn_lab.provenance.banner import burn_banner
from misyn_lab.provenance.fileformat import decode_dicom, decode_pil, open_pil, read_dicom, read_head, sniff
from misyn_lab.provenance.read import KEY_FLAG, KEY_PROVENANCE, KEY_XMP_PNG, NIFTI_DESCRIP, nifti_sidecar
from misyn_lab.provenance.record import Provenance, build_xmp
from misyn_lab.provenance.registry import hashes_of, open_registry

if TYPE_CHECKING:
    from misyn_lab.imagesets.core import ImageSet

EXPORT_FORMATS = {"png": ".png", "tiff": ".tiff", "dcm": ".dcm"}
XMP_APP1_ID = b"http://ns.adobe.com/xap/1.0/\x00"
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


# ---------------------------------------------------------------------------------------------- names
def safe_output_name(name: str) -> str:
    """A file name that stays inside its output folder.

    Parameters
    ----------
    name : str
        A proposed file name (e.g. an image id).

    Returns
    -------
    str
        The name with unusual characters replaced by ``_``.

    Raises
    ------
    InputError
        Path traversal (``..``), absolute paths and path separators (they are never "fixed" silently).

    Examples
    --------
    >>> safe_output_name("case 1:slice#4")
    'case_1_slice_4'
    >>> safe_output_name("../etc/passwd")
    Traceback (most recent call last):
    ...
    misyn_lab.errors.InputError: ...
    """
    text = str(name)
    if not text.strip() or "\x00" in text:
        raise InputError(f"empty or invalid output name {name!r}", path=name, remedy="give every image a plain id")
    if (text.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", text) or ".." in re.split(r"[\\/]", text)
            or "/" in text or "\\" in text):
        raise InputError(f"output name {name!r} would leave the output folder (path traversal)", path=name,
                         remedy="use ids without '/', '\\' or '..'")
    cleaned = _SAFE.sub("_", text).strip(".")
    if not cleaned:
        raise InputError(f"output name {name!r} has no usable characters", path=name, remedy="use a plain id")
    return cleaned


def _resolve_out(path: Path, out: str | os.PathLike[str] | None) -> Path:
    if out is None:
        return path
    out = Path(out)
    if out.is_dir() or str(out).endswith(os.sep):
        return out / safe_output_name(path.name)
    return out


# ---------------------------------------------------------------------------------------------- PNG / TIFF
def _png_bytes(im, provenance: Provenance) -> bytes:
    info = PngImagePlugin.PngInfo()
    for key, value in (getattr(im, "text", None) or {}).items():
        if key in (KEY_FLAG, KEY_PROVENANCE, KEY_XMP_PNG) or not isinstance(value, str):
            continue
        info.add_itxt(key, value)
    info.add_text(KEY_FLAG, "true")
    info.add_itxt(KEY_PROVENANCE, provenance.to_json())
    info.add_itxt(KEY_XMP_PNG, build_xmp(provenance))
    buf = io.BytesIO()
    extra: dict[str, Any] = {}
    for key in ("icc_profile", "dpi", "transparency", "gamma"):
        if key in im.info:
            extra[key] = im.info[key]
    im.save(buf, format="PNG", pnginfo=info, **extra)
    return buf.getvalue()


def _tiff_bytes(im, provenance: Provenance) -> bytes:
    desc = json.dumps({KEY_FLAG: True, KEY_PROVENANCE: provenance.to_dict()}, ensure_ascii=True)
    buf = io.BytesIO()
    extra: dict[str, Any] = {}
    if im.info.get("compression") in ("tiff_lzw", "tiff_adobe_deflate", "packbits"):
        extra["compression"] = im.info["compression"]
    if "dpi" in im.info:
        extra["dpi"] = im.info["dpi"]
    im.save(buf, format="TIFF", tiffinfo={270: desc, 700: build_xmp(provenance).encode("utf-8")}, **extra)
    return buf.getvalue()


def _has_second_page(im: Any) -> bool:
    """True when an image has a second page/frame (checked by seeking to it, not by counting every page)."""
    if not getattr(im, "is_animated", False) and im.format != "TIFF":
        return False
    try:
        im.seek(1)
    except EOFError:
        return False
    except (OSError, ValueError, SyntaxError) as exc:
        raise InputError(f"the second page cannot be read ({exc})", path=getattr(im, "filename", "") or "image",
                         remedy="re-export the image") from exc
    im.seek(0)
    return True


def _reencode_lossless(path: Path, data: bytes, fmt: str, provenance: Provenance, banner: bool) -> bytes:
    im = open_pil(path, data)
    if _has_second_page(im):
        raise InputError(f"multi-page {fmt.upper()} files are not supported for labelling", path=path,
                         remedy="split the pages into single-image files first")
    before = decode_pil(path, data)
    im.load()
    if banner:
        im2 = Image.fromarray(burn_banner(np.asarray(im)), mode=im.mode)
        im2.info = dict(im.info)
        if hasattr(im, "text"):
            im2.text = im.text  # type: ignore[attr-defined]
        im = im2
    out = (_png_bytes if fmt == "png" else _tiff_bytes)(im, provenance)
    if not banner:
        after = decode_pil(path, out)
        floating = np.issubdtype(before.dtype, np.floating)
        if after.shape != before.shape or not np.array_equal(after, before, equal_nan=floating):
            raise InputError(f"labelling this {fmt.upper()} would change its pixels (mode {im.mode})", path=path,
                             remedy="convert the image to 8/16-bit grey or RGB first")
    return out


# ---------------------------------------------------------------------------------------------- JPEG
def _jpeg_segments(data: bytes, path: Path) -> tuple[list[bytes], bytes]:
    """Split a JPEG into its header segments (before SOS) and the rest."""
    if not data.startswith(b"\xff\xd8"):
        raise InputError("not a JPEG file", path=path)
    pos, segs = 2, []
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise InputError("malformed JPEG header (marker expected)", path=path, remedy="re-export the JPEG")
        marker = data[pos + 1]
        if marker == 0xDA:  # start of scan: the rest is entropy-coded data
            return segs, data[pos:]
        length = int.from_bytes(data[pos + 2:pos + 4], "big")
        if length < 2 or pos + 2 + length > len(data):
            raise InputError("truncated JPEG header", path=path, remedy="re-export the JPEG")
        segs.append(data[pos:pos + 2 + length])
        pos += 2 + length
    raise InputError("truncated JPEG (no image data)", path=path, remedy="re-export the JPEG")


def _segment(marker: int, payload: bytes, path: Path) -> bytes:
    if len(payload) + 2 > 0xFFFF:
        raise InputError(f"provenance too large for a JPEG segment ({len(payload)} bytes)", path=path,
                         remedy="shorten the notes/conditioning, or export as PNG/TIFF")
    return bytes([0xFF, marker]) + (len(payload) + 2).to_bytes(2, "big") + payload


def _jpeg_labelled(data: bytes, path: Path, provenance: Provenance) -> bytes:
    segs, rest = _jpeg_segments(data, path)
    kept = [s for s in segs if not (s[1] == 0xE1 and s[4:].startswith(XMP_APP1_ID))
            and not (s[1] == 0xFE and s[4:].startswith(KEY_FLAG.encode()))]
    n_app = 0
    while n_app < len(kept) and 0xE0 <= kept[n_app][1] <= 0xEF:
        n_app += 1
    xmp = _segment(0xE1, XMP_APP1_ID + build_xmp(provenance).encode("utf-8"), path)
    com = _segment(0xFE, f"{KEY_FLAG}=true\n{provenance.to_json()}".encode("utf-8"), path)
    return b"\xff\xd8" + b"".join(kept[:n_app]) + xmp + com + b"".join(kept[n_app:]) + rest


def _jpeg_bytes(path: Path, data: bytes, provenance: Provenance, banner: bool) -> bytes:
    if banner:  # the banner changes pixels anyway: decode, burn, re-encode at high quality

        arr = burn_banner(decode_pil(path, data))
        buf = io.BytesIO()
        Image.fromarray(arr).save(buf, format="JPEG", quality=95)
        data = buf.getvalue()
    else:
        decode_pil(path, data, draft=256)  # refuse truncated/corrupt input (decoded at reduced scale: fast)
    return _jpeg_labelled(data, path, provenance)


# ---------------------------------------------------------------------------------------------- DICOM
def _dicom_bytes(path: Path, data: bytes, provenance: Provenance, banner: bool) -> bytes:
    ds = read_dicom(io.BytesIO(data), pixels=True, where=path)
    if banner:
        if "PixelData" not in ds:
            raise InputError("cannot burn a banner: DICOM file has no pixel data", path=path)
        if ds.file_meta.TransferSyntaxUID.is_compressed:
            raise InputError("cannot burn a banner into compressed DICOM pixel data", path=path,
                             remedy="decompress the file first, or label it without --banner")
        if int(ds.get("NumberOfFrames", 1) or 1) > 1:
            raise InputError("banner on multi-frame DICOM is not supported", path=path, remedy="label without --banner")
        arr = burn_banner(decode_dicom(path, ds))
        ds.PixelData = np.ascontiguousarray(arr.astype(ds.pixel_array.dtype)).tobytes()
        dicom_mark.new_sop_instance(ds)
    dicom_mark.mark_dataset(ds, provenance, banner=banner)
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------- NIfTI
def _nifti_raw(path: Path, data: bytes) -> tuple[bytes, bool]:
    """The uncompressed NIfTI bytes (inflated only as far as the header declares) and whether it was gzipped."""
    img = open_nifti(path)  # a readable header, and the budget, before anything is inflated
    check_nifti_budget(img, path)
    need = nifti_extent(img, path)
    if data[:2] != b"\x1f\x8b":
        return data, False

    inflater = zlib.decompressobj(wbits=31)
    try:
        raw = inflater.decompress(data, need)
        trailing = inflater.decompress(inflater.unconsumed_tail, 1)
    except zlib.error as exc:
        raise InputError(f"corrupt gzip data in NIfTI file ({exc})", path=path, remedy="re-export the volume") from exc
    if len(raw) < need:
        raise InputError(f"NIfTI file is truncated: the header declares {need:,} bytes, the file holds {len(raw):,}",
                         path=path, remedy="re-export the volume")
    if trailing:
        raise InputError("NIfTI file holds data after the voxels the header declares", path=path,
                         remedy="re-export the volume")
    return raw, True


def _nifti_bytes(path: Path, data: bytes, banner: bool) -> bytes:
    """The NIfTI file with the mark written into its header (``descrip``, ``intent_name``) byte-wise: the voxel
    data, scaling and every other header field are kept byte for byte."""
    import nibabel as nib

    if banner:
        raise InputError("banners are not burned into NIfTI volumes", path=path, remedy="label without --banner")
    raw, gzipped = _nifti_raw(path, data)
    two = int.from_bytes(raw[:4], "little") == 540 or int.from_bytes(raw[:4], "big") == 540
    fields = (nib.Nifti2Header if two else nib.Nifti1Header).template_dtype.fields
    out = bytearray(raw)
    for name, value in (("descrip", NIFTI_DESCRIP.encode()), ("intent_name", b"misyn:synthetic")):
        dtype, offset = fields[name][0], fields[name][1]
        out[offset:offset + dtype.itemsize] = value.ljust(dtype.itemsize, b"\0")[:dtype.itemsize]
    return gzip.compress(bytes(out), mtime=0) if gzipped else bytes(out)


def _write_sidecar(target: Path, provenance: Provenance) -> None:
    sidecar = {KEY_FLAG: True, KEY_PROVENANCE: provenance.to_dict()}
    atomic_write_text(nifti_sidecar(target), json.dumps(sidecar, indent=2, ensure_ascii=False))


# ---------------------------------------------------------------------------------------------- public API
#: Where ``label_file`` can be killed in crash-safety tests (``MISYN_LAB_FAULT``, see misyn_lab.faults).
FAULT_POINTS = ("label:before-write", "label:after-temp", "label:after-stage", "label:after-rename",
                "label:after-confirm")


def _link_problem(path: Path, *, in_place: bool) -> str | None:
    """Why ``path`` must not be replaced by a new file (a symlink, or a hard link when labelling in place)."""
    if path.is_symlink():
        return (f"is a symbolic link (to {os.path.realpath(path)}); labelling it would replace the link with a "
                "regular file and leave its target unlabelled")
    if in_place:
        try:
            links = os.stat(path).st_nlink
        except OSError:
            return None
        if links > 1:
            return (f"has {links} hard links; labelling it in place would give this name a new file and leave the "
                    "other names unlabelled")
    return None


def plan_labels(paths: list[str | os.PathLike[str]],
                out: str | os.PathLike[str] | None = None) -> list[tuple[Path, Path]]:
    """``[(source, target)]`` for labelling ``paths`` (in place, or into the folder ``out``), checked before
    anything is written.

    Refused with :class:`InputError` (nothing written): a missing file, an unsupported format, a symbolic
    link or hard link that labelling would replace (label the link's target, or use ``out``), and two inputs
    that map to the same output file.
    """
    plan: list[tuple[Path, Path]] = []
    seen: dict[str, Path] = {}
    for name in paths:
        src = Path(name)
        if not src.is_file():
            raise InputError("no such file", path=src, remedy="check the path")
        target = _resolve_out(src, out)
        in_place = out is None or (target.exists() and os.path.samefile(target, src))
        problem = _link_problem(src, in_place=in_place) if in_place else None
        if problem is None and target.is_symlink():
            problem = f"output {target} is a symbolic link; it would be replaced by a regular file"
        if problem:
            raise InputError(problem, path=src, remedy=f"label {os.path.realpath(src)} itself, or write copies with "
                                                       "--out DIR")
        key = os.path.normcase(os.path.abspath(target))
        if key in seen:
            raise InputError(f"{seen[key]} and {src} would both be written to {target}; nothing was labelled",
                             path=src, remedy="give inputs with distinct file names, or label them into different "
                                              "--out folders")
        seen[key] = src
        plan.append((src, target))
    return plan


def labelled_bytes(path: str | os.PathLike[str], provenance: Provenance, *, banner: bool = False) -> bytes:
    """The bytes of ``path`` with the synthetic mark written in (nothing is written to disk)."""
    path = Path(path)
    fmt = sniff(path, read_head(path))
    if fmt is None:
        raise InputError("not a supported image format", path=path, remedy="label PNG, TIFF, JPEG, DICOM or NIfTI files")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", path=path) from exc
    if not data:
        raise InputError("file is empty (0 bytes)", path=path, remedy="re-export the image")
    if fmt in ("png", "tiff"):
        return _reencode_lossless(path, data, fmt, provenance, banner)
    if fmt == "jpeg":
        return _jpeg_bytes(path, data, provenance, banner)
    if fmt == "nifti":
        return _nifti_bytes(path, data, banner)
    return _dicom_bytes(path, data, provenance, banner)


def label_file(path: str | os.PathLike[str], provenance: Provenance, *, out: str | os.PathLike[str] | None = None,
               banner: bool = False, registry: Any = None) -> Path:
    """Write the synthetic mark and the provenance into an image file.

    PNG/TIFF/JPEG get XMP with the IPTC digital source type (and PNG text chunks), DICOM the Synthetic Data and
    related attributes, NIfTI a header description and a JSON sidecar. ``banner=True`` burns a visible SYNTHETIC
    strip (changes pixels; DICOM then also gets Burned In Annotation = YES and a new SOP Instance UID referencing
    the old one).

    Transactional: the labelled bytes and their hashes are computed first (a file whose hashes cannot be computed
    is refused before anything is written); the registry row is committed as *pending* while the labelled file
    waits in a temporary file beside the target; the temporary file is renamed over the target; the row is
    confirmed. A failure at any step removes what was done, and a process killed at any point leaves either the old
    file (and no effective row) or the labelled file and its row (:meth:`Registry.stage`). Symbolic links (and hard
    links, in place) are refused, never replaced by a regular file.

    Parameters
    ----------
    path : str or path-like
        The image file to label.
    provenance : Provenance
        Who made the image, from what, and how.
    out : str or path-like, optional
        A file or an existing folder to write to (default: replace ``path`` atomically).
    banner : bool, optional
        Burn a visible SYNTHETIC strip.
    registry : Registry, str or path-like, optional
        Register the labelled file there.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    InputError
        A missing, unsupported or linked file; an unwritable target; a registry failure.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import numpy as np
    >>> from misyn_lab.provenance import Provenance, label_file, write_png
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> prov = Provenance("pca_gaussian", seed=0, created="2025-01-01T00:00:00+00:00")
    >>> from PIL import Image
    >>> from misyn_lab.provenance import is_synthetic
    >>> Image.fromarray(np.zeros((8, 8), np.uint8)).save(folder / "generated.png")
    >>> out = label_file(folder / "generated.png", prov)
    >>> is_synthetic(out).provenance["generator"]
    'pca_gaussian'
    """
    if not isinstance(provenance, Provenance):
        raise InputError("provenance must be a Provenance object", path=path,
                         remedy="build one with Provenance(generator=..., ...)")
    ((path, target),) = plan_labels([path], out)
    is_nifti = sniff(path, read_head(path)) == "nifti"
    blob = labelled_bytes(path, provenance, banner=banner)
    faults.inject("label:before-write")
    if registry is None:
        written = atomic_write_bytes(target, blob)
    else:
        hashes = hashes_of(path, data=blob)  # refuses (naming the input) before anything is written
        with open_registry(registry, create=True) as reg:
            written = _write_registered(reg, target, blob, hashes, provenance)
    if is_nifti:
        _write_sidecar(written, provenance)
    return written


def _write_registered(reg: Any, target: Path, blob: bytes, hashes: Any, provenance: Provenance) -> Path:
    """Temp file, pending registry row, rename, confirm — undoing what was done when a step fails."""
    tmp = write_temp(target, blob)
    faults.inject("label:after-temp")
    rid = None
    renamed = False
    try:
        rid = reg.stage(hashes, provenance, target, tmp)
        faults.inject("label:after-stage")
        replace_with(tmp, target)
        renamed = True
        faults.inject("label:after-rename")
    except BaseException:
        if not renamed:
            discard(tmp)
            if rid is not None:
                reg.abandon(rid)
        raise
    try:
        reg.confirm(rid)
    except InputError as exc:
        raise InputError(f"the file was labelled and registered, but confirming its registry row failed "
                         f"({exc.message}); the row is confirmed the next time the registry is opened for writing",
                         path=target, remedy=exc.remedy) from exc
    faults.inject("label:after-confirm")
    return target


def _as_array(image: Any) -> np.ndarray:
    if isinstance(image, ImageSet):
        if len(image) != 1:
            raise InputError(f"expected one image, got an ImageSet of {len(image)}", path=image.name,
                             remedy="use export_imageset for several images")
        image = image.images[0]
    arr = np.asarray(image)
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[-1] not in (3, 4)):
        raise InputError(f"expected a 2-D grey or H×W×3 colour image, got shape {arr.shape}", path="image")
    if np.issubdtype(arr.dtype, np.floating):
        if not np.isfinite(arr).all():
            raise InputError("image contains NaN or infinite values", path="image", remedy="np.nan_to_num first")
        if arr.min() < 0 or arr.max() > 1:
            raise InputError("float images must lie in [0, 1]", path="image",
                             remedy="misyn_lab.imagesets.normalise_intensity(array)")
    return arr


def _to_uint(arr: np.ndarray, bits: int) -> np.ndarray:
    if np.issubdtype(arr.dtype, np.floating):
        top = (1 << bits) - 1
        return np.round(arr * top).astype(np.uint8 if bits == 8 else np.uint16)
    if bits == 8 and arr.dtype != np.uint8:
        raise InputError(f"integer images for PNG/JPEG must be uint8, got {arr.dtype}", path="image",
                         remedy="pass float pixels in [0, 1]")
    return arr.astype(np.uint8 if bits == 8 else np.uint16)


def write_png(image: Any, path: str | os.PathLike[str], provenance: Provenance, *, banner: bool = False) -> Path:
    """Write one image as a labelled 8-bit PNG.

    Parameters
    ----------
    image : numpy.ndarray or ImageSet
        One image: an array in [0, 1] (or uint8), grey H×W or colour H×W×3, or a one-image ImageSet.
    path : str or path-like
        The file to write.
    provenance : Provenance
        Who made the image, from what, and how.
    banner : bool, optional
        Burn a visible SYNTHETIC strip into the pixels.

    Returns
    -------
    Path
        The written file.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import numpy as np
    >>> from misyn_lab.provenance import Provenance, label_file, write_png
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> prov = Provenance("pca_gaussian", seed=0, created="2025-01-01T00:00:00+00:00")
    >>> image = np.linspace(0, 1, 256).reshape(16, 16)
    >>> from misyn_lab.provenance import is_synthetic
    >>> is_synthetic(write_png(image, folder / "s.png", prov)).labelled
    True
    """
    arr = _to_uint(_as_array(image), 8)
    if banner:
        arr = burn_banner(arr)
    im = Image.fromarray(arr)
    return atomic_write_bytes(path, _png_bytes(im, provenance))


def write_tiff(image: Any, path: str | os.PathLike[str], provenance: Provenance, *, banner: bool = False) -> Path:
    """Write one image as a labelled TIFF (16-bit grey, 8-bit RGB).

    Parameters
    ----------
    image : numpy.ndarray or ImageSet
        One image: an array in [0, 1] (or uint8), grey H×W or colour H×W×3, or a one-image ImageSet.
    path : str or path-like
        The file to write.
    provenance : Provenance
        Who made the image, from what, and how.
    banner : bool, optional
        Burn a visible SYNTHETIC strip into the pixels.

    Returns
    -------
    Path
        The written file.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import numpy as np
    >>> from misyn_lab.provenance import Provenance, label_file, write_png
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> prov = Provenance("pca_gaussian", seed=0, created="2025-01-01T00:00:00+00:00")
    >>> image = np.linspace(0, 1, 256).reshape(16, 16)
    >>> from misyn_lab.provenance import is_synthetic
    >>> is_synthetic(write_tiff(image, folder / "s.tiff", prov)).format
    'tiff'
    """
    arr = _as_array(image)
    arr = _to_uint(arr, 16 if arr.ndim == 2 else 8)
    if banner:
        arr = burn_banner(arr)
    im = Image.fromarray(arr)
    return atomic_write_bytes(path, _tiff_bytes(im, provenance))


def write_dicom(image: Any, path: str | os.PathLike[str], provenance: Provenance, *, banner: bool = False) -> Path:
    """Write one image as a labelled DICOM Secondary Capture object (16-bit grey or 8-bit RGB).

    The object depicts no patient (intrinsic limit L1): Patient's Name is ``SYNTHETIC^IMAGE``.

    Parameters
    ----------
    image : numpy.ndarray or ImageSet
        One image: an array in [0, 1] (or uint8), grey H×W or colour H×W×3, or a one-image ImageSet.
    path : str or path-like
        The file to write.
    provenance : Provenance
        Who made the image, from what, and how.
    banner : bool, optional
        Burn a visible SYNTHETIC strip into the pixels.

    Returns
    -------
    Path
        The written file.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import numpy as np
    >>> from misyn_lab.provenance import Provenance, label_file, write_png
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> prov = Provenance("pca_gaussian", seed=0, created="2025-01-01T00:00:00+00:00")
    >>> image = np.linspace(0, 1, 256).reshape(16, 16)
    >>> import pydicom
    >>> ds = pydicom.dcmread(write_dicom(image, folder / "s.dcm", prov))
    >>> str(ds.PatientName), ds.BitsAllocated
    ('SYNTHETIC^IMAGE', 16)
    """
    arr = _as_array(image)
    colour = arr.ndim == 3
    if colour:
        arr = arr[..., :3]
    arr = _to_uint(arr, 8 if colour else 16)
    if banner:
        arr = burn_banner(arr)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\x00" * 128)
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.Modality = "OT"
    ds.PatientName, ds.PatientID = "SYNTHETIC^IMAGE", "SYNTHETIC"
    ds.Rows, ds.Columns = int(arr.shape[0]), int(arr.shape[1])
    ds.SamplesPerPixel = 3 if colour else 1
    ds.PhotometricInterpretation = "RGB" if colour else "MONOCHROME2"
    if colour:
        ds.PlanarConfiguration = 0
    bits = 8 if colour else 16
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = bits, bits, bits - 1, 0
    ds.ImageType = ["DERIVED", "SECONDARY"]
    ds.BurnedInAnnotation = "NO"
    ds.PixelData = np.ascontiguousarray(arr).tobytes()
    dicom_mark.mark_dataset(ds, provenance, banner=banner)
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return atomic_write_bytes(path, buf.getvalue())


WRITERS = {"png": write_png, "tiff": write_tiff, "dcm": write_dicom}


def _row_provenance(row: dict[str, Any], default: Provenance | None, name: str) -> Provenance:
    raw = row.get("provenance")
    if isinstance(raw, str) and raw.strip():
        return Provenance.from_json(raw)
    if isinstance(raw, dict):
        return Provenance.from_dict(raw)
    if default is None:
        raise InputError("no provenance for a synthetic image", path=name,
                         remedy="pass provenance=Provenance(...) or add a 'provenance' metadata column")
    seed = row.get("seed")
    if seed is not None and not (isinstance(seed, float) and np.isnan(seed)):
        return Provenance.from_dict({**default.to_dict(), "seed": int(seed)})
    return default


def export_imageset(imageset: ImageSet, out_dir: str | os.PathLike[str], *, fmt: str = "png",
                    provenance: Provenance | None = None, registry: Any = None, banner: bool = False) -> list[Path]:
    """Write every synthetic image of ``imageset`` into ``out_dir`` labelled, and register it.

    File names are the image ids (sanitised; an id that would leave ``out_dir`` is an :class:`InputError`).
    Per-image provenance comes from a ``provenance`` metadata column (dict or JSON) when present, else from
    ``provenance`` (with the row's ``seed`` column, if any). Real images are not exported.

    Parameters
    ----------
    imageset : ImageSet
        Images; only those marked synthetic are written.
    out_dir : str or path-like
        The output folder (created if needed).
    fmt : {"png", "tiff", "dcm"}, optional
        File format.
    provenance : Provenance, optional
        Provenance for rows without their own.
    registry : Registry, str or path-like, optional
        Where to register the written files (``None``: not registered).
    banner : bool, optional
        Burn a visible SYNTHETIC strip into the pixels.

    Returns
    -------
    list of Path
        The written files.

    Raises
    ------
    InputError
        No synthetic image in the set, an unsafe id, no provenance for a row.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import numpy as np
    >>> from misyn_lab.provenance import Provenance, label_file, write_png
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> prov = Provenance("pca_gaussian", seed=0, created="2025-01-01T00:00:00+00:00")
    >>> from misyn_lab.imagesets import ImageSet
    >>> synthetic = ImageSet.from_arrays(np.zeros((2, 8, 8)), {"id": ["s1", "s2"]}, synthetic=True)
    >>> [p.name for p in export_imageset(synthetic, folder / "out", provenance=prov)]
    ['s1.png', 's2.png']
    """
    if fmt not in WRITERS:
        raise InputError(f"unknown export format {fmt!r}", path="fmt", remedy=f"use one of {sorted(WRITERS)}")
    syn = np.flatnonzero(imageset.synthetic)
    if not len(syn):
        raise InputError("the ImageSet has no synthetic images to export", path=imageset.name,
                         remedy="mark synthetic rows with synthetic=True")
    names = [safe_output_name(str(imageset.meta["id"].iloc[i])) + EXPORT_FORMATS[fmt] for i in syn]
    if len(set(names)) != len(names):
        raise InputError("two image ids map to the same file name", path=imageset.name, remedy="make ids distinct")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    written: list[Path] = []
    provs: list[Provenance] = []
    # open (or refuse) the registry before writing anything; register all files in one transaction
    with (open_registry(registry, create=True) if registry is not None else nullcontext()) as reg:
        for i, name in zip(syn, names):
            row = imageset.meta.iloc[int(i)].to_dict()
            prov = _row_provenance(row, provenance, f"{imageset.name}[{row['id']}]")
            written.append(WRITERS[fmt](imageset.images[int(i)], out / name, prov, banner=banner))
            provs.append(prov)
        if reg is not None:
            reg.register_many(zip(written, provs))
    return written
