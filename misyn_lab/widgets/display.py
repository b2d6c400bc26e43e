"""The two notebook helpers that touch a widget or the IPython display: attach measured results to a
checklist widget, and show a figure with its one-line takeaway."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from misyn_lab.errors import InputError
from misyn_lab.metrics.result import MetricResult
from misyn_lab.render import figure_png


def attach_matching(widget: Any, results: Mapping[str, MetricResult] | Iterable[MetricResult], *,
                    rung: int = 1, source: str = "notebook") -> dict[str, list[str]]:
    """Attach each result to every item of the widget's stage(s) that names its metric key.

    Returns ``{item_id: [evidence ids]}``; results no item asks for are not attached.
    """
    items = list(results.values()) if isinstance(results, Mapping) else list(results)
    by_key: dict[str, list[MetricResult]] = {}
    for r in items:
        if not isinstance(r, MetricResult):
            raise InputError(f"expected MetricResult objects, got {type(r).__name__}", path="attach_matching",
                             remedy="pass the results of a metric or a workbook demonstration")
        by_key.setdefault(r.key, []).append(r)
    attached: dict[str, list[str]] = {}
    for stage in widget.stages:
        for item in widget.checklist.by_stage(stage):
            for key in item.metric_keys:
                for r in by_key.get(key, []):
                    attached.setdefault(item.id, []).append(widget.attach_evidence(item.id, r, rung=rung,
                                                                                   source=source))
    return attached


def show_figure(fig: Any, takeaway: str | None = None, *, dpi: int = 90) -> Any:
    """Display ``fig`` as a PNG with its one-line takeaway (works with any backend).

    A :mod:`misyn_lab.viz` figure already carries its takeaway (``fig.misyn_takeaway``): pass no ``takeaway``.
    Any other figure needs ``takeaway``, which is written under it.
    """
    
    from IPython.display import Image, display

    if takeaway is None:
        if not str(getattr(fig, "misyn_takeaway", "")).strip():
            raise InputError("every workbook figure needs a one-line takeaway", path="show_figure",
                             remedy="pass takeaway=... or use a misyn_lab.viz figure")
    elif not takeaway.strip():
        raise InputError("every workbook figure needs a one-line takeaway", path="show_figure",
                         remedy="pass a non-empty takeaway")
    else:
        fig.text(0.5, -0.01, "Takeaway: " + takeaway, ha="center", va="top", fontsize=9, wrap=True)
    # figure_png closes a pyplot figure, so the inline backend does not show it twice
    display(Image(data=figure_png(fig, dpi=dpi), format="png"))
    return fig


__all__ = ["attach_matching", "show_figure"]
