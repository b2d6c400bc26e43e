"""A review holding every instrument's records round-trips through save/load and merges without loss."""

from __future__ import annotations

import pytest

from misyn_lab.checklist import RECORD_SECTIONS as SECTIONS
from misyn_lab.checklist import Review, merge_reviews
from misyn_lab.instruments import claims as cl
from misyn_lab.instruments import ladder, limitations, reader_study, stakeholder
from misyn_lab.metrics.result import MetricResult


@pytest.fixture
def full_review(review, paired_dice, tile_sets):
    a, b = paired_dice
    claim = cl.settle_claim(cl.Claim(id="C1", text="significantly improves Dice", kind="significance",
                                     extra={"reviewer_note": "Table 2"}), a, b, review=review,
                            n_boot=500, n_resamples=500)
    clinical = cl.Claim(id="C2", text="helps patients", kind="clinical", evidence_ids=claim.evidence_ids)
    cl.save_claims(review, [claim, clinical], verdicts=cl.check_claims([claim, clinical], review))
    la = limitations.LimitationAnalysis(review, author="ana")
    la.add_scope("worst case loses Dice", evidence_ids=[claim.evidence_ids[0]])
    la.state_intrinsic("L2", "rare shapes thinned")
    study = reader_study.ReaderStudy.from_sets(*tile_sets, n_tiles=6, seed=2, review=review)
    for tid in study.tile_ids:
        study.record_answer("bo", tid, "synthetic", 3)
    study.add_evidence()
    cid = stakeholder.raise_concern(review, "OV-1", "Kim", "regulator", "question", "Who can refuse?")
    stakeholder.respond(review, cid, "dev", "Anyone, via the form.", close=False)
    return review


def test_save_load_round_trip(full_review, tmp_path):
    path = tmp_path / "review.yaml"
    full_review.save(path)
    loaded = Review.load(path)
    for s in SECTIONS:
        assert loaded.records(s) == full_review.records(s) and loaded.records(s)
    assert loaded.evidence == full_review.evidence
    assert ladder.evidence_rungs(loaded) == ladder.evidence_rungs(full_review)
    assert ladder.highest_rung(loaded) == 2
    assert [c.claim_id for c in ladder.claims_beyond_rung(loaded)] == ["C2"]
    claims = cl.load_claims(loaded)
    assert claims[0].extra["reviewer_note"] == "Table 2" and claims[0].test.p_value is not None
    assert [v.status for v in cl.check_claims(claims, loaded)] == \
        [r["verdict"]["status"] for r in loaded.records("claims")]
    assert limitations.missing_aspects(loaded) == limitations.missing_aspects(full_review)
    assert len(stakeholder.open_concerns(loaded)) == 1  # responded but left open
    study_records = loaded.records("reader_answers")
    res = reader_study.results_from_records(study_records)
    assert res.pooled.n == 6 and res.pooled.correct == 3


def test_merge_two_reviewers_without_loss(full_review, tmp_path):
    path = tmp_path / "review.yaml"
    full_review.save(path)
    one, two = Review.load(path), Review.load(path)
    cl.save_claims(one, [cl.Claim(id="C3", text="privacy kept", kind="privacy")])
    limitations.LimitationAnalysis(one).add_assumption("single site")
    cid = stakeholder.raise_concern(two, "TS-1", "Pat", "patient", "refusal", "Not with my data.")
    ev = two.add_evidence(MetricResult("memorisation.copy_rate", 0.0, {"synthetic": 50}), rung=1)
    merged = merge_reviews(one, two)
    assert {r["id"] for r in merged.records("claims")} == {"C1", "C2", "C3"}
    assert len(merged.records("limitations")) == 3
    assert cid in {r["id"] for r in merged.records("stakeholder_questions")}
    assert ev in merged.evidence and len(merged.records("reader_answers")) == 6
    # concurrent saves of the same file merge as well
    one.save(path)
    two.save(path)
    final = Review.load(path)
    assert {r["id"] for r in final.records("claims")} == {"C1", "C2", "C3"}
    assert cid in {r["id"] for r in final.records("stakeholder_questions")}
    assert len(final.records("limitations")) == 3
