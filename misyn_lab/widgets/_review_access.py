"""The few Review reads/writes the widgets use, in one place (a thin adapter over misyn_lab.checklist.Review)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from misyn_lab.checklist.answers import ANSWER_LABELS, JUSTIFY_STATUSES, REASON_STATUSES
from misyn_lab.checklist.answers import STATUSES as _ALL_STATUSES

if TYPE_CHECKING:
    from misyn_lab.checklist.review import Review

#: Answer statuses, in the order the buttons show them (every status but "unanswered").
STATUSES: tuple[str, ...] = tuple(s for s in _ALL_STATUSES if s != "unanswered")
#: Button labels for the statuses.
STATUS_LABELS: dict[str, str] = {s: ANSWER_LABELS[s] for s in STATUSES}
#: Statuses that claim the recommendation is met (CLAIM-style: need a pasted justification).
CLAIMING = JUSTIFY_STATUSES
#: Statuses that need a stated reason (never counted as "yes").
NEEDS_REASON = REASON_STATUSES


def answers_for(review: Review, item_id: str) -> dict[str, dict]:
    """``{reviewer: answer dict}`` for one item (answer dicts have status, justification, evidence)."""
    out = {}
    for reviewer, ans in (review.answers.get(item_id) or {}).items():
        out[str(reviewer)] = _as_dict(ans)
    return out


def answer_of(review: Review, item_id: str, reviewer: str) -> dict | None:
    return answers_for(review, item_id).get(reviewer)


def linked_by(review: Review, item_id: str, reviewer: str) -> list[str]:
    """Evidence ids linked to ``item_id`` (``review.links``, saved in the file) by ``reviewer``, in link order.

    Who linked what is read from the review's history, so it survives a kernel restart."""
    linked = list(review.links.get(item_id, []))
    mine = {h.get("what") for h in review.history if h.get("reviewer") == reviewer}
    return [e for e in linked if f"link evidence {e} to {item_id}" in mine]


def evidence_store(review: Review) -> dict[str, dict]:
    return {str(k): _as_dict(v) for k, v in dict(review.evidence).items()}


def _as_dict(obj: Any) -> dict:
    if isinstance(obj, dict):
        return obj
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    return dict(vars(obj))


def answer_problem(status: str | None, justification: str) -> str:
    """The warning an answer deserves, or ``""`` (pure)."""
    text = (justification or "").strip()
    if status in CLAIMING and not text:
        return ("A '" + STATUS_LABELS[status] + "' answer needs a justification: paste the wording, result or "
                "document that shows it (CLAIM-style check).")
    if status in NEEDS_REASON and not text:
        return f"'{STATUS_LABELS[status]}' needs a reason; it is never counted as 'yes'."
    return ""
