"""The quiz bank: it ships, every workbook quiz cell names one of its quizzes (and nothing else), every option
explains itself, the right answers sit in varied positions, and a broken bank is refused with a clear error."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from misyn_lab import notebooks
from misyn_lab.checklist.loader import load_checklist
from misyn_lab.errors import InputError, SchemaError
from misyn_lab.workbook.quiz_bank import BANK_PATH, display_order, get_quiz, load_bank, parse_bank

STAGE_NOTEBOOKS = ["00_start_here", "01_intrinsic_limits", "02_technical_standards", "03_problem_formulation",
                   "04_design", "05_evaluation", "06_oversight"]
QUIZ_CELL = re.compile(r'Quiz\.from_bank\("([0-9a-z-]+)"\)')


def _quiz_cells(name: str) -> list[str]:
    return [c.source for c in notebooks.read(name).cells if c.cell_type == "code" and "Quiz" in c.source
            and "import" not in c.source]


def test_bank_ships_inside_the_package_and_parses():
    assert BANK_PATH.parent.name == "workbook" and BANK_PATH.name == "quizzes.yaml"
    bank = load_bank()
    assert list(bank) == ["00-limits", "01-l1-detail", "01-l2-subgroup", "01-l3-detector", "02-marking",
                          "03-problem", "04-memorisation", "05-tstr", "06-trust"]
    for quiz in bank.values():
        assert sum(o.correct for o in quiz.options) == 1 and len(quiz.options) >= 3
        assert all(o.why.strip() and o.text.strip() for o in quiz.options)  # every option explains itself
        assert quiz.notebook in STAGE_NOTEBOOKS


def test_quiz_cells_hold_only_a_bank_id():
    used: list[tuple[str, str]] = []
    for name in STAGE_NOTEBOOKS:
        cells = _quiz_cells(name)
        assert cells, f"{name}: no quiz cell"
        for src in cells:
            match = QUIZ_CELL.fullmatch(src.strip())
            assert match, f"{name}: a quiz cell must be only Quiz.from_bank(\"id\"), got {src!r}"
            used.append((name, match.group(1)))
    bank = load_bank()
    assert sorted(q for _, q in used) == sorted(bank)  # every quiz used once, no unknown id
    assert all(bank[q].notebook == name for name, q in used)
    for name in STAGE_NOTEBOOKS:  # no explanation sits in the notebook, nor an answer in its code
        text = notebooks.source_path(name).read_text(encoding="utf-8")
        code = "\n".join(c.source for c in notebooks.read(name).cells if c.cell_type == "code")
        for quiz in bank.values():
            assert not any(o.why in text for o in quiz.options) and quiz.answer.text not in code


def test_right_answers_are_in_varied_positions():
    positions = Counter(q.answer_index for q in load_bank().values())
    assert len(positions) >= 3, positions
    assert max(positions.values()) <= len(load_bank()) // 2, positions
    assert dict(positions) == {1: 3, 2: 3, 3: 1, 0: 2}


def test_display_order_is_fixed_by_the_id():
    assert display_order("04-memorisation", 4) == [2, 1, 3, 0]
    assert display_order("x", 3) == [2, 0, 1]
    assert display_order("04-memorisation", 4) == display_order("04-memorisation", 4)
    assert sorted(display_order("any-id", 7)) == list(range(7))
    raw = yaml.safe_load(BANK_PATH.read_text(encoding="utf-8"))["quizzes"]
    mem = next(q for q in raw if q["id"] == "04-memorisation")
    shown = [o.text for o in load_bank()["04-memorisation"].options]
    assert shown == [mem["options"][i]["text"] for i in [2, 1, 3, 0]]


def test_memorisation_quiz_agrees_with_de5():
    """Nearest-neighbour checks detect copies; design against memorisation prevents them (checklist DE-5)."""
    de5 = load_checklist().item("DE-5")
    assert "deduplicated training data" in de5.question and "plan a test for copies" in de5.question
    quiz = get_quiz("04-memorisation")
    right = quiz.answer
    assert right.text.startswith("Deduplicating the training images")
    assert "regularisation" in right.why and "differentially private training" in right.why
    nn = next(o for o in quiz.options if "nearest-neighbour" in o.text)
    assert not nn.correct and nn.why.startswith("That is detection, not prevention")
    post_hoc = next(o for o in quiz.options if o.text.startswith("Discarding generated images"))
    assert not post_hoc.correct and "post-hoc filters alone" in post_hoc.why
    assert "post-hoc filters alone" in de5.remedy


def _bank(tmp_path: Path, quizzes: list[dict], **top) -> Path:
    data = {"kind": "misyn-lab-quiz-bank", "version": 1, "quizzes": quizzes, **top}
    path = tmp_path / "bank.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _quiz(qid: str = "q-1", correct: tuple[bool, ...] = (True, False), texts: tuple[str, ...] = ("a", "b")) -> dict:
    return {"id": qid, "notebook": "00_start_here", "question": "Q?",
            "options": [{"text": t, "why": f"because {t}", **({"correct": True} if c else {})}
                        for t, c in zip(texts, correct)]}


@pytest.mark.parametrize("quizzes, top, message", [
    ([_quiz(), _quiz()], {}, "field quizzes.1.id: duplicate quiz id 'q-1' (fix: give every quiz its own id)"),
    ([_quiz(correct=(True, True))], {}, "field quizzes.0.options: 2 options are marked correct; exactly one must "
                                        "be (fix: mark the one right option with 'correct: true')"),
    ([_quiz(correct=(False, False))], {}, "field quizzes.0.options: 0 options are marked correct"),
    ([_quiz(texts=("a", "a"))], {}, "field quizzes.0.options: option text repeated: ['a']"),
    ([_quiz()], {"colour": "red"}, "field top level: unknown field 'colour'"),
    ([{**_quiz(), "options": [{"text": "a", "correct": True}, {"text": "b", "why": "x"}]}], {},
     "field quizzes.0.options.0: missing field 'why'"),
    ([_quiz(qid="Q 1")], {}, "field quizzes.0.id"),
])
def test_broken_banks_are_refused(tmp_path: Path, quizzes, top, message):
    path = _bank(tmp_path, quizzes, **top)
    with pytest.raises(SchemaError) as err:
        load_bank(path)
    assert str(err.value).startswith(f"{path}: {message}")


def test_unreadable_banks_and_unknown_ids(tmp_path: Path):
    with pytest.raises(InputError, match="quiz bank not found"):
        load_bank(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: [unclosed\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="malformed YAML in quiz bank at line 2"):
        load_bank(bad)
    with pytest.raises(InputError) as err:
        get_quiz("04-memorization")
    assert str(err.value) == (f"{BANK_PATH}: no quiz '04-memorization' in the quiz bank; did you mean "
                              "'04-memorisation'? (fix: use one of the ids in the quiz bank, e.g. 00-limits, "
                              "01-l1-detail, 01-l2-subgroup)")
    assert parse_bank(yaml.safe_load(_bank(tmp_path, [_quiz()]).read_text()))["q-1"].answer.text == "a"
