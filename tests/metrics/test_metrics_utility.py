"""TSTR vs TRTR utility and detection AUC."""

from __future__ import annotations

import json

import numpy as np
import pytest

from misyn_lab.errors import InputError
from misyn_lab.metrics import detection_auc, tstr


def _task(rng, n, flip=False):
    x = rng.standard_normal((n, 5))
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(int)
    return x, (1 - y) if flip else y


def test_good_synthetic_matches_real(rng):
    xr, yr = _task(rng, 300)
    xs, ys = _task(rng, 300)
    xt, yt = _task(rng, 400)
    groups = np.where(xt[:, 2] > 0, "old", "young")
    res = tstr(xr, yr, xs, ys, xt, yt, groups=groups, bootstrap=200)
    assert res["tstr.accuracy"].value > 0.9 and res["trtr.accuracy"].value > 0.9
    gap = res["tstr.gap"]
    assert abs(gap.value) < 0.05
    assert gap.value == pytest.approx(res["trtr.accuracy"].value - res["tstr.accuracy"].value)
    assert gap.ci[0] <= gap.value <= gap.ci[1]
    assert set(res.per_group["group"]) == {"old", "young"}
    assert res.per_group["n"].sum() == 400
    assert gap.details["worst_group"]["group"] in {"old", "young"}
    for m in res.metrics.values():
        json.dumps(m.to_dict())


def test_label_flipped_synthetic_has_large_gap(rng):
    xr, yr = _task(rng, 300)
    xs, ys = _task(rng, 300, flip=True)
    xt, yt = _task(rng, 300)
    res = tstr(xr, yr, xs, ys, xt, yt, model="rf", bootstrap=100)
    assert res["tstr.accuracy"].value < 0.2
    assert res["tstr.gap"].value > 0.6 and res["tstr.gap"].ci[0] > 0.5
    assert res.per_group is None


def test_tstr_bad_inputs(rng):
    xr, yr = _task(rng, 50)
    with pytest.raises(InputError, match="syn_y has a single class"):
        tstr(xr, yr, xr, np.zeros(50), xr, yr)
    with pytest.raises(InputError, match="real_test_y has 49 labels for 50 feature rows"):
        tstr(xr, yr, xr, yr, xr, yr[:-1])
    with pytest.raises(InputError, match="real_train_X has 5 features but syn_X has 4"):
        tstr(xr, yr, xr[:, :4], yr, xr, yr)
    with pytest.raises(InputError, match="unknown model 'svm'"):
        tstr(xr, yr, xr, yr, xr, yr, model="svm")
    for bad in (95, 0, 1.0, "0.95", True):
        with pytest.raises(InputError, match=r"ci_level must be between 0 and 1, got .*a fraction, not a percentage"):
            tstr(xr, yr, xr, yr, xr, yr, ci_level=bad)


def test_detection_auc_direction(rng):
    a = rng.standard_normal((200, 4))
    same = detection_auc(a, rng.standard_normal((200, 4)), seed=0)
    shifted = detection_auc(a, rng.standard_normal((150, 4)) + 1.5, seed=0)
    assert 0.35 < same.value < 0.65
    assert shifted.value > 0.9
    assert shifted.n == {"real": 150, "synthetic": 150} and shifted.details["balanced_by_subsampling"]
    assert shifted.key == "detection.auc"
    with pytest.raises(InputError, match="detection needs at least 5 samples per set"):
        detection_auc(a[:3], a[:10])
