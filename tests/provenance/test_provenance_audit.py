"""Folder audit (statuses, fraction, CSV/JSON, loops, permissions), the CLI and its exit codes, the card."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil

import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.data import get_testdata_file

from misyn_lab.cli import main
from misyn_lab.errors import InputError
from misyn_lab.provenance import Registry, audit_folder, build_card, card_markdown, label_file, write_card
from misyn_lab.provenance.card import MISSING


@pytest.fixture
def dataset(tmp_path, prov, synthetic_png, dataset_root):
    """A folder with 2 real slices, 1 labelled synthetic PNG, 1 unlabelled synthetic JPEG copy, 1 stripped
    synthetic DICOM, a text file, a corrupt PNG and a registry knowing the synthetic images."""
    root = dataset_root
    reg_path = tmp_path / "reg.sqlite"
    with Registry(reg_path) as reg:
        labelled = label_file(synthetic_png, prov, out=root / "syn" / "labelled.png", registry=reg)
        Image.open(labelled).save(root / "syn" / "leaked.jpg", quality=80)  # marks lost on re-encode
        ct = tmp_path / "ct.dcm"
        shutil.copy(get_testdata_file("CT_small.dcm"), ct)
        syn_ct = label_file(ct, prov, out=tmp_path / "ct_syn.dcm", registry=reg)
    ds = pydicom.dcmread(syn_ct)  # a de-identification profile strips the flag and the private block
    for kw in ("SyntheticData", "ConversionType", "ContributingEquipmentSequence", "DerivationDescription"):
        delattr(ds, kw)
    ds.remove_private_tags()
    ds.save_as(root / "syn" / "deid.dcm")
    (root / "notes.txt").write_text("not an image")
    (root / "real" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    return root, reg_path


def test_audit_statuses_and_fraction(dataset):
    root, reg_path = dataset
    report = audit_folder(root, registry=reg_path, progress=False)
    status = {os.path.relpath(r.path, root): r.status for r in report.records}
    assert status == {
        "real/broken.png": "unreadable",
        os.path.join("real", sorted(os.listdir(root / "real"))[1]): "no_evidence",
        os.path.join("real", sorted(os.listdir(root / "real"))[2]): "no_evidence",
        "syn/deid.dcm": "unlabelled_registry_match",
        "syn/labelled.png": "labelled_synthetic",
        "syn/leaked.jpg": "unlabelled_registry_match",
    }
    assert report.counts() == {"labelled_synthetic": 1, "unlabelled_registry_match": 2, "no_evidence": 2,
                               "unreadable": 1}
    assert report.synthetic_fraction == pytest.approx(3 / 5)
    assert report.ignored == [str(root / "notes.txt")]
    deid = next(r for r in report.records if r.path.endswith("deid.dcm"))
    assert deid.match_kind == "pixels" and deid.generator == "pca-gaussian"
    leaked = next(r for r in report.records if r.path.endswith("leaked.jpg"))
    assert leaked.match_kind == "perceptual"
    assert "UNLABELLED" in report.summary()
    rows = list(csv.DictReader(io.StringIO(report.to_csv())))
    assert len(rows) == 6 and {r["status"] for r in rows} == set(report.counts())
    assert json.loads(report.to_json())["counts"]["unlabelled_registry_match"] == 2


def test_audit_without_registry_reads_marks_only(dataset):
    root, _ = dataset
    report = audit_folder(root, progress=False)
    assert report.counts()["unlabelled_registry_match"] == 0
    assert report.counts()["labelled_synthetic"] == 1
    assert "no registry" in report.summary()


def test_cli_audit_exit_codes_and_outputs(dataset, tmp_path, capsys):
    root, reg_path = dataset
    code = main(["audit", str(root), "--registry", str(reg_path), "--csv", str(tmp_path / "a.csv"),
                 "--json", str(tmp_path / "a.json"), "--quiet"])
    out = capsys.readouterr().out.strip().splitlines()
    assert code == 3
    assert len(out) == 1 and "2 unlabelled registry matches" in out[0]
    assert (tmp_path / "a.csv").read_text().startswith("path,status")
    assert json.loads((tmp_path / "a.json").read_text())["n_images"] == 5
    os.remove(root / "syn" / "leaked.jpg")
    os.remove(root / "syn" / "deid.dcm")
    # the corrupt PNG could not be read: not checked, so the folder is not reported clean (exit 4)
    assert main(["audit", str(root), "--registry", str(reg_path), "--quiet"]) == 4
    assert capsys.readouterr().out.strip().endswith("-> NOT CLEAN: 1 file could not be read and was not checked")
    os.remove(root / "real" / "broken.png")
    assert main(["audit", str(root), "--registry", str(reg_path), "--quiet"]) == 0
    assert capsys.readouterr().out.strip().endswith("-> clean")
    assert main(["audit", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a folder" in err[0]


def test_cli_label_then_audit(tmp_path, synthetic_png, capsys):
    out = tmp_path / "out"
    reg = tmp_path / "r.sqlite"
    code = main(["label", str(synthetic_png), "--generator", "ddpm", "--generator-version", "2",
                 "--prompt", "axial T1", "--seed", "5", "--out", str(out), "--registry", str(reg)])
    assert code == 0 and "1 file(s) labelled" in capsys.readouterr().out
    Image.open(out / "syn.png").save(out / "copy.png")  # metadata-stripped copy
    assert main(["audit", str(out), "--registry", str(reg)]) == 3
    assert "UNLABELLED SYNTHETIC" in capsys.readouterr().out


@pytest.mark.parametrize("sub", ["label", "audit", "card"])
def test_cli_help(sub, capsys):
    with pytest.raises(SystemExit) as exc:
        main([sub, "--help"])
    assert exc.value.code == 0
    assert "usage: misyn-lab " + sub in capsys.readouterr().out


def test_symlink_loop_and_empty_folder(tmp_path, synthetic_png):
    root = tmp_path / "loopy"
    (root / "a").mkdir(parents=True)
    shutil.copy(synthetic_png, root / "a" / "x.png")
    os.symlink(root, root / "a" / "back")  # folder loop
    os.symlink(root / "a" / "self.png", root / "a" / "self.png")  # file loop
    report = audit_folder(root, progress=False)
    reasons = {os.path.basename(r.path): r.reason for r in report.records if r.status == "unreadable"}
    assert "symlink loop" in reasons["self.png"]
    loop = {"path": str(root / "a" / "back"), "reason": "symlink loop (folder already scanned)"}
    assert report.skipped_paths == [loop]
    assert report.counts()["no_evidence"] == 1
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no image files found"):
        audit_folder(tmp_path / "empty", progress=False)


def test_unreadable_file_is_listed(tmp_path, synthetic_png, monkeypatch):
    root = tmp_path / "perm"
    root.mkdir()
    shutil.copy(synthetic_png, root / "ok.png")
    locked = root / "locked.png"
    shutil.copy(synthetic_png, locked)
    locked.chmod(0)
    if os.geteuid() == 0:  # root reads a chmod-000 file anyway: simulate the permission error instead
        from pathlib import Path

        real_read = Path.read_bytes

        def read_bytes(self):
            if self.name == "locked.png":
                raise PermissionError(13, "Permission denied", str(self))
            return real_read(self)

        monkeypatch.setattr(Path, "read_bytes", read_bytes)
    try:
        report = audit_folder(root, progress=False)
    finally:
        locked.chmod(0o644)
    rec = {os.path.basename(r.path): r for r in report.records}
    assert rec["locked.png"].status == "unreadable" and rec["locked.png"].reason == "permission denied"
    assert rec["ok.png"].status == "no_evidence"


def test_implicit_workers_start_a_cluster_only_past_the_measured_folder_sizes(tmp_path, axial_slices, monkeypatch):
    """Without a registry (marks only, ~0.1 ms per file) ``workers=2`` starts no cluster below
    LOCAL_MIN_FILES_MARKS_ONLY files, although the folder is over LOCAL_MIN_FILES."""
    from misyn_lab.provenance import audit as audit_mod

    monkeypatch.setattr(audit_mod, "LOCAL_MIN_FILES", 10)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(audit_mod, "_start_dask", lambda *a: pytest.fail("a cluster was started"))
    root = tmp_path / "marks"
    root.mkdir()
    for k in range(30):
        shutil.copy(axial_slices[k % len(axial_slices)], root / f"{k:03d}.png")
    report = audit_folder(root, progress=False, workers=2)
    assert report.counts()["no_evidence"] == 30 and audit_mod.LOCAL_MIN_FILES_MARKS_ONLY > 30


def test_parallel_audit_matches_serial(tmp_path, axial_slices, prov, monkeypatch):
    """``workers=2`` alone starts one worker process under Dask's multiprocessing scheduler (for folders of
    LOCAL_MIN_FILES+ files, started as soon as the scan has found that many), this process being the other: this process builds
    the one registry index, none is sent, and the records equal the one-process run."""
    from misyn_lab.provenance import audit as audit_mod

    monkeypatch.setattr(audit_mod, "LOCAL_MIN_FILES", 10)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    started: list[tuple] = []
    original = audit_mod._start_dask

    def recording(stack, scheduler, workers, here=False):
        started.append((scheduler, workers, here))
        return original(stack, scheduler, workers, here)

    monkeypatch.setattr(audit_mod, "_start_dask", recording)
    root = tmp_path / "many"
    root.mkdir()
    for k in range(80):
        shutil.copy(axial_slices[k % len(axial_slices)], root / f"{k:03d}.png")
    with Registry(tmp_path / "r.sqlite") as reg:
        reg.register(axial_slices[0], prov)
        ser = audit_folder(root, registry=reg, progress=False, workers=1)
        built_here: list[int] = []
        index = Registry.index
        monkeypatch.setattr(Registry, "index", lambda self: built_here.append(1) or index(self))
        par = audit_folder(root, registry=reg, progress=False, workers=2, chunk_size=7)
        assert built_here == [1]  # the one index: the worker never opens the registry
        small = root / "small"
        small.mkdir()
        for k in range(5):
            shutil.copy(axial_slices[k], small / f"{k}.png")
        few = audit_folder(small, registry=reg, progress=False, workers=2)  # below the minimum: this process
    # Dask ran once: 1 worker process and this one
    assert started == [("processes", 2, True)]
    assert built_here == [1, 1] and len(few.records) == 5
    assert par.records == ser.records and len(par.records) == 80
    assert par.to_csv() == ser.to_csv() and par.warnings == ser.warnings == []
    assert par.counts()["unlabelled_registry_match"] == sum(
        1 for k in range(80) if k % len(axial_slices) == 0)


def test_card_markdown_and_json(tmp_path, prov, dataset):
    root, reg_path = dataset
    report = audit_folder(root, registry=reg_path, progress=False)
    card = build_card(provenance=prov, audit=report, registry=reg_path, formats=["png", "dicom"])
    md, js = write_card(card, tmp_path / "card")
    text = md.read_text()
    assert "pca-gaussian" in text and "L1" in text and "Synthesizing Equipment" in text
    assert f"## Intended use\n\n{MISSING}" in text
    data = json.loads(js.read_text())
    assert data["registry"]["registered_images"] == 2 and data["seed"] == 7
    empty = card_markdown(build_card())
    assert empty.count(MISSING) >= 10 and "L3" in empty


def test_cli_default_registry_from_environment(tmp_path, synthetic_png, capsys):
    """label registers in $MISYN_LAB_REGISTRY by default; audit uses it unless --no-registry."""
    out = tmp_path / "o"
    assert main(["label", str(synthetic_png), "--generator", "g", "--out", str(out), "--quiet"]) == 0
    assert len(Registry(os.environ["MISYN_LAB_REGISTRY"])) == 1
    Image.open(out / "syn.png").save(out / "stripped.png")
    assert main(["audit", str(out), "--quiet"]) == 3
    assert main(["audit", str(out), "--quiet", "--no-registry"]) == 0
    assert main(["label", str(synthetic_png), "--generator", "g", "--out", str(tmp_path / "p"), "--quiet",
                 "--no-registry"]) == 0
    assert len(Registry(os.environ["MISYN_LAB_REGISTRY"])) == 1
    capsys.readouterr()


def test_card_counts_from_imageset(prov):
    import pandas as pd

    from misyn_lab.imagesets import ImageSet

    iset = ImageSet.from_arrays(np.zeros((3, 8, 8), np.float32),
                                pd.DataFrame({"synthetic": [True, True, False], "modality": ["MR", "MR", "CT"]}))
    card = build_card(provenance=prov, imageset=iset, formats=["png"], intended_use="teaching")
    assert card["what_was_generated"]["synthetic"] == 2 and card["what_was_generated"]["by_modality"] == {"MR": 2,
                                                                                                        "CT": 1}
    assert card["intended_use"] == "teaching" and card["registry"] == MISSING


def test_audit_nifti_marks_and_sidecars(tmp_path, prov):
    import nibabel as nib

    root = tmp_path / "vols"
    root.mkdir()
    vol = np.random.default_rng(0).random((6, 6, 3)).astype(np.float32)
    nib.save(nib.Nifti1Image(vol, np.eye(4)), root / "real.nii.gz")
    nib.save(nib.Nifti1Image(vol, np.eye(4)), tmp_path / "gen.nii")
    label_file(tmp_path / "gen.nii", prov, out=root / "syn.nii")
    with Registry(tmp_path / "r.sqlite") as reg:
        report = audit_folder(root, registry=reg, progress=False)
    status = {os.path.basename(r.path): (r.status, r.reason) for r in report.records}
    assert status["syn.nii"][0] == "labelled_synthetic"
    assert status["real.nii.gz"] == ("no_evidence", "NIfTI: marks, file and voxel hashes only (no perceptual matching)")
    assert report.ignored == []  # the sidecar syn.json belongs to syn.nii


def test_card_and_audit_refuse_a_missing_registry(tmp_path, prov, dataset, capsys):
    """A typo in --registry must not create an empty registry that reports 0 images."""
    root, _ = dataset
    typo = tmp_path / "typo.sqlite"
    with pytest.raises(InputError, match=r"typo\.sqlite: registry file does not exist"):
        build_card(provenance=prov, registry=typo)
    with pytest.raises(InputError, match=r"typo\.sqlite: registry file does not exist"):
        audit_folder(root, registry=typo, progress=False)
    assert main(["card", "--generator", "g", "--out", str(tmp_path / "card"), "--registry", str(typo)]) == 2
    assert "typo.sqlite" in capsys.readouterr().err
    assert not typo.exists() and not (tmp_path / "card.md").exists()


def test_open_registry_closes_only_what_it_opened(tmp_path):
    import sqlite3

    from misyn_lab.provenance import open_registry

    path = tmp_path / "r.sqlite"
    with pytest.raises(InputError, match="does not exist"):
        with open_registry(path):
            pass
    with open_registry(path, create=True) as opened:
        assert len(opened) == 0
    with pytest.raises(sqlite3.ProgrammingError):
        len(opened)  # closed on exit
    with Registry(path) as owned:
        with open_registry(owned) as same:
            assert same is owned
        assert len(owned) == 0  # still open: the caller owns it


def test_corrupt_dicom_element_is_an_unreadable_audit_record(tmp_path):
    import struct

    root = tmp_path / "d"
    root.mkdir()
    data = bytearray(open(get_testdata_file("CT_small.dcm"), "rb").read())
    at = data.find(struct.pack("<HH", 0x0028, 0x0010))
    data[at + 4:at + 6] = b"UL"  # Rows: 2 value bytes cannot hold a 4-byte UL
    (root / "bad.dcm").write_bytes(bytes(data))
    with pytest.raises(InputError, match=r"bad\.dcm: corrupt DICOM attribute"):
        from misyn_lab.provenance import is_synthetic

        is_synthetic(root / "bad.dcm")
    (rec,) = audit_folder(root, progress=False).records
    assert rec.status == "unreadable" and "corrupt DICOM attribute" in rec.reason
