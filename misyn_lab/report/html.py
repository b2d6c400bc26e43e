"""HTML building blocks for the self-contained review report.

Every piece of user-entered text passes through :func:`esc` (``<script>`` appears as text); figures are
embedded as base64 PNG ``data:`` URIs; the page loads nothing from the network (no external URL in any
``src``/``href``). Pure string functions, no I/O except :func:`write_page`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

# the shared building blocks live in misyn_lab.viz.html (also used by the case views and the widgets)
from misyn_lab.viz.html import STATUS_CLASS, esc, figure_png, img_tag, status_badge, table  # noqa: F401

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;
color:#1b1b1b;line-height:1.45}
h1{border-bottom:3px solid #444;padding-bottom:.2em}h2{border-bottom:1px solid #999;margin-top:2em}
table{border-collapse:collapse;margin:.6em 0;font-size:.92em}th,td{border:1px solid #ccc;padding:3px 7px;
text-align:left;vertical-align:top}th{background:#f0f0f0}
.status{font-weight:600;padding:1px 6px;border-radius:3px}.ok{background:#d8f0d8}.warn{background:#fff0c0}
.bad{background:#f8d0d0}.na{background:#e4e4e4}
.meta{color:#555;font-size:.9em}.synthetic-note{border:2px solid #b00;padding:.4em .8em;background:#fff5f5}
figure{margin:.8em 0}figure img,.nb img{max-width:100%}figcaption{font-size:.88em;color:#444}
.nb{border-left:4px solid #ddd;padding-left:1em;margin:1em 0}
.nb pre{background:#f7f7f7;padding:.4em;overflow-x:auto;font-size:.85em}
.toc li{margin:.15em 0}
"""


def slug(text: str) -> str:
    """An HTML id from free text (letters, digits and dashes only)."""
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-") or "section"


def frame_table(frame: Any, *, float_format: str = "{:.3f}") -> str:
    """A pandas DataFrame as an escaped HTML table (index dropped)."""
    rows = [{str(k): (float_format.format(v) if isinstance(v, float) else v) for k, v in rec.items()}
            for rec in frame.to_dict("records")]
    return table(rows, [str(c) for c in frame.columns])


def section(title: str, body: str, *, level: int = 2, anchor: str | None = None,
            css_class: str | None = None) -> str:
    """A titled ``<section>``; the title is escaped, ``body`` is trusted HTML built by this module."""
    sid = anchor or slug(title)
    cls = f' class="{esc(css_class)}"' if css_class else ""
    return f'<section id="{esc(sid)}"{cls}><h{level}>{esc(title)}</h{level}>\n{body}\n</section>'


def paragraph(text: Any, css_class: str | None = None) -> str:
    """An escaped paragraph."""
    cls = f' class="{esc(css_class)}"' if css_class else ""
    return f"<p{cls}>{esc(text)}</p>"


def bullet_list(items: Iterable[Any]) -> str:
    """An escaped ``<ul>``."""
    items = list(items)
    if not items:
        return "<p class='meta'>none</p>"
    return "<ul>" + "".join(f"<li>{esc(i)}</li>" for i in items) + "</ul>"


def page(title: str, sections: Sequence[tuple[str, str]], *, header_lines: Sequence[str] = ()) -> str:
    """The full HTML document: title, escaped header lines, a table of contents and the sections.

    ``sections`` are ``(anchor, html)`` pairs; their HTML is trusted (built by this module).
    """
    toc = "".join(f'<li><a href="#{esc(a)}">{esc(_toc_title(h))}</a></li>' for a, h in sections)
    head = "".join(f"<p class='meta'>{esc(line)}</p>" for line in header_lines)
    body = "\n".join(h for _, h in sections)
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'/>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'/><title>{esc(title)}</title>"
            f"<style>{CSS}</style></head><body>\n<h1>{esc(title)}</h1>\n{head}\n"
            f"<nav><ul class='toc'>{toc}</ul></nav>\n{body}\n</body></html>\n")


def _toc_title(section_html: str) -> str:
    m = re.search(r"<h[1-6]>(.*?)</h[1-6]>", section_html, re.S)
    return html.unescape(m.group(1)) if m else "section"


_EXTERNAL = re.compile(r"""(?:\bsrc\s*=\s*["']?\s*(?:https?:)?//|<link\b[^>]*\bhref\s*=\s*["']?\s*(?:https?:)?//"""
                       r"""|url\(\s*["']?\s*(?:https?:)?//|@import\s+["']?(?:https?:)?//)""", re.I)


def external_references(document: str) -> list[str]:
    """Resources the page would load from the network (``src``, ``<link href>``, CSS ``url()``/``@import``).

    A self-contained report has none. Plain hyperlinks (``<a href>``, e.g. a citation) load nothing and are
    allowed.
    """
    return [m.group(0) for m in _EXTERNAL.finditer(document)]


def strip_external(document: str) -> str:
    """Remove ``<script src=...>`` / ``<link href=...>`` tags that load from the network."""
    document = re.sub(r"<script[^>]+src\s*=\s*[\"']?(?:https?:)?//[^>]*>\s*</script>", "", document, flags=re.I)
    return re.sub(r"<link[^>]+href\s*=\s*[\"']?(?:https?:)?//[^>]*>", "", document, flags=re.I)


def write_page(document: str, path: str | Path) -> Path:
    """Write the document atomically and return its path."""
    from misyn_lab.atomic import atomic_write_text

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, document)
    return path
