"""2-D embedding scatter: real vs synthetic, coloured by subgroup (the map is computed by
:func:`misyn_lab.metrics.projection.project_2d`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from misyn_lab.errors import InputError
from misyn_lab.viz.style import REAL_COLOUR, SYN_COLOUR, as_2d, as_labels, finish, palette, panels


def _coordinates(projection: Any) -> tuple[np.ndarray, np.ndarray, tuple[str, str], str]:
    """The two coordinate sets, axis labels and method of a projection (checked)."""
    for attr in ("real", "synthetic", "axis_labels", "method"):
        if not hasattr(projection, attr):
            raise InputError(f"embedding_scatter needs a projection with .{attr}", path="embedding_scatter",
                             remedy="pass misyn_lab.metrics.projection.project_2d(real_feats, syn_feats)")
    pr = as_2d(projection.real, "projection.real")
    ps = as_2d(projection.synthetic, "projection.synthetic")
    if pr.shape[1] != 2 or ps.shape[1] != 2:
        raise InputError(f"a 2-D map has 2 columns, got {pr.shape[1]} and {ps.shape[1]}", path="embedding_scatter",
                         remedy="pass misyn_lab.metrics.projection.project_2d(real_feats, syn_feats)")
    return pr, ps, tuple(projection.axis_labels), str(projection.method)  # type: ignore[return-value]


def embedding_scatter(projection: Any, real_groups: Sequence[Any] | None = None,
                      syn_groups: Sequence[Any] | None = None, *, seed: int = 0, max_points: int = 3000,
                      title: str | None = None, ax: Any = None) -> Figure:
    """Scatter of real (circles) and synthetic (crosses) samples in a 2-D map, coloured by subgroup.

    Parameters
    ----------
    projection : Projection
        The map, :func:`misyn_lab.metrics.projection.project_2d` (its axis labels name the axes).
    real_groups, syn_groups : sequence, optional
        Subgroup labels of the rows of both sets (or of neither).
    seed : int
        Seed of the subsample drawn.
    max_points : int
        At most this many points per set are drawn (a seeded subsample).
    title : str, optional
        Figure title.
    ax : Axes, optional
        Draw into this Axes (see :mod:`misyn_lab.viz`); by default a figure of its own.

    Returns
    -------
    Figure
        The new figure, or ``ax``'s figure; the takeaway names subgroups present in the real set but missing
        from the synthetic one, or else how far apart the two centres lie.

    Raises
    ------
    InputError
        For a projection without coordinates, labels for only one set, or label counts that do not match.

    Examples
    --------
    >>> from misyn_lab.metrics.projection import project_2d
    >>> real = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 1.0], [2.0, 1.0]])
    >>> embedding_scatter(project_2d(real, real), ["a", "a", "b", "b"], ["a"] * 4).misyn_takeaway
    'Subgroup(s) with real images but no synthetic ones: b.'
    """
    pr, ps, (xl, yl), method = _coordinates(projection)
    rg = as_labels(real_groups, len(pr), "real_groups")
    sg = as_labels(syn_groups, len(ps), "syn_groups")
    if (rg is None) != (sg is None):
        raise InputError("give subgroup labels for both sets or for neither", path="embedding_scatter")
    rng = np.random.default_rng(seed)
    ri = np.sort(rng.choice(len(pr), max_points, replace=False)) if len(pr) > max_points else np.arange(len(pr))
    si = np.sort(rng.choice(len(ps), max_points, replace=False)) if len(ps) > max_points else np.arange(len(ps))
    if rg is None or sg is None:
        rg = np.array(["all"] * len(pr), dtype=object)
        sg = np.array(["all"] * len(ps), dtype=object)
    groups = list(dict.fromkeys(sorted(set(rg)) + sorted(set(sg))))
    colours = dict(zip(groups, palette(len(groups))))
    single = len(groups) == 1  # one group: colour says real vs synthetic instead
    fig, axes, own = panels(ax, figsize=(7.2, 5.4))
    plot = axes[0, 0]
    for g in groups:
        rm = ri[rg[ri] == g]
        sm = si[sg[si] == g]
        if len(rm):
            plot.scatter(pr[rm, 0], pr[rm, 1], s=18, marker="o", facecolors="none",
                         edgecolors=[REAL_COLOUR if single else colours[g]],
                         linewidths=1.0, label=f"{g} · real (n={int((rg == g).sum())})")
        if len(sm):
            plot.scatter(ps[sm, 0], ps[sm, 1], s=18, marker="x", color=SYN_COLOUR if single else colours[g],
                         linewidths=1.0, label=f"{g} · synthetic (n={int((sg == g).sum())})")
    plot.set_xlabel(xl)
    plot.set_ylabel(yl)
    plot.legend(fontsize=7, loc="best", title="subgroup · set (o real, × synthetic)", title_fontsize=7)
    missing = [g for g in groups if (rg == g).any() and not (sg == g).any()]
    if missing:
        takeaway = f"Subgroup(s) with real images but no synthetic ones: {', '.join(map(str, missing))}."
    else:
        gap = float(np.linalg.norm(pr.mean(axis=0) - ps.mean(axis=0)))
        spread = float(np.sqrt(((pr - pr.mean(axis=0)) ** 2).sum(axis=1).mean()))
        takeaway = (f"Every subgroup appears in both sets; the synthetic centre sits {gap:.2f} map units from the real "
                    f"centre (real spread {spread:.2f}).")
    return finish(fig, title or f"Real vs synthetic in a 2-D map ({method.upper()})", takeaway,
                  axes=None if own else axes)
