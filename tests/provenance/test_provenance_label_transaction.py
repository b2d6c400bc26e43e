"""Transactional ``label``: register first, then rename; a failure or a SIGKILL at any point leaves either the old
file (and no effective registry row) or the labelled file and its row — never one without the other. Links are
refused, collisions are refused before anything is written, NIfTI volumes register with the default registry."""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import time
from pathlib import Path

import nibabel as nib
import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.data import get_testdata_file

from misyn_lab.cli import main
from misyn_lab.errors import InputError
from misyn_lab.faults import ENV_VAR
from misyn_lab.provenance import Registry, audit_folder, is_synthetic, label_file
from misyn_lab.provenance.mark import FAULT_POINTS
from misyn_lab.provenance.registry import load_rows


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _effective_rows(reg_path: Path, *, settle: bool) -> list[tuple]:
    """Rows a reader counts: read-only (pending rows resolved against their files) or after a writable open
    (which settles pending rows). A run killed before the registry had its tables has no rows."""
    if not reg_path.exists():
        return []
    if settle:
        Registry(reg_path).close()
    try:
        reg = Registry(reg_path, readonly=True)
    except InputError as exc:
        assert exc.message.startswith("registry file holds no registry yet"), exc.message
        return []
    with reg:
        rows, warnings = load_rows(reg._conn, reg.path)
    assert warnings == []
    return rows


def _check_invariant(files: dict[Path, str], reg_path: Path) -> dict[str, int]:
    """Every file is either untouched with no row of its name, or labelled with exactly one row of its bytes."""
    states = {"old": 0, "labelled": 0}
    for settle in (False, True):
        rows = _effective_rows(reg_path, settle=settle)
        by_sha = {}
        for r in rows:
            by_sha.setdefault(r[1], []).append(r)
        names = {r[9] for r in rows}
        for path, original in files.items():
            current = _sha(path)
            if current == original:
                assert path.name not in names, f"{path.name}: old file but a registry row exists ({settle=})"
                assert is_synthetic(path) is None
                states["old"] += not settle
            else:
                assert is_synthetic(path) is not None, f"{path.name}: changed but not labelled"
                assert len(by_sha.get(current, [])) == 1, f"{path.name}: labelled file without its row ({settle=})"
                states["labelled"] += not settle
    return states


@pytest.fixture
def pngs(tmp_path, axial_slices):
    folder = tmp_path / "imgs"
    folder.mkdir()
    for p in axial_slices[:12]:
        shutil.copy(p, folder / p.name)
    return {p: _sha(p) for p in sorted(folder.iterdir())}


def _fork_label(argv: list[str], env: dict[str, str]) -> int:
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        code = 99
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            os.environ.update(env)
            code = main(argv)
        finally:
            os._exit(code)
    return pid


@pytest.mark.parametrize("point", FAULT_POINTS)
def test_sigkill_at_each_step_keeps_file_and_row_together(point, pngs, tmp_path):
    reg_path = tmp_path / "reg.sqlite"
    files = list(pngs)
    pid = _fork_label(["label", *map(str, files), "--generator", "g", "--registry", str(reg_path), "--quiet"],
                      {ENV_VAR: point})
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, point
    states = _check_invariant(pngs, reg_path)
    # the first file was being labelled when the process died
    expected_labelled = 1 if point in ("label:after-rename", "label:after-confirm") else 0
    assert states == {"old": len(files) - expected_labelled, "labelled": expected_labelled}
    Registry(reg_path).close()  # a writable open settles pending rows and removes their temporary files
    litter = [p.name for p in files[0].parent.iterdir() if p.name.endswith(".tmp")]
    assert litter == ([] if point != "label:after-temp" else litter) and len(litter) <= 1


def test_sigkill_after_random_delays_keeps_the_invariant(pngs, tmp_path):
    """Kill `label` of 12 files at random moments, 12 times over the same folder (some files labelled twice)."""
    reg_path = tmp_path / "reg.sqlite"
    files = list(pngs)
    warm = tmp_path / "warm"  # import everything `label` needs before forking, so kills land mid-work
    argv = ["--generator", "g", "--registry", str(warm / "r.sqlite"), "--quiet", "--out"]
    assert main(["label", str(files[0]), *argv, str(warm / "a")]) == 0
    start = time.perf_counter()
    assert main(["label", *map(str, files), *argv, str(warm / "b")]) == 0
    per_file = (time.perf_counter() - start) / len(files)
    rng = random.Random(13)
    outcomes = set()
    labelled_seen = 0
    for _ in range(12):
        pid = _fork_label(["label", *map(str, files), "--generator", "g", "--registry", str(reg_path), "--quiet"], {})
        time.sleep(rng.uniform(0.0, per_file * len(files) * 1.2))
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        outcomes.add("killed" if os.WIFSIGNALED(status) else "finished")
        current = {p: _sha(p) for p in files}
        # invariant against the bytes each file had before this run
        for p in files:
            assert is_synthetic(p) is not None or current[p] == pngs[p]
        shas = {r[1] for r in _effective_rows(reg_path, settle=False)}
        for p in files:
            if current[p] != pngs[p]:
                assert current[p] in shas, f"{p.name}: labelled without its registry row"
                labelled_seen += 1
    assert "killed" in outcomes and labelled_seen > 0


def test_failure_after_registering_rolls_back(pngs, tmp_path, monkeypatch):
    from misyn_lab.provenance import mark

    src = next(iter(pngs))
    reg_path = tmp_path / "reg.sqlite"

    def broken_replace(tmp, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(mark, "replace_with", broken_replace)
    with pytest.raises(OSError):
        label_file(src, _prov(), registry=reg_path)
    assert _sha(src) == pngs[src]
    with Registry(reg_path) as reg:
        assert len(reg) == 0
    assert [p for p in src.parent.iterdir() if p.name.endswith(".tmp")] == []


def _prov():
    from misyn_lab.provenance import Provenance

    return Provenance(generator="g")


def test_links_are_refused_never_replaced(tmp_path, synthetic_png, capsys):
    link = tmp_path / "link.png"
    os.symlink(synthetic_png, link)
    hard = tmp_path / "hard.png"
    os.link(synthetic_png, hard)
    before = _sha(synthetic_png)
    assert main(["label", str(link), "--generator", "g", "--no-registry"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"misyn-lab: error: {link}: is a symbolic link (to {synthetic_png}); labelling it would replace "
                   f"the link with a regular file and leave its target unlabelled (fix: label {synthetic_png} itself, "
                   "or write copies with --out DIR)")
    assert main(["label", str(hard), "--generator", "g", "--no-registry"]) == 2
    assert "has 2 hard links; labelling it in place would give this name a new file" in capsys.readouterr().err
    assert link.is_symlink() and _sha(synthetic_png) == before and os.stat(hard).st_nlink == 2
    # a copy into --out reads through the link and writes a new file: allowed
    assert main(["label", str(link), "--generator", "g", "--no-registry", "--out", str(tmp_path / "o"),
                 "--quiet"]) == 0
    assert is_synthetic(tmp_path / "o" / "link.png") is not None and link.is_symlink()


def test_two_inputs_to_one_output_are_refused_before_writing(tmp_path, synthetic_png, capsys):
    (tmp_path / "A").mkdir()
    (tmp_path / "B").mkdir()
    a, b = tmp_path / "A" / "x.png", tmp_path / "B" / "x.png"
    shutil.copy(synthetic_png, a)
    shutil.copy(synthetic_png, b)
    reg = tmp_path / "reg.sqlite"
    assert main(["label", str(a), str(b), "--generator", "g", "--out", str(tmp_path / "out"),
                 "--registry", str(reg)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"misyn-lab: error: {b}: {a} and {b} would both be written to {tmp_path / 'out' / 'x.png'}; "
                          "nothing was labelled")
    assert list((tmp_path / "out").iterdir()) == [] and not reg.exists()


def test_nifti_with_the_default_registry(tmp_path, monkeypatch, capsys):
    """NIfTI volumes are registered by file and voxel hashes: a copy whose marks were stripped is still found."""
    monkeypatch.setenv("MISYN_LAB_REGISTRY", str(tmp_path / "default.sqlite"))
    vol = np.random.default_rng(0).random((10, 9, 4)).astype(np.float32)
    src = tmp_path / "gen.nii.gz"
    nib.save(nib.Nifti1Image(vol, np.eye(4)), src)
    out = tmp_path / "out"
    assert main(["label", str(src), "--generator", "g", "--out", str(out), "--quiet"]) == 0
    labelled = out / "gen.nii.gz"
    assert is_synthetic(labelled).fields == ["NIfTI descrip", "NIfTI intent_name", "sidecar gen.json misyn:synthetic"]
    np.testing.assert_array_equal(np.asarray(nib.load(labelled).dataobj), vol)  # voxels untouched
    with Registry(tmp_path / "default.sqlite") as reg:
        (row,) = reg.rows()
        assert row["hash_algorithm"] == "sha256+voxels" and row["sha256"] == _sha(labelled)
    stripped = tmp_path / "ds"
    stripped.mkdir()
    img = nib.load(labelled)
    img.header["descrip"] = b""
    img.header["intent_name"] = b""
    nib.save(nib.Nifti1Image(np.asarray(img.dataobj), img.affine, img.header), stripped / "deid.nii.gz")
    (rec,) = audit_folder(stripped, registry=tmp_path / "default.sqlite", progress=False).records
    assert (rec.status, rec.match_kind) == ("unlabelled_registry_match", "pixels")
    capsys.readouterr()


def test_dicom_whose_pixels_cannot_be_decoded_is_not_changed(tmp_path, capsys):
    """A JPEG 2000 DICOM no installed decoder can read: refused before anything is written (it used to be
    rewritten in place, then fail to register)."""
    from pydicom.encaps import encapsulate
    from pydicom.uid import JPEG2000Lossless

    src = tmp_path / "j2k.dcm"
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    ds.file_meta.TransferSyntaxUID = JPEG2000Lossless
    ds.PixelData = encapsulate([b"\xff\x4f\xff\x51\x00\x29" + bytes(range(64))])  # a codestream header, then junk
    ds["PixelData"].VR = "OB"
    ds.save_as(src)
    before = _sha(src)
    assert main(["label", str(src), "--generator", "g", "--registry", str(tmp_path / "r.sqlite")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err  # nothing from pydicom's logger reaches stderr
    assert f"{src}: cannot decode compressed pixel data: no working decoder for the compressed transfer" in err[0]
    assert _sha(src) == before
    with Registry(tmp_path / "r.sqlite") as reg:
        assert len(reg) == 0


def test_float_tiff_with_nan_labels_without_changing_pixels(tmp_path):
    arr = np.random.default_rng(1).random((16, 16)).astype(np.float32)
    arr[3, 4] = np.nan
    src = tmp_path / "f.tif"
    Image.fromarray(arr, mode="F").save(src)
    out = label_file(src, _prov(), out=tmp_path / "lab.tif", registry=tmp_path / "r.sqlite")
    back = np.asarray(Image.open(out))
    assert np.isnan(back[3, 4]) and np.array_equal(back, arr, equal_nan=True)
    from misyn_lab.imagesets import load_folder

    with pytest.raises(InputError, match=r"f\.tif: contains NaN or infinite values"):
        load_folder(src)
