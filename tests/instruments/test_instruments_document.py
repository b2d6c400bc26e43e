"""The instruments' documents: claims and verdicts, the evaluation ladder, the three-aspect limitations, stakeholder
concerns and the plain-language checklist; their statuses are the stored verdicts (the same the ladder figure and
results.json use); golden files in HTML and Markdown."""

from __future__ import annotations

import pytest

from misyn_lab import render
from misyn_lab.cases.case import load_case
from misyn_lab.instruments import claims as cl
from misyn_lab.instruments import stakeholder as sh
from misyn_lab.instruments.claim_table import VerdictList, direction_text, test_text, verdicts_table
from misyn_lab.instruments.document import (claim_status_counts, claims_table, concerns_table, evidence_results,
                                            ladder_section, limitations_section, review_sections,
                                            stakeholder_document)
from misyn_lab.instruments.ladder import ladder_data, ladder_takeaway
from misyn_lab.metrics.result import MetricResult


@pytest.fixture(scope="module")
def case_review():
    review = load_case("case1").to_review()
    review.update_record("stakeholder_questions", "case1_segmentation-Q1",
                         responses=[{"responder": "dev team", "text": "No patient images were used.", "time": ""}],
                         status="answered")
    return review


@pytest.mark.parametrize("name, build", [
    ("claims", lambda rv: claims_table(rv)),
    ("ladder", lambda rv: ladder_section(rv, id="case1-ladder")),
    ("limitations", lambda rv: limitations_section(rv, id="case1-limitations")),
    ("concerns", lambda rv: concerns_table(rv)),
])
def test_documents_match_golden(name, build, case_review, golden):
    block = build(case_review)
    golden(f"{name}.html", render.to_html(block))
    golden(f"{name}.md", render.to_markdown(block))


def test_stakeholder_document_matches_golden(case_review, golden):
    doc = stakeholder_document(review=case_review)
    golden("stakeholder.html", render.page(doc))
    golden("stakeholder.md", render.document_markdown(doc))


def test_verdict_list_matches_golden_and_shows_itself(golden):
    claims = [cl.Claim(id="H1", text="Synthetic pairs improve Dice", result_reported=True,
                       test=cl.TestReport(name="Wilcoxon", n=40, ci=(-0.06, -0.04), p_value=1e-6)),
              cl.Claim(id="K1", text="helps patients", kind="clinical")]
    verdicts = cl.check_claims(claims)
    assert isinstance(verdicts, VerdictList) and [v.status for v in verdicts] == ["contradicted", "not_supported"]
    golden("verdicts.html", verdicts._repr_html_())
    golden("verdicts.md", render.to_markdown(verdicts_table(verdicts)))
    assert verdicts._repr_html_() == render.to_html(verdicts_table(verdicts))


def test_claim_table_statuses_are_the_stored_verdicts(case_review):
    table = claims_table(case_review)
    shown = cl.stored_verdicts(case_review)
    col = table.columns.index("As reported")
    assert [row[col].target for row in table.rows] == [shown[r["id"]]["status"] for r in case_review.records("claims")]
    assert [row[table.columns.index("With our measurement")] for row in table.rows] == ["not re-checked"] * 4
    counts = claim_status_counts(case_review)
    assert counts == {"not_supported": 1, "untested": 2, "overclaimed": 1}
    assert list(counts) == [s for s in cl.STATUSES if s in counts]  # worst first


def test_ladder_section_says_where_the_evidence_stops(case_review):
    section = ladder_section(case_review)
    assert render.plain(section.blocks[0].text).startswith(ladder_takeaway(ladder_data(case_review)))
    rows = section.blocks[1].rows
    assert [r[3] for r in rows] == [ladder_data(case_review).counts[k] for k in range(1, 6)]
    beyond = section.blocks[2]
    assert [r[0] for r in beyond.rows] == [c.claim_id for c in ladder_data(case_review).claims if c.beyond]


def test_review_sections_have_their_ids(case_review):
    ids = [s.id for s in review_sections(case_review, prefix="x")]
    assert ids == ["x-claims", "x-ladder", "x-checklist", "x-limitations", "x-disagreements", "x-stakeholders"]


def test_test_text_and_direction_in_the_one_number_format():
    text = test_text({"name": "Wilcoxon signed-rank", "estimate": -0.020712, "ci": [-0.0504, -0.0051],
                      "p_value": 0.0001, "n": 20, "details": {"unit": "seed/split"}})
    assert text == ("Wilcoxon signed-rank; estimate -0.0207; 95 % CI [-0.0504, -0.00510]; p < 0.001; n = 20 "
                    "(seed/split)")
    assert test_text(None) == "" and direction_text("increase", "declared") == "an increase (declared)"
    assert direction_text(None) == "no direction"


def test_evidence_results_reads_every_stored_result_once(case_review):
    review = load_case("case1").to_review()
    r = MetricResult("prdc.coverage", 0.5, {"real": 10, "synthetic": 10}, split="held-out")
    review.add_evidence(r, rung=1, source="a")
    review.add_evidence(r, rung=1, source="b")  # the same result stored twice
    review.add_evidence({"key": "demo.marker", "value": 1.0, "n": 3})  # a bare n
    review.add_evidence({"key": "note.only"})  # no value: not a result
    got = evidence_results(review)
    assert [(x.key, rung) for x, rung in got] == [("prdc.coverage", 1), ("demo.marker", 1)]
    assert got[1][0].n == {"n": 3}


def test_concerns_table_escapes_and_lists_answers(review):
    sh.raise_concern(review, "TS-1", "<script>alert(1)</script>", "patient", "refusal", "I refuse")
    html = render.to_html(concerns_table(review))
    assert "<script>" not in html and "patient" in html and "✖" not in html and "refusal" in html
