"""The contamination lab's figure: how the score drifts with the share of unlabelled synthetic pairs, and where it
stands after the audit removed the files it flagged."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from misyn_lab.errors import InputError
from misyn_lab.viz.style import finish, new_figure, palette

COLUMNS = ("scenario", "share", "drift", "drift_low", "drift_high", "after_minus_clean", "after_low", "after_high")
TITLES = {"test": "Contaminated TEST set\n(reported Dice minus clean)",
          "retrain": "Contaminated RETRAINING set\n(Dice on clean real test minus clean)"}


def drift_figure(summary: pd.DataFrame, *, title: str = "Unlabelled synthetic pairs: drift and recovery") -> Figure:
    """One panel per scenario of :meth:`misyn_lab.cases.contamination.ContaminationResult.summary`: the drift from
    clean with its 95 % CI against the realised synthetic share (filled), and after the audit (hollow)."""
    missing = [c for c in COLUMNS if c not in summary]
    if missing or summary.empty:
        raise InputError(f"the summary lacks columns {missing}" if missing else "the summary has no rows",
                         path="drift_figure", remedy="pass ContaminationResult.summary()")
    scenarios = [s for s in TITLES if s in set(summary["scenario"])]
    fig, axes = new_figure(1, len(scenarios), figsize=(5.2 * len(scenarios), 4.2), sharey=True)
    before, after = palette(2)
    parts = []
    for ax, scenario in zip(axes[0], scenarios):
        t = summary[summary["scenario"] == scenario].sort_values("share")
        x = 100 * t["share"]
        ax.axhline(0, color="0.3", lw=1, ls="--")
        ax.errorbar(x, t["drift"], yerr=[t["drift"] - t["drift_low"], t["drift_high"] - t["drift"]], fmt="o-",
                    color=before, capsize=3, label="as contaminated")
        ax.errorbar(x + 0.8, t["after_minus_clean"], yerr=[t["after_minus_clean"] - t["after_low"],
                                                           t["after_high"] - t["after_minus_clean"]],
                    fmt="s--", mfc="white", color=after, capsize=3, label="after the audit")
        ax.set_title(TITLES[scenario], fontsize=10)
        ax.set_xlabel("share of unlabelled synthetic pairs (%)")
        ax.set_ylabel("Dice minus clean Dice")
        top = t.iloc[-1]
        parts.append(f"{scenario}: {top['drift']:+.3f} at {top['share']:.0%}, {top['after_minus_clean']:+.3f} after "
                     "the audit")
    axes[0][0].legend(fontsize=8, loc="best")
    return finish(fig, title, "Mean change from clean over seeds (95% CI): " + "; ".join(parts) + ".")


__all__ = ["drift_figure"]
