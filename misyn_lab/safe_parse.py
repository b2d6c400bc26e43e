"""Bounded parsing of text that arrives inside files: JSON and XMP/XML with a size and a nesting-depth limit.

Embedded text (PNG tEXt/iTXt, JPEG COM/XMP, TIFF ImageDescription/XMP, the DICOM private block, NIfTI
sidecars, registry rows, ``.npz`` metadata, review and case files) is written by whoever made the file.
``json.loads`` and ElementTree recurse or allocate without bound on hostile input (``"[" * 100000`` raises
``RecursionError``; a 100,000-digit number raises ``ValueError``; entity declarations expand). Every such text
goes through this module instead: the limits are checked *before* the parser runs, and every failure is a
:class:`TextLimitError` (a :class:`~misyn_lab.errors.InputError`) naming the place, never a parser's exception.

Callers that read marks turn the error into a per-file "unreadable mark" result (see
:func:`json_or_problem`); callers that read user files let it propagate as a one-line error.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from os import PathLike
from typing import Any

import numpy as np

from misyn_lab.errors import InputError

#: Largest embedded JSON/XML text parsed, in bytes (UTF-8). Provenance records are a few kilobytes.
MAX_TEXT_BYTES = 4 * 1024 * 1024
#: Deepest nesting of arrays/objects (JSON) or elements (XML) accepted. misyn-lab writes depth <= 4.
MAX_DEPTH = 64
#: Longest run of digits accepted in one JSON number (Python refuses > 4,300 digits with a ValueError).
MAX_NUMBER_DIGITS = 1000

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_OPEN = np.frombuffer(b"[{", np.uint8)
_CLOSE = np.frombuffer(b"]}", np.uint8)
_LONG_NUMBER = re.compile(r"\d{%d,}" % (MAX_NUMBER_DIGITS + 1))


class TextLimitError(InputError):
    """Embedded or user text that is too large, too deeply nested or not parsable within the limits (an
    :class:`~misyn_lab.errors.InputError`).

    Parameters
    ----------
    message : str
        What is wrong, in plain words.
    path : str or path-like, optional
        The offending file, folder or option, if any.
    remedy : str, optional
        What the user can do about it.

    Examples
    --------
    >>> load_json("[" * 100 + "]" * 100, "a.json")
    Traceback (most recent call last):
    ...
    misyn_lab.safe_parse.TextLimitError: a.json: JSON nests 100 levels deep, more than the limit of 64 (fix: ...)
    """


def _as_text(data: str | bytes, where: str | PathLike[str]) -> str:
    if isinstance(data, bytes):
        return data.decode("utf-8", "replace")
    if not isinstance(data, str):
        raise TextLimitError(f"expected text, got {type(data).__name__}", path=where)
    return data


def json_depth(text: str) -> int:
    """Deepest ``[``/``{`` nesting of JSON ``text`` (brackets inside strings ignored), computed without recursion.

    Parameters
    ----------
    text : str
        JSON text.

    Returns
    -------
    int
        The depth.

    Examples
    --------
    >>> json_depth('{"a": [1, {"b": "[[["}]}')
    3
    """
    if text.count("[") + text.count("{") == 0:
        return 0
    stripped = _STRING.sub('""', text) if '"' in text else text
    codes = np.frombuffer(stripped.encode("utf-8", "replace"), np.uint8)
    step = (np.isin(codes, _OPEN).astype(np.int32) - np.isin(codes, _CLOSE).astype(np.int32))
    return int(max(0, np.cumsum(step).max())) if step.size else 0


def check_json_text(text: str, where: str | PathLike[str], *, what: str = "JSON",
                    max_bytes: int = MAX_TEXT_BYTES, max_depth: int = MAX_DEPTH) -> None:
    """Raise :class:`TextLimitError` when ``text`` is larger, deeper or holds longer numbers than the limits.

    Parameters
    ----------
    text : str
        The JSON text.
    where : str or path-like
        Where it comes from, named in the error.
    what : str, optional
        What it is, named in the error.
    max_bytes, max_depth : int, optional
        The limits.

    Raises
    ------
    TextLimitError
        Over a limit.

    Examples
    --------
    >>> check_json_text('{"a": [1]}', "card.json")
    >>> check_json_text("1" * 5000, "card.json", max_bytes=100)
    Traceback (most recent call last):
    ...
    misyn_lab.safe_parse.TextLimitError: card.json: JSON is 5,000 bytes, more than the 100 misyn-lab parses (fix: ...)
    """
    size = len(text.encode("utf-8", "replace")) if len(text) * 4 > max_bytes else len(text)
    if size > max_bytes:
        raise TextLimitError(f"{what} is {size:,} bytes, more than the {max_bytes:,} misyn-lab parses", path=where,
                             remedy="shorten it; embedded metadata of this size is not written by misyn-lab")
    # fast path: with fewer brackets than the limit the nesting cannot exceed it
    if text.count("[") + text.count("{") > max_depth:
        depth = json_depth(text)
        if depth > max_depth:
            raise TextLimitError(f"{what} nests {depth} levels deep, more than the limit of {max_depth}",
                                 path=where, remedy="flatten it; misyn-lab writes at most a few levels")
    if len(text) > MAX_NUMBER_DIGITS and _LONG_NUMBER.search(_STRING.sub('""', text) if '"' in text else text):
        raise TextLimitError(f"{what} holds a number with more than {MAX_NUMBER_DIGITS} digits", path=where,
                             remedy="write numbers with fewer digits (or as strings)")


def load_json(data: str | bytes, where: str | PathLike[str], *, what: str = "JSON",
              max_bytes: int = MAX_TEXT_BYTES, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` after :func:`check_json_text`; every failure is a :class:`TextLimitError` naming ``where``.

    Parameters
    ----------
    data : str or bytes
        The text (bytes as UTF-8).
    where : str or path-like
        Where it comes from.
    what : str, optional
        What it is.
    max_bytes, max_depth : int, optional
        The limits.

    Returns
    -------
    object
        The parsed value.

    Raises
    ------
    TextLimitError
        Over a limit, or not JSON.

    Examples
    --------
    >>> load_json(b"[1, 2]", "x.json")
    [1, 2]
    """
    text = _as_text(data, where)
    check_json_text(text, where, what=what, max_bytes=max_bytes, max_depth=max_depth)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise TextLimitError(f"malformed {what} at line {exc.lineno}, column {exc.colno}: {exc.msg}", path=where,
                             remedy="fix the JSON syntax") from None
    except (ValueError, RecursionError) as exc:  # belt and braces: limits above should prevent both
        raise TextLimitError(f"{what} cannot be parsed: {' '.join(str(exc).split())[:200]}", path=where) from None


def load_json_object(data: str | bytes, where: str | PathLike[str], *, what: str = "JSON") -> dict[str, Any]:
    """:func:`load_json` that also requires a JSON object (``{...}``).

    Parameters
    ----------
    data : str or bytes
        The text.
    where : str or path-like
        Where it comes from.
    what : str, optional
        What it is.

    Returns
    -------
    dict
        The object.

    Raises
    ------
    TextLimitError
        Over a limit, not JSON, or not an object.

    Examples
    --------
    >>> load_json_object('{"generator": "pca_gaussian"}', "card.json")
    {'generator': 'pca_gaussian'}
    """
    value = load_json(data, where, what=what)
    if not isinstance(value, dict):
        raise TextLimitError(f"{what} is a JSON {type(value).__name__}, not an object", path=where)
    return value


def json_or_problem(data: Any, where: str | PathLike[str], *,
                    what: str = "JSON") -> tuple[dict[str, Any] | None, str | None]:
    """A JSON object within the limits, or the reason it is not one; never raises.

    For readers of marks: a bad embedded text becomes a per-file "unreadable mark" result.

    Parameters
    ----------
    data : str, bytes or object
        The text.
    where : str or path-like
        Where it comes from.
    what : str, optional
        What it is.

    Returns
    -------
    (dict or None, str or None)
        ``(object, None)`` or ``(None, reason)``.

    Examples
    --------
    >>> json_or_problem(b'{"a": 1}', "x.png"), json_or_problem(b"[1]", "x.png")
    (({'a': 1}, None), (None, 'JSON is a JSON list, not an object'))
    """
    if data is None:
        return None, None
    try:
        return load_json_object(data if isinstance(data, (str, bytes)) else str(data), where, what=what), None
    except TextLimitError as exc:
        return None, exc.message


_DTD = re.compile(rb"<!(DOCTYPE|ENTITY)", re.I)


def check_no_dtd(data: bytes, where: str | PathLike[str], *, what: str = "XMP packet") -> None:
    """Refuse XML that declares a DTD or entities (entity expansion is how XML bombs work; XMP never needs it).

    Parameters
    ----------
    data : bytes
        The XML.
    where : str or path-like
        Where it comes from, named in the error.
    what : str, optional
        What it is.

    Raises
    ------
    TextLimitError
        A DTD or entity declaration.

    Examples
    --------
    >>> check_no_dtd(b"<x/>", "a.png")
    >>> check_no_dtd(b'<!DOCTYPE x [<!ENTITY a "b">]><x/>', "a.png")
    Traceback (most recent call last):
    ...
    misyn_lab.safe_parse.TextLimitError: a.png: XMP packet declares a DTD or entities (not allowed in XMP) (fix: ...)
    """
    if _DTD.search(data):
        raise TextLimitError(f"{what} declares a DTD or entities (not allowed in XMP)", path=where,
                             remedy="remove the <!DOCTYPE>/<!ENTITY> declarations")


def parse_xml(data: str | bytes, where: str | PathLike[str], *, what: str = "XMP packet",
              max_bytes: int = MAX_TEXT_BYTES, max_depth: int = MAX_DEPTH) -> ET.Element:
    """Parse XML (an XMP packet) with a size limit, a depth limit and no DTD/entity declarations.

    Parsing is incremental (:class:`xml.etree.ElementTree.XMLPullParser`), so an over-deep document is refused
    when its limit is reached, before the rest is read.

    Parameters
    ----------
    data : str or bytes
        The XML.
    where : str or path-like
        Where it comes from.
    what : str, optional
        What it is.
    max_bytes, max_depth : int, optional
        The limits.

    Returns
    -------
    xml.etree.ElementTree.Element
        The root element.

    Raises
    ------
    TextLimitError
        Over a limit, a DTD, or not XML.

    Examples
    --------
    >>> parse_xml(b"<x><y/></x>", "a.png").tag
    'x'
    """
    raw = data.encode("utf-8", "replace") if isinstance(data, str) else bytes(data)
    if len(raw) > max_bytes:
        raise TextLimitError(f"{what} is {len(raw):,} bytes, more than the {max_bytes:,} misyn-lab parses",
                             path=where, remedy="shorten it")
    check_no_dtd(raw, where, what=what)
    parser = ET.XMLPullParser(events=("start", "end"))
    depth = 0
    root: ET.Element | None = None
    step = 64 * 1024
    try:
        for i in range(0, max(len(raw), 1), step):
            parser.feed(raw[i:i + step])
            for event, elem in parser.read_events():
                if event == "start":
                    depth += 1
                    if root is None:
                        root = elem
                    if depth > max_depth:
                        raise TextLimitError(f"{what} nests elements more than {max_depth} levels deep", path=where,
                                             remedy="flatten it; XMP packets are a few levels deep")
                else:
                    depth -= 1
        parser.close()
        for _event, _elem in parser.read_events():
            pass
    except ET.ParseError as exc:
        raise TextLimitError(f"malformed {what}: {exc}", path=where, remedy="re-write the packet") from None
    if root is None:
        raise TextLimitError(f"{what} holds no XML element", path=where)
    return root
