"""Shared fixtures for the instruments tests."""

from __future__ import annotations

import numpy as np
import pytest

from misyn_lab.checklist import Review


@pytest.fixture
def review() -> Review:
    return Review.new(title="instrument test review", reviewer="ana")


@pytest.fixture
def paired_dice() -> tuple[np.ndarray, np.ndarray]:
    """Seeded paired per-case Dice: a = baseline, b = with synthetic augmentation (clear improvement)."""
    rng = np.random.default_rng(42)
    a = np.clip(rng.beta(18, 4, 30), 0, 1)
    b = np.clip(a + rng.normal(0.03, 0.02, 30), 0, 1)
    return a, b


@pytest.fixture
def tile_sets() -> tuple[np.ndarray, np.ndarray]:
    """Small grey 'real' (smooth) and 'synthetic' (noisy) image arrays in [0, 1]."""
    rng = np.random.default_rng(7)
    yy, xx = np.mgrid[0:16, 0:16] / 15.0
    real = np.stack([np.clip(0.5 * xx + 0.3 * yy + rng.normal(0, 0.02, (16, 16)), 0, 1) for _ in range(12)])
    syn = np.clip(rng.random((12, 16, 16)), 0, 1)
    return real.astype(np.float32), syn.astype(np.float32)
