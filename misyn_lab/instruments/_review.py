"""The few Review operations the instruments use, in one place.

The instruments store their records in the generic sections of a :class:`misyn_lab.checklist.Review`
("claims", "limitations", "reader_answers", "stakeholder_questions"; lists of dicts with a unique "id",
merged by id) and read its evidence store. Keeping the calls here means the rest of the station never
depends on more of the Review API than this.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from misyn_lab.checklist.review import Review


def records(review: Review, section: str) -> list[dict]:
    """All records of ``section`` (copies are not required: callers do not mutate them)."""
    return list(review.records(section))


def record_ids(review: Review, section: str) -> set[str]:
    return {str(r.get("id")) for r in records(review, section)}


def upsert(review: Review, section: str, record: dict) -> str:
    """Add ``record`` to ``section`` or, if its id exists, replace that record as a whole (fields the new
    record lacks, e.g. a stale ``verdict``, are dropped; the history keeps the old record). Returns the id."""
    rid = str(record["id"])
    if rid in record_ids(review, section):
        review.replace_record(section, rid, dict(record))
    else:
        review.add_record(section, dict(record))
    return rid


def evidence(review: Review) -> dict[str, dict]:
    """Evidence store: id -> record (with at least ``rung``; metric fields such as ``key``)."""
    if review is None:
        return {}
    return dict(review.evidence)


def evidence_rung(record: dict) -> int | None:
    """The evaluation-phase rung of one evidence record (``None`` if it carries none)."""
    rung = record.get("rung")
    if rung is None and isinstance(record.get("result"), dict):
        rung = record["result"].get("rung")
    try:
        return None if rung is None else int(rung)
    except (TypeError, ValueError):
        return None


def evidence_key(record: dict) -> str:
    """The metric key of one evidence record, wherever the Review stores it (``""`` if none)."""
    for holder in (record, record.get("result"), record.get("metric")):
        if isinstance(holder, dict) and holder.get("key"):
            return str(holder["key"])
    return ""
