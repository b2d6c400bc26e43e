"""evaluate_imagesets on file-backed collections, on saved feature tables and on Dask gives the results of the
in-memory evaluation; tables featurised with another embedding are refused."""

from __future__ import annotations


import numpy as np
import pytest

from misyn_lab.imagesets.samples import BUNDLED_DIR
from misyn_lab.errors import InputError
from misyn_lab.features.stream import extract_table
from misyn_lab.imagesets import load_folder
from misyn_lab.imagesets.files import ImageFiles
from misyn_lab.metrics import evaluate_imagesets
from misyn_lab.workbook.data import split_real

SAMPLES = BUNDLED_DIR / "images"
OPTS = {"size": (32, 32)}
RUN = {"bootstrap": 0, "permutations": 20, "seed": 3}


@pytest.fixture(scope="module")
def reference():
    real = load_folder(SAMPLES / "mni152", **OPTS)
    train, held = split_real(real, seed=3)
    syn = load_folder(SAMPLES / "colin27", synthetic=True, **OPTS)
    return train, held, syn, evaluate_imagesets(train, held, syn, **RUN)


def values(ev, *, pixel: bool = True) -> dict[str, float]:
    """The measured values; ``pixel=False`` leaves out the pixel-space copy check (it needs images in memory)."""
    return {k: r.value for k, r in ev.results.items() if pixel or k != "memorisation.pixel_copy_rate"}


def file_sets(train, held):
    real = ImageFiles.from_folder(SAMPLES / "mni152", **OPTS)
    pos = {i: k for k, i in enumerate(load_folder(SAMPLES / "mni152", **OPTS).ids)}
    return (real.take([pos[i] for i in train.ids]), real.take([pos[i] for i in held.ids]),
            ImageFiles.from_folder(SAMPLES / "colin27", synthetic=True, **OPTS))


def test_file_backed_sets_give_the_in_memory_results(reference):
    train, held, syn, ev = reference
    got = evaluate_imagesets(*file_sets(train, held), chunk_size=17, **RUN)
    assert values(got) == values(ev, pixel=False)  # the pixel-space check needs the images in memory, and says so
    assert any(n.startswith("pixel-space copy check skipped") for n in got.notes)
    np.testing.assert_array_equal(got.memorisation.ratio, ev.memorisation.ratio)


def test_saved_tables_give_the_in_memory_results(reference, tmp_path):
    train, held, syn, ev = reference
    real = extract_table(ImageFiles.from_folder(SAMPLES / "mni152", **OPTS), "intensity+texture+embedding",
                         fit_embedding=True, holdout=0.3, seed=3)
    fake = extract_table(ImageFiles.from_folder(SAMPLES / "colin27", synthetic=True, **OPTS),
                         "intensity+texture+embedding", embedding=real.embedding)
    real_file, fake_file = real.save(tmp_path / "real.npz"), fake.save(tmp_path / "syn.npz")
    from misyn_lab.features.table import load_features

    r, f = load_features(real_file), load_features(fake_file)
    got = evaluate_imagesets(r.part("train"), r.part("held-out"), f, **RUN)
    assert values(got) == values(ev, pixel=False)


@pytest.mark.parametrize("where", ["cluster", "processes"])
def test_dask_evaluation_gives_the_in_memory_results(reference, dask_engine, processes_engine, where):
    train, held, syn, ev = reference
    engine = {"cluster": dask_engine, "processes": processes_engine}[where]
    assert values(evaluate_imagesets(train, held, syn, scheduler=engine, chunk_size=30, **RUN)) == values(ev)


def test_tables_with_another_embedding_are_refused(reference):
    train, held, syn, _ = reference
    t_train = extract_table(train, "intensity+texture+embedding", fit_embedding=True, seed=3)
    other = extract_table(held, "intensity+texture+embedding", fit_embedding=True, seed=3)
    with pytest.raises(InputError, match="the holdout features were computed with another embedding"):
        evaluate_imagesets(t_train, other, syn, **RUN)
    no_emb = extract_table(train, "intensity+texture")
    with pytest.raises(InputError, match="the training feature table holds no embedding"):
        evaluate_imagesets(no_emb, held, syn, **RUN)
    with pytest.raises(InputError, match="the synthetic set must be an ImageSet, ImageFiles or FeatureTable, got "
                                         "ndarray"):
        evaluate_imagesets(train, held, np.zeros((3, 4, 4)), **RUN)


def test_subgroup_missing_in_file_backed_metadata_is_reported(reference):
    train, held, _, _ = reference
    with pytest.raises(InputError, match="the train set has no metadata column 'plane'"):
        evaluate_imagesets(*file_sets(train, held), subgroup="plane", **RUN)
