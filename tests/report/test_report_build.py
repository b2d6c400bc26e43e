"""End-to-end reports: the default (both case notebooks executed headless), a user's folder pair, a case file
without a notebook (escaping, determinism), and the one-line failures."""

from __future__ import annotations

import re
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

from misyn_lab.cases.case import BUNDLED
from misyn_lab.checklist import STAGE_TITLES
from misyn_lab.cli import main
from misyn_lab.report.assemble import build_report
from misyn_lab.report.html import external_references

SCRIPT = "<script>alert(1)</script>"


def _case_sections(doc: str) -> dict[str, str]:
    parts = re.split(r'(?=<section id="case-)', doc)
    return {re.match(r'<section id="(case-[^"]+)"', p).group(1): p for p in parts if p.startswith('<section id="case-')}


@pytest.fixture(scope="module")
def default_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("default")
    start = time.perf_counter()
    result = build_report(out=out, quick=True, progress=False, log=lambda m: None)
    seconds = time.perf_counter() - start
    print(f"\n[default --quick report: {seconds:.0f} s, {result.html_path.stat().st_size / 1e6:.2f} MB]")
    return result, result.html_path.read_text(encoding="utf-8")


@pytest.mark.slow
def test_default_report_runs_both_case_notebooks(default_report):
    result, doc = default_report
    assert [p.name for p in result.executed] == ["case1_segmentation.executed.ipynb",
                                                 "case2_text_to_image.executed.ipynb"]
    sections = _case_sections(doc)
    assert set(sections) == {"case-case1-segmentation", "case-case2-text-to-image"}
    for name, sec in sections.items():
        for title in STAGE_TITLES.values():
            assert f"<td>{title}</td>" in sec, (name, title)
        assert sec.count("<img") >= 2, name
        for heading in ("Gaps: recommendation, intrinsic limit, risk", "Claim statuses", "Evaluation ladder",
                        "Limitations (three aspects)", "Reviewer disagreements", "Stakeholder questions",
                        "Provenance of data and generators", "Reformulation"):
            assert f"<h3>{heading}</h3>" in sec, (name, heading)
        assert re.search(r'<span class="status (ok|warn|bad|na)">(supported|untested|overclaimed|not_supported|'
                         r'contradicted)</span>', sec)
    c1 = sections["case-case1-segmentation"]
    assert "paired.wilcoxon" in c1 and "paired.permutation" in c1 and "paired.cohens_dz" in c1
    assert "Wilcoxon signed-rank" in c1  # the test we ran, in the claim table
    assert "<td>G2</td>" in c1 and "<td>EV-3</td>" in c1 and "Worst subgroup with synthetic pairs" in c1
    assert "Bottom line: adding synthetic pairs" in c1
    assert c1.count("<img") >= 6  # pairs, paired Dice, subgroups, worst cases, near-copies, ladder (x2)
    c2 = sections["case-case2-text-to-image"]
    assert "NOT understood" in c2 and "glioblastoma" in c2 and "conditions_observed=False" in c2
    assert c2.count("<img") >= 5


@pytest.mark.slow
def test_default_report_writes_results_json(default_report):
    """results.json beside report.html: every measured result with key, value, CI, n and split, the claims with the
    verdicts the claim table shows, the checklist status and the generated bottom line of each case."""
    import json

    result, doc = default_report
    data = json.loads(result.results_path.read_text(encoding="utf-8"))
    assert result.results_path == result.html_path.with_name("results.json")
    assert data["schema"] == "misyn-lab.results/1" and data["seed"] == 0
    sections = {s["id"]: s for s in data["sections"]}
    assert set(sections) == {"case1_segmentation", "case2_text_to_image"}
    c1 = sections["case1_segmentation"]
    keys = {r["key"] for r in c1["results"]}
    assert {"paired.mean_difference", "paired.wilcoxon", "seg.dice_worst_subgroup", "memorisation.pixel_copy_rate",
            "reporting.worst_cases"} <= keys
    for r in c1["results"]:
        assert set(r) >= {"key", "value", "ci", "n", "split", "p", "interpretation"}
    copies = next(r for r in c1["results"] if r["key"] == "memorisation.pixel_copy_rate")
    assert copies["split"] == "training" and copies["ci"][0] <= copies["value"] <= copies["ci"][1]
    claims = {c["claim_id"]: c for c in c1["claims"]}
    mean = next(r for r in c1["results"] if r["key"] == "paired.mean_difference")
    assert claims["C1"]["status"] == ("contradicted" if mean["ci"][1] < 0 else claims["C1"]["status"])
    assert claims["C1"]["reported_status"] == "untested" and claims["C1"]["direction"] == "increase"
    # the report's claim table shows the same statuses as results.json
    sec = _case_sections(doc)["case-case1-segmentation"]
    assert all(f">{c['status']}</span>" in sec for c in c1["claims"])
    assert c1["bottom_line"].startswith("Bottom line: adding synthetic pairs") and c1["bottom_line"] in sec
    assert sum(c1["checklist"]["counts"]["total"].values()) == 45 and "EV-3" in c1["checklist"]["open_items"]


@pytest.mark.slow
def test_default_report_is_self_contained_and_code_free(default_report):
    _, doc = default_report
    assert external_references(doc) == []
    assert "run_case1(" not in doc and "from misyn_lab" not in doc and "display(HTML(" not in doc
    assert "Traceback" not in doc


@pytest.mark.slow
def test_case_notebook_deterministic_for_fixed_seed(default_report, tmp_path):
    _, doc = default_report
    again = build_report(cases=[BUNDLED["case2"]], out=tmp_path, quick=True, progress=False, log=lambda m: None)
    sec_a = _case_sections(doc)["case-case2-text-to-image"]
    sec_b = _case_sections(again.html_path.read_text(encoding="utf-8"))["case-case2-text-to-image"]
    assert sec_a == sec_b
    import json

    first = json.loads(default_report[0].results_path.read_text(encoding="utf-8"))
    second = json.loads(again.results_path.read_text(encoding="utf-8"))
    pick = [s for s in first["sections"] if s["id"] == "case2_text_to_image"]
    assert pick == second["sections"]  # results.json is deterministic for a seed


@pytest.mark.slow
def test_report_on_user_folder_pair(tmp_path):
    rng = np.random.default_rng(0)
    real, syn = tmp_path / "real", tmp_path / "syn"
    real.mkdir(), syn.mkdir()
    for i in range(12):  # different image sizes in both folders
        Image.fromarray((rng.random((40 + 3 * i, 50)) * 255).astype(np.uint8)).save(real / f"r{i}.png")
        Image.fromarray((rng.random((64, 60 + i)) * 200).astype(np.uint8)).save(syn / f"s{i}.png")
    result = build_report(real=real, synthetic=syn, out=tmp_path / "rep", quick=True, progress=False,
                          log=lambda m: None)
    doc = result.html_path.read_text(encoding="utf-8")
    assert 'id="evaluation"' in doc and str(real) in doc and doc.count("<img") >= 2
    assert external_references(doc) == []
    # no training images named: every real image is held-out, and the report and results.json say so
    assert "No training images were named (--real-train): every real image is treated as held-out" in doc
    assert "no training set named: all 12 real images are treated as held-out" in doc
    import json

    data = json.loads(result.results_path.read_text(encoding="utf-8"))
    [evaluation] = data["sections"]
    rows = {r["key"]: r for r in evaluation["results"]}
    assert rows["prdc.coverage"]["split"] == "all real (no training set named)"
    assert rows["prdc.coverage"]["n"] == {"real": 12, "synthetic": 12}
    assert rows["memorisation.pixel_copy_rate"]["split"] == "all real (no training set named)"


@pytest.mark.slow
def test_report_with_named_training_images_measures_against_the_held_out_split(tmp_path):
    """--real-train names what the generator saw: fidelity against the --real (held-out) images and their n,
    memorisation against the training images."""
    rng = np.random.default_rng(1)
    real, train, syn = tmp_path / "held", tmp_path / "train", tmp_path / "syn"
    for folder, n in ((real, 10), (train, 14), (syn, 12)):
        folder.mkdir()
        for i in range(n):
            Image.fromarray((rng.random((40, 40)) * 255).astype(np.uint8)).save(folder / f"{folder.name}{i}.png")
    result = build_report(real=real, real_train=train, synthetic=syn, out=tmp_path / "rep", quick=True,
                          progress=False, log=lambda m: None)
    doc = result.html_path.read_text(encoding="utf-8")
    assert "against the 10 held-out real images the generator never saw" in doc and str(train) in doc
    import json

    rows = {r["key"]: r for r in json.loads(result.results_path.read_text(encoding="utf-8"))["sections"][0]["results"]}
    assert (rows["prdc.coverage"]["split"], rows["prdc.coverage"]["n"]["real"]) == ("held-out", 10)
    assert (rows["memorisation.copy_rate"]["split"], rows["memorisation.copy_rate"]["n"]["real"]) == ("training", 14)


def _no_notebook_case(tmp_path):
    data = yaml.safe_load(BUNDLED["case1"].read_text(encoding="utf-8"))
    data["notebook"] = None
    data["id"] = "mine"
    data["title"] = f"My case {SCRIPT}"
    data["gaps"][0]["title"] = f"gap {SCRIPT}"
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_user_text_escaped_and_report_deterministic(tmp_path):
    path = _no_notebook_case(tmp_path)
    kw = dict(cases=[path], progress=False, log=lambda m: None)
    a = build_report(out=tmp_path / "a", now=datetime(2026, 1, 1, tzinfo=timezone.utc), **kw)
    b = build_report(out=tmp_path / "b", now=datetime(2026, 1, 2, tzinfo=timezone.utc), **kw)
    doc_a, doc_b = a.html_path.read_text(), b.html_path.read_text()
    assert SCRIPT not in doc_a and "My case &lt;script&gt;alert(1)&lt;/script&gt;" in doc_a
    assert "gap &lt;script&gt;" in doc_a
    diff = [(x, y) for x, y in zip(doc_a.splitlines(), doc_b.splitlines()) if x != y]
    assert len(diff) == 1 and "Generated 2026-01-01" in diff[0][0] and "Generated 2026-01-02" in diff[0][1]
    assert _case_sections(doc_a)["case-mine"].count("<img") == 1  # the ladder figure; nothing measured


def test_missing_folder_is_one_line(tmp_path, capsys):
    rc = main(["report", "--real", str(tmp_path / "nope"), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1
    assert "real folder not found" in err and "Traceback" not in err
    assert main(["report", "--synthetic", str(tmp_path)]) == 2
    assert "--synthetic needs --real" in capsys.readouterr().err
    assert main(["report", "--real-train", str(tmp_path)]) == 2
    assert "--real-train needs --real (the held-out real images)" in capsys.readouterr().err
    assert main(["report", "--real", str(tmp_path), "--real-train", str(tmp_path / "nope")]) == 2
    assert "real training folder not found" in capsys.readouterr().err


def test_failing_notebook_exit_code_and_kept_path(tmp_path, capsys, monkeypatch):
    import jupytext
    import nbformat

    from misyn_lab import notebooks
    from misyn_lab.report import assemble

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell('case_path = ""\nout_dir = ""\nseed = 0')
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, nbformat.v4.new_code_cell("raise RuntimeError('measurement failed')")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    (tmp_path / "nbs").mkdir()
    jupytext.write(nb, tmp_path / "nbs" / "broken.md", fmt="md:myst")
    monkeypatch.setattr(notebooks, "NOTEBOOK_DIR", tmp_path / "nbs")
    data = yaml.safe_load(BUNDLED["case1"].read_text(encoding="utf-8"))
    data["notebook"] = "broken.ipynb"
    case = tmp_path / "broken.yaml"
    case.write_text(yaml.safe_dump(data, sort_keys=False))
    rc = main(["report", "--case", str(case), "--out", str(tmp_path / "o"), "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    line = [e for e in err if e.startswith("misyn-lab: error")]
    assert len(line) == 1 and "RuntimeError: measurement failed" in line[0]
    kept = tmp_path / "o" / "work" / "case1_segmentation.executed.ipynb"
    assert (tmp_path / "o" / "work" / "sources" / "broken.ipynb").is_file()  # the source that ran
    assert kept.is_file() and str(kept) in line[0]
    assert assemble.EVALUATION_NOTEBOOK == "05_evaluation.ipynb"


def test_report_on_a_review_file(tmp_path, capsys):
    from misyn_lab.cases.case import load_case

    review = load_case(BUNDLED["case2"]).to_review()
    review.title = f"Ward review {SCRIPT}"
    path = review.save(tmp_path / "r.yaml")
    assert main(["report", "--review", str(path), "--out", str(tmp_path / "o"), "--no-progress"]) == 0
    doc = (tmp_path / "o" / "report.html").read_text()
    assert 'id="user-review"' in doc and "Ward review &lt;script&gt;" in doc and SCRIPT not in doc
    assert all(f"<td>{t}</td>" in doc for t in STAGE_TITLES.values()) and doc.count("<img") == 1
    assert main(["report", "--review", str(tmp_path / "missing.yaml")]) == 2
    assert "review file not found" in capsys.readouterr().err


def test_second_real_run_starts_from_a_fresh_review(tmp_path, monkeypatch):
    """Without --review, a second ``report --real`` into the same --out must not carry the first run's evidence."""
    import nbformat

    from misyn_lab.checklist.review import Review
    from misyn_lab.report import assemble

    def fake_execute(nb_path, out_path, params, **kwargs):
        path = Path(params["review_path"])
        rev = Review.load(path) if path.is_file() else Review.new("evaluation")
        rev.add_evidence({"key": "demo.marker", "value": 1.0, "n": 1,
                          "interpretation": f"from {params['real_path']}"}, source=f"run {params['real_path']}")
        rev.save(path)
        nb = nbformat.v4.new_notebook()
        nbformat.write(nb, str(out_path))
        return Path(out_path)

    monkeypatch.setattr(assemble, "execute_notebook", fake_execute)
    monkeypatch.setattr(assemble, "notebook_parameters", lambda path: {"real_path": None, "review_path": "",
                                                                       "seed": 0})
    folders = []
    for name in ("first_data", "second_data"):
        folder = tmp_path / name
        folder.mkdir()
        Image.fromarray(np.zeros((8, 8), np.uint8)).save(folder / "a.png")
        folders.append(folder)
    out = tmp_path / "o"
    for folder in folders:
        build_report(real=folder, out=out, progress=False, log=lambda m: None)
    review = Review.load(out / "work" / "evaluation_review.yaml")
    sources = [str(e.get("source", "")) for e in review.evidence.values()]
    assert len(sources) == 1 and "second_data" in sources[0]
    doc = (out / "report.html").read_text(encoding="utf-8")
    assert "second_data" in doc and "run " + str(folders[0]) not in doc
