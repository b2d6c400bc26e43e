"""2-D embedding scatter: real vs synthetic, coloured by subgroup."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from misyn_lab.errors import InputError
from misyn_lab.viz.style import REAL_COLOUR, SYN_COLOUR, as_2d, as_labels, finish, new_figure, palette


def _project(real: np.ndarray, syn: np.ndarray, method: str,
             seed: int) -> tuple[np.ndarray, np.ndarray, tuple[str, str]]:
    if method == "pca":
        mu = real.mean(axis=0)
        sd = real.std(axis=0)
        sd = np.where(sd > 1e-12, sd, 1.0)
        rz, sz = (real - mu) / sd, (syn - mu) / sd
        if rz.shape[1] == 1:
            return np.c_[rz, np.zeros(len(rz))], np.c_[sz, np.zeros(len(sz))], (
                "feature 1 (standardised on real)", "constant (single feature)")
        _, s, vt = np.linalg.svd(rz - rz.mean(axis=0), full_matrices=False)
        var = s ** 2 / max((s ** 2).sum(), 1e-300)
        comps = vt[:2]
        labels = (f"PC 1 ({var[0]:.0%} of real variance, standardised units)",
                  f"PC 2 ({var[1]:.0%} of real variance, standardised units)")
        return rz @ comps.T, sz @ comps.T, labels
    if method == "tsne":
        from sklearn.manifold import TSNE

        both = np.vstack([real, syn])
        mu, sd = real.mean(axis=0), real.std(axis=0)
        both = (both - mu) / np.where(sd > 1e-12, sd, 1.0)
        perplexity = float(min(30.0, max(2.0, (len(both) - 1) / 3)))
        # exact t-SNE is much faster than Barnes-Hut for a few hundred points (and needs no OpenMP threads)
        algo = "exact" if len(both) <= 600 else "barnes_hut"
        emb = TSNE(n_components=2, perplexity=perplexity, random_state=seed, init="pca",
                   method=algo).fit_transform(both)
        return emb[:len(real)], emb[len(real):], ("t-SNE 1 (arbitrary units)", "t-SNE 2 (arbitrary units)")
    raise InputError(f"unknown method {method!r}", path="embedding_scatter", remedy="use 'pca' or 'tsne'")


def embedding_scatter(real_feats: Any, syn_feats: Any, real_groups: Sequence[Any] | None = None,
                      syn_groups: Sequence[Any] | None = None, *, method: str = "pca", seed: int = 0,
                      max_points: int = 3000, title: str | None = None) -> Figure:
    """Scatter of real (circles) and synthetic (crosses) samples in 2-D, coloured by subgroup.

    ``method="pca"``: the axes are the first two principal components of the *real* features (standardised on
    the real set), so the real data defines the map. ``"tsne"``: scikit-learn t-SNE on both (seeded; exact up to
    600 points, Barnes-Hut above; slower than PCA).
    At most ``max_points`` per set are drawn (seeded subsample). The takeaway names subgroups present in the
    real set but missing from the synthetic one.
    """
    r = as_2d(real_feats, "real_feats")
    s = as_2d(syn_feats, "syn_feats")
    if r.shape[1] != s.shape[1]:
        raise InputError(f"real has {r.shape[1]} features, synthetic {s.shape[1]}", path="embedding_scatter",
                         remedy="extract the same feature kind (and embedding) for both sets")
    if len(r) < 3:
        raise InputError(f"need at least 3 real rows, got {len(r)}", path="embedding_scatter")
    if len(s) < 1:
        raise InputError("the synthetic feature matrix is empty", path="embedding_scatter",
                         remedy="pass at least one synthetic row")
    rg = as_labels(real_groups, len(r), "real_groups")
    sg = as_labels(syn_groups, len(s), "syn_groups")
    if (rg is None) != (sg is None):
        raise InputError("give subgroup labels for both sets or for neither", path="embedding_scatter")
    rng = np.random.default_rng(seed)
    ri = np.sort(rng.choice(len(r), max_points, replace=False)) if len(r) > max_points else np.arange(len(r))
    si = np.sort(rng.choice(len(s), max_points, replace=False)) if len(s) > max_points else np.arange(len(s))
    pr, ps, (xl, yl) = _project(r, s, method, seed)
    if rg is None:
        rg = np.array(["all"] * len(r), dtype=object)
        sg = np.array(["all"] * len(s), dtype=object)
    groups = list(dict.fromkeys(sorted(set(rg)) + sorted(set(sg))))
    colours = dict(zip(groups, palette(len(groups))))
    single = len(groups) == 1  # one group: colour says real vs synthetic instead
    fig, axes = new_figure(figsize=(7.2, 5.4))
    ax = axes[0, 0]
    for g in groups:
        rm = ri[rg[ri] == g]
        sm = si[sg[si] == g]
        if len(rm):
            ax.scatter(pr[rm, 0], pr[rm, 1], s=18, marker="o", facecolors="none",
                       edgecolors=[REAL_COLOUR if single else colours[g]],
                       linewidths=1.0, label=f"{g} · real (n={int((rg == g).sum())})")
        if len(sm):
            ax.scatter(ps[sm, 0], ps[sm, 1], s=18, marker="x", color=SYN_COLOUR if single else colours[g],
                       linewidths=1.0,
                       label=f"{g} · synthetic (n={int((sg == g).sum())})")
    ax.set_xlabel(xl)
    ax.set_ylabel(yl)
    ax.legend(fontsize=7, loc="best", title="subgroup · set (o real, × synthetic)", title_fontsize=7)
    missing = [g for g in groups if (rg == g).any() and not (sg == g).any()]
    if missing:
        takeaway = f"Subgroup(s) with real images but no synthetic ones: {', '.join(map(str, missing))}."
    else:
        gap = float(np.linalg.norm(pr.mean(axis=0) - ps.mean(axis=0)))
        spread = float(np.sqrt(((pr - pr.mean(axis=0)) ** 2).sum(axis=1).mean()))
        takeaway = (f"Every subgroup appears in both sets; the synthetic centre sits {gap:.2f} map units from the real "
                    f"centre (real spread {spread:.2f}).")
    return finish(fig, title or f"Real vs synthetic in a 2-D map ({method.upper()})", takeaway)
