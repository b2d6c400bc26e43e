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
