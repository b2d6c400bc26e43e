"""Class reader-study figures: house rules, synthetic tiles marked, takeaways from the numbers drawn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from misyn_lab.errors import InputError
from misyn_lab.viz.readers import fooled_gallery, reader_accuracy_figure
from tests.viz.figcheck import check_figure


def _readers() -> pd.DataFrame:
    return pd.DataFrame({"reader": ["a", "b", "c"], "accuracy": [0.5, 0.85, 0.6],
                         "ci_low": [0.3, 0.64, 0.39], "ci_high": [0.7, 0.95, 0.78]})


def _tiles() -> pd.DataFrame:
    return pd.DataFrame({"tile_id": ["T02", "T05", "T01"], "truth": ["synthetic", "real", "synthetic"],
                         "answers": [10, 10, 10], "fooled": [8, 5, 3]})


def test_reader_figure_takeaway_and_band():
    fig = reader_accuracy_figure(_readers(), (0.65, 0.52, 0.77), title="Readers")
    assert check_figure(fig) == ("Readers with a CI wholly above chance: 1 of 3; accuracies range from 50% to 85%. "
                                 "Band: pooled accuracy 65% (CI 52%–77%).")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "c", "b"]  # sorted by accuracy
    assert check_figure(reader_accuracy_figure(_readers())).endswith("range from 50% to 85%.")


def test_gallery_marks_synthetic_tiles_and_counts_majorities():
    pixels = {t: np.full((8, 8), 0.5) for t in ("T01", "T02", "T05")}
    fig = fooled_gallery(_tiles(), pixels, n=3, ncols=2)
    assert check_figure(fig) == "3 most-fooled tiles: 2 synthetic (marked), 1 real; 1 of them fooled a majority of readers."
    titles = [ax.get_title() for ax in fig.axes if ax.images]
    assert titles == ["T02 (synthetic): 8/10 said real", "T05 (real): 5/10 said synthetic",
                      "T01 (synthetic): 3/10 said real"]
    marked = [ax.get_title() for ax in fig.axes if any(t.get_text() == "SYNTHETIC" for t in ax.texts)]
    assert marked == ["T02 (synthetic): 8/10 said real", "T01 (synthetic): 3/10 said real"]


def test_bad_inputs():
    with pytest.raises(InputError, match=r"reader table lacks columns \['ci_low'\]"):
        reader_accuracy_figure(_readers().drop(columns="ci_low"))
    with pytest.raises(InputError, match="reader table has no rows"):
        reader_accuracy_figure(_readers().iloc[:0])
    with pytest.raises(InputError, match=r"no pixels for tiles \['T05'\]"):
        fooled_gallery(_tiles(), {"T01": np.zeros((4, 4)), "T02": np.zeros((4, 4))})
