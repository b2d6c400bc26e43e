"""Notebook 07 runs headless under papermill and leaves a complete review file."""

from __future__ import annotations

import nbformat
import pytest

from misyn_lab import notebooks


def test_parameters_come_first():
    code = [c for c in notebooks.read("07_review_instruments").cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])


@pytest.mark.slow
def test_notebook_runs_headless(tmp_path):
    papermill = pytest.importorskip("papermill")
    from misyn_lab.checklist import Review

    review_path = tmp_path / "review.yaml"
    (source,), _ = notebooks.export(tmp_path, ["07_review_instruments"])
    papermill.execute_notebook(str(source), str(tmp_path / "out.ipynb"), kernel_name="python3",
                               parameters={"seed": 1, "review_path": str(review_path)}, cwd=str(tmp_path),
                               progress_bar=False)
    review = Review.load(review_path)
    assert {s: len(review.records(s)) > 0 for s in
            ("claims", "limitations", "reader_answers", "stakeholder_questions")} == dict.fromkeys(
        ("claims", "limitations", "reader_answers", "stakeholder_questions"), True)
    assert not [r for r in review.records("reader_answers") if not r["reader"].startswith("simulated-")]
    out = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    html = "".join(o.get("data", {}).get("text/html", "") for c in out.cells if c.cell_type == "code"
                   for o in c.outputs)
    assert "nothing is recorded" in html  # the reader study's static explanation
    text = "".join(o.get("text", "") for c in out.cells if c.cell_type == "code" for o in c.outputs)
    # harm claimed as gain is contradicted, naming the CI that decided it
    assert ("C5: contradicted (decided by: [R12] CI of the estimate [-0.059, -0.045] lies wholly below the null 0"
            in text)
    # the reader study: per reader, and one analysis respecting readers and tiles; the pooled p is pseudo-replication
    assert "two-way cluster bootstrap over readers and tiles" in text and "simulated-reader-1:" in text
    assert "pseudo-replication: not the result" in text and "[R23] the test treats nested observations" in text
    # power from the planned MID, never from the observed effect
    assert "to detect the planned minimal important difference 0.02" in text
    # the worst-case flag is held by the attached worst-case table, not set by hand
    claim = review.record("claims", "C1")
    assert any(review.evidence[e]["key"] == "reporting.worst_cases" for e in claim["evidence_ids"]) or \
        any(r["key"] == "reporting.worst_cases" for r in review.evidence.values())


def test_no_reporting_flag_is_set_by_hand_in_the_workbook():
    """Notebook 07 and the case notebooks set reporting flags only through attach_reporting (evidence)."""
    import re

    for name in ("07_review_instruments", "case1_segmentation", "case2_text_to_image"):
        code = "\n".join(c.source for c in notebooks.read(name).cells if c.cell_type == "code")
        assert not re.search(r"(worst_cases|subgroups|failures)_reported\s*=\s*True", code), name
