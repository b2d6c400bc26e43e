"""evaluate_all: one dict of MetricResults with interpretations."""

from __future__ import annotations

import json

import numpy as np

from misyn_lab.metrics import MetricResult, evaluate_all


def test_evaluate_all_keys_and_interpretations(rng):
    real = rng.standard_normal((120, 4))
    syn = rng.standard_normal((120, 4)) + 0.8
    out = evaluate_all(real, syn, feature_set="toy", train_feats=real[:60], permutations=50)
    expected = {
        "prdc.precision", "prdc.recall", "prdc.density", "prdc.coverage", "frechet", "mmd.rbf", "ks.max",
        "detection.auc", "memorisation.copy_rate", "memorisation.train_copied_rate", "memorisation.identifiability",
    }
    assert set(out) == expected
    for key, m in out.items():
        assert isinstance(m, MetricResult) and m.key == key
        assert m.interpretation and m.interpretation.endswith(".")
        assert MetricResult.from_dict(json.loads(json.dumps(m.to_dict()))).key == key
    assert out["mmd.rbf"].p_value < 0.05
    assert out["frechet"].details["feature_set"] == "toy"


def test_evaluate_all_skips_detection_for_tiny_sets(rng):
    out = evaluate_all(rng.standard_normal((8, 2)), rng.standard_normal((4, 2)), k=2, permutations=0)
    assert "detection.auc" not in out and np.isfinite(out["prdc.precision"].value)
