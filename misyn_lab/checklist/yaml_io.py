"""Strict YAML/JSON reading for checklist and review files.

Parsing errors become :class:`~misyn_lab.errors.SchemaError` naming the file and line; duplicate mapping
keys (which plain YAML silently collapses, losing data) are an error too. Parsing is bounded (nesting depth,
alias expansion, integer length, and optionally the allowed top-level keys), so a hostile file is refused in
milliseconds instead of hanging or exhausting memory while a review file's lock is held.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from pathlib import Path
from typing import Any

import yaml

from misyn_lab.errors import InputError, MisynError, SchemaError
from misyn_lab.safe_parse import TextLimitError, load_json


#: Deepest nesting of mappings/sequences accepted in a YAML file (misyn-lab's own files nest < 10 levels).
MAX_DEPTH = 64
#: Most nodes a YAML document may hold once every alias is expanded (an alias bomb expands exponentially).
MAX_NODES = 2_000_000
#: Longest integer accepted (Python refuses to convert more than 4,300 digits, with a ValueError).
MAX_INT_DIGITS = 100


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys, over-deep nesting, alias bombs and huge integers, and keeps ISO
    timestamps as plain strings."""

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(None, None, f"nesting deeper than {MAX_DEPTH} levels",
                                                  self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (first at line {seen[key] + 1})", key_node.start_mark)
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


def _construct_int(loader: _StrictLoader, node: yaml.ScalarNode) -> int:
    text = str(node.value)
    if sum(ch.isalnum() for ch in text) > MAX_INT_DIGITS:
        raise yaml.constructor.ConstructorError(None, None, f"integer with more than {MAX_INT_DIGITS} digits",
                                                node.start_mark)
    return yaml.constructor.SafeConstructor.construct_yaml_int(loader, node)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_StrictLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
# Timestamps stay strings so a review round-trips exactly.
_StrictLoader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def expanded_size(root: yaml.Node) -> tuple[int, int]:
    """``(nodes, depth)`` of a composed YAML document as it would be once every alias is expanded.

    Aliases make the node graph a DAG; sizes and depths are computed once per node (memoised, no
    recursion), so a 1 KB alias bomb is measured in microseconds instead of being expanded.
    """
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if key in size:
            continue
        if isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        else:
            children = []
        if done or not children:
            size[key] = 1 + sum(size[id(c)] for c in children)
            depth[key] = 1 + max((depth[id(c)] for c in children), default=0)
            if size[key] > MAX_NODES:
                return size[key], depth[key]
            continue
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in size)
    return size[id(root)], depth[id(root)]


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


def schema_keys(schema_path: str | Path) -> frozenset[str]:
    """The top-level keys a JSON schema declares (``properties``), for :func:`parse_text`'s key check."""
    schema = json.loads(Path(schema_path).read_text(encoding="utf-8"))
    return frozenset(schema.get("properties", {}))


#: Top-level keys with these prefixes are extensions: allowed (and kept verbatim) where ``extensions=True`` (reviews).
EXTENSION_PREFIXES = ("x_", "x-")


def _check_keys(keys: list[Any], allowed: Collection[str] | None, what: str, p: Path, extensions: bool) -> None:
    if allowed is None:
        return
    unknown = [k for k in keys if k not in allowed and not (extensions and str(k).startswith(EXTENSION_PREFIXES))]
    if unknown:
        holds = f"{sorted(allowed)} and x_ extension keys" if extensions else f"only {sorted(allowed)}"
        raise SchemaError(f"unknown top-level key(s) {[str(k)[:40] for k in unknown[:5]]} in {what}", path=p,
                          remedy=f"remove them{' or prefix them with x_' if extensions else ''} (a {what} holds "
                                 f"{holds}), or upgrade misyn-lab if a newer version wrote the file")


def parse_text(text: str, path: str | Path, *, what: str = "file",
               top_level_keys: Collection[str] | None = None, extensions: bool = False) -> Any:
    """Parse YAML (or JSON when ``path`` ends in ``.json``) with errors naming the file and line.

    Bounded: nesting deeper than :data:`MAX_DEPTH`, more than :data:`MAX_NODES` nodes once aliases are
    expanded (alias bombs), integers longer than :data:`MAX_INT_DIGITS` digits, and — when ``top_level_keys``
    is given — unknown top-level keys (other than ``x_``/``x-`` extension keys when ``extensions``) are refused
    with a :class:`SchemaError` before the document is built.
    """
    p = Path(path)
    if p.suffix.lower() == ".json":
        try:
            data = load_json(text, p, what=f"JSON in {what}", max_bytes=len(text.encode("utf-8", "replace")) + 1,
                             max_depth=MAX_DEPTH)
        except TextLimitError as exc:
            raise SchemaError(exc.message, path=p, remedy=exc.remedy or "fix the JSON") from None
        if isinstance(data, dict):
            _check_keys(list(data), top_level_keys, what, p, extensions)
        return data
    loader = _StrictLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        if isinstance(root, yaml.MappingNode) and top_level_keys is not None:
            _check_keys([k.value if isinstance(k, yaml.ScalarNode) else "<complex key>" for k, _ in root.value],
                        top_level_keys, what, p, extensions)
        nodes, depth = expanded_size(root)
        if nodes > MAX_NODES:
            raise SchemaError(f"{what} expands to more than {MAX_NODES:,} YAML nodes (aliases/anchors used as a "
                              "bomb?)", path=p, remedy="write the data out without repeated aliases")
        if depth > MAX_DEPTH:
            raise SchemaError(f"{what} nests deeper than {MAX_DEPTH} levels once its aliases are expanded", path=p,
                              remedy="flatten the data")
        return loader.construct_document(root)
    except MisynError:
        raise
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        remedy = ("flatten the data" if "nesting deeper" in problem else
                  "write such numbers as quoted strings" if "digits" in problem else "fix the YAML syntax at that line")
        raise SchemaError(f"malformed YAML in {what}{where}: {problem}", path=p, remedy=remedy) from None
    except (RecursionError, ValueError, OverflowError) as exc:  # belt and braces: the bounds above come first
        raise SchemaError(f"{what} cannot be parsed within misyn-lab's limits ({type(exc).__name__}: "
                          f"{' '.join(str(exc).split())[:160]})", path=p, remedy="simplify the file") from None
    finally:
        loader.dispose()


def load_file(path: str | Path, *, what: str = "file", top_level_keys: Collection[str] | None = None) -> Any:
    """Read and parse a YAML/JSON file strictly (see :func:`parse_text`)."""
    return parse_text(read_text(path, what=what), path, what=what, top_level_keys=top_level_keys)


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
