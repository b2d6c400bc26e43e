"""Shared fixtures for the metrics tests: small seeded feature matrices."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


@pytest.fixture
def gauss_pair(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two independent samples of the same 8-D standard Gaussian (300 and 280 rows)."""
    return rng.standard_normal((300, 8)), rng.standard_normal((280, 8))


def peer_prdc(real: np.ndarray, fake: np.ndarray, k: int) -> dict[str, float]:
    """The reference ``prdc`` package (0.2), silenced."""
    import prdc as peer

    with contextlib.redirect_stdout(io.StringIO()):
        out = peer.compute_prdc(real, fake, k)
    return {key: float(v) for key, v in out.items()}
