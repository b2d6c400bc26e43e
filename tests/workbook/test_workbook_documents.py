"""Workbook views through the one rendering layer: vignette feedback (answers in words, the key hidden until an item
is answered) and any table a notebook shows (text in full, never cut short with "...")."""

from __future__ import annotations

import warnings

import pandas as pd

from misyn_lab import render
from misyn_lab.checklist import Review
from misyn_lab.workbook import feedback, table


def test_feedback_matches_golden(golden):
    review = Review.new("vignettes", reviewer="kim")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        review.set_answer("TS-1", "kim", "yes", "my reason")
        review.set_answer("TS-2", "kim", "not_applicable", "not released")
    section = feedback(review, None, "technical_standards").to_section()
    golden("feedback.html", render.to_html(section, level=4))
    golden("feedback.md", render.to_markdown(section))
    answers = [row[2] for row in section.blocks[1].rows]
    assert [render.plain(a) for a in answers[:2]] == ["Yes", "N/A"] and answers[2] == ""


def test_notebook_tables_keep_every_word():
    long = "x" * 80 + " the end"
    frame = pd.DataFrame({"text": [long], "value": [0.004975124], "missing": [float("nan")]}, index=[7])
    html = table(frame, caption="c")._repr_html_()
    assert long in html and "..." not in html and "<td>0.00498</td>" in html and "<td>—</td>" in html
    assert ">7<" not in html  # no row index
