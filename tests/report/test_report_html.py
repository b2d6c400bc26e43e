"""HTML building blocks: escaping, tables, embedded figures, no network references."""

from __future__ import annotations

import base64

import matplotlib.pyplot as plt

from misyn_lab.report import html as H

SCRIPT = "<script>alert('x')</script>"


def test_user_text_is_escaped_everywhere():
    doc = H.page(SCRIPT, [("a", H.section(SCRIPT, H.paragraph(SCRIPT) + H.table([{"c": SCRIPT}])))],
                 header_lines=[SCRIPT])
    assert "<script>" not in doc
    assert doc.count("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;") >= 5


def test_table_raw_columns_only_where_asked():
    out = H.table([{"a": "<b>x</b>", "b": H.status_badge("no")}], raw_columns=("b",))
    assert "&lt;b&gt;x&lt;/b&gt;" in out and '<span class="status bad">no</span>' in out
    assert H.table([], empty="nothing here") == "<p class='meta'>nothing here</p>"


def test_status_badges():
    assert "ok" in H.status_badge("supported") and "bad" in H.status_badge("not_supported")
    assert "warn" in H.status_badge("untested") and "na" in H.status_badge("something else")


def test_figures_are_embedded_png():
    fig, ax = plt.subplots()
    ax.plot([0, 1])
    tag = H.img_tag(H.figure_png(fig), 'alt "q"', "cap <i>")
    data = tag.split("base64,")[1].split('"')[0]
    assert base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n"
    assert 'alt="alt &quot;q&quot;"' in tag and "cap &lt;i&gt;" in tag


def test_external_references_found_and_stripped():
    doc = ('<script src="https://cdn.example/x.js"></script><link rel="stylesheet" href="//cdn.example/a.css">'
           '<img src="data:image/png;base64,AAA"/>')
    assert len(H.external_references(doc)) == 2
    cleaned = H.strip_external(doc)
    assert H.external_references(cleaned) == [] and "data:image/png" in cleaned


def test_plain_hyperlinks_are_not_resources():
    doc = ('<a href="https://arxiv.org/abs/2508.09293">paper</a><style>@import url("https://x/y.css");</style>'
           '<div style="background:url(//x/y.png)"></div>')
    found = H.external_references(doc)
    assert len(found) == 2 and not any("arxiv" in f for f in found)
