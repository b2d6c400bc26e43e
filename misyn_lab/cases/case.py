"""Case files: a review of one MISyn practice as data (practice, claims, answers, gaps, limitations,
reformulation), validated against ``data/case.schema.json`` and the checklist.

>>> case = load_case(BUNDLED["case1"])          # SchemaError naming file and field if invalid
>>> case.id
'case1_segmentation'
>>> review = case.to_review()                  # a checklist Review with answers, claims, limitations; the case
>>> len(review.answers)                        # notebook adds its measurements with to_review(measured=...)
45
>>> scaffold_case("my-review").splitlines()[1]  # YAML with every checklist item, for a user's own case
'#   misyn-lab case check my-review.yaml'

Evidence links in a case file are strings: ``measured:<key>`` (a measurement the case notebook computes;
declared under ``measurements``), ``claim:<id>``, ``gap:<id>`` or ``note:<free text>``. A ``practice:<field>``
link points at the case's own description of the practice — written by the reviewer as an illustration, so it is
**context, never evidence**: it belongs under an answer's or gap's ``context`` list, and a ``practice:`` link in
an ``evidence`` list is refused (a review must not cite its own description as evidence).

Case files attribute to the paper (Jin et al., arXiv:2508.09293) only what the paper's outline holds (the two
case studies, the gaps the reviews found, the reformulated clinical problems); everything else in them is our
illustration and says so.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from misyn_lab import notebooks
from misyn_lab.errors import InputError, SchemaError

DATA_DIR = Path(__file__).with_name("data")
SCHEMA_PATH = DATA_DIR / "case.schema.json"
#: The bundled case studies.
BUNDLED = {"case1": DATA_DIR / "case1_segmentation.yaml", "case2": DATA_DIR / "case2_text_to_image.yaml"}
DEFAULT_REVIEWER = "case-study"
#: Answer statuses that leave an item open (a gap in the checklist sense).
OPEN_STATUSES = ("no", "partly", "unknown", "unanswered")


def _field_path(parts: Sequence[Any]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def validate_case_data(data: Any, path: str | Path = "<case>") -> None:
    """Raise :class:`SchemaError` naming ``path`` and the offending field if ``data`` is not a valid case."""
    from misyn_lab.checklist.schema_check import schema_problem

    if not isinstance(data, dict):
        raise SchemaError(f"a case file must be a YAML mapping, got {type(data).__name__}", path=path,
                          remedy="start from `misyn-lab case new NAME`")
    problem = schema_problem(data, SCHEMA_PATH)
    if problem is not None:
        where, message = problem
        raise SchemaError(f"field {_field_path(where)}: {message}", path=path,
                          remedy="compare with misyn_lab/cases/data/case.schema.json or a scaffold from "
                                 "`misyn-lab case new NAME`")
    _check_semantics(data, path)


_NOTEBOOK_RULE = ("a bundled workbook notebook by file name (e.g. case1_segmentation.ipynb) or a notebook in the "
                  "case file's own folder written as ./NAME.ipynb (or ./sub/NAME.ipynb)")
_NOTEBOOK_SUFFIXES = (".ipynb", ".md")


def check_notebook_name(value: Any, path: str | Path = "<case>") -> None:
    """Raise :class:`SchemaError` unless ``value`` is ``None``, a bundled notebook's bare file name, or a
    ``./``-relative ``.ipynb``/``.md`` path inside the case file's folder (no ``..``, no absolute path, no ``~``,
    no backslash)."""
    if value is None:
        return
    text = str(value)
    parts = text.split("/")
    local = "/" in text
    bad = ("\\" in text or "\0" in text or text.startswith(("/", "~")) or not text.strip(". ")
           or re.match(r"^[A-Za-z]:", text) is not None or ".." in parts
           or (local and (parts[0] != "." or any(p in ("", ".") for p in parts[1:])
                          or not text.endswith(_NOTEBOOK_SUFFIXES))))
    if bad:
        raise SchemaError(f"field notebook: {text!r} is not allowed; a case may name {_NOTEBOOK_RULE}", path=path,
                          remedy="use a bundled notebook name, or put the notebook beside the case file and write "
                                 "./NAME.ipynb")


def resolve_notebook(value: str, case_path: str | Path, *, bundled: bool = True) -> Path:
    """The notebook file a case's ``notebook:`` names, confined to the bundled notebooks
    (:func:`misyn_lab.notebooks.source_path`) or the case file's own folder (symbolic links resolved: a link
    leading out of the folder is refused). ``bundled=False`` checks only ``./`` paths (bare names pass).

    Raises :class:`SchemaError`/:class:`InputError` naming the case file.
    """
    check_notebook_name(value, case_path)
    if value.startswith("./"):
        folder = Path(case_path).resolve().parent
        real = Path(os.path.realpath(folder / value[2:]))
        if real != folder and folder not in real.parents:
            raise SchemaError(f"field notebook: {value!r} leads out of the case file's folder (it resolves to "
                              f"{real})", path=case_path, remedy="keep the notebook itself inside the case folder")
        if not real.is_file():
            raise InputError(f"notebook {value!r} named by the case file does not exist", path=case_path,
                             remedy="put the notebook beside the case file, or fix the name")
        return real
    if not bundled:
        return Path(value)

    try:
        return notebooks.source_path(value)
    except InputError as exc:
        raise InputError(f"notebook {value!r} is not a bundled workbook notebook", path=case_path,
                         remedy=f"name a bundled notebook ({', '.join(notebooks.names())}), or put yours beside "
                                "the case file and write ./NAME.ipynb") from exc


def _check_semantics(data: dict[str, Any], path: str | Path) -> None:
    from misyn_lab.checklist import load_checklist

    check_notebook_name(data.get("notebook"), path)

    checklist = load_checklist()
    ids = list(checklist.ids)
    answered = [a["item"] for a in data["answers"]]
    for i, item in enumerate(answered):
        if item not in checklist:
            raise SchemaError(f"field answers[{i}].item: unknown checklist item {item!r}", path=path,
                              remedy=f"use the checklist ids ({ids[0]} ... {ids[-1]})")
    dup = sorted({i for i in answered if answered.count(i) > 1})
    if dup:
        raise SchemaError(f"field answers: items answered more than once: {dup}", path=path,
                          remedy="keep one answer per item")
    missing = [i for i in ids if i not in answered]
    if missing:
        raise SchemaError(f"field answers: checklist items without an answer: {missing}", path=path,
                          remedy="answer every item (status 'unanswered' is allowed); "
                                 "`misyn-lab case new NAME` lists them all")
    for i, a in enumerate(data["answers"]):
        if a["status"] in ("unknown", "not_applicable", "partly", "no", "yes") and not a["justification"].strip():
            raise SchemaError(f"field answers[{i}].justification: item {a['item']} ({a['status']}) needs a "
                              "justification", path=path, remedy="say why, in one sentence")
    gap_ids = [g["id"] for g in data["gaps"]]
    claim_ids = [c["id"] for c in data["claims"]]
    for what, seq in (("gaps", gap_ids), ("claims", claim_ids)):
        d = sorted({x for x in seq if seq.count(x) > 1})
        if d:
            raise SchemaError(f"field {what}: duplicate ids {d}", path=path, remedy="make every id unique")
    for i, g in enumerate(data["gaps"]):
        if g["item"] not in checklist:
            raise SchemaError(f"field gaps[{i}].item: unknown checklist item {g['item']!r}", path=path,
                              remedy="tie every gap to a checklist item id")
    measured = {m["key"] for m in data.get("measurements", [])}
    targets = {"measured": measured, "claim": set(claim_ids), "gap": set(gap_ids),
               "practice": set(data["practice"])}
    for section, rows in (("answers", data["answers"]), ("gaps", data["gaps"])):
        for i, row in enumerate(rows):
            cited = [link for link in row.get("evidence", []) or [] if link.startswith("practice:")]
            if cited:
                raise SchemaError(f"field {section}[{i}].evidence: {cited[0]!r} points at the case's own description "
                                  "of the practice, which is context, not evidence", path=path,
                                  remedy=f"move it to {section}[{i}].context (and cite a measurement, claim, gap "
                                         "or note as evidence)")
    for section, rows in (("answers", data["answers"]), ("gaps", data["gaps"]), ("claims", data["claims"])):
        for i, row in enumerate(rows):
            for link in (row.get("evidence", row.get("links", [])) or []) + (row.get("context") or []):
                kind, _, ref = link.partition(":")
                if kind in targets and ref not in targets[kind]:
                    raise SchemaError(f"field {section}[{i}]: link {link!r} points at nothing "
                                      f"(known {kind} refs: {sorted(targets[kind])})", path=path,
                                      remedy="fix the link or declare the target")
    for i, c in enumerate(data["claims"]):
        if c.get("measured_by") and c["measured_by"] not in measured:
            raise SchemaError(f"field claims[{i}].measured_by: {c['measured_by']!r} is not under measurements",
                              path=path, remedy="declare the measurement key")


@dataclass(frozen=True)
class Case:
    """A validated case file."""

    data: dict[str, Any]
    path: str = "<case>"

    @property
    def id(self) -> str:
        return str(self.data["id"])

    @property
    def title(self) -> str:
        return str(self.data["title"])

    @property
    def reviewer(self) -> str:
        return str(self.data.get("reviewer") or DEFAULT_REVIEWER)

    @property
    def notebook(self) -> str | None:
        return self.data.get("notebook")

    def notebook_file(self) -> Path:
        """The notebook this case runs, confined (see :func:`resolve_notebook`); ``InputError`` when none."""
        if not self.notebook:
            raise InputError("this case file names no notebook", path=self.path, remedy="set notebook: in the file")
        return resolve_notebook(self.notebook, self.path)

    @property
    def practice(self) -> dict[str, str]:
        return dict(self.data["practice"])

    @property
    def claims(self) -> list[dict[str, Any]]:
        return [dict(c) for c in self.data["claims"]]

    def claim(self, claim_id: str) -> dict[str, Any]:
        """One claim of the case by id (:class:`InputError` naming the known ids if there is none)."""
        for c in self.data["claims"]:
            if c["id"] == claim_id:
                return dict(c)
        raise InputError(f"case {self.id} has no claim {claim_id!r}", path=self.path,
                         remedy=f"use one of {[c['id'] for c in self.data['claims']]}")

    @property
    def answers(self) -> list[dict[str, Any]]:
        return [dict(a) for a in self.data["answers"]]

    @property
    def gaps(self) -> list[dict[str, Any]]:
        return [dict(g) for g in self.data["gaps"]]

    @property
    def measurements(self) -> dict[str, dict[str, Any]]:
        return {m["key"]: dict(m) for m in self.data.get("measurements", [])}

    def open_items_without_gap(self) -> list[str]:
        """Items answered no/partly/unknown/unanswered that no declared gap names."""
        named = {g["item"] for g in self.data["gaps"]}
        return [a["item"] for a in self.data["answers"] if a["status"] in OPEN_STATUSES and a["item"] not in named]

    def gap_lines(self) -> list[str]:
        """One printable line per declared gap (id, item, limit, risk, title)."""
        return [f"{g['id']}  {g['item']:<6} {g['limit']}  {g['risk']:<14} {g['title']}" for g in self.data["gaps"]]

    def to_review(self, measured: Mapping[str, Any] | None = None, *, title: str | None = None):
        """Build a checklist :class:`~misyn_lab.checklist.Review` from the case.

        ``measured`` maps measurement keys to a MetricResult, a dict, or a list of them (the case notebook
        passes what it computed). They become evidence at the measurement's rung, linked to the answers and
        limitations that cite ``measured:<key>``. Claims are stored with their verdict *as reported by the
        practice*; stakeholder questions and the three-aspect limitation analysis are stored as records.
        """
        from misyn_lab.checklist import Review
        from misyn_lab.instruments.claims import Claim, check_claims, save_claims
        from misyn_lab.instruments.limitations import LimitationAnalysis

        reviewer = self.reviewer
        review = Review.new(title or self.title, reviewer=reviewer)
        ev_ids: dict[str, list[str]] = {}
        for key, value in (measured or {}).items():
            if key not in self.measurements:
                raise InputError(f"measured key {key!r} is not declared under measurements", path=self.path,
                                 remedy=f"use one of {sorted(self.measurements)}")
            rung = int(self.measurements[key]["rung"])
            values = value if isinstance(value, (list, tuple)) else [value]
            ev_ids[key] = [review.add_evidence(v, rung=rung, source=f"case {self.id}: {key}",
                                               note=self.measurements[key]["title"], reviewer=reviewer)
                           for v in values]
        for a in self.data["answers"]:
            if a["status"] == "unanswered":
                continue
            links = a.get("evidence", [])
            ids = [e for link in links if link.startswith("measured:") for e in ev_ids.get(link[9:], [])]
            refs = [link for link in links if not link.startswith("measured:") or not ev_ids.get(link[9:])]
            context = [link.partition(":")[2] for link in a.get("context") or []]
            justification = a["justification"] + (f" [see {', '.join(refs)}]" if refs else "") + (
                f" [context, not evidence: our illustrative description of the practice ({', '.join(context)})]"
                if context else "")
            review.set_answer(a["item"], reviewer, a["status"], justification, evidence=ids)
        claims = []
        for c in self.data["claims"]:
            record = {k: v for k, v in c.items()}
            claims.append(Claim.from_dict(record))
        save_claims(review, claims, verdicts=check_claims(claims, review))
        lim = LimitationAnalysis(review, author=reviewer)
        lims = self.data["limitations"]
        for i, text in enumerate(lims["scope"]):
            lim.add_scope(text, id=f"{self.id}-scope-{i + 1}")
        for i, text in enumerate(lims["assumptions"]):
            lim.add_assumption(text, id=f"{self.id}-assumption-{i + 1}")
        for i, row in enumerate(lims["intrinsic"]):
            lim.state_intrinsic(row["limit"], row["text"], id=f"{self.id}-intrinsic-{i + 1}")
        for q in self.data.get("stakeholder_questions", []):
            review.add_record("stakeholder_questions", {
                "id": f"{self.id}-{q['id']}", "item_id": q.get("item", ""), "name": q.get("stakeholder", ""),
                "role": q.get("stakeholder", ""), "kind": "question", "text": q["question"], "time": "",
                "status": "open", "responses": []}, _by=reviewer)
        return review


def read_yaml(path: str | Path) -> Any:
    """Parse a case file strictly (duplicate keys, malformed YAML, non-UTF-8 text -> :class:`SchemaError`
    naming the file and line; a missing file -> :class:`InputError`)."""
    from misyn_lab.checklist.yaml_io import load_file, schema_keys

    path = Path(path)
    if not path.is_file():
        raise InputError("case file not found", path=path, remedy="check the path, or create one with "
                         "`misyn-lab case new NAME -o FILE`")
    return load_file(path, what="case file", top_level_keys=schema_keys(SCHEMA_PATH))


def load_case(path: str | Path) -> Case:
    """Read and validate a case file (schema + checklist ids + links); returns a :class:`Case`."""
    if isinstance(path, str) and path in BUNDLED:
        path = BUNDLED[path]
    data = read_yaml(path)
    validate_case_data(data, path)
    case = Case(data=data, path=str(path))
    if case.notebook and case.notebook.startswith("./"):
        resolve_notebook(case.notebook, path, bundled=False)  # beside the case file: confined, and present
    return case


def scaffold_case(name: str) -> str:
    """YAML text of a new case file named ``name`` with every checklist item listed as ``unanswered``.

    The scaffold is valid as it stands (``misyn-lab case check`` accepts it and lists every item as open).
    """
    from misyn_lab.checklist import load_checklist

    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.-]+", name or ""):
        raise InputError(f"case name {name!r} must be letters, digits, '_', '.' or '-'", path="NAME",
                         remedy="e.g. misyn-lab case new my_review")
    checklist = load_checklist()
    lines = [
        f"# misyn-lab case file: {name}. Fill in the practice, claims and answers; then run",
        f"#   misyn-lab case check {name}.yaml",
        "# Evidence links: measured:<key> (declare under measurements) | claim:<id> | gap:<id> | note:<text>.",
        "# practice:<field> points at your own description of the practice: list it under context, never as evidence.",
        "# Statuses: yes | partly | no | unknown | not_applicable | unanswered (unknown/not_applicable need a reason).",
        'schema_version: "1.0"',
        f"id: {name}",
        f"title: {json.dumps('Review of ' + name)}",
        "reviewer: case-study",
        "# notebook: null, a bundled notebook (e.g. case1_segmentation.ipynb), or ./NAME.ipynb beside this file",
        "notebook: null",
        "practice:",
    ]
    for f in ("task", "data", "generator", "intended_use", "evaluated", "claimed", "disclosed"):
        lines.append(f'  {f}: "[More information needed]"')
    lines += ["measurements: []", "claims: []", "answers:"]
    for stage in checklist.stages:
        lines.append(f"  # --- {stage}")
        for item in checklist.by_stage(stage):
            lines.append(f"  # {item.id} {item.title}: {' '.join(str(item.question).split())}")
            lines.append(f'  - {{item: {item.id}, status: unanswered, justification: "", evidence: []}}')
    lines += ["gaps: []", "limitations:", "  scope: []", "  assumptions: []", "  intrinsic: []",
              "stakeholder_questions: []", "reformulation:",
              '  clinical_problem: "[More information needed]"', '  why_synthesis: "[More information needed]"',
              "  stakeholders: []", '  intended_use: "[More information needed]"', "  out_of_scope: []",
              "  ladder: []", ""]
    return "\n".join(lines)
