"""PRDC bars per subgroup."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from misyn_lab.errors import InputError
from misyn_lab.viz.style import finish, new_figure, palette

PRDC_COLUMNS = ("precision", "recall", "density", "coverage")


def prdc_bars(by_subgroup_df: pd.DataFrame, *, group_column: str = "subgroup", title: str | None = None) -> Figure:
    """Grouped bars of precision / recall / density / coverage (whichever columns exist) per subgroup.

    ``by_subgroup_df``: one row per subgroup, e.g. ``misyn_lab.metrics.subgroup_frame(...).by_group``; the subgroup names come
    from ``group_column`` (or the index when that column is missing). A NaN value (metric not computable, e.g.
    too few samples) is drawn as a hatched "n/a" marker, never as a zero bar; a subgroup with ``n_syn == 0`` is
    labelled "no synthetic images". The takeaway names the subgroup with the lowest coverage (or recall).
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
    fig, axes = new_figure(figsize=(max(6.0, 1.3 * len(names) + 2.5), 4.6))
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
    ticks = []
    for i, name in enumerate(names):
        extra = ""
        if n_real is not None and n_syn is not None:
            extra = f"\n(real {int(n_real[i])}, syn {int(n_syn[i])})"
        if n_syn is not None and int(n_syn[i]) == 0:
            extra += "\nno synthetic images"
        ticks.append(name + extra)
    ax.set_xticks(x)
    ax.set_xticklabels(ticks, fontsize=8)
    ax.axhline(1.0, color="black", linewidth=0.8, linestyle="--")
    ax.set_xlabel("subgroup")
    ax.set_ylabel("score (0–1; density can exceed 1)")
    ax.set_ylim(0, max(1.1, float(np.nanmax(values)) * 1.1 if np.isfinite(values).any() else 1.1))
    ax.legend(title="metric", fontsize=8, ncols=len(cols))
    key = "coverage" if "coverage" in cols else ("recall" if "recall" in cols else cols[0])
    kv = values[:, cols.index(key)]
    if np.isfinite(kv).any():
        worst = int(np.nanargmin(kv))
        takeaway = (f"Lowest {key}: subgroup {names[worst]} ({kv[worst]:.2f}) vs best {np.nanmax(kv):.2f}; "
                    "check whether that subgroup is thinned or missing in the synthetic set.")
        if len(names) == 1:
            takeaway = f"Only one subgroup ({names[0]}): {key} {kv[0]:.2f}; no between-group comparison possible."
    else:
        takeaway = f"{key} could not be computed for any subgroup (too few samples)."
    return finish(fig, title or "Fidelity and diversity per subgroup (PRDC)", takeaway)
