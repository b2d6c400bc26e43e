"""PRDC bars per subgroup."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from misyn_lab.errors import InputError
from misyn_lab.viz.style import finish, palette, panels

PRDC_COLUMNS = ("precision", "recall", "density", "coverage")


def prdc_bars(by_subgroup_df: pd.DataFrame, *, group_column: str = "subgroup", title: str | None = None,
              ax: Any = None) -> Figure:
    """Grouped bars of precision / recall / density / coverage (whichever columns exist) per subgroup.

    A NaN value (metric not computable, e.g. too few samples) is drawn as a hatched "n/a" marker, never as a zero
    bar; a subgroup with ``n_syn == 0`` is labelled "no synthetic images".

    Parameters
    ----------
    by_subgroup_df : DataFrame
        One row per subgroup, e.g. the ``by_group`` frame of :func:`misyn_lab.metrics.subgroup_frame`.
    group_column : str
        Column with the subgroup names (the index when it is missing).
    title : str, optional
        Figure title.
    ax : Axes, optional
        Draw into this Axes (see :mod:`misyn_lab.viz`); by default a figure of its own.

    Returns
    -------
    Figure
        The new figure, or ``ax``'s figure; the takeaway names the subgroup with the lowest coverage (or recall).

    Raises
    ------
    InputError
        When the table is empty or has no PRDC column.

    Examples
    --------
    >>> table = pd.DataFrame({"subgroup": ["F", "M"], "precision": [0.9, 0.8], "coverage": [0.7, 0.2]})
    >>> prdc_bars(table).misyn_takeaway[:40]
    'Lowest coverage: subgroup M (0.20) vs be'
    """
    if not isinstance(by_subgroup_df, pd.DataFrame) or by_subgroup_df.empty:
        raise InputError("by_subgroup_df must be a non-empty DataFrame", path="prdc_bars",
                         remedy="pass misyn_lab.metrics.subgroup_frame(...).by_group")
    cols = [c for c in PRDC_COLUMNS if c in by_subgroup_df]
    if not cols:
        raise InputError(f"no PRDC column among {list(by_subgroup_df.columns)}", path="prdc_bars",
                         remedy=f"include at least one of {list(PRDC_COLUMNS)}")
    df = by_subgroup_df.copy()
    names = (df[group_column] if group_column in df else pd.Series(df.index, index=df.index)).astype(str).tolist()
    values = df[cols].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    n_syn = df["n_syn"].to_numpy() if "n_syn" in df else None
    n_real = df["n_real"].to_numpy() if "n_real" in df else None
    fig, axes, own = panels(ax, figsize=(max(6.0, 1.3 * len(names) + 2.5), 4.6))
    ax = axes[0, 0]
    width = 0.8 / len(cols)
    x = np.arange(len(names))
    colours = palette(len(cols))
    for j, col in enumerate(cols):
        pos = x - 0.4 + width * (j + 0.5)
        v = values[:, j]
        ok = ~np.isnan(v)
        ax.bar(pos[ok], v[ok], width=width * 0.95, color=colours[j], label=col)
        for p in pos[~ok]:
            ax.bar(p, 0.05, width=width * 0.95, color="none", edgecolor="grey", hatch="///")
            ax.text(p, 0.07, "n/a", ha="center", va="bottom", fontsize=7, rotation=90, color="grey")
    ticks = _tick_labels(names, n_real, n_syn)
    ax.set_xticks(x)
    ax.set_xticklabels(ticks, fontsize=8)
    ax.axhline(1.0, color="black", linewidth=0.8, linestyle="--")
    ax.set_xlabel("subgroup")
    ax.set_ylabel("score (0–1; density can exceed 1)")
    ax.set_ylim(0, max(1.1, float(np.nanmax(values)) * 1.1 if np.isfinite(values).any() else 1.1))
    ax.legend(title="metric", fontsize=8, ncols=len(cols))
    takeaway = _takeaway(names, cols, values)
    return finish(fig, title or "Fidelity and diversity per subgroup (PRDC)", takeaway, axes=None if own else axes)


def _tick_labels(names: list[str], n_real: np.ndarray | None, n_syn: np.ndarray | None) -> list[str]:
    """Subgroup names with their numbers of real and synthetic images, and a note when none is synthetic."""
    ticks = []
    for i, name in enumerate(names):
        extra = ""
        if n_real is not None and n_syn is not None:
            extra = f"\n(real {int(n_real[i])}, syn {int(n_syn[i])})"
        if n_syn is not None and int(n_syn[i]) == 0:
            extra += "\nno synthetic images"
        ticks.append(name + extra)
    return ticks


def _takeaway(names: list[str], cols: list[str], values: np.ndarray) -> str:
    """The subgroup with the lowest coverage (or recall, or the first metric drawn) against the best."""
    key = "coverage" if "coverage" in cols else ("recall" if "recall" in cols else cols[0])
    kv = values[:, cols.index(key)]
    if not np.isfinite(kv).any():
        return f"{key} could not be computed for any subgroup (too few samples)."
    if len(names) == 1:
        return f"Only one subgroup ({names[0]}): {key} {kv[0]:.2f}; no between-group comparison possible."
    worst = int(np.nanargmin(kv))
    return (f"Lowest {key}: subgroup {names[worst]} ({kv[worst]:.2f}) vs best {np.nanmax(kv):.2f}; "
            "check whether that subgroup is thinned or missing in the synthetic set.")
