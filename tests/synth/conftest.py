"""Shared fixtures for the synth tests: small real brain MR slices from the bundled samples."""

from __future__ import annotations

import numpy as np
import pytest

from misyn_lab.imagesets import ImageSet, load_sample, load_sample_with_masks


@pytest.fixture(scope="session")
def brains() -> ImageSet:
    """MNI152 (102) + Colin27 (72) T1 slices at 32×32: columns group, plane, modality, subject ..."""
    mni = load_sample("mni152", size=(32, 32))
    colin = load_sample("colin27", size=(32, 32))
    return mni.concat(colin, name="brains")


@pytest.fixture(scope="session")
def brain_pairs() -> tuple[ImageSet, np.ndarray]:
    """12 MNI152 slices (128×128) with their grey/white-matter label masks (0 bg, 1 GM, 2 WM)."""
    images, masks = load_sample_with_masks("mni152")
    idx = np.arange(0, len(images), max(1, len(images) // 12))[:12]
    return images.take(idx), masks[idx]
