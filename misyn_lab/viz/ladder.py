"""The evaluation-phase ladder as a figure: evidence per rung, where it stops, claims that reach beyond.

Each claim is drawn in the colour of its verdict status — the same status, the same colour class
(:data:`misyn_lab.viz.html.STATUS_CLASS`) and the same counts as the claim table (statuses come from
:func:`misyn_lab.instruments.claims.stored_verdicts`); whether a claim reaches beyond the rung of its evidence is
shown by the arrow and the dashed marker, not by its colour.
"""

from __future__ import annotations

import textwrap
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from misyn_lab.instruments.claims import STATUSES
from misyn_lab.instruments.ladder import LADDER_NOTE, RUNGS, LadderData, ladder_data
from misyn_lab.viz.html import STATUS_CLASS

REACHED = "#4C72B0"
NOT_REACHED = "#D0D0D0"
#: Colour of each badge class of :data:`misyn_lab.viz.html.STATUS_CLASS` (the claim table's badge colours).
CLASS_COLOURS = {"ok": "#55a868", "warn": "#dd8452", "bad": "#c44e52", "na": "#8c8c8c"}


def status_colour(status: str) -> str:
    """The colour of a verdict status: its badge class in the claim table, as a colour."""
    return CLASS_COLOURS[STATUS_CLASS.get(str(status).lower(), "na")]


def status_counts(data: LadderData) -> dict[str, int]:
    """Claims per verdict status, worst first (statuses with no claim left out; unknown ones as 'not checked')."""
    counts: dict[str, int] = {}
    for c in data.claims:
        key = c.status or "not checked"
        counts[key] = counts.get(key, 0) + 1
    order = list(STATUSES) + sorted(k for k in counts if k not in STATUSES)
    return {k: counts[k] for k in order if k in counts}


def _as_data(review_or_data: Any) -> LadderData:
    if isinstance(review_or_data, LadderData):
        return review_or_data
    if isinstance(review_or_data, dict):
        return LadderData.from_dict(review_or_data)
    return ladder_data(review_or_data)


def takeaway(data: LadderData) -> str:
    """One sentence: where the evidence stops, the claims' verdicts (counted as in the claim table) and which
    claims reach beyond the rung of their evidence."""
    top = data.highest
    where = (f"Evidence stops at rung {top} ({RUNGS[top].name.lower()})" if top
             else "No evidence carries a rung yet")
    if not data.claims:
        return f"{where}; no claims recorded."
    counts = status_counts(data)
    verdicts = ""
    if any(c.status for c in data.claims):
        verdicts = f"; verdicts of the {len(data.claims)} claim(s): " + ", ".join(f"{n} {s}" for s, n in counts.items())
    beyond = [c for c in data.claims if c.beyond]
    if beyond:
        ids = ", ".join(c.claim_id for c in beyond[:6]) + (" ..." if len(beyond) > 6 else "")
        return (f"{where}{verdicts}; {len(beyond)} of {len(data.claims)} claim(s) reach beyond the rung of their "
                f"evidence ({ids}).")
    return f"{where}{verdicts}; every claim stays within the rung of its evidence."


def ladder_figure(review_or_data: Any, *, title: str | None = None, figsize: tuple[float, float] = (11, 5.2)) -> Figure:
    """Draw the five rungs with the evidence count on each, the rung where evidence stops, and each claim
    as an arrow from the rung of its evidence to the rung it claims, coloured by its verdict status (as in the
    claim table); a claim reaching beyond its evidence has a dashed arrow and an open square.

    ``review_or_data``: a Review, a :class:`~misyn_lab.instruments.ladder.LadderData` or a dict
    ``{"counts": {rung: n}, "claims": [{"claim_id", "claimed_rung", "evidence_rung"}], "title": ...}``.
    """
    data = _as_data(review_or_data)
    rungs = sorted(RUNGS)
    counts = [data.counts.get(k, 0) for k in rungs]
    top = data.highest
    fig, (ax_ev, ax_cl) = plt.subplots(1, 2, figsize=figsize, sharey=True,
                                       gridspec_kw={"width_ratios": [1.1, 1.0]})
    colours = [REACHED if k <= top else NOT_REACHED for k in rungs]
    ax_ev.barh(rungs, counts, color=colours, height=0.6, edgecolor="#333333", linewidth=0.5)
    for k, n in zip(rungs, counts):
        ax_ev.text(n, k, f" {n}", va="center", ha="left", fontsize=9)
    ax_ev.set_yticks(rungs)
    ax_ev.set_yticklabels(["\n".join(textwrap.wrap(f"{k}. {RUNGS[k].name}", 24)) for k in rungs], fontsize=9)
    ax_ev.set_ylim(0.4, 5.6)
    ax_ev.set_xlim(0, max(counts + [1]) * 1.25)
    ax_ev.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax_ev.set_xlabel("Evidence items on this rung")
    ax_ev.set_ylabel("Evaluation rung (model space → real-world problem space)")
    ax_ev.set_title("Evidence per rung")
    if top:
        for ax in (ax_ev, ax_cl):
            ax.axhline(top + 0.5, color="#333333", linestyle="--", linewidth=1)
        ax_ev.text(ax_ev.get_xlim()[1], top + 0.55, "evidence stops here", ha="right", va="bottom", fontsize=8)

    if data.claims:
        for i, c in enumerate(data.claims):
            colour = status_colour(c.status)
            start = max(c.evidence_rung, 0.5)
            if c.claimed_rung != c.evidence_rung:
                ax_cl.annotate("", xy=(i, c.claimed_rung), xytext=(i, start),
                               arrowprops={"arrowstyle": "-|>", "color": colour, "lw": 1.6,
                                           "linestyle": "--" if c.beyond else "-"})
            ax_cl.plot([i], [start], marker="o", color=colour, markersize=5)
            ax_cl.plot([i], [c.claimed_rung], marker="s", color=colour, markersize=8,
                       markerfacecolor="white" if c.beyond else colour, markeredgewidth=2)
        ax_cl.set_xticks(range(len(data.claims)))
        ax_cl.set_xticklabels([c.claim_id for c in data.claims], rotation=45 if len(data.claims) > 6 else 0,
                              fontsize=9)
        ax_cl.set_xlim(-0.7, len(data.claims) - 0.3)
        for status, n in status_counts(data).items():
            ax_cl.plot([], [], "s", color=status_colour(status), label=f"{status} ({n})")
        ax_cl.plot([], [], "s", color="#666666", markerfacecolor="white", markeredgewidth=2,
                   label="beyond its evidence (dashed)")
        ax_cl.plot([], [], "o", color="#666666", label="rung of its evidence")
        ax_cl.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    else:
        ax_cl.text(0.5, 3, "no claims recorded", ha="center", va="center", color="#666666",
                   transform=ax_cl.get_yaxis_transform())
        ax_cl.set_xticks([])
    ax_cl.set_xlabel("Claim")
    ax_cl.set_title("Claims: evidence rung → claimed rung")
    for ax in (ax_ev, ax_cl):
        ax.spines[["top", "right"]].set_visible(False)
    name = title if title is not None else (data.title or "")
    fig.suptitle("Evaluation-phase ladder" + (f": {name}" if name else ""), fontsize=13, fontweight="bold")
    fig.text(0.01, 0.045, takeaway(data), fontsize=10, ha="left")
    fig.text(0.01, 0.01, LADDER_NOTE, fontsize=7.5, ha="left", color="#555555")
    fig.tight_layout(rect=(0, 0.08, 1, 0.95))
    return fig
