"""Every figure function draws into given Axes (``ax=``): it returns the Axes' figure, keeps its labels, stores the
same takeaway as its figure-level form on each Axes, and leaves the caller's figure title and caption alone; a
wrong number of Axes is refused with the number needed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from misyn_lab.errors import InputError
from misyn_lab.imagesets import ImageSet
from misyn_lab.metrics.projection import project_2d
from misyn_lab.synth import invented_detail_map
from misyn_lab.viz import (copy_ratio_histogram, embedding_scatter, feature_histogram, feature_shift_ranking,
                           image_grid, intensity_histograms, invented_detail_figure, nn_pairs_gallery, prdc_bars,
                           subgroup_shares)
from misyn_lab.viz.agreement import answer_distribution
from misyn_lab.viz.contamination import drift_figure
from misyn_lab.viz.ladder import ladder_figure
from misyn_lab.viz.posterior import posterior_samples_figure
from misyn_lab.viz.readers import fooled_gallery, reader_accuracy_figure

RNG = np.random.default_rng(0)
REAL, SYN = RNG.normal(size=(40, 4)), RNG.normal(0.5, 1.0, size=(30, 4))
TRUTH = np.tile([0.0, 1.0], (8, 4))
DRIFT = pd.DataFrame({"scenario": ["test", "test", "retrain", "retrain"], "share": [0.0, 0.5, 0.0, 0.5],
                      "drift": [0.0, 0.04, 0.0, -0.02], "drift_low": [0.0, 0.03, 0.0, -0.03],
                      "drift_high": [0.0, 0.05, 0.0, -0.01], "after_minus_clean": [0.0, 0.001, 0.0, 0.0],
                      "after_low": [0.0, -0.002, 0.0, -0.001], "after_high": [0.0, 0.004, 0.0, 0.001]})
ANSWERS = pd.DataFrame({"item": ["E1", "E2"], "yes": [3, 1], "partly": [0, 1], "no": [0, 1], "not_applicable": [0, 0],
                        "unknown": [0, 0], "unanswered": [0, 0], "pairwise_agreement": [1.0, 0.0]})
GROUPS = pd.DataFrame({"subgroup": ["F", "M"], "n_real": [20, 20], "n_syn": [30, 0], "share_real": [0.5, 0.5],
                       "share_syn": [1.0, 0.0], "precision": [0.8, np.nan], "coverage": [0.7, 0.0]})

#: name -> (function, positional args, keyword args, number of panels)
CASES = {
    "answer_distribution": (answer_distribution, (ANSWERS,), {}, 1),
    "prdc_bars": (prdc_bars, (GROUPS,), {}, 1),
    "drift_figure": (drift_figure, (DRIFT,), {}, 2),
    "intensity_histograms": (intensity_histograms, (TRUTH[None], TRUTH[None] * 0.5), {}, 1),
    "feature_shift_ranking": (feature_shift_ranking,
                              (pd.DataFrame({"feature": ["a.x", "b.y"], "ks_statistic": [0.1, 0.6]}),), {}, 1),
    "feature_histogram": (feature_histogram, (REAL[:, 0], SYN[:, 0], "f0"), {}, 1),
    "embedding_scatter": (embedding_scatter, (project_2d(REAL, SYN),), {}, 1),
    "image_grid": (image_grid, (ImageSet.from_arrays(np.zeros((3, 8, 8)), synthetic=True, name="demo"), 2), {}, 2),
    "nn_pairs_gallery": (nn_pairs_gallery, (np.zeros((2, 8, 8)), np.ones((2, 8, 8)), [[0, 1], [1, 0]], [0.01, 0.5]),
                         {"threshold": 0.1}, 4),
    "invented_detail_figure": (invented_detail_figure, (TRUTH, TRUTH[::2, ::2], np.full((8, 8), 0.5),
                                                        invented_detail_map(TRUTH, np.full((8, 8), 0.5), factor=2)),
                               {}, 4),
    "ladder_figure": (ladder_figure, ({"counts": {1: 3, 3: 2},
                                       "claims": [{"claim_id": "X", "claimed_rung": 2, "evidence_rung": 3}]},), {}, 2),
    "copy_ratio_histogram": (copy_ratio_histogram, (np.array([0.05, 0.8, 1.0, 1.2]), 0.1), {}, 1),
    "posterior_samples_figure": (posterior_samples_figure,
                                 (TRUTH, TRUTH[::2, ::2], np.stack([TRUTH, TRUTH * 0.8])), {"threshold": 0.05}, 5),
    "reader_accuracy_figure": (reader_accuracy_figure,
                               (pd.DataFrame({"reader": ["ana", "ben"], "accuracy": [0.9, 0.5],
                                              "ci_low": [0.7, 0.3], "ci_high": [0.97, 0.7]}),), {}, 1),
    "fooled_gallery": (fooled_gallery, (pd.DataFrame({"tile_id": ["t1"], "truth": ["synthetic"], "answers": [4],
                                                      "fooled": [3]}), {"t1": np.zeros((8, 8))}), {}, 1),
    "subgroup_shares": (subgroup_shares, (GROUPS, "sex"), {}, 2),
}


def test_every_public_figure_function_is_covered():
    import misyn_lab.viz as viz

    figure_functions = {name for name in viz.__all__ if callable(getattr(viz, name)) and name != "palette"}
    assert figure_functions <= set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_draws_into_given_axes(name):
    fn, args, kwargs, n = CASES[name]
    alone = fn(*args, **kwargs)
    host = Figure()
    host.suptitle("the caller's title")
    given = host.subplots(1, n, squeeze=False)[0]
    out = fn(*args, **kwargs, ax=given[0] if n == 1 else list(given))
    assert out is host
    assert host._suptitle.get_text() == "the caller's title"
    assert alone.misyn_takeaway not in [t.get_text() for t in host.texts]  # no caption drawn on the caller's figure
    for a in given:
        assert a.misyn_takeaway == alone.misyn_takeaway
    assert host.misyn_takeaway == alone.misyn_takeaway and host.misyn_takeaways == [alone.misyn_takeaway]
    assert given[0].get_title()  # its title, or the panel title the function draws
    labelled = [a for a in alone.axes if a.get_xlabel()]
    assert sorted(a.get_xlabel() for a in labelled) == sorted(a.get_xlabel() for a in given if a.get_xlabel())
    host.canvas.draw()


def test_two_figures_in_one_host_keep_both_takeaways():
    host = Figure()
    left, right = host.subplots(1, 2)
    feature_histogram(REAL[:, 0], SYN[:, 0], "f0", ax=left)
    copy_ratio_histogram(np.array([0.05, 0.8, 1.0, 1.2]), 0.1, ax=right)
    assert host.misyn_takeaways == [left.misyn_takeaway, right.misyn_takeaway]
    assert host.misyn_takeaway == f"{left.misyn_takeaway} {right.misyn_takeaway}"
    assert left.get_title() == "f0: real vs synthetic"


def test_wrong_number_of_axes_is_refused():
    host = Figure()
    one, two = host.subplots(1, 2)
    with pytest.raises(InputError, match=r"^ax: this figure draws 4 panels: ax must be 4 Axes, got list of 2 "
                                         r"\(fix: pass 4 Axes \(e.g. fig.subplots\(1, 4\)\) or leave ax=None"):
        invented_detail_figure(TRUTH, TRUTH[::2, ::2], np.full((8, 8), 0.5), np.zeros((8, 8)), ax=[one, two])
    with pytest.raises(InputError, match="this figure draws 1 panel: ax must be one Axes, got str of 1"):
        feature_histogram(REAL[:, 0], SYN[:, 0], "f0", ax="left")
