"""`Review`: the one container of checklist answers, evidence, review instruments and their history.

A Review holds, per checklist item and per reviewer, an :class:`~misyn_lab.checklist.answers.Answer`; an
evidence store (metric results with the evaluation rung they stand on); links from items to evidence that
do not need an answer yet (:meth:`Review.link_evidence`); generic record sections (claims,
limitations, reader answers, stakeholder questions) that the instruments build typed objects on; a history
of every change; and a revision number incremented on each save. Saving is atomic, locked and merging
(see :mod:`misyn_lab.checklist.review_io`): two processes saving the same file never lose an update.
Text is stored exactly as given (escaping is the renderer's job).
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from misyn_lab.checklist.answers import STATUSES, Answer, make_answer, utc_now
from misyn_lab.checklist.loader import Checklist, load_checklist, suggest
from misyn_lab.checklist.merge import merge_data
from misyn_lab.checklist.review_format import KIND, KNOWN_KEYS, RECORD_SECTIONS, SCHEMA_VERSION, canonical
from misyn_lab.checklist.review_io import read_review_data, save_review
from misyn_lab.errors import InputError
from misyn_lab.plain import to_plain
from misyn_lab.rungs import RUNG_NAMES

#: Evaluation rungs by number (the one list lives in :mod:`misyn_lab.rungs`).
RUNGS: dict[int, str] = RUNG_NAMES


def _jsonable(value: Any, what: str) -> Any:
    cleaned = to_plain(value)  # NaN/numpy -> plain values
    try:
        json.dumps(cleaned, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{what} is not plain data (JSON/YAML-serialisable): {exc}",
                         remedy="store numbers, strings, lists and dicts only") from None
    return cleaned


@dataclass(frozen=True)
class ChecklistChanges:
    """How the checklist changed since a review was written (from :meth:`Review.checklist_changes`).

    Parameters
    ----------
    old_version, new_version : str
        The checklist version recorded in the review and the current one.
    changed : bool
        Whether the checklist content differs from the one the review was written against.
    removed : tuple of str
        Answered item ids the current checklist retired without a replacement.
    renamed : dict
        ``{old id: new id}`` for retired items that have a replacement.
    new : tuple of str
        Item ids the review has no answer for yet.
    orphaned : tuple of str
        Answered item ids the current checklist does not know (kept in the file, never dropped).

    Examples
    --------
    >>> from misyn_lab.checklist import Review
    >>> changes = Review.new("demo").checklist_changes()
    >>> changes.changed, changes.orphaned
    (False, ())
    """

    old_version: str
    new_version: str
    changed: bool
    removed: tuple[str, ...]
    renamed: dict[str, str]
    new: tuple[str, ...]
    orphaned: tuple[str, ...]

    def __str__(self) -> str:
        if not self.changed and not self.orphaned:
            return f"checklist unchanged (version {self.new_version})"
        parts = [f"checklist {self.old_version} -> {self.new_version}"]
        if self.removed:
            parts.append("removed: " + ", ".join(self.removed))
        if self.renamed:
            parts.append("renamed: " + ", ".join(f"{a}->{b}" for a, b in self.renamed.items()))
        if self.new:
            parts.append("new: " + ", ".join(self.new))
        if self.orphaned:
            parts.append("answers kept for items no longer in the checklist: " + ", ".join(self.orphaned))
        return "; ".join(parts)


class Review:
    """Answers of one or more reviewers to the checklist, with evidence, records and history.

    A review is one lossless file (YAML or JSON): answers per item and reviewer, content-addressed evidence
    records (measured results with split and n), links from items to evidence, record sections (claims,
    limitations, reader answers, stakeholder questions), conflicts kept as alternatives, and a history of every
    change. :meth:`save` is atomic and locked and merges saves made meanwhile by other processes
    (:func:`~misyn_lab.checklist.merge.three_way`).

    Parameters
    ----------
    title : str, optional
        Title of the review.
    checklist : Checklist, optional
        The checklist answered (default: the bundled one, :func:`load_checklist`).
    reviewers : list of str, optional
        Reviewer names to register up front.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> review = Review.new("My MISyn review", reviewer="ana")
    >>> review.set_answer("TS-1", "ana", "no", "No dataset card yet.").status
    'no'
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "review.yaml"
    >>> _ = review.save(path)
    >>> Review.load(path).statuses("TS-1")
    {'ana': 'no'}
    """

    def __init__(self, title: str = "", *, checklist: Checklist | None = None, reviewers: list[str] | None = None):
        self.checklist: Checklist = checklist or load_checklist()
        now = utc_now()
        self.title: str = str(title)
        self.created: str = now
        self.updated: str = now
        self.revision: int = 0
        self.checklist_info: dict[str, Any] = self._current_checklist_info()
        self.reviewers: list[str] = []
        self.answers: dict[str, dict[str, Answer]] = {}
        self.evidence: dict[str, dict[str, Any]] = {}
        #: ``{item_id: [evidence ids]}`` linked to an item directly (independent of any answer).
        self.links: dict[str, list[str]] = {}
        self.sections: dict[str, list[dict[str, Any]]] = {name: [] for name in RECORD_SECTIONS}
        self.conflicts: list[dict[str, Any]] = []
        self.history: list[dict[str, Any]] = []
        self.extra: dict[str, Any] = {}
        self.path: Path | None = None
        self._base_data: dict[str, Any] | None = None  # state as last loaded/saved (for three-way merges)
        for name in reviewers or []:
            self.add_reviewer(name)

    # ------------------------------------------------------------------ construction / persistence
    @classmethod
    def new(cls, title: str = "", *, reviewer: str | None = None, checklist: Checklist | None = None) -> "Review":
        """A fresh, empty review."""
        return cls(title, checklist=checklist, reviewers=[reviewer] if reviewer else None)

    @classmethod
    def load(cls, path: str | Path, *, checklist: Checklist | None = None) -> "Review":
        """Load a review file (YAML, or JSON by suffix); see :func:`misyn_lab.checklist.review_io.read_review_data`."""
        data = read_review_data(path)
        review = cls.from_data(data, checklist=checklist)
        review.path = Path(path)
        return review

    def save(self, path: str | Path | None = None, *, on_conflict: str = "raise", overwrite: bool = False,
             timeout: float = 30.0) -> Path:
        """Save atomically under a file lock, merging with changes another process saved meanwhile.

        ``on_conflict="raise"`` raises :class:`~misyn_lab.errors.ConflictError` when the same reviewer's
        answer to the same item changed on both sides; ``"keep_both"`` keeps both (history + ``conflicts``).
        ``overwrite=True`` replaces the file without merging.
        """
        return save_review(self, path, on_conflict=on_conflict, overwrite=overwrite, timeout=timeout)

    @classmethod
    def from_data(cls, data: dict[str, Any], *, checklist: Checklist | None = None) -> "Review":
        """Build a review from its (already validated) file data. Nothing is dropped."""
        review = cls(data.get("title", ""), checklist=checklist)
        review._set_data(data)
        review._base_data = copy.deepcopy(review.to_data())
        return review

    def _set_data(self, data: dict[str, Any]) -> None:
        data = copy.deepcopy(data)
        self.title = data.get("title", "")
        self.revision = int(data.get("revision", 0))
        self.created = data.get("created") or self.created
        self.updated = data.get("updated") or self.updated
        self.checklist_info = data.get("checklist") or {}
        self.reviewers = list(data.get("reviewers") or [])
        self.answers = {
            item: {rev: Answer.from_dict(a, rev) for rev, a in (per or {}).items()}
            for item, per in (data.get("answers") or {}).items()
        }
        self.evidence = dict(data.get("evidence") or {})
        self.links = {str(item): [str(e) for e in ids or []] for item, ids in (data.get("links") or {}).items()}
        self.sections = {name: list(data.get(name) or []) for name in RECORD_SECTIONS}
        self.conflicts = list(data.get("conflicts") or [])
        self.history = list(data.get("history") or [])
        self.extra = {k: v for k, v in data.items() if k not in KNOWN_KEYS}

    def to_data(self) -> dict[str, Any]:
        """The file form: plain dicts/lists/strings, answers in checklist order (deterministic)."""
        order = {item_id: i for i, item_id in enumerate(self.checklist.ids)}
        item_keys = sorted(self.answers, key=lambda k: (order.get(k, len(order)), k))
        data: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "kind": KIND,
            "title": self.title,
            "revision": self.revision,
            "created": self.created,
            "updated": self.updated,
            "checklist": copy.deepcopy(self.checklist_info),
            "reviewers": list(self.reviewers),
            "answers": {k: {r: self.answers[k][r].to_dict() for r in sorted(self.answers[k])}
                        for k in item_keys if self.answers[k]},
            "evidence": copy.deepcopy(self.evidence),
            "links": {k: list(self.links[k]) for k in sorted(self.links, key=lambda k: (order.get(k, len(order)), k))
                      if self.links[k]},  # items in checklist order, ids in link order
        }
        for name in RECORD_SECTIONS:
            data[name] = copy.deepcopy(self.sections[name])
        data["conflicts"] = copy.deepcopy(self.conflicts)
        data["history"] = copy.deepcopy(self.history)
        data.update(copy.deepcopy(self.extra))
        return data

    def _current_checklist_info(self) -> dict[str, Any]:
        return {"version": self.checklist.version, "hash": self.checklist.content_hash,
                "ids": list(self.checklist.ids)}

    # ------------------------------------------------------------------ history
    def _log(self, reviewer: str, what: str, old: Any, new: Any) -> None:
        entry = {"time": utc_now(), "reviewer": reviewer, "what": what,
                 "old": copy.deepcopy(old), "new": copy.deepcopy(new)}
        self.history.append(entry)
        self.updated = entry["time"]

    # ------------------------------------------------------------------ reviewers and answers
    def add_reviewer(self, name: str) -> None:
        """Register a reviewer (idempotent)."""
        if not isinstance(name, str) or not name.strip():
            raise InputError("reviewer name must be a non-empty string", remedy="pass reviewer='your name'")
        if name not in self.reviewers:
            self.reviewers.append(name)
            self._log(name, "add reviewer", None, name)

    def set_answer(self, item_id: str, reviewer: str, status: str, justification: str = "",
                   evidence: list[str] | tuple[str, ...] = ()) -> Answer:
        """Record ``reviewer``'s answer to ``item_id`` (see :mod:`misyn_lab.checklist.answers` for the rules)."""
        self.checklist.item(item_id)  # unknown id -> InputError with suggestions
        for ev in evidence:
            if ev not in self.evidence:
                raise InputError(f"item {item_id}: unknown evidence id {ev!r}{suggest(ev, list(self.evidence))}",
                                 remedy="add the evidence first with review.add_evidence(...)")
        answer = make_answer(item_id, reviewer, status, justification, evidence)
        self.add_reviewer(reviewer)
        old = self.answers.get(item_id, {}).get(reviewer)
        self.answers.setdefault(item_id, {})[reviewer] = answer
        before = len(self.conflicts)
        self.conflicts = [c for c in self.conflicts
                          if not (c.get("kind") == "answer" and c.get("item") == item_id and c.get("reviewer") == reviewer)]
        what = f"answer {item_id}" + (" (resolves conflict)" if len(self.conflicts) != before else "")
        self._log(reviewer, what, None if old is None else old.to_dict(), answer.to_dict())
        return answer

    def answer(self, item_id: str, reviewer: str) -> Answer | None:
        """``reviewer``'s answer to ``item_id``, or ``None``."""
        return self.answers.get(item_id, {}).get(reviewer)

    def statuses(self, item_id: str) -> dict[str, str]:
        """``{reviewer: status}`` for one item, ``"unanswered"`` for listed reviewers without an answer."""
        given = {r: a.status for r, a in self.answers.get(item_id, {}).items()}
        return {**{r: "unanswered" for r in self.reviewers}, **given}

    def orphaned(self) -> list[str]:
        """Answered item ids that are not in the current checklist (removed or renamed items); kept, not lost."""
        return [k for k in self.answers if k not in self.checklist and self.answers[k]]

    def conflicted(self) -> list[tuple[str, str]]:
        """``(item, reviewer)`` pairs whose answer is in conflict (both versions kept)."""
        return [(c["item"], c["reviewer"]) for c in self.conflicts if c.get("kind") == "answer"]

    def checklist_changes(self) -> ChecklistChanges:
        """Removed, renamed and new items since the review was written, and orphaned answers."""
        old_ids = list(self.checklist_info.get("ids") or [])
        current = set(self.checklist.ids)
        renamed_map = self.checklist.renamed()
        gone = [i for i in old_ids if i not in current]
        renamed = {i: renamed_map[i] for i in gone if i in renamed_map}
        removed = tuple(i for i in gone if i not in renamed)
        new = tuple(i for i in self.checklist.ids if old_ids and i not in set(old_ids))
        changed = (self.checklist_info.get("hash") not in (None, self.checklist.content_hash)
                   or bool(gone) or bool(new))
        return ChecklistChanges(old_version=str(self.checklist_info.get("version", "?")),
                                new_version=self.checklist.version, changed=changed, removed=removed,
                                renamed=renamed, new=new, orphaned=tuple(self.orphaned()))

    # ------------------------------------------------------------------ evidence
    def add_evidence(self, result: Any, *, rung: int = 1, source: str = "", note: str = "",
                     reviewer: str = "") -> str:
        """Store a MetricResult (or a dict) as evidence; returns its deterministic id (hash of the content)."""
        if hasattr(result, "to_dict") and callable(result.to_dict):
            payload = result.to_dict()
        elif isinstance(result, dict):
            payload = dict(result)
        else:
            raise InputError(f"evidence must be a MetricResult or a dict, not {type(result).__name__}",
                             remedy="pass metric_result or a dict such as {'key': ..., 'value': ...}")
        if isinstance(rung, bool) or not isinstance(rung, int) or rung not in RUNGS:
            raise InputError(f"evidence rung must be an integer 1-5, not {rung!r}",
                             remedy="1 = model space, 2 = expert readers, 3 = downstream task, "
                             "4 = clinical workflow, 5 = follow-up after deployment")
        record = {"key": str(payload.get("key", "")), "rung": rung, "source": str(source), "note": str(note),
                  "result": _jsonable(payload, "evidence")}
        ev_id = "ev-" + hashlib.sha256(canonical(record).encode("utf-8")).hexdigest()[:12]
        if ev_id not in self.evidence:
            self.evidence[ev_id] = record
            self._log(reviewer, f"add evidence {ev_id}", None,
                      {"key": record["key"], "rung": rung, "source": record["source"]})
        return ev_id

    def link_evidence(self, item_id: str, evidence_id: str, *, reviewer: str | None = None) -> str:
        """Link stored evidence to a checklist item, with or without an answer (idempotent); returns the id.

        The link is saved in the file (``links``), logged in the history and kept by every merge (union).
        Unknown item or evidence id -> :class:`InputError` with a suggestion.
        """
        self.checklist.item(item_id)  # unknown id -> InputError with suggestions
        if not isinstance(evidence_id, str) or evidence_id not in self.evidence:
            raise InputError(f"item {item_id}: unknown evidence id {evidence_id!r}"
                             f"{suggest(str(evidence_id), list(self.evidence))}",
                             remedy="add the evidence first with review.add_evidence(...), which returns its id")
        linked = self.links.setdefault(item_id, [])
        if evidence_id not in linked:
            linked.append(evidence_id)
            self._log(reviewer or "", f"link evidence {evidence_id} to {item_id}", None,
                      {"item": item_id, "evidence": evidence_id})
        return evidence_id

    def evidence_for(self, item_id: str) -> list[str]:
        """Evidence ids of an item: those linked directly (in link order), then those cited in any reviewer's
        answer (reviewers in name order), without repeats. Items no longer in the checklist but present in the
        file (orphaned) are answered too; an id unknown everywhere -> :class:`InputError`."""
        if item_id not in self.links and item_id not in self.answers:
            self.checklist.item(item_id)  # unknown id -> InputError with suggestions
        per = self.answers.get(item_id, {})
        cited = [e for reviewer in sorted(per) for e in per[reviewer].evidence]
        return list(dict.fromkeys([*self.links.get(item_id, []), *cited]))

    # ------------------------------------------------------------------ generic record sections
    def _section(self, section: str) -> list[dict[str, Any]]:
        if section not in RECORD_SECTIONS:
            raise InputError(f"unknown record section {section!r}{suggest(section, list(RECORD_SECTIONS))}",
                             remedy="use one of " + ", ".join(RECORD_SECTIONS))
        return self.sections[section]

    def records(self, section: str) -> list[dict[str, Any]]:
        """Copies of the records of one section, in order."""
        return copy.deepcopy(self._section(section))

    def record(self, section: str, record_id: str) -> dict[str, Any]:
        """A copy of one record; unknown id -> :class:`InputError`."""
        rows = self._section(section)
        for row in rows:
            if row["id"] == record_id:
                return copy.deepcopy(row)
        raise InputError(f"no record {record_id!r} in {section}{suggest(record_id, [r['id'] for r in rows])}",
                         remedy=f"list the ids with review.records({section!r})")

    def add_record(self, section: str, record: dict[str, Any], /, *, _by: str = "") -> str:
        """Append a record (a dict with a unique string ``"id"``; every other key is kept as given).

        ``_by`` names who made the change (history); underscored so that no record key can collide with it.
        """
        rows = self._section(section)
        if not isinstance(record, dict) or not isinstance(record.get("id"), str) or not record["id"]:
            raise InputError(f"a {section} record must be a dict with a non-empty string 'id'",
                             remedy="e.g. {'id': 'C1', ...}")
        if any(r["id"] == record["id"] for r in rows):
            raise InputError(f"{section} already has a record with id {record['id']!r}",
                             remedy="use update_record() or replace_record() to change it, or choose another id")
        row = _jsonable(copy.deepcopy(record), f"{section} record {record['id']!r}")
        rows.append(row)
        self._log(_by, f"add {section} {row['id']}", None, copy.deepcopy(row))
        return row["id"]

    def _row_index(self, section: str, record_id: str) -> int:
        rows = self._section(section)
        for i, row in enumerate(rows):
            if row["id"] == record_id:
                return i
        raise InputError(f"no record {record_id!r} in {section}{suggest(record_id, [r['id'] for r in rows])}",
                         remedy=f"list the ids with review.records({section!r})")

    def update_record(self, section: str, record_id: str, changes: dict[str, Any] | None = None, /, *,
                      _by: str = "", **fields: Any) -> dict[str, Any]:
        """Change some fields of a record (others are kept; the id cannot change). Returns the new record.

        Fields come as ``changes`` (a dict: any key, including ``by``) and/or keyword arguments; ``_by`` names
        who made the change.
        """
        fields = {**(changes or {}), **fields}
        if "id" in fields and fields["id"] != record_id:
            raise InputError(f"{section} record ids never change ({record_id!r})",
                             remedy="add a new record instead")
        rows = self._section(section)
        i = self._row_index(section, record_id)
        old = copy.deepcopy(rows[i])
        new = {**rows[i], **_jsonable(copy.deepcopy(fields), f"{section} record {record_id!r}")}
        rows[i] = new
        changed = {k: v for k, v in fields.items() if old.get(k) != new.get(k)}
        if changed:
            self._log(_by, f"update {section} {record_id}", {k: old.get(k) for k in changed},
                      copy.deepcopy(changed))
        return copy.deepcopy(new)

    def replace_record(self, section: str, record_id: str, record: dict[str, Any], /, *,
                       _by: str = "") -> dict[str, Any]:
        """Replace a whole record (fields missing from ``record`` are dropped; the id is kept). The old record
        stays in the history, so nothing is lost. Returns the new record."""
        if not isinstance(record, dict):
            raise InputError(f"a {section} record must be a dict", remedy="e.g. {'id': 'C1', ...}")
        if record.get("id", record_id) != record_id:
            raise InputError(f"{section} record ids never change ({record_id!r})",
                             remedy="add a new record instead")
        rows = self._section(section)
        i = self._row_index(section, record_id)
        old = copy.deepcopy(rows[i])
        new = _jsonable(copy.deepcopy({**record, "id": record_id}), f"{section} record {record_id!r}")
        rows[i] = new
        if new != old:
            changed = {k for k in set(old) | set(new) if old.get(k) != new.get(k) or (k in old) != (k in new)}
            self._log(_by, f"replace {section} {record_id}", {k: old[k] for k in changed if k in old},
                      {k: new[k] for k in changed if k in new})
        return copy.deepcopy(new)

    # ------------------------------------------------------------------ views
    def summary(self):  # -> ReviewSummary (import here: summary depends on review)
        """Per-stage counts per status, progress, gaps, flags; see :class:`~misyn_lab.checklist.summary.ReviewSummary`."""
        from misyn_lab.checklist.summary import summarise

        return summarise(self)

    def gaps(self):
        """Shortcut for ``summary().gaps()``."""
        return self.summary().gaps()

    def agreement(self):
        """DataFrame: item, stage, one column per reviewer (status), ``agree`` flag."""
        from misyn_lab.checklist.summary import agreement_table

        return agreement_table(self)

    def disagreements(self):
        """Rows of :meth:`agreement` where reviewers who answered gave different statuses."""
        table = self.agreement()
        return table[~table["agree"]].reset_index(drop=True)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Review) and self.to_data() == other.to_data()

    def __repr__(self) -> str:
        n = sum(len(v) for v in self.answers.values())
        return f"Review(title={self.title!r}, reviewers={self.reviewers}, answers={n}, revision={self.revision})"


def merge_reviews(*reviews: Review) -> Review:
    """Merge reviews (e.g. one file per reviewer) into a new Review; same result for any input order.

    Nothing is lost: differing answers of the same reviewer to the same item are all kept as conflict
    alternatives (the most recently updated one current), evidence and records are united. Agreements and
    disagreements per item: ``merged.agreement()`` / ``merged.disagreements()``; conflicts: ``merged.conflicted()``.

    Parameters
    ----------
    *reviews : Review
        The reviews to merge (at least one); the first one's checklist is used.

    Returns
    -------
    Review
        A new review holding every answer, evidence record and history entry of the inputs.

    Raises
    ------
    InputError
        No review was given.

    Examples
    --------
    >>> from misyn_lab.checklist import Review
    >>> a, b = Review.new("ana's", reviewer="ana"), Review.new("ben's", reviewer="ben")
    >>> _ = a.set_answer("TS-1", "ana", "yes", "Card says so.")
    >>> _ = b.set_answer("TS-1", "ben", "no", "Not in the card.")
    >>> merged = merge_reviews(a, b)
    >>> merged.statuses("TS-1"), merged.reviewers
    ({'ana': 'yes', 'ben': 'no'}, ['ana', 'ben'])
    """
    if not reviews:
        raise InputError("nothing to merge", remedy="pass at least one review")
    merged = merge_data(*[r.to_data() for r in reviews])
    return Review.from_data(merged, checklist=reviews[0].checklist)


__all__ = ["Review", "ChecklistChanges", "RECORD_SECTIONS", "RUNGS", "SCHEMA_VERSION", "KIND", "KNOWN_KEYS", "STATUSES",
           "canonical", "merge_reviews"]
