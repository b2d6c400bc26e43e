"""The audit on Dask: a 2-worker local cluster gives the same records, CSV bytes and JSON (but timing) as one
process, whatever the chunk size; the CLI's --scheduler and its errors."""

from __future__ import annotations

import json
import shutil

import pytest
from PIL import Image

from misyn_lab.cli import main
from misyn_lab.provenance import Registry, audit_folder, label_file


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
