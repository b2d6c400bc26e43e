"""The case figures never use colour alone (a seed where synthetic pairs hurt is a dashed line with triangles, one
where they helped a solid line with circles, both in the legend with their counts), use colour-blind-safe maps, and
carry a takeaway computed from their data (their alt text in a document)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from misyn_lab.cases.figures import HELPED, HURT, fidelity_figure, paired_dice_figure  # noqa: E402


def test_paired_dice_figure_codes_direction_by_line_style_and_marker():
    per_seed = pd.DataFrame({"real": [0.80, 0.82, 0.79], "real+synthetic": [0.78, 0.85, 0.75]}, index=[0, 1, 2])
    per_image = pd.DataFrame({"difference": [-0.02, 0.03, -0.04, -0.01]})
    fig = paired_dice_figure(per_seed, per_image)
    drawn = [(line.get_linestyle(), line.get_marker(), matplotlib.colors.to_hex(line.get_color()))
             for line in fig.axes[0].lines if len(line.get_xdata())]
    assert sorted(drawn) == sorted([("--", "v", HURT), ("-", "o", HELPED), ("--", "v", HURT)])
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["synthetic pairs helped (1)", "synthetic pairs hurt (2)"]
    assert fig.misyn_takeaway == ("In 2 of 3 seeds/splits the mean Dice on held-out real images was lower with "
                                  "synthetic pairs than without; 75 % of the 4 (seed, held-out image) pairs were "
                                  "segmented worse, mean change -0.0100.")
    plt.close(fig)


def test_fidelity_map_is_colour_blind_safe_and_says_its_lowest_prompt():
    fid = pd.DataFrame({"prompt": ["a", "b"], "modality": [0.9, 0.4], "plane": [1.0, np.nan]})
    fig = fidelity_figure(fid)
    assert fig.axes[0].images[0].get_cmap().name == "cividis"
    assert fig.misyn_takeaway.endswith("lowest mean: 'b' (40 %).")
    assert "—" in [t.get_text() for t in fig.axes[0].texts]  # not requested, said in words
    plt.close(fig)
