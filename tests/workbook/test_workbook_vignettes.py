"""The fictional vignettes of notebooks 02-06, their answer keys (review files) and item-level feedback, checked
against archetypal and seeded student reviews with exact counts."""

from __future__ import annotations

import warnings

import pytest
import yaml

from misyn_lab.checklist import STAGES, Review, load_checklist
from misyn_lab.checklist.agreement import OUTCOMES
from misyn_lab.errors import InputError
from misyn_lab.workbook import feedback, simulate_class, vignette, vignette_key
from misyn_lab.workbook.vignettes import OUTCOME_LABELS, VIGNETTE_DIR

NOTEBOOKS = {"technical_standards": "02_technical_standards", "problem_formulation": "03_problem_formulation",
             "design": "04_design", "evaluation": "05_evaluation", "oversight": "06_oversight"}


def _student(answers: dict[str, str], name: str = "kim") -> Review:
    review = Review.new("vignettes", reviewer=name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for item, status in answers.items():
            review.set_answer(item, name, status, f"my reason for {item}")
    return review


def _all(stage: str, status: str) -> Review:
    return _student({it.id: status for it in load_checklist().by_stage(stage)})


def _counts(fb) -> dict[str, int]:
    return {o: n for o, n in fb.counts.items() if n}


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_has_a_fictional_vignette_and_a_full_key(stage):
    v = vignette(stage)
    assert v.notebook == NOTEBOOKS[stage]
    assert v.notice.startswith("Fictional: written for this workbook.") and "planted on purpose" in v.notice
    md = v.to_markdown()
    assert md.startswith(f"### Vignette: {v.title}") and v.notice in md and md.count("\n> ") > 5
    key = Review.load(VIGNETTE_DIR / f"{stage}.key.yaml")
    assert key.reviewers == ["answer key"]
    items = [it.id for it in load_checklist().by_stage(stage)]
    assert sorted(key.answers, key=items.index) == items
    for item in items:
        answer = key.answer(item, "answer key")
        assert len(answer.justification) > 40, f"{item}: the key needs a reason"
    assert vignette_key(stage).to_data()["answers"] == key.to_data()["answers"]


def test_the_combined_key_answers_every_item_with_a_mix_of_statuses():
    key = vignette_key()
    statuses = [key.answer(i, "answer key").status for i in load_checklist().ids]
    assert len(statuses) == 45
    assert {s: statuses.count(s) for s in set(statuses)} == {"yes": 8, "partly": 16, "no": 18,
                                                             "not_applicable": 1, "unknown": 2}


def test_a_copy_of_the_key_agrees_everywhere():
    key = vignette_key("evaluation")
    copy = _student({i: key.answer(i, "answer key").status for i in key.answers})
    fb = feedback(copy, None, "evaluation")
    assert _counts(fb) == {"agreed": 14}
    assert fb.summary == "kim answered 14 of 14 items; 100% agree with the key (agreed: 14)."


def test_saying_yes_to_everything_misses_every_gap():
    fb = feedback(_all("technical_standards", "yes"), None, "technical_standards")
    assert _counts(fb) == {"agreed": 1, "missed_gap": 6, "not_applicable": 1}
    row = fb.table.set_index("item").loc["TS-4"]
    assert row["outcome"] == "missed gap" and row["key answer"] == "no"
    assert row["feedback"] == ("Missed gap: you said yes, the key says no. The web viewer shows the images without "
                               "any overlay or other visible mark.")
    assert fb.table.set_index("item").loc["TS-6", "feedback"].startswith("The key marks it N/A: The release "
                                                                         "contains no figures")


def test_saying_no_to_everything_flags_more_than_the_key():
    fb = feedback(_all("technical_standards", "no"), None, "technical_standards")
    assert _counts(fb) == {"agreed": 2, "extra_flag": 1, "not_applicable": 1, "degree": 4}
    assert fb.table.set_index("item").loc["TS-2", "outcome"] == OUTCOME_LABELS["extra_flag"]


def test_unknown_and_not_applicable_are_handled_with_the_keys_reason():
    fb = feedback(_all("design", "unknown"), None, "design")
    assert _counts(fb) == {"agreed": 1, "extra_flag": 1, "unknown": 6}
    assert fb.table.set_index("item").loc["DE-2", "feedback"].startswith(
        "You said it cannot be judged (unknown); the key judges it (no). The anatomical requirement")
    fb = feedback(_all("oversight", "not_applicable"), None, "oversight")
    assert _counts(fb) == {"not_applicable": 7}
    assert fb.table.set_index("item").loc["OV-7", "feedback"].startswith(
        "You marked it N/A, but the key says the item applies (unknown). The legal review is pending")


def test_unanswered_items_keep_their_key_hidden():
    fb = feedback(_student({"PF-1": "no", "PF-6": "no", "PF-8": "yes"}), None, "problem_formulation")
    assert _counts(fb) == {"agreed": 1, "extra_flag": 1, "missed_gap": 1, "unanswered": 5}
    hidden = fb.table[fb.table["outcome"] == "not answered yet"]
    assert list(hidden["item"]) == ["PF-2", "PF-3", "PF-4", "PF-5", "PF-7"]
    assert (hidden["key answer"] == "").all() and (hidden["key reason"] == "").all()
    assert set(hidden["feedback"]) == {"Not answered yet: answer it to see the key."}
    key = vignette_key("problem_formulation")
    html = fb.to_html()
    for item in hidden["item"]:
        assert key.answer(item, "answer key").justification.replace("'", "&#x27;") not in html
    assert fb.summary.endswith("5 not answered yet: their key stays hidden.")
    empty = feedback(Review.new("v", reviewer="kim"), None, "problem_formulation")
    assert empty.summary == ("kim has not answered any of the 8 problem formulation items yet: answer them first; "
                             "the key stays hidden until then.")


def _recount(review: Review, name: str, stage: str) -> dict[str, int]:
    """Independent count of agreements and missed gaps straight from the key files."""
    raw = yaml.safe_load((VIGNETTE_DIR / f"{stage}.key.yaml").read_text(encoding="utf-8"))["answers"]
    mine = {i: a[name]["status"] for i, a in review.to_data()["answers"].items() if i in raw}
    agreed = sum(mine[i] == raw[i]["answer key"]["status"] for i in mine)
    missed = sum(mine[i] == "yes" and raw[i]["answer key"]["status"] in ("no", "partly", "unknown") for i in mine)
    return {"agreed": agreed, "missed_gap": missed, "unanswered": len(raw) - len(mine)}


#: Exact feedback counts of the seeded class simulate_class(n_students=4, seed=21).
SEEDED = {
    ("simulated-01", "technical_standards"): {"agreed": 4, "missed_gap": 2, "degree": 2},
    ("simulated-01", "evaluation"): {"agreed": 7, "missed_gap": 1, "extra_flag": 2, "unknown": 2, "degree": 1,
                                     "unanswered": 1},
    ("simulated-02", "technical_standards"): {"agreed": 4, "missed_gap": 3, "not_applicable": 1},
    ("simulated-02", "evaluation"): {"agreed": 9, "missed_gap": 1, "degree": 4},
    ("simulated-03", "technical_standards"): {"agreed": 4, "missed_gap": 2, "not_applicable": 1, "degree": 1},
    ("simulated-03", "evaluation"): {"agreed": 10, "extra_flag": 1, "degree": 3},
    ("simulated-04", "technical_standards"): {"missed_gap": 3, "extra_flag": 1, "not_applicable": 2, "degree": 2},
    ("simulated-04", "evaluation"): {"agreed": 4, "missed_gap": 5, "extra_flag": 2, "unknown": 1, "degree": 1,
                                     "unanswered": 1},
}


def test_feedback_on_a_seeded_class(tmp_path):
    folder = simulate_class(tmp_path / "class", n_students=4, seed=21)
    for (name, stage), expected in SEEDED.items():
        review = Review.load(folder / f"{name}.yaml")
        fb = feedback(review, None, stage)
        assert _counts(fb) == expected, (name, stage)
        recount = _recount(review, name, stage)
        assert {k: fb.counts[k] for k in recount} == recount
        assert sum(fb.counts.values()) == len(load_checklist().by_stage(stage))
    fb = feedback(Review.load(folder / "simulated-04.yaml"), None, "evaluation")
    assert fb.summary == ("simulated-04 answered 13 of 14 items; 31% agree with the key (agreed: 4, missed gap: 5, "
                          "flagged more than the key: 2, unknown differs: 1, same gap, other degree: 1). 1 not "
                          "answered yet: their key stays hidden.")


def test_feedback_needs_to_know_whose_answers():
    review = _student({"TS-1": "no"}, "ana")
    review.set_answer("TS-1", "bo", "no", "x")
    with pytest.raises(InputError) as err:
        feedback(review, None, "technical_standards")
    assert str(err.value) == ("several reviewers answered (ana, bo); say whose answers to compare "
                              "(fix: pass reviewer='name')")
    assert feedback(review, None, "technical_standards", reviewer="bo").counts["agreed"] == 0


def test_feedback_against_another_key_and_bad_stages():
    key = _student({"TS-1": "yes"}, "teacher")
    with pytest.raises(InputError, match="the answer key has no answer for TS-2"):
        feedback(_student({"TS-1": "yes"}), key, "technical_standards")
    with pytest.raises(InputError, match="unknown stage 'desing'"):
        vignette("desing")
    with pytest.raises(InputError, match="unknown stage"):
        vignette_key("nope")


def test_feedback_html_escapes_student_text():
    review = _student({"TS-1": "yes"})
    review.set_answer("TS-1", "kim", "yes", "<script>x</script>")
    html = feedback(review, None, "technical_standards").to_html()
    assert "<script>" not in html and "&lt;script&gt;x&lt;/script&gt;" not in html  # student text not in the table
    assert html.startswith('<section id="vignette-feedback-technical-standards" class="misyn-feedback">')
    assert all(o in OUTCOME_LABELS for o in OUTCOMES)
