"""The one-way house, enforced: every import of every module of misyn_lab (module level, function level and
``TYPE_CHECKING``) is read with ``ast`` and checked against the road written as data in :mod:`misyn_lab._road`.

Fails on (a) an import against the road, (b) an import cycle between modules (function-level imports included;
a function-level import must defer a heavy dependency), (c) a private name (``_x``, a module or an attribute)
imported from another station.
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import misyn_lab
from misyn_lab import _road

PACKAGE_DIR = Path(misyn_lab.__file__).resolve().parent


@dataclass(frozen=True)
class Import:
    importer: str  # module name
    target: str  # imported module (a package's __init__ when a name is imported from a package)
    names: tuple[str, ...]  # attribute names imported from ``target`` (empty for ``import x`` / submodules)
    where: str  # "module", "function" or "typing"
    line: int

    def __str__(self) -> str:
        what = self.target + (f" ({', '.join(self.names)})" if self.names else "")
        return f"{self.importer}:{self.line} imports {what} [{self.where} level]"


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def find_modules(root: Path) -> dict[str, Path]:
    """Every module of the package at ``root``: dotted name -> file."""
    return {module_name(p, root): p for p in sorted(root.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return "TYPE_CHECKING" in ast.unparse(test)


def read_imports(name: str, path: Path, modules: dict[str, Path], top: str) -> tuple[list[Import], set[str]]:
    """The package-internal imports of one module, and the outside modules (standard library and third party,
    dotted names) it imports: at module level as ``"numpy"``, ``"PIL.Image"``; in a function as
    ``"function:<line>:<module>"``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[Import] = []
    third: set[str] = set()

    def resolve(node: ast.ImportFrom) -> str:
        if not node.level:
            return node.module or ""
        base = package.split(".")
        if node.level > 1:
            base = base[: len(base) - (node.level - 1)]
        return ".".join(base + ([node.module] if node.module else []))

    def visit(node: ast.AST, where: str) -> None:
        for child in ast.iter_child_nodes(node):
            here = where
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) and where == "module":
                here = "function"
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for sub in child.body:
                    visit_node(sub, "typing")
                for sub in child.orelse:
                    visit_node(sub, where)
                continue
            visit_node(child, here)

    def visit_node(child: ast.AST, where: str) -> None:
        if isinstance(child, ast.Import):
            for alias in child.names:
                if alias.name == top or alias.name.startswith(top + "."):
                    found.append(Import(name, alias.name, (), where, child.lineno))
                elif where == "module":
                    third.add(alias.name)
                elif where == "function":
                    third.add(f"function:{child.lineno}:{alias.name}")
        elif isinstance(child, ast.ImportFrom):
            target = resolve(child)
            if target == top or target.startswith(top + "."):
                plain: list[str] = []
                for alias in child.names:
                    sub = f"{target}.{alias.name}"
                    if sub in modules:
                        found.append(Import(name, sub, (), where, child.lineno))
                    else:
                        plain.append(alias.name)
                if plain:
                    found.append(Import(name, target, tuple(plain), where, child.lineno))
            elif where == "module" and not child.level:
                third.add(target)
            elif where == "function" and not child.level:
                third.add(f"function:{child.lineno}:{target}")
        else:
            visit(child, where)

    visit(tree, "module")
    return found, third


@dataclass
class House:
    modules: dict[str, Path]
    imports: list[Import]
    third: dict[str, set[str]]


def read_house(root: Path = PACKAGE_DIR) -> House:
    modules = find_modules(root)
    imports: list[Import] = []
    third: dict[str, set[str]] = {}
    for name, path in modules.items():
        found, third[name] = read_imports(name, path, modules, root.name)
        imports += found
    return House(modules, imports, third)


# ---------------------------------------------------------------------------------------------- the checks
def road_violations(house: House) -> list[str]:
    """(a) imports that run against the road (module, function and TYPE_CHECKING level)."""
    bad = []
    for imp in house.imports:
        if imp.importer != imp.target and not _road.may_import(imp.importer, imp.target):
            src, dst = _road.station(imp.importer) or "the facade", _road.station(imp.target) or "the facade"
            bad.append(f"{imp}: {src} may not import {dst}")
    return bad


def private_violations(house: House) -> list[str]:
    """(c) private names (a ``_module`` on the path or an imported ``_name``) taken from another station."""
    bad = []
    for imp in house.imports:
        if _road.station(imp.importer) == _road.station(imp.target):
            continue
        path_parts = imp.target.split(".")[1:]
        private = [p for p in path_parts if p.startswith("_") and not p.startswith("__")]
        private += [n for n in imp.names if n.startswith("_") and not n.startswith("__")]
        if private:
            bad.append(f"{imp}: private {', '.join(private)} of another station")
    return bad


def graph(house: House, levels: tuple[str, ...] = ("module", "function")) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {m: set() for m in house.modules}
    for imp in house.imports:
        if imp.where in levels and imp.target in house.modules and imp.target != imp.importer:
            edges[imp.importer].add(imp.target)
    return edges


def strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """Groups of modules that import each other (Tarjan's algorithm; networkx when it is installed)."""
    try:
        import networkx as nx
    except ImportError:  # pragma: no cover - networkx comes with scikit-image
        return _tarjan(edges)
    g = nx.DiGraph([(a, b) for a, bs in edges.items() for b in bs])
    return sorted(sorted(c) for c in nx.strongly_connected_components(g) if len(c) > 1)


def _tarjan(edges: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            connect(v)
    return sorted(out)


def cycle_violations(house: House) -> list[str]:
    """(b) import cycles between modules, with the imports that close them."""
    edges = graph(house)
    bad = []
    for group in strongly_connected(edges):
        members = set(group)
        links = [str(i) for i in house.imports if i.importer in members and i.target in members
                 and i.where != "typing" and i.target != i.importer]
        bad.append("import cycle between " + ", ".join(group) + ":\n    " + "\n    ".join(links))
    return bad


def _parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def outside_loaded(house: House, name: str) -> set[str]:
    """Outside modules (dotted, with their parent packages) loaded by importing module ``name`` (its parent
    packages included)."""
    edges = graph(house, levels=("module",))
    seen: set[str] = set()
    todo = [name, *_parents(name)]
    while todo:
        m = todo.pop()
        if m in seen or m not in house.modules:
            continue
        seen.add(m)
        todo += [*edges[m], *(p for t in edges[m] for p in _parents(t))]
    dotted = {x for m in seen for x in house.third[m] if not x.startswith("function:")}
    return dotted | {p for x in dotted for p in _parents(x)}


def heavy_loaded(house: House, name: str) -> set[str]:
    """Heavy third-party packages (:data:`misyn_lab._road.HEAVY`) loaded by importing module ``name``."""
    return {x.split(".")[0] for x in outside_loaded(house, name)} & _road.HEAVY


def deferral_violations(house: House) -> list[str]:
    """Function-level imports of package modules that defer nothing heavy (they could be module-level)."""
    bad = []
    for imp in house.imports:
        if imp.where != "function" or imp.target not in house.modules:
            continue
        deferred = heavy_loaded(house, imp.target) - heavy_loaded(house, imp.importer)
        if not deferred:
            bad.append(f"{imp}: defers no heavy dependency; import it at the top of the module")
    return bad


def outside_deferral_violations(house: House) -> list[str]:
    """Function-level imports of outside modules that are neither heavy (:data:`misyn_lab._road.HEAVY`) nor
    still unloaded when the module is imported."""
    bad = []
    for name in house.modules:
        loaded = outside_loaded(house, name)
        for entry in sorted(x for x in house.third[name] if x.startswith("function:")):
            _, line, module = entry.split(":", 2)
            if module.split(".")[0] not in _road.HEAVY:
                bad.append(f"{name}:{line} imports {module} [function level]: not a heavy dependency; import it at "
                           "the top of the module")
            elif module in loaded:
                bad.append(f"{name}:{line} imports {module} [function level]: already loaded with the module; "
                           "import it at the top")
    return bad


# ---------------------------------------------------------------------------------------------- the tests
@pytest.fixture(scope="module")
def house() -> House:
    return read_house()


def test_road_names_every_station_once():
    packages = {p.name for p in PACKAGE_DIR.iterdir() if (p / "__init__.py").is_file()}
    modules = {p.stem for p in PACKAGE_DIR.glob("*.py")} - {"__init__", "__main__", "cli"}
    assert set(_road.ROAD) | set(_road.LEAVES) == packages | modules
    assert not set(_road.ROAD) & set(_road.LEAVES)
    for station, allowed in _road.ROAD.items():
        assert allowed <= set(_road.ROAD) - {station}, station
    assert "widgets" not in set().union(*_road.ROAD.values())
    assert {s for s, allowed in _road.ROAD.items() if "report" in allowed} == set()


def test_the_allow_list_is_tiny_and_explained():
    assert len(_road.ALLOWED) <= 3
    for (importer, imported), reason in _road.ALLOWED.items():
        assert importer.startswith("misyn_lab.") and imported.startswith("misyn_lab.") and len(reason) > 20


RULES = {
    "road": road_violations,  # (a) imports against misyn_lab/_road.py
    "no_cycle": cycle_violations,  # (b) import cycles, function-level imports included
    "function_level_package": deferral_violations,  # (b) a function-level import must defer something heavy
    "function_level_outside": outside_deferral_violations,
    "no_private_across_stations": private_violations,  # (c)
}


@pytest.mark.parametrize("rule", list(RULES))
def test_the_house_keeps_its_rule(house, rule):
    bad = RULES[rule](house)
    assert not bad, f"{rule}:\n" + "\n".join(bad)


def test_every_import_is_read(house):
    """The reader sees function-level and relative imports (a guard against a checker that reads nothing)."""
    by_where = {w: sum(i.where == w for i in house.imports) for w in ("module", "function", "typing")}
    assert by_where["module"] > 500 and by_where["function"] > 20 and by_where["typing"] > 0
    assert "misyn_lab.imagesets.core" in graph(house)["misyn_lab.features.extract"]


def test_readme_layout_states_the_road():
    """README's Layout table lists every station with exactly the stations _road.ROAD lets it import, and names
    every leaf module."""
    text = (PACKAGE_DIR.parent / "README.md").read_text(encoding="utf-8")
    layout = text[text.index("## Layout"):]
    table = {}
    for line in layout.splitlines():
        m = re.match(r"\| `(\w+)/`[^|]*\| ([^|]*) \|$", line)
        if m:
            table[m[1]] = frozenset() if m[2].strip() == "—" else frozenset(x.strip() for x in m[2].split(","))
    assert table == _road.ROAD
    for leaf in _road.LEAVES:
        assert f"`{leaf}`" in layout, f"README's Layout does not name the leaf module {leaf}"


# ---------------------------------------------------------------------------------------------- the checker fails
def _toy(tmp_path: Path, files: dict[str, str]) -> House:
    root = tmp_path / "misyn_lab"
    for rel, text in {"__init__.py": "", **files}.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return read_house(root)


def test_checker_reports_each_kind_of_violation(tmp_path):
    house = _toy(tmp_path, {
        "errors.py": "",
        "imagesets/__init__.py": "",
        "imagesets/_raster.py": "import numpy\nRAW = 1\n",
        "imagesets/core.py": "from . import _raster\n",
        "features/__init__.py": "",
        "features/extract.py": "from misyn_lab.features.embedding import E\nfrom ..metrics import knn\n",
        "features/embedding.py": "import numpy\nE = 1\ndef f():\n    from .extract import g\n",
        "metrics/__init__.py": "",
        "metrics/knn.py": "from misyn_lab.imagesets._raster import RAW\nfrom misyn_lab.imagesets import _raster\n"
                          "def h():\n    import misyn_lab.imagesets._raster\n",
        "viz/__init__.py": "",
        "viz/ladder.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from misyn_lab.metrics import knn\n",
    })
    assert road_violations(house) == [
        "misyn_lab.features.extract:2 imports misyn_lab.metrics.knn [module level]: features may not import metrics",
        "misyn_lab.viz.ladder:3 imports misyn_lab.metrics.knn [typing level]: viz may not import metrics",
    ]
    assert cycle_violations(house) == [
        "import cycle between misyn_lab.features.embedding, misyn_lab.features.extract:\n"
        "    misyn_lab.features.embedding:4 imports misyn_lab.features.extract (g) [function level]\n"
        "    misyn_lab.features.extract:1 imports misyn_lab.features.embedding (E) [module level]"]
    assert private_violations(house) == [
        "misyn_lab.metrics.knn:1 imports misyn_lab.imagesets._raster (RAW) [module level]: private _raster of "
        "another station",
        "misyn_lab.metrics.knn:2 imports misyn_lab.imagesets._raster [module level]: private _raster of another "
        "station",
        "misyn_lab.metrics.knn:4 imports misyn_lab.imagesets._raster [function level]: private _raster of another "
        "station",
    ]
    assert deferral_violations(house) == [
        "misyn_lab.features.embedding:4 imports misyn_lab.features.extract (g) [function level]: defers no heavy "
        "dependency; import it at the top of the module",
        "misyn_lab.metrics.knn:4 imports misyn_lab.imagesets._raster [function level]: defers no heavy "
        "dependency; import it at the top of the module"]
    assert _tarjan(graph(house)) == [["misyn_lab.features.embedding", "misyn_lab.features.extract"]]


def test_a_deferred_heavy_import_is_accepted(tmp_path):
    house = _toy(tmp_path, {
        "metrics/__init__.py": "",
        "metrics/stats.py": "import statsmodels.api\n",
        "metrics/cli.py": "def run():\n    from misyn_lab.metrics.stats import x\n",
    })
    assert deferral_violations(house) == [] and heavy_loaded(house, "misyn_lab.metrics.stats") == {"statsmodels"}


if __name__ == "__main__":  # pragma: no cover - `python tests/test_import_road.py` lists every violation
    h = read_house()
    for line in (road_violations(h) + cycle_violations(h) + deferral_violations(h) + outside_deferral_violations(h)
                 + private_violations(h)):
        print(line)
    sys.exit(0)
