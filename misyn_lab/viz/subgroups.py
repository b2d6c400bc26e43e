"""Subgroup representation: the share of each subgroup among real and synthetic images (and coverage)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from misyn_lab.errors import InputError
from misyn_lab.viz.style import REAL_COLOUR, SYN_COLOUR, finish, panels


def subgroup_shares(table: pd.DataFrame, column: str = "subgroup", *, title: str | None = None,
                    takeaway: str | None = None, ax: Any = None) -> Figure:
    """Share of images per subgroup, real vs SYNTHETIC, and (when the table has it) coverage per subgroup.

    Parameters
    ----------
    table : DataFrame
        One row per subgroup with ``subgroup``, ``share_real``, ``share_syn`` and optionally ``coverage`` (e.g.
        the ``by_group`` frame of :func:`misyn_lab.metrics.subgroup_frame`).
    column : str
        The subgroup variable's name, in the labels.
    title, takeaway : str, optional
        Figure title and takeaway (default: the subgroup with the lowest synthetic-to-real share ratio).
    ax : Axes or sequence of Axes, optional
        One Axes, or two when the table has ``coverage`` (see :mod:`misyn_lab.viz`); by default a figure of its
        own.

    Returns
    -------
    Figure
        The new figure, or the Axes' figure.

    Raises
    ------
    InputError
        When the table is empty or lacks a column.

    Examples
    --------
    >>> t = pd.DataFrame({"subgroup": ["F", "M"], "share_real": [0.5, 0.5], "share_syn": [0.9, 0.1]})
    >>> subgroup_shares(t, "sex").misyn_takeaway
    'sex M is the least represented: 10% of synthetic vs 50% of real images.'
    """
    need = ["subgroup", "share_real", "share_syn"]
    if not isinstance(table, pd.DataFrame) or table.empty:
        raise InputError("table must be a non-empty DataFrame", path="subgroup_shares",
                         remedy="pass misyn_lab.metrics.subgroup_frame(...).by_group")
    missing = [c for c in need if c not in table]
    if missing:
        raise InputError(f"table lacks columns {missing}", path="subgroup_shares",
                         remedy=f"give one row per subgroup with columns {need}")
    has_cov = "coverage" in table
    fig, axes, own = panels(ax, 2 if has_cov else 1, figsize=(9.0 if has_cov else 6.0, 3.8))
    names = [str(s)[:28] for s in table["subgroup"]]
    real = pd.to_numeric(table["share_real"], errors="coerce").fillna(0).to_numpy(dtype=float)
    syn = pd.to_numeric(table["share_syn"], errors="coerce").fillna(0).to_numpy(dtype=float)
    x = np.arange(len(names))
    share_ax = axes[0, 0]
    share_ax.bar(x - 0.2, real, 0.4, label="real", color=REAL_COLOUR)
    share_ax.bar(x + 0.2, syn, 0.4, label="SYNTHETIC", color=SYN_COLOUR)
    share_ax.set(xticks=x, xlabel=column, ylabel="share of images (fraction, 0–1)", title=f"Share per {column}")
    share_ax.set_xticklabels(names, fontsize=8)
    share_ax.legend(frameon=False)
    if has_cov:
        cov = pd.to_numeric(table["coverage"], errors="coerce").to_numpy(dtype=float)
        ax2 = axes[0, 1]
        ax2.bar(x[np.isfinite(cov)], cov[np.isfinite(cov)], color="#7f7f7f")
        for p in x[~np.isfinite(cov)]:
            ax2.text(p, 0.02, "n/a", ha="center", va="bottom", fontsize=8, color="grey")
        ax2.set(xticks=x, ylim=(0, 1), xlabel=column, ylabel="coverage (fraction of real images, 0–1)",
                title=f"Coverage per {column}")
        ax2.set_xticklabels(names, fontsize=8)
    if takeaway is None:
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(real > 0, syn / real, np.nan)
        if np.isfinite(ratio).any():
            worst = int(np.nanargmin(ratio))
            takeaway = (f"{column} {names[worst]} is the least represented: {syn[worst]:.0%} of synthetic vs "
                        f"{real[worst]:.0%} of real images.")
        else:
            takeaway = f"No {column} has real images to compare with."
    return finish(fig, title or f"Representation per {column}: real vs synthetic", takeaway,
                  axes=None if own else axes)
