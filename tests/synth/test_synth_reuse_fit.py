"""Changing a knob on a fitted generator (``with_components`` / ``with_params``) without refitting from scratch:
same output as a fresh fit, deterministic, no new eigen-decomposition, bad input refused."""

from __future__ import annotations

import numpy as np
import pytest

from misyn_lab.errors import InputError
from misyn_lab.imagesets import ImageSet
from misyn_lab.synth import (GaussianMixtureGenerator, MemorisingGenerator, PCAGaussianGenerator,
                             SubgroupSkewedGenerator, _linalg)


def _same_sample(a, b, n: int = 40, seed: int = 3) -> None:
    sa, sb = a.sample(n, seed=seed), b.sample(n, seed=seed)
    assert sa.images.tobytes() == sb.images.tobytes()
    assert sa.meta.equals(sb.meta)
    assert a.card() == b.card()


@pytest.fixture(scope="module")
def pca16(brains: ImageSet) -> PCAGaussianGenerator:
    return PCAGaussianGenerator(16).fit(brains)


@pytest.mark.parametrize("k", [1, 5, 16, 40])
def test_with_components_equals_a_fresh_fit(brains, pca16, k):
    cut = pca16.with_components(k)
    fresh = PCAGaussianGenerator(k).fit(brains)
    assert cut.n_components == k and cut.is_fitted
    assert np.array_equal(cut.basis.components, fresh.basis.components)
    assert np.array_equal(cut.basis.mean, fresh.basis.mean)
    assert np.array_equal(cut.latents, fresh.latents)
    _same_sample(cut, fresh)


def test_with_components_is_deterministic_and_leaves_the_original_alone(brains, pca16):
    before = pca16.sample(30, seed=1)
    a, b = pca16.with_components(7), pca16.with_components(7)
    assert a is not pca16 and a.sample(30, seed=1).images.tobytes() == b.sample(30, seed=1).images.tobytes()
    assert pca16.n_components == 16 and pca16.basis.k == 16
    assert pca16.sample(30, seed=1).images.tobytes() == before.images.tobytes()
    # a copy of a copy still cuts from the same decomposition
    assert np.array_equal(a.with_components(12).basis.components, pca16.with_components(12).basis.components)


def test_with_components_does_not_redo_the_decomposition(brains, monkeypatch):
    gen = PCAGaussianGenerator(16).fit(brains)
    fresh = PCAGaussianGenerator(9).fit(brains)

    def forbidden(*args, **kwargs):
        raise AssertionError("eigen-decomposition recomputed")

    monkeypatch.setattr(np.linalg, "eigh", forbidden)
    monkeypatch.setattr(_linalg.PCASpectrum, "fit", classmethod(forbidden))
    cut = gen.with_components(9)
    assert np.array_equal(cut.latents, fresh.latents)


def test_covariance_path_is_exact_too(brains):
    small = brains.resized((6, 6))  # N = 174 > D = 36: eigen-decomposition of the D×D covariance
    spectrum = _linalg.PCASpectrum.fit(small.images, 4)
    assert spectrum.method == "cov" and spectrum.max_rank == 36
    gen = PCAGaussianGenerator(4).fit(small)
    for k in (2, 20, 36):
        _same_sample(gen.with_components(k), PCAGaussianGenerator(k).fit(small))


def test_randomised_path_recomputes_for_a_new_rank_and_matches_a_fresh_fit(brains, monkeypatch):
    monkeypatch.setattr(_linalg, "EXACT_LIMIT", 10)
    gen = PCAGaussianGenerator(8).fit(brains)
    assert gen._spectrum.method == "randomized"
    for k in (8, 5):
        _same_sample(gen.with_components(k), PCAGaussianGenerator(k).fit(brains))


def test_spectrum_basis_matches_pcabasis_fit_and_caps_the_rank():
    rng = np.random.default_rng(0)
    x = rng.random((12, 5, 5)).astype(np.float32)
    spectrum = _linalg.PCASpectrum.fit(x, 3)
    assert spectrum.method == "gram" and spectrum.max_rank == 11
    for k in (1, 3, 11):
        assert np.array_equal(spectrum.basis(k).components, _linalg.PCABasis.fit(x, k).components)
    assert spectrum.basis(50).k == 11  # capped at N - 1, like PCABasis.fit
    lean = _linalg.PCASpectrum.fit(x, 3, keep_centred=False)
    assert lean.basis(3).k == 3
    with pytest.raises(ValueError, match="needs the centred matrix"):
        lean.basis(4)


def test_scale_change_reuses_the_basis(brains, pca16):
    cut = pca16.with_params(scale=0.5)
    assert cut.basis is pca16.basis
    _same_sample(cut, PCAGaussianGenerator(16, scale=0.5).fit(brains))


def test_with_params_bad_input(brains, pca16):
    with pytest.raises(InputError, match="has not been fitted"):
        PCAGaussianGenerator(4).with_components(3)
    with pytest.raises(InputError, match=r"cannot change \['column'\] on a fitted generator"):
        pca16.with_params(column="plane")
    with pytest.raises(InputError, match="n_components must be a positive integer, got 0"):
        pca16.with_components(0)
    with pytest.raises(InputError, match="scale must be > 0"):
        pca16.with_params(scale=-1.0)
    with pytest.raises(InputError, match=r"cannot change \['n_components'\]"):
        MemorisingGenerator(0.5).fit(brains).with_params(n_components=4)


def test_memorising_strength_change_shares_the_fit(brains):
    gen = MemorisingGenerator(0.9).fit(brains)
    for strength in (0.0, 0.35, 1.0):
        cut = gen.with_params(strength=strength)
        assert cut._pca is gen._pca
        _same_sample(cut, MemorisingGenerator(strength).fit(brains))
    with pytest.raises(InputError, match="strength must lie in"):
        gen.with_params(strength=1.5)


def test_subgroup_skewed_weight_change_shares_the_fit(brains):
    gen = SubgroupSkewedGenerator("plane", minority_weight=0.2).fit(brains)
    for weight in (0.0, 0.6, 1.0):
        cut = gen.with_params(minority_weight=weight)
        assert cut.basis is gen.basis and cut.minority == gen.minority
        _same_sample(cut, SubgroupSkewedGenerator("plane", minority_weight=weight).fit(brains))
    with pytest.raises(InputError, match="minority_weight must lie in"):
        gen.with_params(minority_weight=-0.1)


def test_mixture_part_change_keeps_the_pca_and_refits_only_the_mixture(brains):
    gen = GaussianMixtureGenerator(3).fit(brains)
    cut = gen.with_params(n_components=2)
    assert cut.basis is gen.basis and cut.gmm is not gen.gmm
    _same_sample(cut, GaussianMixtureGenerator(2).fit(brains))


def test_memorising_copies_reuse_draws_only_for_the_same_request(brains):
    gen = MemorisingGenerator(0.9, max_shift=0.1).fit(brains)
    fresh = {s: MemorisingGenerator(s, max_shift=0.1).fit(brains) for s in (0.4, 1.0)}
    strong, weak = gen.with_params(strength=1.0), gen.with_params(strength=0.4)
    for n, seed in [(30, 1), (30, 1), (30, 2), (31, 1)]:  # same request twice, then a new seed, a new size
        for cut, strength in ((strong, 1.0), (weak, 0.4)):
            got, want = cut.sample(n, seed=seed), fresh[strength].sample(n, seed=seed)
            assert got.images.tobytes() == want.images.tobytes() and got.meta.equals(want.meta)
    noisy = weak.with_params(noise=0.05)
    _same_sample(noisy, MemorisingGenerator(0.4, noise=0.05, max_shift=0.1).fit(brains), n=30, seed=1)
    assert gen._memo is weak._memo is noisy._memo  # one shared memo of the last draws
    assert MemorisingGenerator(0.5).fit(brains)._memo is None  # one-shot use keeps nothing
