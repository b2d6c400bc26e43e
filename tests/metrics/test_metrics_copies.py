"""Pixel-space copy detection: noisy, brightened and JPEG-re-encoded training images are caught, unseen real images
stay at the calibrated false-alarm rate, and a copy rate no better than its negative control is "inconclusive"."""

from __future__ import annotations

import numpy as np
import pytest

from misyn_lab.errors import InputError
from misyn_lab.metrics.copies import (NOISE_STRENGTHS, PIXEL_KEY, conformal_threshold, copy_probes, copy_similarity,
                                      copy_verdict, feature_copy_reading, pixel_copies, working_images)
from misyn_lab.metrics.result import SPLIT_ALL_REAL, SPLIT_TRAINING, MetricResult


@pytest.fixture(scope="module")
def brain():
    """The bundled brain slices at notebook 05's size (32x32), split as notebook 05 splits them."""
    from misyn_lab.workbook.data import split_real, teaching_real_set

    train, holdout = split_real(teaching_real_set(size=(32, 32)), seed=0)
    return train, holdout


@pytest.fixture(scope="module")
def checked(brain):
    """A memorising generator (strength 1, notebook 05's default noise) checked with every probe."""
    from misyn_lab.synth.registry import make_generator

    train, holdout = brain
    syn = make_generator("memorising", strength=1.0, noise=0.01).fit(train).sample(60, seed=0)
    return pixel_copies(train, syn, holdout, positive_controls=copy_probes(train, seed=1))


def test_noisy_brightened_and_jpeg_copies_are_caught(checked):
    """Every probe of notebook 05 (noise s.d. 0.01/0.03/0.05, brightness +0.05 and x0.9, JPEG q75) is flagged in
    at least 95 % of the 122 training images."""
    assert set(checked.probes) == {f"noise s.d. {s:g}" for s in NOISE_STRENGTHS} | {
        "brightness +0.05", "brightness x0.9", "JPEG q75"}
    assert NOISE_STRENGTHS == (0.01, 0.03, 0.05)
    for name, rate in checked.probes.items():
        assert rate >= 0.95, (name, rate)
    result = checked[PIXEL_KEY]
    assert result.value == 1.0 and result.details["copies"] == 60 and checked.verdict == "copies"
    assert result.ci[0] > result.details["false_alarm_ci"][1]  # the copy rate lies beyond the negative control
    assert result.split == SPLIT_TRAINING and result.n == {"train": 122, "synthetic": 60, "holdout": 52}
    assert result.interpretation.startswith("100 % of 60 synthetic images (95 % CI 94 %–100 %) are flagged as copies")
    assert "the synthetic set contains copies" in result.interpretation


def test_held_out_real_stays_at_the_false_alarm_rate(brain):
    """Half of the held-out images calibrate the threshold; the other half, passed as if synthetic, are flagged no
    more often than the target 5 % allows (and the verdict is inconclusive, not copies)."""
    train, holdout = brain
    first, second = holdout.take(np.arange(0, len(holdout), 2)), holdout.take(np.arange(1, len(holdout), 2))
    res = pixel_copies(train, second, first)
    r = res[PIXEL_KEY]
    assert r.details["target_false_alarm_rate"] == 0.05 and r.details["false_alarm_rate"] <= 0.05
    assert r.value <= 0.1 and res.verdict == "inconclusive"
    assert r.ci[0] <= r.details["false_alarm_ci"][1]


def test_a_generator_that_copies_nothing_is_inconclusive_not_reassuring(brain):
    from misyn_lab.synth.registry import make_generator

    train, holdout = brain
    syn = make_generator("pca_gaussian", n_components=16).fit(train).sample(60, seed=0)
    res = pixel_copies(train, syn, holdout)
    r = res[PIXEL_KEY]
    assert r.value == 0.0 and res.verdict == "inconclusive"
    assert "so inconclusive (no copying detectable beyond the false-alarm rate" in r.interpretation


def test_without_held_out_images_each_real_image_is_the_others_control(brain):
    train, holdout = brain
    real = train.concat(holdout)
    res = pixel_copies(real, holdout.take(np.arange(5)))
    r = res[PIXEL_KEY]
    assert r.split == SPLIT_ALL_REAL and r.n == {"real": 174, "synthetic": 5}
    assert r.details["n_negative_control"] == 174
    assert r.value == 1.0  # a real image in the synthetic set is, rightly, a copy of itself
    assert "real images compared with the other real images (no training set named)" in r.interpretation


def test_similarity_is_invariant_to_brightness_and_tolerant_to_shifts():
    rng = np.random.default_rng(0)
    base = rng.random((6, 32, 32))
    from scipy.ndimage import gaussian_filter

    base = np.stack([gaussian_filter(b, 2) for b in base])
    shifted = np.stack([np.roll(b, (2, -1), axis=(0, 1)) for b in base]) * 0.7 + 0.2
    sim = copy_similarity(working_images(shifted), working_images(base))
    assert np.all(sim.nearest == np.arange(6)) and np.all(sim.score > 0.97)
    loo = copy_similarity(working_images(base), working_images(base), exclude_self=True)
    assert not np.any(loo.nearest == np.arange(6))


def test_conformal_threshold_and_verdict_values():
    scores = np.arange(1, 20) / 20.0  # 0.05 ... 0.95, n = 19
    assert conformal_threshold(scores, 0.05) == pytest.approx(0.95)  # ceil(20 * 0.95) = 19th smallest
    assert conformal_threshold(scores, 0.5) == pytest.approx(0.5)  # ceil(20 * 0.5) = 10th smallest
    assert copy_verdict((0.30, 0.50), (0.0, 0.10)) == "copies"
    assert copy_verdict((0.05, 0.30), (0.0, 0.10)) == "inconclusive"
    assert copy_verdict((0.90, 1.0), None) == "inconclusive"


def test_out_of_sample_false_alarms_and_pooling(brain):
    from misyn_lab.metrics.copies import loo_false_alarms, pool_pixel_copies

    flags = loo_false_alarms(np.arange(1, 21) / 20.0, 0.05)  # each against the 19 others: only the maximum exceeds
    assert flags.tolist() == [False] * 19 + [True]
    train, holdout = brain
    a = pixel_copies(train, train.take(np.arange(10)), holdout)  # 10 exact copies
    b = pixel_copies(train, holdout.take(np.arange(10)), holdout.take(np.arange(10, 52)))  # 10 unseen real images
    pooled = pool_pixel_copies([("copies", a), ("unseen", b)])
    assert pooled.n == {"synthetic": 20, "holdout": 94, "checks": 2}
    assert pooled.details["copies"] == 10 + b[PIXEL_KEY].details["copies"]
    assert pooled.details["per_part"]["copies"]["copy_rate"] == 1.0 and pooled.split == SPLIT_TRAINING
    assert pooled.interpretation.endswith("Pooled over 2 checks, each against its own training and held-out images.")


def test_feature_copy_rate_not_better_than_its_control_is_inconclusive():
    """The old case-1 pattern: 94 % of 16 synthetic images flagged while the same rule flags 59 % of 12 held-out
    images: the CIs overlap, so the copy rate says nothing about copying."""
    r = MetricResult("memorisation.copy_rate", 15 / 16, {"train": 3, "synthetic": 16},
                     details={"holdout_false_alarm_rate": 7 / 12})
    read = feature_copy_reading(r, 12)
    assert read.details["verdict"] == "inconclusive"
    assert read.ci == pytest.approx((0.717, 0.989), abs=1e-3)
    assert read.details["false_alarm_ci"] == pytest.approx([0.320, 0.807], abs=1e-3)
    assert "so inconclusive" in read.interpretation
    strong = feature_copy_reading(MetricResult("memorisation.copy_rate", 0.94, {"synthetic": 50},
                                               details={"holdout_false_alarm_rate": 0.02}), 100)
    assert strong.details["verdict"] == "copies"


def test_bad_inputs_name_the_problem(brain):
    train, holdout = brain
    with pytest.raises(InputError, match="synthetic must be a non-empty image stack"):
        pixel_copies(train, np.zeros((0, 8, 8)), holdout)
    with pytest.raises(InputError, match="synthetic contains NaN or infinite pixel values"):
        pixel_copies(train, np.full((2, 8, 8), np.nan), holdout)
    with pytest.raises(InputError, match="train is one image of shape"):
        working_images(np.zeros((8, 8)), name="train")
    with pytest.raises(InputError, match="size must be an integer >= 12"):
        working_images(train, 8)
    with pytest.raises(InputError, match="target false-alarm rate must be in"):
        conformal_threshold(np.ones(3), 1.5)
    with pytest.raises(InputError, match="noise strengths must be >= 0"):
        copy_probes(train.images[:2], noise=(-0.1,))
