"""Plots: data in, matplotlib Figure out (seaborn styling, colour-blind-safe palette).

Inputs are plain arrays, DataFrames or ImageSets and the statistics computed by :mod:`misyn_lab.metrics` (e.g. the
2-D map of :func:`misyn_lab.metrics.projection.project_2d`, the ``by_group`` frame of
:func:`misyn_lab.metrics.subgroup_frame`), so the plots do not depend on how the numbers were computed; a plot
computes only what it draws (histograms, its takeaway's shares). Synthetic image tiles always carry a visible red
SYNTHETIC marker.

**The one rule for** ``ax``. Every figure function takes ``ax=None`` and always returns a
:class:`matplotlib.figure.Figure`:

* without ``ax`` it makes a figure of its own (not registered with pyplot) with a title, labelled axes (with
  units) and a one-line takeaway drawn as a caption and stored as ``fig.misyn_takeaway``, and returns it;
* with ``ax`` — one :class:`~matplotlib.axes.Axes`, or as many Axes as the figure has panels (a gallery's tiles,
  a figure's panels), in row order — it draws into them and returns **their** figure. Labels and units are drawn
  as before; the title goes to the first Axes when it has none; the takeaway is stored on every given Axes
  (``ax.misyn_takeaway``) and added to the figure's ``misyn_takeaways`` list (``fig.misyn_takeaway`` joins
  them). The caller's figure keeps its own title, caption and layout. A wrong number of Axes is an
  :class:`~misyn_lab.errors.InputError` that says how many are needed.

>>> from matplotlib.figure import Figure
>>> fig = Figure()
>>> left, right = fig.subplots(1, 2)
>>> feature_histogram([0.0, 1.0, 2.0], [1.0, 2.0, 3.0], "mean", ax=right) is fig
True
>>> right.misyn_takeaway
'Synthetic mean of mean differs from the real mean by +1.22 real s.d.'
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
