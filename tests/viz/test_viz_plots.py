"""Plots: labelled axes, takeaways, SYNTHETIC markers, edge cases (one subgroup, an empty subgroup), bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from misyn_lab.errors import InputError
from misyn_lab.features import FeatureMatrix
from misyn_lab.metrics.projection import project_2d
from misyn_lab.viz import (SYNTHETIC_MARK, embedding_scatter, feature_shift_ranking, image_grid,
                           intensity_histograms, invented_detail_figure, nn_pairs_gallery, prdc_bars)
from tests.viz.figcheck import check_figure


def _marks(fig) -> int:
    return sum(t.get_text() == SYNTHETIC_MARK for ax in fig.axes for t in ax.texts)


def test_intensity_histograms(mr, syn):
    fig = intensity_histograms(mr, syn)
    take = check_figure(fig)
    assert "99th percentile" in take
    assert fig.axes[0].get_xlabel() == "pixel intensity (normalised, 0–1)"
    assert "density" in fig.axes[0].get_ylabel()
    fig2 = intensity_histograms(mr.images[0], syn.images[:3])
    check_figure(fig2)
    with pytest.raises(InputError, match="contains NaN"):
        intensity_histograms(mr.images, np.full((2, 4, 4), np.nan))
    with pytest.raises(InputError, match="non-empty image"):
        intensity_histograms(mr.images, np.zeros((0, 4, 4)))


def test_embedding_scatter_groups_and_missing_subgroup(feats):
    r, s = feats
    rg = ["A"] * 40 + ["B"] * 40
    sg = ["A"] * 50  # subgroup B has no synthetic samples
    fig = embedding_scatter(project_2d(r, s), rg, sg)
    assert "no synthetic ones: B" in check_figure(fig)
    assert "PC 1" in fig.axes[0].get_xlabel()
    single = embedding_scatter(project_2d(r, s))  # one (implicit) subgroup
    assert "Every subgroup appears" in check_figure(single)
    with pytest.raises(InputError, match="labels for both sets or for neither"):
        embedding_scatter(project_2d(r, s), rg, None)
    with pytest.raises(InputError, match="has 3 labels for 50 rows"):
        embedding_scatter(project_2d(r, s), rg, ["A"] * 3)
    with pytest.raises(InputError, match="needs a projection with .synthetic"):
        embedding_scatter(r)


def test_project_2d_pca_feature_matrix_and_bad_input(feats):
    r, s = feats
    fm = FeatureMatrix(r, [f"f{i}" for i in range(5)], "x", [str(i) for i in range(80)], "h")
    p = project_2d(fm, s, method="pca")
    assert p.real.shape == (80, 2) and p.synthetic.shape == (50, 2) and p.method == "pca"
    assert np.allclose(project_2d(r, s).real, p.real)
    assert abs(p.real.mean(axis=0)).max() < 1e-9  # centred on the real set, which defines the map
    with pytest.raises(InputError, match="real_feats has 5 features but syn_feats has 3"):
        project_2d(r, s[:, :3])
    with pytest.raises(InputError, match="unknown method 'umap'"):
        project_2d(r, s, method="umap")
    with pytest.raises(InputError, match="syn_feats is empty"):
        project_2d(r, s[:0])


def test_embedding_scatter_tsne(feats):
    r, s = feats
    fig = embedding_scatter(project_2d(r[:30], s[:20], method="tsne"))
    assert "t-SNE" in fig.axes[0].get_xlabel()


def test_prdc_bars_with_nan_empty_and_single_subgroup():
    table = pd.DataFrame({
        "subgroup": ["F", "M", "X"], "n_real": [50, 40, 6], "n_syn": [60, 30, 0],
        "precision": [0.8, 0.7, np.nan], "recall": [0.6, np.nan, 0.0], "coverage": [0.9, 0.5, 0.0],
    })
    fig = prdc_bars(table)
    take = check_figure(fig)
    assert "Lowest coverage: subgroup X (0.00)" in take
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert any("no synthetic images" in t for t in ticks)
    assert any(t.get_text() == "n/a" for t in fig.axes[0].texts)
    one = prdc_bars(table.iloc[:1])
    assert "Only one subgroup" in check_figure(one)
    with pytest.raises(InputError, match="no PRDC column"):
        prdc_bars(table[["subgroup", "n_real"]])
    with pytest.raises(InputError, match="non-empty DataFrame"):
        prdc_bars(table.iloc[:0])


def test_prdc_bars_accepts_metrics_subgroup_frame(feats):
    from misyn_lab.metrics import subgroup_frame

    r, s = feats
    rg = pd.DataFrame({"sex": ["F"] * 40 + ["M"] * 40})
    sg = pd.DataFrame({"sex": ["F"] * 50})
    check_figure(prdc_bars(subgroup_frame(r, rg, s, sg, "sex").by_group))


def test_feature_shift_ranking(feats):
    from misyn_lab.metrics import feature_shift

    r, s = feats
    names = ["intensity.mean", "intensity.std", "texture.glcm_contrast", "embedding.pc01", "embedding.pc02"]
    table = feature_shift(r, s, names)
    fig = feature_shift_ranking(table, top=3)
    take = check_figure(fig)
    assert fig.axes[0].get_ylabel() == "feature" and "KS statistic" in fig.axes[0].get_xlabel()
    assert len(fig.axes[0].patches) >= 3
    assert take.startswith(f"Largest shift: {table['feature'].iloc[0]}")
    check_figure(feature_shift_ranking(table, value="smd"))
    with pytest.raises(InputError, match="no 'feature' column"):
        feature_shift_ranking(table.drop(columns="feature"))
    with pytest.raises(InputError, match="no column 'auc'"):
        feature_shift_ranking(table, value="auc")
    with pytest.raises(InputError, match="top must be a positive integer"):
        feature_shift_ranking(table, top=0)


def test_image_grid_marks_synthetic_tiles(mr, syn):
    mixed = syn.take(range(5)).concat(mr.take(range(7)))
    fig = image_grid(mixed, n=12)
    assert _marks(fig) == 5
    assert "5 of 12 images shown are synthetic" in check_figure(fig)
    assert _marks(image_grid(mr, n=4)) == 0
    fig = image_grid(mixed, n=6, seed=1, caption_column="plane")
    assert _marks(fig) == int(mixed.synthetic[np.sort(np.random.default_rng(1).choice(12, 6, replace=False))].sum())
    with pytest.raises(InputError, match="unknown metadata column 'colour'"):
        image_grid(mr, caption_column="colour")
    with pytest.raises(InputError, match="n must be a positive integer"):
        image_grid(mr, n=0)


def test_nn_pairs_gallery(mr, syn):
    pairs = np.array([[0, 3], [1, 4], [2, 5]])
    d = np.array([0.5, 0.1, 2.0])
    fig = nn_pairs_gallery(syn, mr, pairs, d, threshold=0.2, syn_ids=syn.ids, real_ids=mr.ids)
    assert _marks(fig) == 3  # every synthetic tile is marked, real tiles are not
    take = check_figure(fig)
    assert "1 of 3 listed synthetic images lie closer" in take
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0].startswith(syn.ids[1]) and "likely copy" in titles[0]  # closest pair first
    with pytest.raises(InputError, match="3 pairs but 2 distances"):
        nn_pairs_gallery(syn, mr, pairs, d[:2])
    with pytest.raises(InputError, match="out of range"):
        nn_pairs_gallery(syn, mr, [[0, 999]], [0.1])
    with pytest.raises(InputError, match="no pairs to show"):
        nn_pairs_gallery(syn, mr, [], [])


def test_invented_detail_figure(mr):
    from misyn_lab.synth import SuperResolutionGenerator, invented_detail_map

    trip = SuperResolutionGenerator(4, n_components=8).fit(mr).sample_triplets(1, seed=0)
    detail = invented_detail_map(trip.real.images[0], trip.restored.images[0], factor=4)
    fig = invented_detail_figure(trip.real.images[0], trip.degraded[0], trip.restored.images[0], detail)
    take = check_figure(fig)
    assert "never observed" in take
    assert _marks(fig) == 1
    with pytest.raises(InputError, match="three single grey images"):
        invented_detail_figure(trip.real.images, trip.degraded, trip.restored.images, detail)
    with pytest.raises(InputError, match=r"detail map \(8, 8\) and real \(\d+, \d+\) differ in shape"):
        invented_detail_figure(trip.real.images[0], trip.degraded[0], trip.restored.images[0], detail[:8, :8])
