"""Autosave of typed answers: debounced saves driven by a fake timer and clock (file contents asserted, never
wall-clock timings), the "unsaved"/"saved" label, saves on close, process exit and kernel restart."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from misyn_lab.checklist.review import Review
from misyn_lab.errors import InputError
from misyn_lab.widgets.autosave import AnswerAutosave, flush_all
from misyn_lab.widgets.checklist import STATUS_CSS, ChecklistWidget, stage_progress


class FakeTimer:
    def __init__(self, interval: float, fn):
        self.interval, self.fn = interval, fn
        self.started = self.cancelled = self.fired = False

    def start(self) -> None:
        self.started = True

    def cancel(self) -> None:
        self.cancelled = True


class FakeTimers:
    """A timer factory that never fires by itself: the test fires the one live timer."""

    def __init__(self):
        self.made: list[FakeTimer] = []

    def __call__(self, interval: float, fn) -> FakeTimer:
        timer = FakeTimer(interval, fn)
        self.made.append(timer)
        return timer

    @property
    def live(self) -> list[FakeTimer]:
        return [t for t in self.made if t.started and not t.cancelled and not t.fired]

    def fire(self) -> None:
        (timer,) = self.live
        timer.fired = True
        timer.fn()


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _widget(path: Path, timers: FakeTimers, clock: FakeClock | None = None, reviewer: str = "ann",
            debounce_s: float = 0.5) -> ChecklistWidget:
    review = Review.load(path) if path.exists() else Review.new("test")
    widget = ChecklistWidget(review, "evaluation", reviewer=reviewer, path=path, debounce_s=debounce_s)
    # the same widget, with the timer and clock of the test
    widget.autosave.close()
    widget.autosave = AnswerAutosave(review, path, delay_s=debounce_s, max_wait_s=5.0,
                                     on_status=widget._show_state, on_saved=widget._after_save,
                                     timer_factory=timers, clock=clock or FakeClock())
    return widget


def _setup(tmp_path: Path):
    """``(review path, fake timers, widget, first item id, its view)`` for a fresh review."""
    path, timers = tmp_path / "review.yaml", FakeTimers()
    w = _widget(path, timers)
    item = next(iter(w.items))
    return path, timers, w, item, w.items[item]


def _type(view, text: str, start: str = "") -> None:
    """Type ``text`` one key at a time, as a text box with continuous_update=True reports it."""
    for i in range(1, len(text) + 1):
        view.justification.value = start + text[:i]


def _on_disk(path: Path, item: str, reviewer: str = "ann") -> tuple[str, str] | None:
    if not path.exists():
        return None
    ans = Review.load(path).answer(item, reviewer)
    return None if ans is None else (ans.status, ans.justification)


def test_typing_is_saved_after_the_quiet_period_in_one_history_entry(tmp_path: Path):
    path, timers, w, item, view = _setup(tmp_path)
    view.status.value = "yes"
    _type(view, "Table 2 of the paper")
    assert not path.exists() and w.state_text.startswith("unsaved") and not w.saved
    assert 'data-state="unsaved"' in w.state.value
    assert len(timers.live) == 1 and timers.live[0].interval == 0.5  # each key restarted the quiet period
    timers.fire()
    assert _on_disk(path, item) == ("yes", "Table 2 of the paper")
    assert w.state_text.startswith("saved") and w.saved and 'data-state="saved"' in w.state.value
    assert [h["what"] for h in Review.load(path).history].count(f"answer {item}") == 1  # not one per key


def test_continuous_typing_is_saved_by_max_wait(tmp_path: Path):
    path, timers, clock = tmp_path / "review.yaml", FakeTimers(), FakeClock()
    w = _widget(path, timers, clock)
    item = next(iter(w.items))
    view = w.items[item]
    view.status.value = "partly"
    text = "fidelity measured on held-out real images; subgroups not yet"
    for i in range(1, len(text) + 1):  # a key every 0.2 s: the quiet period never passes
        clock.now = 0.2 * i
        view.justification.value = text[:i]
        if clock.now >= 5.0:
            break
    typed = view.justification.value
    assert timers.live[0].interval == 0.0  # 5 s after the first unsaved key the save is due now
    timers.fire()
    assert _on_disk(path, item) == ("partly", typed) and typed != text
    clock.now += 0.2
    _type(view, text[len(typed):], start=typed)
    timers.fire()
    assert _on_disk(path, item) == ("partly", text)


def test_keys_arriving_during_a_save_keep_the_label_unsaved(tmp_path: Path, monkeypatch):
    path, timers, w, item, view = _setup(tmp_path)
    view.status.value = "yes"
    _type(view, "Fig. 3")
    real_save = Review.save

    def save_with_a_key_pressed_meanwhile(self, *args, **kwargs):
        monkeypatch.setattr(Review, "save", real_save)
        view.justification.value = "Fig. 3 and"  # the kernel's main thread receives a key mid-save
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(Review, "save", save_with_a_key_pressed_meanwhile)
    timers.fire()
    assert _on_disk(path, item) == ("yes", "Fig. 3")
    assert w.state_text.startswith("unsaved") and not w.saved  # "Fig. 3 and" is not on disk yet
    timers.fire()
    assert _on_disk(path, item) == ("yes", "Fig. 3 and") and w.saved


def _expected(view) -> list:
    """What the file may hold for what is on screen (no status: a note, or nothing if no text was ever kept)."""
    shown = (view.status.value or "unanswered", view.justification.value)
    return [shown, None] if shown == ("unanswered", "") else [shown]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(st.tuples(st.just("key"), st.sampled_from("ab ")),
                          st.tuples(st.just("back"), st.just("")),
                          st.tuples(st.just("status"), st.sampled_from(["yes", "partly", "no"])),
                          st.tuples(st.just("fire"), st.just("")),
                          st.tuples(st.just("flush"), st.just(""))), min_size=1, max_size=25))
def test_label_never_says_saved_before_the_text_is_on_disk(tmp_path_factory, ops):
    path, timers = tmp_path_factory.mktemp("rev") / "review.yaml", FakeTimers()
    w = _widget(path, timers)
    item = next(iter(w.items))
    view = w.items[item]
    checks: list[bool] = []
    show = w.autosave._on_status

    def spy(status):
        show(status)
        if status.kind == "saved":  # at the moment the label turns "saved", the file holds what is on screen
            checks.append(_on_disk(path, item) in _expected(view))

    w.autosave._on_status = spy
    for op, arg in ops:
        if op == "key":
            view.justification.value += arg
        elif op == "back":
            view.justification.value = view.justification.value[:-1]
        elif op == "status":
            view.status.value = arg
        elif op == "fire" and timers.live:
            timers.fire()
        elif op == "flush":
            w.flush()
    assert all(checks)
    w.flush()
    assert w.saved and _on_disk(path, item) in _expected(view)


def test_a_failed_save_keeps_the_text_and_the_next_flush_writes_it(tmp_path: Path):
    blocker = tmp_path / "reviews"
    blocker.write_text("not a folder")
    path, timers = blocker / "review.yaml", FakeTimers()
    w = _widget(path, timers)
    item = next(iter(w.items))
    w.items[item].status.value = "no"
    _type(w.items[item], "no held-out set")
    timers.fire()
    assert w.state_text.startswith("NOT saved") and not w.saved and 'data-state="failed"' in w.state.value
    blocker.unlink()
    blocker.mkdir()
    assert w.flush() is True
    assert _on_disk(path, item) == ("no", "no held-out set") and w.state_text.startswith("saved")


def test_text_typed_before_choosing_a_status_is_kept(tmp_path: Path):
    path, timers, w, item, view = _setup(tmp_path)
    _type(view, "ask the authors about the split")
    timers.fire()
    assert _on_disk(path, item) == ("unanswered", "ask the authors about the split")
    again = _widget(path, FakeTimers())
    assert again.items[item].justification.value == "ask the authors about the split"
    assert again.items[item].status.value is None and "none chosen yet" in again.items[item].chosen.value
    answered, _, _ = stage_progress(again.review, again.checklist.by_stage("evaluation"), "ann")
    assert answered == 0  # a note is not an answer
    assert "not answered yet" in again.static_html() and "ask the authors about the split" in again.static_html()


def test_close_saves_pending_text(tmp_path: Path):
    path = tmp_path / "review.yaml"
    w = ChecklistWidget(Review.new("t"), "evaluation", reviewer="ann", path=path, debounce_s=60)  # real timer
    item = next(iter(w.items))
    w.items[item].status.value = "yes"
    _type(w.items[item], "DICOM tag set")
    assert not path.exists()
    w.close()
    assert _on_disk(path, item) == ("yes", "DICOM tag set")


def test_flush_all_saves_every_live_autosave(tmp_path: Path):
    path, _, w, item, view = _setup(tmp_path)
    view.status.value = "no"
    assert not path.exists()
    assert all(flush_all())  # what runs at interpreter exit
    assert _on_disk(path, item) == ("no", "")


def test_process_exit_saves_pending_text(tmp_path: Path):
    path = tmp_path / "review.yaml"
    script = textwrap.dedent(f"""
        from misyn_lab.checklist.review import Review
        from misyn_lab.widgets.autosave import AnswerAutosave
        review = Review.new("exit")
        item = review.checklist.by_stage("design")[0].id
        saver = AnswerAutosave(review, {str(path)!r}, delay_s=60, max_wait_s=60)
        saver.edit(item, "ann", "partly", "typed just before the kernel stopped")
        print(item)
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    assert _on_disk(path, run.stdout.strip()) == ("partly", "typed just before the kernel stopped")


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_kernel_restart_saves_pending_text(tmp_path: Path):
    """A real IPython kernel: a widget with a long quiet period, a typed answer, then a kernel restart."""
    from jupyter_client.manager import start_new_kernel

    path = tmp_path / "review.yaml"
    km, kc = start_new_kernel(kernel_name="python3", cwd=str(tmp_path))
    try:
        code = textwrap.dedent(f"""
            from misyn_lab.checklist.review import Review
            from misyn_lab.widgets.checklist import ChecklistWidget
            w = ChecklistWidget(Review.new("k"), "oversight", reviewer="ann", path={str(path)!r}, debounce_s=60)
            view = next(iter(w.items.values()))
            view.status.value = "yes"
            view.justification.value = "typed, then the kernel was restarted"
            print(view.item.id, w.state_text)
        """)
        reply = kc.execute_interactive(code, timeout=120)
        assert reply["content"]["status"] == "ok", reply["content"]
        assert not path.exists()  # still within the quiet period
        km.restart_kernel(now=False)
        kc.wait_for_ready(timeout=120)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    item = Review.load(path).checklist.by_stage("oversight")[0].id
    assert _on_disk(path, item) == ("yes", "typed, then the kernel was restarted")


def test_chosen_status_is_marked_by_tick_fill_and_words(tmp_path: Path):
    _, _, w, _, view = _setup(tmp_path)
    assert list(view.status.icons) == ["", "", "", "", ""] and "none chosen yet" in view.chosen.value
    view.status.value = "not_applicable"
    assert list(view.status.icons) == ["", "", "", "check", ""]
    assert "Your answer: <b>✓ N/A</b>" in view.chosen.value and 'data-status="not_applicable"' in view.chosen.value
    assert isinstance(w.children[0].value, str) and w.children[0].value == STATUS_CSS
    assert ".misyn-status" in STATUS_CSS and "mod-active" in STATUS_CSS and "background:#0d47a1" in STATUS_CSS
    assert view.status.tooltips[3].startswith("N/A: does not apply here")
    assert view.justification.continuous_update is True


def test_static_fallback_shows_the_saved_answers(tmp_path: Path):
    path, timers = tmp_path / "review.yaml", FakeTimers()
    w = _widget(path, timers)
    first, second = list(w.items)[:2]
    w.items[first].status.value = "yes"
    _type(w.items[first], "Table 4")
    w.items[second].justification.value = "no such data"
    w.items[second].status.value = "not_applicable"
    assert "unsaved changes" in w.static_html()
    timers.fire()
    html = ChecklistWidget(Review.load(path), "evaluation", reviewer="ann", path=path).static_html()
    assert f"<td>{first} " in html and "<td>Yes</td><td>Table 4</td>" in html
    assert "<td>N/A</td><td>no such data</td>" in html and "not_applicable" not in html
    assert f"saved to <code>{path}</code>" in html


def test_bad_autosave_input(tmp_path: Path):
    with pytest.raises(InputError) as err:
        AnswerAutosave(Review.new(), None, delay_s=2, max_wait_s=1)
    assert str(err.value) == ("AnswerAutosave: autosave needs 0 <= delay_s <= max_wait_s, got delay_s=2, "
                              "max_wait_s=1 (fix: pass e.g. delay_s=0.5, max_wait_s=5)")
    saver = AnswerAutosave(Review.new(), tmp_path / "r.yaml", timer_factory=FakeTimers())
    with pytest.raises(InputError, match="unknown checklist item 'EV-99'"):
        saver.edit("EV-99", "ann", "yes", "x")
    item = saver.review.checklist.by_stage("evaluation")[0].id
    with pytest.raises(InputError, match=f"item {item}: status 'not_applicable' needs a reason"):
        saver.edit(item, "ann", "not_applicable", "  ")
    with pytest.raises(InputError, match="unknown answer status 'maybe'"):
        saver.edit(item, "ann", "maybe", "x")
    assert saver.flush() is True and not (tmp_path / "r.yaml").exists()  # nothing to save: no file
    assert saver.drafts() == {} and saver.status.kind == "clean"
    saver.edit(item, "ann", "N/A", "no images of that kind")  # statuses are stored in their canonical form
    assert saver.drafts() == {(item, "ann"): ("not_applicable", "no images of that kind")}
    saver.close()
    assert saver.review.answer(item, "ann").status == "not_applicable"
    assert Review.load(tmp_path / "r.yaml").answer(item, "ann").justification == "no images of that kind"


def test_two_widgets_over_one_review_share_its_save_lock(tmp_path: Path):
    from misyn_lab.widgets.autosave import review_lock

    review = Review.new("shared")
    a = ChecklistWidget(review, "design", reviewer="ann", path=tmp_path / "r.yaml", debounce_s=0)
    b = ChecklistWidget(review, "evaluation", reviewer="bob", path=tmp_path / "r.yaml", debounce_s=0)
    assert a.autosave._save_lock is b.autosave._save_lock is review_lock(review)
    assert review_lock(Review.new("other")) is not review_lock(review)
    next(iter(a.items.values())).status.value = "no"
    next(iter(b.items.values())).status.value = "no"
    saved = Review.load(tmp_path / "r.yaml")
    assert {r for per in saved.answers.values() for r in per} == {"ann", "bob"}
