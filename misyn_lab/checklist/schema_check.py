"""JSON-schema validation of checklist and review data, with errors that name the exact field.

Uses ``fastjsonschema`` (a dependency of nbformat, so present wherever Jupyter is): importing ``jsonschema``
pulls in its optional format checkers (e.g. ``rfc3987_syntax``), which costs seconds at every CLI start.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import fastjsonschema


@lru_cache(maxsize=None)
def _validator(schema_path: str) -> Callable[[Any], Any]:
    schema = json.loads(Path(schema_path).read_text(encoding="utf-8"))
    return fastjsonschema.compile(schema)


def _at(data: Any, path: list[Any]) -> Any:
    for key in path:
        data = data[key]
    return data


def schema_problem(data: Any, schema_path: str | Path) -> tuple[list[Any], str] | None:
    """``None`` if ``data`` matches the schema, else ``(path, message)``.

    ``path`` is a list of keys/indices from the top (indices as ints); ``message`` names what is wrong,
    e.g. ``"unknown field 'colour'"``, ``"missing field 'remedy'"`` or ``"'boredom' is not one of [...]"``.
    """
    try:
        _validator(str(schema_path))(data)
    except fastjsonschema.JsonSchemaValueException as exc:
        path = [int(p) if p.isdigit() else p for p in (exc.path or [])[1:]]  # drop the leading "data"
        try:
            here = _at(data, path)
        except (KeyError, IndexError, TypeError):
            here = None
        rule, definition = exc.rule, exc.rule_definition
        if rule == "additionalProperties" and isinstance(here, dict):
            allowed = set((exc.definition or {}).get("properties", {}))
            extra = sorted(str(k) for k in here if k not in allowed)
            return path, "unknown field " + ", ".join(repr(k) for k in extra)
        if rule == "required" and isinstance(here, dict):
            missing = [k for k in definition if k not in here]
            return path, "missing field " + ", ".join(repr(k) for k in missing)
        if rule == "enum":
            return path, f"{here!r} is not one of {list(definition)}"
        if rule == "const":
            return path, f"{here!r} must be {definition!r}"
        if rule == "type":
            return path, f"{here!r} must be of type {definition}"
        name = exc.name[5:] if exc.name.startswith("data.") else exc.name
        return path, exc.message.replace(exc.name, name or "value", 1)
    return None
