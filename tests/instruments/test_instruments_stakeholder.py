"""Stakeholder checklist: generated from the checklist data; concerns stored in the review."""

from __future__ import annotations

import pytest

from misyn_lab.checklist import load_checklist
from misyn_lab.errors import InputError
from misyn_lab.instruments import stakeholder as sh
from misyn_lab.widgets.stakeholder import StakeholderWidget


def test_items_come_from_the_checklist():
    checklist = load_checklist()
    items = sh.stakeholder_items()
    assert [i.item_id for i in items] == list(checklist.ids)
    for it in items:
        src = checklist.item(it.item_id)
        assert (it.question, it.good_answer, it.stage) == (src.stakeholder_question, src.good_answer, src.stage)


def test_markdown_and_html_exports_escape_text(review):
    """One document, written as Markdown and as an HTML page (the CLI's two formats), every text escaped."""
    from misyn_lab import render
    from misyn_lab.instruments.document import STAKEHOLDER_TITLE, stakeholder_document

    cid = sh.raise_concern(review, "TS-1", "<script>alert(1)</script>", "patient", "refusal", "I refuse *all* of it")
    doc = stakeholder_document(review=review)
    md = render.document_markdown(doc)
    first = load_checklist().items[0]
    assert md.startswith(f"# {STAKEHOLDER_TITLE}") and first.stakeholder_question in md
    assert "<script>" not in md and "\\<script\\>" in md
    assert "I refuse \\*all\\* of it" in md and "Refusal from" in md
    html = render.page(doc)
    assert html.startswith("<!DOCTYPE html>") and "<script>" not in html and "&lt;script&gt;" in html
    assert html.count("<dt>") == len(load_checklist())
    frag = StakeholderWidget(review).static_html()
    assert frag.startswith('<section id="questions-anyone-can-ask-about-this-medical-image-synthesis" '
                           'class="misyn-stakeholder">') and "<html" not in frag and "&lt;script&gt;" in frag
    assert cid


def test_concern_lifecycle(review):
    cid = sh.raise_concern(review, "EV-1", "Dr Lee", "radiologist", "question", "Which test set?")
    [rec] = sh.open_concerns(review)
    assert rec["id"] == cid and rec["status"] == "open" and rec["role"] == "radiologist" and rec["time"]
    updated = sh.respond(review, cid, "dev team", "An external cohort of 200 cases.")
    assert updated["status"] == "answered" and updated["responses"][0]["responder"] == "dev team"
    assert sh.open_concerns(review) == [] and sh.concerns(review)[0]["status"] == "answered"


def test_bad_concerns(review):
    with pytest.raises(InputError, match="unknown checklist item 'TS-99'"):
        sh.raise_concern(review, "TS-99", "a", "b", "question", "c")
    with pytest.raises(InputError, match="unknown concern kind 'complaint'"):
        sh.raise_concern(review, "TS-1", "a", "b", "complaint", "c")
    with pytest.raises(InputError, match="concern role is empty"):
        sh.raise_concern(review, "TS-1", "a", " ", "question", "c")
    with pytest.raises(InputError, match="unknown concern id 'concern-x'"):
        sh.respond(review, "concern-x", "dev", "text")


def test_widget_form_and_static_view(monkeypatch, review, tmp_path):
    monkeypatch.setenv("MISYN_WIDGETS", "static")
    widget = StakeholderWidget(review, save_path=tmp_path / "r.yaml")
    widget.item.value = "TS-3"
    widget.name.value, widget.role.value, widget.kind.value = "Sam", "public", "objection"
    widget.text.value = "Files must say they are synthetic."
    cid = widget.raise_from_form()
    assert cid and "Recorded as" in widget.message.value and widget.concern.options[0][1] == cid
    assert (tmp_path / "r.yaml").exists()
    widget.text.value = ""
    assert widget.raise_from_form() is None and "concern text is empty" in widget.message.value
    bundle = widget._repr_mimebundle_()
    assert "Files must say they are synthetic." in bundle["text/html"] and "Open concerns" in bundle["text/html"]
    widget.concern.value = cid
    widget.responder.value, widget.response.value = "dev", "Done."
    assert widget.respond_from_form()["status"] == "answered"
    assert sh.open_concerns(review) == [] and "No open concerns" in widget.open_list.value
