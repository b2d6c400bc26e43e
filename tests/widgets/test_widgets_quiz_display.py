"""Quiz feedback (every option explained after a choice, nothing given away before), and the display helpers
(attach results to a checklist widget, show a figure)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from misyn_lab.checklist.review import Review  # noqa: E402
from misyn_lab.errors import InputError  # noqa: E402
from misyn_lab.metrics.result import MetricResult  # noqa: E402
from misyn_lab.widgets.checklist import ChecklistWidget  # noqa: E402
from misyn_lab.widgets.display import attach_matching, show_figure  # noqa: E402
from misyn_lab.widgets.quiz import Quiz  # noqa: E402

WHY = ["L1 is about single images.", "Subgroups get thinned.", "L3 is the shift that follows."]


def test_quiz_gives_immediate_feedback_with_every_options_explanation():
    q = Quiz("Which limit?", ["L1", "L2", "L3"], "L2", WHY)
    assert q.feedback.value == "<i>Choose an answer.</i>"
    q.choice.value = "L1"
    assert "Not quite. L1 is about single images. Try another option." in q.feedback.value
    assert "Subgroups" not in q.feedback.value and "L3 is the shift" not in q.feedback.value  # answer not given
    q.choice.value = "L2"
    assert "✓ Correct. Subgroups get thinned." in q.feedback.value
    assert "<li><i>L1</i>: L1 is about single images.</li>" in q.feedback.value  # why not the others
    assert "<li><i>L3</i>: L3 is the shift that follows.</li>" in q.feedback.value
    assert q.attempts == ["L1", "L2"]
    mapped = Quiz("Which limit?", ["L1", "L2", "L3"], 1, dict(zip(["L3", "L1", "L2"], [WHY[2], WHY[0], WHY[1]])))
    assert mapped.feedback_text("L3") == "Not quite. L3 is the shift that follows. Try another option."


def test_static_quiz_does_not_give_the_answer_away():
    q = Quiz("Which limit?", ["L1", "L2", "L3"], "L2", WHY)
    static = q._repr_mimebundle_()
    assert static["text/plain"] == ("Self-check: Which limit?\n  A. L1\n  B. L2\n  C. L3\n"
                                    "(Run the notebook to check your answer; it is not shown here.)")
    html = static["text/html"]
    before, rest = html.split("<details>", 1)
    assert '<ol type="A"><li>L1</li><li>L2</li><li>L3</li></ol>' in before
    assert not any(why in before for why in WHY) and "Answer" not in before
    assert "<details open" not in html and rest.startswith("<summary>Show answer</summary>")
    assert "Answer: <strong>B. L2</strong>" in rest and all(why in rest for why in WHY)
    assert "<li><strong>A</strong> (not right): L1 is about single images.</li>" in rest
    assert 'class="misyn-quiz"' in before


def test_quiz_from_the_bank_shows_bank_order_and_explanations():
    from misyn_lab.workbook.quiz_bank import get_quiz

    q = Quiz.from_bank("04-memorisation")
    bank = get_quiz("04-memorisation")
    assert q.quiz_id == "04-memorisation" and q.question == bank.question
    assert q.options == [o.text for o in bank.options] and q.answer == bank.answer.text
    assert q.options.index(q.answer) == 3
    nn = next(o for o in q.options if "nearest-neighbour" in o)
    q.choice.value = nn
    assert "That is detection, not prevention" in q.feedback.value and "✗" in q.feedback.value
    with pytest.raises(InputError, match="no quiz '04-memorization' in the quiz bank; did you mean"):
        Quiz.from_bank("04-memorization")


def test_quiz_bad_input():
    with pytest.raises(InputError, match="at least two unique options"):
        Quiz("q", ["a", "a"], 0, ["x", "y"])
    with pytest.raises(InputError, match="answer 'c' is not one of the options"):
        Quiz("q", ["a", "b"], "c", ["x", "y"])
    with pytest.raises(InputError, match="answer index 5 is outside 0..1"):
        Quiz("q", ["a", "b"], 5, ["x", "y"])
    with pytest.raises(InputError) as err:
        Quiz("q", ["a", "b"], 0, "one explanation for all")
    assert str(err.value) == ("Quiz.explanations: a quiz needs one explanation per option (2), got 1 "
                              "(fix: say for each option why it is right or why not)")
    with pytest.raises(InputError, match=r"options without an explanation: \['b'\]"):
        Quiz("q", ["a", "b"], 0, ["x", " "])
    with pytest.raises(InputError, match=r"explanations must name exactly the options; missing \['b'\]"):
        Quiz("q", ["a", "b"], 0, {"a": "x", "c": "y"})


def _results() -> list[MetricResult]:
    n = {"real": 10, "synthetic": 12}
    return [MetricResult(key, 0.5, n) for key in ("prdc.coverage", "mmd.rbf", "unused.key")]


def test_attach_matching_uses_item_metric_keys(tmp_path: Path):
    path = tmp_path / "rev.yaml"
    widget = ChecklistWidget(Review.new(), "evaluation", reviewer="ann", path=path, debounce_s=0)
    attached = attach_matching(widget, _results())
    wanting = {it.id for it in widget.checklist.by_stage("evaluation")
               if {"prdc.coverage", "mmd.rbf"} & set(it.metric_keys)}
    assert set(attached) == wanting and wanting
    stored = {rec["key"] for rec in Review.load(path).evidence.values()}
    assert stored == {"prdc.coverage", "mmd.rbf"}  # a key no item names is not attached
    with pytest.raises(InputError, match="expected MetricResult objects, got dict"):
        attach_matching(widget, [{"key": "prdc.coverage"}])


def test_show_figure_needs_a_takeaway(monkeypatch):
    from matplotlib.figure import Figure

    from misyn_lab.viz.memorisation import copy_ratio_histogram

    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    with pytest.raises(InputError, match="needs a one-line takeaway"):
        show_figure(Figure(), " ")
    with pytest.raises(InputError, match="needs a one-line takeaway"):
        show_figure(Figure())  # neither a takeaway nor a viz figure
    fig = copy_ratio_histogram([0.2, 1.0, 1.3], 0.5)
    n_texts = len(fig.texts)
    show_figure(fig)  # a viz figure carries its own takeaway: nothing is added
    assert len(fig.texts) == n_texts and len(shown) == 1 and shown[0].data[:4] == b"\x89PNG"
    plain = Figure()
    plain.subplots().plot([0, 1])
    show_figure(plain, "a line")
    assert "Takeaway: a line" in [t.get_text() for t in plain.texts] and len(shown) == 2
