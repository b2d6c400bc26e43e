"""The case reviews as the notebooks build them: claims re-checked with the measured numbers (reporting flags held by
attached evidence), and the ladder figure and the claim table agreeing on every claim's verdict in both cases."""

from __future__ import annotations

import matplotlib
import pytest

matplotlib.use("Agg")

from misyn_lab.cases import segmentation as S  # noqa: E402
from misyn_lab.cases import text_to_image as T  # noqa: E402
from misyn_lab.cases.case import load_case  # noqa: E402
from misyn_lab.cases.review import build_review  # noqa: E402
from misyn_lab.instruments.document import claims_table  # noqa: E402
from misyn_lab.instruments.claims import stored_verdicts  # noqa: E402
from misyn_lab.instruments.ladder import ladder_data  # noqa: E402


@pytest.fixture(scope="module")
def case1_review():
    result = S.run_case1(n_seeds=4, k=2, n_synthetic=4, n_test=6, size=32, per_plane=4, n_boot=300)
    case = load_case("case1")
    review = build_review(case, result.measured(), settle=result.settle_data(),
                          reporting={"C1": result.reporting_tables(), "C4": result.reporting_tables()},
                          bottom_line=result.bottom_line(0.01))
    return result, review


@pytest.fixture(scope="module")
def case2_review():
    result = T.run_case2(["axial MR brain", "histology patch of colon", "coronal MR of the head"], n_per_prompt=8,
                         size=32)
    review = build_review(load_case("case2"), result.measured(), bottom_line=result.bottom_line())
    return result, review


def _badges(table, column: str) -> list[str]:
    """The statuses of one badge column of the claims table ("As reported" or "With our measurement")."""
    return [row[table.columns.index(column)].target for row in table.rows]


def test_case1_claims_follow_the_measured_numbers(case1_review):
    result, review = case1_review
    c1 = review.record("claims", "C1")
    test = c1["measured_test"]
    lo, hi = test["ci"]
    assert test["estimate"] == pytest.approx(result.paired.bootstrap.value)
    assert test["details"]["unit"] == "seed/split" and test["n"] == 4
    status = c1["measured_verdict"]["status"]
    assert (status == "contradicted") == (hi < 0)  # harm measured is harm said
    if status == "supported":
        assert lo > 0
    assert c1["measured_verdict"]["decided_by"]
    assert c1["measured_verdict"]["direction"] == "increase"
    # the flags that balanced reporting needs are held by evidence the review stores, never set by hand
    keys = {review.evidence[e]["key"] for e in c1["measured_evidence_ids"]}
    assert {"reporting.worst_cases", "reporting.subgroups", "paired.mean_difference"} <= keys
    assert "R4" not in c1["measured_verdict"]["rules"] and "R4" in c1["verdict"]["rules"]
    scope = [x for x in review.records("limitations") if x["id"] == "case1_segmentation-bottom-line"]
    assert scope and scope[0]["text"] == result.bottom_line(0.01)


@pytest.mark.parametrize("which", ["case1", "case2"])
def test_ladder_and_claim_table_agree(which, case1_review, case2_review):
    from matplotlib.colors import to_hex

    from misyn_lab.viz.ladder import ladder_figure, status_colour, status_counts, status_marker, takeaway

    _, review = case1_review if which == "case1" else case2_review
    measured = _badges(claims_table(review), "With our measurement")
    shown = stored_verdicts(review)
    assert measured == [shown[r["id"]]["status"] for r in review.records("claims")]
    data = ladder_data(review)
    assert [c.status for c in data.claims] == measured
    counts = status_counts(data)
    assert sum(counts.values()) == len(measured) and all(counts[s] == measured.count(s) for s in counts)
    text = takeaway(data)
    for status, n in counts.items():
        assert f"{n} {status.replace('_', ' ')}" in text
    fig = ladder_figure(data)
    claimed = [line for line in fig.axes[1].lines if line.get_marker() in {status_marker(s) for s in measured}
               and len(line.get_xdata()) and line.get_markersize() == 9]
    assert [(to_hex(line.get_color()), line.get_marker()) for line in sorted(claimed, key=lambda ln: ln.get_xdata()[0])
            ] == [(status_colour(s), status_marker(s)) for s in measured]
    import matplotlib.pyplot as plt

    plt.close(fig)
