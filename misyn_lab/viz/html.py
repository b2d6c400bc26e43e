"""HTML building blocks shared by the case views, the report and the widgets (pure string functions).

Every value passes through :func:`esc` unless a column is declared trusted HTML; figures are embedded as base64
PNG ``data:`` URIs, so the HTML loads nothing from the network.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

#: Status word -> CSS class of its badge (the report's stylesheet colours them).
STATUS_CLASS = {
    "met": "ok", "yes": "ok", "supported": "ok", "complete": "ok", "clean": "ok",
    "partial": "warn", "partly": "warn", "unknown": "warn", "not_tested": "warn", "untested": "warn", "inconclusive": "warn",
    "not_met": "bad", "no": "bad", "gap": "bad", "unsupported": "bad", "contradicted": "bad", "missing": "bad",
    "overclaim": "bad", "overclaimed": "bad", "not_supported": "bad", "not_applicable": "na", "n/a": "na", "na": "na",
}


def esc(value: Any) -> str:
    """Escape any value for HTML text and attribute context (``None`` becomes an empty string)."""
    return "" if value is None else html.escape(str(value), quote=True)


def status_badge(status: Any) -> str:
    """A coloured status label; unknown statuses get the neutral style."""
    text = "" if status is None else str(status)
    cls = STATUS_CLASS.get(text.lower(), "na")
    return f'<span class="status {cls}">{esc(text or "—")}</span>'


def fmt_cell(v: Any) -> str:
    """A cell value as text: floats to 4 significant digits, lists joined, ``None`` empty."""
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, (list, tuple)):
        return ", ".join(fmt_cell(x) for x in v)
    return "" if v is None else str(v)


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None, *,
          raw_columns: Iterable[str] = (), empty: str = "none", caption: str = "", css_class: str = "") -> str:
    """An HTML table of dict rows; every cell is escaped except those in ``raw_columns`` (trusted HTML)."""
    rows = list(rows)
    if not rows:
        return f"<p class='meta'>{esc(empty)}</p>"
    cols = list(columns) if columns else list(dict.fromkeys(k for r in rows for k in r))
    raw = set(raw_columns)
    head = "".join(f"<th>{esc(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{r.get(c, '') if c in raw else esc(fmt_cell(r.get(c, '')))}</td>"
                                    for c in cols) + "</tr>" for r in rows)
    cls = f" class='{esc(css_class)}'" if css_class else ""
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return f"<table{cls}>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def figure_png(fig: Any, *, dpi: float | None = 90, close: bool = True, tight: bool = True) -> bytes:
    """PNG bytes of a matplotlib Figure (tight box, metadata stripped so output is byte-stable).

    ``dpi=None`` keeps the figure's own dpi; ``close=False`` leaves a figure that is redrawn later open;
    ``tight=False`` keeps the figure's own size (no second layout pass: faster for a fixed layout).
    """
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi or fig.dpi, bbox_inches="tight" if tight else None,
                metadata={"Software": None})
    if close:
        import matplotlib.pyplot as plt

        plt.close(fig)
    return buf.getvalue()


def img(png: bytes, alt: str) -> str:
    """A bare ``<img>`` embedding ``png`` as base64; ``alt`` is escaped."""
    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{esc(alt)}" src="data:image/png;base64,{data}"/>'


def img_tag(png: bytes, alt: str, caption: str | None = None) -> str:
    """An embedded base64 ``<img>`` in a ``<figure>``; ``alt`` and ``caption`` are escaped."""
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return f"<figure>{img(png, alt)}{cap}</figure>"
