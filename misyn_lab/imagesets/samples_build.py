"""Build ``data_samples/``: small 128×128 PNGs derived from real images shipped in installed packages.

Sources (all offline): nilearn's MNI152 T1 template with grey/white-matter labels, Debian's
``mricron-data`` Colin27 T1 (optional), pydicom / pydicom-data test files (CT, MR, CR, US, NM), and
scikit-image's retina, microaneurysms and immunohistochemistry images. The output is deterministic:
fixed ordering, PNGs without timestamps or text chunks, CSV with fixed columns and ``\\n`` line ends,
and ``MANIFEST.sha256`` over every file.
"""

from __future__ import annotations

import hashlib
import io
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image

from misyn_lab.atomic import atomic_write_bytes, atomic_write_text
from misyn_lab.errors import InputError
from misyn_lab.imagesets.intensity import apply_window, luminance, normalise_intensity, to_uint8
from misyn_lab.imagesets.samples_sources import (COLIN27_PATH, DICOM_SOURCES, SOURCE_INFO, DicomSource,
                                                 provenance_markdown)
from misyn_lab.imagesets._dicom import read_dicom

SIZE = 128
METADATA_COLUMNS = ("id", "group", "file", "mask_file", "source", "source_package", "source_file", "licence",
                    "modality", "body_part", "plane", "slice_index", "subject", "sex", "age", "burned_in_text",
                    "notes")
MNI_PER_PLANE = 40
#: Sagittal MNI slices (midline + one hemisphere only: the template is symmetric). 22 keeps the ~3 mm spacing of
#: the axial/coronal slices; 40 put neighbours 1-2 mm apart, so close that they behaved as near-duplicates
#: (registry false matches, a near-zero memorisation baseline).
MNI_SAGITTAL = 22
COLIN_PER_PLANE = 24
PLANE_AXIS = {"sagittal": 0, "coronal": 1, "axial": 2}


@dataclass
class Sample:
    """One derived image (uint8 H×W or H×W×3), its optional label mask, and its metadata row."""

    image: np.ndarray
    row: dict[str, Any]
    mask: np.ndarray | None = None
    key: str = ""  # stable id suffix; a running number when empty


# ------------------------------------------------------------------------------------------ pure helpers
def png_bytes(arr: np.ndarray) -> bytes:
    """Deterministic PNG bytes (no timestamp/text chunks; fixed compression)."""
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(arr)).save(buf, format="PNG", compress_level=9, optimize=False)
    return buf.getvalue()


def pad_square(img: np.ndarray, fill: float = 0.0) -> np.ndarray:
    """Pad to a square (centred), so resizing keeps the aspect ratio."""
    h, w = img.shape[:2]
    n = max(h, w)
    top, left = (n - h) // 2, (n - w) // 2
    pad = [(top, n - h - top), (left, n - w - left)] + [(0, 0)] * (img.ndim - 2)
    return np.pad(img, pad, mode="constant", constant_values=fill)


def resize_to(img: np.ndarray, size: int = SIZE, *, labels: bool = False) -> np.ndarray:
    """Resize a float image (bilinear + anti-aliasing) or a label map (nearest) to ``size``×``size``."""
    from skimage.transform import resize

    shape = (size, size) + img.shape[2:]
    if labels:
        return resize(img, shape, order=0, anti_aliasing=False, preserve_range=True).astype(np.uint8)
    return np.clip(resize(img.astype(np.float64), shape, order=1, anti_aliasing=True, preserve_range=True), 0, 1)


def spread_indices(lo: int, hi: int, n: int, margin: float = 0.1) -> list[int]:
    """``n`` distinct indices spread over [lo, hi] with ``margin`` of the extent left out at both ends."""
    span = hi - lo
    a, b = lo + margin * span, hi - margin * span
    return sorted({int(round(v)) for v in np.linspace(a, b, n)})


def hemisphere_indices(mid: int, lateral: int, n: int, margin: float = 0.1) -> list[int]:
    """``n`` distinct indices spread evenly from the midline ``mid`` towards ``lateral`` (either side).

    The midline is included; ``margin`` of the midline-to-``lateral`` distance is left out at the lateral end
    only (like :func:`spread_indices` leaves it out at both ends of the whole extent). Raises
    :class:`InputError` when the hemisphere has fewer than ``n`` voxels to pick from.
    """
    end = lateral - margin * (lateral - mid)
    picks = sorted({int(round(v)) for v in np.linspace(mid, end, n)})
    if len(picks) < n:
        raise InputError(f"only {len(picks)} distinct slices between index {mid} and {end:.1f}, {n} wanted",
                         path="samples_build.MNI_SAGITTAL", remedy="ask for fewer slices")
    return picks


def is_mirror_symmetric(volume: np.ndarray, axis: int, mid: int) -> bool:
    """True when ``volume`` is voxel-identical to its mirror image about index ``mid`` along ``axis``."""
    n = volume.shape[axis]
    half = min(mid, n - 1 - mid)
    lo = plane_slice_range(volume, axis, mid - half, mid)
    hi = np.flip(plane_slice_range(volume, axis, mid + 1, mid + half + 1), axis=axis)
    return half > 0 and bool(np.array_equal(lo, hi))


def plane_slice_range(volume: np.ndarray, axis: int, start: int, stop: int) -> np.ndarray:
    """``volume`` restricted to ``start:stop`` along ``axis`` (a view)."""
    return volume[(slice(None),) * axis + (slice(start, stop),)]


def pixel_duplicates(samples: list[Sample]) -> list[list[str]]:
    """Groups (>= 2) of sample ids whose images are pixel-identical (same shape, dtype and values)."""
    seen: dict[str, list[str]] = {}
    for s in samples:
        img = np.ascontiguousarray(s.image)
        digest = hashlib.sha256(f"{img.shape}{img.dtype}".encode() + img.tobytes()).hexdigest()
        seen.setdefault(digest, []).append(str(s.row["id"]))
    return [ids for ids in seen.values() if len(ids) > 1]


def plane_slice(volume: np.ndarray, axis: int, index: int) -> np.ndarray:
    """``volume`` at ``index`` along ``axis`` (a view, unlike ``np.take``)."""
    return volume[(slice(None),) * axis + (index,)]


def extent(mask: np.ndarray, axis: int) -> tuple[int, int]:
    other = tuple(i for i in range(mask.ndim) if i != axis)
    idx = np.flatnonzero(mask.any(axis=other))
    return int(idx[0]), int(idx[-1])


def tissue_labels(gm: np.ndarray, wm: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """0 background, 1 grey matter, 2 white matter: the larger probability wins where it is >= threshold."""
    labels = np.zeros(gm.shape, dtype=np.uint8)
    labels[(gm >= threshold) & (gm >= wm)] = 1
    labels[(wm >= threshold) & (wm > gm)] = 2
    return labels


def _display(sl: np.ndarray) -> np.ndarray:
    """RAS slice -> display orientation (superior / anterior up)."""
    return np.rot90(sl)


def _base_row(group: str, **kw: Any) -> dict[str, Any]:
    info = SOURCE_INFO[group]
    row = {c: "" for c in METADATA_COLUMNS}
    row.update(group=group, source=info["source"], source_package=info["package"], licence=info["licence"],
               modality=info["modality"], body_part=info.get("body_part", ""), subject=info.get("subject", ""),
               burned_in_text="no")
    row.update({k: v for k, v in kw.items()})
    return row


# ------------------------------------------------------------------------------------------ sources
def _volume_slices(group: str, volume: np.ndarray, brain: np.ndarray, per_plane: int, source_file: str,
                   labels: np.ndarray | None, coord: Callable[[int, int], str],
                   indices: dict[str, list[int]] | None = None) -> Iterator[Sample]:
    """Slices per plane: ``indices[plane]`` where given, else ``per_plane`` spread over the brain extent."""
    lo_v, hi_v = float(volume.min()), float(np.percentile(volume[brain], 99.9))
    for plane, axis in PLANE_AXIS.items():
        a, b = extent(brain, axis)
        picks = (indices or {}).get(plane) or spread_indices(a, b, per_plane)
        for i in picks:
            sl = (np.clip(plane_slice(volume, axis, i), lo_v, hi_v) - lo_v) / (hi_v - lo_v)
            img = to_uint8(resize_to(pad_square(_display(sl))))
            mask = None
            if labels is not None:
                mask = resize_to(pad_square(_display(plane_slice(labels, axis, i))), labels=True)
            yield Sample(img, _base_row(group, plane=plane, slice_index=i, source_file=source_file,
                                        notes=f"{coord(axis, i)}; RAS voxel index; padded to square, "
                                              f"resized to {SIZE}x{SIZE}; volume intensity scaling"), mask)


def mni152_samples() -> Iterator[Sample]:
    """MNI152 T1 template slices with grey/white-matter label masks (nilearn, offline files)."""
    import nibabel as nib

    try:
        from nilearn import datasets
    except ImportError as exc:
        raise InputError("nilearn is not installed; it ships the MNI152 template", path="nilearn",
                         remedy="pip install -e '.[samples]' (or pip install nilearn)") from exc
    t1 = nib.as_closest_canonical(datasets.load_mni152_template(resolution=1))
    gm = nib.as_closest_canonical(datasets.load_mni152_gm_template(resolution=1)).get_fdata()
    wm = nib.as_closest_canonical(datasets.load_mni152_wm_template(resolution=1)).get_fdata()
    brain = nib.as_closest_canonical(datasets.load_mni152_brain_mask(resolution=1)).get_fdata() > 0
    vol = t1.get_fdata()
    labels = tissue_labels(gm, wm) * brain.astype(np.uint8)
    aff = t1.affine

    def coord(axis: int, i: int) -> str:
        vox = [0, 0, 0]
        vox[axis] = i
        return f"MNI {'xyz'[axis]}={float((aff @ np.array(vox + [1]))[axis]):.0f} mm"

    yield from _volume_slices("mni152", vol, brain, MNI_PER_PLANE,
                              "nilearn/datasets/data/mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz",
                              labels, coord, indices={"sagittal": mni_sagittal_indices(brain, aff)})


def midline_index(affine: np.ndarray, axis: int = 0) -> int:
    """Voxel index of world coordinate 0 along ``axis`` (x = 0 mm: the MNI midline)."""
    return int(round(float((np.linalg.inv(affine) @ np.array([0.0, 0.0, 0.0, 1.0]))[axis])))


def mni_sagittal_indices(brain: np.ndarray, affine: np.ndarray) -> list[int]:
    """Sagittal slice indices: the midline (x = 0) plus one hemisphere (x > 0, right), spread evenly.

    The ICBM152 2009a *symmetric* template is voxel-identical at +x and -x (see :func:`is_mirror_symmetric`),
    so slices from both hemispheres would be exact duplicate images: real-to-real distance 0, which breaks every
    nearest-neighbour metric. The lateral end leaves out 10 % of the midline-to-edge distance.
    """
    axis = PLANE_AXIS["sagittal"]
    return hemisphere_indices(midline_index(affine, axis), extent(brain, axis)[1], MNI_SAGITTAL)


def colin27_samples(path: Path = COLIN27_PATH) -> Iterator[Sample]:
    """Colin27 (ch2) single-subject T1 slices from Debian's mricron-data."""
    import nibabel as nib

    img = nib.as_closest_canonical(nib.load(str(path)))
    bet = nib.as_closest_canonical(nib.load(str(path.with_name("ch2bet.nii.gz")))).get_fdata() > 0
    vol = img.get_fdata()

    def coord(axis: int, i: int) -> str:
        vox = [0, 0, 0]
        vox[axis] = i
        return f"{'xyz'[axis]}={float((img.affine @ np.array(vox + [1]))[axis]):.0f} mm"

    yield from _volume_slices("colin27", vol, bet, COLIN_PER_PLANE, str(path), None, coord)


def _dicom_path(name: str) -> str:
    from pydicom.data import get_testdata_file

    path = get_testdata_file(name, download=False)
    if path is None:
        raise InputError(f"pydicom test file {name} not found", path=name,
                         remedy="pip install pydicom pydicom-data")
    return str(path)


def _dicom_image(frame: np.ndarray, src: DicomSource, info: dict[str, Any]) -> tuple[np.ndarray, str]:
    if frame.ndim == 3:  # colour ultrasound -> luminance
        rgb = frame.astype(np.float64)
        rgb = rgb / (65535.0 if frame.dtype == np.uint16 else 255.0)
        return luminance(rgb), "colour converted to luminance (grey)"
    if src.window == "file" and info.get("window_center") is not None and info.get("window_width"):
        c, w = float(info["window_center"]), float(info["window_width"])
        return apply_window(frame, c, w), f"DICOM window C={c:g} W={w:g}"
    if isinstance(src.window, tuple):
        c, w = src.window
        return apply_window(frame, c, w), f"window C={c:g} W={w:g} (HU)"
    return normalise_intensity(frame, lo_pct=0.5, hi_pct=99.5), "0.5-99.5 percentile window"


def dicom_samples(sources: tuple[DicomSource, ...] = DICOM_SOURCES,
                  skipped: list[str] | None = None) -> Iterator[Sample]:
    """Frames of the selected pydicom / pydicom-data test files, modality values windowed to 8 bit."""
    for src in sources:
        try:
            frames = read_dicom(_dicom_path(src.file))
        except InputError as exc:
            if src.optional and skipped is not None:
                skipped.append(f"{src.file}: {exc}")
                continue
            raise
        picks = src.frames if src.frames is not None else range(len(frames))
        for k in picks:
            fr = frames[k]
            img, how = _dicom_image(fr.pixels, src, fr.info)
            age = fr.info.get("age", "")
            age = "" if age in ("", "000Y") else age
            sex = fr.info.get("sex", "") if fr.info.get("sex", "") in ("F", "M") else ""
            notes = [how, f"padded to square, resized from {fr.pixels.shape[1]}x{fr.pixels.shape[0]}",
                     fr.info.get("notes", ""), src.note]
            pkg_dir = src.package_dir
            key = re.sub(r"[^a-z0-9]+", "_", src.file.rsplit(".", 1)[0].lower()).strip("_")
            key += f"-f{k:02d}" if len(frames) > 1 else ""
            yield Sample(to_uint8(resize_to(pad_square(img))), _base_row(
                src.group, source_file=f"{pkg_dir}/{src.file}",
                source_package="pydicom-data (PyPI)" if pkg_dir.startswith("pydicom-data") else "pydicom (PyPI)",
                slice_index=k if len(frames) > 1 else "",
                modality=fr.info.get("modality") or SOURCE_INFO[src.group]["modality"],
                body_part=src.body_part or fr.info.get("body_part", ""), plane=src.plane, sex=sex, age=age,
                subject=f"DICOM {src.file.split('.')[0]}", burned_in_text=src.burned_in,
                notes="; ".join(n for n in notes if n)), key=key)


def retina_samples() -> Iterator[Sample]:
    """scikit-image retina (CC0): the whole fundus downsized, then 128-px tiles at full resolution inside the field."""
    from skimage import data

    rgb = data.retina()
    yield Sample(to_uint8(resize_to(rgb / 255.0)), _base_row(
        "retina", source_file="skimage/data/retina.jpg", subject="retina (Häggström 2014)", plane="whole",
        notes=f"whole photograph resized from {rgb.shape[1]}x{rgb.shape[0]}"), key="whole")
    fov = rgb.max(axis=2) > 20
    n = rgb.shape[0] // SIZE
    off = (rgb.shape[0] - n * SIZE) // 2
    for r in range(n):
        for c in range(n):
            y, x = off + r * SIZE, off + c * SIZE
            if fov[y:y + SIZE, x:x + SIZE].mean() < 0.98:
                continue
            yield Sample(np.ascontiguousarray(rgb[y:y + SIZE, x:x + SIZE]), _base_row(
                "retina", source_file="skimage/data/retina.jpg", subject="retina (Häggström 2014)", plane="patch",
                notes=f"128x128 tile at native resolution, rows {y}-{y + SIZE}, cols {x}-{x + SIZE}"),
                key=f"r{r:02d}c{c:02d}")


def microaneurysm_samples() -> Iterator[Sample]:
    from skimage import data

    g = data.microaneurysms()
    yield Sample(to_uint8(resize_to(g / 255.0)), _base_row(
        "microaneurysms", source_file="skimage/data/microaneurysms.png", subject="HRF image 07_dr", plane="patch",
        notes=f"green channel crop with microaneurysms, upsampled from {g.shape[1]}x{g.shape[0]} (grey)"))


def histology_samples() -> Iterator[Sample]:
    from skimage import data

    rgb = data.immunohistochemistry()
    n = rgb.shape[0] // SIZE
    for r in range(n):
        for c in range(n):
            y, x = r * SIZE, c * SIZE
            yield Sample(np.ascontiguousarray(rgb[y:y + SIZE, x:x + SIZE]), _base_row(
                "histology", source_file="skimage/data/ihc.png", subject="colonic glands (CMMI)", plane="patch",
                notes=f"128x128 tile at native resolution, rows {y}-{y + SIZE}, cols {x}-{x + SIZE}"),
                key=f"r{r:02d}c{c:02d}")


# ------------------------------------------------------------------------------------------ build
def _write(out: Path, rel: str, data: bytes) -> None:
    atomic_write_bytes(out / rel, data)


def remove_stale(out: Path, written: set[str]) -> int:
    """Delete PNGs under ``images/`` and ``masks/`` that this build did not write; returns how many."""
    n = 0
    for sub in ("images", "masks"):
        for p in sorted((out / sub).rglob("*.png")) if (out / sub).is_dir() else []:
            if p.relative_to(out).as_posix() not in written:
                p.unlink()
                n += 1
    return n


def manifest_text(out_dir: Path) -> str:
    """``sha256  relative/path`` lines for every file under ``out_dir`` except the manifest itself."""
    lines = []
    for p in sorted(q for q in out_dir.rglob("*") if q.is_file() and q.name != "MANIFEST.sha256"):
        rel = p.relative_to(out_dir).as_posix()
        if rel.startswith("."):
            continue
        lines.append(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {rel}")
    return "\n".join(lines) + "\n"


def build_samples(out_dir: str | Path, *, groups: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Rebuild the sample archive in ``out_dir``; returns a summary (counts, size, time, notes).

    ``groups`` restricts the build to some groups (used by tests); the default builds all. A missing
    required source raises :class:`InputError`; the optional Colin27 volume is skipped with a note.
    """
    t0 = time.perf_counter()
    out = Path(out_dir)
    notes: list[str] = []
    skipped: list[str] = []
    gens: list[tuple[str, Callable[[], Iterator[Sample]]]] = [
        ("mni152", mni152_samples), ("colin27", colin27_samples),
        ("dicom", lambda: dicom_samples(skipped=skipped)), ("retina", retina_samples),
        ("microaneurysms", microaneurysm_samples), ("histology", histology_samples)]
    known = {g for g, _ in gens} | {s.group for s in DICOM_SOURCES}
    if groups is not None:
        unknown = sorted(set(groups) - known)
        if unknown:
            raise InputError(f"unknown sample groups {unknown}", path="groups", remedy=f"use {sorted(known)}")
    rows: list[dict[str, Any]] = []
    samples: list[Sample] = []
    written: set[str] = set()
    for gname, gen in gens:
        if gname == "dicom":
            if groups is not None and not set(groups) & {s.group for s in DICOM_SOURCES}:
                continue
            wanted = tuple(s for s in DICOM_SOURCES if groups is None or s.group in groups)
            gen = (lambda w=wanted: dicom_samples(w, skipped=skipped))  # noqa: E731
        elif groups is not None and gname not in groups:
            continue
        if gname == "colin27" and not COLIN27_PATH.is_file():
            notes.append(f"Colin27 skipped: {COLIN27_PATH} not found (apt-get install mricron-data)")
            continue
        counter: dict[str, int] = {}
        for s in gen():
            g = s.row["group"]
            counter[g] = counter.get(g, 0) + 1
            sid = f"{g}-{s.key}" if s.key else f"{g}-{counter[g]:03d}"
            if s.row["plane"] in PLANE_AXIS and s.row["slice_index"] != "":
                sid = f"{g}-{s.row['plane'][:3]}-{int(s.row['slice_index']):03d}"
            s.row["id"] = sid
            samples.append(s)
    dups = pixel_duplicates(samples)
    if dups:  # checked before anything is written: a duplicate real image poisons nearest-neighbour metrics
        raise InputError(f"{len(dups)} group(s) of pixel-identical images, e.g. {dups[:3]}", path=out,
                         remedy="pick distinct slices/tiles in misyn_lab/imagesets/samples_build.py")
    for s in samples:
        g, sid = s.row["group"], s.row["id"]
        s.row["file"] = f"images/{g}/{sid}.png"
        _write(out, s.row["file"], png_bytes(s.image))
        written.add(s.row["file"])
        if s.mask is not None:
            s.row["mask_file"] = f"masks/{g}/{sid}.png"
            _write(out, s.row["mask_file"], png_bytes(s.mask))
            written.add(s.row["mask_file"])
        rows.append(s.row)
    notes.append(f"duplicate check: no two of the {len(samples)} images are pixel-identical (SHA-256 of the "
                 "decoded pixels)")
    removed = remove_stale(out, written)
    notes.extend(f"optional DICOM source skipped: {m}" for m in skipped)
    meta = pd.DataFrame(rows, columns=list(METADATA_COLUMNS)).astype(str)
    atomic_write_text(out / "metadata.csv", meta.to_csv(index=False, lineterminator="\n"))
    counts = meta.groupby(["group", "modality"]).size().reset_index(name="n")
    atomic_write_text(out / "PROVENANCE.md", provenance_markdown(counts, notes))
    atomic_write_text(out / "MANIFEST.sha256", manifest_text(out))
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    if removed:  # a message for the caller, not part of the (deterministic) archive
        notes = notes + [f"removed {removed} stale PNG(s) left from an earlier build"]
    return {"n_images": len(meta), "n_masks": int((meta["mask_file"] != "").sum()),
            "counts": {f"{r.group}/{r.modality}": int(r.n) for r in counts.itertuples()},
            "modalities": sorted(meta["modality"].unique().tolist()),
            "size_mb": round(size / 1e6, 3), "seconds": round(time.perf_counter() - t0, 1), "notes": notes,
            "out_dir": str(out)}
