"""Features of file-backed collections, chunk by chunk: equal to the in-memory path (values, ids, embedding),
identical on a 2-worker Dask cluster, memory bounded by the chunk; saved tables round-trip; the CLI."""

from __future__ import annotations

import os
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from misyn_lab.imagesets.samples import BUNDLED_DIR
from misyn_lab.cli import main
from misyn_lab.errors import InputError, SchemaError
from misyn_lab.features import PCAEmbedding, extract_features
from misyn_lab.features.stream import extract_table, features_matrix
from misyn_lab.features.table import FeatureTable, load_features
from misyn_lab.imagesets import load_folder
from misyn_lab.imagesets.files import ImageFiles

SAMPLES = BUNDLED_DIR / "images"
KIND = "intensity+texture+embedding"


@pytest.fixture(scope="module")
def mixed() -> tuple[Path, dict]:
    """Every bundled sample (grey and colour, several sizes), read at 40×40 grey."""
    return SAMPLES, {"size": (40, 40), "grey": True}


def in_memory(folder: Path, options: dict, *, max_fit: int, seed: int = 0):
    images = load_folder(folder, **options)
    emb = PCAEmbedding.fit(images, n_components=16, size=(40, 40), seed=seed, max_fit=max_fit)
    return images, emb, extract_features(images, KIND, embedding=emb, cache=False, progress=False)


@pytest.mark.parametrize("chunk_size, max_fit", [(1, 100), (37, 100), (None, 2000)])
def test_file_backed_features_equal_in_memory(mixed, chunk_size, max_fit):
    folder, options = mixed
    images, emb, fm = in_memory(folder, options, max_fit=max_fit)
    table = extract_table(ImageFiles.from_folder(folder, **options), KIND, fit_embedding=True, n_components=16,
                          max_fit=max_fit, chunk_size=chunk_size)
    np.testing.assert_array_equal(table.embedding.components, emb.components)
    np.testing.assert_array_equal(table.embedding.mean, emb.mean)
    np.testing.assert_array_equal(table.values, fm.values)
    assert table.features.names == fm.names and table.features.ids == fm.ids
    pd.testing.assert_frame_equal(table.meta.drop(columns=["file_sha256"]), images.meta)
    assert table.meta["file_sha256"].str.len().eq(64).all()


def test_features_do_not_depend_on_batch_size(mixed):
    images = load_folder(mixed[0], **mixed[1]).take(range(120))
    emb = PCAEmbedding.fit(images, n_components=8, size=(40, 40))
    a = extract_features(images, KIND, embedding=emb, cache=False, batch_size=7)
    b = extract_features(images, KIND, embedding=emb, cache=False, batch_size=256)
    np.testing.assert_array_equal(a.values, b.values)


@pytest.mark.parametrize("where", ["cluster", "processes"])
def test_dask_gives_identical_tables(mixed, dask_engine, processes_engine, where):
    engine = {"cluster": dask_engine, "processes": processes_engine}[where]
    folder, options = mixed
    files = ImageFiles.from_folder(folder, **options)
    one = extract_table(files, KIND, fit_embedding=True, holdout=0.3, seed=4, chunk_size=23)
    two = extract_table(files, KIND, fit_embedding=True, holdout=0.3, seed=4, chunk_size=23, scheduler=engine)
    np.testing.assert_array_equal(two.values, one.values)
    np.testing.assert_array_equal(two.embedding.components, one.embedding.components)
    pd.testing.assert_frame_equal(two.meta, one.meta)
    images = load_folder(folder, **options)
    mem = features_matrix(images, "intensity+texture", scheduler=engine, chunk_size=50)
    np.testing.assert_array_equal(mem.values, extract_features(images, "intensity+texture", cache=False).values)


def test_holdout_split_matches_the_workbook_and_embedding_sees_training_rows_only(mixed):
    from misyn_lab.workbook.data import split_real

    folder, options = mixed
    images = load_folder(folder, **options)
    table = extract_table(ImageFiles.from_folder(folder, **options), KIND, fit_embedding=True, holdout=0.3, seed=2,
                          max_fit=100, chunk_size=50)
    train, held = split_real(images, seed=2)
    assert table.part("train").features.ids == train.ids and table.part("held-out").features.ids == held.ids
    emb = PCAEmbedding.fit(train, n_components=16, size=(40, 40), seed=2, max_fit=100)
    np.testing.assert_array_equal(table.embedding.components, emb.components)
    assert table.embedding.fitted_on.startswith(f"training part of images (n={len(train)}, sha256:")


def test_peak_memory_is_bounded_by_the_chunk(tmp_path):
    """400 files of 96×96: the chunked path holds a few chunks of pixels, the in-memory path all 400 images."""
    rng = np.random.default_rng(0)
    base = rng.integers(0, 256, (96, 96), dtype=np.uint8)
    for i in range(400):
        Image.fromarray(np.roll(base, i, axis=1)).save(tmp_path / f"{i:03d}.png")
    files = ImageFiles.from_folder(tmp_path)
    one_chunk = 10 * 96 * 96 * 4  # float32 pixels of one 10-file chunk
    tracemalloc.start()
    try:
        table = extract_table(files, "intensity+texture", chunk_size=10)
        _, chunked_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        extract_features(load_folder(tmp_path), "intensity+texture", cache=False, batch_size=400)
        _, memory_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(table) == 400
    assert chunked_peak < 60 * one_chunk  # texture needs ~100 bytes per pixel of working memory
    assert chunked_peak < memory_peak / 8


@pytest.mark.parametrize("suffix", [".npz", pytest.param(".parquet", marks=pytest.mark.skipif(
    __import__("importlib").util.find_spec("pyarrow") is None, reason='needs pip install "misyn-lab[scale]"'))])
def test_tables_round_trip(mixed, tmp_path, suffix):
    folder, options = mixed
    table = extract_table(ImageFiles.from_folder(folder / "colin27", **options), KIND, fit_embedding=True,
                          holdout=0.4, seed=1)
    back = load_features(table.save(tmp_path / f"t{suffix}"))
    np.testing.assert_array_equal(back.values, table.values)
    assert back.features.names == table.features.names and back.features.source_hash == table.features.source_hash
    np.testing.assert_array_equal(back.embedding.components, table.embedding.components)
    assert back.embedding.content_hash() == table.embedding.content_hash()
    pd.testing.assert_frame_equal(back.meta, table.meta, check_dtype=False)
    assert back.skipped == table.skipped and back.name == table.name


def test_table_errors(tmp_path, mixed):
    with pytest.raises(InputError, match="unknown feature file type .csv"):
        load_features(tmp_path / "x.csv")
    with pytest.raises(InputError, match="no such feature file"):
        load_features(tmp_path / "x.npz")
    np.savez(tmp_path / "other.npz", values=np.zeros((2, 2)))
    with pytest.raises(SchemaError, match=r"not a misyn-lab feature file \(missing \['header', 'meta'\]\)"):
        load_features(tmp_path / "other.npz")
    (tmp_path / "junk.npz").write_bytes(b"junk")
    with pytest.raises(InputError, match="cannot read the feature file"):
        load_features(tmp_path / "junk.npz")
    images = load_folder(mixed[0] / "mni152", size=(16, 16)).take(range(5))
    fm = extract_features(images, "intensity", cache=False)
    with pytest.raises(InputError, match="3 metadata rows"):
        FeatureTable(fm, images.meta.iloc[:3])
    with pytest.raises(InputError, match="kind 'embedding' needs an embedding"):
        extract_table(images, "intensity+embedding")
    with pytest.raises(InputError, match="an embedding is fitted on real images only"):
        extract_table(images.with_meta(synthetic=True), "embedding", fit_embedding=True)


def test_cli_features_real_then_synthetic(tmp_path, capsys):
    real, syn = tmp_path / "real.npz", tmp_path / "syn.npz"
    assert main(["features", str(SAMPLES / "mni152"), "--out", str(real), "--holdout", "0.3", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "102 images (71 train, 31 held-out) x 61 features (intensity+texture+embedding) from 102 files" in out
    assert main(["features", str(SAMPLES / "colin27"), "--out", str(syn), "--synthetic", "--embedding", str(real),
                 "--chunk-size", "10", "--quiet"]) == 0
    r, s = load_features(real), load_features(syn)
    assert s.embedding.content_hash() == r.embedding.content_hash() and s.synthetic.all()
    images = load_folder(SAMPLES / "colin27", synthetic=True)
    np.testing.assert_array_equal(s.values, extract_features(images, KIND, embedding=r.embedding,
                                                             cache=False).values)


def test_cli_features_with_workers_runs_here_and_in_a_worker_process_and_saves_the_same_table(tmp_path,
                                                                                             monkeypatch):
    """``--workers 2`` alone: this process and one Dask worker process (the multiprocessing scheduler), as the
    audit does; the table equals the one-process table."""
    from misyn_lab.features import cli as features_cli

    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    made: list = []

    class Recording(features_cli.Engine):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(features_cli, "Engine", Recording)
    one, two = tmp_path / "one.npz", tmp_path / "two.npz"
    assert main(["features", str(SAMPLES / "mni152"), "--out", str(one), "--holdout", "0.3", "--quiet"]) == 0
    assert main(["features", str(SAMPLES / "mni152"), "--out", str(two), "--holdout", "0.3", "--quiet",
                 "--workers", "2", "--chunk-size", "10"]) == 0
    assert [e.describe() for e in made] == ["this process",
                                            "Dask multiprocessing scheduler (1 worker process and this process)"]
    a, b = load_features(one), load_features(two)
    np.testing.assert_array_equal(b.values, a.values)
    pd.testing.assert_frame_equal(b.meta, a.meta)


@pytest.mark.parametrize("args, message", [
    (["--out", "x.csv"], "x.csv: unknown feature file type .csv"),
    (["--out", "x.npz", "--synthetic"], "a synthetic folder needs the real set's embedding"),
    (["--out", "x.npz", "--seed", "-1"], "--seed: --seed must be >= 0, got -1"),
    (["--out", "x.npz", "--holdout", "2"], "holdout must be between 0 and 1, got 2.0"),
    (["--out", "x.npz", "--scheduler", "no way"], "not a scheduler address: 'no way'"),
    (["--out", "x.npz", "--workers", "0"], "argument --workers: must be from 1 to"),
])
def test_cli_features_bad_input_one_line(tmp_path, monkeypatch, capsys, args, message):
    monkeypatch.chdir(tmp_path)
    try:  # values checked while parsing end the parser (SystemExit 2); the others return 2
        code = main(["features", str(SAMPLES / "mni152"), *args])
    except SystemExit as stop:
        code = stop.code
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("misyn-lab: error: ") and message in err and "\n" not in err


def test_multiframe_and_skipped_files_still_fit_the_in_memory_embedding(tmp_path):
    """Files holding several images, or none (skipped), break the one-image-per-file guess of the sample: the
    extra pass over the sampled images must give the in-memory embedding all the same."""
    rng = np.random.default_rng(3)
    base = rng.integers(0, 256, (24, 24), dtype=np.uint8)
    for i in range(12):
        frames = [Image.fromarray(np.roll(base, i * 3 + j, axis=j % 2)) for j in range(1 + i % 3)]
        frames[0].save(tmp_path / f"f{i:02d}.tif", save_all=True, append_images=frames[1:])
    (tmp_path / "f99.tif").write_bytes(b"broken")
    with pytest.warns(UserWarning, match="skipped 1 of 13 file"):
        images = load_folder(tmp_path, on_error="skip")
    assert len(images) == 24
    emb = PCAEmbedding.fit(images, n_components=5, size=(24, 24), seed=1, max_fit=10)
    fm = extract_features(images, KIND, embedding=emb, cache=False)
    with pytest.warns(UserWarning, match="skipped 1 of 13 file"):
        table = extract_table(ImageFiles.from_folder(tmp_path, on_error="skip"), KIND, fit_embedding=True,
                              n_components=5, seed=1, max_fit=10, chunk_size=4)
    np.testing.assert_array_equal(table.embedding.components, emb.components)
    np.testing.assert_array_equal(table.values, fm.values)
    assert [s.path for s in table.skipped] == [str(tmp_path / "f99.tif")]


def test_one_image_per_file_needs_no_extra_pass(mixed, monkeypatch):
    from misyn_lab.features import stream

    def no_extra_pass(*args, **kwargs):
        raise AssertionError("the sample should have been gathered in the first pass")

    monkeypatch.setattr(stream, "_rows_task", no_extra_pass)
    folder, options = mixed
    table = extract_table(ImageFiles.from_folder(folder / "mni152", **options), KIND, fit_embedding=True,
                          holdout=0.3, chunk_size=9)
    assert len(table) == 102 and table.embedding.is_fitted
