"""Hostile corpus (issue 13): crafted files, case files, folders and registries, generated at test time in tmp_path.

Every input runs in its own forked child process (the package is imported once, in the parent) through the
command line or the public API, under ``RLIMIT_AS`` = 6 GiB, and is killed after 30 s; a case that starts a local
Dask cluster runs in a fresh interpreter instead (``python -m misyn_lab``, same limit), because a cluster started
in a child forked from a process that already ran Dask threads can deadlock. Each case states the
issue class it covers, the expected exit code and an exact message fragment (stderr for errors, stdout
otherwise); every run is measured — wall time and the child's peak RSS (``os.wait4`` rusage) — and must stay
under 30 s and 2 GiB. Errors must be one line, never a traceback or "unexpected error".

Set ``MISYN_LAB_CORPUS_TABLE=FILE`` to write the per-input measurements as a Markdown table.

Classes (issue 13, "What to build"): 1 bounded decoding, 2 embedded text, 3 YAML bombs, 4 case notebooks,
5 transactional label, 6 audit, 7 registry faults, 8 marked real images, 9 designed errors, 10 smaller items.
"""

from __future__ import annotations

import io
import json
import os
import resource
import shutil
import signal
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from misyn_lab.cli import main
from misyn_lab.errors import MisynError
from misyn_lab.imagesets.samples import data_dir
from misyn_lab.provenance import audit as audit_mod
from tests.report.test_report_preflight import _case as _case_file
from tests.test_bad_inputs import _grad, _png_bytes

SAMPLES = data_dir() / "images"
MAX_SECONDS = 30.0
MAX_RSS_MIB = 2048.0
AS_LIMIT = 6 << 30
DEEP = "[" * 100000 + "]" * 100000
BIG_INT = "1" * 100000
MEASURED: list[dict[str, Any]] = []


# ------------------------------------------------------------------------------------------------ running
@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str
    seconds: float
    rss_mib: float


def _api(fn: Callable[[], Any]) -> int:
    """Run an API call the way the CLI reports it: a MisynError is one line on stderr and exit code 2."""
    try:
        result = fn()
    except MisynError as exc:
        print(f"misyn-lab: error: {exc}", file=sys.stderr)
        return 2
    if result is not None:
        print(result)
    return 0


def run_isolated(target: list[str] | Callable[[], Any], *, env: dict[str, str] | None = None,
                 setup: Callable[[], None] | None = None, timeout: float = MAX_SECONDS + 15) -> Run:
    """Fork; in the child apply RLIMIT_AS, redirect output, run the CLI (argv) or an API call; measure."""
    out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        code = 98
        try:
            resource.setrlimit(resource.RLIMIT_AS, (AS_LIMIT, AS_LIMIT))
            os.dup2(out.fileno(), 1)
            os.dup2(err.fileno(), 2)
            sys.stdout = os.fdopen(1, "w", closefd=False)
            sys.stderr = os.fdopen(2, "w", closefd=False)
            os.environ.update(env or {})
            if setup is not None:
                setup()
            try:
                code = main(target) if isinstance(target, list) else _api(target)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 2
            except BaseException as exc:
                print(f"CHILD CRASH {type(exc).__name__}: {exc}", file=sys.stderr)
                code = 97
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(int(code or 0))
    return _measure(pid, start, timeout, out, err, lambda: os.kill(pid, signal.SIGKILL))


#: A fresh interpreter that limits its own address space before it imports anything, then runs
#: ``python -m misyn_lab ARGV`` (no ``preexec_fn``: unsafe in this process, which may run threads).
_FRESH = ("import resource, runpy, sys; resource.setrlimit(resource.RLIMIT_AS, ({0}, {0})); "
          "sys.argv[0] = 'misyn-lab'; runpy.run_module('misyn_lab', run_name='__main__', alter_sys=True)")


def run_fresh(argv: list[str], *, timeout: float = MAX_SECONDS + 15) -> Run:
    """Run the CLI in a fresh interpreter (its own session, the same RLIMIT_AS, inherited by the processes it
    starts); measure. For cases that start a local Dask cluster (unsafe in a forked child of this process)."""
    out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", _FRESH.format(AS_LIMIT), *argv], stdout=out, stderr=err,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    return _measure(proc.pid, start, timeout, out, err, lambda: os.killpg(proc.pid, signal.SIGKILL))


def _measure(pid: int, start: float, timeout: float, out: Any, err: Any, kill: Callable[[], None]) -> Run:
    """Wait for the child ``pid`` (``kill`` it after ``timeout``), then its exit code, output, time and peak RSS (the
    largest of it and its reaped children, ``os.wait4`` rusage)."""
    deadline = start + timeout
    while True:
        wpid, status, usage = os.wait4(pid, os.WNOHANG)
        if wpid:
            break
        if time.perf_counter() > deadline:
            kill()
            _, status, usage = os.wait4(pid, 0)
            break
        time.sleep(0.005)
    seconds = time.perf_counter() - start
    out.seek(0)
    err.seek(0)
    return Run(os.waitstatus_to_exitcode(status), out.read().decode("utf-8", "replace"),
               err.read().decode("utf-8", "replace"), seconds, usage.ru_maxrss / 1024)


# ------------------------------------------------------------------------------------------------ builders
def _folder(tmp: Path, name: str = "ds") -> Path:
    folder = tmp / name
    folder.mkdir(exist_ok=True)
    (folder / "good.png").write_bytes(_png_bytes(_grad()))
    return folder


def _sample(tmp: Path, n: int = 1, name: str = "slices") -> list[Path]:
    folder = tmp / name
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for p in sorted(SAMPLES.rglob("*.png"))[:n]:
        shutil.copy(p, folder / p.name)
        out.append(folder / p.name)
    return out


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def _png_with_text(path: Path, key: str, text: str) -> Path:
    info = PngImagePlugin.PngInfo()
    info.add_itxt(key, text)
    path.write_bytes(_png_bytes(_grad(), pnginfo=info))
    return path


def _xmp(attrs: str = "", body: str = "") -> str:
    return ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            f'<rdf:Description xmlns:misyn="urn:misyn-lab:ns:provenance:1" {attrs}>{body}</rdf:Description>'
            "</rdf:RDF></x:xmpmeta>")


def _jpeg_with_com(path: Path, comment: bytes) -> Path:
    buf = io.BytesIO()
    Image.fromarray(_grad()).save(buf, "JPEG")
    data = buf.getvalue()
    path.write_bytes(data[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + data[2:])
    return path


def _dicom(path: Path, *, rows: int = 16, cols: int = 16, frames: int | None = None, ts: str | None = None,
           pixel: bytes | None = None, float_pixels: bool = False, private: str | None = None) -> Path:
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ts or ExplicitVRLittleEndian
    ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    ds.Modality, ds.PatientID = "OT", "X"
    ds.Rows, ds.Columns = rows, cols
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    if frames:
        ds.NumberOfFrames = frames
    if float_pixels:
        ds.BitsAllocated = 32
        ds.FloatPixelData = np.random.default_rng(0).random(rows * cols).astype(np.float32).tobytes()
    else:
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
        ds.PixelData = pixel if pixel is not None else (np.arange(rows * cols, dtype=np.uint16) * 7).tobytes()
        if ts is not None:
            ds["PixelData"].VR = "OB"
    if private is not None:
        block = ds.private_block(0x0011, "MISYN_LAB", create=True)
        block.add_new(0x01, "UT", private)
    ds.save_as(path, enforce_file_format=True)
    return path


def _nifti_header_only(path: Path, shape: tuple[int, ...], *, extra: int = 4_000_000) -> Path:
    hdr = nib.Nifti1Header()
    hdr.set_data_shape(shape)
    hdr.set_data_dtype(np.float32)
    hdr["vox_offset"] = 352
    path.write_bytes(hdr.binaryblock + b"\0" * 4 + b"\0" * extra)
    return path


def _nifti(path: Path, shape: tuple[int, ...] = (10, 9, 4)) -> Path:
    nib.save(nib.Nifti1Image(np.random.default_rng(0).random(shape).astype(np.float32), np.eye(4)), path)
    return path


def _review(tmp: Path, extra: str) -> Path:
    from misyn_lab.checklist import Review

    path = tmp / "review.yaml"
    Review.new("hostile", reviewer="ana").save(path)
    path.write_text(path.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return path


def _alias_bomb(levels: int = 10) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


def _registry_with_copy(tmp: Path) -> tuple[Path, Path]:
    """A registry knowing one sample slice, and a folder holding a metadata-free copy of it."""
    from misyn_lab.provenance import Provenance, Registry

    (src,) = _sample(tmp, 1, "src")
    folder = tmp / "ds"
    folder.mkdir(parents=True, exist_ok=True)
    Image.open(src).save(folder / "copy.png")
    reg = tmp / "reg.sqlite"
    with Registry(reg) as r:
        r.register(src, Provenance(generator="gen"))
    return reg, folder


def _label(paths: list[Path], *extra: str) -> None:
    assert main(["label", *map(str, paths), "--generator", "ddpm", "--quiet", *extra]) == 0


# ------------------------------------------------------------------------------------------------ cases
@dataclass(frozen=True)
class Hostile:
    id: str
    klass: int
    build: Callable[[Path], list[str] | Callable[[], Any]]
    code: int
    fragment: str
    stream: str = "err"
    check: Callable[[Path, Run], None] | None = None
    setup: Callable[[], None] | None = None
    max_seconds: float = MAX_SECONDS
    #: Run the CLI in a fresh interpreter instead of a forked child (the case starts a local Dask cluster).
    fresh: bool = False


def _load(fn_name: str, **kw: Any) -> Callable[[Path], Callable[[], Any]]:
    def build(target: Path) -> Callable[[], Any]:
        from misyn_lab import imagesets

        return lambda: f"{len(getattr(imagesets, fn_name)(target, **kw))} images"
    return build


# -- class 1: bounded decoding
def b_tiff_80_pages(tmp: Path) -> Path:
    path = tmp / "pages.tif"
    pages = [Image.new("L", (1000, 1000)) for _ in range(80)]
    pages[0].save(path, save_all=True, append_images=pages[1:], compression="tiff_deflate")
    return path


def b_tiff_page2_huge(tmp: Path) -> Path:
    path = tmp / "page2.tif"
    Image.new("L", (8, 8)).save(path, save_all=True, append_images=[Image.new("L", (12000, 12000))],
                                compression="tiff_deflate")
    return path


def b_nifti_1600(tmp: Path) -> Path:
    return _nifti_header_only(tmp / "vol.nii", (1600, 1600, 1600))


def b_npz_huge(tmp: Path) -> Path:
    path = tmp / "stack.npz"
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False,
                                                  "shape": (100000, 1000, 1000)})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("images.npy", header.getvalue() + b"\0" * 3_000_000)
    return path


def b_dicom_120_frames(tmp: Path) -> Path:
    from pydicom.encaps import encapsulate
    from pydicom.uid import RLELossless

    return _dicom(tmp / "frames.dcm", rows=2048, cols=2048, frames=120, ts=RLELossless,
                  pixel=encapsulate([b"\0" * 64] * 120))


def b_big_jpeg(tmp: Path) -> Path:
    path = tmp / "big.jpg"
    Image.new("RGB", (7999, 7999), (40, 90, 160)).save(path, quality=60)
    return path


def b_dicom_huge_rows(tmp: Path) -> Path:
    return _dicom(tmp / "rows.dcm", rows=30000, cols=30000, pixel=b"\0" * 64)


# -- class 2: embedded text (audit folders)
def _audit_with(file_builder: Callable[[Path], Path], *extra: str) -> Callable[[Path], list[str]]:
    def build(tmp: Path) -> list[str]:
        folder = _folder(tmp)
        file_builder(folder)
        return ["audit", str(folder), *extra]
    return build


def f_png_itxt(folder: Path) -> Path:
    return _png_with_text(folder / "x.png", "misyn:provenance", DEEP)


def f_png_xmp_json(folder: Path) -> Path:
    return _png_with_text(folder / "x.png", "XML:com.adobe.xmp",
                          _xmp('misyn:Synthetic="true" misyn:Provenance="' + "[" * 5000 + "]" * 5000 + '"'))


def f_png_xmp_deep(folder: Path) -> Path:
    return _png_with_text(folder / "x.png", "XML:com.adobe.xmp", _xmp(body="<a>" * 5000 + "</a>" * 5000))


def f_png_xmp_entities(folder: Path) -> Path:
    bomb = ('<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "&{chr(97 + i)};&{chr(97 + i)};&{chr(97 + i)};&{chr(97 + i)};&{chr(97 + i)};'
        f'&{chr(97 + i)};&{chr(97 + i)};&{chr(97 + i)};&{chr(97 + i)};&{chr(97 + i)};">' for i in range(9))
        + "]>" + _xmp(body="&j;"))
    return _png_with_text(folder / "x.png", "XML:com.adobe.xmp", bomb)


def f_png_ztxt_bomb(folder: Path) -> Path:
    raw = _png_bytes(_grad())
    body = b"misyn:provenance\0\0" + zlib.compress(b"{" * (64 << 20), 9)
    path = folder / "x.png"
    path.write_bytes(raw[:33] + _chunk(b"zTXt", body) + raw[33:])
    return path


def f_jpeg_com(folder: Path) -> Path:
    return _jpeg_with_com(folder / "x.jpg", b"misyn:synthetic=true\n" + ("[" * 30000 + "]" * 30000).encode())


def f_jpeg_com_no_flag(folder: Path) -> Path:
    return _jpeg_with_com(folder / "x.jpg", ("[" * 30000 + "]" * 30000).encode())


def f_tiff_desc(folder: Path) -> Path:
    path = folder / "x.tif"
    Image.fromarray(_grad()).save(path, tiffinfo={270: DEEP})
    return path


def f_dicom_private(folder: Path) -> Path:
    import pydicom

    path = _dicom(folder / "x.dcm", private=DEEP)

    ds = pydicom.dcmread(path)
    ds.ConversionType = "SYN"
    ds.save_as(path)
    return path


def f_dicom_private_only(folder: Path) -> Path:
    return _dicom(folder / "x.dcm", private=DEEP)


def f_nifti_sidecar(folder: Path) -> Path:
    path = _nifti(folder / "vol.nii.gz")
    (folder / "vol.json").write_text('{"misyn:synthetic": true, "misyn:provenance": ' + DEEP + "}")
    return path


#: Copies of a good PNG beside the deep-iTXt file in the parallel audit (several chunks of 7 on 2 Dask workers).
PARALLEL_COPIES = 40


def b_parallel_deep(tmp: Path) -> list[str]:
    folder = _folder(tmp)
    data = (folder / "good.png").read_bytes()
    for i in range(PARALLEL_COPIES):
        (folder / f"copy{i:04d}.png").write_bytes(data)
    f_png_itxt(folder)
    return ["audit", str(folder), "--scheduler", "local", "--workers", "2", "--chunk-size", "7", "--quiet"]


def b_deep_with_registry_finding(tmp: Path) -> list[str]:
    reg, folder = _registry_with_copy(tmp)
    f_tiff_desc(folder)
    return ["audit", str(folder), "--registry", str(reg)]


# -- class 3: YAML/JSON bombs
def b_review_alias_bomb(tmp: Path) -> list[str]:
    return ["review", "answer", str(_review(tmp, "x_notes:\n" + "  " + _alias_bomb().replace("\n", "\n  "))),
            "TS-1", "yes", "--reviewer", "ana", "--why", "x"]


def b_review_unknown_key_bomb(tmp: Path) -> list[str]:
    return ["review", "answer", str(_review(tmp, "evil:\n" + "  " + _alias_bomb(3).replace("\n", "\n  "))), "TS-1",
            "yes", "--reviewer", "ana", "--why", "x"]


def b_review_merge_bomb(tmp: Path) -> list[str]:
    bomb = _review(tmp, "x_notes:\n  " + _alias_bomb().replace("\n", "\n  "))
    other = tmp / "other.yaml"
    shutil.copy(bomb, other)
    return ["review", "merge", str(bomb), str(other), "-o", str(tmp / "merged.yaml")]


def b_review_deep_yaml(tmp: Path) -> list[str]:
    return ["review", "summary", str(_review(tmp, "x_deep: " + DEEP + "\n"))]


def b_review_big_int_yaml(tmp: Path) -> list[str]:
    return ["review", "summary", str(_review(tmp, "x_n: " + BIG_INT + "\n"))]


def b_review_deep_json(tmp: Path) -> list[str]:
    path = tmp / "review.json"
    path.write_text('{"schema_version": 1, "kind": "misyn-lab-review", "x_deep": ' + DEEP + "}")
    return ["review", "summary", str(path)]


def b_review_big_int_json(tmp: Path) -> list[str]:
    path = tmp / "review.json"
    path.write_text('{"schema_version": ' + BIG_INT + ', "kind": "misyn-lab-review"}')
    return ["review", "summary", str(path)]


def b_case_bomb(tmp: Path) -> list[str]:
    path = tmp / "case.yaml"
    path.write_text("practice:\n  " + _alias_bomb().replace("\n", "\n  "))
    return ["case", "check", str(path)]


def b_claims_bomb(tmp: Path) -> list[str]:
    path = tmp / "claims.yaml"
    path.write_text(_alias_bomb())
    return ["claims", "check", str(path)]


# -- class 4: case notebooks
def b_case_dotdot(tmp: Path) -> list[str]:
    return ["case", "check", str(_case_file(tmp, "../../../some/where/pwn.ipynb"))]


def b_case_absolute(tmp: Path) -> list[str]:
    return ["report", "--case", str(_case_file(tmp, "/tmp/pwn.ipynb")), "--out", str(tmp / "o")]


def b_case_symlink(tmp: Path) -> list[str]:
    path = _case_file(tmp, "./nb.ipynb")
    (tmp / "pwn.ipynb").write_text("{}")
    (path.parent / "nb.ipynb").symlink_to(tmp / "pwn.ipynb")
    return ["report", "--case", str(path), "--out", str(tmp / "o")]


# -- class 5: transactional label
def b_label_symlink(tmp: Path) -> list[str]:
    (src,) = _sample(tmp)
    link = tmp / "link.png"
    link.symlink_to(src)
    return ["label", str(link), "--generator", "g", "--no-registry"]


def b_label_hardlink(tmp: Path) -> list[str]:
    (src,) = _sample(tmp)
    os.link(src, tmp / "hard.png")
    return ["label", str(tmp / "hard.png"), "--generator", "g", "--no-registry"]


def b_label_collision(tmp: Path) -> list[str]:
    a, b = tmp / "A" / "x.png", tmp / "B" / "x.png"
    for p in (a, b):
        p.parent.mkdir()
        p.write_bytes(_png_bytes(_grad()))
    return ["label", str(a), str(b), "--generator", "g", "--out", str(tmp / "out"), "--registry", str(tmp / "r.sqlite")]


def b_label_nifti_default_registry(tmp: Path) -> list[str]:
    return ["label", str(_nifti(tmp / "vol.nii.gz")), "--generator", "g", "--out", str(tmp / "out")]


def b_label_j2k(tmp: Path) -> list[str]:
    from pydicom.encaps import encapsulate
    from pydicom.uid import JPEG2000Lossless

    path = _dicom(tmp / "j2k.dcm", ts=JPEG2000Lossless,
                  pixel=encapsulate([b"\xff\x4f\xff\x51\x00\x29" + bytes(range(64))]))
    return ["label", str(path), "--generator", "g", "--registry", str(tmp / "r.sqlite")]


def b_label_locked(tmp: Path) -> list[str]:
    from misyn_lab.provenance import Registry

    (src,) = _sample(tmp)
    Registry(tmp / "r.sqlite").close()
    return ["label", str(src), "--generator", "g", "--registry", str(tmp / "r.sqlite")]


def _hold_lock_and_short_timeout() -> None:
    from misyn_lab.provenance import registry as registry_mod

    registry_mod.LOCK_TIMEOUT = 0.3
    holder = sqlite3.connect(os.environ["HOSTILE_TMP"] + "/r.sqlite", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    registry_mod._hostile_holder = holder  # keep it open in the child


# -- class 6: audit
def b_audit_symlink_out(tmp: Path) -> list[str]:
    folder = _folder(tmp)
    (folder / "share").symlink_to("/usr/share")
    (folder / "passwd.png").symlink_to("/etc/passwd")
    return ["audit", str(folder), "--no-registry"]


def b_audit_unreadable(tmp: Path) -> list[str]:
    folder = _folder(tmp)
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 20)
    return ["audit", str(folder), "--no-registry"]


def b_audit_names(tmp: Path) -> list[str]:
    reg, folder = _registry_with_copy(tmp)
    data = (folder / "copy.png").read_bytes()
    with open(os.path.join(os.fsencode(folder), b"caf\xe9.png"), "wb") as fh:
        fh.write(data)
    (folder / "evil\x1b[2J\n-> clean.png").write_bytes(data)
    (folder / "=HYPERLINK(1).png").write_bytes(data)
    return ["audit", str(folder), "--registry", str(reg), "--json", str(tmp / "a.json"), "--csv", str(tmp / "a.csv")]


def check_names(tmp: Path, run: Run) -> None:
    assert "\x1b" not in run.out and "evil\\x1b[2J\\n-> clean.png" in run.out
    assert len(run.out.strip().splitlines()) == 5  # 4 findings + summary: no forged line
    records = json.loads((tmp / "a.json").read_text(encoding="utf-8"))["records"]
    assert sorted(os.path.basename(r["path"]) for r in records) == [
        "=HYPERLINK(1).png", "caf\\xe9.png", "copy.png", "evil\x1b[2J\n-> clean.png"]
    rows = (tmp / "a.csv").read_text(encoding="utf-8")
    assert "caf\\xe9.png" in rows


def b_audit_formula_root(tmp: Path) -> list[str]:
    reg, folder = _registry_with_copy(tmp)
    formula = tmp / "=HYPERLINK(x)"
    folder.rename(formula)
    return ["audit", "=HYPERLINK(x)", "--registry", str(reg), "--csv", str(tmp / "a.csv"), "--quiet"]


def check_formula(tmp: Path, run: Run) -> None:
    lines = (tmp / "a.csv").read_text(encoding="utf-8").splitlines()
    assert lines[1].startswith("'=HYPERLINK(x)/copy.png,unlabelled_registry_match,png,")


# -- class 7: registry faults
def b_registry_bad_rows(tmp: Path) -> list[str]:
    from misyn_lab.provenance import Provenance, Registry

    reg, folder = _registry_with_copy(tmp)
    with Registry(reg) as r:
        r.register_many((np.random.default_rng(i).random((32, 32)), Provenance(generator="g")) for i in range(4))
    con = sqlite3.connect(reg)
    con.execute("UPDATE images SET thumb = ? WHERE id = 2", (b"\0" * 10,))
    con.execute("UPDATE images SET sha256 = 'not-hex' WHERE id = 3")
    con.execute("UPDATE images SET provenance = ? WHERE id = 4", ('{"generator": ' + DEEP + "}",))
    con.commit()
    con.close()
    return ["audit", str(folder), "--registry", str(reg)]


def b_registry_corrupt(tmp: Path) -> list[str]:
    from misyn_lab.provenance import Provenance, Registry

    reg, folder = _registry_with_copy(tmp)
    with Registry(reg) as r:
        r.register_many((np.random.default_rng(i).random((32, 32)), Provenance(generator="g")) for i in range(40))
    data = bytearray(reg.read_bytes())
    data[4096:4096 + 64] = b"\xff" * 64
    reg.write_bytes(bytes(data))
    return ["audit", str(folder), "--registry", str(reg)]


def b_registry_foreign(tmp: Path) -> list[str]:
    folder = _folder(tmp)
    con = sqlite3.connect(tmp / "r.sqlite")
    con.execute("CREATE TABLE images (id INTEGER PRIMARY KEY, path TEXT)")
    con.execute("PRAGMA user_version=1")
    con.commit()
    con.close()
    return ["audit", str(folder), "--registry", str(tmp / "r.sqlite")]


def b_registry_garbage(tmp: Path) -> list[str]:
    folder = _folder(tmp)
    (tmp / "r.sqlite").write_bytes(b"this is not a database" * 100)
    return ["audit", str(folder), "--registry", str(tmp / "r.sqlite")]


def b_registry_empty_sqlite(tmp: Path) -> list[str]:
    folder = _folder(tmp)
    sqlite3.connect(tmp / "r.sqlite").close()
    (tmp / "r.sqlite").write_bytes(b"")
    return ["audit", str(folder), "--registry", str(tmp / "r.sqlite")]


# -- class 8: marked real images
def _real_and_synthetic(tmp: Path) -> tuple[Path, Path]:
    real = _sample(tmp, 6, "real")
    syn_files = sorted(SAMPLES.rglob("*.png"))[20:26]
    (tmp / "syn").mkdir()
    for p in syn_files:
        shutil.copy(p, tmp / "syn" / p.name)
    return real[0].parent, tmp / "syn"


def b_report_marked_real(tmp: Path) -> list[str]:
    real, syn = _real_and_synthetic(tmp)
    _label(sorted(real.iterdir()), "--no-registry")
    return ["report", "--real", str(real), "--synthetic", str(syn), "--quick", "--out", str(tmp / "o")]


def b_report_deidentified_real(tmp: Path) -> list[str]:
    real, syn = _real_and_synthetic(tmp)
    _label(sorted(real.iterdir()))  # default registry ($MISYN_LAB_REGISTRY, in tmp)
    for p in real.iterdir():
        Image.open(p).save(p)  # de-identified: marks stripped, pixels kept
    return ["report", "--real", str(real), "--synthetic", str(syn), "--quick", "--out", str(tmp / "o")]


# -- class 9: designed errors
def b_nifti_truncated(tmp: Path) -> Path:
    path = _nifti(tmp / "vol.nii", (30, 30, 30))
    path.write_bytes(path.read_bytes()[:4000])
    return path


def b_nifti_truncated_gz(tmp: Path) -> Path:
    path = _nifti(tmp / "vol.nii.gz", (30, 30, 30))
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return path


def b_nifti_zero(tmp: Path) -> Path:
    path = tmp / "vol.nii"
    path.write_bytes(b"")
    return path


def b_dicom_short_pixels(tmp: Path) -> Path:
    return _dicom(tmp / "short.dcm", pixel=b"\0" * 10)


def b_npz_deep_meta(tmp: Path) -> Path:
    path = tmp / "set.npz"
    np.savez(path, images=np.zeros((2, 4, 4), np.float32), meta=np.array(DEEP))
    return path


def b_npz_big_int_meta(tmp: Path) -> Path:
    path = tmp / "set.npz"
    np.savez(path, images=np.zeros((2, 4, 4), np.float32), meta=np.array('[{"id": ' + BIG_INT + "}]"))
    return path


def _in(sub: str, make: Callable[[Path], Path]) -> Callable[[Path], Path]:
    """Build the input inside the folder ``tmp/sub`` (so an audit of that folder sees only it)."""
    def build(tmp: Path) -> Path:
        (tmp / sub).mkdir(parents=True, exist_ok=True)
        return make(tmp / sub)
    return build


def _registry(tmp: Path) -> str:
    """A registry (outside any audited folder) that knows one sample slice."""
    return str(_registry_with_copy(tmp / "registry")[0])


def _file_then(make: Callable[[Path], Path], cmd: Callable[[Path, Path], list[str]]) -> Callable[[Path], list[str]]:
    return lambda tmp: cmd(tmp, make(tmp))


# -- class 10: smaller items
def b_float_dicom_audit(tmp: Path) -> list[str]:
    import pydicom

    src = _dicom(tmp / "float.dcm", float_pixels=True)
    folder = tmp / "ds"
    folder.mkdir()
    reg = tmp / "r.sqlite"
    assert main(["label", str(src), "--generator", "g", "--quiet", "--registry", str(reg), "--out", str(tmp / "o")]) == 0
    ds = pydicom.dcmread(tmp / "o" / "float.dcm")
    for keyword in ("SyntheticData", "ConversionType", "ContributingEquipmentSequence", "DerivationDescription"):
        if keyword in ds:
            delattr(ds, keyword)
    ds.remove_private_tags()
    ds.save_as(folder / "deid.dcm")
    return ["audit", str(folder), "--registry", str(reg)]


def b_nan_tiff(tmp: Path) -> Path:
    arr = np.random.default_rng(1).random((16, 16)).astype(np.float32)
    arr[3, 4] = np.nan
    path = tmp / "nan.tif"
    Image.fromarray(arr, mode="F").save(path)
    return path


def _nothing_written(tmp: Path, run: Run) -> None:
    assert not (tmp / "out").exists() or list((tmp / "out").iterdir()) == [], "a file was written"
    assert not (tmp / "r.sqlite").exists(), "the registry was created"


CASES: list[Hostile] = [
    # 1 — bounded decoding
    Hostile("tiff-80-pages/load", 1, lambda t: _load("load_folder")(b_tiff_80_pages(t)), 2,
            "pages.tif: file declares 65 page(s) (up to page 65: 1000×1000, mode L) = 65,000,000 pixel values, more "
            "than the budget of 64,000,000; not decoded"),
    Hostile("tiff-page2-144mpx/load", 1, lambda t: _load("load_folder", size=(8, 8))(b_tiff_page2_huge(t)), 2,
            "page2.tif: file declares 2 page(s) (up to page 2: 12000×12000, mode L) = 144,000,064 pixel values"),
    Hostile("tiff-page2-144mpx/audit+registry", 1, _file_then(_in("ds", b_tiff_page2_huge), lambda t, f: [
        "audit", str(f.parent), "--registry", _registry(t)]), 0, "1 no evidence, 0 unreadable", "out"),
    Hostile("nifti-1600^3/load", 1, lambda t: _load("load_nifti")(b_nifti_1600(t)), 2,
            "vol.nii: file declares a volume of 1600×1600×1600 = 4,096,000,000 pixel values"),
    Hostile("nifti-1600^3/label", 1, _file_then(b_nifti_1600, lambda t, f: ["label", str(f), "--generator", "g"]), 2,
            "vol.nii: file declares a volume of 1600×1600×1600 = 4,096,000,000 pixel values"),
    Hostile("nifti-1600^3/audit+registry", 1, _file_then(_in("ds", b_nifti_1600), lambda t, f: [
        "audit", str(f.parent), "--registry", _registry(t)]), 4,
            "vol.nii (file declares a volume of 1600×1600×1600 = 4,096,000,000 pixel values", "out"),
    Hostile("npz-3mb-huge-header/load", 1, lambda t: _load("load_npz")(b_npz_huge(t)), 2,
            "stack.npz: file declares an array of shape (100000, 1000, 1000) = 100,000,000,000 pixel values"),
    Hostile("dicom-rle-120-frames/load", 1, lambda t: _load("load_dicom")(b_dicom_120_frames(t)), 2,
            "frames.dcm: file declares 120 frame(s) of 2048×2048×1 = 503,316,480 pixel values"),
    Hostile("dicom-30000^2/load", 1, lambda t: _load("load_dicom")(b_dicom_huge_rows(t)), 2,
            "rows.dcm: file declares 1 frame(s) of 30000×30000×1 = 900,000,000 pixel values"),
    Hostile("jpeg-7999^2-rgb/load-at-report-size", 1,
            lambda t: _load("load_images", size=(32, 32), grey=True)(b_big_jpeg(t).parent), 0, "1 images", "out",
            max_seconds=10.0),
    Hostile("jpeg-7999^2-rgb/load-full-size", 1, lambda t: _load("load_folder")(b_big_jpeg(t)), 2,
            "big.jpg: file declares 7999×7999×3 = 191,952,003 pixel values, more than the budget of 64,000,000"),
    Hostile("jpeg-7999^2-rgb/audit+registry", 1, _file_then(_in("ds", b_big_jpeg), lambda t, f: [
        "audit", str(f.parent), "--registry", _registry(t)]), 0, "1 no evidence, 0 unreadable", "out",
            max_seconds=10.0),
    # 2 — embedded text: a violation is a per-file result, never an exception that escapes
    Hostile("png-itxt-deep-json/audit", 2, _audit_with(f_png_itxt, "--no-registry"), 4,
            "x.png (unreadable mark: PNG iTXt misyn:provenance JSON nests 100000 levels deep, more than the limit of "
            "64)", "out"),
    Hostile("png-xmp-deep-json/audit", 2, _audit_with(f_png_xmp_json, "--no-registry"), 0,
            "1 labelled synthetic", "out"),
    Hostile("png-xmp-deep-elements/audit", 2, _audit_with(f_png_xmp_deep, "--no-registry"), 4,
            "x.png (unreadable mark: XMP: XMP packet nests elements more than 64 levels deep)", "out"),
    Hostile("png-xmp-entity-bomb/audit", 2, _audit_with(f_png_xmp_entities, "--no-registry"), 4,
            "x.png (unreadable mark: XMP: XMP packet declares a DTD or entities (not allowed in XMP))", "out"),
    Hostile("png-ztxt-64mb-bomb/audit", 2, _audit_with(f_png_ztxt_bomb, "--no-registry"), 4,
            "x.png (unreadable mark: PNG zTXt 'misyn:provenance': compressed PNG text 'misyn:provenance' expands "
            "beyond 16,777,216 bytes)", "out"),
    Hostile("jpeg-com-deep-json/audit", 2, _audit_with(f_jpeg_com, "--no-registry"), 0, "1 labelled synthetic", "out"),
    Hostile("jpeg-com-deep-no-flag/audit", 2, _audit_with(f_jpeg_com_no_flag, "--no-registry"), 0, "2 no evidence",
            "out"),
    Hostile("tiff-description-deep/audit", 2, _audit_with(f_tiff_desc, "--no-registry"), 4,
            "x.tif (unreadable mark: TIFF ImageDescription JSON nests 100000 levels deep", "out"),
    Hostile("dicom-private-deep/audit", 2, _audit_with(f_dicom_private, "--no-registry"), 0, "1 labelled synthetic",
            "out"),
    Hostile("dicom-private-deep-only/audit", 2, _audit_with(f_dicom_private_only, "--no-registry"), 4,
            "x.dcm (unreadable mark: private MISYN_LAB provenance unreadable (provenance JSON nests 100000 levels deep",
            "out"),
    Hostile("nifti-sidecar-deep/audit", 2, _audit_with(f_nifti_sidecar, "--no-registry"), 4,
            "vol.nii.gz (unreadable mark: sidecar vol.json nests 100001 levels deep, more than the limit of 64)", "out"),
    Hostile("png-itxt-deep/parallel-audit", 2, b_parallel_deep, 4,
            f"{PARALLEL_COPIES + 2} files, 0 labelled synthetic, 0 unlabelled registry matches, "
            f"{PARALLEL_COPIES + 1} no evidence, 1 unreadable", "out", fresh=True),
    Hostile("tiff-description-deep/audit-keeps-registry-finding", 2, b_deep_with_registry_finding, 3,
            "1 unlabelled registry matches", "out"),
    Hostile("png-itxt-deep/is_synthetic-api", 2, lambda t: (lambda: __import__(
        "misyn_lab.provenance", fromlist=["is_synthetic"]).is_synthetic(f_png_itxt(_folder(t)))), 2,
            "x.png: unreadable mark: PNG iTXt misyn:provenance JSON nests 100000 levels deep"),
    # 3 — YAML bombs, deep nesting, unknown keys
    Hostile("review-alias-bomb/answer", 3, b_review_alias_bomb, 2,
            "review.yaml: review file expands to more than 2,000,000 YAML nodes", max_seconds=5.0),
    Hostile("review-bomb-under-unknown-key/answer", 3, b_review_unknown_key_bomb, 2,
            "review.yaml: unknown top-level key(s) ['evil'] in review file", max_seconds=5.0),
    Hostile("review-alias-bomb/merge", 3, b_review_merge_bomb, 2,
            "review.yaml: review file expands to more than 2,000,000 YAML nodes", max_seconds=5.0),
    Hostile("review-deep-yaml/summary", 3, b_review_deep_yaml, 2, "nesting deeper than 64 levels (fix: flatten"),
    Hostile("review-100000-digit-int-yaml/summary", 3, b_review_big_int_yaml, 2,
            "integer with more than 100 digits (fix: write such numbers as quoted strings)"),
    Hostile("review-deep-json/summary", 3, b_review_deep_json, 2,
            "review.json: JSON in review file nests 100001 levels deep, more than the limit of 64"),
    Hostile("review-100000-digit-int-json/summary", 3, b_review_big_int_json, 2,
            "review.json: JSON in review file holds a number with more than 1000 digits"),
    Hostile("case-alias-bomb/check", 3, b_case_bomb, 2, "case.yaml: case file expands to more than 2,000,000 YAML nodes"),
    Hostile("claims-alias-bomb/check", 3, b_claims_bomb, 2,
            "claims.yaml: claims file expands to more than 2,000,000 YAML nodes"),
    # 4 — case notebooks confined
    Hostile("case-notebook-dotdot/check", 4, b_case_dotdot, 2,
            "field notebook: '../../../some/where/pwn.ipynb' is not allowed"),
    Hostile("case-notebook-absolute/report", 4, b_case_absolute, 2, "field notebook: '/tmp/pwn.ipynb' is not allowed"),
    Hostile("case-notebook-symlink/report", 4, b_case_symlink, 2,
            "field notebook: './nb.ipynb' leads out of the case file's folder"),
    # 5 — transactional label
    Hostile("label-symlink", 5, b_label_symlink, 2,
            "link.png: is a symbolic link (to "),
    Hostile("label-hard-link", 5, b_label_hardlink, 2,
            "hard.png: has 2 hard links; labelling it in place would give this name a new file"),
    Hostile("label-two-inputs-one-output", 5, b_label_collision, 2, "would both be written to",
            check=_nothing_written),
    Hostile("label-nifti-default-registry", 5, b_label_nifti_default_registry, 0,
            "1 file(s) labelled as synthetic (generator g), registered in", "out"),
    Hostile("label-j2k-dicom-without-decoder", 5, b_label_j2k, 2,
            "j2k.dcm: cannot decode compressed pixel data: no working decoder for the compressed transfer syntax"),
    Hostile("label-locked-registry", 5, b_label_locked, 2,
            "r.sqlite: registry is locked by another process (waited 0.3 s while registering the labelled file)",
            setup=_hold_lock_and_short_timeout),
    # 6 — audit
    Hostile("audit-symlink-to-usr-share", 6, b_audit_symlink_out, 0,
            "audit {tmp}/ds: 1 files, 0 labelled synthetic, 0 unlabelled registry matches, 1 no evidence, 0 unreadable, "
            "0 non-image files ignored, 2 path(s) skipped", "out"),
    Hostile("audit-unreadable-file-not-clean", 6, b_audit_unreadable, 4,
            "-> NOT CLEAN: 1 file could not be read and was not checked", "out"),
    Hostile("audit-non-utf8-esc-formula-names/json+csv", 6, b_audit_names, 3, "4 unlabelled registry matches", "out",
            check=check_names),
    Hostile("audit-csv-formula-cells", 6, b_audit_formula_root, 3, "UNLABELLED SYNTHETIC IMAGES FOUND", "out",
            check=check_formula),
    Hostile("audit-workers-0", 6, lambda t: ["audit", str(_folder(t)), "--workers", "0"], 2,
            "argument --workers: must be from 1 to"),
    Hostile("audit-workers-negative", 6, lambda t: ["audit", str(_folder(t)), "--workers", "-3"], 2,
            "argument --workers: must be from 1 to"),
    Hostile("audit-workers-999", 6, lambda t: ["audit", str(_folder(t)), "--workers", "999"], 2,
            "argument --workers: must be from 1 to"),
    Hostile("audit-csv-is-a-folder", 6, lambda t: ["audit", str(_folder(t)), "--csv", str(t)], 2,
            "--csv must be a file path, not a folder"),
    # 7 — registry faults
    Hostile("registry-bad-rows/audit", 7, b_registry_bad_rows, 3,
            "registry warning: registry row #2 skipped: thumbnail has 10 bytes, expected 1024", "out"),
    Hostile("registry-corrupt-pages/audit", 7, b_registry_corrupt, 2,
            "registry file is damaged (corrupt database pages) while reading the registry"),
    Hostile("registry-foreign-schema/audit", 7, b_registry_foreign, 2,
            "registry has a foreign schema: table 'images' lacks the columns"),
    Hostile("registry-garbage/audit", 7, b_registry_garbage, 2,
            "not a misyn-lab registry (the file is not an SQLite database)"),
    Hostile("registry-empty-file/audit", 7, b_registry_empty_sqlite, 2,
            "registry file holds no registry yet (empty SQLite file)"),
    # 8 — synthetic images in the real folder
    Hostile("report-real-with-marks", 8, b_report_marked_real, 2,
            "6 of the 6 real image file(s) carry a synthetic mark or match the registry of generated images"),
    Hostile("report-real-labelled-then-deidentified", 8, b_report_deidentified_real, 2,
            "6 of the 6 real image file(s) carry a synthetic mark or match the registry of generated images"),
    # 9 — designed one-line errors
    Hostile("nifti-truncated/load", 9, lambda t: _load("load_nifti")(b_nifti_truncated(t)), 2,
            "vol.nii: NIfTI file is truncated: the header declares 108,352 bytes, the file holds 4,000"),
    Hostile("nifti-truncated/label", 9, _file_then(b_nifti_truncated, lambda t, f: ["label", str(f), "--generator", "g"]),
            2, "vol.nii: NIfTI file is truncated: the header declares 108,352 bytes, the file holds 4,000"),
    Hostile("nifti-truncated-gz/load", 9, lambda t: _load("load_nifti")(b_nifti_truncated_gz(t)), 2,
            "vol.nii.gz: NIfTI voxel data unreadable"),
    Hostile("nifti-truncated-gz/label", 9, _file_then(b_nifti_truncated_gz,
                                                      lambda t, f: ["label", str(f), "--generator", "g"]), 2,
            "vol.nii.gz: NIfTI file is truncated: the header declares 108,352 bytes"),
    Hostile("nifti-zero-size/load", 9, lambda t: _load("load_nifti")(b_nifti_zero(t)), 2,
            "vol.nii: NIfTI file is empty (0 bytes)"),
    Hostile("nifti-zero-size/label", 9, _file_then(b_nifti_zero, lambda t, f: ["label", str(f), "--generator", "g"]), 2,
            "vol.nii: file is empty (0 bytes)"),
    Hostile("nifti-zero-size/audit", 9, _file_then(_in("ds", b_nifti_zero), lambda t, f: ["audit", str(f.parent)]), 4,
            "vol.nii (empty file (0 bytes))", "out"),
    Hostile("dicom-short-pixel-data/load", 9, lambda t: _load("load_dicom")(b_dicom_short_pixels(t)), 2,
            "short.dcm: pixel data unreadable (ValueError: The number of bytes of pixel data is less than expected"),
    Hostile("npz-deep-meta/load", 9, lambda t: _load("load_npz")(b_npz_deep_meta(t)), 2,
            "set.npz[meta]: metadata JSON nests 100000 levels deep"),
    Hostile("npz-100000-digit-meta/load", 9, lambda t: _load("load_npz")(b_npz_big_int_meta(t)), 2,
            "set.npz[meta]: metadata JSON holds a number with more than 1000 digits"),
    Hostile("report-negative-seed", 9, lambda t: ["report", "--seed", "-1"], 2,
            "misyn-lab report: argument --seed: must be a whole number from 0 to 4294967295, got -1"),
    Hostile("label-negative-seed", 9, lambda t: ["label", str(_sample(t)[0]), "--generator", "g", "--seed", "-5"], 2,
            "misyn-lab label: argument --seed: must be a whole number from 0 to 4294967295, got -5"),
    Hostile("report-100000-digit-seed", 9, lambda t: ["report", "--seed", BIG_INT], 2,
            "argument --seed: number with 100000 digits is out of range"),
    Hostile("report-out-is-a-file", 9, lambda t: ["report", "--out", str(_sample(t)[0])], 2,
            "--out must be a folder, but a file of that name exists"),
    Hostile("label-out-is-a-file", 9, lambda t: ["label", str(_sample(t)[0]), "--generator", "g", "--out",
                                                 str(_sample(t)[0])], 2, "--out must be a folder"),
    Hostile("audit-json-under-a-file", 9, lambda t: ["audit", str(_folder(t)), "--json", str(_sample(t)[0] / "a.json")],
            2, "a.json: cannot write the file: a file is in the way of a folder (fix: give a file path in an existing, "
               "writable folder with free space)"),
    Hostile("label-out-under-a-file", 9, lambda t: ["label", str(_sample(t)[0]), "--generator", "g", "--out",
                                                    str(_sample(t)[0] / "sub")], 2,
            "sub: cannot write the file: a part of the path is a file, not a folder"),
    Hostile("review-new-under-a-file", 9, lambda t: ["review", "new", str(_sample(t)[0] / "r.yaml"), "--title", "t"], 2,
            "r.yaml: cannot write the file: a file is in the way of a folder"),
    Hostile("registry-under-a-file/label", 9, lambda t: ["label", str(_sample(t)[0]), "--generator", "g", "--registry",
                                                         str(_sample(t)[0] / "r.sqlite")], 2,
            "r.sqlite: cannot write the file: a file is in the way of a folder"),
    Hostile("load-size-not-numbers/api", 9, lambda t: _load("load_folder", size="ab")(_folder(t)), 2,
            "size: size must be two positive integers (height, width), got 'ab'"),
    Hostile("load-dicom-window-not-numbers/api", 9, lambda t: _load("load_dicom", window=(0, "x"))(
        _dicom(t / "w.dcm")), 2, "window: window must be None, 'file' or (center, width) numbers, got (0, 'x')"),
    Hostile("load-images-not-a-path/api", 9, lambda t: (lambda: __import__(
        "misyn_lab.imagesets", fromlist=["load_images"]).load_images(123)), 2,
            "123: expected a file or folder path, got int"),
    Hostile("audit-workers-string/api", 9, lambda t: (lambda: __import__(
        "misyn_lab.provenance", fromlist=["audit_folder"]).audit_folder(_folder(t), workers="2")), 2,
            "workers: workers must be an integer from 1 to"),
    Hostile("provenance-deep-json/api", 9, lambda t: (lambda: __import__(
        "misyn_lab.provenance", fromlist=["Provenance"]).Provenance.from_json(DEEP)), 2,
            "provenance: provenance is not valid JSON: provenance JSON nests 100000 levels deep"),
    Hostile("build-report-negative-seed/api", 9, lambda t: (lambda: __import__(
        "misyn_lab.report.assemble", fromlist=["build_report"]).build_report(seed=-1, out=t / "o")), 2,
            "seed: seed must be a whole number from 0 to 4294967295, got -1"),
    # 10 — smaller items
    Hostile("float-pixel-data-dicom/audit+registry", 10, b_float_dicom_audit, 3,
            "deid.dcm (matches registry image #1 (float.dcm) by pixels)", "out"),
    Hostile("float-tiff-with-nan/label", 10, _file_then(b_nan_tiff, lambda t, f: [
        "label", str(f), "--generator", "g", "--out", str(t / "o"), "--registry", str(t / "r.sqlite")]), 0,
            "1 file(s) labelled as synthetic", "out"),
    Hostile("float-tiff-with-nan/load", 10, lambda t: _load("load_folder")(b_nan_tiff(t)), 2,
            "nan.tif: contains NaN or infinite values"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input(case: Hostile, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MISYN_LAB_REGISTRY", str(tmp_path / "default.sqlite"))
    monkeypatch.setenv("HOSTILE_TMP", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    target = case.build(tmp_path)
    if case.fresh:
        assert isinstance(target, list) and case.setup is None  # a fresh interpreter runs the CLI only
        run = run_fresh(target)
    else:
        run = run_isolated(target, setup=case.setup)
    MEASURED.append({"id": case.id, "class": case.klass, "code": run.code, "seconds": round(run.seconds, 2),
                     "rss_mib": round(run.rss_mib)})
    text = run.err if case.stream == "err" else run.out
    fragment = case.fragment.replace("{tmp}", str(tmp_path))
    assert run.code == case.code, f"exit {run.code}, expected {case.code}\nstdout: {run.out}\nstderr: {run.err}"
    assert fragment in text, f"{fragment!r} not in {case.stream}:\n{text}"
    assert "Traceback" not in run.err and "unexpected error" not in run.err and "CHILD CRASH" not in run.err
    if case.code == 2:
        lines = [line for line in run.err.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("misyn-lab: error: "), run.err
    else:
        assert run.err.strip() == "", run.err
    assert run.seconds < case.max_seconds, f"{run.seconds:.1f} s"
    assert run.rss_mib < MAX_RSS_MIB, f"peak RSS {run.rss_mib:.0f} MiB"
    if case.check is not None:
        case.check(tmp_path, run)


def test_every_class_of_the_issue_has_cases() -> None:
    by_class = {k: sum(1 for c in CASES if c.klass == k) for k in range(1, 11)}
    assert all(n >= 2 for n in by_class.values()), by_class
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.fixture(scope="module", autouse=True)
def _write_table():
    """Import, once in the parent, what the children use (forked children then start warm), and write the table."""
    import importlib

    from misyn_lab.cli import build_parser

    build_parser()
    for name in ("misyn_lab.report.assemble", "misyn_lab.report.preflight", "misyn_lab.provenance.screen",
                 "misyn_lab.provenance.mark", "misyn_lab.workbook", "pydicom.pixels", "papermill", "imagehash"):
        importlib.import_module(name)
    yield
    target = os.environ.get("MISYN_LAB_CORPUS_TABLE")
    if target and MEASURED:
        rows = ["| input | class | exit | seconds | peak RSS MiB |", "|---|---|---|---|---|"]
        rows += [f"| {m['id']} | {m['class']} | {m['code']} | {m['seconds']} | {m['rss_mib']} |" for m in MEASURED]
        total = sum(m["seconds"] for m in MEASURED)
        rows.append(f"\n{len(MEASURED)} inputs, {total:.1f} s in the children, max peak RSS "
                    f"{max(m['rss_mib'] for m in MEASURED)} MiB, slowest {max(m['seconds'] for m in MEASURED)} s")
        Path(target).write_text("\n".join(rows) + "\n", encoding="utf-8")
