"""Memorisation: copies are flagged, independent samples are not; scores and offenders."""

from __future__ import annotations

import json

import numpy as np
import pytest

from misyn_lab.errors import InputError
from misyn_lab.metrics import memorisation


@pytest.fixture
def data(rng):
    train = rng.standard_normal((200, 6))
    holdout = rng.standard_normal((200, 6))
    independent = rng.standard_normal((200, 6))
    copies = train + rng.normal(0, 1e-3, train.shape)
    return train, holdout, independent, copies


def test_memorising_generator_is_flagged(data):
    train, holdout, _, copies = data
    res = memorisation(train, copies, holdout_real=holdout)
    assert res["copy_rate"].value == 1.0
    assert res["train_copied_rate"].value == 1.0
    assert res["identifiability"].value == 1.0
    assert res["sdmetrics_score"].value == 0.0
    np.testing.assert_array_equal(res.syn_nearest_train, np.arange(200))
    assert res.offenders["is_copy"].all() and len(res.offenders) == 20
    assert res.offenders["ratio"].is_monotonic_increasing
    assert res["copy_rate"].details["holdout_false_alarm_rate"] <= 0.05


def test_independent_sample_is_not_flagged(data):
    train, holdout, independent, _ = data
    res = memorisation(train, independent, holdout_real=holdout)
    assert res["copy_rate"].value <= 0.05
    assert res["train_copied_rate"].value <= 0.05
    assert res["sdmetrics_score"].value > 0.7
    expected = res["identifiability"].details["expected_if_independent"]
    assert expected == pytest.approx(200 / 399)
    assert abs(res["identifiability"].value - expected) < 0.15
    for m in res.metrics.values():
        json.dumps(m.to_dict())
        assert m.interpretation


def test_partial_copying_rates(data):
    train, _, independent, copies = data
    syn = np.r_[copies[:30], independent[:70]]  # 30 % copies of 30 of the 200 training samples
    res = memorisation(train, syn, top=30)
    assert res["copy_rate"].value == pytest.approx(0.30, abs=0.03)
    assert res["train_copied_rate"].value == pytest.approx(30 / 200, abs=0.02)
    assert set(res.offenders["synthetic_index"]) == set(range(30))
    assert set(res.offenders["train_index"]) == set(range(30))
    assert "memorisation.sdmetrics_score" not in res.metrics


def test_threshold_and_positive_controls(data, rng):
    train, _, independent, _ = data
    aug = train[:50] + rng.normal(0, 0.01, (50, 6))
    res = memorisation(train, independent, threshold=0.0, positive_controls=aug)
    assert res["copy_rate"].value == 0.0 and res.threshold == 0.0
    assert res["copy_rate"].details["threshold_rule"] == "given"
    assert res["copy_rate"].details["positive_control_detection_rate"] == 0.0
    default = memorisation(train, independent, positive_controls=aug)
    assert default["copy_rate"].details["positive_control_detection_rate"] == 1.0


def test_unequal_holdout_warns(data):
    train, holdout, independent, _ = data
    res = memorisation(train, independent, holdout_real=holdout[:50])
    assert "differ in size" in res["sdmetrics_score"].details["warning"]


def test_invalid_inputs(data):
    train, _, independent, _ = data
    with pytest.raises(InputError, match="train_real has 1 samples but at least 2 are needed"):
        memorisation(train[:1], independent)
    with pytest.raises(InputError, match="train_real has 6 features but holdout_real has 5"):
        memorisation(train, independent, holdout_real=independent[:, :5])
    dup = np.repeat(train[:10], 3, axis=0)
    with pytest.raises(InputError, match="exact duplicates"):
        memorisation(dup, independent)
    with pytest.raises(InputError, match="percentile must be within"):
        memorisation(train, independent, percentile=150)


def test_small_training_set_warns(data):
    train, _, independent, _ = data
    res = memorisation(train[:10], independent)
    assert any("only 10 training samples" in w for w in res.warnings)
    assert res["copy_rate"].details["warnings"] == res.warnings
    assert memorisation(train, independent).warnings == []


def test_duplicated_training_rows_still_flag_a_memorising_generator(data, rng):
    """Duplicates made the 1st percentile 0 (nothing flagged, no warning); now it is taken over positive distances."""
    train, holdout, independent, _ = data
    dup_train = np.r_[train, train[:20]]  # 40 of 220 rows have an exact twin
    copies = dup_train[::2] + rng.normal(0, 1e-3, dup_train[::2].shape)
    res = memorisation(dup_train, copies, holdout_real=holdout)
    assert res["copy_rate"].value == 1.0 and res["train_copied_rate"].value >= 0.5
    assert res.threshold > 0
    positive = res.train_nn_dist[res.train_nn_dist > 0]
    assert len(positive) == 180
    assert res.threshold == pytest.approx(np.percentile(positive, 1.0) / np.median(res.train_nn_dist))
    assert "strictly positive" in res["copy_rate"].details["threshold_rule"]
    msg = [w for w in res.warnings if "exact duplicate" in w]
    assert len(msg) == 1 and msg[0].startswith("40 of 220 training samples have an exact duplicate")
    for key in ("copy_rate", "train_copied_rate", "identifiability"):
        assert res[key].details["warnings"] == res.warnings
    # an independent sample is still not flagged, and a duplicate-free set gets no duplicate warning
    indep = memorisation(dup_train, independent, holdout_real=holdout)
    assert indep["copy_rate"].value <= 0.05
    assert not any("exact duplicate" in w for w in memorisation(train, copies).warnings)
