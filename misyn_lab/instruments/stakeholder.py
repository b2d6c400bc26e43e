"""The checklist for non-technical stakeholders, regulators and the public, and their concerns.

The plain-language view is generated from the checklist items' ``stakeholder_question`` and ``good_answer``
(``misyn_lab.checklist.load_checklist``): there is no second copy of the items. A stakeholder can raise a
question, an objection or a refusal against an item (:func:`raise_concern`); it is stored in the Review
section ``"stakeholder_questions"`` with name, role and time, and stays ``open`` until the developers
answer it (:func:`respond`). The checklist as a document (HTML or Markdown) is
:func:`misyn_lab.instruments.document.stakeholder_document`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from misyn_lab.errors import InputError
from misyn_lab.instruments import _review

if TYPE_CHECKING:
    from misyn_lab.checklist.review import Review
    from misyn_lab.checklist.loader import Checklist

SECTION = "stakeholder_questions"
KINDS = ("question", "objection", "refusal")
INTRO = ("Anyone can ask these questions about a medical image synthesis (MISyn) project: patients, "
         "clinicians, regulators, the public. Each question comes with what a good answer looks like. "
         "You may question, object to, or refuse a MISyn use; the developers must answer.")


@dataclass(frozen=True)
class StakeholderItem:
    """One plain-language question (taken from a checklist item)."""

    item_id: str
    stage: str
    stage_title: str
    title: str
    question: str
    good_answer: str


def _checklist(checklist: Checklist | None = None) -> Checklist:
    if checklist is not None:
        return checklist
    from misyn_lab.checklist.loader import load_checklist

    return load_checklist()


def stakeholder_items(checklist: Checklist | None = None) -> list[StakeholderItem]:
    """The plain-language view of every checklist item, in checklist order.

    Parameters
    ----------
    checklist : Checklist, optional
        The checklist (default: the bundled one).

    Returns
    -------
    list of StakeholderItem
        Item id, stage, title, the question in plain words and what a good answer contains.

    Examples
    --------
    >>> items = stakeholder_items()
    >>> len(items), items[0].item_id
    (45, 'TS-1')
    """
    from misyn_lab.checklist.loader import STAGE_TITLES

    return [StakeholderItem(it.id, it.stage, STAGE_TITLES.get(it.stage, it.stage), it.title,
                            it.stakeholder_question, it.good_answer) for it in _checklist(checklist)]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def raise_concern(review: Review, item_id: str, name: str, role: str, kind: str, text: str, *,
                  checklist: Checklist | None = None) -> str:
    """Record a stakeholder's question, objection or refusal against a checklist item.

    Parameters
    ----------
    review : Review
        The review holding the records.
    item_id : str
        The checklist item it concerns.
    name, role : str
        Who raises it and in what role (patient, clinician, ...).
    kind : str
        ``question``, ``objection`` or ``refusal``.
    text : str
        The concern in their words.
    checklist : Checklist, optional
        The checklist (default: the review's).

    Returns
    -------
    str
        The concern's id.

    Raises
    ------
    InputError
        An unknown item, an unknown kind, or an empty text.

    Examples
    --------
    >>> from misyn_lab.checklist import Review
    >>> review = Review.new("demo", reviewer="ana")
    >>> raise_concern(review, "TS-1", "Dr. Lee", "clinician", "question", "Who labels the images?")
    'concern-...'
    """
    cl = _checklist(checklist)
    cl.item(item_id)  # unknown id -> InputError with suggestions
    if kind not in KINDS:
        raise InputError(f"unknown concern kind {kind!r}", remedy=f"use one of {', '.join(KINDS)}")
    for field_name, value in (("name", name), ("role", role), ("text", text)):
        if not str(value or "").strip():
            raise InputError(f"concern {field_name} is empty",
                             remedy="say who raises the concern (name or pseudonym, role) and what it is")
    cid = f"concern-{uuid.uuid4().hex[:12]}"
    _review.upsert(review, SECTION, {"id": cid, "item_id": item_id, "name": str(name).strip(),
                                     "role": str(role).strip(), "kind": kind, "text": str(text).strip(),
                                     "time": _now(), "status": "open", "responses": []})
    return cid


def respond(review: Review, concern_id: str, responder: str, text: str, *, close: bool = True) -> dict:
    """Answer a concern; its status becomes ``answered`` unless ``close=False``.

    Parameters
    ----------
    review : Review
        The review holding the records.
    concern_id : str
        The concern.
    responder : str
        Who answers.
    text : str
        The answer.
    close : bool, optional
        Mark the concern answered.

    Returns
    -------
    dict
        The updated concern record.

    Raises
    ------
    InputError
        An unknown concern id.

    Examples
    --------
    >>> from misyn_lab.checklist import Review
    >>> review = Review.new("demo", reviewer="ana")
    >>> from misyn_lab.instruments import open_concerns, raise_concern
    >>> cid = raise_concern(review, "TS-1", "Dr. Lee", "clinician", "question", "Who labels the images?")
    >>> respond(review, cid, "ana", "Every file carries an XMP mark and is registered.")["status"]
    'answered'
    >>> open_concerns(review)
    []
    """
    record = next((c for c in concerns(review) if c.get("id") == concern_id), None)
    if record is None:
        raise InputError(f"unknown concern id {concern_id!r}", remedy="use an id from open_concerns(review)")
    if not str(responder or "").strip() or not str(text or "").strip():
        raise InputError("a response needs the responder's name and a text", remedy="say who answers and what")
    responses = list(record.get("responses") or []) + [
        {"responder": str(responder).strip(), "text": str(text).strip(), "time": _now()}]
    status = "answered" if close else record.get("status", "open")
    review.update_record(SECTION, concern_id, responses=responses, status=status)
    return {**record, "responses": responses, "status": status}


def concerns(review: Review) -> list[dict]:
    """Every stakeholder concern in the review, oldest first."""
    return sorted(_review.records(review, SECTION), key=lambda c: (str(c.get("time", "")), str(c.get("id"))))


def open_concerns(review: Review) -> list[dict]:
    """Concerns the developers have not answered yet.

    Parameters
    ----------
    review : Review
        The review holding the records.

    Returns
    -------
    list of dict
        The open concern records.

    Examples
    --------
    >>> from misyn_lab.checklist import Review
    >>> review = Review.new("demo", reviewer="ana")
    >>> from misyn_lab.instruments import raise_concern
    >>> _ = raise_concern(review, "TS-1", "Dr. Lee", "clinician", "question", "Who labels the images?")
    >>> [c["text"] for c in open_concerns(review)]
    ['Who labels the images?']
    """
    return [c for c in concerns(review) if c.get("status", "open") == "open"]


__all__ = ["SECTION", "KINDS", "INTRO", "StakeholderItem", "stakeholder_items", "raise_concern", "respond", "concerns",
           "open_concerns"]
