"""The class reader study's glue: one study for the whole class (the same id from the same parameters), the
class's own folders (screened for synthetic marks), one answer file per reader, the SIMULATED class, and the
consent and debrief texts (package data, placeholders filled, adaptable, bad templates refused)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from misyn_lab.checklist import Review
from misyn_lab.errors import InputError
from misyn_lab.provenance import Provenance, label_file
from misyn_lab.workbook import consent
from misyn_lab.workbook.reader_class_demo import (TITLE, answer_as_demo_readers, class_study, images_note,
                                                  reader_answers_review, simulate_readers)


def _write_pngs(folder, n, seed, smooth):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:24, 0:24] / 23.0
    for i in range(n):
        arr = (0.5 * xx + 0.3 * yy + rng.normal(0, 0.05, (24, 24))) if smooth else rng.random((24, 24))
        Image.fromarray((np.clip(arr, 0, 1) * 255).astype(np.uint8)).save(folder / f"img{i:02d}.png")
    return folder


def test_the_class_study_is_the_same_for_everyone_and_ordered_per_reader():
    a, b = class_study(seed=0), class_study(seed=0)
    assert a.study_id == b.study_id and a.reveal() == b.reveal() and len(a) == 20
    assert class_study(seed=1).study_id != a.study_id
    assert a.per_reader_order and a.order_for("ana") == b.order_for("ana") != a.order_for("bo")
    assert sorted(a.order_for("ana")) == a.tile_ids
    assert sorted(a.reveal().values()).count("synthetic") == 10
    assert all(t.image.shape == (64, 64) for t in a.tiles)


def test_the_class_can_bring_its_own_folders(tmp_path):
    real = _write_pngs(tmp_path / "real", 6, 0, smooth=True)
    syn = _write_pngs(tmp_path / "syn", 6, 1, smooth=False)
    study = class_study(real, syn, n_tiles=8, size=16, registry=None)
    assert len(study) == 8 and study.tiles[0].image.shape == (16, 16)
    assert {i.split("/")[-1][:3] for i in study.image_ids().values()} == {"img"}
    assert images_note(real, syn, 8) == ("4 real images come from the folder real and 4 synthetic images from the "
                                         "folder syn, chosen by your instructor")
    label_file(real / "img00.png", Provenance(generator="g"))  # a synthetic image hidden among the real ones
    with pytest.raises(InputError, match="img00.png"):
        class_study(real, syn, n_tiles=8, size=16, registry=None)
    with pytest.raises(InputError, match="needs both a real and a synthetic folder"):
        class_study(real, None)
    with pytest.raises(InputError, match="size must be an integer >= 8, got 4"):
        class_study(size=4)


def test_one_answer_file_per_reader(tmp_path):
    path = tmp_path / "answers.yaml"
    review = reader_answers_review(path, " ana ")
    assert review.reviewers == ["ana"] and review.title == "Reader study answers of ana"
    study = class_study(seed=0, n_tiles=4, review=review)
    study.record_answer("ana", study.order_for("ana")[0], "real", 3)
    review.save(path)
    again = reader_answers_review(path, "ana")
    assert len(again.records("reader_answers")) == 1 and again.records("reader_answers")[0]["position"] == 1
    with pytest.raises(InputError, match="this answer file already holds answers of ana"):
        reader_answers_review(path, "bo")
    with pytest.raises(InputError, match="reader is empty"):
        reader_answers_review(tmp_path / "x.yaml", "  ")


def test_simulated_readers_are_labelled_and_reproducible(tmp_path):
    study = class_study(seed=0, n_tiles=6)
    a = simulate_readers(tmp_path / "a", study, n_readers=3, seed=4)
    b = simulate_readers(tmp_path / "b", study, n_readers=3, seed=4)
    assert a.profiles == {"simulated-reader-01": "guessing", "simulated-reader-02": "good",
                          "simulated-reader-03": "typical"}
    assert a.describe() == ("SIMULATED class of 3 made-up readers; planted: simulated-reader-01 guessing, "
                            "simulated-reader-02 good; 1 typical readers drawn around a modest skill.")
    for name in a.profiles:
        ra, rb = (Review.load(f / f"{name}.yaml") for f in (a.folder, b.folder))
        assert ra.title.startswith(TITLE) and ra.title.endswith(f"planted profile: {a.profiles[name]}")
        strip = [{k: v for k, v in r.items() if k != "time"} for r in ra.records("reader_answers")]
        assert strip == [{k: v for k, v in r.items() if k != "time"} for r in rb.records("reader_answers")]
    guess = Review.load(a.folder / "simulated-reader-01.yaml").records("reader_answers")
    assert {r["confidence"] for r in guess} <= {1, 2}
    with pytest.raises(InputError, match="n_readers must be an integer >= 2, got 1"):
        simulate_readers(tmp_path / "c", study, n_readers=1)


def test_consent_text_covers_what_running_it_with_people_needs():
    text = consent.consent_text(n_tiles=20, images=images_note(None, None, 20), contact="Dr. Lee")
    for needed in ("voluntary", "without any consequence", "No personal data", "pseudonym",
                   "10 real images are slices of a brain MRI template", "10 synthetic images",
                   "*without* the red SYNTHETIC marker", "debrief", "Dr. Lee", "about 5 minutes"):
        assert needed in text, needed
    assert "$" not in text
    assert consent.template_path("consent").is_file() and consent.template_path("debrief").is_file()
    assert consent.consent_text(n_tiles=40, images="x").count("about 10 minutes") == 1


def test_debrief_says_synthetic_images_were_shown_and_carries_the_results():
    text = consent.debrief_text(n_tiles=20, n_synthetic=10, images="the images", results="Mean accuracy 70%.")
    assert "You saw 20 images, 10 of them synthetic" in text
    assert "shown without their SYNTHETIC marker" in text and "Mean accuracy 70%." in text
    assert "shows no patient" in text
    assert consent.NO_RESULTS_YET in consent.debrief_text(n_tiles=4, n_synthetic=2, images="x")


def test_adapted_and_broken_templates(tmp_path):
    mine = tmp_path / "mine.md"
    mine.write_text("Hallo! $n_tiles Bilder, $$5 Kaffee. $images", encoding="utf-8")
    assert consent.consent_text(n_tiles=6, images="Bilder", template=mine) == "Hallo! 6 Bilder, $5 Kaffee. Bilder"
    mine.write_text("$who", encoding="utf-8")
    with pytest.raises(InputError, match=r"consent template uses the unknown placeholder \$who"):
        consent.consent_text(n_tiles=6, images="x", template=mine)
    mine.write_text("cost: $ 5", encoding="utf-8")
    with pytest.raises(InputError, match="consent template has a malformed placeholder"):
        consent.consent_text(n_tiles=6, images="x", template=mine)
    with pytest.raises(InputError, match="debrief template not found"):
        consent.debrief_text(n_tiles=6, n_synthetic=3, images="x", template=tmp_path / "none.md")
    with pytest.raises(InputError, match="n_synthetic 7 is not between 0 and n_tiles 6"):
        consent.debrief_text(n_tiles=6, n_synthetic=7, images="x")
    with pytest.raises(InputError, match="n_tiles must be an integer >= 2, got 1"):
        consent.consent_text(n_tiles=1, images="x")
    with pytest.raises(InputError, match="unknown text template 'thanks'"):
        consent.template_path("thanks")


def test_demo_readers_answer_every_tile_as_planted():
    study = class_study(n_tiles=10, seed=0, size=32, registry=None)
    planted = answer_as_demo_readers(study, seed=1, right=1.0)
    assert planted == {"simulated-reader-1": "guessing", "simulated-reader-2": "right 100 % of the time"}
    results = study.results()
    assert results.per_reader["simulated-reader-2"].correct == 10
    assert results.per_reader["simulated-reader-1"].n == 10
    never = class_study(n_tiles=10, seed=0, size=32, registry=None)
    answer_as_demo_readers(never, seed=1, right=0.0)
    assert never.results().per_reader["simulated-reader-2"].correct == 0


def test_demo_readers_refuse_a_probability_outside_0_1():
    study = class_study(n_tiles=10, seed=0, size=32, registry=None)
    with pytest.raises(InputError) as err:
        answer_as_demo_readers(study, seed=1, right=1.5)
    assert str(err.value) == ("answer_as_demo_readers: right must be a probability, got 1.5 "
                              "(fix: use a value in [0, 1], e.g. 0.8)")
