"""Shared fixtures for the cases station tests."""

from __future__ import annotations

import copy

import matplotlib
import pytest
import yaml

matplotlib.use("Agg")


@pytest.fixture(scope="session")
def case1_data():
    from misyn_lab.cases.case import BUNDLED

    return yaml.safe_load(BUNDLED["case1"].read_text(encoding="utf-8"))


@pytest.fixture
def write_case(tmp_path, case1_data):
    """Write a (modified) copy of case 1 and return its path: ``write_case(lambda d: ...)``."""

    def _write(modify=None, text: str | None = None):
        path = tmp_path / "case.yaml"
        if text is not None:
            path.write_text(text, encoding="utf-8")
            return path
        data = copy.deepcopy(case1_data)
        if modify is not None:
            modify(data)
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        return path

    return _write
