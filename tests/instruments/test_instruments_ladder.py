"""The evaluation-phase ladder: rung bookkeeping and the figure."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from misyn_lab.checklist.review import RUNGS as REVIEW_RUNGS  # noqa: E402
from misyn_lab.errors import InputError  # noqa: E402
from misyn_lab.instruments import claims as cl  # noqa: E402
from misyn_lab.instruments import ladder  # noqa: E402
from misyn_lab.metrics.result import MetricResult  # noqa: E402
from misyn_lab.viz.ladder import ladder_figure, takeaway  # noqa: E402


def test_five_rungs_named_once():
    assert sorted(ladder.RUNGS) == [1, 2, 3, 4, 5]
    for k, rung in ladder.RUNGS.items():
        assert rung.name.lower() == REVIEW_RUNGS[k].lower()  # one list of names (checklist.review.RUNGS)
    assert "our reading" in ladder.LADDER_NOTE


def test_empty_review(review):
    assert ladder.highest_rung(review) == 0
    assert ladder.evidence_rungs(review) == {1: [], 2: [], 3: [], 4: [], 5: []}
    assert ladder.claims_beyond_rung(review) == []


def test_evidence_rungs_highest_and_claims_beyond(review):
    e1 = review.add_evidence(MetricResult("prdc.precision", 0.7, {"real": 10}), rung=1)
    e2 = review.add_evidence(MetricResult("reader_study.accuracy", 0.55, {"answers": 40}), rung=2)
    assert ladder.evidence_rungs(review) == {1: [e1], 2: [e2], 3: [], 4: [], 5: []}
    assert ladder.highest_rung(review) == 2
    cl.save_claims(review, [
        cl.Claim(id="C1", text="high fidelity", result_reported=True, evidence_ids=(e1,), failures_reported=True),
        cl.Claim(id="C2", text="improves diagnosis", kind="clinical", evidence_ids=(e1, e2)),
        cl.Claim(id="C3", text="realistic to experts", claimed_rung=2, evidence_ids=(e2,)),
    ])
    beyond = ladder.claims_beyond_rung(review)
    assert [(c.claim_id, c.claimed_rung, c.evidence_rung) for c in beyond] == [("C2", 3, 2)]
    data = ladder.ladder_data(review)
    assert data.counts == {1: 1, 2: 1, 3: 0, 4: 0, 5: 0} and data.highest == 2 and len(data.claims) == 3


@pytest.mark.parametrize("bad", [0, 6, 2.5, "x", None])
def test_validate_rung(bad):
    with pytest.raises(InputError, match="must be an integer 1-5"):
        ladder.validate_rung(bad)


def test_figure_from_review_and_dict(review):
    e1 = review.add_evidence(MetricResult("prdc.precision", 0.7, {"real": 10}), rung=1)
    cl.save_claims(review, [cl.Claim(id="C2", text="improves diagnosis", kind="clinical", evidence_ids=(e1,))])
    fig = ladder_figure(ladder.ladder_data(review), title="demo")
    ax_ev, ax_cl = fig.axes[:2]
    assert [round(p.get_width()) for p in ax_ev.patches] == [1, 0, 0, 0, 0]
    assert ax_ev.get_xlabel() and ax_ev.get_ylabel() and "demo" in fig._suptitle.get_text()
    texts = " ".join(t.get_text() for t in fig.texts)
    assert "Evidence stops at rung 1" in texts and "1 of 1 claim(s) reach beyond" in texts and "C2" in texts
    assert [t.get_text() for t in ax_cl.get_xticklabels()] == ["C2\noverclaimed"]
    plt.close(fig)
    fig2 = ladder_figure({"counts": {1: 3, 3: 2}, "claims": [{"claim_id": "X", "claimed_rung": 2, "evidence_rung": 3}]})
    assert [round(p.get_width()) for p in fig2.axes[0].patches] == [3, 0, 2, 0, 0]
    plt.close(fig2)
    with pytest.raises(InputError, match=r"^ladder_figure: the ladder figure draws a LadderData or a dict, not a Review"):
        ladder_figure(review)  # viz takes the data, not the review: ladder_data(review) reads it


def test_takeaway_texts():
    assert takeaway(ladder.LadderData(counts={k: 0 for k in range(1, 6)})) == \
        "No evidence carries a rung yet; no claims recorded."
    data = ladder.LadderData.from_dict({"counts": {2: 1}, "claims": [{"claim_id": "A", "claimed_rung": 2,
                                                                     "evidence_rung": 2}]})
    assert takeaway(data) == "Evidence stops at rung 2 (expert readers); every claim stays within the rung of its evidence."


def test_ladder_colours_and_counts_come_from_the_claim_verdicts(review):
    """The figure colours each claim by the verdict the claim table shows, and its takeaway counts the same
    statuses; a claim within its evidence can still be red when its numbers contradict it."""
    from matplotlib.colors import to_hex

    from misyn_lab.render import STATUS_STYLE
    from misyn_lab.viz.ladder import CLASS_COLOURS, STATUS_MARKERS, status_counts

    e1 = review.add_evidence(MetricResult("prdc.precision", 0.7, {"real": 10}), rung=1)
    harm = cl.Claim(id="H1", text="Synthetic pairs improve Dice", evidence_ids=(e1,), worst_cases_reported=True,
                    test=cl.TestReport(name="Wilcoxon", n=40, ci=(-0.06, -0.04), p_value=1e-6))
    good = cl.Claim(id="G1", text="Synthetic pairs improve Dice", evidence_ids=(e1,), worst_cases_reported=True,
                    test=cl.TestReport(name="Wilcoxon", n=40, ci=(0.02, 0.04), p_value=1e-6))
    clinical = cl.Claim(id="K1", text="helps patients", kind="clinical", evidence_ids=(e1,), subgroups_reported=True)
    claims = [harm, good, clinical]
    cl.save_claims(review, claims, verdicts=cl.check_claims(claims, review))
    stored = cl.stored_verdicts(review)
    assert {k: v["status"] for k, v in stored.items()} == {"H1": "contradicted", "G1": "supported",
                                                          "K1": "overclaimed"}
    data = ladder.ladder_data(review)
    assert [(c.claim_id, c.status, c.beyond) for c in data.claims] == [
        ("H1", "contradicted", False), ("G1", "supported", False), ("K1", "overclaimed", True)]
    assert status_counts(data) == {"contradicted": 1, "overclaimed": 1, "supported": 1}
    assert takeaway(data) == ("Evidence stops at rung 1 (model space (metrics on held-out data)); verdicts of the "
                              "3 claim(s): 1 contradicted, 1 overclaimed, 1 supported; 1 of 3 claim(s) reach beyond "
                              "the rung of their evidence (K1).")
    fig = ladder_figure(ladder.ladder_data(review))
    claimed = [line for line in fig.axes[1].lines if line.get_marker() in STATUS_MARKERS.values()
               and len(line.get_xdata())]
    drawn = {int(line.get_xdata()[0]): (to_hex(line.get_color()), line.get_marker()) for line in claimed}
    assert drawn == {i: (CLASS_COLOURS[STATUS_STYLE[s][1]], STATUS_MARKERS[s])
                     for i, s in enumerate(("contradicted", "supported", "overclaimed"))}
    # never colour alone: each claim's status is also written under it, and the legend names each marker
    assert [t.get_text() for t in fig.axes[1].get_xticklabels()] == ["H1\ncontradicted", "G1\nsupported",
                                                                     "K1\novercl" "aimed"]
    assert fig.misyn_takeaway == takeaway(data)
    plt.close(fig)
    # a measured verdict (the case studies' re-check) takes precedence over the verdict as reported
    review.update_record("claims", "G1", measured_verdict={"claim_id": "G1", "status": "not_supported"})
    assert cl.stored_verdicts(review)["G1"]["status"] == "not_supported"
    assert status_counts(ladder.ladder_data(review)) == {"contradicted": 1, "not_supported": 1, "overclaimed": 1}
