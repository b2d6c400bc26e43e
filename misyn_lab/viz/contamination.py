"""The contamination lab's figure: how the score drifts with the share of unlabelled synthetic pairs, and where it
stands after the audit removed the files it flagged."""

from __future__ import annotations

from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from misyn_lab.errors import InputError
from misyn_lab.viz.style import finish, palette, panels

COLUMNS = ("scenario", "share", "drift", "drift_low", "drift_high", "after_minus_clean", "after_low", "after_high")
TITLES = {"test": "Contaminated TEST set\n(reported Dice minus clean)",
          "retrain": "Contaminated RETRAINING set\n(Dice on clean real test minus clean)"}


def drift_figure(summary: pd.DataFrame, *, title: str = "Unlabelled synthetic pairs: drift and recovery",
                 ax: Any = None) -> Figure:
    """One panel per scenario: the drift of the score from clean, with its 95 % CI, against the realised synthetic
    share (filled), and after the audit (hollow).

    Parameters
    ----------
    summary : DataFrame
        :meth:`misyn_lab.cases.contamination.ContaminationResult.summary` (columns :data:`COLUMNS`).
    title : str
        Figure title.
    ax : Axes or sequence of Axes, optional
        One Axes per scenario present (see :mod:`misyn_lab.viz`); by default a figure of its own.

    Returns
    -------
    Figure
        The new figure, or the Axes' figure; the takeaway gives each scenario's largest-share drift and the
        drift after the audit.

    Raises
    ------
    InputError
        When a column is missing or the table is empty.

    Examples
    --------
    >>> t = pd.DataFrame({"scenario": ["test", "test"], "share": [0.0, 0.5], "drift": [0.0, 0.04],
    ...                   "drift_low": [0.0, 0.03], "drift_high": [0.0, 0.05], "after_minus_clean": [0.0, 0.001],
    ...                   "after_low": [0.0, -0.002], "after_high": [0.0, 0.004]})
    >>> drift_figure(t).misyn_takeaway
    'Mean change from clean over seeds (95% CI): test: +0.040 at 50%, +0.001 after the audit.'
    """
    missing = [c for c in COLUMNS if c not in summary]
    if missing or summary.empty:
        raise InputError(f"the summary lacks columns {missing}" if missing else "the summary has no rows",
                         path="drift_figure", remedy="pass ContaminationResult.summary()")
    scenarios = [s for s in TITLES if s in set(summary["scenario"])]
    fig, axes, own = panels(ax, len(scenarios), figsize=(5.2 * len(scenarios), 4.2), sharey=True)
    before, after = palette(2)
    parts = []
    for a, scenario in zip(axes[0], scenarios):
        t = summary[summary["scenario"] == scenario].sort_values("share")
        x = 100 * t["share"]
        a.axhline(0, color="0.3", lw=1, ls="--")
        a.errorbar(x, t["drift"], yerr=[t["drift"] - t["drift_low"], t["drift_high"] - t["drift"]], fmt="o-",
                   color=before, capsize=3, label="as contaminated")
        a.errorbar(x + 0.8, t["after_minus_clean"], yerr=[t["after_minus_clean"] - t["after_low"],
                                                          t["after_high"] - t["after_minus_clean"]],
                   fmt="s--", mfc="white", color=after, capsize=3, label="after the audit")
        a.set_title(TITLES[scenario], fontsize=10)
        a.set_xlabel("share of unlabelled synthetic pairs (%)")
        a.set_ylabel("Dice minus clean Dice")
        top = t.iloc[-1]
        parts.append(f"{scenario}: {top['drift']:+.3f} at {top['share']:.0%}, {top['after_minus_clean']:+.3f} after "
                     "the audit")
    axes[0][0].legend(fontsize=8, loc="best")
    return finish(fig, title, "Mean change from clean over seeds (95% CI): " + "; ".join(parts) + ".",
                  axes=None if own else axes)


__all__ = ["drift_figure"]
