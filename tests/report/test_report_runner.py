"""Running a case's own notebook: parameters read as papermill reads them, quiet on success (the kernel's messages
captured), one line on failure naming the kept notebook."""

from __future__ import annotations

import pytest

from misyn_lab.errors import InputError
from misyn_lab.report.runner import NotebookFailed, captured_stderr, execute_notebook, notebook_parameters


def test_parameters_read_as_papermill_reads_them(make_notebook):
    path = make_notebook('real_path = None  # folder (None: bundled)\nname = "a"  # a label\nn = 3\nxs = [1, 2]')
    assert notebook_parameters(path) == {"real_path": None, "name": "a", "n": 3, "xs": [1, 2]}


def test_parameter_line_papermill_cannot_read_is_refused(make_notebook):
    """Papermill silently drops such a line; we refuse it so a parameter is never lost unnoticed."""
    path = make_notebook('real_path = None  # folder; None = bundled\nn = 3')
    with pytest.raises(InputError, match="papermill cannot read the parameters cell: .*line 1 'real_path = None"):
        notebook_parameters(path)


def test_unknown_parameter_refused(make_notebook, tmp_path):
    path = make_notebook("n = 1", "print(n)")
    with pytest.raises(InputError, match=r"parameters \['m'\] are not declared"):
        execute_notebook(path, tmp_path / "out.ipynb", {"m": 2}, progress=False)


def test_execution_is_quiet(make_notebook, tmp_path, capfd):
    """Nothing reaches the terminal while a notebook runs: not the kernel's start-up warnings, not papermill's."""
    import nbformat

    path = make_notebook('label = "x"', "print('value', label)")
    out = execute_notebook(path, tmp_path / "run" / "out.ipynb", {"label": "y"})
    assert capfd.readouterr() == ("", "")
    outputs = [o for c in nbformat.read(out, as_version=4).cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert any("value y" in o.get("text", "") for o in outputs)


def test_captured_stderr_catches_child_processes(capfd):
    import subprocess
    import sys

    with captured_stderr() as said:
        print("from this process", file=sys.stderr)
        subprocess.run([sys.executable, "-c", "import sys; sys.stderr.write('from a child')"], check=True)
    assert capfd.readouterr().err == ""
    assert "from this process" in said[0] and "from a child" in said[0]


def test_failing_notebook_names_kept_notebook(make_notebook, tmp_path):
    path = make_notebook("n = 1", "raise ValueError('broken on purpose')")
    kept = tmp_path / "kept.ipynb"
    with pytest.raises(NotebookFailed) as info:
        execute_notebook(path, kept, {"n": 2}, progress=False)
    msg = str(info.value)
    assert kept.is_file() and str(kept) in msg
    assert "ValueError: broken on purpose" in msg and "\n" not in msg
