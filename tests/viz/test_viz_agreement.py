"""The class answer-distribution figure: house rules, the key's answer outlined, a takeaway from the numbers."""

from __future__ import annotations

import pandas as pd
import pytest

from misyn_lab.errors import InputError
from misyn_lab.viz.agreement import answer_distribution
from tests.viz.figcheck import check_figure


def _distribution(with_key: bool = True) -> pd.DataFrame:
    rows = [{"item": "TS-1", "yes": 4, "partly": 1, "no": 0, "not_applicable": 0, "unknown": 0, "unanswered": 1,
             "pairwise_agreement": 0.6},
            {"item": "TS-2", "yes": 2, "partly": 2, "no": 1, "not_applicable": 0, "unknown": 0, "unanswered": 1,
             "pairwise_agreement": 0.2},
            {"item": "TS-3", "yes": 0, "partly": 0, "no": 6, "not_applicable": 0, "unknown": 0, "unanswered": 0,
             "pairwise_agreement": 1.0}]
    if with_key:
        for row, key, share in zip(rows, ["yes", "no", "no"], [0.8, 0.2, 1.0]):
            row.update(key=key, key_agreement=share)
    return pd.DataFrame(rows)


def test_figure_names_the_least_agreed_item_and_the_key_majority():
    fig = answer_distribution(_distribution())
    takeaway = check_figure(fig)
    assert takeaway == ("Least agreement on TS-2 (pairwise agreement 0.20); a majority answered as the key does "
                        "on 2 of 3 items.")
    outlined = [p for p in fig.axes[0].patches if p.get_edgecolor()[:3] == (0.0, 0.0, 0.0) and p.get_linewidth() > 1]
    assert len(outlined) == 3  # one key segment per item


def test_figure_without_a_key():
    assert check_figure(answer_distribution(_distribution(False))) == ("Least agreement on TS-2 (pairwise "
                                                                       "agreement 0.20).")


def test_figure_refuses_a_table_without_answer_columns():
    with pytest.raises(InputError) as err:
        answer_distribution(pd.DataFrame({"item": ["TS-1"], "yes": [1]}))
    assert str(err.value).startswith("answer_distribution: need a non-empty item distribution with columns")
    assert "(missing ['partly'" in str(err.value)
