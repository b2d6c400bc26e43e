"""Quiz feedback, and the display helpers (attach results to a checklist widget, show a figure)."""

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


def test_quiz_gives_immediate_feedback():
    q = Quiz("Which limit?", ["L1", "L2", "L3"], "L2", "Subgroups get thinned.")
    q.choice.value = "L1"
    assert "Not quite" in q.feedback.value and "Subgroups" not in q.feedback.value
    q.choice.value = "L2"
    assert "Correct" in q.feedback.value and "Subgroups get thinned." in q.feedback.value
    assert q.attempts == ["L1", "L2"]
    static = q._repr_mimebundle_()
    assert "Answer: L2" in static["text/plain"] and "Which limit?" in static["text/html"]


def test_quiz_bad_input():
    with pytest.raises(InputError, match="at least two unique options"):
        Quiz("q", ["a", "a"], 0, "x")
    with pytest.raises(InputError, match="answer 'c' is not one of the options"):
        Quiz("q", ["a", "b"], "c", "x")
    with pytest.raises(InputError, match="answer index 5 is outside 0..1"):
        Quiz("q", ["a", "b"], 5, "x")


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
