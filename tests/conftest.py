"""Fixtures shared by several stations' tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def dask_engine():
    """A 2-worker local Dask cluster (worker processes, one thread each, bound to 127.0.0.1), started
    once per test session; skipped only when the [scale] extra is not installed."""
    pytest.importorskip("distributed", reason='needs pip install "misyn-lab[scale]"')
    from misyn_lab.engine import Engine

    with Engine("local", n_workers=2) as engine:
        yield engine
