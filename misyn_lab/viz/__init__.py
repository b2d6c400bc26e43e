"""Plots: data in, matplotlib Figure out (seaborn styling, colour-blind-safe palette).

Every function returns a :class:`matplotlib.figure.Figure` with a title, labelled axes (with units) and a
one-line takeaway drawn as a caption and stored as ``fig.misyn_takeaway``. Inputs are plain arrays,
DataFrames or ImageSets, so the plots do not depend on how the numbers were computed. Synthetic image tiles
always carry a visible red SYNTHETIC marker.
"""

from misyn_lab.viz.bars import prdc_bars
from misyn_lab.viz.distributions import feature_histogram, feature_shift_ranking, intensity_histograms
from misyn_lab.viz.embedding import embedding_scatter
from misyn_lab.viz.galleries import image_grid, invented_detail_figure, nn_pairs_gallery
from misyn_lab.viz.memorisation import copy_ratio_histogram
from misyn_lab.viz.style import SYNTHETIC_MARK, palette
from misyn_lab.viz.subgroups import subgroup_shares

__all__ = ["SYNTHETIC_MARK", "copy_ratio_histogram", "embedding_scatter", "feature_histogram",
           "feature_shift_ranking", "image_grid", "intensity_histograms",
           "invented_detail_figure", "nn_pairs_gallery", "palette", "prdc_bars",
           "subgroup_shares"]
