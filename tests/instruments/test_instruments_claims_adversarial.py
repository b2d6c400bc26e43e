"""Adversarial claims: each claim in ``adversarial_claims.yaml`` gets its expected verdict from the numbers it reports
(harm claimed as gain, a gain below the MID, equivalence without TOST, indistinguishable at AUC 0.99, privacy with
copies, pseudo-replicated p-values ...), and the positive controls stay ``supported``."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from misyn_lab.checklist import Review
from misyn_lab.instruments import claims as cl

TABLE = yaml.safe_load((Path(__file__).with_name("adversarial_claims.yaml")).read_text(encoding="utf-8"))
#: What every adversarial claim reports unless it says otherwise (so R4 does not hide what the numbers decide).
DEFAULTS = {"result_reported": True, "worst_cases_reported": True}


def _check(case: dict) -> cl.ClaimVerdict:
    review = Review.new(title=f"adversarial: {case['name']}", reviewer="test")
    ids = {}
    for name, record in (case.get("evidence") or {}).items():
        record = dict(record)
        rung = record.pop("rung", 1)
        ids[name] = review.add_evidence(record, rung=rung, source=f"adversarial {name}")
    data = {**DEFAULTS, **case["claim"]}
    data["evidence_ids"] = [ids[e] for e in data.get("evidence_ids", [])]
    return cl.check_claim(cl.Claim.from_dict(data), review)


def test_the_table_is_adversarial_enough():
    statuses = [c["expect"]["status"] for c in TABLE]
    assert len(TABLE) >= 15
    assert statuses.count("supported") >= 5  # positive controls
    assert {"contradicted", "not_supported", "untested"} <= set(statuses)
    assert len({c["claim"]["id"] for c in TABLE}) == len(TABLE)


@pytest.mark.parametrize("case", TABLE, ids=[c["claim"]["id"] for c in TABLE])
def test_adversarial_claim_gets_its_expected_verdict(case):
    verdict = _check(case)
    expect = case["expect"]
    assert verdict.status == expect["status"], (case["name"], verdict.reasons)
    assert list(verdict.rules) == expect["rules"], (case["name"], verdict.reasons)
    if "direction" in expect:
        assert verdict.direction == expect["direction"]
    if "decided_by" in expect:
        assert expect["decided_by"] in verdict.decided_by, verdict.decided_by
    assert verdict.decided_by  # every verdict names what decided it


def test_all_claims_checked_together_keep_their_verdicts_and_the_cli_agrees(tmp_path, capsys):
    """Holm over the whole table never rescues an adversarial claim (a verdict can only get worse: A14's p = 0.017
    is not significant after Holm over 15 p-values); `claims check --json` gives one object per claim with
    claim_id and status."""
    import json

    from misyn_lab.cli import main

    plain = [c for c in TABLE if not c.get("evidence")]
    claims = [{**DEFAULTS, **c["claim"]} for c in plain]
    path = tmp_path / "claims.yaml"
    path.write_text(yaml.safe_dump(claims, sort_keys=False), encoding="utf-8")
    assert main(["claims", "check", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [o["claim_id"] for o in out] == [c["claim"]["id"] for c in plain]
    got = {o["claim_id"]: o["status"] for o in out}
    for c in plain:
        if c["expect"]["status"] != "supported":
            assert cl.STATUSES.index(got[c["claim"]["id"]]) <= cl.STATUSES.index(c["expect"]["status"]), c["name"]
    assert got["A14"] == "not_supported" and got["A01"] == "contradicted"
