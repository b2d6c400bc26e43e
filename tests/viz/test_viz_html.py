"""The shared HTML building blocks (used by the case views, the report and the widgets)."""

from __future__ import annotations

import base64

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from misyn_lab.viz import html as V  # noqa: E402


def test_table_escapes_cells_caption_and_keeps_raw_columns():
    out = V.table([{"a": "<b>", "badge": V.status_badge("no"), "x": 0.123456}], caption="c <i>",
                  raw_columns=("badge",), css_class="case-table")
    assert out.startswith("<table class='case-table'><caption>c &lt;i&gt;</caption>")
    assert "<td>&lt;b&gt;</td>" in out and '<span class="status bad">no</span>' in out and "<td>0.1235</td>" in out
    assert V.table([], empty="none here") == "<p class='meta'>none here</p>"


def test_img_escapes_alt_and_embeds_png():
    tag = V.img(b"\x89PNG", 'a "quoted" <alt>')
    assert 'alt="a &quot;quoted&quot; &lt;alt&gt;"' in tag
    assert base64.b64encode(b"\x89PNG").decode() in tag
    assert V.img_tag(b"\x89PNG", "x", "cap").endswith("<figcaption>cap</figcaption></figure>")


def test_figure_png_close_flag():
    fig = plt.figure()
    png = V.figure_png(fig, close=False)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and plt.fignum_exists(fig.number)
    assert V.figure_png(fig) == png  # byte-stable (no software/date metadata)
    assert not plt.fignum_exists(fig.number)
