"""`misyn-lab class readers DIR`: one answer file per student gathered with the class-mode conventions; every file
that cannot be used is named with the reason (exit 3), the rest are analysed; ambiguous folders fail loudly."""

from __future__ import annotations

import shutil

import pytest
import yaml

from misyn_lab.checklist import Review
from misyn_lab.cli import main
from misyn_lab.errors import InputError
from misyn_lab.instruments.reader_collect import collect_readers
from misyn_lab.workbook.reader_class_demo import class_study, simulate_readers


@pytest.fixture(scope="module")
def study():
    return class_study(seed=0, n_tiles=10)


@pytest.fixture(scope="module")
def clean_class(study, tmp_path_factory):
    return simulate_readers(tmp_path_factory.mktemp("readers") / "clean", study, n_readers=6, seed=1).folder


@pytest.fixture
def folder(clean_class, tmp_path):
    dest = tmp_path / "class"
    shutil.copytree(clean_class, dest)
    return dest


def _edit(path, change):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def test_collects_every_reader_of_a_clean_class(folder, study):
    collected = collect_readers(folder)
    assert collected.study_id == study.study_id and not collected.refused
    assert list(collected.readers) == [f"simulated-reader-0{i}" for i in range(1, 7)]
    assert len(collected.records) == 60
    record = collected.review.extra["class"]
    assert record["kind"] == "reader answers" and record["study_id"] == study.study_id
    assert record["readers"]["simulated-reader-03"] == "simulated-reader-03.yaml"
    lines = collected.report_lines()
    assert lines[0].startswith(f"collected 6 reader(s) of study {study.study_id} from {folder}: "
                               "simulated-reader-01 (simulated-reader-01.yaml, 10 answers)")
    assert lines[-1].startswith("ignored 6 file(s), a lock file left by a save: ")


def test_unusable_files_are_refused_with_their_reason(folder, study, tmp_path):
    # a reader who reuses another's name
    shutil.copy(folder / "simulated-reader-02.yaml", folder / "zz-copy.yaml")
    # a hand-edited truth (the majority of files says otherwise)
    first = {}

    def flip_truth(data):
        rec = data["reader_answers"][0]
        first.update(rec)
        rec["truth"] = "real" if rec["truth"] == "synthetic" else "synthetic"
    _edit(folder / "simulated-reader-03.yaml", flip_truth)
    # a malformed confidence; a tile answered twice
    _edit(folder / "simulated-reader-04.yaml", lambda d: d["reader_answers"][1].update(confidence=9))

    def twice(data):
        data["reader_answers"].append({**data["reader_answers"][0], "id": "again"})
    _edit(folder / "simulated-reader-05.yaml", twice)
    # a checklist review without reader answers, a text file, a class file
    Review.new("vignettes", reviewer="ana").save(folder / "ana-vignettes.yaml")
    (folder / "notes.txt").write_text("hi", encoding="utf-8")
    collected = collect_readers(folder)
    reasons = dict(collected.refused)
    assert list(collected.readers) == ["simulated-reader-01", "simulated-reader-06"]
    assert reasons["zz-copy.yaml"].startswith("reader name 'simulated-reader-02' also answers in "
                                              "simulated-reader-02.yaml; each student needs their own name")
    assert reasons["simulated-reader-02.yaml"].startswith("reader name 'simulated-reader-02' also answers in zz-copy")
    flipped = "real" if first["truth"] == "synthetic" else "synthetic"
    assert reasons["simulated-reader-03.yaml"] == (
        f"tile {first['tile_id']} is '{flipped}' (image '{first['image_id']}') here but '{first['truth']}' "
        f"(image '{first['image_id']}') in 2 other file(s)")
    assert reasons["simulated-reader-04.yaml"].endswith("confidence 9 is not an integer 1-5")
    assert reasons["simulated-reader-05.yaml"].startswith("simulated-reader-05 answers tile T")
    assert reasons["simulated-reader-05.yaml"].endswith(" 2 times")
    assert reasons["ana-vignettes.yaml"] == f"no answers to reader study {study.study_id}"
    assert ("notes.txt", "not a review file (expected .yaml, .yml or .json)") in collected.ignored
    out = folder.parent / "class-readers.yaml"
    collected.review.save(out)
    shutil.copy(out, folder / "old-class.yaml")
    again = dict(collect_readers(folder).refused)
    assert again["old-class.yaml"] == "a class file (collected earlier), not a student's review"


def test_several_studies_need_a_choice(folder, study, tmp_path):
    other = class_study(seed=1, n_tiles=10)
    simulate_readers(tmp_path / "other", other, n_readers=2, seed=0)
    shutil.copy(tmp_path / "other" / "simulated-reader-01.yaml", folder / "other-01.yaml")
    with pytest.raises(InputError, match=f"the folder holds answers to 2 reader studies: {study.study_id} "
                                         rf"\(6 file\(s\)\), {other.study_id} \(1 file\(s\)\)"):
        collect_readers(folder)
    chosen = collect_readers(folder, study_id=other.study_id)
    assert list(chosen.readers) == ["simulated-reader-01"] and chosen.readers["simulated-reader-01"] == "other-01.yaml"
    assert len(chosen.refused) == 6 and all(r.startswith(f"no answers to reader study {other.study_id} (it holds "
                                                         f"answers to {study.study_id})") for _, r in chosen.refused)


def test_a_tie_on_a_tile_fails_loudly(clean_class, tmp_path):
    folder = tmp_path / "tie"
    folder.mkdir()
    for name in ("simulated-reader-01.yaml", "simulated-reader-02.yaml"):
        shutil.copy(clean_class / name, folder / name)
    tile = {}

    def flip(data):
        for rec in data["reader_answers"]:
            if not tile:
                tile["id"] = rec["tile_id"]
            if rec["tile_id"] == tile["id"]:
                rec["truth"] = "real" if rec["truth"] == "synthetic" else "synthetic"
    _edit(folder / "simulated-reader-02.yaml", flip)
    with pytest.raises(InputError, match=f"files disagree on tile {tile['id']}: "):
        collect_readers(folder)


def test_no_usable_file_and_missing_folder(tmp_path, clean_class):
    with pytest.raises(InputError, match="class folder not found"):
        collect_readers(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no reader answers in the class folder"):
        collect_readers(tmp_path / "empty")
    (tmp_path / "one").mkdir()
    shutil.copy(clean_class / "simulated-reader-01.yaml", tmp_path / "one" / "a.yaml")
    _edit(tmp_path / "one" / "a.yaml", lambda d: d["reader_answers"][0].update(answer="maybe"))
    with pytest.raises(InputError, match=r"no usable reader answer file in the class folder \(1 refused: a.yaml: "
                                         r"answer .*/T\d\d: answer 'maybe' is not 'real' or 'synthetic'\)"):
        collect_readers(tmp_path / "one")


def test_cli_writes_the_class_file_prints_the_analysis_and_exits_3_on_refusals(folder, study, capsys):
    out = folder.parent / "readers.yaml"
    assert main(["class", "readers", str(folder), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"wrote the class file {out}" in printed
    assert "Mean accuracy over 6 readers × 10 tiles (60 answers)" in printed
    assert "linear mixed model with crossed random effects" in printed
    collected = Review.load(out)
    assert len(collected.records("reader_answers")) == 60 and collected.extra["class"]["study_id"] == study.study_id
    for reader in ("simulated-reader-01", "simulated-reader-04"):
        answers = [r for r in collected.records("reader_answers") if r["reader"] == reader]
        k = sum(r["answer"] == r["truth"] for r in answers)
        assert f"  {reader}: {k}/10 correct, {k / 10:.0%} (Wilson CI " in printed
    # an existing class file is not overwritten; --force does
    assert main(["class", "readers", str(folder), "--out", str(out)]) == 2
    assert capsys.readouterr().err == (f"misyn-lab: error: {out}: class file already exists; not overwriting "
                                       "(fix: choose another --out or pass --force)\n")
    shutil.copy(folder / "simulated-reader-01.yaml", folder / "dup.yaml")
    assert main(["class", "readers", str(folder), "--out", str(out), "--force"]) == 3
    printed = capsys.readouterr().out
    assert "refused dup.yaml: reader name 'simulated-reader-01' also answers in simulated-reader-01.yaml" in printed
    assert "collected 5 reader(s)" in printed
