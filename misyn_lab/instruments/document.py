"""The review instruments' documents as render blocks: claims and their verdicts, the evaluation ladder, the
three-aspect limitations, stakeholder concerns and the plain-language stakeholder checklist.

One walk per document, written by :mod:`misyn_lab.render` as HTML or Markdown; the statuses are the ones
:func:`~misyn_lab.instruments.claims.stored_verdicts` gives, so the claim table, the ladder and ``results.json``
agree. Nothing here writes HTML or Markdown itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from misyn_lab import render as r
from misyn_lab.checklist.document import disagreements_block, review_summary_section
from misyn_lab.instruments.claim_table import direction_text, test_text
from misyn_lab.instruments.claims import stored_verdicts
from misyn_lab.instruments.ladder import LADDER_NOTE, RUNGS, ladder_data, ladder_takeaway, status_counts
from misyn_lab.instruments.limitations import ASPECTS, load_limitations, missing_aspects
from misyn_lab.instruments.stakeholder import INTRO, concerns, stakeholder_items
from misyn_lab.metrics.result import MetricResult
from misyn_lab.vocabulary import INTRINSIC_LIMIT_NAMES

if TYPE_CHECKING:
    from misyn_lab.checklist.review import Review
    from misyn_lab.checklist.loader import Checklist

__all__ = ["STAKEHOLDER_TITLE", "claim_status_counts", "claims_table", "concerns_table", "evidence_results",
           "ladder_section", "limitations_section", "review_sections", "stakeholder_checklist", "stakeholder_document"]

STAKEHOLDER_TITLE = "Questions anyone can ask about this medical image synthesis"


def claims_table(review: Review, *, caption: str = "") -> r.Table:
    """Each claim of a review: its text, the direction it states, its status as reported and with our measurement,
    the test we ran, the number that decided the status shown, and the reasons."""
    shown = stored_verdicts(review)
    rows = []
    for c in review.records("claims"):
        cur = shown.get(str(c.get("id")), {})
        reported = (c.get("verdict") or {}).get("status")
        measured = (c.get("measured_verdict") or {}).get("status")
        rows.append([str(c.get("id", "")), str(c.get("text", "")),
                     direction_text(cur.get("direction"), str(cur.get("direction_source") or "")),
                     r.badge(reported) if reported else "not checked",
                     r.badge(measured) if measured else "not re-checked",
                     test_text(c.get("measured_test")), str(cur.get("decided_by") or ""),
                     "; ".join(cur.get("reasons") or [])])
    return r.Table(["Claim", "Text", "States", "As reported", "With our measurement", "Test we ran", "Decided by",
                    "Why"], rows, caption=caption or "Claims checked against the fixed claim rules "
                                                     "(misyn_lab/instruments/CLAIM_RULES.md)",
                   empty="no claims recorded")


def claim_status_counts(review: Review) -> dict[str, int]:
    """Claims per status shown (worst first), as the claim table and the ladder count them."""
    return status_counts(ladder_data(review))


def ladder_section(review: Review, *, figure: r.Figure | None = None, title: str = "Evaluation ladder",
                   id: str = "") -> r.Section:
    """Where the review's evidence stops on the evaluation ladder: one sentence, evidence per rung, the claims that
    reach beyond the rung of their evidence, and (when given) the ladder figure."""
    data = ladder_data(review)
    rows = [[r.strong(str(k)) if k == data.highest else str(k), RUNGS[k].name, RUNGS[k].space,
             data.counts.get(k, 0)] for k in sorted(RUNGS)]
    blocks: list[r.Block] = [
        r.Paragraph([ladder_takeaway(data), " (", r.term("rung", "rungs"), " explained in the glossary)"]),
        r.Table(["Rung", "Name", "Space", "Evidence items"], rows, caption="Evidence per rung")]
    beyond = [c for c in data.claims if c.beyond]
    if beyond:
        blocks.append(r.Table(["Claim", "Claims rung", "Its evidence reaches", "Verdict"],
                              [[c.claim_id, f"{c.claimed_rung} {RUNGS[c.claimed_rung].name}",
                                f"{c.evidence_rung} {RUNGS[c.evidence_rung].name}" if c.evidence_rung else "no rung",
                                r.badge(c.status or "not checked")] for c in beyond],
                              caption="Claims that reach beyond the rung of their evidence"))
    if figure is not None:
        blocks.append(figure)
    blocks.append(r.Paragraph(LADDER_NOTE, role="meta"))
    return r.Section(title, blocks, id=id)


def limitations_section(review: Review, *, title: str = "Limitations (three aspects)", id: str = "") -> r.Section:
    """The three-aspect limitation analysis: each aspect's statements (intrinsic limits named in words, cited
    evidence and consequences), "More information needed" where an aspect is empty, and what is missing."""
    items = load_limitations(review)
    blocks: list[r.Block] = []
    for aspect, heading in ASPECTS.items():
        lines = []
        for lim in (x for x in items if x.aspect == aspect):
            text: list[Any] = []
            if lim.limit:
                text += [r.term(lim.limit.lower(), f"{lim.limit} {INTRINSIC_LIMIT_NAMES.get(lim.limit, '')}"), ": "]
            text.append(lim.text)
            if lim.evidence_ids:
                text.append(f" (evidence: {', '.join(lim.evidence_ids)})")
            if lim.consequence:
                text.append(f" Consequence: {lim.consequence}")
            lines.append(text)
        blocks.append(r.Section(heading, [r.BulletList(lines) if lines
                                          else r.Paragraph("More information needed.", role="meta")],
                                id=f"{id}-{aspect}" if id else ""))
    gaps = missing_aspects(review)
    if gaps:
        blocks.append(r.Section("Missing from the analysis", [r.BulletList(gaps)], id=f"{id}-missing" if id else ""))
    return r.Section(title, blocks, id=id)


def concerns_table(review: Review, *, caption: str = "") -> r.Table:
    """Stakeholder questions, objections and refusals recorded in the review, with their status and answers."""
    rows = [[str(c.get("item_id", "")), str(c.get("role") or c.get("name") or ""),
             str(c.get("kind", "")), str(c.get("text", "")), r.badge(str(c.get("status") or "open")),
             " / ".join(f"{x.get('responder', '')}: {x.get('text', '')}" for x in c.get("responses") or [])]
            for c in concerns(review)]
    return r.Table(["Item", "Who", "Kind", "Question or objection", "Status", "Answers"], rows,
                   caption=caption or "Stakeholder questions, objections and refusals",
                   empty="no stakeholder questions recorded")


def stakeholder_checklist(checklist: Checklist | None = None, review: Review | None = None) -> list[r.Section]:
    """The plain-language checklist, one section per lifecycle stage: each question, what a good answer looks
    like, and (with a review) the concerns raised against it."""
    raised: dict[str, list[dict]] = {}
    for c in concerns(review) if review is not None else []:
        raised.setdefault(str(c.get("item_id")), []).append(c)
    stages: dict[str, list[Any]] = {}
    titles: dict[str, str] = {}
    for it in stakeholder_items(checklist):
        stages.setdefault(it.stage, []).append(it)
        titles[it.stage] = it.stage_title
    sections = []
    for stage, items in stages.items():
        entries = []
        for it in items:
            answer: list[Any] = [f"A good answer: {it.good_answer}"]
            for c in raised.get(it.item_id, []):
                answer.append(f" — {str(c.get('kind', '')).capitalize()} from {c.get('name', '')} "
                              f"({c.get('role', '')}), {c.get('status', 'open')}: {c.get('text', '')}")
            entries.append(([r.strong(it.question), f" ({it.item_id}, {it.title})"], answer))
        sections.append(r.Section(titles[stage], [r.Definitions(entries)], id=f"stakeholder-{stage}"))
    return sections


def stakeholder_document(checklist: Checklist | None = None, review: Review | None = None) -> r.Document:
    """The stakeholder checklist as a whole document (``misyn-lab stakeholder checklist``, HTML or Markdown)."""
    return r.Document(STAKEHOLDER_TITLE, [r.Paragraph(INTRO, role="lead"), *stakeholder_checklist(checklist, review)])


def review_sections(review: Review, *, prefix: str, ladder_figure: r.Figure | None = None) -> list[r.Section]:
    """The parts every review shows, in reading order: claims and their verdicts, the evaluation ladder, the
    checklist status with its open items, the limitations, reviewer disagreements and stakeholder questions.
    Section ids are ``<prefix>-claims``, ``<prefix>-ladder`` ... so a document can link to them."""
    return [
        r.Section("Claims and verdicts", [claims_table(review)], id=f"{prefix}-claims"),
        ladder_section(review, figure=ladder_figure, id=f"{prefix}-ladder"),
        review_summary_section(review.summary(), id=f"{prefix}-checklist"),
        limitations_section(review, id=f"{prefix}-limitations"),
        r.Section("Reviewer disagreements", [disagreements_block(review)], id=f"{prefix}-disagreements"),
        r.Section("Stakeholder questions", [concerns_table(review)], id=f"{prefix}-stakeholders"),
    ]


def evidence_results(review: Review) -> list[tuple[Any, int | None]]:
    """Every measured result stored as evidence in a review, as ``(MetricResult, rung)`` in the order stored
    (a result stored twice is listed once). Evidence that holds no measured value (a note, a link) is not a
    result and is left out; a bare number as ``n`` is read as ``{"n": number}``."""
    out, seen = [], set()
    for record in review.evidence.values():
        result = record.get("result")
        if not isinstance(result, dict) or not result.get("key") or result.get("value") is None:
            continue
        data = dict(result)
        if isinstance(data.get("n"), (int, float)) and not isinstance(data.get("n"), bool):
            data["n"] = {"n": int(data["n"])}
        parsed = MetricResult.from_dict(data)
        marker = (repr(parsed.to_dict()), record.get("rung"))
        if marker not in seen:
            seen.add(marker)
            out.append((parsed, record.get("rung")))
    return out
