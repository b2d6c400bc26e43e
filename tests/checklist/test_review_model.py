"""Review answers, evidence, records, history and summaries (in memory)."""

from __future__ import annotations

import math
import warnings

import pytest

from misyn_lab.checklist import STAGES, Review, load_checklist
from misyn_lab.checklist.answers import MissingJustificationWarning
from misyn_lab.errors import InputError
from misyn_lab.metrics.result import MetricResult


def test_answer_rules():
    r = Review.new("t", reviewer="ana")
    with pytest.warns(MissingJustificationWarning, match="TS-1: ana answered 'yes' without a justification"):
        r.set_answer("TS-1", "ana", "yes")
    assert r.answer("TS-1", "ana").needs_justification
    assert r.summary().needs_justification == (("TS-1", "ana"),)
    for status in ("not_applicable", "unknown"):
        with pytest.raises(InputError, match=f"TS-2: status '{status}' needs a reason"):
            r.set_answer("TS-2", "ana", status, "   ")
    with pytest.raises(InputError, match="unknown answer status 'maybe'"):
        r.set_answer("TS-2", "ana", "maybe", "x")
    with pytest.raises(InputError, match="unknown checklist item 'TS-99'"):
        r.set_answer("TS-99", "ana", "no")
    with pytest.raises(InputError, match="needs a reviewer name"):
        r.set_answer("TS-2", "", "no")
    a = r.set_answer("TS-2", "ana", "n/a", "we publish no files")
    assert a.status == "not_applicable" and a.justification == "we publish no files"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r.set_answer("TS-1", "ana", "yes", "card says synthetic")  # no warning with a justification
    assert r.summary().needs_justification == ()


def test_na_and_unknown_never_count_as_yes():
    r = Review.new("t")
    r.set_answer("PF-1", "ana", "unknown", "paper does not say")
    r.set_answer("PF-2", "ana", "not_applicable", "no stakeholders beyond the lab")
    s = r.summary()
    assert s.counts.loc["problem_formulation", "yes"] == 0
    assert s.counts.loc["problem_formulation", "unknown"] == 1
    assert s.counts.loc["problem_formulation", "not_applicable"] == 1
    gap_ids = [g.item for g in s.gaps()]
    assert "PF-1" in gap_ids and "PF-2" not in gap_ids


def test_evidence_ids_deterministic_and_linked():
    m = MetricResult("prdc.coverage", 0.71, {"real": 40, "synthetic": 40}, ci=(0.6, 0.8), ci_level=0.95)
    r1, r2 = Review.new("a"), Review.new("b")
    e1 = r1.add_evidence(m, rung=1, source="prdc")
    assert e1 == r2.add_evidence(m, rung=1, source="prdc")
    assert e1 != r1.add_evidence(m, rung=2, source="prdc")
    assert e1 == r1.add_evidence(m, rung=1, source="prdc")  # idempotent
    assert MetricResult.from_dict(r1.evidence[e1]["result"]) == m
    nan_id = r1.add_evidence({"key": "x", "value": math.nan, "details": {"v": [1.5, math.inf]}})
    assert r1.evidence[nan_id]["result"]["value"] is None
    with pytest.raises(InputError, match="rung must be an integer 1-5"):
        r1.add_evidence(m, rung=7)
    with pytest.raises(InputError, match="MetricResult or a dict"):
        r1.add_evidence(0.5)
    r1.set_answer("EV-9", "ana", "partly", "coverage 0.71", evidence=[e1])
    assert r1.answer("EV-9", "ana").evidence == (e1,)
    with pytest.raises(InputError, match="unknown evidence id 'ev-nope'"):
        r1.set_answer("EV-9", "ana", "yes", "x", evidence=["ev-nope"])


def test_records_generic_and_lossless():
    r = Review.new("t")
    r.add_record("claims", {"id": "C1", "text": "better Dice", "custom": {"nested": [1, "<b>"]}})
    with pytest.raises(InputError, match="claims already has a record with id 'C1'"):
        r.add_record("claims", {"id": "C1"})
    with pytest.raises(InputError, match="non-empty string 'id'"):
        r.add_record("claims", {"text": "no id"})
    with pytest.raises(InputError, match="unknown record section 'claim'; did you mean 'claims'"):
        r.add_record("claim", {"id": "C2"})
    new = r.update_record("claims", "C1", _by="ana", checked=True)
    assert new == {"id": "C1", "text": "better Dice", "custom": {"nested": [1, "<b>"]}, "checked": True}
    with pytest.raises(InputError, match="no record 'C9' in claims"):
        r.update_record("claims", "C9", x=1)
    with pytest.raises(InputError, match="record ids never change"):
        r.update_record("claims", "C1", id="C2")
    rows = r.records("claims")
    rows[0]["text"] = "mutated copy"
    assert r.record("claims", "C1")["text"] == "better Dice"
    whats = [h["what"] for h in r.history]
    assert "add claims C1" in whats and "update claims C1" in whats
    upd = [h for h in r.history if h["what"] == "update claims C1"][0]
    assert upd["old"] == {"checked": None} and upd["new"] == {"checked": True} and upd["reviewer"] == "ana"


def test_history_records_old_and_new():
    r = Review.new("t")
    r.set_answer("DE-1", "bo", "no", "nothing written")
    r.set_answer("DE-1", "bo", "partly", "some notes")
    entries = [h for h in r.history if h["what"] == "answer DE-1"]
    assert entries[0]["old"] is None and entries[0]["new"]["status"] == "no"
    assert entries[1]["old"]["status"] == "no" and entries[1]["new"]["status"] == "partly"


def test_summary_counts_progress_and_gaps():
    c = load_checklist()
    r = Review.new("t")
    for it in c.by_stage("oversight"):
        r.set_answer(it.id, "ana", "yes", "done")
    r.set_answer("OV-2", "bo", "no", "no channel")
    r.set_answer("TS-1", "ana", "partly", "some captions")
    s = r.summary()
    n_ov = len(c.by_stage("oversight"))
    assert s.counts.loc["oversight", "yes"] == n_ov - 1
    assert s.counts.loc["oversight", "no"] == 1  # most worrying answer counts
    assert s.counts.loc["total"].sum() == len(c)
    assert s.progress["oversight"] == 1.0
    assert s.progress["technical_standards"] == pytest.approx(1 / len(c.by_stage("technical_standards")))
    gaps = {g.item: g for g in s.gaps()}
    assert gaps["OV-2"].statuses == {"ana": "yes", "bo": "no"}
    assert gaps["OV-2"].severity == c.item("OV-2").severity and gaps["OV-2"].remedy == c.item("OV-2").remedy
    assert gaps["TS-1"].limits == c.item("TS-1").limits
    assert "OV-1" not in gaps and "EV-1" in gaps  # unanswered is a gap
    assert len(s.gaps()) == len(c) - (n_ov - 1)
    d = s.to_dict()
    assert d["counts"]["oversight"]["no"] == 1 and d["disagreements"] == 1
    assert "OV-2 [high]" in s.to_text()
    assert list(s.gaps_frame()["item"])[:1] == ["TS-1"]


def test_disagreements_table():
    r = Review.new("t")
    r.set_answer("EV-2", "ana", "yes", "table 3")
    r.set_answer("EV-2", "bo", "no", "claim 2 unbacked")
    r.set_answer("EV-3", "ana", "no", "no test")
    r.set_answer("EV-3", "bo", "no", "no test")
    r.set_answer("EV-4", "ana", "no", "only averages")
    table = r.agreement()
    assert list(table.columns) == ["item", "stage", "ana", "bo", "agree"]
    assert len(table) == len(r.checklist)
    dis = r.disagreements()
    assert list(dis["item"]) == ["EV-2"]
    assert dis.iloc[0][["stage", "ana", "bo"]].tolist() == ["evaluation", "yes", "no"]
    # a reviewer who has not answered does not count as disagreeing
    assert table.set_index("item").loc["EV-4", "agree"]
    assert set(STAGES) == set(table["stage"])


def test_record_key_named_by_is_a_field_not_the_author():
    r = Review.new("t")
    r.add_record("reader_answers", {"id": "A1", "by": "reader 3"}, _by="ana")
    new = r.update_record("reader_answers", "A1", {"by": "reader 4"}, _by="ben")
    assert new == {"id": "A1", "by": "reader 4"}
    last = r.history[-1]
    assert last["reviewer"] == "ben" and last["old"] == {"by": "reader 3"} and last["new"] == {"by": "reader 4"}
    assert r.update_record("reader_answers", "A1", by="reader 5")["by"] == "reader 5"  # keyword works too


def test_replace_record_drops_stale_fields_and_keeps_history():
    r = Review.new("t")
    r.add_record("claims", {"id": "C1", "text": "better Dice", "verdict": "supported"})
    new = r.replace_record("claims", "C1", {"text": "better Dice on the worst subgroup"}, _by="ana")
    assert new == {"id": "C1", "text": "better Dice on the worst subgroup"}
    assert r.record("claims", "C1") == new
    last = r.history[-1]
    assert last["what"] == "replace claims C1" and last["reviewer"] == "ana"
    assert last["old"] == {"text": "better Dice", "verdict": "supported"}  # lossless: the old fields are kept
    with pytest.raises(InputError, match="record ids never change"):
        r.replace_record("claims", "C1", {"id": "C2"})
    with pytest.raises(InputError, match="no record 'C9' in claims"):
        r.replace_record("claims", "C9", {"text": "x"})
