"""Agreement between reviewers and with a key: outcomes, Fleiss' kappa (statsmodels), Cohen's kappa (sklearn),
how unanswered / N/A / unknown enter, and bad input."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from misyn_lab.checklist import Review
from misyn_lab.checklist.agreement import (CATEGORIES, OUTCOMES, band, class_agreement, cohen_against_key,
                                           compare_to_key, describe_kappa, fleiss, item_distribution, key_reasons,
                                           key_reviewer, key_statuses, outcome, rating_matrix)
from misyn_lab.errors import InputError

#: Fleiss (1971) as tabulated on Wikipedia's "Fleiss' kappa" page: 10 subjects x 5 categories, 14 raters each.
#: kappa = 0.210 (P-bar 0.378, Pe-bar 0.213); subject 1 P_i = 1.000, subject 2 P_i = 0.253.
WIKIPEDIA_TABLE = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
                   [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]
EV_ITEMS = [f"EV-{i}" for i in range(1, 11)]


def _answer(review: Review, item: str, who: str, status: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        review.set_answer(item, who, status, "because")


def _class_from_counts(table: list[list[int]], items: list[str]) -> Review:
    """14 students whose answers reproduce ``table`` (rows = items, columns = CATEGORIES)."""
    review = Review.new("counts")
    for item, counts in zip(items, table):
        statuses = [c for c, n in zip(CATEGORIES, counts) for _ in range(n)]
        for j, status in enumerate(statuses):
            _answer(review, item, f"s{j:02d}", status)
    return review


def _key(statuses: dict[str, str]) -> Review:
    key = Review.new("key")
    for item, status in statuses.items():
        _answer(key, item, "answer key", status)
    return key


@pytest.mark.parametrize("student,key,expected", [
    (None, "yes", "unanswered"), ("yes", "yes", "agreed"), ("no", "no", "agreed"),
    ("unknown", "unknown", "agreed"), ("not_applicable", "not_applicable", "agreed"),
    ("yes", "no", "missed_gap"), ("yes", "partly", "missed_gap"), ("yes", "unknown", "missed_gap"),
    ("yes", "not_applicable", "not_applicable"), ("not_applicable", "no", "not_applicable"),
    ("not_applicable", "yes", "not_applicable"), ("no", "not_applicable", "not_applicable"),
    ("no", "yes", "extra_flag"), ("partly", "yes", "extra_flag"), ("unknown", "yes", "extra_flag"),
    ("unknown", "no", "unknown"), ("partly", "unknown", "unknown"), ("no", "unknown", "unknown"),
    ("no", "partly", "degree"), ("partly", "no", "degree"), ("unanswered", "no", "unanswered"),
])
def test_outcome_of_every_pair(student, key, expected):
    assert outcome(student, key) == expected
    assert expected in OUTCOMES


def test_outcome_refuses_a_key_without_an_answer():
    with pytest.raises(InputError, match="key status 'unanswered' is not an answer"):
        outcome("yes", "unanswered")


def test_fleiss_reproduces_the_published_example():
    review = _class_from_counts(WIKIPEDIA_TABLE, EV_ITEMS)
    students = [f"s{j:02d}" for j in range(14)]
    k = fleiss(review, students, EV_ITEMS, scope="evaluation", n_resamples=200)
    assert k.kappa == pytest.approx(0.20993, abs=5e-5)
    assert (k.n_students, k.n_items, k.excluded) == (14, 10, ())
    assert k.ci_low < k.kappa < k.ci_high
    dist = item_distribution(review, students, EV_ITEMS)
    assert dist.loc[0, "pairwise_agreement"] == pytest.approx(1.0)
    assert dist.loc[1, "pairwise_agreement"] == pytest.approx(0.253, abs=5e-4)
    assert dist.loc[1, ["yes", "partly", "no", "not_applicable", "unknown"]].tolist() == [0, 2, 6, 4, 2]
    assert dist.loc[5, "modal"] == "yes" and dist.loc[5, "modal_share"] == pytest.approx(0.5)


def test_unanswered_is_missing_and_na_unknown_are_categories():
    review = Review.new("c")
    for who in ("a", "b", "c"):
        _answer(review, "TS-1", who, "not_applicable")
        _answer(review, "TS-2", who, "unknown")
    _answer(review, "PF-1", "a", "no")
    _answer(review, "PF-1", "b", "no")  # c leaves PF-1 unanswered
    _answer(review, "PF-2", "a", "yes")
    _answer(review, "PF-2", "b", "partly")
    _answer(review, "PF-2", "c", "partly")
    matrix = rating_matrix(review, ["a", "b", "c"], ["TS-1", "TS-2", "PF-1"])
    assert matrix.tolist() == [[3, 3, 3], [4, 4, 4], [2, 2, -1]]
    result = class_agreement(review, n_resamples=100)
    assert result.items == ("TS-1", "TS-2", "PF-1", "PF-2")
    by = {k.scope: k for k in result.by_stage}
    assert by["technical_standards"].n_students == 3 and by["technical_standards"].excluded == ()
    assert by["problem_formulation"].n_students == 2 and by["problem_formulation"].excluded == ("c",)
    assert result.overall.excluded == ("c",)
    assert result.distribution.set_index("item").loc["PF-1", "unanswered"] == 1
    # every student gave N/A on TS-1 and unknown on TS-2: perfect agreement, chance agreement 1/2 -> kappa 1
    assert by["technical_standards"].kappa == pytest.approx(1.0)


def test_cohen_against_the_key_by_hand():
    key = _key({"TS-1": "yes", "TS-2": "no", "TS-3": "no", "TS-4": "partly"})
    review = Review.new("s")
    for item, status in {"TS-1": "yes", "TS-2": "no", "TS-3": "partly", "TS-4": "partly"}.items():
        _answer(review, item, "bo", status)
    for item, status in {"TS-1": "yes", "TS-2": "no", "TS-3": "no"}.items():  # ana leaves TS-4 open
        _answer(review, item, "ana", status)
    table = cohen_against_key(review, ["bo", "ana"], key).set_index("student")
    # po = 3/4; pe = .25*.25 + .5*.25 + .25*.5 = .3125; kappa = (.75 - .3125) / .6875
    assert table.loc["bo", "kappa"] == pytest.approx((0.75 - 0.3125) / 0.6875)
    assert table.loc["bo", "distance"] == pytest.approx(0.25)
    assert table.loc["bo", "degree"] == 1 and table.loc["bo", "missed_gap"] == 0
    assert table.loc["ana", "n_items"] == 3 and table.loc["ana", "kappa"] == pytest.approx(1.0)
    assert table.loc["ana", "unanswered"] == 1 and table.loc["ana", "distance"] == 0.0


def test_compare_to_key_rows_and_missing_key_items():
    key = _key({"TS-1": "partly", "TS-2": "yes"})
    review = Review.new("s")
    _answer(review, "TS-1", "ana", "yes")
    cmp = compare_to_key(review, "ana", key)
    assert cmp.to_dict("records") == [
        {"item": "TS-1", "stage": "technical_standards", "status": "yes", "key_status": "partly",
         "outcome": "missed_gap"},
        {"item": "TS-2", "stage": "technical_standards", "status": None, "key_status": "yes",
         "outcome": "unanswered"}]
    with pytest.raises(InputError) as err:
        compare_to_key(review, "ana", key, ["TS-1", "TS-3"])
    assert str(err.value) == ("key: the answer key has no answer for TS-3 (fix: answer those items in the key file)")


def test_a_key_holds_exactly_one_reviewer():
    key = _key({"TS-1": "yes"})
    _answer(key, "TS-1", "second", "no")
    with pytest.raises(InputError) as err:
        key_reviewer(key)
    assert str(err.value) == ("key: an answer key holds exactly one reviewer's answers, this one has 2 "
                              "(answer key, second) (fix: use a key file answered by one reviewer (e.g. the "
                              "bundled vignette key))")
    with pytest.raises(InputError, match="this one has 0"):
        key_statuses(Review.new("empty"))


def test_class_agreement_with_a_key():
    key = _key({"TS-1": "no", "TS-2": "yes", "PF-1": "no"})
    review = Review.new("class")
    answers = {"a": ("no", "yes", "no"), "b": ("no", "yes", "yes"), "c": ("yes", "partly", "no")}
    for who, statuses in answers.items():
        for item, status in zip(["TS-1", "TS-2", "PF-1"], statuses):
            _answer(review, item, who, status)
    _answer(review, "OV-1", "a", "yes")  # not in the key: not analysed
    result = class_agreement(review, key=key, n_resamples=100)
    assert result.items == ("TS-1", "TS-2", "PF-1") and result.students == ("a", "b", "c")
    dist = result.distribution.set_index("item")
    assert dist.loc["TS-1", "key"] == "no" and dist.loc["TS-1", "key_agreement"] == pytest.approx(2 / 3)
    assert dist.loc["PF-1", "key_reason"] == "because" and key_reasons(key)["TS-2"] == "because"
    assert result.against_key.set_index("student").loc["a", "distance"] == 0.0
    assert result.against_key.set_index("student").loc["c", "missed_gap"] == 1
    worst = result.most_disagreed(2)
    assert list(worst["item"]) == ["TS-1", "TS-2"]  # ties (1/3 each) in checklist order
    lines = result.summary_lines()
    assert lines[0] == "3 students, 3 items"
    assert lines[-1].startswith("Against the key: Cohen's kappa median ")


def test_too_few_students_give_an_undefined_kappa():
    review = Review.new("one")
    _answer(review, "TS-1", "solo", "yes")
    result = class_agreement(review, n_resamples=50)
    assert math.isnan(result.overall.kappa) and result.overall.n_students == 1
    assert "Fleiss' kappa needs at least two students." in result.summary_lines()
    assert describe_kappa(math.nan).startswith("undefined")
    with pytest.raises(InputError, match="no student has answered anything"):
        class_agreement(Review.new("empty"))


@pytest.mark.parametrize("value,word", [(0.9, "almost perfect"), (0.61, "substantial"), (0.5, "moderate"),
                                        (0.3, "fair"), (0.1, "slight"), (-0.2, "poor (below chance)"),
                                        (np.nan, "undefined")])
def test_landis_koch_bands(value, word):
    assert band(value) == word


def test_describe_kappa_states_the_numbers():
    assert describe_kappa(0.4321, 0.3, 0.55) == "0.43 (moderate; 95% CI 0.30 to 0.55)"


def test_kappa_is_nan_not_an_error_when_a_student_used_one_answer():
    review = Review.new("flat")
    review.set_answer("TS-4", "ana", "no", "x")
    key = Review.new("key")
    key.set_answer("TS-4", "answer key", "no", "x")
    result = class_agreement(review, key=key, n_resamples=50)
    assert math.isnan(result.against_key.loc[0, "kappa"]) and result.against_key.loc[0, "distance"] == 0.0
