"""The checklist for non-technical stakeholders, regulators and the public, and their concerns.

The plain-language view is generated from the checklist items' ``stakeholder_question`` and ``good_answer``
(``misyn_lab.checklist.load_checklist``): there is no second copy of the items. A stakeholder can raise a
question, an objection or a refusal against an item (:func:`raise_concern`); it is stored in the Review
section ``"stakeholder_questions"`` with name, role and time, and stays ``open`` until the developers
answer it (:func:`respond`).
"""

from __future__ import annotations

import html
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from misyn_lab.errors import InputError
from misyn_lab.instruments import _review

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


def _checklist(checklist: Any = None) -> Any:
    if checklist is not None:
        return checklist
    from misyn_lab.checklist.loader import load_checklist

    return load_checklist()


def stakeholder_items(checklist: Any = None) -> list[StakeholderItem]:
    """The plain-language view of every checklist item, in checklist order."""
    from misyn_lab.checklist.loader import STAGE_TITLES

    return [StakeholderItem(it.id, it.stage, STAGE_TITLES.get(it.stage, it.stage), it.title,
                            it.stakeholder_question, it.good_answer) for it in _checklist(checklist)]


def to_markdown(checklist: Any = None, review: Any = None) -> str:
    """The stakeholder checklist as markdown (with open concerns per item when a review is given)."""
    concerns = _concerns_by_item(review)
    lines = ["# Questions anyone can ask about this medical image synthesis", "", INTRO, ""]
    stage = None
    for it in stakeholder_items(checklist):
        if it.stage != stage:
            stage = it.stage
            lines += [f"## {_md(it.stage_title)}", ""]
        lines.append(f"- **{_md(it.question)}** ({it.item_id}, {_md(it.title)})")
        lines.append(f"  - A good answer: {_md(it.good_answer)}")
        for c in concerns.get(it.item_id, []):
            lines.append(f"  - {c['kind'].capitalize()} from {_md(c['name'])} ({_md(c['role'])}), {c['status']}: "
                         f"{_md(c['text'])}")
    return "\n".join(lines) + "\n"


def _md(text: Any) -> str:
    """Escape markdown/HTML control characters in user text."""
    out = html.escape(str(text), quote=False)
    for ch in "\\`*_[]#|":
        out = out.replace(ch, "\\" + ch)
    return " ".join(out.split())


def to_html(checklist: Any = None, review: Any = None, *, standalone: bool = True) -> str:
    """The stakeholder checklist as one standalone HTML page (all text escaped); ``standalone=False``
    gives the body fragment (for notebooks)."""
    esc = lambda s: html.escape(str(s), quote=True)  # noqa: E731
    concerns = _concerns_by_item(review)
    head = ["<!DOCTYPE html>", "<html lang=\"en\"><head><meta charset=\"utf-8\">",
            "<title>Questions anyone can ask about this medical image synthesis</title>",
            "<style>body{font-family:sans-serif;max-width:48em;margin:2em auto;line-height:1.45}"
            "dt{font-weight:bold;margin-top:1em}dd{margin-left:1.2em}.id{color:#666;font-size:.85em}"
            ".concern{border-left:3px solid #c60;padding-left:.5em;margin:.3em 0}</style></head><body>"]
    parts = (head if standalone else ["<div class=\"misyn-stakeholder\">"]) + [
        "<h1>Questions anyone can ask about this medical image synthesis</h1>", f"<p>{esc(INTRO)}</p>"]
    stage = None
    for it in stakeholder_items(checklist):
        if it.stage != stage:
            if stage is not None:
                parts.append("</dl>")
            stage = it.stage
            parts += [f"<h2>{esc(it.stage_title)}</h2>", "<dl>"]
        parts.append(f"<dt>{esc(it.question)} <span class=\"id\">({esc(it.item_id)}, {esc(it.title)})</span></dt>")
        parts.append(f"<dd>A good answer: {esc(it.good_answer)}")
        for c in concerns.get(it.item_id, []):
            parts.append(f"<div class=\"concern\">{esc(c['kind'].capitalize())} from {esc(c['name'])} "
                         f"({esc(c['role'])}), {esc(c['status'])}: {esc(c['text'])}</div>")
        parts.append("</dd>")
    if stage is not None:
        parts.append("</dl>")
    parts.append("</body></html>" if standalone else "</div>")
    return "\n".join(parts) + "\n"


def _concerns_by_item(review: Any) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    if review is None:
        return out
    for c in concerns(review):
        out.setdefault(str(c.get("item_id")), []).append(c)
    return out


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def raise_concern(review: Any, item_id: str, name: str, role: str, kind: str, text: str, *,
                  checklist: Any = None) -> str:
    """Record a stakeholder's question, objection or refusal against a checklist item; returns its id."""
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


def respond(review: Any, concern_id: str, responder: str, text: str, *, close: bool = True) -> dict:
    """Answer a concern (status becomes ``answered`` unless ``close=False``); returns the updated record."""
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


def concerns(review: Any) -> list[dict]:
    """Every stakeholder concern in the review, oldest first."""
    return sorted(_review.records(review, SECTION), key=lambda c: (str(c.get("time", "")), str(c.get("id"))))


def open_concerns(review: Any) -> list[dict]:
    """Concerns the developers have not answered yet."""
    return [c for c in concerns(review) if c.get("status", "open") == "open"]
