"""The fictional vignettes of notebooks 02-06, their answer keys, and item-level feedback against a key.

Each stage notebook opens with a short *fictional* MISyn text (a dataset card, a proposal, a methods, results
or deployment excerpt) written for this workbook, with strengths and gaps planted on purpose. The student
reviews it with that stage's checklist, in a review file of their own; :func:`feedback` then compares their
answers item by item with the answer key (:func:`vignette_key`, a review file shipped beside the vignette in
``misyn_lab/workbook/vignettes/``), each with the key's reason. An item the student has not answered yet keeps
its key hidden.

>>> v = vignette("design")
>>> v.notebook, v.title.split(":")[0]
('04_design', 'GlioSynth')
>>> sorted(vignette_key("design").answers)[:3]
['DE-1', 'DE-2', 'DE-3']
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from misyn_lab import render
from misyn_lab.checklist.agreement import OUTCOMES, answering_reviewers, compare_to_key, key_reviewer
from misyn_lab.checklist.document import answer_badge
from misyn_lab.checklist.loader import STAGE_TITLES, STAGES, check_stage
from misyn_lab.checklist.review import Review, merge_reviews
from misyn_lab.checklist.yaml_io import load_file
from misyn_lab.errors import InputError, SchemaError

#: Folder of the vignettes (``<stage>.yaml``) and their keys (``<stage>.key.yaml``).
VIGNETTE_DIR = Path(__file__).resolve().with_name("vignettes")
_FIELDS = ("stage", "notebook", "genre", "title", "notice", "text")
#: Plain words for the outcomes of :func:`misyn_lab.checklist.agreement.outcome`.
OUTCOME_LABELS: dict[str, str] = {
    "agreed": "agreed", "missed_gap": "missed gap", "extra_flag": "flagged more than the key",
    "not_applicable": "N/A differs", "unknown": "unknown differs", "degree": "same gap, other degree",
    "unanswered": "not answered yet"}


@dataclass(frozen=True)
class Vignette:
    """One fictional text to review with one stage's checklist (written for the workbook, gaps planted on purpose).

    Parameters
    ----------
    stage : str
        The checklist stage.
    notebook : str
        The notebook that shows it.
    genre : str
        What kind of text it is (a dataset card, a proposal ...).
    title : str
        Its title.
    notice : str
        The statement that it is fictional.
    text : str
        The text.

    Examples
    --------
    >>> from misyn_lab.workbook import vignette
    >>> v = vignette("technical_standards")
    >>> v.title, v.to_markdown().startswith("### Vignette:")
    ('CXR-Syn 20k: a release of synthetic chest radiographs', True)
    """

    stage: str
    notebook: str
    genre: str
    title: str
    notice: str
    text: str

    def to_markdown(self) -> str:
        """The vignette as Markdown: title, the fictional notice, then the text as a quotation."""
        quoted = "\n".join("> " + line if line else ">" for line in self.text.strip().splitlines())
        return (f"### Vignette: {self.title}\n\n*{self.genre.capitalize()}.* **{self.notice}**\n\n{quoted}\n\n"
                f"Review it with the {STAGE_TITLES[self.stage].lower()} checklist below.")

    def _repr_markdown_(self) -> str:
        return self.to_markdown()


def _vignette_file(stage: str, suffix: str) -> Path:
    path = VIGNETTE_DIR / f"{check_stage(stage)}{suffix}"
    if not path.is_file():
        raise InputError("vignette file missing from the installed package", path=path,
                         remedy="reinstall misyn-lab")
    return path


def vignette(stage: str) -> Vignette:
    """The vignette of one stage.

    Parameters
    ----------
    stage : str
        ``"technical_standards"`` ... ``"oversight"``.

    Returns
    -------
    Vignette
        The fictional text.

    Raises
    ------
    InputError
        An unknown stage.

    Examples
    --------
    >>> vignette("technical_standards").stage
    'technical_standards'
    """
    path = _vignette_file(stage, ".yaml")
    data = load_file(path, what="vignette file")
    missing = [f for f in _FIELDS if not isinstance(data, dict) or not str(data.get(f) or "").strip()]
    if missing:
        raise SchemaError(f"vignette fields missing or empty: {', '.join(missing)}", path=path,
                          remedy="give every vignette " + ", ".join(_FIELDS))
    if data["stage"] != check_stage(stage):
        raise SchemaError(f"field stage is {data['stage']!r}, expected {stage!r}", path=path,
                          remedy="name the file after its stage")
    return Vignette(**{f: str(data[f]) for f in _FIELDS})


@cache
def _key_data(stage: str) -> dict[str, Any]:
    return Review.load(_vignette_file(stage, ".key.yaml")).to_data()


def vignette_key(stage: str | None = None) -> Review:
    """The answer key of one stage's vignette, or of all five merged into one review.

    Parameters
    ----------
    stage : str, optional
        The stage; ``None``: all five.

    Returns
    -------
    Review
        Answered by the reviewer ``"answer key"``.

    Examples
    --------
    >>> key = vignette_key("technical_standards")
    >>> key.reviewers, len(key.answers)
    (['answer key'], 8)
    """
    stages = list(STAGES) if stage is None else [check_stage(stage)]
    keys = [Review.from_data(_key_data(s)) for s in stages]
    for s, key in zip(stages, keys):
        key.path = _vignette_file(s, ".key.yaml")
    return keys[0] if len(keys) == 1 else merge_reviews(*keys)


# ---------------------------------------------------------------------- feedback
@dataclass(frozen=True)
class Feedback:
    """Item-level feedback of one reviewer against a key for one stage (from :func:`feedback`).

    Parameters
    ----------
    stage, reviewer : str
        The stage and the reviewer.
    table : pandas.DataFrame
        One row per item (``item, title, your answer, your reason, key answer, key reason, outcome, feedback``).
    counts : dict
        Every outcome with its number of items.

    Examples
    --------
    >>> from misyn_lab.checklist import Review
    >>> review = Review.new("vignettes", reviewer="ana")
    >>> _ = review.set_answer("TS-1", "ana", "yes", "It says synthetic.")
    >>> feedback(review, None, "technical_standards").counts["unanswered"]
    7
    """

    stage: str
    reviewer: str
    table: pd.DataFrame
    counts: dict[str, int]

    @property
    def answered(self) -> int:
        return len(self.table) - self.counts["unanswered"]

    @property
    def summary(self) -> str:
        """One sentence with the measured counts."""
        n = len(self.table)
        if not self.answered:
            return (f"{self.reviewer} has not answered any of the {n} {STAGE_TITLES[self.stage].lower()} items "
                    "yet: answer them first; the key stays hidden until then.")
        parts = [f"{OUTCOME_LABELS[o]}: {self.counts[o]}" for o in OUTCOMES
                 if o != "unanswered" and self.counts[o]]
        tail = (f" {self.counts['unanswered']} not answered yet: their key stays hidden."
                if self.counts["unanswered"] else "")
        share = self.counts["agreed"] / self.answered
        return (f"{self.reviewer} answered {self.answered} of {n} items; {share:.0%} agree with the key ("
                + ", ".join(parts) + ")." + tail)

    def to_section(self) -> render.Section:
        """The summary and the item table as a document section (answers as badges in words)."""
        rows = [[r["item"], r["title"], answer_badge(r["your answer"]) if r["your answer"] else "",
                 answer_badge(r["key answer"]) if r["key answer"] else "", r["outcome"], r["feedback"]]
                for r in self.table.to_dict("records")]
        return render.Section(f"Vignette feedback: {STAGE_TITLES[self.stage]}", [
            render.Paragraph(render.strong(self.summary)),
            render.Table(["Item", "Title", "Your answer", "Key answer", "Outcome", "Feedback"], rows)],
            role="misyn-feedback")

    def to_html(self) -> str:
        """The summary and the table as HTML (every value escaped)."""
        return render.to_html(self.to_section(), level=4)

    def _repr_html_(self) -> str:
        return self.to_html()


def _message(outcome: str, status: str | None, key_status: str, reason: str) -> str:
    word = {"not_applicable": "N/A"}.get(key_status, key_status)
    mine = {"not_applicable": "N/A"}.get(status or "", status or "")
    if outcome == "agreed":
        return f"Agreed ({word}). The key's reason: {reason}"
    if outcome == "missed_gap":
        return f"Missed gap: you said yes, the key says {word}. {reason}"
    if outcome == "extra_flag":
        return (f"You flagged a gap ({mine}) the key does not see (key: yes). The key's reason: {reason} "
                "Check whether the text supports your concern.")
    if outcome == "not_applicable":
        if status == "not_applicable":
            return f"You marked it N/A, but the key says the item applies ({word}). {reason}"
        return f"The key marks it N/A: {reason} You answered {mine}."
    if outcome == "unknown":
        if status == "unknown":
            return f"You said it cannot be judged (unknown); the key judges it ({word}). {reason}"
        return f"The key says it cannot be judged from the text (unknown): {reason} You answered {mine}."
    if outcome == "degree":
        return f"Both of you see a gap; you said {mine}, the key says {word}. {reason}"
    return "Not answered yet: answer it to see the key."


def feedback(review: Review, key: Review | None, stage: str, *, reviewer: str | None = None) -> Feedback:
    """Compare a reviewer's answers with a key, item by item, for one stage.

    Unanswered items keep the key's answer and reason hidden.

    Parameters
    ----------
    review : Review
        The reviewer's answers.
    key : Review or None
        The key (``None``: the stage's vignette key).
    stage : str
        The stage.
    reviewer : str, optional
        May be left out when exactly one reviewer answered in ``review``.

    Returns
    -------
    Feedback
        The table and the counts per outcome (agreed, missed gap, extra flag ...).

    Raises
    ------
    InputError
        An unknown stage, or no reviewer given when several answered.

    Examples
    --------
    >>> from misyn_lab.checklist import Review
    >>> review = Review.new("vignettes", reviewer="ana")
    >>> _ = review.set_answer("TS-1", "ana", "yes", "It says synthetic.")
    >>> result = feedback(review, None, "technical_standards")
    >>> result.table.loc[0, ["item", "outcome"]].tolist()
    ['TS-1', 'missed gap']
    """
    stage = check_stage(stage)
    key = vignette_key(stage) if key is None else key
    if reviewer is None:
        names = answering_reviewers(review)
        if len(names) > 1:
            raise InputError(f"several reviewers answered ({', '.join(names)}); say whose answers to compare",
                             remedy="pass reviewer='name'")
        reviewer = names[0] if names else (review.reviewers[0] if review.reviewers else "student")
    items = [it.id for it in key.checklist.by_stage(stage)]
    cmp = compare_to_key(review, reviewer, key, items)
    kname = key_reviewer(key)
    rows = []
    for r in cmp.itertuples():
        mine = review.answers.get(r.item, {}).get(reviewer)
        reason = key.answers[r.item][kname].justification
        hidden = r.outcome == "unanswered"
        rows.append({"item": r.item, "title": key.checklist.item(r.item).title,
                     "your answer": r.status or "", "your reason": "" if mine is None else mine.justification,
                     "key answer": "" if hidden else r.key_status, "key reason": "" if hidden else reason,
                     "outcome": OUTCOME_LABELS[r.outcome],
                     "feedback": _message(r.outcome, r.status, r.key_status, reason)})
    counts = {o: int((cmp["outcome"] == o).sum()) for o in OUTCOMES}
    return Feedback(stage=stage, reviewer=reviewer, table=pd.DataFrame(rows), counts=counts)


__all__ = ["OUTCOME_LABELS", "VIGNETTE_DIR", "Feedback", "Vignette", "feedback", "vignette",
           "vignette_key"]
