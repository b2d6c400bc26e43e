"""The committed notebooks are exactly what notebooks/_build_notebooks.py makes (edit the builder, not the .ipynb)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

NOTEBOOKS_DIR = Path(__file__).resolve().parents[2] / "notebooks"


def _builder():
    spec = importlib.util.spec_from_file_location("_build_notebooks", NOTEBOOKS_DIR / "_build_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def test_every_notebook_is_built_by_the_builder() -> None:
    committed = {p.name for p in NOTEBOOKS_DIR.glob("*.ipynb")}
    assert committed == set(_builder().NOTEBOOKS), "a notebook is missing from (or only in) the builder"


def test_committed_notebooks_match_a_fresh_build(tmp_path) -> None:
    for built in _builder().build(out_dir=tmp_path):
        committed = NOTEBOOKS_DIR / built.name
        assert built.read_bytes() == committed.read_bytes(), (
            f"{committed.name} differs from what the builder makes: edit notebooks/_build_notebooks.py and run "
            "`python notebooks/_build_notebooks.py`")
