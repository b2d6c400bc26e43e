"""Three-aspect limitation analysis."""

from __future__ import annotations

import pytest

from misyn_lab import render
from misyn_lab.errors import InputError
from misyn_lab.instruments import limitations as lm
from misyn_lab.instruments.document import limitations_section
from misyn_lab.metrics.result import MetricResult


def test_all_gaps_on_an_empty_review(review):
    gaps = lm.missing_aspects(review)
    assert len(gaps) == 5
    assert gaps[0].startswith("Aspect (a) missing") and gaps[1].startswith("Aspect (b) missing")
    assert [g[:21] for g in gaps[2:]] == ["Aspect (c) missing L1", "Aspect (c) missing L2", "Aspect (c) missing L3"]


def test_complete_analysis_has_no_gaps(review):
    ev = review.add_evidence(MetricResult("subgroup.worst_dice", 0.61, {"real": 20}), rung=1)
    la = lm.LimitationAnalysis(review, author="ana")
    la.add_scope("Worst subgroup loses 0.1 Dice")
    assert lm.missing_aspects(review)[0] == ("Aspect (a) has no measured evidence: cite worst-subgroup or "
                                             "failure-case evidence.")
    la.add_scope("Small lesions fail", evidence_ids=[ev], consequence="missed lesions")
    la.add_assumption("One scanner only")
    for limit in ("L1", "L2", "L3"):
        la.state_intrinsic(limit, f"{limit} applies here")
    assert lm.missing_aspects(review) == []
    grouped = la.by_aspect()
    assert [len(grouped[a]) for a in lm.ASPECTS] == [2, 1, 3]
    md = render.to_markdown(limitations_section(review))
    assert "- L2 Incomplete representation: L2 applies here" in md and ev in md and "Missing" not in md
    assert "Consequence: missed lesions" in md


def test_same_statement_twice_is_one_record(review):
    la = lm.LimitationAnalysis(review)
    a = la.add_assumption("One scanner only")
    b = la.add_assumption("One scanner only")
    assert a == b and len(review.records("limitations")) == 1


def test_bad_limitations(review):
    la = lm.LimitationAnalysis(review)
    with pytest.raises(InputError, match="unknown intrinsic limit 'L4'"):
        la.state_intrinsic("L4", "x")
    with pytest.raises(InputError, match=r"limitation cites unknown evidence id\(s\): ev-x"):
        la.add_scope("x", evidence_ids=["ev-x"])
    with pytest.raises(InputError, match="empty text"):
        la.add_assumption("  ")
    with pytest.raises(InputError, match="unknown aspect 'other'"):
        lm.Limitation(id="l", aspect="other", text="x")


def test_intrinsic_limit_texts_defined_once():
    assert set(lm.INTRINSIC_LIMITS) == {"L1", "L2", "L3"} == set(lm.INTRINSIC_LIMIT_NAMES)
    for k, name in lm.INTRINSIC_LIMIT_NAMES.items():
        assert lm.INTRINSIC_LIMITS[k].startswith(name)
