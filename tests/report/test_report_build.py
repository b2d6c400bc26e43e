"""End-to-end reports: the default (both case studies computed in-process, no notebook kernel), a user's folder pair,
a review file, a case file without a notebook (escaping, determinism), and the one-line failures.

The report reads verdict first: the summary is the first section (bottom lines, claims by status, gaps by severity
with the three most severe in words, the rung reached, next actions), then the contents, the details, a glossary
linked from first use and an appendix; it holds no "...", no quiz or widget text, no codes where words belong."""

from __future__ import annotations

import html as html_lib
import json
import re
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

from misyn_lab import render
from misyn_lab.cases.case import BUNDLED
from misyn_lab.checklist import STAGE_TITLES, Review
from misyn_lab.checklist.loader import load_checklist
from misyn_lab.cli import main
from misyn_lab.report import assemble
from misyn_lab.report.assemble import build_report

SCRIPT = "<script>alert(1)</script>"
#: Texts a review document never holds: truncation, notebook and widget instructions, codes instead of words.
FORBIDDEN = ("...", "…", "next cell", "Self-check", "Show answer", "Choose a feature set", "Quiz", " nan ", "NaN",
             "trust_erosion", "not_applicable", "technical_standards", "problem_formulation", "No description has "
             "been provided", "Reviewers: none yet", "{'")


def visible_text(doc: str) -> str:
    """The words a reader sees: no tags, no embedded images, entities decoded."""
    body = re.sub(r"<style>.*?</style>", "", doc, flags=re.S)
    body = re.sub(r"<[^>]+>", " ", body)
    return html_lib.unescape(body)


def sections(doc: str) -> list[str]:
    return re.findall(r'<section id="([^"]+)"', doc)


def _case_sections(doc: str) -> dict[str, str]:
    parts = re.split(r'(?=<section id="case-)', doc)
    return {re.match(r'<section id="(case-[^"]+)"', p).group(1): p for p in parts if p.startswith('<section id="case-')}


@pytest.fixture(scope="module")
def default_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("default")
    lines: list[str] = []
    result = build_report(out=out, quick=True, log=lines.append, now=datetime(2026, 1, 1, tzinfo=timezone.utc))
    print(f"\n[default --quick report: {result.seconds:.0f} s, {result.html_path.stat().st_size / 1e6:.2f} MB]")
    return result, result.html_path.read_text(encoding="utf-8"), lines


@pytest.mark.slow
def test_default_report_computes_both_cases_in_process(default_report):
    result, doc, lines = default_report
    assert result.executed == []  # no notebook, no kernel: the case functions ran in this process
    assert result.sections == ["case-case1-segmentation", "case-case2-text-to-image"]
    cases = _case_sections(doc)
    for name, sec in cases.items():
        for title in STAGE_TITLES.values():
            assert f"<td>{title}</td>" in sec, (name, title)
        for part in ("bottom-line", "practice", "gaps", "evidence", "claims", "ladder", "checklist", "limitations",
                     "disagreements", "stakeholders", "reformulation", "provenance"):
            assert f'id="{name.removeprefix("case-")}-{part}"' in sec, (name, part)
        assert sec.count("<img") >= 4, name
    c1 = cases["case-case1-segmentation"]
    assert "Wilcoxon signed-rank" in c1 and "Effect size d_z" in c1 and "Lowest Dice with synthetic pairs" in c1
    assert "<td>G2</td>" in c1 and "<td>EV-3</td>" in c1
    c2 = cases["case-case2-text-to-image"]
    assert "NOT understood" in c2 and "glioblastoma" in c2 and "combination observed in training" in c2
    # progress, one line per step, on the log (stderr in the CLI)
    assert "case 1: training segmenters 4/4 seeds" in lines and "case 2: generating and measuring 8/8 prompts" in lines
    assert lines[-1].startswith("report written:")


@pytest.mark.slow
def test_summary_comes_first_and_is_read_from_the_same_data(default_report):
    result, doc, _ = default_report
    ids = sections(doc)
    assert ids[0] == "summary" and doc.index('id="summary"') < doc.index('<nav class="toc"') < doc.index(
        'id="case-case1-segmentation"')
    assert ids.index("glossary-section") < ids.index("appendix") == len(ids) - 1
    data = {s["id"]: s for s in json.loads(result.results_path.read_text(encoding="utf-8"))["sections"]}
    summary = doc[doc.index('id="summary"'):doc.index('<nav class="toc"')]
    checklist = load_checklist()
    case1 = yaml.safe_load(BUNDLED["case1"].read_text(encoding="utf-8"))
    for sid, sec in data.items():
        part = summary[summary.index(f'id="summary-{render.slug(sid)}"'):]
        line = sec["bottom_line"].removeprefix("Bottom line: ")
        assert html_lib.escape(line, quote=True) in part, sid
        statuses = [c["status"] for c in sec["claims"]]
        for status in set(statuses):
            assert f"{statuses.count(status)} {status.replace('_', ' ')}</span>" in part, (sid, status)
        open_items = sec["checklist"]["open_items"]
        assert f"Open checklist items:</strong> {len(open_items)} (" in part
        assert "rung</a> 1 of 5" in part or "rung 1 of 5" in part
    c1 = summary[summary.index('id="summary-case1-segmentation"'):summary.index('id="summary-case2-text-to-image"')]
    high = [g for g in case1["gaps"] if g["severity"] == "high"][:3]
    for g in high:  # the three most severe declared gaps, in words, and the remedies of their items
        assert f"<strong>{html_lib.escape(g['title'], quote=True)}</strong>" in c1
        assert html_lib.escape(checklist.item(g["item"]).remedy, quote=True) in c1
    assert "erosion of trust" in c1 and "L1 No grounding" in c1 and "Stand-in data" in c1


@pytest.mark.slow
def test_report_holds_no_truncation_quiz_or_codes(default_report):
    _, doc, _ = default_report
    text = visible_text(re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", doc))
    for bad in FORBIDDEN:
        assert bad not in text, bad
    assert not re.search(r"\bnan\b", text) and not re.search(r"\d\.\d+e-\d", text), "one number format"
    assert render.external_references(doc) == []
    assert "run_case1(" not in doc and "from misyn_lab" not in doc and "Traceback" not in doc


@pytest.mark.slow
def test_every_heading_has_an_id_and_every_figure_says_what_it_shows(default_report):
    _, doc, _ = default_report
    headings = re.findall(r"<h([2-6])( id=\"[^\"]+\")?>", doc)
    assert headings and all(ident for _, ident in headings)
    alts = re.findall(r'<img alt="([^"]*)"', doc)
    assert len(alts) >= 10 and all(len(a) > 40 for a in alts)
    assert any("were segmented worse" in html_lib.unescape(a) for a in alts)  # the paired Dice figure's takeaway
    # glossary: entries with anchors, and terms linked from their first use
    for key in ("l1", "prdc", "frechet", "dice", "tstr", "mid", "rung"):
        assert f'id="glossary-{key}"' in doc, key
    assert doc.count('href="#glossary-dice"') == 1


@pytest.mark.slow
def test_results_json_agrees_with_the_report(default_report):
    """results.json beside report.html: every measured result with key, value, CI, n and split, the claims with the
    verdicts the claim tables show, the checklist status and the generated bottom line of each case."""
    result, doc, _ = default_report
    data = json.loads(result.results_path.read_text(encoding="utf-8"))
    assert result.results_path == result.html_path.with_name("results.json")
    assert data["schema"] == "misyn-lab.results/1" and data["seed"] == 0
    secs = {s["id"]: s for s in data["sections"]}
    assert set(secs) == {"case1_segmentation", "case2_text_to_image"}
    c1 = secs["case1_segmentation"]
    keys = {r["key"] for r in c1["results"]}
    assert {"paired.mean_difference", "paired.wilcoxon", "seg.dice_worst_subgroup", "memorisation.pixel_copy_rate",
            "reporting.worst_cases"} <= keys
    for r in c1["results"]:
        assert set(r) >= {"key", "value", "ci", "n", "split", "p", "interpretation", "rung"}
    copies = next(r for r in c1["results"] if r["key"] == "memorisation.pixel_copy_rate")
    assert copies["split"] == "training" and copies["ci"][0] <= copies["value"] <= copies["ci"][1]
    mean = next(r for r in c1["results"] if r["key"] == "paired.mean_difference")
    claims = {c["claim_id"]: c for c in c1["claims"]}
    assert claims["C1"]["status"] == ("contradicted" if mean["ci"][1] < 0 else claims["C1"]["status"])
    assert claims["C1"]["reported_status"] == "untested" and claims["C1"]["direction"] == "increase"
    sec = _case_sections(doc)["case-case1-segmentation"]
    claims_html = sec[sec.index('id="case1-segmentation-claims"'):sec.index('id="case1-segmentation-ladder"')]
    shown = re.findall(r'<span class="status [a-z]+">[^ ]+ ([^<]+)</span>', claims_html)
    assert [s for s in shown[1::2]] == [c["status"].replace("_", " ") for c in c1["claims"]]  # with our measurement
    assert f"<td>{render.fmt_number(mean['value'])}</td>" in sec  # the same number, in the one format
    assert c1["bottom_line"].startswith("Bottom line: adding synthetic pairs")
    assert sum(c1["checklist"]["counts"]["total"].values()) == 45 and "EV-3" in c1["checklist"]["open_items"]


@pytest.mark.slow
def test_case_study_is_deterministic_for_a_fixed_seed(default_report, tmp_path):
    result, doc, _ = default_report
    again = build_report(cases=[BUNDLED["case2"]], out=tmp_path, quick=True, progress=False)
    sec_a = _case_sections(doc)["case-case2-text-to-image"]
    sec_b = _case_sections(again.html_path.read_text(encoding="utf-8"))["case-case2-text-to-image"]
    unlinked = [re.sub(r'<a class="term"[^>]*>([^<]*)</a>', r"\1", s.split('<section id="glossary-section"')[0])
                for s in (sec_a, sec_b)]  # a glossary term is linked where it is first used in the whole report
    assert unlinked[0] == unlinked[1]
    first = json.loads(result.results_path.read_text(encoding="utf-8"))
    second = json.loads(again.results_path.read_text(encoding="utf-8"))
    assert [s for s in first["sections"] if s["id"] == "case2_text_to_image"] == second["sections"]


def _folder(root: Path, name: str, n: int, rng: np.random.Generator, shape=(40, 40)) -> Path:
    folder = root / name
    folder.mkdir()
    for i in range(n):
        Image.fromarray((rng.random(shape) * 255).astype(np.uint8)).save(folder / f"{name}{i}.png")
    return folder


@pytest.mark.slow
def test_report_on_user_folder_pair(tmp_path):
    rng = np.random.default_rng(0)
    real, syn = _folder(tmp_path, "real", 12, rng), _folder(tmp_path, "syn", 12, rng, (64, 60))
    result = build_report(real=real, synthetic=syn, out=tmp_path / "rep", quick=True, progress=False)
    doc = result.html_path.read_text(encoding="utf-8")
    assert result.executed == [] and result.sections == ["evaluation"]
    for part in ("bottom-line", "data", "results", "memorisation", "figures"):
        assert f'id="evaluation-{part}"' in doc, part
    assert str(real) in doc and doc.count("<img") >= 3 and render.external_references(doc) == []
    # no training images named: every real image is held-out, and the report and results.json say so
    assert "No training images were named (--real-train): every real image is treated as held-out" in doc
    assert "No training set named: all 12 real images are treated as held-out" in doc
    # one name per metric that says which features it used
    assert re.search(r"Coverage \(PRDC, diversity\)(</a>)?, on intensity, texture and PCA-embedding features", doc)
    assert "Copy rate in pixel space" in doc and "No review file was given" in doc
    text = visible_text(re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", doc))
    assert not [bad for bad in FORBIDDEN if bad in text]
    data = json.loads(result.results_path.read_text(encoding="utf-8"))
    [evaluation] = data["sections"]
    rows = {r["key"]: r for r in evaluation["results"]}
    assert rows["prdc.coverage"]["split"] == "all real (no training set named)"
    assert rows["prdc.coverage"]["n"] == {"real": 12, "synthetic": 12}
    assert rows["memorisation.pixel_copy_rate"]["split"] == "all real (no training set named)"
    assert evaluation["bottom_line"].startswith("Bottom line: against 12 real images (no training set named)")
    assert html_lib.escape(evaluation["bottom_line"].removeprefix("Bottom line: "), quote=True) in doc
    assert f"<td>{render.fmt_number(rows['prdc.coverage']['value'])}</td>" in doc


@pytest.mark.slow
def test_report_with_named_training_images_and_a_review(tmp_path):
    """--real-train names what the generator saw: fidelity against the --real (held-out) images and their n,
    memorisation against the training images; --review gets the results as evidence (in a copy)."""
    rng = np.random.default_rng(1)
    real, train, syn = (_folder(tmp_path, name, n, rng) for name, n in (("held", 10), ("train", 14), ("syn", 12)))
    review = Review.new("Ward review", reviewer="ana")
    review.set_answer("EV-9", "ana", "partly", "Fidelity and diversity are reported together.")
    path = review.save(tmp_path / "team.yaml")
    before = path.read_bytes()
    result = build_report(real=real, real_train=train, synthetic=syn, review=path, out=tmp_path / "rep", quick=True,
                          progress=False)
    doc = result.html_path.read_text(encoding="utf-8")
    assert "against the 10 held-out real images the generator never saw" in doc and str(train) in doc
    assert path.read_bytes() == before  # the team's file is never changed
    copy = Review.load(tmp_path / "rep" / "work" / "evaluation_review.yaml")
    keys = {copy.evidence[e]["key"] for e in copy.evidence_for("EV-9")}
    assert {"prdc.precision", "prdc.recall"} <= keys  # attached to the items that name them
    assert 'id="evaluation-claims"' in doc and 'id="evaluation-checklist"' in doc and "Reviewers: ana." in doc
    rows = {r["key"]: r for r in json.loads(result.results_path.read_text(encoding="utf-8"))["sections"][0]["results"]}
    assert (rows["prdc.coverage"]["split"], rows["prdc.coverage"]["n"]["real"]) == ("held-out", 10)
    assert (rows["memorisation.copy_rate"]["split"], rows["memorisation.copy_rate"]["n"]["train"]) == ("training", 14)


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
    assert len(diff) == 1 and "2026-01-01 00:00 UTC" in diff[0][0] and "2026-01-02 00:00 UTC" in diff[0][1]
    case = _case_sections(doc_a)["case-mine"]
    assert case.count("<img") == 1  # the ladder figure; nothing measured
    assert "This case file names no notebook: nothing was measured." in case


def test_a_successful_report_is_quiet(tmp_path, capfd):
    """No kernel, no warnings: with --no-progress only the closing line goes to stderr."""
    path = _no_notebook_case(tmp_path)
    assert main(["report", "--case", str(path), "--out", str(tmp_path / "o"), "--no-progress"]) == 0
    out, err = capfd.readouterr()
    assert out.strip() == str(tmp_path / "o" / "report.html")
    assert err.strip().splitlines() == [err.strip()] and err.startswith("report written:")


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


def test_failing_case_notebook_shows_the_kernel_then_one_line(tmp_path, capfd, monkeypatch):
    """A case notebook that fails: what the kernel process said (captured while it ran) is shown, then one error line
    naming the failing cell and the kept notebook, whose outputs hold the cell's own messages."""
    import jupytext
    import nbformat

    from misyn_lab import notebooks

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell('case_path = ""\nout_dir = ""\nseed = 0')
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, nbformat.v4.new_code_cell("import sys\nprint('kernel says why', file=sys.stderr)\n"
                                                "raise RuntimeError('measurement failed')")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    (tmp_path / "nbs").mkdir()
    jupytext.write(nb, tmp_path / "nbs" / "broken.md", fmt="md:myst")
    monkeypatch.setattr(notebooks, "NOTEBOOK_DIR", tmp_path / "nbs")
    data = yaml.safe_load(BUNDLED["case1"].read_text(encoding="utf-8"))
    data["notebook"] = "broken.ipynb"
    case = tmp_path / "broken.yaml"
    case.write_text(yaml.safe_dump(data, sort_keys=False))
    rc = main(["report", "--case", str(case), "--out", str(tmp_path / "o"), "--no-progress"])
    err = capfd.readouterr().err.strip().splitlines()
    assert rc == 2
    line = [e for e in err if e.startswith("misyn-lab: error")]
    assert len(line) == 1 and "RuntimeError: measurement failed" in line[0]
    kept = tmp_path / "o" / "work" / "case1_segmentation.executed.ipynb"
    assert (tmp_path / "o" / "work" / "sources" / "broken.ipynb").is_file()  # the source that ran
    assert kept.is_file() and str(kept) in line[0]
    assert err[-1] == line[0]  # the kernel's own messages, if any, come first; the one error line last
    assert "kernel says why" in kept.read_text(encoding="utf-8")


def test_report_on_a_review_file(tmp_path, capsys):
    from misyn_lab.cases.case import load_case

    review = load_case(BUNDLED["case2"]).to_review()
    review.title = f"Ward review {SCRIPT}"
    path = review.save(tmp_path / "r.yaml")
    assert main(["report", "--review", str(path), "--out", str(tmp_path / "o"), "--no-progress"]) == 0
    doc = (tmp_path / "o" / "report.html").read_text()
    assert 'id="user-review"' in doc and "Ward review &lt;script&gt;" in doc and SCRIPT not in doc
    assert all(f"<td>{t}</td>" in doc for t in STAGE_TITLES.values()) and doc.count("<img") == 1
    assert sections(doc)[0] == "summary" and 'id="summary-user-review"' in doc
    assert main(["report", "--review", str(tmp_path / "missing.yaml")]) == 2
    assert "review file not found" in capsys.readouterr().err


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs Debian chromium at /usr/bin/chromium")
def test_pdf_is_printed_beside_the_report(tmp_path, capsys):
    path = _no_notebook_case(tmp_path)
    assert main(["report", "--case", str(path), "--out", str(tmp_path / "o"), "--no-progress", "--pdf"]) == 0
    pdf = tmp_path / "o" / "report.pdf"
    assert capsys.readouterr().out.split() == [str(tmp_path / "o" / "report.html"), str(pdf)]
    data = pdf.read_bytes()
    assert data[:5] == b"%PDF-" and len(re.findall(rb"/Type\s*/Page[^s]", data)) >= 2


def test_pdf_without_a_browser_is_one_line_before_any_work(tmp_path, capsys, monkeypatch):
    import importlib.util

    from misyn_lab.report import pdf

    monkeypatch.setattr(pdf, "find_chromium", lambda: None)
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "playwright"
                        else real_find_spec(name, *a))
    monkeypatch.setattr(assemble, "run_case", lambda *a, **k: pytest.fail("work started before the --pdf check"))
    rc = main(["report", "--case", str(_no_notebook_case(tmp_path)), "--out", str(tmp_path / "o"), "--pdf"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and err == ("misyn-lab: error: --pdf: --pdf needs a headless Chromium, and none was found (fix: "
                               "install chromium (e.g. apt-get install chromium) or set MISYN_LAB_CHROMIUM to its "
                               "path; or pip install playwright && playwright install chromium)")
