"""Class mode collection: one review file per student, merged with the rules of `review merge`; every file that
cannot be used is named with its reason, never skipped silently."""

from __future__ import annotations

import warnings

import pytest

from misyn_lab.checklist import Review, merge_reviews
from misyn_lab.checklist.classroom import CLASS_KEY, class_record, collect_class
from misyn_lab.errors import InputError


def _student(path, name: str, answers: dict[str, str]) -> Review:
    review = Review.new(f"{name}'s vignettes", reviewer=name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for item, status in answers.items():
            review.set_answer(item, name, status, f"{name} on {item}")
    review.save(path, overwrite=True)
    return review


@pytest.fixture
def class_dir(tmp_path):
    folder = tmp_path / "submissions"
    folder.mkdir()
    _student(folder / "ana.yaml", "ana", {"TS-1": "no", "TS-2": "yes"})
    _student(folder / "bo.json", "bo", {"TS-1": "partly", "TS-2": "yes"})
    _student(folder / "cy.yml", "cy", {"TS-1": "no", "PF-1": "unknown"})
    return folder


def test_collect_merges_like_review_merge(class_dir):
    collected = collect_class(class_dir)
    assert collected.students == {"ana": "ana.yaml", "bo": "bo.json", "cy": "cy.yml"}
    assert collected.refused == []
    assert collected.ignored == [(name, "a lock file left by a save")
                                 for name in ("ana.yaml.lock", "bo.json.lock", "cy.yml.lock")]
    direct = merge_reviews(*(Review.load(class_dir / f) for f in ("ana.yaml", "bo.json", "cy.yml")))
    data = collected.review.to_data()
    assert data.pop(CLASS_KEY) == {"collected_from": str(class_dir),
                                   "students": {"ana": "ana.yaml", "bo": "bo.json", "cy": "cy.yml"}, "refused": []}
    assert data == direct.to_data()
    assert collected.review.statuses("TS-1") == {"ana": "no", "bo": "partly", "cy": "no"}


def test_unusable_files_are_refused_by_name_and_the_rest_collected(class_dir, tmp_path):
    (class_dir / "broken.yaml").write_text("answers: [unclosed\n", encoding="utf-8")
    (class_dir / "notes.yaml").write_text("just: notes\n", encoding="utf-8")
    Review.new("nothing answered", reviewer="dee").save(class_dir / "empty.yaml")
    _student(class_dir / "twin-a.yaml", "student", {"TS-1": "no"})
    _student(class_dir / "twin-b.yaml", "student", {"TS-1": "yes"})
    earlier = collect_class(class_dir)
    earlier.review.save(class_dir / "old-class.yaml")
    (class_dir / "essay.pdf").write_bytes(b"%PDF")
    (class_dir / "extra").mkdir()
    collected = collect_class(class_dir)
    assert list(collected.students) == ["ana", "bo", "cy"]
    refused = dict(collected.refused)
    assert sorted(refused) == ["broken.yaml", "empty.yaml", "notes.yaml", "old-class.yaml", "twin-a.yaml",
                               "twin-b.yaml"]
    assert refused["empty.yaml"] == "no answers in it"
    assert refused["old-class.yaml"] == "a class file (collected earlier), not a student's review"
    assert refused["twin-a.yaml"] == ("reviewer name 'student' also answers in twin-b.yaml; each student needs "
                                      "their own name (the notebooks' `reviewer` parameter)")
    assert refused["twin-b.yaml"].startswith("reviewer name 'student' also answers in twin-a.yaml;")
    assert refused["notes.yaml"].startswith("unknown top-level key(s) ['just'] in review file")
    assert "line" in refused["broken.yaml"]
    assert ("essay.pdf", "not a review file (expected .yaml, .yml or .json)") in collected.ignored
    assert ("extra", "a folder (only files directly in the class folder are read)") in collected.ignored
    lines = collected.report_lines()
    assert any(line.startswith("refused empty.yaml: no answers in it") for line in lines)
    assert class_record(collected.review)["refused"][0]["file"] == "broken.yaml"


def test_the_output_file_can_live_in_the_class_folder(class_dir):
    out = class_dir / "class.yaml"
    collect_class(class_dir).review.save(out)
    again = collect_class(class_dir, exclude=(out,))
    assert again.refused == [] and len(again.students) == 3


def test_missing_or_useless_folders_fail_loudly(tmp_path):
    with pytest.raises(InputError) as err:
        collect_class(tmp_path / "nope")
    assert str(err.value) == (f"{tmp_path / 'nope'}: class folder not found (fix: pass the folder holding one "
                              "review file per student)")
    (tmp_path / "only").mkdir()
    (tmp_path / "only" / "bad.yaml").write_text("kind: something\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        collect_class(tmp_path / "only")
    assert "no usable student review file in the class folder (1 refused: bad.yaml: not a misyn-lab review" \
        in str(err.value)
    (tmp_path / "none").mkdir()
    with pytest.raises(InputError, match="no usable student review file in the class folder \\(fix"):
        collect_class(tmp_path / "none")


def test_class_record_of_an_ordinary_review_is_empty():
    assert class_record(Review.new("x")) == {}
