"""Notebook running: parameters, failure reporting, code-free HTML."""

from __future__ import annotations

import pytest

from misyn_lab.errors import InputError
from misyn_lab.report.runner import NotebookFailed, execute_notebook, notebook_html_body, notebook_parameters


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


def test_execution_and_code_hidden_html(make_notebook, tmp_path):
    path = make_notebook('label = "x"', "SECRET_CODE = 1\nprint('value', label)")
    out = execute_notebook(path, tmp_path / "run" / "out.ipynb", {"label": "<script>bad()</script>"}, progress=False)
    body = notebook_html_body(out)
    assert "SECRET_CODE" not in body  # code hidden
    assert "value &lt;script&gt;bad()&lt;/script&gt;" in body  # output escaped
    assert "<script>bad()" not in body
    assert "injected" not in body.lower()


def test_failing_notebook_names_kept_notebook(make_notebook, tmp_path):
    path = make_notebook("n = 1", "raise ValueError('broken on purpose')")
    kept = tmp_path / "kept.ipynb"
    with pytest.raises(NotebookFailed) as info:
        execute_notebook(path, kept, {"n": 2}, progress=False)
    msg = str(info.value)
    assert kept.is_file() and str(kept) in msg
    assert "ValueError: broken on purpose" in msg and "\n" not in msg
