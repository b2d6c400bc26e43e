"""The audit on Dask: a 2-worker local cluster gives the same records, CSV bytes and JSON (but timing) as one
process, whatever the chunk size; the workers build the registry index themselves (never this process) from the
registry as it was when the audit began; the CLI's --scheduler and its errors."""

from __future__ import annotations

import json
import shutil
import sqlite3

import numpy as np

import pytest
from PIL import Image

from misyn_lab.cli import main
from misyn_lab.engine import PerWorker
from misyn_lab.errors import InputError
from misyn_lab.provenance import Provenance, Registry, audit_folder, label_file
from misyn_lab.provenance import audit as audit_mod
from misyn_lab.provenance.audit import registry_index
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
def test_dask_audit_equals_one_process(folder, axial_slices, dask_engine, chunk_size):
    root, reg = folder
    one = audit_folder(root, registry=reg, progress=False)
    many = audit_folder(root, registry=reg, progress=False, scheduler=dask_engine, chunk_size=chunk_size)
    assert many.to_csv() == one.to_csv()
    assert _json_without_timing(many) == _json_without_timing(one)
    # 3 labelled; the 3 leaked JPEGs and every copy of the 3 registered real slices are registry matches
    copies = sum(1 for k in range(60) if k % len(axial_slices) < 3)
    assert one.counts() == {"labelled_synthetic": 3, "unlabelled_registry_match": 3 + copies,
                            "no_evidence": 60 - copies, "unreadable": 1}


def test_cli_audit_with_local_scheduler_writes_the_same_csv(folder, tmp_path, capsys):
    root, reg = folder
    assert main(["audit", str(root), "--registry", str(reg), "--csv", str(tmp_path / "one.csv"), "--quiet"]) == 3
    assert main(["audit", str(root), "--registry", str(reg), "--csv", str(tmp_path / "dask.csv"), "--quiet",
                 "--scheduler", "local", "--workers", "2", "--chunk-size", "9"]) == 3
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


def test_dask_audit_never_builds_or_sends_an_index_from_this_process(folder, dask_engine, monkeypatch):
    root, reg = folder
    with sqlite3.connect(reg) as con:  # one unusable row: its warning must still reach the report
        con.execute("UPDATE images SET thumb = ? WHERE id = 1", (b"x" * 100,))
    one = audit_folder(root, registry=reg, progress=False)
    built, pickled = [], []
    index = Registry.index
    monkeypatch.setattr(Registry, "index", lambda self: built.append(1) or index(self))
    monkeypatch.setattr(RegistryIndex, "__reduce__", lambda self: pickled.append(1) or object.__reduce__(self),
                        raising=False)
    many = audit_folder(root, registry=reg, progress=False, scheduler=dask_engine, chunk_size=11)
    assert built == [] and pickled == []
    assert many.warnings == one.warnings == ["registry row #1 skipped: thumbnail has 100 bytes, expected 1024"]
    assert many.to_csv() == one.to_csv() and _json_without_timing(many) == _json_without_timing(one)


def test_worker_index_refuses_a_registry_changed_since_the_audit_began(tmp_path, axial_slices, prov):
    path = tmp_path / "reg.sqlite"
    with Registry(path) as reg:
        reg.register_many((p, prov) for p in axial_slices[:3])
        recipe = PerWorker(registry_index, str(path), reg.snapshot())
        assert recipe.build().n_rows == 3 and recipe.args[1] == (3, 3)
        reg.register(np.eye(16), Provenance("late-generator"))  # registered after the snapshot was taken
    with pytest.raises(InputError) as err:
        recipe.build()  # what each worker runs
    assert str(err.value) == (f"{path}: registry changed since the audit began (3 rows up to id 3 then, 4 rows up to "
                              "id 4 now) (fix: audit again when no images are being registered (or audit a copy of "
                              "the registry))")


def test_registry_changed_before_the_workers_read_it_stops_the_dask_audit(folder, dask_engine, monkeypatch):
    root, reg = folder
    snapshot = Registry.snapshot

    def late_registration(self):  # the audit's snapshot is taken, then another image is registered
        taken = snapshot(self)
        with Registry(self.path) as writer:
            writer.register(np.eye(16), Provenance("late-generator"))
        return taken

    monkeypatch.setattr(Registry, "snapshot", late_registration)
    with pytest.raises(InputError, match=r"registry changed since the audit began \(6 rows up to id 6 then, 7 rows "
                                         r"up to id 7 now\)"):
        audit_folder(root, registry=reg, progress=False, scheduler=dask_engine)
    assert (audit_mod.LOCAL_MIN_FILES, audit_mod.LOCAL_MIN_FILES_MARKS_ONLY) == (5000, 50000)


def test_cli_registry_changed_during_a_local_dask_audit_is_one_line(folder, monkeypatch, capfd):
    root, reg = folder
    snapshot = Registry.snapshot

    def late_registration(self):
        taken = snapshot(self)
        with Registry(self.path) as writer:
            writer.register(np.eye(16), Provenance("late-generator"))
        return taken

    monkeypatch.setattr(Registry, "snapshot", late_registration)
    code = main(["audit", str(root), "--registry", str(reg), "--quiet", "--scheduler", "local", "--workers", "2"])
    err = capfd.readouterr().err.strip()  # the file descriptor: worker processes write there too
    assert code == 2
    assert err == (f"misyn-lab: error: {reg}: registry changed since the audit began (6 rows up to id 6 then, 7 rows "
                   "up to id 7 now) (fix: audit again when no images are being registered (or audit a copy of the "
                   "registry))")
