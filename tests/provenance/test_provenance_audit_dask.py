"""The audit on Dask: a 2-worker local cluster and 2 worker processes under Dask's multiprocessing scheduler give
the same records, CSV bytes and JSON (but timing) as one process, whatever the chunk size; the workers read and
hash the files and never open the registry, whose one index this process holds; the CLI's --scheduler and its
errors."""

from __future__ import annotations

import json
import pickle
import shutil
import sqlite3

import pytest
from PIL import Image

from misyn_lab.cli import main
from misyn_lab.provenance import Registry, audit_folder, label_file
from misyn_lab.provenance import audit as audit_mod
from misyn_lab.provenance.registry import RegistryIndex


@pytest.fixture
def folder(tmp_path, axial_slices, prov, synthetic_png):
    """60 real slices, 3 labelled synthetic PNGs, 3 unlabelled JPEG re-encodes of registered images, a corrupt
    file and a text file; the registry knows the synthetic image and 3 of the real slices."""
    root = tmp_path / "archive"
    for k in range(60):
        sub = root / f"part{k // 25}"
        sub.mkdir(parents=True, exist_ok=True)
        shutil.copy(axial_slices[k % len(axial_slices)], sub / f"{k:03d}.png")
    reg_path = tmp_path / "reg.sqlite"
    with Registry(reg_path) as reg:
        for j in range(3):
            label_file(synthetic_png, prov, out=root / "syn" / f"labelled{j}.png", registry=reg)
        reg.register_many((p, prov) for p in axial_slices[:3])
    for j, p in enumerate(axial_slices[:3]):
        Image.open(p).save(root / "syn" / f"leaked{j}.jpg", quality=85)
    (root / "syn" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    (root / "notes.txt").write_text("not an image")
    return root, reg_path


def _json_without_timing(report) -> dict:
    data = json.loads(report.to_json())
    data.pop("seconds")
    return data


@pytest.mark.parametrize("chunk_size", [1, 7, 200])
@pytest.mark.parametrize("engine", ["cluster", "processes"])
def test_dask_audit_equals_one_process(folder, axial_slices, dask_engine, processes_engine, engine, chunk_size):
    root, reg = folder
    one = audit_folder(root, registry=reg, progress=False)
    many = audit_folder(root, registry=reg, progress=False, chunk_size=chunk_size,
                        scheduler={"cluster": dask_engine, "processes": processes_engine}[engine])
    assert many.to_csv() == one.to_csv()
    assert _json_without_timing(many) == _json_without_timing(one)
    # 3 labelled; the 3 leaked JPEGs and every copy of the 3 registered real slices are registry matches
    copies = sum(1 for k in range(60) if k % len(axial_slices) < 3)
    assert one.counts() == {"labelled_synthetic": 3, "unlabelled_registry_match": 3 + copies,
                            "no_evidence": 60 - copies, "unreadable": 1}


@pytest.mark.parametrize("scheduler", ["local", "processes"])
def test_cli_audit_with_a_scheduler_writes_the_same_csv(folder, tmp_path, capsys, scheduler):
    root, reg = folder
    assert main(["audit", str(root), "--registry", str(reg), "--csv", str(tmp_path / "one.csv"), "--quiet"]) == 3
    assert main(["audit", str(root), "--registry", str(reg), "--csv", str(tmp_path / "dask.csv"), "--quiet",
                 "--scheduler", scheduler, "--workers", "2", "--chunk-size", "9"]) == 3
    assert (tmp_path / "dask.csv").read_bytes() == (tmp_path / "one.csv").read_bytes()


@pytest.mark.parametrize("args, message", [
    (["--scheduler", "not an address"], "scheduler: not a scheduler address: 'not an address'"),
    (["--chunk-size", "0"], "argument --chunk-size: must be a whole number of at least 1, got 0"),
    (["--workers", "0"], "argument --workers: must be from 1 to"),
])
def test_cli_audit_bad_engine_options_are_one_line_errors(folder, capsys, args, message):
    root, reg = folder
    try:  # values checked while parsing end the parser (SystemExit 2); the others return 2
        code = main(["audit", str(root), "--registry", str(reg), *args])
    except SystemExit as stop:
        code = stop.code
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("misyn-lab: error: ") and message in err and "\n" not in err


@pytest.mark.parametrize("engine", ["cluster", "processes"])
def test_dask_workers_never_open_the_registry(folder, tmp_path, dask_engine, processes_engine, engine, monkeypatch):
    """This process builds the one index and settles what the workers send back: the registry file is deleted as
    soon as that index is built, and the audit still gives the one-process CSV, JSON and row warnings."""
    root, reg = folder
    with sqlite3.connect(reg) as con:  # one unusable row: its warning must still reach the report
        con.execute("UPDATE images SET thumb = ? WHERE id = 1", (b"x" * 100,))
    one = audit_folder(root, registry=reg, progress=False)
    doomed = tmp_path / "doomed.sqlite"
    with sqlite3.connect(reg) as src, sqlite3.connect(doomed) as dst:
        src.backup(dst)  # the whole database, write-ahead log included
    src.close()
    dst.close()
    built, pickled = [], []
    index = Registry.index

    def build_then_delete(self):
        value = index(self)
        built.append(1)
        doomed.unlink(missing_ok=True)  # a worker that opened the registry now would fail
        return value

    monkeypatch.setattr(Registry, "index", build_then_delete)
    monkeypatch.setattr(RegistryIndex, "__reduce__", lambda self: pickled.append(1) or object.__reduce__(self),
                        raising=False)
    many = audit_folder(root, registry=doomed, progress=False, chunk_size=11,
                        scheduler={"cluster": dask_engine, "processes": processes_engine}[engine])
    assert built == [1] and pickled == [] and not doomed.exists()
    assert many.warnings == one.warnings == ["registry row #1 skipped: thumbnail has 100 bytes, expected 1024"]
    assert many.to_csv() == one.to_csv().replace(str(reg), str(doomed))
    assert _json_without_timing(many)["records"] == _json_without_timing(one)["records"]


def test_examined_files_travel_without_computing_their_hashes(folder):
    """What a worker sends back: an unmarked file's hashes, the perceptual ones still uncomputed (the normalised
    image travels instead), settled here to the same record as in one process."""
    root, reg = folder
    path = sorted((root / "part0").glob("*.png"))[0]
    sent = audit_mod.examine(path, True)
    assert isinstance(sent, audit_mod.Examined) and sent.hashes.perceptual._phash is None
    back = pickle.loads(pickle.dumps(sent))
    assert back.hashes.perceptual._phash is None and back.hashes.perceptual._image is not None
    with Registry(reg, readonly=True) as registry:
        index = registry.index()
        assert audit_mod.settle(back, index) == audit_mod.audit_file(path, index)
    assert back.hashes.perceptual.phash == audit_mod.examine(path, True).hashes.perceptual.phash
    chunk = [audit_mod.examine(p, True) for p in sorted(root.rglob("*")) if p.is_file()]
    with Registry(reg, readonly=True) as registry:
        index = registry.index()
        assert audit_mod.settle_chunk(chunk, index) == [audit_mod.settle(item, index) for item in chunk]
    assert audit_mod.settle(audit_mod.Examined(str(path), "png", "0" * 64), None).reason.startswith(
        "audit failed: ValueError: an examined file needs the registry index")
