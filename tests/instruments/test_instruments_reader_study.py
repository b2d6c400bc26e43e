"""Reader study: seeded tiles, answers in the review, binomial results, and the widget (live and headless)."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from PIL import Image

from misyn_lab.checklist import Review
from misyn_lab.errors import InputError
from misyn_lab.imagesets import ImageSet
from misyn_lab.instruments import reader_study as rs
from misyn_lab.widgets.reader_study import TEST_MODE_NOTICE, ReaderStudyWidget, tile_png


def wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson score interval, written out (independent of scipy)."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def test_from_sets_is_seeded_balanced_and_hides_truth(tile_sets):
    real, syn = tile_sets
    s1 = rs.ReaderStudy.from_sets(real, syn, n_tiles=10, seed=3)
    s2 = rs.ReaderStudy.from_sets(real, syn, n_tiles=10, seed=3)
    s3 = rs.ReaderStudy.from_sets(real, syn, n_tiles=10, seed=4)
    assert s1.tile_ids == [f"T{i:02d}" for i in range(1, 11)]
    assert s1.reveal() == s2.reveal() and s1.study_id == s2.study_id
    assert all(np.array_equal(a.image, b.image) for a, b in zip(s1.tiles, s2.tiles))
    assert s1.reveal() != s3.reveal() or s1.study_id != s3.study_id
    assert sorted(s1.reveal().values()).count("synthetic") == 5
    assert not hasattr(s1.tiles[0], "truth") and set(s1.tiles[0].__dataclass_fields__) == {"id", "image"}


def test_from_imagesets_uses_image_ids(tile_sets):
    real, syn = tile_sets
    r = ImageSet.from_arrays(real, {"id": [f"r{i}" for i in range(12)]}, synthetic=False, name="real")
    s = ImageSet.from_arrays(syn, {"id": [f"s{i}" for i in range(12)]}, synthetic=True, name="syn")
    study = rs.ReaderStudy.from_sets(r, s, n_tiles=6, seed=0)
    rec = study.record_answer("bo", study.tile_ids[0], "real", 2)
    assert rec["image_id"][0] == ("r" if rec["truth"] == "real" else "s")


def test_bad_construction(tile_sets):
    real, syn = tile_sets
    with pytest.raises(InputError, match="15 real tiles needed for n_tiles=30, only 12 real images"):
        rs.ReaderStudy.from_sets(real, syn, n_tiles=30)
    with pytest.raises(InputError, match="6 synthetic tiles needed for n_tiles=12, only 4 synthetic images"):
        rs.ReaderStudy.from_sets(real, syn[:4], n_tiles=12)
    with pytest.raises(InputError, match="resize both sets"):
        rs.ReaderStudy.from_sets(real, syn[:, :8, :8])
    with pytest.raises(InputError, match="n_tiles must be an integer >= 2"):
        rs.ReaderStudy.from_sets(real, syn, n_tiles=1)


def test_bad_answers(tile_sets):
    study = rs.ReaderStudy.from_sets(*tile_sets, n_tiles=4, seed=0)
    with pytest.raises(InputError, match="unknown tile id 'T99'"):
        study.record_answer("bo", "T99", "real", 3)
    with pytest.raises(InputError, match="answer must be 'real' or 'synthetic'"):
        study.record_answer("bo", "T01", "fake", 3)
    with pytest.raises(InputError, match="confidence must be an integer 1-5"):
        study.record_answer("bo", "T01", "real", 6)
    with pytest.raises(InputError, match="reader name is empty"):
        study.record_answer(" ", "T01", "real", 3)
    with pytest.raises(InputError, match="no answers recorded"):
        study.results()


def test_results_known_answer(tile_sets, review):
    real, syn = tile_sets
    study = rs.ReaderStudy.from_sets(real, syn, n_tiles=10, seed=1, review=review)
    truth = study.reveal()
    flip = {"real": "synthetic", "synthetic": "real"}
    for i, tid in enumerate(study.tile_ids):  # reader A: right on 8 of 10 (wrong on the first two)
        study.record_answer("A", tid, flip[truth[tid]] if i < 2 else truth[tid], 4)
        study.record_answer("B", tid, "real", 1)  # reader B: always "real" -> 5 of 10
    res = study.results()
    a = res.per_reader["A"]
    assert (a.correct, a.n, a.accuracy) == (8, 10, 0.8)
    assert a.ci == pytest.approx(wilson(8, 10))
    assert a.p_value == pytest.approx(2 * (45 + 10 + 1) / 1024)  # exact two-sided binomial, hand-computed
    assert res.per_reader["B"].accuracy == 0.5 and res.per_reader["B"].p_value == pytest.approx(1.0)
    assert (res.pooled.correct, res.pooled.n) == (13, 20) and res.pooled.ci == pytest.approx(wilson(13, 20))
    expected = {tid: (i < 2) + (truth[tid] == "synthetic") for i, tid in enumerate(study.tile_ids)}
    order = sorted((t for t in expected if expected[t]), key=lambda t: (-expected[t], t))
    assert [(t["tile_id"], t["wrong"], t["answers"]) for t in res.most_mistaken] == [(t, expected[t], 2) for t in order]
    assert len(review.records("reader_answers")) == 20
    ev = study.add_evidence()
    assert review.evidence[ev]["rung"] == 2 and review.evidence[ev]["key"] == "reader_study.accuracy"
    # answering again replaces, not duplicates
    study.record_answer("A", study.tile_ids[0], truth[study.tile_ids[0]], 5)
    assert len(review.records("reader_answers")) == 20 and study.results().per_reader["A"].correct == 9


def test_tile_png_marker():
    img = np.full((8, 8), 0.5, dtype=np.float32)
    plain = np.asarray(Image.open(io.BytesIO(tile_png(img, size=64))))
    marked = np.asarray(Image.open(io.BytesIO(tile_png(img, marked=True, size=64))))
    assert plain.shape == marked.shape == (64, 64, 3)
    assert np.all(plain[0, 0] == 128) and tuple(marked[0, 0]) == (200, 30, 30)
    assert np.array_equal(plain[40:], marked[40:])


def test_widget_headless_records_nothing(monkeypatch, tile_sets, review):
    monkeypatch.setenv("MISYN_WIDGETS", "static")
    study = rs.ReaderStudy.from_sets(*tile_sets, n_tiles=4, seed=0, review=review)
    widget = ReaderStudyWidget(study, "bo")
    assert widget.answer("real") is None and review.records("reader_answers") == []
    bundle = widget._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" not in bundle
    assert "nothing is shown and nothing is recorded" in bundle["text/html"]
    assert "<img" not in bundle["text/html"]


def test_widget_live_session_and_reveal(monkeypatch, tile_sets, review, tmp_path):
    monkeypatch.setenv("MISYN_WIDGETS", "live")
    study = rs.ReaderStudy.from_sets(*tile_sets, n_tiles=4, seed=0, review=review)
    path = tmp_path / "review.yaml"
    widget = ReaderStudyWidget(study, "bo", save_path=path)
    assert widget.notice in widget.children and "WITHOUT their SYNTHETIC marker" in TEST_MODE_NOTICE
    assert "WITHOUT" in widget.notice.value
    first = widget.current
    widget.confidence.value = 5
    widget.btn_syn.click()
    saved = Review.load(path).records("reader_answers")
    assert [(r["tile_id"], r["answer"], r["confidence"]) for r in saved] == [(first, "synthetic", 5)]
    # a returning reader continues where they stopped
    assert ReaderStudyWidget(study, "bo").current == study.tile_ids[1]
    for _ in range(3):
        widget.btn_real.click()
    assert widget.current is None and widget.notice not in widget.children
    grid = widget.reveal_box.children[0]
    assert len(grid.children) == 4
    truth = study.reveal()
    for tile, cell in zip(study.tiles, grid.children):
        pixels = np.asarray(Image.open(io.BytesIO(cell.children[0].value)))
        assert (tuple(pixels[0, 0]) == (200, 30, 30)) == (truth[tile.id] == "synthetic")
    assert len(Review.load(path).records("reader_answers")) == 4


def _two_readers(correct_1: int, correct_2: int, n: int = 20) -> list[dict]:
    """Answer records of two readers over ``n`` tiles: reader 1 right on its first ``correct_1`` tiles, reader 2 on
    its last ``correct_2``."""
    recs = []
    for j in range(n):
        truth = "real" if j % 2 else "synthetic"
        other = "synthetic" if truth == "real" else "real"
        recs.append({"reader": "r1", "tile_id": f"T{j:02d}", "answer": truth if j < correct_1 else other,
                     "truth": truth, "confidence": 2})
        recs.append({"reader": "r2", "tile_id": f"T{j:02d}", "answer": truth if j >= n - correct_2 else other,
                     "truth": truth, "confidence": 4})
    return recs


def test_two_readers_one_guessing_is_not_called_better_than_chance():
    """The issue's pattern: 2 readers x 20 tiles, one near chance; pooled as 40 independent answers the binomial
    p is 0.017, but the analysis that resamples readers and tiles does not show that readers can tell."""
    res = rs.results_from_records(_two_readers(12, 16))
    assert res.pooled.p_value == pytest.approx(0.0166, abs=1e-4) and res.pooled.accuracy == 0.7
    c = res.clustered
    assert (c.n_readers, c.n_tiles, c.n_answers, c.accuracy) == (2, 20, 40, 0.7)
    assert c.ci == pytest.approx((0.45, 0.9), abs=0.011) and c.reading() == "not shown"
    assert res.per_reader["r1"].p_value == pytest.approx(0.503, abs=1e-3)
    assert res.per_reader["r2"].p_value == pytest.approx(0.0118, abs=1e-4)
    text = res.interpretation()
    assert "not shown at this size" in text and "pseudo-replication: not the result" in text
    assert "could tell" not in text
    m = res.to_metric_result()
    assert m.ci == c.ci and m.p_value is None and m.details["pooled_as_if_independent"]["p_value"] == res.pooled.p_value


def test_reader_study_as_a_claim_test_pooled_is_untested_clustered_is_judged_by_its_ci():
    from misyn_lab.instruments import claims as cl

    res = rs.results_from_records(_two_readers(12, 16))
    base = dict(id="R1", text="Readers tell synthetic from real better than chance", result_reported=True,
                worst_cases_reported=True, claimed_rung=2, evidence_rung=2)
    pooled = cl.check_claim(cl.Claim.from_dict({**base, "test": res.test_report(pooled=True)}))
    assert pooled.status == "untested" and pooled.rules == ("R23",)
    clustered = cl.check_claim(cl.Claim.from_dict({**base, "test": res.test_report()}))
    assert clustered.status == "not_supported" and clustered.rules == ("R9", "R13")  # CI 45%-90% includes 0.5
    both_good = rs.results_from_records(_two_readers(18, 19))
    assert both_good.clustered.reading() == "better than chance"
    assert cl.check_claim(cl.Claim.from_dict({**base, "test": both_good.test_report()})).status == "supported"
