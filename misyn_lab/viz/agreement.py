"""How a class answered each checklist item: stacked answer counts per item, with the key's answer marked."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from misyn_lab.errors import InputError
from misyn_lab.viz.style import finish, palette, panels

#: Answer columns of :func:`misyn_lab.checklist.agreement.item_distribution`, in drawing order.
ANSWER_COLUMNS = ("yes", "partly", "no", "not_applicable", "unknown", "unanswered")


def answer_distribution(distribution: pd.DataFrame, *, title: str = "How the class answered each item",
                        ax: Any = None) -> Figure:
    """Horizontal stacked bars: per item, how many students gave each answer (and how many left it unanswered).

    Parameters
    ----------
    distribution : DataFrame
        ``ClassAgreement.distribution``: ``item``, the answer counts :data:`ANSWER_COLUMNS` and
        ``pairwise_agreement``; with a ``key`` column the key's answer is outlined in black, with
        ``key_agreement`` the takeaway counts the items a majority answered as the key does.
    title : str
        Figure title.
    ax : Axes, optional
        Draw into this Axes (see :mod:`misyn_lab.viz`); by default a figure of its own.

    Returns
    -------
    Figure
        The new figure, or ``ax``'s figure; the takeaway (the item with the lowest pairwise agreement) is
        ``misyn_takeaway``.

    Raises
    ------
    InputError
        When the table is empty or lacks a column.

    Examples
    --------
    >>> table = pd.DataFrame({"item": ["E1", "E2"], "yes": [3, 1], "partly": [0, 1], "no": [0, 1],
    ...                       "not_applicable": [0, 0], "unknown": [0, 0], "unanswered": [0, 0],
    ...                       "pairwise_agreement": [1.0, 0.0]})
    >>> answer_distribution(table).misyn_takeaway
    'Least agreement on E2 (pairwise agreement 0.00).'
    """
    missing = [c for c in (*ANSWER_COLUMNS, "item", "pairwise_agreement") if c not in distribution]
    if not isinstance(distribution, pd.DataFrame) or distribution.empty or missing:
        raise InputError(f"need a non-empty item distribution with columns {list(ANSWER_COLUMNS)}"
                         + (f" (missing {missing})" if missing else ""), path="answer_distribution",
                         remedy="pass ClassAgreement.distribution")
    items = distribution["item"].astype(str).tolist()
    counts = distribution[list(ANSWER_COLUMNS)].to_numpy(dtype=float)
    fig, axes, own = panels(ax, figsize=(7.5, max(3.0, 0.22 * len(items) + 1.6)))
    ax = axes[0, 0]
    y = np.arange(len(items))
    colours = palette(len(ANSWER_COLUMNS) - 1) + [(0.85, 0.85, 0.85)]
    left = np.zeros(len(items))
    keys = distribution["key"].tolist() if "key" in distribution else [None] * len(items)
    for j, col in enumerate(ANSWER_COLUMNS):
        ax.barh(y, counts[:, j], left=left, color=colours[j], label=col.replace("_", " "), height=0.8)
        for i, k in enumerate(keys):
            if k == col and counts[i, j] > 0:
                ax.barh(y[i], counts[i, j], left=left[i], color="none", edgecolor="black", linewidth=1.6,
                        height=0.8)
        left += counts[:, j]
    ax.set_yticks(y)
    ax.set_yticklabels(items, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("students (count)")
    ax.set_ylabel("checklist item")
    ax.legend(fontsize=7, ncols=6, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False,
              title="answer (black outline: the key's answer)", title_fontsize=8)
    agree = distribution["pairwise_agreement"].to_numpy(dtype=float)
    if np.isfinite(agree).any():
        worst = int(np.nanargmin(agree))
        takeaway = f"Least agreement on {items[worst]} (pairwise agreement {agree[worst]:.2f})"
    else:
        takeaway = "Pairwise agreement needs two answers per item; no item has them"
    if "key_agreement" in distribution:
        share = distribution["key_agreement"].to_numpy(dtype=float)
        majority = int(np.sum(share > 0.5))
        takeaway += f"; a majority answered as the key does on {majority} of {len(items)} items."
    else:
        takeaway += "."
    return finish(fig, title, takeaway, axes=None if own else axes)


__all__ = ["ANSWER_COLUMNS", "answer_distribution"]
