"""The figures of the workbook and evaluation notebook: subgroup shares, copy ratios, one-feature histogram."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from misyn_lab.errors import InputError
from misyn_lab.viz import copy_ratio_histogram, feature_histogram, subgroup_shares
from tests.viz.figcheck import check_figure


def test_subgroup_shares_names_the_least_represented_group():
    table = pd.DataFrame({"subgroup": ["axial", "coronal"], "share_real": [0.5, 0.5], "share_syn": [0.9, 0.1],
                          "coverage": [0.8, np.nan]})
    fig = subgroup_shares(table, "plane")
    takeaway = check_figure(fig)
    assert "coronal" in takeaway and "10%" in takeaway and len(fig.axes) == 2
    no_cov = subgroup_shares(table.drop(columns=["coverage"]), "plane", takeaway="given")
    assert check_figure(no_cov) == "given" and len(no_cov.axes) == 1
    with pytest.raises(InputError, match=r"table lacks columns \['share_syn'\]"):
        subgroup_shares(table.drop(columns=["share_syn"]))


def test_copy_ratio_histogram_single_and_designs():
    fig = copy_ratio_histogram(np.array([0.1, 0.2, 1.0, 1.2]), 0.5)
    assert "50% of synthetic images" in check_figure(fig)
    two = copy_ratio_histogram({"a": [0.1, 1.0], "b": [1.0, 1.1]}, 0.5)
    assert "a: 50%" in check_figure(two) and "b: 0%" in two.misyn_takeaway
    with pytest.raises(InputError, match="no finite distance ratios for b"):
        copy_ratio_histogram({"a": [1.0], "b": [np.nan]}, 0.5)
    with pytest.raises(InputError, match="threshold must be a positive number"):
        copy_ratio_histogram([1.0], 0.0)


def test_feature_histogram_compares_means():
    rng = np.random.default_rng(0)
    real, syn = rng.normal(0, 1, 200), rng.normal(1, 1, 200)
    fig = feature_histogram(real, syn, "intensity.mean", marks=(-1.0, 1.0))
    takeaway = check_figure(fig)
    assert "intensity.mean" in takeaway and f"{(syn.mean() - real.mean()) / real.std():+.2f} real s.d." in takeaway
    with pytest.raises(InputError, match="syn_values must be a non-empty array of finite numbers"):
        feature_histogram([1.0, 2.0], [], "x")
