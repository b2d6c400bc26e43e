"""Audit hardening: never leave the folder, never abort on one file, count unreadable files as not checked,
escape names in terminal/CSV/JSON output, read marks without decoding pixels, bounded embedded text."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import zlib

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from misyn_lab.cli import main
from misyn_lab.errors import InputError
from misyn_lab.provenance import Provenance, Registry, audit_folder, is_synthetic, label_file
from misyn_lab.provenance import audit as audit_mod
from misyn_lab.provenance.audit import csv_cell, output_path, terminal_text
from misyn_lab.provenance.read import UnreadableMark, png_text_chunks


def _png(path, **text):
    info = PngImagePlugin.PngInfo()
    for k, v in text.items():
        info.add_itxt(k.replace("__", ":"), v)
    Image.fromarray(np.arange(256, dtype=np.uint8).reshape(16, 16)).save(path, pnginfo=info)
    return path


def test_symlinks_out_of_the_folder_are_skipped_not_audited(tmp_path, synthetic_png):
    root = tmp_path / "ds"
    (root / "sub").mkdir(parents=True)
    shutil.copy(synthetic_png, root / "sub" / "a.png")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    shutil.copy(synthetic_png, outside / "b.png")
    os.symlink(outside, root / "linked")  # folder link leaving the dataset
    os.symlink(outside / "b.png", root / "b.png")  # file link leaving the dataset
    os.symlink(root / "sub", root / "inside")  # folder link staying inside: followed once
    report = audit_folder(root, progress=False)
    assert [os.path.relpath(r.path, root) for r in report.records] == ["inside/a.png"]
    assert report.skipped_paths == [
        {"path": str(root / "linked"), "reason": f"outside the audited folder (symlink to {outside}); not audited"},
        {"path": str(root / "b.png"), "reason": f"outside the audited folder (symlink to {outside / 'b.png'}); not "
                                               "audited"},
        {"path": str(root / "sub"), "reason": "symlink loop (folder already scanned)"}]
    assert report.verdict == "clean" and ", 3 path(s) skipped (symlinks leaving the folder, loops)" in report.summary()


def test_one_crashing_file_never_aborts_the_audit(tmp_path, synthetic_png, monkeypatch):
    root = tmp_path / "ds"
    root.mkdir()
    shutil.copy(synthetic_png, root / "a.png")
    shutil.copy(synthetic_png, root / "b.png")
    real = audit_mod.is_synthetic

    def flaky(path, **kw):
        if path.name == "b.png":
            raise RecursionError("maximum recursion depth exceeded")
        return real(path, **kw)

    monkeypatch.setattr(audit_mod, "is_synthetic", flaky)
    report = audit_folder(root, progress=False)
    status = {os.path.basename(r.path): (r.status, r.reason) for r in report.records}
    assert status == {"a.png": ("no_evidence", ""),
                      "b.png": ("unreadable", "audit failed: RecursionError: maximum recursion depth exceeded")}
    assert report.verdict == "not_checked"


def test_unreadable_mark_is_not_checked_unless_the_registry_matches(tmp_path, synthetic_png):
    deep = "[" * 2000 + "]" * 2000
    root = tmp_path / "ds"
    root.mkdir()
    bad = root / "bad.png"
    Image.open(synthetic_png).save(bad, pnginfo=_info(**{"misyn__provenance": deep}))
    with pytest.raises(UnreadableMark) as info:
        is_synthetic(bad)
    assert str(info.value) == (f"{bad}: unreadable mark: PNG iTXt misyn:provenance JSON nests 2000 levels deep, more "
                               "than the limit of 64 (fix: re-label the file with misyn-lab label, or remove the "
                               "damaged metadata)")
    (rec,) = audit_folder(root, progress=False).records
    assert (rec.status, rec.reason) == ("unreadable", "unreadable mark: PNG iTXt misyn:provenance JSON nests 2000 "
                                                      "levels deep, more than the limit of 64")
    with Registry(tmp_path / "r.sqlite") as reg:
        reg.register(synthetic_png, Provenance(generator="g"))
        (rec,) = audit_folder(root, registry=reg, progress=False).records
    assert rec.status == "unlabelled_registry_match" and rec.reason.endswith(
        "by pixels; unreadable mark: PNG iTXt misyn:provenance JSON nests 2000 levels deep, more than the limit of 64")


def _info(**text):
    info = PngImagePlugin.PngInfo()
    for k, v in text.items():
        info.add_itxt(k.replace("__", ":"), v)
    return info


def test_a_valid_mark_next_to_a_bad_container_is_labelled_with_the_problem(tmp_path, synthetic_png):
    out = label_file(synthetic_png, Provenance(generator="g"), out=tmp_path / "lab.png")
    im = Image.open(out)
    im.load()
    info = _info(**{"XML__com.adobe.xmp": "<a>" * 100 + "</a>" * 100})
    info.add_text("misyn:synthetic", "true")
    im.save(tmp_path / "mixed.png", pnginfo=info)
    mark = is_synthetic(tmp_path / "mixed.png")
    assert mark.fields == ["PNG text misyn:synthetic"]
    assert mark.problems == ["XMP: XMP packet nests elements more than 64 levels deep"]


def test_png_marks_are_read_chunk_by_chunk_without_decoding(tmp_path):
    path = _png(tmp_path / "t.png", misyn__provenance='{"generator": "g"}')
    data = path.read_bytes()
    texts, problems = png_text_chunks(io.BytesIO(data), len(data), path)
    assert texts == {"misyn:provenance": '{"generator": "g"}'} and problems == []
    cut = data[: len(data) - 30]
    with pytest.raises(InputError, match=r"truncated PNG: chunk 'IDAT' at byte \d+ runs past the end of the file"):
        png_text_chunks(io.BytesIO(cut), len(cut), path)
    # a huge IDAT (declared 20000×20000) is skipped over, not decoded
    ihdr = struct.pack(">IIBBBBB", 20000, 20000, 8, 0, 0, 0, 0)

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    bomb = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 100000))
            + chunk(b"tEXt", b"misyn:synthetic\0true") + chunk(b"IEND", b""))
    (tmp_path / "bomb.png").write_bytes(bomb)
    assert is_synthetic(tmp_path / "bomb.png").fields == ["PNG text misyn:synthetic"]


def test_output_escaping():
    assert output_path("caf\udce9.png") == "caf\\xe9.png"
    assert terminal_text("evil\x1b[2J\n-> clean\u202e.png") == "evil\\x1b[2J\\n-> clean\\u202e.png"
    assert [csv_cell(v) for v in ("=HYPERLINK(1)", "+1", "-1", "@x", "\tx", "\rx", "ok", 3)] == [
        "'=HYPERLINK(1)", "'+1", "'-1", "'@x", "'\tx", "'\rx", "ok", 3]


def test_json_and_csv_survive_non_utf8_names(tmp_path, synthetic_png, capsys):
    root = tmp_path / "ds"
    root.mkdir()
    with open(os.path.join(os.fsencode(root), b"caf\xe9.png"), "wb") as fh:
        fh.write(synthetic_png.read_bytes())
    assert main(["audit", str(root), "--json", str(tmp_path / "a.json"), "--csv", str(tmp_path / "a.csv")]) == 0
    out = capsys.readouterr().out
    assert out.strip().endswith("-> clean")
    (rec,) = json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))["records"]
    assert rec["path"] == str(root / "caf\\xe9.png") and rec["status"] == "no_evidence"
    (row,) = csv.DictReader(io.StringIO((tmp_path / "a.csv").read_text(encoding="utf-8")))
    assert row["path"] == str(root / "caf\\xe9.png")


def test_workers_are_validated_and_capped(tmp_path, synthetic_png, monkeypatch):
    root = tmp_path / "ds"
    root.mkdir()
    shutil.copy(synthetic_png, root / "a.png")
    for bad in (0, -1, "2", 1.5, True):
        with pytest.raises(InputError, match=r"workers must be an integer from 1 to \d+"):
            audit_folder(root, progress=False, workers=bad)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert len(audit_folder(root, progress=False, workers=64).records) == 1  # capped to the CPUs, not refused


def test_parallel_audit_survives_a_hostile_file(tmp_path, synthetic_png, monkeypatch):
    monkeypatch.setattr(audit_mod, "LOCAL_MIN_FILES_MARKS_ONLY", 10)  # this process and a Dask worker process
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    started = []
    original = audit_mod._start_dask
    monkeypatch.setattr(audit_mod, "_start_dask", lambda *a: started.append(a[1:3]) or original(*a))
    root = tmp_path / "many"
    root.mkdir()
    for k in range(20):
        shutil.copy(synthetic_png, root / f"{k:02d}.png")
    Image.open(synthetic_png).save(root / "zz.png", pnginfo=_info(**{"misyn__provenance": "[" * 100000 + "]" * 100000}))
    report = audit_folder(root, progress=False, workers=2, chunk_size=4)
    assert report.counts() == {"labelled_synthetic": 0, "unlabelled_registry_match": 0, "no_evidence": 20,
                               "unreadable": 1}
    assert report.by_status("unreadable")[0].path.endswith("zz.png")
    assert started == [("processes", 2)]  # it ran on Dask's multiprocessing scheduler


def test_a_script_without_the_main_guard_gets_the_designed_error(tmp_path, synthetic_png):
    """Local Dask workers are new processes: each imports the calling script, so an unguarded script cannot start
    them; the dead worker process ends in the designed one-line error."""
    pytest.importorskip("dask", reason='needs pip install "misyn-lab[scale]"')
    root = tmp_path / "many"
    root.mkdir()
    for k in range(3):
        shutil.copy(synthetic_png, root / f"{k}.png")
    script = tmp_path / "unguarded.py"
    script.write_text("from misyn_lab.provenance import audit\n"
                      "audit.LOCAL_MIN_FILES = audit.LOCAL_MIN_FILES_MARKS_ONLY = 1\n"
                      f"audit.audit_folder({str(root)!r}, progress=False, workers=2)\n")
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("misyn_lab.errors.InputError: workers: local Dask worker processes could not start or "
                           "died (BrokenProcessPool: ")
    assert last.endswith("(fix: in a script, run the work under `if __name__ == '__main__':` (workers are new "
                         "processes that import the script), or run in this process only (no scheduler, one "
                         "worker))")


def test_large_files_are_hashed_in_a_stream_and_not_decoded(tmp_path, synthetic_png, monkeypatch):
    monkeypatch.setattr(audit_mod, "MAX_DECODE_FILE_BYTES", 100)
    root = tmp_path / "ds"
    root.mkdir()
    shutil.copy(synthetic_png, root / "a.png")
    with Registry(tmp_path / "r.sqlite") as reg:
        reg.register(np.zeros((8, 8)), Provenance(generator="g"))
        (rec,) = audit_folder(root, registry=reg, progress=False).records
    size = (root / "a.png").stat().st_size
    assert rec.status == "unreadable" and rec.reason == (
        f"file of {size:,} bytes is larger than the 100 decoded: checked for marks and exact copies only")
    assert rec.sha256 and (audit_folder(root, progress=False).records[0].status == "no_evidence")
