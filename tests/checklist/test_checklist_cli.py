"""`misyn-lab checklist …` and `misyn-lab review …` through misyn_lab.cli.main."""

from __future__ import annotations

import json

import pytest

from misyn_lab.checklist import Review, load_checklist
from misyn_lab.cli import main


def test_checklist_show_formats(capsys):
    c = load_checklist()
    assert main(["checklist", "show"]) == 0
    out = capsys.readouterr().out
    assert f"; {len(c)} items)" in out and "TS-1" in out and "OV-1" in out
    assert main(["checklist", "show", "--stage", "design", "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# ") and "## Design" in out and "- [ ] **DE-1." in out and "TS-1" not in out
    assert main(["checklist", "show", "--stage", "evaluation", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [i["id"] for i in data["items"]] == [it.id for it in c.by_stage("evaluation")]


def test_checklist_show_unknown_stage(capsys):
    assert main(["checklist", "show", "--stage", "desgn"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "unknown stage 'desgn'; did you mean 'design'" in err


def test_review_new_refuses_overwrite(tmp_path, capsys):
    path = tmp_path / "r.yaml"
    assert main(["review", "new", str(path), "--title", "Case <1>", "--reviewer", "ana"]) == 0
    assert Review.load(path).title == "Case <1>" and Review.load(path).reviewers == ["ana"]
    capsys.readouterr()
    assert main(["review", "new", str(path)]) == 2
    assert "file already exists; not overwriting" in capsys.readouterr().err
    assert main(["review", "new", str(path), "--force", "--title", "again"]) == 0
    assert Review.load(path).title == "again"


def test_review_answer_and_summary(tmp_path, capsys):
    path = tmp_path / "r.yaml"
    main(["review", "new", str(path)])
    assert main(["review", "answer", str(path), "PF-1", "no", "--reviewer", "ana", "--why", "novelty-driven"]) == 0
    assert main(["review", "answer", str(path), "PF-2", "yes", "--reviewer", "ana"]) == 0
    captured = capsys.readouterr()
    assert "without a justification" in captured.err
    assert main(["review", "answer", str(path), "PF-3", "unknown", "--reviewer", "ana"]) == 2
    assert "needs a reason" in capsys.readouterr().err
    assert main(["review", "answer", str(path), "PF-9", "no", "--reviewer", "ana"]) == 2
    assert "unknown checklist item 'PF-9'" in capsys.readouterr().err
    assert main(["review", "summary", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["counts"]["problem_formulation"]["no"] == 1
    assert data["counts"]["problem_formulation"]["yes"] == 1
    assert data["needs_justification"] == [["PF-2", "ana"]]
    assert "PF-1" in [g["item"] for g in data["gaps"]] and data["revision"] == 3
    assert main(["review", "summary", str(path)]) == 0
    out = capsys.readouterr().out
    assert "PF-1 [high] Clinical grounding (ana: no)" in out and "Needs justification: PF-2 (ana)" in out


def test_review_merge_command(tmp_path, capsys):
    a, b, out = tmp_path / "a.yaml", tmp_path / "b.yaml", tmp_path / "m.yaml"
    for path, who, status in ((a, "ana", "no"), (b, "bo", "yes")):
        main(["review", "new", str(path), "--reviewer", who])
        main(["review", "answer", str(path), "EV-2", status, "--reviewer", who, "--why", "w"])
    capsys.readouterr()
    assert main(["review", "merge", str(a), str(b), "-o", str(out)]) == 0
    assert "1 item(s) with disagreements" in capsys.readouterr().out
    merged = Review.load(out)
    assert merged.answer("EV-2", "ana").status == "no" and merged.answer("EV-2", "bo").status == "yes"
    assert main(["review", "merge", str(a), str(b), "-o", str(out)]) == 2
    assert "output file already exists" in capsys.readouterr().err


def test_missing_and_malformed_files_one_line(tmp_path, capsys):
    assert main(["review", "summary", str(tmp_path / "none.yaml")]) == 2
    err = capsys.readouterr().err
    assert "review file not found" in err and err.strip().count("\n") == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: [\n", encoding="utf-8")
    assert main(["review", "summary", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "malformed YAML in review file at line" in err and "Traceback" not in err


@pytest.mark.parametrize("argv", [["checklist", "--help"], ["checklist", "show", "--help"], ["review", "--help"],
                                  ["review", "new", "--help"], ["review", "summary", "--help"],
                                  ["review", "merge", "--help"], ["review", "answer", "--help"]])
def test_help_everywhere(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 0 and "usage: misyn-lab" in capsys.readouterr().out
