"""Shared fixtures for the feature tests: small real images from the bundled samples."""

from __future__ import annotations

import pytest

from misyn_lab.features import cache
from misyn_lab.imagesets import ImageSet, load_sample


@pytest.fixture(scope="session")
def real_mr() -> ImageSet:
    """MNI152 + Colin27 T1 slices at 32×32 (174 real grey images)."""
    return load_sample("mni152", size=(32, 32)).concat(load_sample("colin27", size=(32, 32)), name="mr")


@pytest.fixture(scope="session")
def retina() -> ImageSet:
    """12 colour fundus patches at 24×24."""
    return load_sample("retina", size=(24, 24)).take(range(12))


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch):
    """Every test starts with an empty in-memory cache and no disk cache."""
    monkeypatch.delenv(cache.ENV_VAR, raising=False)
    cache.clear()
    yield
    cache.clear()
