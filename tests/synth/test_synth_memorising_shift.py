"""The memorising generator's vectorised whole-pixel shift equals scipy's per-image ``shift(order=0, nearest)``."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import shift as nd_shift

from misyn_lab.synth.memorising import shifted_copies


@pytest.mark.parametrize("shape", [(12, 9, 7), (12, 6, 8, 3)])
def test_shifted_copies_match_scipy_shift(shape):
    rng = np.random.default_rng(1)
    images = rng.random(shape).astype(np.float32)
    idx = rng.integers(0, len(images), 40)
    shifts = rng.integers(-5, 6, (40, 2))  # includes shifts larger than half the image
    expected = np.stack([
        nd_shift(images[j].astype(np.float64), (int(dy), int(dx)) + (0,) * (images.ndim - 3), order=0,
                 mode="nearest")
        for j, (dy, dx) in zip(idx, shifts)])
    got = shifted_copies(images, idx, shifts)
    assert got.dtype == np.float64 and got.shape == expected.shape
    assert np.array_equal(got, expected)


def test_zero_shift_is_an_exact_copy():
    images = np.random.default_rng(2).random((4, 5, 5)).astype(np.float32)
    got = shifted_copies(images, np.array([3, 0]), np.zeros((2, 2), dtype=int))
    assert np.array_equal(got, images[[3, 0]].astype(np.float64))
