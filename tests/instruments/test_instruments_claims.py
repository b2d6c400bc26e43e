"""Rule tests for the claim checker: every rule, every status, precedence, Holm over claims, storage."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import pytest

from misyn_lab.errors import InputError, SchemaError
from misyn_lab.instruments import claims as cl
from misyn_lab.metrics.result import MetricResult

BALANCED = dict(result_reported=True, failures_reported=True, worst_cases_reported=True, subgroups_reported=True)


def good_claim(**over) -> cl.Claim:
    """A claim that passes every rule (a benefit with a reported, significant test and balanced reporting)."""
    base = dict(id="C1", text="Augmentation improves Dice", kind="benefit", **BALANCED,
                test=cl.TestReport(name="Wilcoxon signed-rank", n=40, effect_size=0.6, ci=(0.01, 0.05), p_value=0.001))
    base.update(over)
    return cl.Claim(**base)


def test_supported():
    v = cl.check_claim(good_claim())
    assert v.status == "supported" and v.rules == () and v.flags == ()


def test_r1_benefit_without_result_not_supported():
    v = cl.check_claim(good_claim(result_reported=False, test=None))
    assert v.status == "not_supported" and "R1" in v.rules


def test_r2_significant_without_test_untested():
    v = cl.check_claim(good_claim(text="Augmentation significantly improves Dice", test=None))
    assert v.status == "untested" and v.rules == ("R2",)
    v2 = cl.check_claim(good_claim(kind="significance", test=cl.TestReport(name="t-test", n=40)))  # no p, no CI
    assert v2.status == "untested" and "R2" in v2.rules
    # without the wording, no test is needed
    assert cl.check_claim(good_claim(test=None)).status == "supported"


def test_r3_rung_beyond_evidence_overclaimed(review):
    ev = review.add_evidence(MetricResult("prdc.coverage", 0.8, {"real": 10}), rung=1)
    v = cl.check_claim(good_claim(kind="clinical", claimed_rung=3, evidence_ids=(ev,)), review)
    assert v.status == "overclaimed" and v.rules == ("R3",) and v.evidence_rung == 1
    ev3 = review.add_evidence(MetricResult("downstream.dice", 0.8, {"real": 10}), rung=3)
    assert cl.check_claim(good_claim(kind="clinical", evidence_ids=(ev, ev3)), review).status == "supported"


def test_clinical_claim_speaks_for_rung_3():
    assert good_claim(kind="clinical").claimed_rung == 3
    with pytest.raises(InputError, match="speaks for rung 3 or above"):
        good_claim(kind="clinical", claimed_rung=1)


def test_r4_average_only_reporting_overclaimed_with_flag():
    v = cl.check_claim(good_claim(failures_reported=False, worst_cases_reported=False, subgroups_reported=False))
    assert v.status == "overclaimed" and v.rules == ("R4",) and v.flags == ("imbalanced_reporting",)
    # any one of failures / worst cases / subgroups is enough
    assert cl.check_claim(good_claim(failures_reported=False, subgroups_reported=False)).status == "supported"
    # an 'other' claim is not held to it
    v_other = cl.check_claim(good_claim(kind="other", failures_reported=False, worst_cases_reported=False,
                                        subgroups_reported=False))
    assert "R4" not in v_other.rules


def test_r5_ethics_not_stated_is_a_flag_only():
    v = cl.check_claim(good_claim(uses_private_data=True, ethics_approval_stated=None))
    assert v.status == "supported" and v.rules == ("R5",) and v.flags == ("ethics_not_stated",)
    v2 = cl.check_claim(good_claim(has_user_study=True, ethics_approval_stated=False))
    assert v2.flags == ("ethics_not_stated",)
    assert cl.check_claim(good_claim(has_user_study=True, ethics_approval_stated=True)).rules == ()


def test_r6_not_significant_not_supported():
    v = cl.check_claim(good_claim(test=cl.TestReport(name="Wilcoxon", n=40, p_value=0.2)))
    assert v.status == "not_supported" and v.rules == ("R6",)
    assert "p = 0.200 > alpha = 0.05" in v.reasons[0]


def test_r6_holm_over_claims_changes_the_verdict():
    c1 = good_claim(id="C1", test=cl.TestReport(name="Wilcoxon", n=40, p_value=0.03))
    c2 = good_claim(id="C2", test=cl.TestReport(name="Wilcoxon", n=40, p_value=0.04))
    assert cl.check_claim(c1).status == "supported"  # alone: 0.03 <= 0.05
    v1, v2 = cl.check_claims([c1, c2])
    # Holm: 0.03 * 2 = 0.06, max(0.06, 0.04) = 0.06
    assert v1.p_adjusted == pytest.approx(0.06) and v2.p_adjusted == pytest.approx(0.06)
    assert v1.status == v2.status == "not_supported"


def test_r7_unknown_evidence_id_is_an_error(review):
    with pytest.raises(InputError, match=r"claim C1 cites unknown evidence id\(s\): ev-nope"):
        cl.check_claim(good_claim(evidence_ids=("ev-nope",)), review)
    with pytest.raises(InputError, match="unknown evidence"):
        cl.save_claims(review, [good_claim(evidence_ids=("ev-nope",))])


def test_r8_indistinguishable_needs_readers_or_detection(review):
    claim = good_claim(kind="indistinguishable", text="indistinguishable from real", test=None)
    v = cl.check_claim(claim)
    assert v.status == "untested" and v.rules == ("R8",)
    det = review.add_evidence(MetricResult("detection.auc", 0.52, {"real": 50, "synthetic": 50}, ci=(0.44, 0.58)),
                              rung=1)
    v1 = cl.check_claim(dataclasses.replace(claim, evidence_ids=(det,)), review)
    assert v1.status == "supported" and v1.direction == "indistinguishable"
    assert v1.decided_by.startswith("detection.auc = 0.52, CI [0.44, 0.58]")
    readers = review.add_evidence({"key": "reader_study.accuracy", "value": 0.55, "ci": [0.45, 0.6]}, rung=2)
    v2 = cl.check_claim(dataclasses.replace(claim, evidence_ids=(readers,), claimed_rung=2), review)
    assert v2.status == "supported"
    # a detection result without a CI cannot show chance level (R20)
    bare = review.add_evidence(MetricResult("detection.auc", 0.52, {"real": 50, "synthetic": 50}), rung=1)
    v3 = cl.check_claim(dataclasses.replace(claim, evidence_ids=(bare,)), review)
    assert v3.status == "untested" and v3.rules == ("R20",)


def test_r9_ci_including_null_without_p_not_supported():
    v = cl.check_claim(good_claim(text="Augmentation changes Dice",
                                  test=cl.TestReport(name="bootstrap CI", n=40, ci=(-0.01, 0.03))))
    assert v.status == "not_supported" and v.rules == ("R9",) and v.direction is None
    # a directional claim also fires R13 (the CI includes the null whether or not a p-value is given)
    v2 = cl.check_claim(good_claim(test=cl.TestReport(name="bootstrap CI", n=40, ci=(-0.01, 0.03))))
    assert v2.rules == ("R9", "R13")


def test_r10_privacy_needs_memorisation_test(review):
    claim = good_claim(kind="privacy", text="sharing synthetic images protects privacy", test=None)
    assert cl.check_claim(claim).rules == ("R10",)
    assert cl.check_claim(claim).status == "untested"
    mem = review.add_evidence(MetricResult("memorisation.copy_rate", 0.0, {"synthetic": 100},
                                           details={"holdout_false_alarm_rate": 0.02}), rung=1)
    v = cl.check_claim(dataclasses.replace(claim, evidence_ids=(mem,)), review)
    assert v.status == "supported" and v.decided_by.startswith("memorisation.copy_rate = 0")


def test_r11_small_n_flag():
    v = cl.check_claim(good_claim(test=cl.TestReport(name="Wilcoxon", n=8, p_value=0.01)))
    assert v.status == "supported" and v.flags == ("small_n",)


def test_r12_harm_claimed_as_gain_is_contradicted():
    v = cl.check_claim(good_claim(text="Adding synthetic pairs significantly improves Dice",
                                  test=cl.TestReport(name="Wilcoxon", n=40, ci=(-0.059, -0.045), p_value=4e-9)))
    assert v.status == "contradicted" and v.rules == ("R12",)
    assert (v.direction, v.direction_source) == ("increase", "inferred from 'improves'")
    assert v.decided_by == ("[R12] CI of the estimate [-0.059, -0.045] lies wholly below the null 0; the claim "
                            "states increase")
    # without a CI: the estimate's sign and a significant p decide
    v2 = cl.check_claim(good_claim(test=cl.TestReport(name="t", n=40, estimate=-0.05, p_value=0.001)))
    assert v2.status == "contradicted" and "estimate -0.05 lies below the null 0 with p = 0.001" in v2.decided_by
    # a declared direction overrides the words: lower error is the claim
    v3 = cl.check_claim(good_claim(text="Lower boundary error with synthetic data", direction="decrease",
                                   test=cl.TestReport(name="t", n=40, ci=(-0.3, -0.1), p_value=0.001)))
    assert v3.status == "supported" and v3.direction_source == "declared"
    assert v3.decided_by == "CI of the estimate [-0.3, -0.1] lies below the null 0 (decrease claimed)"


def test_r13_r14_r15_null_and_mid():
    v = cl.check_claim(good_claim(test=cl.TestReport(name="t", n=40, ci=(-0.01, 0.03), p_value=0.04)))
    assert v.status == "not_supported" and v.rules == ("R13",)
    v = cl.check_claim(good_claim(mid=0.02, test=cl.TestReport(name="t", n=40, ci=(0.002, 0.008), p_value=0.01)))
    assert v.status == "not_supported" and v.rules == ("R14",)
    assert v.decided_by == "[R14] CI [0.002, 0.008] lies wholly short of the MID 0.02"
    v = cl.check_claim(good_claim(mid=0.02, test=cl.TestReport(name="t", n=40, ci=(0.01, 0.05), p_value=0.01)))
    assert v.status == "supported" and v.flags == ("mid_not_reached",)


def test_r16_r17_r18_equivalence():
    claim = good_claim(text="Synthetic training is as good as real training", test=None)
    assert claim.stated_direction().value == "equivalent"
    assert cl.check_claim(claim).rules == ("R16",)  # no margin
    no_test = cl.check_claim(dataclasses.replace(claim, mid=0.02,
                                                 test=cl.TestReport(name="Wilcoxon", n=40, p_value=0.4)))
    assert no_test.status == "untested" and no_test.rules == ("R16",)  # a p of 0.4 shows no equivalence
    within = dataclasses.replace(claim, mid=0.02, test=cl.TestReport(name="t", n=40, ci=(-0.01, 0.015)))
    assert cl.check_claim(within).status == "supported"
    wide = dataclasses.replace(claim, mid=0.02, test=cl.TestReport(name="t", n=40, ci=(-0.03, 0.015)))
    assert cl.check_claim(wide).rules == ("R17",)
    tost = dataclasses.replace(claim, mid=0.02, test=cl.TestReport(name="TOST", n=40, tost_p_value=0.01))
    assert cl.check_claim(tost).status == "supported"
    beyond = dataclasses.replace(claim, mid=0.02, test=cl.TestReport(name="t", n=40, ci=(-0.09, -0.03)))
    assert cl.check_claim(beyond).status == "contradicted" and "R18" in cl.check_claim(beyond).rules


def test_r19_r21_detection_auc(review):
    claim = good_claim(kind="indistinguishable", text="indistinguishable from real scans", test=None)
    high = review.add_evidence(MetricResult("detection.auc", 0.99, {"real": 60, "synthetic": 60}, ci=(0.97, 1.0)))
    v = cl.check_claim(dataclasses.replace(claim, evidence_ids=(high,)), review)
    assert v.status == "contradicted" and v.rules == ("R19",)
    mid = review.add_evidence(MetricResult("detection.auc", 0.6, {"real": 60, "synthetic": 60}, ci=(0.5, 0.7)))
    assert cl.check_claim(dataclasses.replace(claim, evidence_ids=(mid,)), review).rules == ("R21",)
    # with a MID the margin is 0.5 + MID
    assert cl.check_claim(dataclasses.replace(claim, evidence_ids=(mid,), mid=0.25), review).status == "supported"


def test_r22_privacy_with_copies_beyond_false_alarms(review):
    claim = good_claim(kind="privacy", text="The synthetic set reveals no training images", test=None)
    copies = review.add_evidence(MetricResult("memorisation.pixel_copy_rate", 0.4, {"synthetic": 60},
                                              ci=(0.29, 0.53), details={"false_alarm_ci": [0.0, 0.1]}))
    v = cl.check_claim(dataclasses.replace(claim, evidence_ids=(copies,)), review)
    assert v.status == "contradicted" and v.rules == ("R22",)
    # no CI given: the Wilson CI of 3/60 is computed; 5 % copies vs 6 % false alarms decides nothing
    few = review.add_evidence(MetricResult("memorisation.copy_rate", 0.05, {"synthetic": 60},
                                           details={"holdout_false_alarm_rate": 0.06}))
    assert cl.check_claim(dataclasses.replace(claim, evidence_ids=(few,)), review).status == "supported"


def test_r23_pseudo_replication_is_untested():
    test = cl.TestReport(name="binomial test over pooled answers", n=40, p_value=0.017, estimate=0.65,
                         ci=(0.51, 0.79), null_value=0.5, clusters={"readers": 2, "tiles": 20})
    v = cl.check_claim(good_claim(text="Readers could tell synthetic from real better than chance", test=test))
    assert v.status == "untested" and v.rules == ("R23",)
    assert "n = 40 observations treated as independent, but they come from 2 readers" in v.decided_by
    ok = dataclasses.replace(test, clustered=True)
    assert cl.check_claim(good_claim(text="Readers tell them apart better than chance", test=ok)).status == "supported"


def test_direction_inference_and_bad_direction_or_mid():
    from misyn_lab.instruments.direction import infer_direction

    assert infer_direction("Adding synthetic pairs significantly improves Dice").value == "increase"
    assert infer_direction("It alleviates the annotation burden").value == "decrease"
    assert infer_direction("Non-inferior to real-only training").value == "equivalent"
    assert infer_direction("Sharing becomes unnecessary").value is None
    assert infer_direction("anything", "indistinguishable").value == "indistinguishable"
    with pytest.raises(InputError, match="claim C1: unknown direction 'up'"):
        good_claim(direction="up")
    with pytest.raises(InputError, match="claim C1: mid must be a positive number, got -0.1"):
        good_claim(mid=-0.1)
    with pytest.raises(InputError, match=r"test.clusters\['readers'\] must be a positive integer"):
        cl.TestReport(name="t", clusters={"readers": 0})


def test_precedence_worst_status_wins():
    claim = cl.Claim(id="C9", text="significantly better and clinically useful", kind="clinical")
    v = cl.check_claim(claim)
    assert {"R1", "R2", "R3", "R4"} <= set(v.rules)
    assert v.status == "not_supported"
    assert len(v.reasons) == len(v.rules)


@pytest.mark.parametrize("p", [1.5, -0.01, "x"])
def test_p_value_outside_unit_interval_rejected(p):
    with pytest.raises(InputError, match=r"test.p_value"):
        cl.TestReport(name="t", p_value=p)
    with pytest.raises(InputError, match=r"test.p_value"):
        cl.Claim.from_dict({"id": "C1", "text": "x", "test": {"name": "t", "p_value": p}})


def test_bad_claim_fields():
    with pytest.raises(InputError, match="unknown kind 'great'"):
        cl.Claim(id="C1", text="x", kind="great")
    with pytest.raises(InputError, match="claimed_rung must be an integer 1-5"):
        cl.Claim(id="C1", text="x", claimed_rung=6)
    with pytest.raises(SchemaError, match="missing field 'text'"):
        cl.Claim.from_dict({"id": "C1"})
    with pytest.raises(InputError, match="duplicate claim id 'C1'"):
        cl.check_claims([good_claim(), good_claim()])
    with pytest.raises(InputError, match="low 0.5 is above high 0.1"):
        cl.TestReport(name="t", ci=(0.5, 0.1))


def test_settle_claim_fills_test_and_adds_evidence(review, paired_dice):
    a, b = paired_dice
    claim = cl.Claim(id="C1", text="Synthetic augmentation significantly improves Dice", kind="significance")
    assert cl.check_claim(claim).status == "not_supported"
    settled = cl.settle_claim(claim, a, b, review=review, n_boot=2000, n_resamples=2000)
    t = settled.test
    assert t.n == 30 and t.reported and t.p_value < 0.001
    assert t.ci[0] < (b - a).mean() < t.ci[1]
    assert t.effect_size == pytest.approx((b - a).mean() / (b - a).std(ddof=1))
    assert len(settled.evidence_ids) == 2 and all(e in review.evidence for e in settled.evidence_ids)
    assert all(review.evidence[e]["rung"] == 1 for e in settled.evidence_ids)
    assert t.estimate == pytest.approx((b - a).mean()) and t.tost_p_value is None
    from misyn_lab.instruments.reporting import attach_reporting

    worst = [{"case": int(i), "difference": float((b - a)[i])} for i in np.argsort(b - a)[:3]]
    balanced = attach_reporting(settled, review, worst_cases=worst)
    assert balanced.worst_cases_reported and len(balanced.evidence_ids) == 3
    assert review.evidence[balanced.evidence_ids[-1]]["key"] == "reporting.worst_cases"
    v = cl.check_claim(balanced, review)
    assert v.status == "supported" and v.decided_by.startswith("CI of the estimate [")
    perm = cl.settle_claim(claim, a, b, test="permutation", n_boot=500, n_resamples=500)
    assert perm.test.name.startswith("paired permutation") and perm.evidence_ids == ()


def test_claim_round_trip_keeps_unknown_keys(review):
    data = good_claim().to_dict() | {"reviewer_note": "check Table 3", "page": 7}
    claim = cl.Claim.from_dict(data)
    assert claim.extra == {"reviewer_note": "check Table 3", "page": 7}
    assert claim.to_dict() == data
    cl.save_claims(review, [claim], verdicts=[cl.check_claim(claim)])
    [stored] = review.records("claims")
    assert stored["reviewer_note"] == "check Table 3" and stored["verdict"]["status"] == "supported"
    cl.save_claims(review, [dataclasses.replace(claim, text="changed")])  # update by id, not a second record
    assert [r["text"] for r in review.records("claims")] == ["changed"]
    assert cl.load_claims(review)[0].extra["reviewer_note"] == "check Table 3"


def test_changed_claim_drops_its_stale_verdict(review):
    claim = good_claim()
    cl.save_claims(review, [claim], verdicts=[cl.check_claim(claim)])
    assert "verdict" in review.record("claims", claim.id)
    [loaded] = cl.load_claims(review)  # the verdict comes back in extra
    changed = dataclasses.replace(loaded, text="changed: improves every subgroup")
    cl.save_claims(review, [changed])
    stored = review.record("claims", claim.id)
    assert stored["text"] == "changed: improves every subgroup" and "verdict" not in stored
    assert review.history[-1]["what"] == f"replace claims {claim.id}"
    assert review.history[-1]["old"]["verdict"]["status"] == "supported"  # lossless: kept in the history


def test_claims_from_data_shapes():
    assert [c.id for c in cl.claims_from_data([{"id": "A", "text": "x"}])] == ["A"]
    assert [c.id for c in cl.claims_from_data({"claims": [{"id": "B", "text": "y"}]})] == ["B"]
    with pytest.raises(SchemaError, match="expected a list of claims"):
        cl.claims_from_data({"id": "A"}, source="f.yaml")


def test_claim_rules_md_matches_code():
    text = (Path(cl.__file__).with_name("CLAIM_RULES.md")).read_text(encoding="utf-8")
    assert cl.rules_markdown() in text
    assert re.findall(r"^\| (R\d+) \|", text, flags=re.M) == [r.id for r in cl.RULES]
