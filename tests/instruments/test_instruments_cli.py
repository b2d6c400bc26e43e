"""`misyn-lab claims check`, `misyn-lab stakeholder checklist`, `misyn-lab ladder` via misyn_lab.cli.main."""

from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")
import pytest  # noqa: E402
import yaml  # noqa: E402

from misyn_lab.cli import main  # noqa: E402
from misyn_lab.instruments import claims as cl  # noqa: E402
from misyn_lab.metrics.result import MetricResult  # noqa: E402

CLAIMS = [
    {"id": "C1", "text": "Synthetic augmentation significantly improves Dice", "kind": "significance",
     "result_reported": True},
    {"id": "C2", "text": "Improves Dice", "result_reported": True, "failures_reported": True,
     "test": {"name": "Wilcoxon", "n": 40, "p_value": 0.001}},
]


@pytest.fixture
def claims_file(tmp_path):
    path = tmp_path / "claims.yaml"
    path.write_text(yaml.safe_dump(CLAIMS), encoding="utf-8")
    return path


def test_claims_check_text(claims_file, capsys):
    assert main(["claims", "check", str(claims_file)]) == 0
    out = capsys.readouterr().out
    assert "C1: UNTESTED" in out and "[R2]" in out and "C2: SUPPORTED" in out
    assert "Summary: 1 supported, 0 overclaimed, 1 untested, 0 not_supported, 0 contradicted" in out
    assert "    direction: increase (inferred from 'Improves'); decided by: p = 0.00100 <= alpha" in out


def test_claims_check_strict_and_json(claims_file, capsys):
    assert main(["claims", "check", str(claims_file), "--strict"]) == 1
    capsys.readouterr()
    assert main(["claims", "check", str(claims_file), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["status"] for d in data] == ["untested", "supported"] and data[0]["rules"] == ["R2", "R4"]
    assert [d["claim_id"] for d in data] == ["C1", "C2"] and data[0]["direction"] == "increase"
    assert data[0]["decided_by"].startswith("[R2] ") and data[0]["claim"]["text"].startswith("Synthetic")


def test_claims_check_review_file(review, tmp_path, capsys):
    ev = review.add_evidence(MetricResult("prdc.precision", 0.7, {"real": 10}), rung=1)
    cl.save_claims(review, [cl.Claim(id="K1", text="helps patients", kind="clinical", evidence_ids=(ev,),
                                     subgroups_reported=True)])
    path = review.save(tmp_path / "review.yaml")
    assert main(["claims", "check", str(path), "--strict"]) == 1
    assert "K1: OVERCLAIMED" in capsys.readouterr().out
    assert main(["ladder", str(path), "--out", str(tmp_path / "ladder.png")]) == 0
    out = capsys.readouterr().out
    assert "rung 1 Model space (metrics on held-out data): 1 evidence item(s)" in out
    assert "claim K1: claims rung 3, evidence rung 1 (BEYOND)" in out
    assert (tmp_path / "ladder.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_claims_check_on_a_case_file(capsys):
    """A case file carries schema_version but is no review: its claims list is checked directly."""
    from misyn_lab.cases.case import BUNDLED, load_case

    path = BUNDLED["case1"]
    assert path.name == "case1_segmentation.yaml"
    assert main(["claims", "check", str(path)]) == 0
    out = capsys.readouterr().out
    ids = [c["id"] for c in load_case(path).claims]
    assert all(f"{i}: " in out for i in ids) and "Summary:" in out
    assert main(["claims", "check", str(path), "--strict"]) == 1  # the case's claims are not all supported


def test_claims_check_bad_inputs(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump([{"id": "C1", "text": "x", "test": {"name": "t", "p_value": 1.7}}]), encoding="utf-8")
    assert main(["claims", "check", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml" in err and "test.p_value = 1.7 is outside [0, 1]" in err
    assert main(["claims", "check", str(tmp_path / "missing.yaml")]) == 2
    assert "not found" in capsys.readouterr().err
    empty = tmp_path / "empty.yaml"
    empty.write_text("[]\n", encoding="utf-8")
    assert main(["claims", "check", str(empty)]) == 2
    assert "no claims found" in capsys.readouterr().err


def test_stakeholder_checklist(tmp_path, capsys):
    assert main(["stakeholder", "checklist"]) == 0
    assert capsys.readouterr().out.startswith("# Questions anyone can ask")
    out = tmp_path / "s.html"
    assert main(["stakeholder", "checklist", "--format", "html", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
