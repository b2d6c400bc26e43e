"""No function or method in the package is longer than MAX_LINES lines (counted with ast, from its ``def`` line to
its last line, without its docstring, so documenting a function never pushes it over): a longer one is split into
named steps."""

from __future__ import annotations

import ast
from pathlib import Path

import misyn_lab

PACKAGE = Path(misyn_lab.__file__).resolve().parent
MAX_LINES = 80


def function_lengths(source: str) -> list[tuple[str, int, int]]:
    """``(qualified name, first line, length in lines without the docstring)`` of every function and method."""
    out: list[tuple[str, int, int]] = []

    def walk(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = f"{prefix}{child.name}"
                first = child.body[0]
                doc = (first.end_lineno - first.lineno + 1 if isinstance(first, ast.Expr)
                       and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str) else 0)
                out.append((name, child.lineno, child.end_lineno - child.lineno + 1 - doc))
                walk(child, f"{name}.")
            elif isinstance(child, ast.ClassDef):
                walk(child, f"{prefix}{child.name}.")
            else:
                walk(child, prefix)

    walk(ast.parse(source), "")
    return out


def _package_files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_function_lengths_are_counted_with_ast():
    source = "def short():\n    return 1\n\n\nclass A:\n    def method(self):\n        x = 1\n\n        return x\n"
    assert function_lengths(source) == [("short", 1, 2), ("A.method", 6, 4)]
    nested = "def outer():\n    def inner():\n        pass\n    return inner\n"
    assert function_lengths(nested) == [("outer", 1, 4), ("outer.inner", 2, 2)]
    documented = 'def f(x):\n    """Double.\n\n    Examples\n    --------\n    >>> f(2)\n    4\n    """\n    return 2 * x\n'
    assert function_lengths(documented) == [("f", 1, 2)]


def test_a_long_function_is_found():
    body = "".join(f"    x{i} = {i}\n" for i in range(MAX_LINES))
    lengths = function_lengths(f"def long():\n{body}")
    assert lengths == [("long", 1, MAX_LINES + 1)]


def test_the_scan_covers_the_whole_package():
    files = {p.relative_to(PACKAGE).as_posix() for p in _package_files()}
    assert {"checklist/merge.py", "features/stream.py", "report/assemble.py", "engine.py", "metrics/memorisation.py",
            "viz/ladder.py"} <= files


def test_no_function_over_max_lines():
    offenders = [f"{path.relative_to(PACKAGE).as_posix()}:{line} {name} ({n} lines)"
                 for path in _package_files()
                 for name, line, n in function_lengths(path.read_text(encoding="utf-8")) if n > MAX_LINES]
    assert not offenders, f"functions over {MAX_LINES} lines (split them into named steps):\n" + "\n".join(offenders)
