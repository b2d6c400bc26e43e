"""Answer statuses and the :class:`Answer` record, with the rules every answer obeys.

Rules (after the CLAIM online checklist and Datasheets/Model Cards):

* ``yes`` and ``partly`` should carry a justification; without one the answer is kept but flagged
  ``needs_justification`` (a warning, not an error).
* ``not_applicable`` and ``unknown`` are legitimate answers but need a reason (an error without one);
  neither ever counts as ``yes``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from misyn_lab.checklist.loader import suggest
from misyn_lab.errors import InputError

STATUSES: tuple[str, ...] = ("yes", "partly", "no", "not_applicable", "unknown", "unanswered")
#: Each status in words, as every document and view shows it (``not_applicable`` is "N/A").
ANSWER_LABELS: dict[str, str] = {"yes": "Yes", "partly": "Partly", "no": "No", "not_applicable": "N/A",
                                 "unknown": "Unknown", "unanswered": "Unanswered"}
#: Statuses that make an item a gap.
GAP_STATUSES: frozenset[str] = frozenset({"no", "partly", "unknown", "unanswered"})
#: Statuses that should carry a justification (warning when missing).
JUSTIFY_STATUSES: frozenset[str] = frozenset({"yes", "partly"})
#: Statuses that must carry a reason (error when missing).
REASON_STATUSES: frozenset[str] = frozenset({"not_applicable", "unknown"})
#: Order of concern used to combine several reviewers' answers into one item status (first = worst).
CONCERN_ORDER: tuple[str, ...] = ("unanswered", "no", "unknown", "partly", "not_applicable", "yes")

_ALIASES = {"n/a": "not_applicable", "na": "not_applicable", "not-applicable": "not_applicable",
            "not applicable": "not_applicable", "y": "yes", "n": "no", "partial": "partly"}


class MissingJustificationWarning(UserWarning):
    """Warning: a ``yes``/``partly`` answer was given without a justification.

    The answer is stored anyway (nothing is lost); the warning asks the reviewer to say why.

    Examples
    --------
    >>> import warnings
    >>> from misyn_lab.checklist import Review
    >>> review = Review.new("demo", reviewer="ana")
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = review.set_answer("TS-1", "ana", "yes")
    >>> [w.category.__name__ for w in caught]
    ['MissingJustificationWarning']
    """


def utc_now() -> str:
    """Current UTC time as ISO 8601 with microseconds."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def normalise_status(status: str) -> str:
    """Return the canonical status; unknown statuses raise :class:`InputError` with a hint."""
    text = str(status).strip().lower()
    text = _ALIASES.get(text, text)
    if text not in STATUSES:
        raise InputError(f"unknown answer status {status!r}{suggest(str(status), list(STATUSES))}",
                         remedy="use one of " + ", ".join(STATUSES))
    return text


@dataclass(frozen=True)
class Answer:
    """One reviewer's answer to one checklist item (immutable; :meth:`Review.set_answer` makes new ones).

    Parameters
    ----------
    status : str
        One of :data:`~misyn_lab.checklist.STATUSES` (``yes``, ``partly``, ``no``, ``not_applicable``, ``unknown``).
    justification : str, optional
        Why; required in practice for ``yes``/``partly`` (see :class:`MissingJustificationWarning`).
    evidence : tuple of str, optional
        Ids of evidence records in the review that support the answer.
    updated : str, optional
        ISO 8601 UTC time of the last change.
    reviewer : str, optional
        Who answered.
    extra : dict, optional
        Unknown keys read from a file, kept so a round trip loses nothing.

    Examples
    --------
    >>> a = Answer("partly", "Only the dataset card says it.", reviewer="ana")
    >>> a.needs_justification, a.to_dict()["status"]
    (False, 'partly')
    >>> Answer("yes").needs_justification
    True
    """

    status: str
    justification: str = ""
    evidence: tuple[str, ...] = ()
    updated: str = ""
    reviewer: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=True)

    @property
    def needs_justification(self) -> bool:
        return self.status in JUSTIFY_STATUSES and not self.justification.strip()

    def to_dict(self) -> dict[str, Any]:
        """File form (the reviewer is the key above it, so it is not repeated)."""
        out: dict[str, Any] = {"status": self.status, "justification": self.justification,
                               "evidence": list(self.evidence), "updated": self.updated}
        out.update(self.extra)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any], reviewer: str) -> "Answer":
        known = {"status", "justification", "evidence", "updated", "reviewer"}
        return cls(status=data["status"], justification=data.get("justification") or "",
                   evidence=tuple(data.get("evidence") or ()), updated=data.get("updated") or "",
                   reviewer=reviewer, extra={k: v for k, v in data.items() if k not in known})


def make_answer(item_id: str, reviewer: str, status: str, justification: str = "",
                evidence: tuple[str, ...] | list[str] = (), *, updated: str | None = None) -> Answer:
    """Build an answer, applying the rules above (errors for missing reasons, warnings for missing justification)."""
    if not isinstance(reviewer, str) or not reviewer.strip():
        raise InputError("an answer needs a reviewer name", remedy="pass reviewer='your name'")
    status = normalise_status(status)
    justification = "" if justification is None else str(justification)
    if status in REASON_STATUSES and not justification.strip():
        raise InputError(f"item {item_id}: status {status!r} needs a reason", remedy="pass a justification "
                         f"saying why the item is {status.replace('_', ' ')}")
    if status in JUSTIFY_STATUSES and not justification.strip():
        warnings.warn(f"item {item_id}: {reviewer} answered {status!r} without a justification; the answer is kept "
                      "and flagged 'needs_justification'", MissingJustificationWarning, stacklevel=3)
    return Answer(status=status, justification=justification, evidence=tuple(str(e) for e in evidence),
                  updated=updated or utc_now(), reviewer=reviewer)
