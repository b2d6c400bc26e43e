"""The checklist's documents as render blocks: per-stage status, open items (gaps) with severity, limits, risks
and remedy, and reviewer disagreements — all in words (stage titles, "N/A", "L1 No grounding", "erosion of
trust"), never codes alone.

One walk per document; :mod:`misyn_lab.render` writes it as HTML (``_repr_html_`` of
:class:`~misyn_lab.checklist.summary.ReviewSummary`, the report) or Markdown. The functions read a review summary
and gaps by their attributes, so this module imports no other checklist module that could import it back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from misyn_lab import render as r
from misyn_lab.checklist.answers import ANSWER_LABELS, STATUSES
from misyn_lab.checklist.loader import SEVERITIES, STAGE_TITLES
from misyn_lab.vocabulary import limit_label, risk_label

if TYPE_CHECKING:
    from misyn_lab.checklist.review import Review
    from misyn_lab.checklist.summary import ReviewSummary

__all__ = ["answer_badge", "answers_text", "disagreements_block", "gaps_by_severity", "gaps_table",
           "review_summary_section", "stage_status_table", "top_gaps"]


def answer_badge(status: str | None) -> r.Span:
    """An answer status as a badge with its word (``not_applicable`` shows "N/A")."""
    status = status or "unanswered"
    return r.badge(status, ANSWER_LABELS.get(status, status.replace("_", " ")))


def answers_text(statuses: dict[str, str]) -> list[Any]:
    """Reviewers' answers in words: one reviewer's answer alone, several as ``name: answer`` pairs."""
    if not statuses:
        return [answer_badge("unanswered")]
    if len(statuses) == 1:
        return [answer_badge(next(iter(statuses.values())))]
    out: list[Any] = []
    for i, (who, status) in enumerate(sorted(statuses.items())):
        out += ([", "] if i else []) + [f"{who}: ", answer_badge(status)]
    return out


def stage_status_table(summary: ReviewSummary) -> r.Table:
    """Answers per stage (the most worrying answer per item) and the share of items answered."""
    rows = []
    for stage in summary.counts.index:
        title = "All stages" if stage == "total" else STAGE_TITLES.get(stage, stage)
        answered = summary.progress.get("overall" if stage == "total" else stage)
        rows.append([r.strong(title) if stage == "total" else title,
                     *[int(summary.counts.loc[stage, s]) for s in STATUSES],
                     "" if answered is None else r.fmt_percent(answered)])
    return r.Table(["Stage", *[ANSWER_LABELS[s] for s in STATUSES], "Answered"], rows,
                   caption="Checklist answers per lifecycle stage (items counted once, by their most worrying answer)")


def _severity_rank(gap: Any) -> int:
    return SEVERITIES.index(gap.severity) if gap.severity in SEVERITIES else len(SEVERITIES)


def top_gaps(gaps: Iterable[Any], n: int = 3) -> list[Any]:
    """The ``n`` most severe open items (high first; checklist order within a severity)."""
    ordered = list(gaps)
    return sorted(ordered, key=lambda g: (_severity_rank(g), ordered.index(g)))[:n]


def gaps_by_severity(gaps: Iterable[Any]) -> dict[str, int]:
    """Open items per severity, high first (severities without an open item left out)."""
    counts: dict[str, int] = {}
    for g in gaps:
        counts[g.severity] = counts.get(g.severity, 0) + 1
    return {s: counts[s] for s in (*SEVERITIES, *sorted(set(counts) - set(SEVERITIES))) if s in counts}


def gaps_table(gaps: Sequence[Any], *, caption: str = "") -> r.Table:
    """Open checklist items, most severe first: item, stage, what is open, answers, severity, intrinsic limits,
    risks and the remedy, in words."""
    rows = [[g.item, STAGE_TITLES.get(g.stage, g.stage), g.title, answers_text(dict(g.statuses)),
             r.badge(g.severity),
             ", ".join(limit_label(x) for x in g.limits), ", ".join(risk_label(x) for x in g.risks), g.remedy]
            for g in top_gaps(gaps, len(gaps))]
    return r.Table(["Item", "Stage", "Open point", "Answer", "Severity", "Intrinsic limits", "Risks", "Remedy"],
                   rows, caption=caption or "Open checklist items (answered no, partly or unknown, or unanswered), "
                                            "most severe first", empty="no open items")


def disagreements_block(review: Review) -> r.Block:
    """Items on which reviewers who answered gave different answers, or one sentence saying there are none."""
    table = review.disagreements()
    reviewers = sorted(review.reviewers)
    if not len(table):
        who = ", ".join(reviewers) if reviewers else "none"
        return r.Paragraph(f"No disagreements between reviewers ({len(reviewers)} reviewer"
                           f"{'' if len(reviewers) == 1 else 's'}: {who}).", role="meta")
    names = [c for c in table.columns if c not in ("item", "stage", "agree")]
    rows = [[row["item"], STAGE_TITLES.get(row["stage"], row["stage"]), *[answer_badge(row[n]) for n in names]]
            for row in table.to_dict("records")]
    return r.Table(["Item", "Stage", *names], rows, caption="Items on which reviewers gave different answers")


def review_summary_section(summary: ReviewSummary, *, title: str = "Checklist status", id: str = "") -> r.Section:
    """A review summary as one section: who answered, answers per stage, the open items and what else needs
    attention (answers without justification, answers kept from retired items, conflicting saves)."""
    reviewers = ", ".join(summary.reviewers) if summary.reviewers else "no reviewer named"
    open_n = len(summary.gap_list)
    by_sev = gaps_by_severity(summary.gap_list)
    sev = ", ".join(f"{n} {s}" for s, n in by_sev.items()) or "none"
    blocks: list[r.Block] = [
        r.Paragraph([f"Reviewers: {reviewers}. Open items: {open_n} (", r.term("severity", "severity"),
                     f": {sev}); items answered: {r.fmt_percent(summary.progress.get('overall', 0.0))}."]),
        stage_status_table(summary), gaps_table(summary.gaps())]
    notes = []
    if summary.needs_justification:
        notes.append("Answers without the justification they need: "
                     + ", ".join(f"{i} ({who})" for i, who in summary.needs_justification) + ".")
    if summary.orphaned:
        notes.append("Answers to items no longer in the checklist (kept): " + ", ".join(summary.orphaned) + ".")
    if summary.conflicted:
        notes.append("Conflicting saves (both versions kept): "
                     + ", ".join(f"{i} ({who})" for i, who in summary.conflicted) + ".")
    if summary.n_disagreements:
        notes.append(f"Items on which reviewers disagree: {summary.n_disagreements}.")
    if notes:
        blocks.append(r.BulletList(notes))
    return r.Section(title, blocks, id=id)
