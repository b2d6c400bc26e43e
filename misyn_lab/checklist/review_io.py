"""Reading and writing review files: strict parsing, schema checks, atomic locked saves that merge.

File format: YAML (or JSON when the name ends in ``.json``) with ``schema_version: 1`` and
``kind: misyn-lab-review``. Saving takes a lock (``<file>.lock``), re-reads the file and, when another process
saved since this review was loaded, merges three-way (:func:`misyn_lab.checklist.merge.three_way`) before
writing atomically with :func:`misyn_lab.atomic.atomic_write_text`.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import TYPE_CHECKING, Any

from filelock import FileLock, Timeout

from misyn_lab.atomic import atomic_write_text, writing
from misyn_lab.checklist.answers import utc_now
from misyn_lab.checklist.merge import three_way
from misyn_lab.checklist.review_format import KIND, RECORD_SECTIONS, SCHEMA_VERSION
from misyn_lab.checklist.schema_check import schema_problem
from misyn_lab.checklist.yaml_io import FlowList, dump_json, dump_yaml, parse_text, read_text, schema_keys
from misyn_lab.errors import ConflictError, InputError, SchemaError

if TYPE_CHECKING:
    from misyn_lab.checklist.review import Review

SCHEMA_PATH = Path(__file__).with_name("review.schema.json")
#: Top-level keys a review file may hold (checked while parsing, before anything is built).
REVIEW_KEYS = schema_keys(SCHEMA_PATH)


def validate_review_data(data: Any, path: str | Path = "<review>") -> dict[str, Any]:
    """Check the header and structure of parsed review data; raise :class:`SchemaError` naming the field."""
    if not isinstance(data, dict):
        raise SchemaError("not a misyn-lab review (the file's top level is not a mapping)", path=path,
                          remedy="create a review with `misyn-lab review new FILE`")
    if data.get("kind") != KIND:
        raise SchemaError(f"not a misyn-lab review (kind is {data.get('kind')!r}, expected {KIND!r})", path=path,
                          remedy="create a review with `misyn-lab review new FILE`")
    version = data.get("schema_version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise SchemaError(f"field schema_version must be an integer, got {version!r}", path=path,
                          remedy=f"set schema_version: {SCHEMA_VERSION}")
    if version > SCHEMA_VERSION:
        raise SchemaError(f"schema_version {version} was written by a newer misyn-lab; upgrade "
                          f"(this version reads schema_version {SCHEMA_VERSION})", path=path,
                          remedy="pip install -U misyn-lab")
    problem = schema_problem(data, SCHEMA_PATH)
    if problem is not None:
        err_path, msg = problem
        field = ".".join(str(p) for p in err_path) or "top level"
        raise SchemaError(f"field {field}: {msg}", path=path,
                          remedy="fix that field (see misyn_lab/checklist/review.schema.json)")
    for section in RECORD_SECTIONS:
        ids = [r["id"] for r in data.get(section) or []]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise SchemaError(f"field {section}: duplicate record id(s) {dup}", path=path,
                              remedy="give every record its own id")
    return data


def read_review_data(path: str | Path) -> dict[str, Any]:
    """Read, parse and validate a review file (clear errors for missing, non-UTF-8, malformed or newer files)."""
    text = read_text(path, what="review file")
    return validate_review_data(parse_text(text, path, what="review file", top_level_keys=REVIEW_KEYS,
                                                extensions=True), path)


def render_review(data: dict[str, Any], path: str | Path) -> str:
    """File text for review data: JSON when ``path`` ends in ``.json``, YAML otherwise."""
    if Path(path).suffix.lower() == ".json":
        return dump_json(data)
    if isinstance(data.get("checklist"), dict) and isinstance(data["checklist"].get("ids"), list):
        data = {**data, "checklist": {**data["checklist"], "ids": FlowList(data["checklist"]["ids"])}}
    return dump_yaml(data)


def save_review(review: "Review", path: str | Path | None = None, *, on_conflict: str = "raise",
                overwrite: bool = False, timeout: float = 30.0) -> Path:
    """Save ``review`` atomically under a lock, merging with any newer version on disk (never losing updates)."""
    if on_conflict not in ("raise", "keep_both"):
        raise InputError(f"on_conflict must be 'raise' or 'keep_both', not {on_conflict!r}")
    target = Path(path) if path is not None else review.path
    if target is None:
        raise InputError("no file to save to", remedy="pass a path: review.save('review.yaml')")
    with writing(target):
        target.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(target) + ".lock", timeout=timeout)
    try:
        with lock:
            ours = review.to_data()
            disk_revision = 0
            if target.exists() and not overwrite:
                disk = read_review_data(target)
                disk_revision = int(disk.get("revision", 0))
                base = review._base_data if review.path is not None and Path(review.path) == target else None
                if disk != base:
                    ours = three_way(base, ours, disk, on_conflict=on_conflict, path=target)
            ours["revision"] = max(int(review.revision), disk_revision) + 1
            ours["updated"] = utc_now()
            ours["checklist"] = review._current_checklist_info()
            atomic_write_text(target, render_review(ours, target))
    except Timeout:
        raise ConflictError("review file is locked by another process", path=target,
                            remedy="try again in a moment; delete the .lock file only if no misyn-lab is running") \
            from None
    review._set_data(ours)
    review._base_data = copy.deepcopy(review.to_data())
    review.path = target
    return target
