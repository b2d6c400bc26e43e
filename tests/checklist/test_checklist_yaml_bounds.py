"""The review/case/checklist/claims YAML loader refuses alias bombs, deep nesting, huge integers and unknown
top-level keys quickly, with a SchemaError naming the file."""

from __future__ import annotations

import time

import pytest

from misyn_lab.checklist.yaml_io import MAX_NODES, expanded_size, parse_text
from misyn_lab.errors import SchemaError


def _bomb(levels: int) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_measured_not_expanded():
    import yaml

    root = yaml.compose(_bomb(10))
    start = time.perf_counter()
    nodes, depth = expanded_size(root)
    assert nodes > MAX_NODES and time.perf_counter() - start < 0.5
    nodes3, depth3 = expanded_size(yaml.compose(_bomb(3)))
    # a0: 11 nodes; a1: 1 + 10 * 11 = 111; a2: 1 + 10 * 111 = 1111; three keys; the mapping itself;
    # depth: mapping > a2 > a1 > a0 > x
    assert (nodes3, depth3) == (1 + 3 + 11 + 111 + 1111, 5)


def test_bomb_refused_quickly_naming_the_file():
    start = time.perf_counter()
    with pytest.raises(SchemaError) as info:
        parse_text(_bomb(10), "r.yaml", what="review file")
    assert str(info.value) == ("r.yaml: review file expands to more than 2,000,000 YAML nodes (aliases/anchors used as "
                               "a bomb?) (fix: write the data out without repeated aliases)")
    assert time.perf_counter() - start < 1.0
    assert parse_text(_bomb(3), "r.yaml")["a2"][0][0] == ["x"] * 10  # small alias use is fine


def test_unknown_top_level_keys_refused_before_construction():
    keys = {"kind", "answers"}
    start = time.perf_counter()
    with pytest.raises(SchemaError) as info:
        parse_text("kind: k\nevil: " + _bomb(12).replace("\n", "\n  ").join(["\n  ", ""]), "r.yaml", what="review file",
                   top_level_keys=keys, extensions=True)
    assert str(info.value) == ("r.yaml: unknown top-level key(s) ['evil'] in review file (fix: remove them or prefix "
                               "them with x_ (a review file holds ['answers', 'kind'] and x_ extension keys), or "
                               "upgrade misyn-lab if a newer version wrote the file)")
    assert time.perf_counter() - start < 1.0
    assert parse_text("kind: k\nx_tool: {a: 1}\n", "r.yaml", top_level_keys=keys,
                      extensions=True) == {"kind": "k", "x_tool": {"a": 1}}
    with pytest.raises(SchemaError, match=r"unknown top-level key\(s\) \['x_tool'\] in file \(fix: remove them "
                                          r"\(a file holds only \['answers', 'kind'\]\)"):
        parse_text("kind: k\nx_tool: {a: 1}\n", "r.yaml", top_level_keys=keys)


@pytest.mark.parametrize("text, message", [
    ("a: " + "[" * 100000 + "]" * 100000, "r.yaml: malformed YAML in file at line 1, column 67: nesting deeper than 64 "
                                          "levels (fix: flatten the data)"),
    ("a: " + "9" * 100000, "r.yaml: malformed YAML in file at line 1, column 4: integer with more than 100 digits "
                           "(fix: write such numbers as quoted strings)"),
])
def test_depth_and_integer_limits(text, message):
    with pytest.raises(SchemaError) as info:
        parse_text(text, "r.yaml")
    assert str(info.value) == message


def test_json_files_use_the_same_bounds():
    with pytest.raises(SchemaError, match=r"r\.json: JSON in review file nests 100001 levels deep"):
        parse_text('{"a": ' + "[" * 100000 + "]" * 100000 + "}", "r.json", what="review file")
    with pytest.raises(SchemaError, match=r"unknown top-level key\(s\) \['evil'\]"):
        parse_text('{"kind": 1, "evil": 2}', "r.json", top_level_keys={"kind"})
