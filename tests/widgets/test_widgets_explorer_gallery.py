"""DistributionExplorer / ExplorerModel and ImageGallery without a front end."""

from __future__ import annotations

import numpy as np
import pytest

from misyn_lab.errors import InputError
from misyn_lab.imagesets.core import ImageSet
from misyn_lab.widgets.explorer import DistributionExplorer
from misyn_lab.widgets.explorer_model import ExplorerModel
from misyn_lab.widgets._figures import tile_png
from misyn_lab.widgets.gallery import MARK, ImageGallery, gallery_order, nearest_pairs

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def _blobs(n: int, seed: int, shift: float = 0.0, synthetic: bool = False, prefix: str = "r") -> ImageSet:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:16, :16]
    imgs = []
    for i in range(n):
        cy, cx = rng.uniform(4, 12, 2)
        r = rng.uniform(2, 5)
        imgs.append(np.clip(np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r * r)) * (0.8 + shift)
                            + rng.normal(0, 0.03, (16, 16)), 0, 1))
    group = np.where(np.arange(n) % 3 == 0, "small", "large")
    return ImageSet.from_arrays(np.array(imgs, dtype=np.float32), {"id": [f"{prefix}{i}" for i in range(n)],
                                                                    "group": group, "score": rng.random(n)},
                                synthetic=synthetic, name=prefix)


@pytest.fixture(scope="module")
def real() -> ImageSet:
    return _blobs(48, 0)


def test_knob_change_changes_the_readout(real):
    ex = DistributionExplorer(real, generator="pca_gaussian", subgroup="group", seed=0, feature_kind="intensity")
    before = ex.readout.value
    assert "precision" in before and "coverage" in before
    ex.knob.value = 2  # simulated slider move: refit + resample
    assert ex.model.knob_value == 2 and ex.readout.value != before and "knob = 2" in ex.readout.value
    ex.knob.value = 16  # back to the first value: served from the cache, same numbers as before
    assert ex.readout.value == before


def test_subgroup_and_feature_switch_reuse_cached_features(real):
    ex = DistributionExplorer(real, generator="pca_gaussian", subgroup="group", seed=0, feature_kind="intensity")
    misses = ex.model.cache_misses
    ex.group.value = "small"
    assert ex.view.subgroup_value == "small" and len(ex.view.real_values) == 16
    assert ex.model.cache_misses == misses  # filtering needs no new features
    ex.feature.value = "texture"
    assert ex.view.feature_kind == "texture" and ex.hist.value.startswith("texture.")
    ex.hist.value = ex.view.feature_names[2]
    assert ex.view.hist_feature == ex.view.feature_names[2]


def test_given_synthetic_set_and_static_fallback(real):
    syn = _blobs(40, 1, shift=0.2, synthetic=True, prefix="s")
    ex = DistributionExplorer(real, syn, feature_kind="intensity")
    assert ex.knob is None
    bundle = ex._repr_mimebundle_()
    assert WIDGET_MIME not in bundle and "data:image/png;base64" in bundle["text/html"]
    assert "precision" in bundle["text/plain"]


def test_explorer_bad_input(real):
    with pytest.raises(InputError, match="give a synthetic ImageSet or a generator"):
        ExplorerModel(real)
    with pytest.raises(InputError, match="unknown explorer generator 'gan'"):
        ExplorerModel(real, generator="gan")
    with pytest.raises(InputError, match="unknown subgroup column 'sex'"):
        ExplorerModel(real, generator="pca_gaussian", subgroup="sex")
    model = ExplorerModel(real, generator="pca_gaussian")
    with pytest.raises(InputError, match=r"n_components must lie in \[1, 48\]"):
        model.set(knob_value=100)
    with pytest.raises(InputError, match="unknown feature kind 'pixels'"):
        model.set(feature_kind="pixels")


def test_explorer_reports_bad_knob_without_crashing(real):
    ex = DistributionExplorer(real, generator="memorising", feature_kind="intensity")
    ex._changed(knob_value=3.0)
    assert "strength must lie in" in ex.status.value


def test_gallery_marks_every_synthetic_tile(real):
    syn = _blobs(6, 2, synthetic=True, prefix="s")
    g = ImageGallery(real.take(range(6)), syn, max_tiles=12)
    syn_tiles = [t for t in g.tiles if t.synthetic]
    assert len(syn_tiles) == 6 and all(t.caption.startswith(MARK) for t in syn_tiles)
    assert all(not t.caption.startswith(MARK) for t in g.tiles if not t.synthetic)
    boxes = g.grid.children
    assert sum("misyn-tile-synthetic" in b._dom_classes for b in boxes) == 6
    assert all(MARK in b.children[1].value for b in boxes if "misyn-tile-synthetic" in b._dom_classes)
    # the banner is burned into the displayed copy only
    img = syn.images[0]
    assert tile_png(img, marked=True) != tile_png(img, marked=False)
    assert np.array_equal(img, _blobs(6, 2, synthetic=True, prefix="s").images[0])
    assert "data:image/png;base64" in g.static_html()


def test_gallery_sorting_and_pairs(real):
    g = ImageGallery(real, sort_by="score", descending=True, max_tiles=5)
    scores = [float(real.meta.set_index("id").loc[t.image_id, "score"]) for t in g.tiles]
    assert scores == sorted(scores, reverse=True)
    g.sorter.value = "(none)"
    assert [t.image_id for t in g.tiles] == real.ids[:5]
    copies = ImageSet.from_arrays(real.images[[3, 7]], {"id": ["c3", "c7"]}, synthetic=True, name="c")
    pairs = nearest_pairs(real, copies)
    assert [(p.synthetic_index, p.real_index) for p in pairs] in ([(0, 3), (1, 7)], [(1, 7), (0, 3)])
    assert all(p.distance == pytest.approx(0.0, abs=1e-6) for p in pairs)
    gp = ImageGallery(real, copies, pairs="nearest")
    assert [t.synthetic for t in gp.tiles] == [True, False, True, False]
    with pytest.raises(InputError, match="pairs mode needs a real and a synthetic set"):
        ImageGallery(real, pairs="nearest")
    with pytest.raises(InputError, match="cannot sort by unknown column 'age'"):
        gallery_order(real, "age")


def test_live_readout_subsamples_large_sets_and_says_so():
    from misyn_lab.widgets.explorer_model import readout_metrics

    rng = np.random.default_rng(0)
    real, syn = rng.normal(size=(300, 4)), rng.normal(0.5, 1.0, size=(300, 4))
    full, notes_full = readout_metrics(real, syn, limit=1000)
    small, notes_small = readout_metrics(real, syn, limit=100)
    assert not any("subsample" in n for n in notes_full)
    assert any("at most 100 images per set" in n for n in notes_small)
    assert set(full) == set(small) and full != small
    assert readout_metrics(real[:4], syn[:4])[0] == {}


def test_front_end_detection(monkeypatch):
    from misyn_lab.widgets import _frontend

    monkeypatch.delenv("MISYN_WIDGETS", raising=False)
    assert _frontend._request_metadata() == {} and not _frontend.widgets_live()  # plain Python: no kernel
    monkeypatch.setattr(_frontend, "_request_metadata", lambda: {"cellId": "abc", "recordTiming": False})
    assert _frontend.widgets_live()  # an interactive front end sends execute-request metadata
    monkeypatch.setenv("MISYN_WIDGETS", "static")
    assert not _frontend.widgets_live()
