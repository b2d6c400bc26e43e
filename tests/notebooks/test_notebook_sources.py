"""The notebook sources (MyST Markdown in misyn_lab/notebooks/) are what an instructor can edit: each parses, has
one ``parameters`` cell, cites the paper, keeps code cells short, holds code that compiles and passes the linter,
and turns into a valid, output-free ``.ipynb`` with stable cell ids."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys

import nbformat
import pytest

from misyn_lab import notebooks
from misyn_lab.errors import InputError

NAMES = notebooks.names()
MAX_CODE_LINES = 15
#: ruff rules applied to notebook code (pyflakes errors, pycodestyle errors/warnings), as for the package.
LINT_RULES = "E,F,W"
#: Notebook idioms: imports in a later cell (E402), a trailing ';' that hides a figure's text repr (E703).
LINT_IGNORE = "E402,E703"


def _code_cells(name: str) -> list[str]:
    return [c.source for c in notebooks.read(name).cells if c.cell_type == "code"]


def test_every_workbook_notebook_ships():
    expected = {"00_start_here", "01_intrinsic_limits", "02_technical_standards", "03_problem_formulation",
                "04_design", "05_evaluation", "06_oversight", "07_review_instruments", "case1_segmentation",
                "case2_text_to_image"}
    assert expected <= set(NAMES), f"missing notebooks: {sorted(expected - set(NAMES))}"
    assert not list(notebooks.NOTEBOOK_DIR.glob("*.ipynb")), "sources are .md only; .ipynb files are generated"


@pytest.mark.parametrize("name", NAMES)
def test_source_reads_as_a_clean_notebook(name: str):
    nb = notebooks.read(name)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert [c["id"] for c in nb.cells] == [f"{name}-{i:02d}" for i in range(len(nb.cells))]
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    assert notebooks.read(f"{name}.ipynb") == nb  # the same notebook whatever suffix the caller uses


@pytest.mark.parametrize("name", NAMES)
def test_one_parameters_cell(name: str):
    tagged = [c for c in notebooks.read(name).cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{name}: expected exactly one cell tagged 'parameters', found {len(tagged)}"
    assert tagged[0].cell_type == "code"


@pytest.mark.parametrize("name", NAMES)
def test_cites_the_paper(name: str):
    text = "\n".join(c.source for c in notebooks.read(name).cells if c.cell_type == "markdown")
    assert "2508.09293" in text, f"{name}: cite Jin et al., arXiv:2508.09293"


@pytest.mark.parametrize("name", NAMES)
def test_code_cells_are_short_and_compile(name: str):
    """At most ``MAX_CODE_LINES`` statements per cell (counted on the syntax tree, so a call wrapped over several
    lines by the formatter counts once)."""
    long_cells = []
    for i, src in enumerate(_code_cells(name)):
        tree = ast.parse(src, filename=f"{name} code cell {i}")
        statements = sum(isinstance(node, ast.stmt) for node in ast.walk(tree))
        if statements > MAX_CODE_LINES:
            long_cells.append(f"code cell {i} ({statements} statements)")
    assert not long_cells, (f"{name}: code cells longer than {MAX_CODE_LINES} lines belong in the package: "
                            + ", ".join(long_cells))


@pytest.mark.skipif(shutil.which("ruff") is None and sys.modules.get("ruff") is None, reason="ruff not installed")
def test_notebook_code_passes_the_linter(tmp_path):
    """Every notebook's code, as one script (cells in order), passes ruff with the package's line length."""
    for name in NAMES:
        body = "\n\n".join(f"# cell {i}\n{src}" for i, src in enumerate(_code_cells(name)))
        (tmp_path / f"{name}.py").write_text(body + "\n", encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated", "--select", LINT_RULES,
                          "--ignore", LINT_IGNORE, "--line-length", "120", str(tmp_path)],
                         capture_output=True, text=True)
    assert run.returncode == 0, f"ruff found problems in notebook code:\n{run.stdout}{run.stderr}"


def test_export_writes_ipynb_and_keeps_edited_copies(tmp_path):
    written, kept = notebooks.export(tmp_path, ["00_start_here", "05_evaluation.ipynb"])
    assert [p.name for p in written] == ["00_start_here.ipynb", "05_evaluation.ipynb"] and kept == []
    nb = nbformat.read(written[0], as_version=4)
    assert nb == notebooks.read("00_start_here")
    written[0].write_text(written[0].read_text() + " ")  # a student's edit
    again, kept = notebooks.export(tmp_path, ["00_start_here"])
    assert again == [] and kept == [written[0]] and written[0].read_text().endswith(" ")
    again, kept = notebooks.export(tmp_path, ["00_start_here"], overwrite=True)
    assert again == [written[0]] and not written[0].read_text().endswith("\n ")


def test_an_edited_source_is_what_runs(tmp_path, monkeypatch):
    """An instructor's edit to a MyST source (as JupyterLab + jupytext saves it) is what export and report run."""
    src = tmp_path / "nbs"
    shutil.copytree(notebooks.NOTEBOOK_DIR, src, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    path = src / "00_start_here.md"
    path.write_text(path.read_text(encoding="utf-8").replace("# MISyn workbook: start here",
                                                             "# MISyn workbook for Course 101"), encoding="utf-8")
    monkeypatch.setattr(notebooks, "NOTEBOOK_DIR", src)
    (written,), _ = notebooks.export(tmp_path / "out", ["00_start_here"])
    assert "# MISyn workbook for Course 101" in written.read_text(encoding="utf-8")


@pytest.mark.parametrize("bad", ["../00_start_here", "/etc/passwd", "sub/05_evaluation.ipynb", "", "..",
                                 "no_such_notebook"])
def test_only_bundled_names_resolve(bad: str):
    with pytest.raises(InputError) as err:
        notebooks.source_path(bad)
    assert "use one of 00_start_here" in str(err.value)
