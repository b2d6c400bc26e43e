"""Fixtures shared by several stations' tests."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest


@pytest.fixture
def golden(request):
    """``golden(name, text)``: assert ``text`` equals the golden file ``golden/name`` beside the test module
    (``tests/<station>/golden/<name>``). Run the tests with ``MISYN_UPDATE_GOLDEN=1`` to rewrite the files after
    an intended change (then review the diff). ``mask_images=True`` replaces embedded PNG data by ``<PNG>`` (a
    figure's pixels depend on the installed fonts and matplotlib; its alt text and caption do not)."""
    folder = Path(request.fspath).parent / "golden"

    def check(name: str, text: str, *, mask_images: bool = False) -> None:
        if mask_images:
            text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "data:image/png;base64,<PNG>", text)
        path = folder / name
        if os.environ.get("MISYN_UPDATE_GOLDEN") == "1":
            folder.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
        assert path.is_file(), f"no golden file {path}; run with MISYN_UPDATE_GOLDEN=1 to create it"
        expected = path.read_text(encoding="utf-8")
        assert text == expected, f"{name} differs from its golden file {path} (MISYN_UPDATE_GOLDEN=1 rewrites it)"

    return check


@pytest.fixture(scope="session")
def dask_engine():
    """A 2-worker local Dask cluster (worker processes, one thread each, bound to 127.0.0.1), started
    once per test session; skipped only when the [scale] extra is not installed."""
    pytest.importorskip("distributed", reason='needs pip install "misyn-lab[scale]"')
    from misyn_lab.engine import Engine

    with Engine("local", n_workers=2) as engine:
        yield engine


@pytest.fixture(scope="session")
def processes_engine():
    """2 worker processes under Dask's multiprocessing scheduler, started once per test session; skipped only
    when the [scale] extra is not installed."""
    pytest.importorskip("dask", reason='needs pip install "misyn-lab[scale]"')
    from misyn_lab.engine import Engine

    with Engine("processes", n_workers=2) as engine:
        yield engine
