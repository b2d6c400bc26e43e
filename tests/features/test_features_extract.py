"""Feature extraction: shapes, names, reference values, determinism, caching, the real-only embedding."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from skimage.feature import graycomatrix, graycoprops, local_binary_pattern

from misyn_lab.errors import InputError
from misyn_lab.features import FeatureMatrix, PCAEmbedding, cache, extract_features, standardise
from misyn_lab.features import extract as extract_mod
from misyn_lab.features.texture import GLCM_ANGLES, GLCM_PROPS
from misyn_lab.imagesets import ImageSet


def test_intensity_shapes_names_and_reference_values(real_mr):
    fm = extract_features(real_mr, "intensity", progress=False)
    assert isinstance(fm, FeatureMatrix)
    assert fm.shape == (174, 28) and len(fm.names) == 28 and fm.kind == "intensity"
    assert fm.ids == real_mr.ids and fm.source_hash == real_mr.content_hash()
    assert all(n.startswith("intensity.") for n in fm.names)
    df = fm.to_frame()
    x = real_mr.images.reshape(174, -1).astype(np.float64)
    np.testing.assert_allclose(df["intensity.mean"], x.mean(axis=1), atol=1e-6)
    np.testing.assert_allclose(df["intensity.std"], x.std(axis=1), atol=1e-6)
    np.testing.assert_allclose(df["intensity.p95"], np.percentile(x, 95, axis=1), atol=1e-6)
    np.testing.assert_allclose(df["intensity.skew"], stats.skew(x, axis=1), atol=1e-4)
    np.testing.assert_allclose(df["intensity.kurtosis"], stats.kurtosis(x, axis=1), atol=1e-3)
    hist = df.filter(like="intensity.hist").to_numpy()
    np.testing.assert_allclose(hist.sum(axis=1), 1.0)
    ref = np.histogram(x[0], bins=16, range=(0, 1))[0] / x.shape[1]
    np.testing.assert_allclose(hist[0], ref)
    p = np.histogram(x[0], bins=256, range=(0, 1))[0] / x.shape[1]
    p = p[p > 0]
    assert df["intensity.entropy"].iloc[0] == pytest.approx(-(p * np.log2(p)).sum(), abs=1e-9)
    with pytest.raises(ValueError, match="read-only"):
        fm.values[0, 0] = 1.0  # a cached matrix cannot be changed by accident


def test_colour_images_add_channel_statistics(retina):
    fm = extract_features(retina, "intensity", progress=False)
    assert fm.shape == (12, 34)
    assert fm.names[-6:] == [f"intensity.{s}_{c}" for c in "rgb" for s in ("mean", "std")]
    np.testing.assert_allclose(fm.to_frame()["intensity.mean_r"], retina.images[..., 0].mean(axis=(1, 2)), atol=1e-6)
    tex = extract_features(retina, "texture", progress=False)
    assert tex.shape == (12, 17)


def test_texture_matches_scikit_image(real_mr):
    subset = real_mr.take([0, 50, 130])
    fm = extract_features(subset, "texture", progress=False, levels=32).to_frame()
    for k, img in enumerate(subset.images):
        q = np.minimum((img.astype(np.float64) * 32).astype(np.uint8), 31)
        glcm = graycomatrix(q, [1, 2], list(GLCM_ANGLES), levels=32, symmetric=True, normed=True)
        for prop in GLCM_PROPS:
            assert fm[f"texture.glcm_{prop}"].iloc[k] == pytest.approx(graycoprops(glcm, prop).mean(), abs=1e-10)
        u8 = np.round(img.astype(np.float64) * 255).astype(np.uint8)
        codes = local_binary_pattern(u8, 8, 1, "uniform")
        ref = np.bincount(codes.astype(int).ravel(), minlength=10) / codes.size
        # equal up to exact ties that scikit-image's compiled interpolation may round either way
        np.testing.assert_allclose(fm.filter(like="texture.lbp").iloc[k].to_numpy(), ref, atol=3 / codes.size)


def test_deterministic_and_batch_size_invariant(real_mr):
    a = extract_features(real_mr, "all", progress=False, cache=False, batch_size=50)
    b = extract_features(real_mr, "all", progress=False, cache=False, batch_size=256)
    c = extract_features(real_mr, "all", progress=False, cache=False, batch_size=50)
    assert a.kind == "intensity+texture"
    np.testing.assert_array_equal(a.values, c.values)               # same call: identical bytes
    np.testing.assert_allclose(a.values, b.values, rtol=1e-12, atol=1e-14)  # batching: summation order only


def test_cache_hit_does_not_recompute(real_mr, monkeypatch):
    calls = []
    original = extract_mod._compute_family

    def counting(family, images, **kw):
        calls.append(family)
        return original(family, images, **kw)

    monkeypatch.setattr(extract_mod, "_compute_family", counting)
    first = extract_features(real_mr, "intensity", progress=False, batch_size=100)
    assert calls == ["intensity", "intensity"]
    second = extract_features(real_mr, "intensity", progress=False, batch_size=100)
    assert calls == ["intensity", "intensity"]          # no recomputation
    np.testing.assert_array_equal(first.values, second.values)
    assert cache.info()["hits"] == 1
    # a copy with the same content is the same key; other kinds or cache=False compute
    copy = ImageSet(real_mr.images.copy(), real_mr.meta.copy(), name="copy")
    extract_features(copy, "intensity", progress=False)
    assert len(calls) == 2
    extract_features(real_mr, "intensity+texture", progress=False, batch_size=1000)
    assert calls[2:] == ["texture"]                     # intensity part reused
    extract_features(real_mr, "intensity", progress=False, cache=False, batch_size=1000)
    assert calls[3:] == ["intensity"]


def test_disk_cache(real_mr, tmp_path, monkeypatch):
    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path))
    a = extract_features(real_mr, "intensity", progress=False)
    assert len(list(tmp_path.glob("features-*.npz"))) == 1
    cache.clear()
    b = extract_features(real_mr, "intensity", progress=False)
    assert cache.info()["disk_hits"] == 1
    np.testing.assert_array_equal(a.values, b.values)
    # a damaged file is recomputed, not trusted
    next(tmp_path.glob("features-*.npz")).write_bytes(b"garbage")
    cache.clear()
    c = extract_features(real_mr, "intensity", progress=False)
    np.testing.assert_array_equal(a.values, c.values)
    assert cache.info()["disk_hits"] == 0


def test_embedding_fitted_on_real_and_reused(real_mr):
    from misyn_lab.synth import PCAGaussianGenerator

    emb = PCAEmbedding.fit(real_mr, n_components=8, size=(16, 16), seed=0)
    assert emb.n_components == 8 and emb.fitted_on == real_mr.describe() and "n=174" in emb.fitted_on
    syn = PCAGaussianGenerator(8).fit(real_mr).sample(20, seed=0)
    fr = extract_features(real_mr, "intensity+embedding", embedding=emb, progress=False)
    fs = extract_features(syn, "embedding", embedding=emb, progress=False)  # extract_features takes its embedding
    assert fr.shape == (174, 36) and fs.shape == (20, 8)
    assert fs.names == [f"embedding.pc{i:02d}" for i in range(1, 9)]
    assert fs.params["embedding_hash"] == fr.params["embedding_hash"]
    again = PCAEmbedding.fit(real_mr, n_components=8, size=(16, 16), seed=0)
    assert again.content_hash() == emb.content_hash()
    # the real coordinates are centred (fitted on real), the synthetic ones are not forced to be
    assert np.abs(fr.select("embedding.").values.mean(axis=0)).max() < 1e-4
    with pytest.raises(InputError, match="are synthetic"):
        PCAEmbedding.fit(syn)
    with pytest.raises(InputError, match="needs a fitted embedding"):
        extract_features(real_mr, "embedding")
    with pytest.raises(InputError, match="must be a fitted PCAEmbedding"):
        extract_features(real_mr, "embedding", embedding=PCAEmbedding())


def test_standardise_uses_real_statistics(real_mr):
    fr = extract_features(real_mr.take(range(100)), "intensity", progress=False)
    fs = extract_features(real_mr.take(range(100, 174)), "intensity", progress=False)
    rz, sz = standardise(fr, fs)
    keep = fr.values.std(axis=0) > 1e-12
    np.testing.assert_allclose(rz.values[:, keep].mean(axis=0), 0, atol=1e-9)
    np.testing.assert_allclose(rz.values[:, keep].std(axis=0), 1, atol=1e-9)
    mu, sd = fr.values.mean(axis=0), np.where(keep, fr.values.std(axis=0), 1.0)
    np.testing.assert_allclose(sz.values, (fs.values - mu) / sd)
    r2, s2 = standardise(fr.values, fs.values)
    np.testing.assert_allclose(r2, rz.values)
    with pytest.raises(InputError, match="do not match"):
        standardise(fr.values, fs.values[:, :3])


def test_bad_input(real_mr):
    with pytest.raises(InputError, match="unknown feature kind"):
        extract_features(real_mr, "deep")
    with pytest.raises(InputError, match="needs an ImageSet"):
        extract_features(real_mr.images)
    with pytest.raises(InputError, match="the image set is empty"):
        extract_features(real_mr.subset(plane="oblique"))
    with pytest.raises(InputError, match="batch_size must be a positive integer"):
        extract_features(real_mr, batch_size=0)
    with pytest.raises(InputError, match="levels must be an integer"):
        extract_features(real_mr, "texture", levels=1)


def test_progress_bar_only_when_asked(real_mr, capsys):
    extract_features(real_mr, "intensity", progress=False, cache=False)
    assert "intensity features" not in capsys.readouterr().err
    extract_features(real_mr, "intensity", progress=True, cache=False)
    assert "intensity features" in capsys.readouterr().err


def test_embedding_matches_exact_pca(real_mr):
    emb = PCAEmbedding.fit(real_mr, n_components=4, size=(32, 32), seed=0)
    x = real_mr.images.reshape(len(real_mr), -1).astype(np.float64)
    _, s, vt = np.linalg.svd(x - x.mean(axis=0), full_matrices=False)
    cos = np.abs(np.sum(emb.components * vt[:4], axis=1))
    assert cos.min() > 0.99
    np.testing.assert_allclose(emb.explained_variance_ratio, s[:4] ** 2 / (s ** 2).sum(), rtol=1e-3)


def test_uncached_extraction_does_not_hash_the_pixels(real_mr, monkeypatch):
    """cache=False is for callers that keep their own features: hashing every pixel would be wasted work."""
    from misyn_lab.imagesets.core import ImageSet

    def no_hash(self):  # pragma: no cover - must not be called
        raise AssertionError("content_hash called although the cache is off")

    monkeypatch.setattr(ImageSet, "content_hash", no_hash)
    fm = extract_features(real_mr.take(range(5)), "intensity", cache=False, progress=False)
    assert fm.values.shape[0] == 5 and fm.source_hash == ""
