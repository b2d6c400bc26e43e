"""`Quiz`: a one-question self-check with immediate feedback, for students working through the workbook.

The workbook's questions live in the quiz bank (:mod:`misyn_lab.workbook.quiz_bank`); a notebook cell shows one
with ``Quiz.from_bank("04-memorisation")``, so neither the answer nor the explanations are visible before
answering. Without a front end the quiz renders as the question and its options, with the answer inside a
collapsed "Show answer" block (closed blocks are not printed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import ipywidgets as w

from misyn_lab.errors import InputError
from misyn_lab import render
from misyn_lab.render import esc
from misyn_lab.widgets._frontend import StaticFallback
from misyn_lab.workbook.quiz_bank import get_quiz

_RIGHT = "color:#1b5e20"
_WRONG = "color:#b71c1c"


def _letter(i: int) -> str:
    return chr(ord("A") + i)


class Quiz(StaticFallback, w.VBox):
    """A multiple-choice question that says at once whether the chosen option is right, and why (or why not).

    Parameters
    ----------
    question:
        The question, in plain words.
    options:
        The choices (at least two, unique), in the order shown.
    answer:
        The right option (its text or its index in ``options``).
    explanations:
        One per option, in the order of ``options`` (or a mapping option -> text): why that option is right, or
        why it is not. Shown after the option is chosen, never before.
    quiz_id:
        The quiz's id in the bank, if it came from there.

    Examples
    --------
    >>> quiz = Quiz("Does a synthetic brain MR depict a patient?", ["yes", "no"], "no",
    ...             ["It depicts no one: no patient was scanned (L1).", "Right: it depicts no patient (L1)."])
    >>> quiz.check("no"), quiz.feedback_text("yes").startswith("Not quite")
    (True, True)
    """

    def __init__(self, question: str, options: Sequence[str], answer: str | int,
                 explanations: Sequence[str] | Mapping[str, str], *, quiz_id: str | None = None):
        opts = [str(o) for o in options]
        if len(opts) < 2 or len(set(opts)) != len(opts):
            raise InputError(f"a quiz needs at least two unique options, got {opts}", path="Quiz.options",
                             remedy="give two or more different options")
        if isinstance(answer, int) and not isinstance(answer, bool):
            if not 0 <= answer < len(opts):
                raise InputError(f"answer index {answer} is outside 0..{len(opts) - 1}", path="Quiz.answer",
                                 remedy="pass the index of the right option")
            answer = opts[answer]
        if answer not in opts:
            raise InputError(f"answer {answer!r} is not one of the options {opts}", path="Quiz.answer",
                             remedy="pass the exact option text or its index")
        self.why = self._explanations(opts, explanations)
        self.question, self.options, self.answer, self.quiz_id = str(question), opts, answer, quiz_id
        self.attempts: list[str] = []
        self.choice = w.RadioButtons(options=opts, value=None, layout=w.Layout(width="auto"))
        self.feedback = w.HTML("<i>Choose an answer.</i>")
        self.choice.observe(self._on_choice, names="value")
        super().__init__([w.HTML(f"<b>Self-check:</b> {esc(self.question)}"), self.choice, self.feedback])
        self.add_class("misyn-quiz")

    @classmethod
    def from_bank(cls, quiz_id: str, *, path: str | Path | None = None) -> Quiz:
        """The quiz ``quiz_id`` of the workbook's quiz bank (or the bank at ``path``), options in bank order."""
        q = get_quiz(quiz_id, path)
        return cls(q.question, [o.text for o in q.options], q.answer_index, [o.why for o in q.options],
                   quiz_id=q.id)

    @staticmethod
    def _explanations(opts: list[str], explanations: Sequence[str] | Mapping[str, str]) -> dict[str, str]:
        if isinstance(explanations, Mapping):
            missing = [o for o in opts if o not in explanations]
            if missing or len(explanations) != len(opts):
                raise InputError(f"explanations must name exactly the options; missing {missing}, got "
                                 f"{sorted(explanations)}", path="Quiz.explanations",
                                 remedy="give one explanation per option")
            texts = [str(explanations[o]) for o in opts]
        elif isinstance(explanations, str) or len(explanations) != len(opts):
            n = 1 if isinstance(explanations, str) else len(explanations)
            raise InputError(f"a quiz needs one explanation per option ({len(opts)}), got {n}",
                             path="Quiz.explanations", remedy="say for each option why it is right or why not")
        else:
            texts = [str(t) for t in explanations]
        empty = [o for o, t in zip(opts, texts) if not t.strip()]
        if empty:
            raise InputError(f"options without an explanation: {empty}", path="Quiz.explanations",
                             remedy="say for each option why it is right or why not")
        return dict(zip(opts, texts))

    def check(self, option: str) -> bool:
        """True when ``option`` is the right answer (pure; does not touch the view)."""
        return option == self.answer

    def feedback_text(self, option: str) -> str:
        """The feedback a student sees after choosing ``option``: right or not, and why."""
        if self.check(option):
            return f"Correct. {self.why[option]}"
        return f"Not quite. {self.why[option]} Try another option."

    def _on_choice(self, change: dict) -> None:
        if change["new"] is None:
            return
        option = change["new"]
        self.attempts.append(option)
        ok = self.check(option)
        html = f'<p style="{_RIGHT if ok else _WRONG}">{"✓" if ok else "✗"} {esc(self.feedback_text(option))}</p>'
        if ok:
            others = "".join(f"<li><i>{esc(o)}</i>: {esc(self.why[o])}</li>" for o in self.options if o != option)
            html += f"<p><b>Why not the others</b></p><ul>{others}</ul>"
        self.feedback.value = html

    def static_text(self) -> str:
        lines = [f"Self-check: {self.question}"]
        lines += [f"  {_letter(i)}. {o}" for i, o in enumerate(self.options)]
        return "\n".join(lines + ["(Run the notebook to check your answer; it is not shown here.)"])

    def static_document(self) -> render.Section:
        """Question and options; the answer and every option's explanation inside a closed "Show answer" block."""
        whys = [[render.strong(_letter(i)), f" {'(right)' if self.check(o) else '(not right)'}: {self.why[o]}"]
                for i, o in enumerate(self.options)]
        k = self.options.index(self.answer)
        answer = render.Details("Show answer", [
            render.Paragraph(["Answer: ", render.strong(f"{_letter(k)}. {self.answer}")]), render.BulletList(whys)])
        return render.Section("Self-check", [render.Paragraph(self.question),
                                             render.BulletList(list(self.options), letters=True), answer],
                              role="misyn-quiz")

    def static_html(self) -> str:
        return render.to_html(self.static_document(), level=4)
