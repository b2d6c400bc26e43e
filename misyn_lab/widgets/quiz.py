"""`Quiz`: a one-question self-check with immediate feedback, for students working through the workbook."""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as w

from misyn_lab.errors import InputError
from misyn_lab.viz.html import esc
from misyn_lab.widgets._frontend import StaticFallback


class Quiz(StaticFallback, w.VBox):
    """A multiple-choice question that says at once whether the chosen option is right, and why.

    Parameters
    ----------
    question:
        The question, in plain words.
    options:
        The choices (at least two, unique).
    answer:
        The right option (its text or its index in ``options``).
    explanation:
        Why that option is right; shown after any choice, and in the static (headless) fallback.
    """

    def __init__(self, question: str, options: Sequence[str], answer: str | int, explanation: str):
        opts = [str(o) for o in options]
        if len(opts) < 2 or len(set(opts)) != len(opts):
            raise InputError(f"a quiz needs at least two unique options, got {opts}", path="Quiz.options",
                             remedy="give two or more different options")
        if isinstance(answer, int) and not isinstance(answer, bool):
            if not 0 <= answer < len(opts):
                raise InputError(f"answer index {answer} is outside 0..{len(opts) - 1}", path="Quiz.answer")
            answer = opts[answer]
        if answer not in opts:
            raise InputError(f"answer {answer!r} is not one of the options {opts}", path="Quiz.answer",
                             remedy="pass the exact option text or its index")
        self.question, self.options, self.answer, self.explanation = str(question), opts, answer, explanation
        self.attempts: list[str] = []
        self.choice = w.RadioButtons(options=opts, value=None, layout=w.Layout(width="auto"))
        self.feedback = w.HTML("<i>Choose an answer.</i>")
        self.choice.observe(self._on_choice, names="value")
        super().__init__([w.HTML(f"<b>Self-check:</b> {esc(self.question)}"), self.choice, self.feedback])

    def check(self, option: str) -> bool:
        """True when ``option`` is the right answer (pure; does not touch the view)."""
        return option == self.answer

    def feedback_text(self, option: str) -> str:
        """The feedback a student sees after choosing ``option``."""
        if self.check(option):
            return f"Correct. {self.explanation}"
        return f"Not quite: {option!r} is not the best answer. Try again."

    def _on_choice(self, change: dict) -> None:
        if change["new"] is None:
            return
        self.attempts.append(change["new"])
        ok = self.check(change["new"])
        colour = "#1b5e20" if ok else "#b71c1c"
        self.feedback.value = f'<span style="color:{colour}">{esc(self.feedback_text(change["new"]))}</span>'

    def static_text(self) -> str:
        lines = [f"Self-check: {self.question}"] + [f"  - {o}" for o in self.options]
        return "\n".join(lines + [f"Answer: {self.answer}. {self.explanation}"])

    def static_html(self) -> str:
        items = "".join(f"<li>{esc(o)}</li>" for o in self.options)
        return (f'<div class="misyn-quiz"><p><b>Self-check:</b> {esc(self.question)}</p><ul>{items}</ul>'
                f"<details><summary>Answer</summary><p><b>{esc(self.answer)}</b>. {esc(self.explanation)}</p>"
                "</details></div>")
