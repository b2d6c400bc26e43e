"""Strict YAML/JSON reading for checklist and review files.

Parsing errors become :class:`~misyn_lab.errors.SchemaError` naming the file and line; duplicate mapping
keys (which plain YAML silently collapses, losing data) are an error too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from misyn_lab.errors import InputError, SchemaError


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys and keeps ISO timestamps as plain strings."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (first at line {seen[key] + 1})", key_node.start_mark)
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
# Timestamps stay strings so a review round-trips exactly.
_StrictLoader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_text(path: str | Path, *, what: str = "file") -> str:
    """Read a UTF-8 text file; missing or non-UTF-8 files raise :class:`InputError` naming the file."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{what} not found", path=p, remedy="check the path")
    if p.is_dir():
        raise InputError(f"{what} is a folder, not a file", path=p, remedy="give the path of a .yaml or .json file")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {what}: {exc.strerror or exc}", path=p,
                         remedy="check the file's permissions") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SchemaError(f"{what} is not UTF-8 text (invalid byte at line {line}, byte offset {exc.start})",
                          path=p, remedy="save the file as UTF-8") from None


def parse_text(text: str, path: str | Path, *, what: str = "file") -> Any:
    """Parse YAML (or JSON when ``path`` ends in ``.json``) with errors naming the file and line."""
    p = Path(path)
    if p.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise SchemaError(f"malformed JSON in {what} at line {exc.lineno}, column {exc.colno}: {exc.msg}",
                              path=p, remedy="fix the JSON syntax at that line") from None
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SchemaError(f"malformed YAML in {what}{where}: {problem}", path=p,
                          remedy="fix the YAML syntax at that line") from None


def load_file(path: str | Path, *, what: str = "file") -> Any:
    """Read and parse a YAML/JSON file strictly."""
    return parse_text(read_text(path, what=what), path, what=what)


class FlowList(list):
    """A list written on one line in YAML (e.g. long id lists); equal to the plain list."""


class _Dumper(yaml.SafeDumper):
    pass


_RISKY = frozenset("\r\x85\u2028\u2029\ufeff")


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    """Strings with characters YAML would fold or drop (NEL, LS, PS, CR, BOM, controls) go double-quoted,
    where they are written as escapes and so round-trip exactly."""
    if any(ch in _RISKY or (not ch.isprintable() and ch not in "\n\t") for ch in value):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    return dumper.represent_str(value)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(FlowList, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))


def dump_yaml(data: Any) -> str:
    """Human-readable YAML that round-trips exactly (unicode kept, key order kept)."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)


def dump_json(data: Any) -> str:
    """Pretty JSON that round-trips exactly."""
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
