"""Shared fixtures of the provenance tests: a provenance record, real sample slices, a synthetic-like image."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from misyn_lab.imagesets.samples import BUNDLED_DIR
from misyn_lab.provenance import Provenance

SAMPLES = BUNDLED_DIR


@pytest.fixture
def prov() -> Provenance:
    return Provenance(generator="pca-gaussian", generator_version="0.3", training_data="MNI152 axial slices",
                      conditioning={"prompt": "axial T1 brain, ventricles — ünïcode"}, seed=7)


@pytest.fixture(scope="session")
def sample_meta() -> pd.DataFrame:
    meta = pd.read_csv(SAMPLES / "metadata.csv")
    return meta


def _slice_paths(meta: pd.DataFrame, group: str, plane: str) -> list[Path]:
    rows = meta[(meta["group"] == group) & (meta["plane"] == plane)].sort_values("slice_index")
    return [SAMPLES / f for f in rows["file"]]


@pytest.fixture(scope="session")
def axial_slices(sample_meta) -> list[Path]:
    """Neighbouring real MNI152 axial slices (look-alikes), in slice order."""
    paths = _slice_paths(sample_meta, "mni152", "axial")
    assert len(paths) >= 10
    return paths


@pytest.fixture
def synthetic_png(tmp_path, axial_slices) -> Path:
    """A 128×128 'synthetic' image: a real slice blended with smooth noise (a stand-in for a generator)."""
    base = np.asarray(Image.open(axial_slices[len(axial_slices) // 2]).convert("L"), dtype=np.float64)
    rng = np.random.default_rng(3)
    noise = rng.normal(0, 1, (16, 16))
    smooth = np.asarray(Image.fromarray(noise.astype(np.float32), mode="F").resize((128, 128), Image.BICUBIC))
    arr = np.clip(base * 0.85 + smooth * 12 + 10, 0, 255).astype(np.uint8)
    path = tmp_path / "syn.png"
    Image.fromarray(arr).save(path)
    return path


@pytest.fixture(autouse=True)
def _private_default_registry(tmp_path, monkeypatch):
    """Never touch ~/.misyn-lab from tests: the default registry lives in the test's tmp folder."""
    monkeypatch.setenv("MISYN_LAB_REGISTRY", str(tmp_path / "default-registry.sqlite"))


@pytest.fixture
def dataset_root(tmp_path, axial_slices) -> Path:
    """``tmp_path/ds`` with ``real/`` holding two real axial slices and an empty ``syn/`` (audit fixtures)."""
    root = tmp_path / "ds"
    (root / "real").mkdir(parents=True)
    (root / "syn").mkdir()
    for p in axial_slices[:2]:
        shutil.copy(p, root / "real" / p.name)
    return root
