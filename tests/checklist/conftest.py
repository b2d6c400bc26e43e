"""Shared fixtures for checklist and review tests."""

from __future__ import annotations

import copy
import warnings
from pathlib import Path

import pytest
import yaml

from misyn_lab.checklist.loader import DEFAULT_PATH


@pytest.fixture(scope="session")
def _default_data() -> dict:
    return yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))


@pytest.fixture
def checklist_data(_default_data) -> dict:
    """A fresh, mutable copy of the bundled checklist data."""
    return copy.deepcopy(_default_data)


@pytest.fixture
def write_yaml(tmp_path):
    """Write data as YAML into tmp_path and return the path."""

    def write(data, name: str = "data.yaml") -> Path:
        path = tmp_path / name
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
        return path

    return write


@pytest.fixture
def quiet():
    """Silence the missing-justification warning where a test does not look at it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield
