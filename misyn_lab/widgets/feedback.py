"""`FeedbackPanel`: a "Show feedback" button under a vignette's checklist; the key stays hidden until pressed.

A thin view over :func:`misyn_lab.workbook.vignettes.feedback` (the logic) and the student's vignette Review
(the state, shared with the :class:`~misyn_lab.widgets.checklist.ChecklistWidget` above it). Nothing of the key
is rendered before the button is pressed, and items the student has not answered keep their key hidden even
then. The static fallback (papermill, nbconvert, an exported HTML file) says how far the student has got and
never shows the key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ipywidgets as w

from misyn_lab.checklist.loader import STAGE_TITLES, check_stage
from misyn_lab import render
from misyn_lab.render import esc
from misyn_lab.widgets._frontend import StaticFallback
from misyn_lab.workbook.vignettes import Feedback, feedback

if TYPE_CHECKING:
    from misyn_lab.checklist.review import Review


class FeedbackPanel(StaticFallback, w.VBox):
    """Feedback on one stage's vignette review, shown on request.

    Parameters
    ----------
    review:
        The student's vignette :class:`misyn_lab.checklist.Review` (the one the checklist widget edits).
    stage:
        The stage of the vignette.
    reviewer:
        Whose answers to compare with the key.
    key:
        The answer key (default: the stage's bundled vignette key).
    """

    def __init__(self, review: Review, stage: str, *, reviewer: str, key: Review | None = None):
        self.review, self.stage, self.reviewer, self.key = review, check_stage(stage), str(reviewer), key
        self.last: Feedback | None = None
        self.button = w.Button(description="Show feedback", button_style="info",
                               tooltip="Compare your answers with the answer key (after answering)")
        self.button.add_class("misyn-feedback-button")
        self.output = w.HTML(f"<i>{esc(self._progress())} Answer the items above, then press "
                             "<b>Show feedback</b>.</i>")
        self.output.add_class("misyn-feedback-output")
        self.button.on_click(lambda _b: self.show())
        super().__init__([self.button, self.output])

    def compute(self) -> Feedback:
        """The current feedback (pure: does not touch the view)."""
        return feedback(self.review, self.key, self.stage, reviewer=self.reviewer)

    def show(self) -> Feedback:
        """What the button does: compute the feedback and show it."""
        self.last = self.compute()
        self.output.value = self.last.to_html()
        self.button.description = "Update feedback"
        return self.last

    def _progress(self) -> str:
        fb = self.compute()
        return (f"{fb.answered} of {len(fb.table)} {STAGE_TITLES[self.stage].lower()} items of the vignette "
                f"answered by {self.reviewer}.")

    def static_text(self) -> str:
        return f"Vignette feedback (hidden until requested): {self._progress()}"

    def static_html(self) -> str:
        text = [self._progress(), " In JupyterLab, press ", render.strong("Show feedback"),
                " after answering; the answer key is not shown here."]
        return render.to_html(render.Section("Vignette feedback", [render.Paragraph(text)],
                                             role="misyn-feedback-static"), level=4)


__all__ = ["FeedbackPanel"]
