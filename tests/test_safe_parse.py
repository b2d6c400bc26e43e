"""Bounded parsing of embedded text: size, nesting depth and number length checked before the parser runs."""

from __future__ import annotations

import time

import pytest

from misyn_lab.safe_parse import (
    MAX_DEPTH,
    TextLimitError,
    json_depth,
    json_or_problem,
    load_json,
    load_json_object,
    parse_xml,
)


def test_depth_ignores_brackets_inside_strings():
    assert json_depth('{"a": [1, {"b": "[[[[{{{"}]}') == 3
    assert json_depth('"no brackets"') == 0
    assert json_depth('[' * MAX_DEPTH + ']' * MAX_DEPTH) == MAX_DEPTH
    assert load_json('[' * MAX_DEPTH + ']' * MAX_DEPTH, "x") is not None


@pytest.mark.parametrize("text, message", [
    ("[" * 100000 + "]" * 100000, "f.json: JSON nests 100000 levels deep, more than the limit of 64 (fix: flatten it; "
                                  "misyn-lab writes at most a few levels)"),
    ('{"n": ' + "7" * 100000 + "}", "f.json: JSON holds a number with more than 1000 digits (fix: write numbers with "
                                    "fewer digits (or as strings))"),
    ('{"a": 1', "f.json: malformed JSON at line 1, column 8: Expecting ',' delimiter (fix: fix the JSON syntax)"),
])
def test_limits_are_errors_naming_the_place(text, message):
    start = time.perf_counter()
    with pytest.raises(TextLimitError) as info:
        load_json(text, "f.json")
    assert str(info.value) == message
    assert time.perf_counter() - start < 1.0


def test_size_limit_and_objects_only():
    with pytest.raises(TextLimitError, match=r"JSON is 101 bytes, more than the 100 misyn-lab parses"):
        load_json('"' + "a" * 99 + '"', "x", max_bytes=100)
    with pytest.raises(TextLimitError, match="JSON is a JSON list, not an object"):
        load_json_object("[1]", "x")
    assert json_or_problem('{"a": 1}', "x") == ({"a": 1}, None)
    assert json_or_problem(None, "x") == (None, None)
    assert json_or_problem("[" * 70 + "]" * 70, "x", what="mark") == (
        None, "mark nests 70 levels deep, more than the limit of 64")


def test_xml_depth_dtd_and_malformed():
    assert parse_xml("<a><b c='1'/></a>", "p").tag == "a"
    with pytest.raises(TextLimitError, match="XMP packet nests elements more than 64 levels deep"):
        parse_xml("<a>" * 100000 + "</a>" * 100000, "p")
    with pytest.raises(TextLimitError, match=r"XMP packet declares a DTD or entities \(not allowed in XMP\)"):
        parse_xml('<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', "p")
    with pytest.raises(TextLimitError, match="malformed XMP packet: mismatched tag"):
        parse_xml("<a></b>", "p")
