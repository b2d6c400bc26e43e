"""Every public name of every station has a numpydoc docstring: a summary line, a Parameters section when it
takes arguments, a Returns (or Yields) section when it returns a value, and an Examples section with ``>>>``
lines (run as doctests by the test command: pytest's ``--doctest-modules`` over ``misyn_lab``).

A station's public names are its ``__all__``; a station without ``__all__`` exports the classes and functions its
``__init__`` imports from its own modules (for a top-level module: the ones it defines). Constants and
type aliases carry no docstring of their own and are documented where they are defined (``#:`` comments)."""

from __future__ import annotations

import importlib
import dataclasses
import inspect
import pkgutil
import re
import types

import pytest

import misyn_lab

#: Entry points, not an API (``misyn-lab ...`` and ``python -m misyn_lab``).
ENTRY_POINTS = {"cli", "__main__"}


def stations() -> list[str]:
    """Subpackages and top-level modules of misyn_lab, minus the excluded ones and the entry points."""
    return sorted(m.name for m in pkgutil.iter_modules(misyn_lab.__path__)
                  if not m.name.startswith("_") and m.name not in ENTRY_POINTS)


def public_names(station: str) -> list[str]:
    """The station's ``__all__``, or the package classes and functions its module namespace holds."""
    mod = importlib.import_module(f"misyn_lab.{station}")
    if hasattr(mod, "__all__"):
        return list(mod.__all__)
    # a package exports what its __init__ imports from its modules; a module what it defines itself
    home = f"{mod.__name__}." if hasattr(mod, "__path__") else mod.__name__
    names = []
    for name, value in vars(mod).items():
        if name.startswith("_") or isinstance(value, types.ModuleType):
            continue
        if (inspect.isfunction(value) or inspect.isclass(value)) and (
                value.__module__.startswith(home) if home.endswith(".") else value.__module__ == home):
            names.append(name)
    return sorted(names)


def documented_objects() -> list[tuple[str, object]]:
    out = []
    for station in stations():
        mod = importlib.import_module(f"misyn_lab.{station}")
        for name in public_names(station):
            obj = getattr(mod, name)
            if inspect.isfunction(obj) or inspect.isclass(obj):
                out.append((f"{station}.{name}", obj))
    return out


def _section(doc: str, title: str) -> bool:
    return re.search(rf"^{title}\n-{{{len(title)}}}\s*$", doc, re.M) is not None


def _takes_arguments(obj: object) -> bool:
    try:
        sig = inspect.signature(obj)  # a class: its constructor, without self
    except (TypeError, ValueError):
        return False
    return any(p.name not in ("self", "cls") for p in sig.parameters.values())


def _returns_value(obj: object) -> bool:
    if inspect.isclass(obj):
        return False
    ann = inspect.signature(obj).return_annotation
    return ann not in (None, "None", type(None))


def problems(obj: object) -> list[str]:
    """What the docstring of ``obj`` lacks (empty when it is complete)."""
    doc = inspect.getdoc(obj) if inspect.isfunction(obj) else (obj.__doc__ and inspect.cleandoc(obj.__doc__))
    if not doc:
        return ["no docstring"]
    out = []
    if not doc.splitlines()[0].strip():
        out.append("no summary line")
    # a dataclass documents its fields (its constructor's arguments) as Parameters or, numpydoc's other form, as
    # Attributes
    fields = _section(doc, "Parameters") or (dataclasses.is_dataclass(obj) and _section(doc, "Attributes"))
    if _takes_arguments(obj) and not fields:
        out.append("no Parameters section")
    if _returns_value(obj) and not (_section(doc, "Returns") or _section(doc, "Yields")):
        out.append("no Returns section")
    if not _section(doc, "Examples") or ">>>" not in doc.split("Examples", 1)[-1]:
        out.append("no Examples section with >>>")
    return out


def test_the_check_finds_a_missing_section():
    def add(a: int, b: int) -> int:
        """Add two numbers.

        Parameters
        ----------
        a, b : int
            The numbers.
        """
        return a + b

    assert problems(add) == ["no Returns section", "no Examples section with >>>"]

    def constant() -> None:
        """Do nothing.

        Examples
        --------
        >>> constant()
        """

    assert problems(constant) == []
    assert problems(lambda x: x) == ["no docstring"]


def test_every_station_is_covered():
    assert {"checklist", "instruments", "provenance", "imagesets", "features", "metrics", "synth", "render", "viz",
            "workbook", "widgets", "notebooks", "engine", "errors"} <= set(stations())
    assert len(documented_objects()) > 150


@pytest.mark.parametrize("qualname,obj", documented_objects(), ids=lambda v: v if isinstance(v, str) else "")
def test_public_name_is_documented(qualname, obj):
    found = problems(obj)
    assert not found, f"{qualname}: {', '.join(found)}"
