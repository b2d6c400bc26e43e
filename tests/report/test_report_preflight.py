"""Pre-flight checks of ``misyn-lab report``: everything is validated before any kernel starts — real images that
are synthetic (marks in the files, or registry matches after the marks were stripped), case notebooks outside
the bundled notebooks or the case's folder, bad seeds and output folders."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
import yaml
from PIL import Image

from misyn_lab import notebooks
from misyn_lab.cases.case import BUNDLED
from misyn_lab.cli import main
from misyn_lab.errors import InputError
from misyn_lab.imagesets.samples import data_dir
from misyn_lab.report import assemble
from misyn_lab.report import cases as report_cases
from misyn_lab.report.assemble import build_report

SAMPLES = data_dir() / "images"


@pytest.fixture
def folders(tmp_path, monkeypatch):
    """``real/`` and ``syn/`` with 6 bundled sample slices each; the default registry lives in tmp_path."""
    monkeypatch.setenv("MISYN_LAB_REGISTRY", str(tmp_path / "default.sqlite"))
    pngs = sorted(SAMPLES.rglob("*.png"))
    real, syn = tmp_path / "real", tmp_path / "syn"
    for folder, chosen in ((real, pngs[:6]), (syn, pngs[10:16])):
        folder.mkdir()
        for p in chosen:
            shutil.copy(p, folder / p.name)
    return real, syn


@pytest.fixture
def no_work(monkeypatch):
    """Fail the test if any part of a report were computed (a case study, a notebook, an evaluation)."""
    def refuse(*args, **kwargs):
        raise AssertionError("work started before every input was checked")

    monkeypatch.setattr(assemble, "run_case", refuse)
    monkeypatch.setattr(assemble, "folder_part", refuse)
    monkeypatch.setattr(report_cases, "execute_notebook", refuse)




def _strip_marks(folder: Path) -> None:
    for p in folder.iterdir():
        Image.open(p).save(p)  # pixels kept, every text chunk (mark, provenance, XMP) dropped


def test_labelled_then_deidentified_real_folder_is_refused(folders, tmp_path, capsys, no_work):
    real, syn = folders
    assert main(["label", *map(str, sorted(real.iterdir())), "--generator", "ddpm", "--quiet"]) == 0
    _strip_marks(real)
    assert main(["audit", str(real), "--quiet"]) == 3  # the registry still knows them
    capsys.readouterr()
    out = tmp_path / "report"
    rc = main(["report", "--real", str(real), "--synthetic", str(syn), "--quick", "--out", str(out), "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1
    first = sorted(real.iterdir())[0].name
    assert err[0].startswith(f"misyn-lab: error: {real}: 6 of the 6 real image file(s) carry a synthetic mark or match "
                             f"the registry of generated images ({first}: unlabelled, matches registry image #1 "
                             f"({first}) by pixels;")
    assert err[0].endswith("evaluating synthetic images as real hides their problems (fix: remove them from the real "
                           "set, or pass --allow-marked-real if they are there on purpose (the report then says so))")
    assert not out.exists()  # refused before anything was written or run


def test_marked_real_images_are_refused_without_a_registry(folders, tmp_path, capsys, no_work):
    """Issue 13.1: labelled with --no-registry, the marks themselves stop the report."""
    real, syn = folders
    assert main(["label", *map(str, sorted(real.iterdir())[:2]), "--generator", "ddpm", "--no-registry",
                 "--quiet"]) == 0
    rc = main(["report", "--real", str(real), "--synthetic", str(syn), "--quick", "--out", str(tmp_path / "o"),
               "--no-registry"])
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert "2 of the 6 real image file(s) carry a synthetic mark or match the registry of generated images" in err
    assert "labelled synthetic (PNG text misyn:synthetic, XMP Iptc4xmpExt:DigitalSourceType)" in err


def test_allow_marked_real_runs_and_the_report_says_so(folders, tmp_path):
    real, syn = folders
    assert main(["label", str(sorted(real.iterdir())[0]), "--generator", "ddpm", "--quiet"]) == 0
    with pytest.raises(InputError, match="1 of the 6 real image file"):
        build_report(real=real, synthetic=syn, out=tmp_path / "refused", progress=False, quick=True)
    result = build_report(real=real, synthetic=syn, out=tmp_path / "o", progress=False, quick=True,
                          allow_marked_real=True)
    doc = result.html_path.read_text(encoding="utf-8")
    name = sorted(real.iterdir())[0].name
    warning = (f"WARNING: 1 of the 6 real image file(s) carry a synthetic mark or match the registry of generated "
               f"images ({name}: labelled synthetic (PNG text misyn:synthetic, XMP Iptc4xmpExt:DigitalSourceType)). "
               "They were evaluated as real images because --allow-marked-real was given; every real-vs-synthetic "
               "result below is affected.")
    summary = doc[doc.index('id="summary"'):doc.index('<nav class="toc"')]
    assert f'<p class="warning">{warning}</p>' in summary  # said in the summary, before anything else
    assert 'id="real-screening"' in doc and "6 real" in doc


def test_clean_real_folder_says_it_was_screened(folders, tmp_path):
    real, syn = folders
    result = build_report(real=real, synthetic=syn, out=tmp_path / "o", progress=False, quick=True, registry=None)
    doc = result.html_path.read_text(encoding="utf-8")
    appendix = doc[doc.index('id="appendix"'):]
    assert ("Real images screened: none of the 6 real image file(s) carries a synthetic mark (no registry: images "
            "whose marks were stripped cannot be found).") in appendix
    assert 'id="real-screening"' not in doc


@pytest.mark.parametrize("content, found", [(None, "it is empty"), ("notes.txt", "1 other file(s)")])
def test_folder_without_images_is_refused_before_any_work(content, found, folders, tmp_path, capsys, no_work):
    real, _ = folders
    empty = tmp_path / "empty"
    empty.mkdir()
    if content:
        (empty / content).write_text("not an image")
    assert main(["report", "--real", str(real), "--synthetic", str(empty), "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err.strip() == (
        f"misyn-lab: error: {empty.resolve()}: the synthetic folder holds no image files ({found}) (fix: give a folder "
        "of synthetic images (PNG, JPEG, TIFF, DICOM, NIfTI or .npz))")
    assert not (tmp_path / "o").exists()


def _dicom(path: Path) -> Path:
    """A small CT DICOM file whose header names modality, body part, sex and age."""
    import numpy as np
    import pydicom
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid(entropy_srcs=[path.name])
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID, ds.SOPInstanceUID = CTImageStorage, meta.MediaStorageSOPInstanceUID
    ds.Modality, ds.PatientSex, ds.PatientAge, ds.BodyPartExamined = "CT", "F", "045Y", "CHEST"
    arr = (np.arange(64, dtype=np.uint16).reshape(8, 8) * 10)
    ds.Rows, ds.Columns = arr.shape
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    ds.PixelData = arr.tobytes()
    ds.save_as(path, enforce_file_format=True)
    assert pydicom.dcmread(path).Modality == "CT"
    return path


def test_unknown_subgroup_names_real_columns_only(tmp_path, capsys, no_work):
    """DICOM files carry metadata a subgroup can come from; the suggestions never list file properties such as
    source_path, pil_mode or orig_dtype."""
    real = tmp_path / "dicom"
    real.mkdir()
    _dicom(real / "a.dcm")
    assert main(["report", "--real", str(real), "--subgroup", "modalty", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"misyn-lab: error: {real.resolve()}: unknown --subgroup 'modalty': the real images have no "
                          "such metadata column; did you mean 'modality'? (fix: choose --subgroup from ")
    for internal in ("source_path", "pil_mode", "orig_dtype", "orig_height", "file_format", "intensity_scaling"):
        assert internal not in err, internal
    assert "modality" in err.split("(fix:")[1] and not (tmp_path / "o").exists()


def test_subgroup_on_plain_image_files_says_there_is_none(folders, tmp_path, capsys, no_work):
    real, syn = folders
    assert main(["report", "--real", str(real), "--synthetic", str(syn), "--subgroup", "plane",
                 "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err.strip() == (
        f"misyn-lab: error: {real.resolve()}: unknown --subgroup 'plane': the real images have no such metadata column "
        "(fix: these images carry no metadata a subgroup could come from (only file properties such as their size and "
        "format): leave --subgroup out)")
    assert main(["report", "--subgroup", "plane", "--out", str(tmp_path / "o")]) == 2
    assert "--subgroup needs --real" in capsys.readouterr().err


@pytest.mark.parametrize("text, message", [
    (b"\xff\xfe\x00garbage", "case file is not UTF-8 text (invalid byte at line 1, byte offset 0)"),
    (b"id: [unclosed\n", "malformed YAML in case file at line 2, column 1"),
])
def test_unreadable_case_file_is_refused_before_any_work(text, message, tmp_path, capsys, no_work):
    path = tmp_path / "case.yaml"
    path.write_bytes(text)
    assert main(["report", "--case", str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"misyn-lab: error: {path}: {message}") and len(err.splitlines()) == 1
    assert not (tmp_path / "o").exists()


def _case(tmp_path: Path, notebook) -> Path:
    data = yaml.safe_load(BUNDLED["case1"].read_text(encoding="utf-8"))
    data["notebook"] = notebook
    path = tmp_path / "cases" / "mine.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize("notebook", ["../../../some/where/pwn.ipynb", "/tmp/pwn.ipynb", "~/pwn.ipynb",
                                      "sub/pwn.ipynb", "./a/../../pwn.ipynb", "C:/pwn.ipynb", "./pwn.py", "..\\pwn"])
def test_case_notebook_outside_is_refused_by_case_check_and_report(notebook, tmp_path, capsys, no_work):
    path = _case(tmp_path, notebook)
    assert main(["case", "check", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"misyn-lab: error: {path}: field notebook: {notebook!r} is not allowed; a case may name a bundled "
                   "workbook notebook by file name (e.g. case1_segmentation.ipynb) or a notebook in the case file's own "
                   "folder written as ./NAME.ipynb (or ./sub/NAME.ipynb) (fix: use a bundled notebook name, or put the "
                   "notebook beside the case file and write ./NAME.ipynb)")
    assert main(["report", "--case", str(path), "--out", str(tmp_path / "o")]) == 2
    assert "field notebook" in capsys.readouterr().err and not (tmp_path / "o").exists()


def test_case_notebook_symlink_leaving_the_folder_is_refused(tmp_path, make_notebook, capsys, no_work):
    outside = make_notebook("case_path = ''\nout_dir = ''\nseed = 0", "print('pwned')", name="pwn.ipynb")
    path = _case(tmp_path, "./nb.ipynb")
    (path.parent / "nb.ipynb").symlink_to(outside)
    assert main(["case", "check", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"misyn-lab: error: {path}: field notebook: './nb.ipynb' leads out of the case file's folder (it "
                   f"resolves to {outside}) (fix: keep the notebook itself inside the case folder)")
    assert main(["report", "--case", str(path), "--out", str(tmp_path / "o")]) == 2
    assert "leads out of the case file's folder" in capsys.readouterr().err


def test_case_notebook_beside_the_case_file_runs(tmp_path, capfd):
    """The notebook runs quietly; the report shows the review file it wrote, never its cells."""
    path = _case(tmp_path, "./measure.ipynb")
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("case_path = ''\nout_dir = ''\nseed = 0")
    cell.metadata["tags"] = ["parameters"]
    write = ("from pathlib import Path\nfrom misyn_lab.cases.case import load_case\n"
             "from misyn_lab.metrics.result import MetricResult\n"
             "print('cell output that a report never shows')\n"
             "review = load_case(case_path).to_review()\n"
             "review.add_evidence(MetricResult('seg.dice_worst_subgroup', 0.6125, {'pairs': 40}, "
             "interpretation='measured beside the case file'))\n"
             "review.save(Path(out_dir) / 'measure_review.yaml', overwrite=True)")
    nb.cells = [cell, nbformat.v4.new_code_cell(write)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(path.parent / "measure.ipynb"))
    assert main(["case", "check", str(path)]) == 0
    capfd.readouterr()
    assert main(["report", "--case", str(path), "--out", str(tmp_path / "o"), "--no-progress"]) == 0
    doc = (tmp_path / "o" / "report.html").read_text(encoding="utf-8")
    assert "measured beside the case file" in doc and "<td>0.613</td>" in doc
    assert "cell output that a report never shows" not in doc
    err = capfd.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("report written:")  # no kernel warnings on success


def test_case_naming_a_missing_bundled_notebook_is_refused_before_running(tmp_path, capsys, no_work):
    path = _case(tmp_path, "pwn.ipynb")
    assert main(["report", "--case", str(path), "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err.strip() == (
        f"misyn-lab: error: {path}: notebook 'pwn.ipynb' is not a bundled workbook notebook (fix: name a bundled "
        f"notebook ({', '.join(notebooks.names())}), or put yours beside the case file and write ./NAME.ipynb)")


@pytest.mark.parametrize("argv, fragment", [
    (["--seed", "-1"], "argument --seed: must be a whole number from 0 to 4294967295, got -1"),
    (["--seed", "4294967296"], "argument --seed: must be a whole number from 0 to 4294967295, got 4294967296"),
    (["--seed", "1" * 100000], "argument --seed: number with 100000 digits is out of range"),
    (["--seed", "x"], "argument --seed: expected a whole number, got 'x'"),
])
def test_bad_seed_is_refused_while_parsing(argv, fragment, capsys, no_work):
    with pytest.raises(SystemExit) as info:
        main(["report", *argv])
    assert info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0] == f"misyn-lab: error: misyn-lab report: {fragment} (fix: see `misyn-lab report --help`)"


def test_out_pointing_at_a_file_is_refused(tmp_path, capsys, no_work):
    target = tmp_path / "report.html"
    target.write_text("x")
    assert main(["report", "--out", str(target)]) == 2
    assert capsys.readouterr().err.strip() == (f"misyn-lab: error: {target}: --out must be a folder, but a file of that "
                                               "name exists (fix: give a folder for the report (it is created if "
                                               "missing))")
    assert main(["report", "--out", str(target / "sub")]) == 2
    assert f"--out cannot be created: {target} is a file" in capsys.readouterr().err
