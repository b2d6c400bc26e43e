"""Every package name a notebook uses is public API: declared in ``__all__`` and not private.

The code cells of every notebook source (``misyn_lab/notebooks/*.md``, read with :func:`misyn_lab.notebooks.read`)
are parsed with ``ast``. A name imported from a package module (``from misyn_lab.metrics.copies import
copy_probes``), or taken as an attribute of an imported package module (``lessons.invented_detail``), must be in
that module's ``__all__`` or in its station's ``__all__`` (the same object); a module a notebook takes must be
public (no ``_`` in its dotted name) and declare ``__all__``.
"""

from __future__ import annotations

import ast
import importlib
import types
from dataclasses import dataclass

import pytest

from misyn_lab import notebooks

NAMES = notebooks.names()


@dataclass(frozen=True)
class Use:
    notebook: str
    module: str
    name: str  # "" when the module itself is used

    def __str__(self) -> str:
        return f"{self.notebook}: {self.module}" + (f".{self.name}" if self.name else "")


def _tree(name: str) -> ast.Module:
    code = [c.source for c in notebooks.read(name).cells if c.cell_type == "code"]
    lines = [ln for cell in code for ln in cell.splitlines() if not ln.lstrip().startswith(("%", "!"))]
    return ast.parse("\n".join(lines))


def _member(module: types.ModuleType, name: str) -> object:
    """``from module import name``: an attribute, else a submodule (imported as Python would)."""
    if hasattr(module, name):
        return getattr(module, name)
    try:
        return importlib.import_module(f"{module.__name__}.{name}")
    except ModuleNotFoundError:
        return None


def package_uses(notebook: str, tree: ast.Module) -> list[Use]:
    """Package modules and names the code uses (imports, and attributes of imported package modules)."""
    modules: dict[str, types.ModuleType] = {}
    uses: list[Use] = []

    def take(alias: str, obj: object, module: str, name: str) -> None:
        if isinstance(obj, types.ModuleType):
            modules[alias] = obj
            uses.append(Use(notebook, obj.__name__, ""))
        else:
            uses.append(Use(notebook, module, name))

    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "misyn_lab":
            mod = importlib.import_module(node.module)
            for a in node.names:
                take(a.asname or a.name, _member(mod, a.name), node.module, a.name)
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == "misyn_lab":
                    mod = importlib.import_module(a.name)
                    take(a.asname or a.name.split(".")[0], mod if a.asname else importlib.import_module("misyn_lab"),
                         a.name, "")

    def resolve(node: ast.expr) -> types.ModuleType | None:
        if isinstance(node, ast.Name):
            return modules.get(node.id)
        if isinstance(node, ast.Attribute):
            base = resolve(node.value)
            value = getattr(base, node.attr, None) if base is not None else None
            return value if isinstance(value, types.ModuleType) else None
        return None

    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            base = resolve(node.value)
            if base is None:
                continue
            value = getattr(base, node.attr, None)
            if isinstance(value, types.ModuleType):
                uses.append(Use(notebook, value.__name__, ""))
            else:
                uses.append(Use(notebook, base.__name__, node.attr))
    return uses


def problem(use: Use) -> str | None:
    """Why a use is not public API (None when it is)."""
    parts = use.module.split(".") + ([use.name] if use.name else [])
    private = [p for p in parts if p.startswith("_") and not p.startswith("__")]
    if private:
        return f"{use} is private ({', '.join(private)})"
    module = importlib.import_module(use.module)
    if not use.name:
        return None if hasattr(module, "__all__") else f"{use}: module declares no __all__"
    if use.name in getattr(module, "__all__", ()):
        return None
    station = importlib.import_module(".".join(use.module.split(".")[:2]))
    obj = getattr(module, use.name, None)
    if use.name in getattr(station, "__all__", ()) and getattr(station, use.name, None) is obj:
        return None
    where = f"{use.module}.__all__" + (f" nor {station.__name__}.__all__" if station is not module else "")
    return f"{use} is not in {where}"


@pytest.mark.parametrize("name", NAMES)
def test_notebooks_use_only_public_names(name):
    uses = package_uses(name, _tree(name))
    assert uses, f"{name} uses no package name: the reader found nothing"
    bad = sorted({p for p in map(problem, uses) if p})
    assert not bad, "\n".join(bad)


def test_the_check_flags_private_and_undeclared_names():
    tree = ast.parse("from misyn_lab.cases import text_to_image as t2i\n"
                     "from misyn_lab.instruments.claims import _as_claim, check_claims\n"
                     "t2i.no_such_name\n"
                     "from misyn_lab.imagesets import _raster\n"
                     "from misyn_lab import workbook\n"
                     "workbook.lessons.invented_detail\n")
    assert sorted({p for p in map(problem, package_uses("toy", tree)) if p}) == [
        "toy: misyn_lab.cases.text_to_image.no_such_name is not in misyn_lab.cases.text_to_image.__all__ nor "
        "misyn_lab.cases.__all__",
        "toy: misyn_lab.cases.text_to_image: module declares no __all__",
        "toy: misyn_lab.imagesets._raster is private (_raster)",
        "toy: misyn_lab.instruments.claims._as_claim is private (_as_claim)",
    ]
