"""The evaluation-phase ladder as a figure: evidence per rung, where it stops, claims that reach beyond.

Each claim is drawn in the colour of its verdict status — the same status, the same colour class
(:data:`misyn_lab.render.STATUS_STYLE`) and the same counts as the claim table (statuses come from
:func:`misyn_lab.instruments.claims.stored_verdicts`, read into :class:`misyn_lab.rungs.LadderData` by
:func:`misyn_lab.instruments.ladder.ladder_data`). Colour is never the only code: each status also has its own
marker shape and its word under the claim; whether a claim reaches beyond the rung of its evidence is shown by a
dashed arrow and an open marker. Colours are from the colour-blind-safe palette.
"""

from __future__ import annotations

import textwrap
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from misyn_lab.errors import InputError
from misyn_lab.render import STATUS_STYLE
from misyn_lab.rungs import LADDER_NOTE, RUNGS, LadderData, ladder_takeaway, status_counts
from misyn_lab.viz.style import finish, panels

__all__ = ["CLASS_COLOURS", "STATUS_MARKERS", "ladder_figure", "status_colour", "status_counts", "status_marker",
           "takeaway"]

REACHED = "#0173b2"
NOT_REACHED = "#D0D0D0"
#: Colour of each badge class of :data:`misyn_lab.render.STATUS_STYLE` (the claim table's badge classes), from the
#: colour-blind-safe palette (seaborn "colorblind").
CLASS_COLOURS = {"ok": "#0173b2", "warn": "#de8f05", "bad": "#d55e00", "worst": "#7a1b0c", "na": "#949494"}
#: Marker of each verdict status (colour is never the only code).
STATUS_MARKERS = {"supported": "o", "overclaimed": "^", "untested": "D", "not_supported": "v", "contradicted": "X"}
#: The one-sentence takeaway of the ladder (:func:`misyn_lab.rungs.ladder_takeaway`).
takeaway = ladder_takeaway


def status_colour(status: str) -> str:
    """The colour of a verdict status: its badge class in the claim table, as a colour.

    Parameters
    ----------
    status : str
        A verdict status.

    Returns
    -------
    str
        A hex colour.

    Examples
    --------
    >>> status_colour("supported"), status_colour("no such status")
    ('#0173b2', '#949494')
    """
    return CLASS_COLOURS[STATUS_STYLE.get(str(status).lower(), ("", "na"))[1]]


def status_marker(status: str) -> str:
    """The marker of a verdict status (a square for a status without one of its own).

    Parameters
    ----------
    status : str
        A verdict status.

    Returns
    -------
    str
        A matplotlib marker.

    Examples
    --------
    >>> status_marker("overclaimed"), status_marker("no such status")
    ('^', 's')
    """
    return STATUS_MARKERS.get(str(status).lower(), "s")


def _as_data(data: Any) -> LadderData:
    if isinstance(data, LadderData):
        return data
    if isinstance(data, dict):
        return LadderData.from_dict(data)
    raise InputError(f"the ladder figure draws a LadderData or a dict, not a {type(data).__name__}",
                     path="ladder_figure", remedy="pass ladder_data(review) (misyn_lab.instruments.ladder)")


def ladder_figure(data: LadderData | dict[str, Any], *, title: str | None = None, figsize: tuple[float, float] = (11, 5.2),
                  ax: Any = None) -> Figure:
    """Draw the five rungs with the evidence count on each, the rung where evidence stops, and each claim
    as an arrow from the rung of its evidence to the rung it claims, in the colour and marker of its verdict
    status (as in the claim table; the status word is written under the claim); a claim reaching beyond its
    evidence has a dashed arrow and an open marker. The takeaway is stored as ``fig.misyn_takeaway``.

    ``data``: a :class:`~misyn_lab.rungs.LadderData` (a review's: ``ladder_data(review)`` from
    :mod:`misyn_lab.instruments.ladder`) or a dict
    ``{"counts": {rung: n}, "claims": [{"claim_id", "claimed_rung", "evidence_rung"}], "title": ...}``.
    ``ax``: two Axes (evidence, claims) to draw into instead of a figure of its own (see :mod:`misyn_lab.viz`);
    the takeaway and the ladder note are then stored on them (``misyn_takeaway``, ``misyn_note``).

    Parameters
    ----------
    data : LadderData or dict
        What to draw.
    title : str, optional
        Name after "Evaluation-phase ladder" (default: the data's title).
    figsize : (float, float)
        Size of a figure of its own.
    ax : sequence of two Axes, optional
        Evidence and claim panels to draw into.

    Returns
    -------
    Figure
        The new figure, or the Axes' figure.

    Examples
    --------
    >>> fig = ladder_figure({"counts": {1: 3, 3: 2}, "claims": []})
    >>> fig.misyn_takeaway[:40]
    'Evidence stops at rung 3 (downstream cli'
    >>> plt.close(fig)
    """
    data = _as_data(data)
    rungs = sorted(RUNGS)
    counts = [data.counts.get(k, 0) for k in rungs]
    top = data.highest
    own = ax is None
    if own:
        fig, (ax_ev, ax_cl) = plt.subplots(1, 2, figsize=figsize, sharey=True,
                                           gridspec_kw={"width_ratios": [1.1, 1.0]})
    else:
        fig, given, _ = panels(ax, 2)
        ax_ev, ax_cl = given.ravel()
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
            ax_cl.plot([i], [start], marker=".", color=colour, markersize=7)
            ax_cl.plot([i], [c.claimed_rung], marker=status_marker(c.status), color=colour, markersize=9,
                       markerfacecolor="white" if c.beyond else colour, markeredgewidth=2)
        ax_cl.set_xticks(range(len(data.claims)))
        ax_cl.set_xticklabels([f"{c.claim_id}\n{(c.status or 'not checked').replace('_', ' ')}" for c in data.claims],
                              rotation=45 if len(data.claims) > 6 else 0, fontsize=8)
        ax_cl.set_xlim(-0.7, len(data.claims) - 0.3)
        for status, n in status_counts(data).items():
            ax_cl.plot([], [], status_marker(status), color=status_colour(status),
                       label=f"{status.replace('_', ' ')} ({n})")
        ax_cl.plot([], [], "s", color="#666666", markerfacecolor="white", markeredgewidth=2,
                   label="beyond its evidence (open marker, dashed arrow)")
        ax_cl.plot([], [], ".", color="#666666", markersize=7, label="rung of its evidence")
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
    summary = takeaway(data)
    if not own:
        ax_ev.misyn_note = ax_cl.misyn_note = LADDER_NOTE
        return finish(fig, "Evaluation-phase ladder" + (f": {name}" if name else ""), summary, axes=given)
    fig.suptitle("Evaluation-phase ladder" + (f": {name}" if name else ""), fontsize=13, fontweight="bold")
    fig.text(0.01, 0.045, "\n".join(textwrap.wrap(summary, 150)), fontsize=9, ha="left")
    fig.text(0.01, 0.01, LADDER_NOTE, fontsize=7.5, ha="left", color="#555555")
    fig.tight_layout(rect=(0, 0.1, 1, 0.95))
    fig.misyn_takeaway = summary  # type: ignore[attr-defined]
    return fig
