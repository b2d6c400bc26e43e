"""`StakeholderWidget`: the plain-language checklist, with a form to question, object to or refuse an item.

A thin view over :mod:`misyn_lab.instruments.stakeholder` (the logic) and a Review (the state). Concerns
are stored in the review section ``"stakeholder_questions"`` and saved at once when ``save_path`` is given.
Without a widget front end it shows the static stakeholder checklist with the open concerns.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import ipywidgets as w

from misyn_lab import render
from misyn_lab.errors import MisynError
from misyn_lab.instruments import stakeholder as sh
from misyn_lab.instruments.document import STAKEHOLDER_TITLE, stakeholder_checklist
from misyn_lab.render import esc
from misyn_lab.widgets._frontend import StaticFallback

if TYPE_CHECKING:
    from misyn_lab.checklist.review import Review
    from misyn_lab.checklist.loader import Checklist


class StakeholderWidget(StaticFallback, w.VBox):
    """Plain-language questions per stage; raise a concern; developers respond."""

    def __init__(self, review: Review, *, save_path: str | Path | None = None, checklist: Checklist | None = None):
        self.review = review
        self.checklist = checklist
        self.save_path = None if save_path is None else Path(save_path)
        items = sh.stakeholder_items(checklist)
        stages: dict[str, list[sh.StakeholderItem]] = {}
        for it in items:
            stages.setdefault(it.stage_title, []).append(it)
        acc = w.Accordion(children=[w.HTML(render.to_html(render.Definitions(
            [([render.strong(it.question), f" ({it.item_id})"], f"A good answer: {it.good_answer}") for it in its])))
            for its in stages.values()])
        for i, title in enumerate(stages):
            acc.set_title(i, title)
        self.item = w.Dropdown(options=[(f"{it.item_id} — {it.question[:70]}", it.item_id) for it in items],
                               description="Item", layout=w.Layout(width="95%"))
        self.name = w.Text(description="Your name")
        self.role = w.Text(description="Your role", placeholder="patient, clinician, regulator …")
        self.kind = w.ToggleButtons(options=list(sh.KINDS), description="Kind")
        self.text = w.Textarea(description="Text", layout=w.Layout(width="95%"))
        self.submit = w.Button(description="Record", button_style="primary")
        self.submit.on_click(lambda _b: self.raise_from_form())
        self.responder = w.Text(description="Responder")
        self.response = w.Textarea(description="Answer", layout=w.Layout(width="95%"))
        self.concern = w.Dropdown(description="Concern", layout=w.Layout(width="95%"))
        self.respond_btn = w.Button(description="Answer concern")
        self.respond_btn.on_click(lambda _b: self.respond_from_form())
        self.message = w.HTML()
        self.open_list = w.HTML()
        super().__init__([
            w.HTML(f"<p>{esc(sh.INTRO)}</p>"), acc,
            w.HTML("<b>Question, object to, or refuse</b>"), self.item, self.name, self.role, self.kind,
            self.text, self.submit, self.message,
            w.HTML("<b>Open concerns</b>"), self.open_list,
            w.HTML("<b>Developers: answer a concern</b>"), self.concern, self.responder, self.response,
            self.respond_btn])
        self.add_class("misyn-stakeholder-widget")
        for widget, name in ((self.item, "item"), (self.name, "name"), (self.role, "role"), (self.kind, "kind"),
                             (self.text, "text"), (self.submit, "record"), (self.message, "message"),
                             (self.open_list, "open")):
            widget.add_class(f"misyn-sh-{name}")  # stable hooks for the browser test and custom styling
        self._refresh()

    def _save(self) -> None:
        if self.save_path is not None:
            self.review.save(self.save_path)

    def _refresh(self) -> None:
        open_ = sh.open_concerns(self.review)
        self.open_list.value = render.to_html(_concerns_block(open_))
        self.concern.options = [(f"{c['id']} ({c['item_id']}, {c['kind']})", c["id"]) for c in open_]

    def raise_from_form(self) -> str | None:
        """What the Record button does: store the concern, save, refresh."""
        try:
            cid = sh.raise_concern(self.review, self.item.value, self.name.value, self.role.value,
                                   self.kind.value, self.text.value, checklist=self.checklist)
            self._save()
        except MisynError as exc:
            self.message.value = f"<span style='color:#b71c1c'>{esc(exc)}</span>"
            return None
        self.text.value = ""
        self.message.value = f"<span style='color:#1b5e20'>Recorded as {esc(cid)}; open until the developers answer.</span>"
        self._refresh()
        return cid

    def respond_from_form(self) -> dict | None:
        """What the Answer button does."""
        if not self.concern.value:
            self.message.value = "<i>No open concern selected.</i>"
            return None
        try:
            rec = sh.respond(self.review, self.concern.value, self.responder.value, self.response.value)
            self._save()
        except MisynError as exc:
            self.message.value = f"<span style='color:#b71c1c'>{esc(exc)}</span>"
            return None
        self.response.value = ""
        self._refresh()
        return rec

    def static_document(self) -> render.Section:
        """The plain-language checklist (with the concerns raised against each question) and the open concerns."""
        blocks: list[render.Block] = [render.Paragraph(sh.INTRO), *stakeholder_checklist(self.checklist, self.review),
                                      render.Section("Open concerns", [_concerns_block(sh.open_concerns(self.review))],
                                                     id="stakeholder-open-concerns")]
        return render.Section(STAKEHOLDER_TITLE, blocks, role="misyn-stakeholder")

    def static_html(self) -> str:
        return render.to_html(self.static_document(), level=3)

    def static_text(self) -> str:
        return f"StakeholderWidget({len(sh.stakeholder_items(self.checklist))} questions, " \
               f"{len(sh.open_concerns(self.review))} open concerns)"


def _concerns_block(concerns: list[dict]) -> render.Block:
    """Open concerns, one line each (kind, item, who, when, what)."""
    if not concerns:
        return render.Paragraph("No open concerns.", role="meta")
    return render.BulletList([[render.strong(str(c["kind"])), f" on {c['item_id']} from {c['name']} ({c['role']}), "
                               f"{c.get('time', '')}: {c['text']}"] for c in concerns])


__all__ = ["StakeholderWidget"]
