"""The checklist as data: load ``recommendations.yaml``, validate it, and look items up.

The file follows Deon's shape (``title``, ``sections[section_id, title, lines[line_id, line_summary,
line]]``) with extra fields per line. Every problem is a :class:`~misyn_lab.errors.SchemaError` naming the
file, the item id and the field.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from misyn_lab.checklist.schema_check import schema_problem
from misyn_lab.checklist.yaml_io import load_file
from misyn_lab.errors import InputError, SchemaError
from misyn_lab.vocabulary import INTRINSIC_LIMITS, RISKS

#: The five lifecycle stages, in order.
STAGES: tuple[str, ...] = ("technical_standards", "problem_formulation", "design", "evaluation", "oversight")
#: Human titles of the stages.
STAGE_TITLES: dict[str, str] = {
    "technical_standards": "Technical standards",
    "problem_formulation": "Problem formulation",
    "design": "Design",
    "evaluation": "Evaluation",
    "oversight": "Oversight",
}
LIMITS = tuple(INTRINSIC_LIMITS)
SEVERITIES = ("high", "medium", "low")

DEFAULT_PATH = Path(__file__).with_name("recommendations.yaml")
SCHEMA_PATH = Path(__file__).with_name("recommendations.schema.json")


@dataclass(frozen=True)
class Item:
    """One recommendation a reviewer answers (a row of ``recommendations.yaml``).

    Parameters
    ----------
    id : str
        Stable id such as ``"TS-1"`` (stage prefix and number).
    stage : str
        Lifecycle stage, one of :data:`~misyn_lab.checklist.STAGES`.
    title, question : str
        Short title; the question the reviewer answers.
    why : str
        Why it matters.
    limits, risks : tuple of str
        The intrinsic limits (L1-L3) and the risks the item guards against.
    evidence : str
        What counts as evidence for a ``yes``.
    source : str
        ``"paper"`` (restates the MISyn paper) or ``"practice"`` (widely accepted practice).
    severity : str
        How serious a gap is (``"high"``, ``"medium"``, ``"low"``).
    remedy : str
        What to do when the answer is not ``yes``.
    stakeholder_question, good_answer : str
        The item as a question a stakeholder asks, and what a good answer contains.
    metric_keys : tuple of str, optional
        Result keys (e.g. ``"prdc.recall"``) whose measurements are evidence for the item.
    examples : tuple of str, optional
        Worked examples.

    Examples
    --------
    >>> from misyn_lab.checklist import load_checklist
    >>> item = load_checklist().item("TS-1")
    >>> item.id, item.stage, item.source in ("paper", "practice")
    ('TS-1', 'technical_standards', True)
    """

    id: str
    stage: str
    title: str
    question: str
    why: str
    limits: tuple[str, ...]
    risks: tuple[str, ...]
    evidence: str
    source: str
    severity: str
    remedy: str
    stakeholder_question: str
    good_answer: str
    metric_keys: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()

    # Deon-style aliases
    @property
    def line_id(self) -> str:
        return self.id

    @property
    def line_summary(self) -> str:
        return self.title

    @property
    def line(self) -> str:
        return self.question

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (lists, not tuples), e.g. for JSON output."""
        return {
            "id": self.id, "stage": self.stage, "title": self.title, "question": self.question,
            "why": self.why, "limits": list(self.limits), "risks": list(self.risks), "evidence": self.evidence,
            "metric_keys": list(self.metric_keys), "source": self.source, "severity": self.severity,
            "remedy": self.remedy, "stakeholder_question": self.stakeholder_question,
            "good_answer": self.good_answer, "examples": list(self.examples),
        }


@dataclass(frozen=True)
class Checklist:
    """The validated checklist: items in stage order plus version information.

    Build it with :func:`load_checklist`; it is a sequence of :class:`Item` (``len``, iteration, ``in`` by id).

    Parameters
    ----------
    title, version, citation : str
        Title, version and the citation of the framework it follows.
    items : tuple of Item
        The items, in stage order.
    content_hash : str
        SHA-256 of the checklist content (a review records it to notice later changes).
    path : str, optional
        The file it was read from.
    retired : tuple of dict, optional
        Items removed or renamed in earlier versions (``{"id": ..., "replaced_by": ...}``).

    Examples
    --------
    >>> from misyn_lab.checklist import load_checklist
    >>> checklist = load_checklist()
    >>> len(checklist), "TS-1" in checklist, checklist.by_stage("technical_standards")[0].id
    (45, True, 'TS-1')
    """

    title: str
    version: str
    citation: str
    items: tuple[Item, ...]
    content_hash: str
    path: str = ""
    retired: tuple[dict[str, Any], ...] = ()
    _index: dict[str, Item] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._index.update({it.id: it for it in self.items})

    @property
    def stages(self) -> tuple[str, ...]:
        return STAGES

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(it.id for it in self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[Item]:
        return iter(self.items)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._index

    def item(self, item_id: str) -> Item:
        """The item with this id; an unknown id raises :class:`InputError` suggesting close ids."""
        try:
            return self._index[item_id]
        except KeyError:
            raise InputError(f"unknown checklist item {item_id!r}{suggest(item_id, self.ids)}",
                             remedy="run `misyn-lab checklist show` for the item ids") from None

    def by_stage(self, stage: str) -> tuple[Item, ...]:
        """Items of one stage, in order; an unknown stage raises :class:`InputError`."""
        check_stage(stage)
        return tuple(it for it in self.items if it.stage == stage)

    def renamed(self) -> dict[str, str]:
        """Retired ids that were replaced by a new id: ``{old: new}``."""
        return {r["line_id"]: r["replaced_by"] for r in self.retired if r.get("replaced_by")}


def suggest(name: str, choices: tuple[str, ...] | list[str]) -> str:
    """A ``"; did you mean ..."`` hint listing close matches (case-insensitive), or ``""``."""
    upper = {c.upper(): c for c in choices}
    close = difflib.get_close_matches(str(name).upper(), list(upper), n=3, cutoff=0.5)
    if not close:
        return ""
    return "; did you mean " + " or ".join(repr(upper[c]) for c in close) + "?"


def check_stage(stage: str) -> str:
    """Return ``stage`` if it is one of :data:`STAGES`, else raise :class:`InputError` with a hint."""
    if stage not in STAGES:
        raise InputError(f"unknown stage {stage!r}{suggest(stage, list(STAGES))}",
                         remedy="use one of " + ", ".join(STAGES))
    return stage


def _locate(data: Any, path: list[Any]) -> str:
    """Describe a jsonschema error path as 'item TS-3' / 'section 2 (design)' for the message."""
    where = []
    if len(path) >= 2 and path[0] == "sections" and isinstance(path[1], int):
        try:
            section = data["sections"][path[1]]
            sid = section.get("section_id", "?") if isinstance(section, dict) else "?"
        except (IndexError, TypeError, KeyError):
            sid = "?"
        if len(path) >= 4 and path[2] == "lines" and isinstance(path[3], int):
            try:
                line = data["sections"][path[1]]["lines"][path[3]]
                lid = line.get("line_id") if isinstance(line, dict) else None
            except (IndexError, TypeError, KeyError):
                lid = None
            where.append(f"item {lid}" if lid else f"item #{path[3] + 1} of section {sid!r}")
            rest = path[4:]
        else:
            where.append(f"section #{path[1] + 1} ({sid!r})")
            rest = path[2:]
    else:
        rest = path
    if rest:
        where.append("field " + ".".join(str(p) for p in rest))
    return ", ".join(where) or "top level"


def validate_checklist_data(data: Any, path: str | Path = "<checklist>") -> None:
    """Validate parsed checklist data; raise :class:`SchemaError` naming file, item id and field."""
    if not isinstance(data, dict):
        raise SchemaError("checklist must be a mapping with title, version, citation, sections", path=path,
                          remedy="see misyn_lab/checklist/recommendations.yaml for the format")
    problem = schema_problem(data, SCHEMA_PATH)
    if problem is not None:
        err_path, msg = problem
        if err_path[-1:] == ["section_id"]:
            msg = f"unknown stage: {msg}"
        raise SchemaError(f"{_locate(data, err_path)}: {msg}", path=path,
                          remedy="fix the checklist file (allowed fields and values are in recommendations.schema.json)")
    seen: dict[str, str] = {}
    stages_seen: list[str] = []
    for section in data["sections"]:
        sid = section["section_id"]
        if sid in stages_seen:
            raise SchemaError(f"duplicate section {sid!r}", path=path, remedy="list each stage once")
        stages_seen.append(sid)
        for line in section["lines"]:
            lid = line["line_id"]
            if lid in seen:
                raise SchemaError(f"item {lid}: duplicate line_id (also in section {seen[lid]!r})", path=path,
                                  remedy="give every item its own id; never reuse an id")
            seen[lid] = sid
    order = [s for s in STAGES if s in stages_seen]
    if stages_seen != order:
        raise SchemaError(f"sections out of order: {stages_seen}", path=path,
                          remedy="order sections as " + ", ".join(STAGES))
    for r in data.get("retired") or []:
        if r["line_id"] in seen:
            raise SchemaError(f"item {r['line_id']}: listed as retired but still in use", path=path,
                              remedy="an id is either active or retired, never both")


def checklist_from_data(data: dict[str, Any], path: str | Path = "<checklist>") -> Checklist:
    """Build a :class:`Checklist` from parsed (and here validated) data."""
    validate_checklist_data(data, path)
    items = []
    for section in data["sections"]:
        for line in section["lines"]:
            items.append(Item(
                id=line["line_id"], stage=section["section_id"], title=line["line_summary"],
                question=line["line"], why=line["why"], limits=tuple(line["limits"]), risks=tuple(line["risks"]),
                evidence=line["evidence"], source=line["source"], severity=line["severity"],
                remedy=line["remedy"], stakeholder_question=line["stakeholder_question"],
                good_answer=line["good_answer"], metric_keys=tuple(line.get("metric_keys") or ()),
                examples=tuple(line.get("examples") or ()),
            ))
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return Checklist(
        title=data["title"], version=str(data["version"]), citation=data["citation"], items=tuple(items),
        content_hash=hashlib.sha256(canonical.encode("utf-8")).hexdigest(), path=str(path),
        retired=tuple(dict(r) for r in data.get("retired") or ()),
    )


def load_checklist(path: str | Path | None = None) -> Checklist:
    """Load and validate a checklist file (default: the bundled ``recommendations.yaml``).

    Parameters
    ----------
    path : str or Path, optional
        A checklist file in the format of ``recommendations.yaml`` (checked against its JSON schema). ``None``: the
        bundled checklist (read once and cached).

    Returns
    -------
    Checklist
        The validated checklist.

    Raises
    ------
    InputError
        The file is missing or unreadable.
    SchemaError
        The file does not follow the checklist schema (the message names the field).

    Examples
    --------
    >>> checklist = load_checklist()
    >>> len(checklist.items), checklist.items[0].id
    (45, 'TS-1')
    """
    if path is None:
        return _default_checklist()
    return checklist_from_data(load_file(path, what="checklist"), path)


@lru_cache(maxsize=1)
def _default_checklist() -> Checklist:
    return checklist_from_data(load_file(DEFAULT_PATH, what="checklist"), DEFAULT_PATH)
