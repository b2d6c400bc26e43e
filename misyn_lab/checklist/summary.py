"""Review summaries: per-stage counts per status, progress, gaps, flags, and reviewer agreement.

Several reviewers' answers to one item are combined into one item status by concern: the most worrying
answer counts (order ``unanswered, no, unknown, partly, not_applicable, yes``); an item is a gap when any
reviewer answered no/partly/unknown or it is unanswered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from misyn_lab import render
from misyn_lab.checklist.answers import CONCERN_ORDER, GAP_STATUSES, STATUSES
from misyn_lab.checklist.document import review_summary_section
from misyn_lab.checklist.loader import STAGE_TITLES, STAGES

if TYPE_CHECKING:
    from misyn_lab.checklist.review import Review


@dataclass(frozen=True)
class Gap:
    """An item answered no/partly/unknown (by any reviewer) or not answered, with what to do about it.

    Parameters
    ----------
    item, stage, title : str
        The item's id, stage and title.
    statuses : dict
        ``{reviewer: status}`` of the answers given (empty when nobody answered).
    severity, remedy : str
        The item's severity and remedy.
    limits, risks : tuple of str
        The intrinsic limits and risks the item guards against.

    Examples
    --------
    >>> from misyn_lab.checklist import Review
    >>> review = Review.new("demo", reviewer="ana")
    >>> _ = review.set_answer("TS-1", "ana", "no", "No card.")
    >>> gap = review.summary().gaps()[0]
    >>> gap.item, gap.statuses
    ('TS-1', {'ana': 'no'})
    """

    item: str
    stage: str
    title: str
    statuses: dict[str, str]
    severity: str
    remedy: str
    limits: tuple[str, ...]
    risks: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"item": self.item, "stage": self.stage, "title": self.title, "statuses": dict(self.statuses),
                "severity": self.severity, "remedy": self.remedy, "limits": list(self.limits),
                "risks": list(self.risks)}


def combined_status(statuses: dict[str, str]) -> str:
    """One status for an item from all reviewers' statuses (the most worrying one)."""
    given = [s for s in statuses.values()]
    if not given:
        return "unanswered"
    return min(given, key=CONCERN_ORDER.index)


@dataclass(frozen=True)
class ReviewSummary:
    """Counts (stage x status DataFrame), progress per stage, gaps and flags of one review.

    Made by :meth:`Review.summary`; shown in a notebook as HTML (``_repr_html_``) and as text by ``str``.

    Parameters
    ----------
    counts : pandas.DataFrame
        Items per stage (rows) and combined status (columns).
    progress : dict
        ``{stage: share of items answered}`` in [0, 1].
    gap_list : tuple of Gap
        Items answered no/partly/unknown or not answered, in checklist order.
    needs_justification : tuple of (str, str)
        ``(item, reviewer)`` pairs of ``yes``/``partly`` answers without a justification.
    orphaned : tuple of str
        Answered ids the current checklist does not know.
    conflicted : tuple of (str, str)
        ``(item, reviewer)`` pairs with conflicting answers kept as alternatives.
    n_disagreements : int
        Items on which reviewers gave different statuses.
    reviewers : tuple of str, optional
        The reviewers.

    Examples
    --------
    >>> from misyn_lab.checklist import Review
    >>> review = Review.new("demo", reviewer="ana")
    >>> _ = review.set_answer("TS-1", "ana", "yes", "The card says so.")
    >>> summary = review.summary()
    >>> int(summary.counts.loc["technical_standards", "yes"]), summary.n_disagreements
    (1, 0)
    """

    counts: pd.DataFrame
    progress: dict[str, float]
    gap_list: tuple[Gap, ...]
    needs_justification: tuple[tuple[str, str], ...]
    orphaned: tuple[str, ...]
    conflicted: tuple[tuple[str, str], ...]
    n_disagreements: int
    reviewers: tuple[str, ...] = field(default=())

    def gaps(self) -> list[Gap]:
        """Gaps in checklist order."""
        return list(self.gap_list)

    def gaps_frame(self) -> pd.DataFrame:
        cols = ["item", "stage", "title", "severity", "statuses", "remedy", "limits", "risks"]
        return pd.DataFrame([{**g.to_dict(), "limits": ",".join(g.limits), "risks": ",".join(g.risks),
                              "statuses": ", ".join(f"{r}: {s}" for r, s in g.statuses.items()) or "unanswered"}
                             for g in self.gap_list], columns=cols)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (used by ``misyn-lab review summary --json``)."""
        return {
            "counts": {stage: {s: int(self.counts.loc[stage, s]) for s in STATUSES} for stage in self.counts.index},
            "progress": dict(self.progress),
            "gaps": [g.to_dict() for g in self.gap_list],
            "needs_justification": [list(x) for x in self.needs_justification],
            "orphaned": list(self.orphaned),
            "conflicted": [list(x) for x in self.conflicted],
            "disagreements": self.n_disagreements,
            "reviewers": list(self.reviewers),
        }

    def to_text(self) -> str:
        """Plain-text report: counts table, progress, gap list and flags."""
        lines = ["Per-stage answers (most worrying answer per item):", self.counts.to_string(), ""]
        lines.append("Progress: " + ", ".join(f"{STAGE_TITLES.get(k, k)} {v:.0%}" for k, v in self.progress.items()))
        lines.append(f"Gaps ({len(self.gap_list)}):")
        for g in self.gap_list:
            who = ", ".join(f"{r}: {s}" for r, s in g.statuses.items()) or "unanswered"
            lines.append(f"  {g.item} [{g.severity}] {g.title} ({who}) -> {g.remedy}")
        if self.needs_justification:
            lines.append("Needs justification: " + ", ".join(f"{i} ({r})" for i, r in self.needs_justification))
        if self.orphaned:
            lines.append("Orphaned answers (item no longer in the checklist, kept): " + ", ".join(self.orphaned))
        if self.conflicted:
            lines.append("Conflicted answers (both versions kept): " + ", ".join(f"{i} ({r})" for i, r in self.conflicted))
        if self.n_disagreements:
            lines.append(f"Items where reviewers disagree: {self.n_disagreements}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()

    def to_section(self, title: str = "Checklist status", *, id: str = "") -> render.Section:
        """The summary as a document section (:func:`misyn_lab.checklist.document.review_summary_section`)."""
        return review_summary_section(self, title=title, id=id)

    def _repr_html_(self) -> str:
        return render.to_html(self.to_section())


def summarise(review: "Review") -> ReviewSummary:
    """Compute the :class:`ReviewSummary` of a review against its checklist."""
    counts = pd.DataFrame(0, index=list(STAGES) + ["total"], columns=list(STATUSES), dtype=int)
    answered = {s: 0 for s in STAGES}
    totals = {s: 0 for s in STAGES}
    gaps = []
    for item in review.checklist.items:
        given = {r: a.status for r, a in sorted(review.answers.get(item.id, {}).items())}
        status = combined_status(given)
        counts.loc[item.stage, status] += 1
        counts.loc["total", status] += 1
        totals[item.stage] += 1
        if any(s != "unanswered" for s in given.values()):
            answered[item.stage] += 1
        if status in GAP_STATUSES or any(s in GAP_STATUSES for s in given.values()):
            gaps.append(Gap(item=item.id, stage=item.stage, title=item.title, statuses=given,
                            severity=item.severity, remedy=item.remedy, limits=item.limits, risks=item.risks))
    progress = {s: (answered[s] / totals[s] if totals[s] else 0.0) for s in STAGES}
    n_all = sum(totals.values())
    progress["overall"] = sum(answered.values()) / n_all if n_all else 0.0
    needs = tuple((item_id, r) for item_id, per in review.answers.items() for r, a in sorted(per.items())
                  if a.needs_justification)
    table = agreement_table(review)
    return ReviewSummary(counts=counts, progress=progress, gap_list=tuple(gaps), needs_justification=needs,
                         orphaned=tuple(review.orphaned()), conflicted=tuple(review.conflicted()),
                         n_disagreements=int((~table["agree"]).sum()), reviewers=tuple(review.reviewers))


def agreement_table(review: "Review") -> pd.DataFrame:
    """One row per checklist item: item, stage, each reviewer's status, and whether answering reviewers agree."""
    reviewers = sorted(set(review.reviewers) | {r for per in review.answers.values() for r in per})
    rows = []
    for item in review.checklist.items:
        statuses = {r: (review.answers.get(item.id, {}).get(r).status if r in review.answers.get(item.id, {})
                        else "unanswered") for r in reviewers}
        answered = {s for s in statuses.values() if s != "unanswered"}
        rows.append({"item": item.id, "stage": item.stage, **statuses, "agree": len(answered) <= 1})
    return pd.DataFrame(rows, columns=["item", "stage", *reviewers, "agree"]).astype({"agree": bool})
