"""Merging reviews without losing anything.

* :func:`three_way` merges the version a process is saving (``ours``) with the version another process
  saved meanwhile (``theirs``), relative to the version both started from (``base``). Changes on one side
  win; the same answer/record field changed differently on both sides is a conflict: an error, or with
  ``on_conflict="keep_both"`` ours is kept as current, both are recorded under ``conflicts`` and in history.
* :func:`merge_data` (behind :func:`misyn_lab.checklist.review.merge_reviews`) merges the data of any number of
  reviews (e.g. one file per reviewer) with no common base. The result does not depend on the order of the inputs: differing answers by the same reviewer to the same item
  are all kept as conflict alternatives, the most recently updated one being current.

Evidence links (``links: {item: [evidence ids]}``) are sets: :func:`merge_data` takes their union;
:func:`three_way` keeps a link unless one side removed it from the base and the other did not add it.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from misyn_lab.checklist.answers import utc_now
from misyn_lab.checklist.review_format import KIND, KNOWN_KEYS, RECORD_SECTIONS, SCHEMA_VERSION, canonical
from misyn_lab.errors import ConflictError, InputError

_MISSING: Any = object()


class _Clash(Exception):
    pass


def _pick(b: Any, o: Any, t: Any) -> Any:
    """Three-way choice for one value (``_MISSING`` = absent)."""
    if o == t:
        return o
    if o == b:
        return t
    if t == b:
        return o
    raise _Clash


def conflict_key(entry: dict[str, Any]) -> tuple:
    """Identity of a conflict entry (what is in conflict, not the alternatives)."""
    kind = entry.get("kind")
    if kind == "answer":
        return (kind, entry.get("item"), entry.get("reviewer"))
    if kind == "record":
        return (kind, entry.get("section"), entry.get("id"), entry.get("field"))
    return (kind, entry.get("id"), entry.get("field"))


def _merge_conflicts(*lists: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Union of conflict entries; alternatives of the same key united and sorted."""
    merged: dict[tuple, dict[str, Any]] = {}
    for entries in lists:
        for entry in entries:
            key = conflict_key(entry)
            cur = merged.setdefault(key, {**copy.deepcopy(entry), "alternatives": []})
            seen = {canonical(a) for a in cur["alternatives"]}
            for alt in entry.get("alternatives") or []:
                if canonical(alt) not in seen:
                    cur["alternatives"].append(copy.deepcopy(alt))
                    seen.add(canonical(alt))
    out = []
    for key in sorted(merged, key=canonical):
        entry = merged[key]
        entry["alternatives"] = sorted(entry["alternatives"], key=canonical)
        out.append(entry)
    return out


def _records_map(rows: list[dict[str, Any]] | None) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in rows or []}


def three_way_links(base: dict[str, list[str]], ours: dict[str, list[str]],
                    theirs: dict[str, list[str]]) -> dict[str, list[str]]:
    """Three-way merge of ``{item: [evidence ids]}`` as sets (never a conflict): a link stays when both sides
    have it, or when the side that has it added it (it was not in ``base``). Order: theirs, then ours' new."""
    out: dict[str, list[str]] = {}
    for item in list(theirs) + [i for i in ours if i not in theirs]:
        b, o, t = (set(d.get(item) or ()) for d in (base, ours, theirs))
        candidates = list(theirs.get(item) or []) + [e for e in ours.get(item) or [] if e not in t]
        kept = [e for e in dict.fromkeys(candidates) if (e in o and e in t) or e not in b]
        if kept:
            out[item] = kept
    return out


class _Clashes:
    """What a three-way merge found changed differently on both sides: labels, conflict entries, history notes."""

    def __init__(self) -> None:
        self.labels: list[str] = []
        self.conflicts: list[dict[str, Any]] = []
        self.notes: list[dict[str, Any]] = []

    def add(self, label: str, entry: dict[str, Any], theirs_v: Any, ours_v: Any) -> None:
        self.labels.append(label)
        alts = [v for v in (theirs_v, ours_v) if v is not _MISSING]
        self.conflicts.append({**entry, "alternatives": sorted(alts, key=canonical)})
        self.notes.append({"time": utc_now(), "reviewer": entry.get("reviewer", ""), "what": f"conflict {label}",
                           "old": None if theirs_v is _MISSING else copy.deepcopy(theirs_v),
                           "new": None if ours_v is _MISSING else copy.deepcopy(ours_v)})

    def pick(self, b: Any, o: Any, t: Any, label: str, entry: dict[str, Any]) -> Any:
        """:func:`_pick`, recording a clash (ours kept as current) instead of raising."""
        try:
            return _pick(b, o, t)
        except _Clash:
            self.add(label, entry, t, o)
            return o


def _three_way_header(base: dict[str, Any], ours: dict[str, Any], theirs: dict[str, Any],
                      clashes: _Clashes) -> dict[str, Any]:
    """Scalar fields, unknown extra keys, revision, times, checklist and reviewers."""
    out: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "kind": KIND}
    for key in ["title", *sorted((set(ours) | set(theirs)) - set(KNOWN_KEYS))]:
        b, o, t = (d.get(key, _MISSING) for d in (base, ours, theirs))
        value = clashes.pick(b, o, t, key, {"kind": "field", "id": key, "field": key})
        if value is not _MISSING:
            out[key] = value
    out["revision"] = max(int(ours.get("revision", 0)), int(theirs.get("revision", 0)))
    out["created"] = min(x for x in (ours.get("created"), theirs.get("created")) if x) if (
        ours.get("created") or theirs.get("created")) else utc_now()
    out["updated"] = max(str(ours.get("updated", "")), str(theirs.get("updated", "")))
    out["checklist"] = copy.deepcopy(ours.get("checklist") or theirs.get("checklist") or {})
    t_rev = list(theirs.get("reviewers") or [])
    out["reviewers"] = t_rev + [r for r in ours.get("reviewers") or [] if r not in t_rev]
    return out


def _three_way_answers(base: dict[str, Any], ours: dict[str, Any], theirs: dict[str, Any],
                       clashes: _Clashes) -> dict[str, dict[str, Any]]:
    """Answers, per item and per reviewer."""
    answers: dict[str, dict[str, Any]] = {}
    b_ans, o_ans, t_ans = (d.get("answers") or {} for d in (base, ours, theirs))
    for item in list(t_ans) + [i for i in o_ans if i not in t_ans]:
        per: dict[str, Any] = {}
        reviewers = set(o_ans.get(item, {})) | set(t_ans.get(item, {})) | set(b_ans.get(item, {}))
        for rev in sorted(reviewers):
            b, o, t = ((d.get(item) or {}).get(rev, _MISSING) for d in (b_ans, o_ans, t_ans))
            value = clashes.pick(b, o, t, f"{item}/{rev}", {"kind": "answer", "item": item, "reviewer": rev})
            if value is not _MISSING:
                per[rev] = value
        if per:
            answers[item] = per
    return answers


def _three_way_evidence(base: dict[str, Any], ours: dict[str, Any], theirs: dict[str, Any],
                        clashes: _Clashes) -> dict[str, Any]:
    """Evidence records: content-addressed, so clashes only come from hand edits."""
    evidence: dict[str, Any] = {}
    b_ev, o_ev, t_ev = (d.get("evidence") or {} for d in (base, ours, theirs))
    for ev in list(t_ev) + [e for e in o_ev if e not in t_ev]:
        b, o, t = (d.get(ev, _MISSING) for d in (b_ev, o_ev, t_ev))
        value = clashes.pick(b, o, t, f"evidence {ev}", {"kind": "evidence", "id": ev, "field": None})
        if value is not _MISSING:
            evidence[ev] = value
    return evidence


def _three_way_record(b: Any, o: Any, t: Any, section: str, rid: str, clashes: _Clashes) -> Any:
    """One record: whole when one side changed it, else field by field."""
    try:
        return _pick(b, o, t)
    except _Clash:
        pass
    if o is _MISSING or t is _MISSING:  # deleted on one side, changed on the other: keep it
        return o if t is _MISSING else t
    bb = b if b is not _MISSING else {}
    value = {}
    for fld in list(t) + [k for k in o if k not in t]:
        fb, fo, ft = (d.get(fld, _MISSING) for d in (bb, o, t))
        fv = clashes.pick(fb, fo, ft, f"{section} {rid}.{fld}",
                          {"kind": "record", "section": section, "id": rid, "field": fld})
        if fv is not _MISSING:
            value[fld] = fv
    return value


def _three_way_section(base: dict[str, Any], ours: dict[str, Any], theirs: dict[str, Any], section: str,
                       clashes: _Clashes) -> list[Any]:
    """One record section: per record, then per field."""
    b_r, o_r, t_r = (_records_map(d.get(section)) for d in (base, ours, theirs))
    order = [r["id"] for r in theirs.get(section) or []]
    order += [r["id"] for r in ours.get(section) or [] if r["id"] not in t_r]
    rows = []
    for rid in order:
        b, o, t = (m.get(rid, _MISSING) for m in (b_r, o_r, t_r))
        value = _three_way_record(b, o, t, section, rid, clashes)
        if value is not _MISSING:
            rows.append(value)
    return rows


def _three_way_conflicts(base: dict[str, Any], ours: dict[str, Any], theirs: dict[str, Any],
                         new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stored conflicts merged three-way by key, then the new ones added."""
    b_c, o_c, t_c = ({canonical(conflict_key(c)): c for c in d.get("conflicts") or []} for d in (base, ours, theirs))
    kept = []
    for key in list(t_c) + [k for k in o_c if k not in t_c]:
        b, o, t = (m.get(key, _MISSING) for m in (b_c, o_c, t_c))
        try:
            value = _pick(b, o, t)
        except _Clash:
            value = _merge_conflicts([x for x in (o, t) if x is not _MISSING])[0]
        if value is not _MISSING:
            kept.append(value)
    return _merge_conflicts(kept, new)


def _three_way_history(ours: dict[str, Any], theirs: dict[str, Any],
                       notes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """History: union of both sides and the conflict notes, in time order."""
    seen = set()
    history = []
    for entry in list(theirs.get("history") or []) + list(ours.get("history") or []) + notes:
        key = canonical(entry)
        if key not in seen:
            seen.add(key)
            history.append(entry)
    return sorted(history, key=lambda e: str(e.get("time", "")))


def three_way(base: dict[str, Any] | None, ours: dict[str, Any], theirs: dict[str, Any], *,
              on_conflict: str = "raise", path: str | Path | None = None) -> dict[str, Any]:
    """Merge review data ``ours`` and ``theirs`` relative to ``base`` (``None`` = empty); see module doc."""
    base = base or {}
    clashes = _Clashes()
    out = _three_way_header(base, ours, theirs, clashes)
    out["answers"] = _three_way_answers(base, ours, theirs, clashes)
    out["evidence"] = _three_way_evidence(base, ours, theirs, clashes)
    out["links"] = three_way_links(*((d.get("links") or {}) for d in (base, ours, theirs)))
    for section in RECORD_SECTIONS:
        out[section] = _three_way_section(base, ours, theirs, section, clashes)
    if clashes.labels and on_conflict != "keep_both":
        raise ConflictError("the same answer was changed by this session and by another save: "
                            + ", ".join(clashes.labels), path=path,
                            remedy="reload the review and answer again, or save with on_conflict='keep_both'")
    out["conflicts"] = _three_way_conflicts(base, ours, theirs, clashes.conflicts)
    out["history"] = _three_way_history(ours, theirs, clashes.notes)
    return out


def _winner(values: list[Any], stamp: str | None = None) -> Any:
    """Deterministic pick among distinct values: latest ``stamp`` field, then canonical text."""
    return max(values, key=lambda v: (str(v.get(stamp, "")) if stamp and isinstance(v, dict) else "", canonical(v)))


def _distinct(values: list[Any]) -> list[Any]:
    out: dict[str, Any] = {}
    for v in values:
        out.setdefault(canonical(v), v)
    return [out[k] for k in sorted(out)]


def merge_data(*datas: dict[str, Any]) -> dict[str, Any]:
    """Order-independent merge of review data (see :func:`merge_reviews`)."""
    if not datas:
        raise InputError("nothing to merge", remedy="pass at least one review")
    conflicts: list[dict[str, Any]] = []
    existing = _merge_conflicts(*[d.get("conflicts") or [] for d in datas])
    by_key = {conflict_key(c): c for c in existing}

    out: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "kind": KIND}
    titles = sorted({d.get("title", "") for d in datas})
    out["title"] = titles[0] if len(titles) == 1 else " | ".join(t for t in titles if t)
    out["revision"] = max(int(d.get("revision", 0)) for d in datas)
    out["created"] = min(str(d.get("created", "")) for d in datas)
    out["updated"] = max(str(d.get("updated", "")) for d in datas)
    out["checklist"] = copy.deepcopy(_winner([d.get("checklist") or {} for d in datas]))
    out["reviewers"] = sorted({r for d in datas for r in d.get("reviewers") or []})

    answers: dict[str, dict[str, Any]] = {}
    for item in sorted({i for d in datas for i in d.get("answers") or {}}):
        per = {}
        for rev in sorted({r for d in datas for r in (d.get("answers") or {}).get(item, {})}):
            values = [(d.get("answers") or {}).get(item, {}).get(rev, _MISSING) for d in datas]
            key = ("answer", item, rev)
            alts = _distinct([v for v in values if v is not _MISSING]
                             + list(by_key.get(key, {}).get("alternatives") or []))
            per[rev] = copy.deepcopy(_winner(alts, "updated"))
            if len(alts) > 1:
                conflicts.append({"kind": "answer", "item": item, "reviewer": rev, "alternatives": alts})
        answers[item] = per
    out["answers"] = answers

    evidence = {}
    for ev in sorted({e for d in datas for e in d.get("evidence") or {}}):
        alts = _distinct([d["evidence"][ev] for d in datas if ev in (d.get("evidence") or {})])
        evidence[ev] = copy.deepcopy(_winner(alts))
        if len(alts) > 1:
            conflicts.append({"kind": "evidence", "id": ev, "field": None, "alternatives": alts})
    out["evidence"] = evidence
    links: dict[str, list[str]] = {}
    for item in sorted({i for d in datas for i in d.get("links") or {}}):
        ids = sorted({e for d in datas for e in (d.get("links") or {}).get(item) or []})
        if ids:
            links[item] = ids
    out["links"] = links

    for section in RECORD_SECTIONS:
        maps = [_records_map(d.get(section)) for d in datas]
        rows = []
        for rid in sorted({r for m in maps for r in m}):
            versions = [m[rid] for m in maps if rid in m]
            record: dict[str, Any] = {}
            for fld in sorted({k for v in versions for k in v}):
                key = ("record", section, rid, fld)
                alts = _distinct([v[fld] for v in versions if fld in v]
                                 + list(by_key.get(key, {}).get("alternatives") or []))
                record[fld] = copy.deepcopy(_winner(alts))
                if len(alts) > 1:
                    conflicts.append({"kind": "record", "section": section, "id": rid, "field": fld,
                                      "alternatives": alts})
            record = {"id": rid, **{k: v for k, v in record.items() if k != "id"}}
            rows.append(record)
        out[section] = rows

    for key in sorted({k for d in datas for k in d if k not in KNOWN_KEYS}):
        alts = _distinct([d[key] for d in datas if key in d])
        out[key] = copy.deepcopy(_winner(alts))
        if len(alts) > 1:
            conflicts.append({"kind": "field", "id": key, "field": key, "alternatives": alts})

    handled = {conflict_key(c) for c in conflicts}
    out["conflicts"] = _merge_conflicts([c for c in existing if conflict_key(c) not in handled], conflicts)
    history = _distinct([e for d in datas for e in d.get("history") or []])
    out["history"] = sorted(history, key=lambda e: (str(e.get("time", "")), canonical(e)))
    return out
