"""Every committed notebook in notebooks/ is clean: no stored outputs or execution counts, no error outputs,
a `parameters`-tagged cell, valid nbformat, short code cells."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
MAX_CODE_LINES = 15


def test_workbook_notebooks_exist():
    names = {p.name for p in NOTEBOOKS}
    expected = {"00_start_here.ipynb", "01_intrinsic_limits.ipynb", "02_technical_standards.ipynb",
                "03_problem_formulation.ipynb", "04_design.ipynb", "05_evaluation.ipynb", "06_oversight.ipynb"}
    assert expected <= names, f"missing notebooks: {sorted(expected - names)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_clean(path: Path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    problems = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if cell.get("outputs"):
            kinds = {o.get("output_type") for o in cell.outputs}
            problems.append(f"cell {i}: stored outputs {sorted(kinds)}")
        if cell.get("execution_count") is not None:
            problems.append(f"cell {i}: execution_count {cell.execution_count}")
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            problems.append(f"cell {i}: error output")
    assert not problems, f"{path.name}: " + "; ".join(problems)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_parameters_cell(path: Path):
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: expected exactly one cell tagged 'parameters', found {len(tagged)}"
    assert tagged[0].cell_type == "code"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_cells_are_short(path: Path):
    nb = nbformat.read(path, as_version=4)
    long_cells = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            logic = [ln for ln in cell.source.splitlines() if ln.strip() and not ln.strip().startswith("#")]
            if len(logic) > MAX_CODE_LINES:
                long_cells.append(f"cell {i} ({len(logic)} lines)")
    assert not long_cells, f"{path.name}: code cells longer than {MAX_CODE_LINES} lines belong in the package: " \
                           + ", ".join(long_cells)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_cites_the_paper(path: Path):
    text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown")
    assert "2508.09293" in text, f"{path.name}: cite Jin et al., arXiv:2508.09293"
