"""The contamination-lab figure: one panel per scenario, house rules, a takeaway from the numbers drawn."""

from __future__ import annotations

import pandas as pd
import pytest

from misyn_lab.errors import InputError
from misyn_lab.viz.contamination import drift_figure
from tests.viz.figcheck import check_figure


def _summary() -> pd.DataFrame:
    rows = []
    for scenario, top in (("test", 0.05), ("retrain", -0.01)):
        for share, drift in ((0.0, 0.0), (0.3, top / 2), (0.5, top)):
            rows.append({"scenario": scenario, "share": share, "drift": drift, "drift_low": drift - 0.01,
                         "drift_high": drift + 0.01, "after_minus_clean": 0.0, "after_low": 0.0, "after_high": 0.0})
    return pd.DataFrame(rows)


def test_two_panels_and_a_takeaway_from_the_numbers():
    fig = drift_figure(_summary())
    assert check_figure(fig) == ("Mean change from clean over seeds (95% CI): test: +0.050 at 50%, +0.000 after the "
                                 "audit; retrain: -0.010 at 50%, +0.000 after the audit.")
    assert [ax.get_title().split("\n")[0] for ax in fig.axes] == ["Contaminated TEST set",
                                                                 "Contaminated RETRAINING set"]
    one = drift_figure(_summary()[lambda d: d["scenario"] == "test"])
    assert len(one.axes) == 1


def test_refuses_a_table_that_is_not_the_summary():
    with pytest.raises(InputError, match=r"the summary lacks columns \['after_low'\]"):
        drift_figure(_summary().drop(columns="after_low"))
    with pytest.raises(InputError, match="the summary has no rows"):
        drift_figure(_summary().iloc[:0])
