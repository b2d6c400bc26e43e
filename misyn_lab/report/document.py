"""The review report as one document, verdict first: (1) a summary a non-technical reader gets in a minute,
(2) the full contents, (3) the details of each part (a case study, the evaluation of the user's images, a review
file), (4) a glossary linked from first use, (5) an appendix with the date, versions, seed and inputs.

Everything in the summary is read from the same objects as the details: each part's bottom line (generated from
its results), the claim verdicts the claim table shows, the open items by severity with the three most severe
in words, the highest rung of the evaluation ladder reached, and the next actions (the remedies of those items).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from misyn_lab import render as r
from misyn_lab.checklist.document import gaps_by_severity, top_gaps
from misyn_lab.checklist.loader import SEVERITIES, load_checklist
from misyn_lab.instruments.document import claim_status_counts
from misyn_lab.instruments.ladder import highest_rung
from misyn_lab.rungs import RUNGS
from misyn_lab.vocabulary import GLOSSARY, limit_label, risk_label

if TYPE_CHECKING:
    from misyn_lab.checklist.review import Review

__all__ = ["CITATION", "ReportPart", "TITLE", "report_document", "summary_section"]

TITLE = "misyn-lab review report"
CITATION = ("Framework: Jin, Sinha, Abhishek, Hamarneh, Ethical Medical Image Synthesis, arXiv:2508.09293 (2025). "
            "The reviewed works of the case studies are described generically, not named and not quoted.")


@dataclass
class ReportPart:
    """One part of the report (a case study, the evaluation of the user's folders, a review file): its details
    section, the review it rests on (``None`` when there is none), its bottom line, the declared gaps of a case,
    and warnings the summary repeats (stand-in data, planted flaws, marked real images)."""

    id: str
    title: str
    section: r.Section
    review: Review | None = None
    bottom_line: str = ""
    case_gaps: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _claims_line(review: Review) -> list[Any]:
    counts = claim_status_counts(review) if review is not None else {}
    if not counts:
        return ["no claims recorded" if review is not None else "no review file: no claims checked"]
    out: list[Any] = []
    for i, (status, n) in enumerate(counts.items()):
        out += ([", "] if i else []) + [r.badge(status, f"{n} {status.replace('_', ' ')}")]
    return out


def _gap_words(gap: dict) -> list[Any]:
    """A declared case gap in words: what is missing, the checklist item, the risk and the intrinsic limit."""
    limit = gap.get("limit")
    return [r.strong(gap["title"]), f" ({gap['item']}; risk: {risk_label(gap.get('risk'))}",
            *([", ", r.term(limit.lower(), limit_label(limit))] if limit else []), ")"]


def _top(part: ReportPart, n: int = 3) -> tuple[list[list[Any]], list[str]]:
    """The ``n`` most severe gaps in words and the remedies of their checklist items (the next actions)."""
    checklist = part.review.checklist if part.review is not None else load_checklist()
    if part.case_gaps:
        ranked = sorted(part.case_gaps, key=lambda g: SEVERITIES.index(g["severity"])
                        if g.get("severity") in SEVERITIES else len(SEVERITIES))[:n]
        words = [_gap_words(g) for g in ranked]
        items = [g["item"] for g in ranked]
    elif part.review is not None:
        ranked = top_gaps(part.review.gaps(), n)
        words = [[r.strong(g.title), f" ({g.item}, {g.severity} severity)"] for g in ranked]
        items = [g.item for g in ranked]
    else:
        return [], []
    actions = []
    for item in dict.fromkeys(items):
        remedy = checklist.item(item).remedy
        if remedy not in actions:
            actions.append(remedy)
    return words, actions


def _summary_of(part: ReportPart) -> r.Section:
    lines: list[Any] = [[r.strong("Bottom line:"), " ", part.bottom_line.removeprefix("Bottom line: ")
                         or "nothing measured, so no bottom line."]]
    lines.append([r.strong("Claims:"), " ", *_claims_line(part.review)])
    if part.review is not None:
        gaps = part.review.gaps()
        sev = ", ".join(f"{n} {s}" for s, n in gaps_by_severity(gaps).items()) or "none"
        lines.append([r.strong("Open checklist items:"), f" {len(gaps)} (", r.term("severity", "severity"),
                      f": {sev})"])
        top = highest_rung(part.review)
        lines.append([r.strong("Evidence reaches:"), " ", r.term("rung", "rung"),
                      f" {top} of 5 ({RUNGS[top].name.lower()})" if top else " none yet (no evidence carries a rung)"])
    words, actions = _top(part)
    blocks: list[r.Block] = [r.BulletList(lines)]
    if words:
        blocks += [r.Paragraph(r.strong("Most severe gaps")), r.BulletList(words, ordered=True)]
    if actions:
        blocks += [r.Paragraph(r.strong("Next actions")), r.BulletList(actions, ordered=True)]
    blocks += [r.Paragraph(w, role="warning") for w in part.warnings]
    blocks.append(r.Paragraph([r.ref(part.section.id or part.title, f"Details of {part.title}")], role="meta"))
    return r.Section(part.title, blocks, id=f"summary-{r.slug(part.id)}")


def summary_section(parts: Sequence[ReportPart], warnings: Sequence[str] = ()) -> r.Section:
    """The summary: the report-wide warnings, then per part its bottom line, claims by status, open items by
    severity, the rung its evidence reaches, the most severe gaps in words and the next actions."""
    lead = (f"What this report found, part by part ({len(parts)} part{'s' if len(parts) != 1 else ''}); "
            "each line is generated from the measured results and the review shown in the details below.")
    blocks: list[r.Block] = [r.Paragraph(lead, role="lead")]
    blocks += [r.Paragraph(w, role="warning") for w in warnings]
    blocks += [_summary_of(p) for p in parts]
    return r.Section("Summary", blocks, id="summary")


def appendix_section(*, generated: str, seed: int, versions: dict[str, str], inputs: Sequence[tuple[str, str]],
                     how: Sequence[str] = ()) -> r.Section:
    """Date, versions, seed, inputs and how the report was made."""
    blocks: list[r.Block] = [
        r.Definitions([(r.strong("Generated"), generated), (r.strong("Seed"), str(seed)),
                       *[(r.strong(k), v) for k, v in inputs]]),
        r.Table(["Package", "Version"], [[k, v] for k, v in versions.items()], caption="Versions"),
        r.Paragraph(CITATION, role="meta")]
    blocks += [r.Paragraph(h, role="meta") for h in how]
    return r.Section("Appendix: date, versions, seed and inputs", blocks, id="appendix")


def report_document(parts: Sequence[ReportPart], *, warnings: Sequence[str] = (), appendix: r.Section,
                    preface: Sequence[r.Section] = ()) -> r.Document:
    """The whole report: summary, contents, ``preface`` sections (e.g. real images found to be synthetic), details
    per part, glossary, appendix."""
    return r.Document(TITLE, [summary_section(parts, warnings), r.Contents(depth=2), *preface,
                              *[p.section for p in parts], r.Glossary(), appendix],
                      meta=["Verdict first: the summary, then the details, a glossary and the appendix."],
                      glossary=dict(GLOSSARY))
