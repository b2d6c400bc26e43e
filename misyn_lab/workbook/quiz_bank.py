"""The workbook's self-check questions as data (``quizzes.yaml``): load and check the bank, order the options.

A notebook cell shows a quiz with ``Quiz.from_bank("04-memorisation")`` (:mod:`misyn_lab.widgets.quiz`), so
the answer and the explanations are not in the notebook. Each option carries ``why``: why it is right, or why
not. Options are shown in an order fixed by the quiz id (:func:`display_order`), so the right answer is not
always in the same place and every run, machine and printout shows the same order.

>>> bank = load_bank()
>>> quiz = bank["04-memorisation"]
>>> quiz.notebook, len(quiz.options), sum(o.correct for o in quiz.options)
('04_design', 4, 1)
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from misyn_lab.checklist.loader import suggest
from misyn_lab.checklist.schema_check import schema_problem
from misyn_lab.checklist.yaml_io import load_file
from misyn_lab.errors import InputError, SchemaError

#: The bank shipped with the package, and its JSON schema.
BANK_PATH = Path(__file__).with_name("quizzes.yaml")
SCHEMA_PATH = Path(__file__).with_name("quizzes.schema.json")


@dataclass(frozen=True)
class QuizOption:
    """One choice: its text, why it is right or wrong, and whether it is the right answer."""

    text: str
    why: str
    correct: bool = False


@dataclass(frozen=True)
class QuizQuestion:
    """A self-check question with its options in display order."""

    id: str
    notebook: str
    question: str
    options: tuple[QuizOption, ...]

    @property
    def answer_index(self) -> int:
        """Position of the right option in :attr:`options`."""
        return next(i for i, o in enumerate(self.options) if o.correct)

    @property
    def answer(self) -> QuizOption:
        return self.options[self.answer_index]


def display_order(quiz_id: str, n: int) -> list[int]:
    """Positions ``0..n-1`` in the order a quiz shows them: sorted by a SHA-256 of the quiz id and the position,
    so the order is fixed by the id (the same on every machine and Python version) but differs between quizzes."""
    return sorted(range(n), key=lambda i: hashlib.sha256(f"{quiz_id}\n{i}".encode()).hexdigest())


def parse_bank(data: Any, path: str | Path = "<quiz bank>") -> dict[str, QuizQuestion]:
    """Check parsed bank data (schema, unique ids, unique options, exactly one right option per quiz) and return
    ``{id: QuizQuestion}`` with options in display order. Raises :class:`SchemaError` naming the field."""
    problem = schema_problem(data, SCHEMA_PATH)
    if problem is not None:
        where, msg = problem
        field = ".".join(str(p) for p in where) or "top level"
        raise SchemaError(f"field {field}: {msg}", path=path, remedy=f"fix that field (see {SCHEMA_PATH.name})")
    bank: dict[str, QuizQuestion] = {}
    for i, quiz in enumerate(data["quizzes"]):
        here = f"quizzes.{i}"
        if quiz["id"] in bank:
            raise SchemaError(f"field {here}.id: duplicate quiz id {quiz['id']!r}", path=path,
                              remedy="give every quiz its own id")
        texts = [o["text"] for o in quiz["options"]]
        twice = sorted({t for t in texts if texts.count(t) > 1})
        if twice:
            raise SchemaError(f"field {here}.options: option text repeated: {twice}", path=path,
                              remedy="make every option of a quiz different")
        n_right = sum(bool(o.get("correct")) for o in quiz["options"])
        if n_right != 1:
            raise SchemaError(f"field {here}.options: {n_right} options are marked correct; exactly one must be",
                              path=path, remedy="mark the one right option with 'correct: true'")
        options = [QuizOption(o["text"], " ".join(o["why"].split()), bool(o.get("correct")))
                   for o in quiz["options"]]
        order = display_order(quiz["id"], len(options))
        bank[quiz["id"]] = QuizQuestion(quiz["id"], quiz["notebook"], " ".join(quiz["question"].split()),
                                        tuple(options[j] for j in order))
    return bank


def _load(path: Path) -> dict[str, QuizQuestion]:
    return parse_bank(load_file(path, what="quiz bank"), path)


@lru_cache(maxsize=1)
def _shipped() -> dict[str, QuizQuestion]:
    return _load(BANK_PATH)


def load_bank(path: str | Path | None = None) -> dict[str, QuizQuestion]:
    """The quiz bank at ``path`` (default: the one shipped with the package, read once), checked;
    ``{id: QuizQuestion}``."""
    return dict(_shipped() if path is None else _load(Path(path)))


def get_quiz(quiz_id: str, path: str | Path | None = None) -> QuizQuestion:
    """One quiz of the bank by id; an unknown id raises :class:`InputError` with the closest ids."""
    bank = load_bank(path)
    if quiz_id not in bank:
        raise InputError(f"no quiz {quiz_id!r} in the quiz bank{suggest(str(quiz_id), list(bank))}",
                         path=BANK_PATH if path is None else path,
                         remedy="use one of the ids in the quiz bank, e.g. " + ", ".join(list(bank)[:3]))
    return bank[quiz_id]
