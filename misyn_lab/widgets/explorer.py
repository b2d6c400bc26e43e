"""`DistributionExplorer`: real vs synthetic feature distributions, live, with a generator knob.

A thin view over :class:`~misyn_lab.widgets.explorer_model.ExplorerModel`: dropdowns choose the feature set,
the subgroup and the feature shown as histogram; a slider turns the generator's knob (the generator is fitted
once; a new value reuses that fit and resamples; cached per value). Output: overlaid histograms, a 2-D
embedding scatter and a PRDC/distance readout.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as w
import numpy as np
from matplotlib.figure import Figure

from misyn_lab.errors import MisynError
from misyn_lab.imagesets.core import ImageSet
from misyn_lab import render
from misyn_lab.render import esc, figure_png
from misyn_lab.widgets._frontend import StaticFallback
from misyn_lab.widgets.explorer_model import ExplorerModel, ExplorerView

REAL_COLOUR, SYN_COLOUR = "#1f77b4", "#d62728"


class ExplorerCanvas:
    """One reusable figure: overlaid histograms of one feature + the 2-D embedding scatter.

    :meth:`update` changes the artists' data in place (no new figure, fixed layout), which keeps an
    interaction's redraw cheap.
    """

    def __init__(self) -> None:
        self.fig = Figure(figsize=(8, 3), dpi=80)
        self.fig.subplots_adjust(left=0.085, right=0.86, bottom=0.18, top=0.84, wspace=0.3)
        self.ax_hist, self.ax_scatter = self.fig.subplots(1, 2)
        self.real_stairs = self.syn_stairs = None
        self.real_pts = self.ax_scatter.scatter([], [], s=5, alpha=0.5, c=REAL_COLOUR, label="real", rasterized=True)
        self.syn_pts = self.ax_scatter.scatter([], [], s=6, alpha=0.5, c=SYN_COLOUR, marker="x", label="SYNTHETIC",
                                              rasterized=True)
        self.ax_scatter.legend(frameon=False, markerscale=2, loc="lower left", bbox_to_anchor=(1.0, 0.0),
                               fontsize=8)
        self.ax_scatter.set_xlabel("PCA axis 1 of the real features (standardised units)")
        self.ax_scatter.set_ylabel("PCA axis 2 (standardised units)")
        self.suptitle = self.fig.suptitle("", fontsize=9)
        for axis in (self.ax_hist, self.ax_scatter):  # fewer tick labels: text dominates the redraw time
            axis.locator_params(nbins=4)
            axis.tick_params(labelsize=8)

    def update(self, view: ExplorerView) -> Figure:
        both = np.concatenate([view.real_values, view.synthetic_values])
        edges = np.histogram_bin_edges(both if both.size else np.zeros(1), bins=30)
        hr, _ = np.histogram(view.real_values, bins=edges, density=bool(view.real_values.size))
        hs, _ = np.histogram(view.synthetic_values, bins=edges, density=bool(view.synthetic_values.size))
        ax = self.ax_hist
        if self.real_stairs is None:
            self.real_stairs = ax.stairs(hr, edges, fill=True, alpha=0.55, color=REAL_COLOUR, label="real")
            self.syn_stairs = ax.stairs(hs, edges, fill=True, alpha=0.55, color=SYN_COLOUR, label="SYNTHETIC")
            ax.legend(frameon=False, loc="upper right")
            ax.set_ylabel("density (1 / feature unit)")
        else:
            self.real_stairs.set_data(hr, edges)
            self.syn_stairs.set_data(hs, edges)
        top = float(max(hr.max(initial=0), hs.max(initial=0))) or 1.0
        ax.set_xlim(edges[0], edges[-1])
        ax.set_ylim(0, top * 1.1)
        ax.set_xlabel(f"{view.hist_feature} (feature value)")
        ax.set_title(f"{view.hist_feature}: real vs synthetic", fontsize=9)
        self.real_pts.set_offsets(view.real_2d)
        self.syn_pts.set_offsets(view.synthetic_2d)
        pts = np.vstack([view.real_2d, view.synthetic_2d]) if len(view.synthetic_2d) else view.real_2d
        if len(pts):
            lo, hi = pts.min(axis=0), pts.max(axis=0)
            pad = (hi - lo) * 0.05 + 1e-9
            self.ax_scatter.set_xlim(lo[0] - pad[0], hi[0] + pad[0])
            self.ax_scatter.set_ylim(lo[1] - pad[1], hi[1] + pad[1])
        self.ax_scatter.set_title(f"{view.feature_kind} embedding", fontsize=9)
        cov = view.metrics.get("coverage")
        self.suptitle.set_text("Takeaway: real areas without synthetic points are what the generator misses (L2)"
                               + (f"; coverage = {cov:.2f}" if cov is not None else ""))
        return self.fig


    def png(self) -> bytes:
        """PNG bytes of the figure at its own size and dpi (what the widget shows, unscaled).

        The layout is fixed (``subplots_adjust``, everything fits inside the figure), so no tight bounding
        box is computed: that would lay out and draw every text a second time, about 40 % of a redraw.
        """
        return figure_png(self.fig, dpi=None, close=False, tight=False)


def explorer_figure(view: ExplorerView) -> Figure:
    """A new figure of ``view`` (overlaid histograms + embedding scatter, real vs synthetic)."""
    return ExplorerCanvas().update(view)


class DistributionExplorer(StaticFallback, w.VBox):
    """Explore real vs synthetic distributions; see :class:`ExplorerModel` for the parameters.

    ``feature_kind`` chooses the first feature set shown (``feature_kinds`` lists those offered).

    Parameters
    ----------
    real, synthetic, generator, feature_kinds, subgroup, n_synthetic, seed, ...
        As for :class:`ExplorerModel`.
    feature_kind : str, optional
        The feature set shown first.

    Examples
    --------
    >>> from misyn_lab.workbook import teaching_real_set
    >>> explorer = DistributionExplorer(teaching_real_set(40, size=(16, 16)), generator="pca_gaussian",
    ...                                 n_synthetic=20)
    >>> explorer.static_text().split(",")[0].split("=")[0]     # the readout a headless run prints
    'DistributionExplorer: precision '
    """

    def __init__(self, real: ImageSet, synthetic: ImageSet | None = None, *, generator: str | None = None,
                 feature_kind: str | None = None, feature_kinds: tuple[str, ...] = ("intensity", "texture", "embedding"),
                 subgroup: str | None = None, n_synthetic: int | None = None, seed: int = 0, k: int = 5):
        if feature_kind is not None and feature_kind not in feature_kinds:
            feature_kinds = (feature_kind,) + tuple(feature_kinds)
        self.model = ExplorerModel(real, synthetic, generator=generator, feature_kinds=feature_kinds,
                                   subgroup=subgroup, n_synthetic=n_synthetic, seed=seed, k=k)
        if feature_kind is not None:
            self.model.set(feature_kind=feature_kind)
        self.feature = w.Dropdown(options=list(self.model.feature_kinds), value=self.model.feature_kind,
                                  description="Features")
        self.group = w.Dropdown(options=[str(v) for v in self.model.subgroup_values], value="(all)",
                                description=(subgroup or "Subgroup")[:12], disabled=subgroup is None)
        self.hist = w.Dropdown(options=[], description="Histogram")
        controls: list[w.Widget] = [self.feature, self.group, self.hist]
        self.knob: w.Widget | None = None
        if self.model.knob is not None:
            kn = self.model.knob
            cls = w.IntSlider if kn.integer else w.FloatSlider
            self.knob = cls(value=self.model.knob_value, min=kn.low, max=kn.high, step=kn.step,
                            description=kn.label, continuous_update=False, style={"description_width": "initial"})
            self.knob.add_class("misyn-knob")
            controls.append(self.knob)
        self.canvas = ExplorerCanvas()
        self.image = w.Image(format="png")  # shown at its own pixel size (not stretched)
        self.image.width = str(int(self.canvas.fig.get_figwidth() * self.canvas.fig.dpi))
        self.readout = w.HTML()
        self.readout.add_class("misyn-readout")
        self.status = w.HTML()
        self._view: ExplorerView | None = None
        self._png = b""
        self._rendering = False
        super().__init__([w.HBox(controls[:2]), w.HBox(controls[2:]), self.image, self.readout, self.status])
        self.add_class("misyn-explorer")
        self.render()
        self.feature.observe(lambda c: self._changed(feature_kind=c["new"]), names="value")
        self.group.observe(lambda c: self._changed(subgroup_value=self._group_value(c["new"])), names="value")
        self.hist.observe(lambda c: c["new"] and self._changed(hist_feature=c["new"]), names="value")
        if self.knob is not None:
            self.knob.observe(lambda c: self._changed(knob_value=c["new"]), names="value")

    def _group_value(self, text: str) -> Any:
        for v in self.model.subgroup_values:
            if str(v) == text:
                return v
        return text

    def _changed(self, **changes: Any) -> None:
        if self._rendering:
            return
        try:
            self.model.set(**changes)
            self.render()
        except MisynError as exc:
            self.status.value = f'<span style="color:#b71c1c">{esc(exc)}</span>'

    def render(self) -> ExplorerView:
        """Recompute the view (cached parts reused) and redraw figure and readout."""
        view = self.model.view()
        self._view = view
        self._rendering = True
        try:
            self._draw(view)
        finally:
            self._rendering = False
        return view

    def _draw(self, view: ExplorerView) -> None:
        self.canvas.update(view)  # the canvas is redrawn in place, never closed
        self._png = self.canvas.png()
        self.image.value = self._png
        self.readout.value = view.readout_html()
        if list(self.hist.options) != view.feature_names:
            self.hist.options = view.feature_names
        if self.hist.value != view.hist_feature:
            self.hist.value = view.hist_feature
        self.status.value = ""

    @property
    def view(self) -> ExplorerView:
        assert self._view is not None
        return self._view

    def static_text(self) -> str:
        return f"DistributionExplorer: {self.view.readout_text()}"

    def static_html(self) -> str:
        figure = render.Figure(self._png, alt=f"Real vs synthetic distributions; {self.view.readout_text()}")
        return render.to_html(render.Section("Distribution explorer", [figure, *self.view.readout_blocks()],
                                             role="misyn-explorer-static"), level=4)
