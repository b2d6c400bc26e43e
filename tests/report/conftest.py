"""Shared fixtures for the report station tests."""

from __future__ import annotations

import matplotlib
import nbformat
import pytest

matplotlib.use("Agg")


@pytest.fixture
def make_notebook(tmp_path):
    """Write a small notebook: ``make_notebook(params_source, *code_cells) -> path``."""

    def _make(params: str, *cells: str, name: str = "nb.ipynb"):
        nb = nbformat.v4.new_notebook()
        p = nbformat.v4.new_code_cell(params)
        p.metadata["tags"] = ["parameters"]
        nb.cells = [nbformat.v4.new_markdown_cell("# A <b>title</b>"), p] + [nbformat.v4.new_code_cell(c) for c in cells]
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        path = tmp_path / name
        nbformat.write(nb, str(path))
        return path

    return _make
