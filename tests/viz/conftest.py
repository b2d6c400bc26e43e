"""Shared fixtures for the viz tests (Agg backend; small real images and feature matrices)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from misyn_lab.imagesets import ImageSet, load_sample  # noqa: E402


@pytest.fixture(scope="session")
def mr() -> ImageSet:
    """MNI152 T1 slices at 32×32 (102 real images, planes axial/coronal/sagittal)."""
    return load_sample("mni152", size=(32, 32))


@pytest.fixture(scope="session")
def syn(mr) -> ImageSet:
    from misyn_lab.synth import PCAGaussianGenerator

    return PCAGaussianGenerator(8).fit(mr).sample(60, seed=0)


@pytest.fixture()
def feats():
    rng = np.random.default_rng(0)
    return rng.normal(size=(80, 5)), rng.normal(0.3, 1.0, size=(50, 5))
