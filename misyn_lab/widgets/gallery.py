"""`ImageGallery`: a grid of real and synthetic images, every synthetic tile visibly marked "SYNTHETIC".

Modes: a sortable grid (by any numeric metadata column, e.g. a per-image metric), and nearest-neighbour pairs
(each synthetic image beside its closest real image, closest first: near-copies show up at the top).
The banner is drawn on the displayed copy only; stored pixels are never changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ipywidgets as w
import numpy as np
from matplotlib.figure import Figure

from misyn_lab.errors import InputError
from misyn_lab.imagesets.core import ImageSet
from misyn_lab.viz.style import show_image
from misyn_lab import render
from misyn_lab.render import esc, figure_png
from misyn_lab.widgets._figures import MARKER_TEXT, tile_png
from misyn_lab.widgets._frontend import StaticFallback
from misyn_lab.metrics.knn import nearest_neighbours

MARK = MARKER_TEXT


@dataclass(frozen=True)
class Tile:
    """One gallery tile (pure data)."""

    index: int
    image_id: str
    synthetic: bool
    caption: str


@dataclass(frozen=True)
class Pair:
    """A synthetic image and its nearest real image."""

    synthetic_index: int
    real_index: int
    distance: float


def gallery_order(imageset: ImageSet, sort_by: str | None = None, *, descending: bool = False) -> np.ndarray:
    """Positions of the images in display order (by a numeric metadata column, missing values last)."""
    if sort_by is None:
        return np.arange(len(imageset))
    if sort_by not in imageset.meta:
        raise InputError(f"cannot sort by unknown column {sort_by!r}", path=imageset.name,
                         remedy=f"use one of {sortable_columns(imageset)}")
    col = imageset.meta[sort_by]
    return col.sort_values(ascending=not descending, na_position="last", kind="stable").index.to_numpy()


def sortable_columns(imageset: ImageSet) -> list[str]:
    """Numeric metadata columns a gallery can sort by."""
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    meta = imageset.meta
    return [c for c in meta.columns if is_numeric_dtype(meta[c]) and not is_bool_dtype(meta[c])]


def make_tiles(imageset: ImageSet, order: np.ndarray, sort_by: str | None = None) -> list[Tile]:
    """Tiles in ``order``; a synthetic tile's caption starts with ``SYNTHETIC`` (pure)."""
    tiles = []
    for i in order:
        row = imageset.meta.iloc[int(i)]
        syn = bool(row["synthetic"])
        value = "" if sort_by is None else f" · {sort_by}={row[sort_by]:.3g}" if \
            isinstance(row[sort_by], (int, float, np.number)) else f" · {sort_by}={row[sort_by]}"
        caption = (f"{MARK} · " if syn else "real · ") + f"{row['id']}{value}"
        tiles.append(Tile(int(i), str(row["id"]), syn, caption))
    return tiles


def nearest_pairs(real: ImageSet, synthetic: ImageSet, *, features: tuple[np.ndarray, np.ndarray] | None = None
                  ) -> list[Pair]:
    """Each synthetic image's nearest real image (pixel space unless ``features=(real_f, syn_f)``), closest first."""
    if len(real) == 0 or len(synthetic) == 0:
        raise InputError("nearest pairs need at least one real and one synthetic image", path="ImageGallery")
    if features is None:
        if real.image_shape != synthetic.image_shape:
            raise InputError(f"image shapes differ: {real.image_shape} vs {synthetic.image_shape}",
                             path="ImageGallery", remedy="resize both sets to one shape, or pass features=")
        fr, fs = real.images.reshape(len(real), -1), synthetic.images.reshape(len(synthetic), -1)
    else:
        fr, fs = np.asarray(features[0], float), np.asarray(features[1], float)
    dist, idx = nearest_neighbours(fs.astype(np.float64), fr.astype(np.float64), k=1)
    pairs = [Pair(int(s), int(idx[s, 0]), float(dist[s, 0])) for s in range(len(synthetic))]
    return sorted(pairs, key=lambda p: (p.distance, p.synthetic_index))


def gallery_figure(imageset: ImageSet, tiles: list[Tile], *, columns: int = 6) -> Figure:
    """Static fallback: the tiles as a matplotlib grid, synthetic ones titled SYNTHETIC in red."""
    rows = max(1, int(np.ceil(len(tiles) / columns)))
    fig = Figure(figsize=(1.6 * columns, 1.8 * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, columns)).ravel()
    for ax in axes:
        ax.axis("off")
    for ax, t in zip(axes, tiles):
        show_image(ax, imageset.images[t.index], caption=t.caption[:28], synthetic=t.synthetic)
    return fig


class ImageGallery(StaticFallback, w.VBox):
    """Real and synthetic images side by side.

    Parameters
    ----------
    images:
        An ImageSet (may mix real and synthetic rows), or the real set when ``synthetic`` is given.
    synthetic:
        Optional synthetic ImageSet shown with ``images``.
    sort_by:
        Numeric metadata column to sort by (e.g. a per-image memorisation score).
    pairs:
        ``"nearest"`` to show each synthetic image next to its nearest real image, or a list of
        :class:`Pair`; needs ``synthetic``.
    max_tiles, columns:
        How many tiles and how many per row.

    Examples
    --------
    >>> import numpy as np
    >>> from misyn_lab.imagesets import ImageSet
    >>> real = ImageSet.from_arrays(np.zeros((2, 8, 8)), name="real")
    >>> synthetic = ImageSet.from_arrays(np.ones((2, 8, 8)), synthetic=True, name="syn")
    >>> gallery = ImageGallery(real, synthetic)
    >>> [tile.synthetic for tile in gallery.current_tiles()]
    [False, False, True, True]
    """

    def __init__(self, images: ImageSet, synthetic: ImageSet | None = None, *, sort_by: str | None = None,
                 descending: bool = False, pairs: Any = None, max_tiles: int = 24, columns: int = 6,
                 tile_size: int = 96):
        if not isinstance(images, ImageSet):
            raise InputError(f"ImageGallery needs an ImageSet, got {type(images).__name__}", path="ImageGallery")
        self.real, self.synthetic_set = images, synthetic
        self.all = images if synthetic is None else images.concat(synthetic, name="gallery")
        self.max_tiles, self.columns, self.tile_size = int(max_tiles), int(columns), int(tile_size)
        self.pairs: list[Pair] | None = None
        if pairs is not None:
            if synthetic is None:
                raise InputError("pairs mode needs a real and a synthetic set", path="ImageGallery",
                                 remedy="ImageGallery(real, synthetic, pairs='nearest')")
            self.pairs = nearest_pairs(images, synthetic) if pairs == "nearest" else list(pairs)
        self.sort_by, self.descending = sort_by, bool(descending)
        self.sorter = w.Dropdown(options=["(none)"] + sortable_columns(self.all), value=sort_by or "(none)",
                                 description="Sort by", disabled=self.pairs is not None)
        self.order_box = w.Checkbox(value=self.descending, description="descending")
        self.grid = w.GridBox(layout=w.Layout(grid_template_columns=f"repeat({self.columns}, {tile_size + 16}px)"))
        self.tiles: list[Tile] = []
        super().__init__([w.HBox([self.sorter, self.order_box]), self.grid])
        self.add_class("misyn-gallery")
        self.refresh()
        self.sorter.observe(self._resort, names="value")
        self.order_box.observe(self._resort, names="value")

    def _resort(self, _change: dict) -> None:
        self.sort_by = None if self.sorter.value == "(none)" else self.sorter.value
        self.descending = bool(self.order_box.value)
        self.refresh()

    def current_tiles(self) -> list[Tile]:
        """The tiles shown now (pure computation of order and captions)."""
        if self.pairs is not None:
            n_real = len(self.real)
            tiles: list[Tile] = []
            for p in self.pairs[: max(1, self.max_tiles // 2)]:
                s = make_tiles(self.all, np.array([n_real + p.synthetic_index]))[0]
                r = make_tiles(self.all, np.array([p.real_index]))[0]
                tiles += [Tile(s.index, s.image_id, True, f"{s.caption} · d={p.distance:.3g}"),
                          Tile(r.index, r.image_id, False, f"nearest {r.caption}")]
            return tiles
        order = gallery_order(self.all, self.sort_by, descending=self.descending)[: self.max_tiles]
        return make_tiles(self.all, order, self.sort_by)

    def refresh(self) -> None:
        self.tiles = self.current_tiles()
        cells = []
        for t in self.tiles:
            img = w.Image(value=tile_png(self.all.images[t.index], marked=t.synthetic, size=self.tile_size), format="png")
            colour = "#b71c1c" if t.synthetic else "#333"
            cap = w.HTML(f'<small style="color:{colour}">{"<b>" if t.synthetic else ""}{esc(t.caption)}'
                         f'{"</b>" if t.synthetic else ""}</small>')
            box = w.VBox([img, cap])
            box.add_class("misyn-tile-synthetic" if t.synthetic else "misyn-tile-real")
            cells.append(box)
        self.grid.children = cells

    def static_text(self) -> str:
        n_syn = sum(t.synthetic for t in self.tiles)
        return f"ImageGallery: {len(self.tiles)} tiles ({n_syn} marked {MARK})"

    def static_html(self) -> str:
        png = figure_png(gallery_figure(self.all, self.tiles, columns=self.columns))
        n_syn = sum(t.synthetic for t in self.tiles)
        return render.to_html(render.Figure(png, alt=f"Image gallery of {len(self.tiles)} tiles; the {n_syn} "
                                                     f"synthetic tiles are marked {MARK}"))
