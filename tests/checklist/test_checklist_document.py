"""The checklist's documents (render blocks): per-stage status, open items and disagreements, in words, read from
the same summary the CLI prints; golden files in HTML and Markdown."""

from __future__ import annotations

import pytest

from misyn_lab import render
from misyn_lab.cases.case import load_case
from misyn_lab.checklist import Review
from misyn_lab.checklist.document import (answers_text, disagreements_block, gaps_by_severity, gaps_table,
                                          review_summary_section, stage_status_table, top_gaps)


@pytest.fixture(scope="module")
def case_review():
    return load_case("case1").to_review()


@pytest.fixture
def two_reviewers():
    review = Review.new("Ward review <b>", reviewer="ana")
    review.add_reviewer("ben")
    review.set_answer("TS-1", "ana", "yes", "Every caption says 'synthetic image'.")
    review.set_answer("TS-1", "ben", "no", "The dataset card says 'scans'.")
    review.set_answer("TS-2", "ana", "not_applicable", "Images are never released.")
    review.set_answer("TS-2", "ben", "not_applicable", "Not released.")
    return review


def test_review_summary_matches_golden(case_review, golden):
    section = review_summary_section(case_review.summary(), id="case1-checklist")
    golden("review_summary.html", render.to_html(section))
    golden("review_summary.md", render.to_markdown(section))


def test_disagreements_match_golden(two_reviewers, golden):
    block = disagreements_block(two_reviewers)
    golden("disagreements.html", render.to_html(block))
    golden("disagreements.md", render.to_markdown(block))
    assert [row[0] for row in block.rows] == ["TS-1"]


def test_stage_table_counts_are_the_summary_counts_in_words(case_review):
    summary = case_review.summary()
    table = stage_status_table(summary)
    assert table.columns == ["Stage", "Yes", "Partly", "No", "N/A", "Unknown", "Unanswered", "Answered"]
    assert [row[0] for row in table.rows[:5]] == ["Technical standards", "Problem formulation", "Design",
                                                  "Evaluation", "Oversight"]
    total = table.rows[-1]
    assert render.plain(total[0]) == "All stages" and total[1:7] == [int(summary.counts.loc["total", s]) for s in
                                                                     summary.counts.columns]
    assert sum(total[1:7]) == 45 and total[7] == "100 %"


def test_gaps_most_severe_first_with_limits_and_risks_in_words(case_review):
    gaps = case_review.gaps()
    table = gaps_table(gaps)
    severities = [row[4].target for row in table.rows]
    assert severities == sorted(severities, key=["high", "medium", "low"].index) and len(table.rows) == len(gaps)
    first = table.rows[0]
    assert first[0] == "TS-1" and render.plain(first[5]) == "L1 No grounding"
    assert first[6] == "misinformation, erosion of trust" and "trust_erosion" not in render.to_html(table)
    assert gaps_by_severity(gaps) == {"high": 24, "medium": 18}
    assert [g.item for g in top_gaps(gaps, 3)] == ["TS-1", "TS-2", "TS-3"]


def test_answers_in_words(two_reviewers):
    assert render.plain(answers_text({"ana": "not_applicable"})) == "N/A"
    assert render.plain(answers_text({"ben": "no", "ana": "yes"})) == "ana: Yes, ben: No"
    assert render.plain(answers_text({})) == "Unanswered"


def test_summary_shows_itself_in_a_notebook(two_reviewers):
    summary = two_reviewers.summary()
    assert summary._repr_html_() == render.to_html(review_summary_section(summary))
    assert "Reviewers: ana, ben." in summary._repr_html_() and "Items on which reviewers disagree: 1." in \
        summary._repr_html_()
    assert "&lt;b&gt;" not in summary._repr_html_()  # the title is not part of the summary


def test_no_disagreement_is_one_sentence(case_review):
    block = disagreements_block(case_review)
    assert render.to_markdown(block) == "*No disagreements between reviewers (1 reviewer: case-study).*\n"
