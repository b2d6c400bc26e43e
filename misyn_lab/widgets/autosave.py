"""`AnswerAutosave`: the save model behind the checklist widget (no ipywidgets here).

Typed answers are *drafts* until they are on disk. Each edit replaces the draft of one (item, reviewer) and
starts a quiet-period timer (``delay_s``, reset by every edit, but never postponed beyond ``max_wait_s`` after
the first unsaved edit); when it fires, the drafts are recorded in the :class:`~misyn_lab.checklist.Review`
(``set_answer``, one history entry per save, not per keystroke) and the review is written with
``Review.save`` (atomic, locked, merged with other reviewers' saves). :meth:`AnswerAutosave.flush` saves at
once; every live autosave is flushed when the Python process exits normally (a kernel restart or shutdown).

The status is ``"unsaved"`` from the first edit until a save that included that edit has finished, so it never
reads ``"saved"`` while typed text is not on disk. Edits arriving during a save (from the kernel's main thread
while the timer thread saves) stay drafts and keep the status ``"unsaved"``.
"""

from __future__ import annotations

import atexit
import threading
import time
import warnings
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from misyn_lab.checklist.answers import MissingJustificationWarning, make_answer
from misyn_lab.errors import InputError, MisynError
from misyn_lab.widgets import _review_access as ra

if TYPE_CHECKING:
    from misyn_lab.checklist.review import Review

#: Status kinds, in the order a session usually meets them.
KINDS: tuple[str, ...] = ("clean", "unsaved", "saved", "failed", "memory")


class _Timer(Protocol):
    def start(self) -> None: ...

    def cancel(self) -> None: ...


TimerFactory = Callable[[float, Callable[[], None]], _Timer]


@dataclass(frozen=True)
class SaveStatus:
    """Where the answers are: ``kind`` is one of :data:`KINDS`; ``text`` is the label a user reads.

    ``clean``: nothing changed in this session; ``unsaved``: drafts not yet on disk; ``saved``: every edit is on
    disk; ``failed``: the last save failed (``text`` says why; the drafts are kept and retried on the next edit
    or flush); ``memory``: no review file was given, changes live in memory only.
    """

    kind: str
    text: str

    @property
    def on_disk(self) -> bool:
        """True when nothing typed in this session is missing from the file."""
        return self.kind in ("clean", "saved")


def _status_text(kind: str, path: Path | None, detail: str = "") -> str:
    name = path.name if path is not None else ""
    if kind == "clean":
        return (f"saved: {name} is up to date" if path is not None and path.exists()
                else "nothing to save yet" + (f" (the first answer creates {name})" if name else ""))
    if kind == "unsaved":
        return "unsaved changes: saving…"
    if kind == "saved":
        return f"saved {time.strftime('%H:%M:%S')} to {name}"
    if kind == "failed":
        return f"NOT saved: {detail}"
    return "changed in memory only (no review file given)"


_LIVE: weakref.WeakSet[AnswerAutosave] = weakref.WeakSet()
_REVIEW_LOCKS: dict[int, threading.RLock] = {}
_REVIEW_LOCKS_GUARD = threading.Lock()


def review_lock(review: Review) -> threading.RLock:
    """The one save lock of a Review object, shared by every autosave (and widget) that holds it, so two
    widgets over the same review never record or save at the same time (released with the review)."""
    with _REVIEW_LOCKS_GUARD:
        lock = _REVIEW_LOCKS.get(id(review))
        if lock is None:
            lock = _REVIEW_LOCKS[id(review)] = threading.RLock()
            weakref.finalize(review, _REVIEW_LOCKS.pop, id(review), None)
        return lock


def flush_all() -> list[bool]:
    """Flush every live autosave of this process (registered with :mod:`atexit`); one result per autosave."""
    return [a.flush() for a in list(_LIVE)]


atexit.register(flush_all)


class AnswerAutosave:
    """Drafts of checklist answers, written to a review file within ``delay_s`` of the last edit.

    Parameters
    ----------
    review:
        The :class:`misyn_lab.checklist.Review` the drafts are recorded in.
    path:
        Review file, or ``None`` to keep changes in memory.
    delay_s:
        Quiet period after the last edit before saving; ``0`` saves inside :meth:`edit`.
    max_wait_s:
        Longest an edit waits while edits keep coming (continuous typing still saves this often).
    on_status:
        Called with each new :class:`SaveStatus` (from the thread that caused it, in order). It runs under the
        autosave's state lock: it must not call back into the autosave or wait for other threads.
    on_saved:
        Called after each successful save, holding the save lock (the review may be read safely).
    timer_factory, clock:
        ``threading.Timer`` and ``time.monotonic`` by default; tests pass fakes.
    """

    def __init__(self, review: Review, path: str | Path | None, *, delay_s: float = 0.5, max_wait_s: float = 5.0,
                 on_status: Callable[[SaveStatus], None] | None = None,
                 on_saved: Callable[[], None] | None = None,
                 timer_factory: TimerFactory = threading.Timer, clock: Callable[[], float] = time.monotonic):
        if delay_s < 0 or max_wait_s < delay_s:
            raise InputError(f"autosave needs 0 <= delay_s <= max_wait_s, got delay_s={delay_s}, "
                             f"max_wait_s={max_wait_s}", path="AnswerAutosave",
                             remedy="pass e.g. delay_s=0.5, max_wait_s=5")
        self.review, self.path = review, None if path is None else Path(path)
        self.delay_s, self.max_wait_s = float(delay_s), float(max_wait_s)
        self._on_status, self._on_saved = on_status, on_saved
        self._timer_factory, self._clock = timer_factory, clock
        self._lock = threading.RLock()  # drafts, generation, timer, status (held only briefly)
        self._save_lock = review_lock(review)  # the review object and the file (held for a whole save)
        self._drafts: dict[tuple[str, str], tuple[str, str]] = {}
        self._dirty = False  # the review object changed directly (evidence) and needs saving
        self._generation = 0  # incremented by every edit
        self._first_unsaved: float | None = None
        self._timer: _Timer | None = None
        self.last_error: str | None = None
        self.save_count = 0
        self.status = SaveStatus("clean", _status_text("clean", self.path))
        _LIVE.add(self)

    # ------------------------------------------------------------------ edits
    def edit(self, item_id: str, reviewer: str, status: str, justification: str) -> None:
        """Make ``(status, justification)`` the draft answer of ``reviewer`` to ``item_id``.

        ``status`` may be ``"unanswered"`` (text typed before a status was chosen is kept too). Raises
        :class:`InputError` (nothing queued) when the answer breaks the answer rules, e.g. ``not_applicable``
        without a reason.
        """
        self.review.checklist.item(item_id)
        with warnings.catch_warnings():  # the widget shows its own missing-justification note
            warnings.simplefilter("ignore", MissingJustificationWarning)
            answer = make_answer(item_id, reviewer, status, justification)
        with self._lock:
            self._drafts[(item_id, reviewer)] = (answer.status, answer.justification)
            now = self._touch()
        if now:
            self.flush()

    def changed(self) -> None:
        """Note that the review object itself changed (e.g. evidence added under :meth:`editing`)."""
        with self._lock:
            self._dirty = True
            now = self._touch()
        if now:
            self.flush()

    @contextmanager
    def editing(self) -> Iterator[Any]:
        """Hold the save lock while changing the review object directly; yields the review. Call
        :meth:`changed` afterwards."""
        with self._save_lock:
            yield self.review

    def drafts(self) -> dict[tuple[str, str], tuple[str, str]]:
        """A copy of the pending drafts, ``{(item_id, reviewer): (status, justification)}``."""
        with self._lock:
            return dict(self._drafts)

    def current(self, item_id: str, reviewer: str) -> dict | None:
        """The answer as the user last left it: the draft if there is one, else the recorded answer."""
        draft = self.drafts().get((item_id, reviewer))
        ans = ra.answer_of(self.review, item_id, reviewer)
        if draft is None:
            return ans
        return {**(ans or {}), "status": draft[0], "justification": draft[1]}

    # ------------------------------------------------------------------ saving
    def flush(self) -> bool:
        """Record the drafts and save now; True when everything typed is on disk afterwards."""
        with self._save_lock:
            with self._lock:
                self._cancel_timer()
                drafts, self._drafts = self._drafts, {}
                pending = bool(drafts) or self._dirty or self.status.kind == "failed"
                self._dirty, self._first_unsaved = False, None
                generation = self._generation
            if not pending:
                return self.status.on_disk
            try:
                self._record(drafts)
            except MisynError as exc:  # e.g. the checklist changed under a draft: keep the drafts, say so
                with self._lock:
                    self._drafts = {**drafts, **self._drafts}
                    self.last_error = str(exc)
                    self._set_status("failed", str(exc))
                return False
            if self.path is None:
                with self._lock:
                    self._set_status("memory")
                return False
            try:
                self.review.save(self.path)
            except (MisynError, OSError) as exc:
                with self._lock:
                    self._dirty = True  # the drafts are in the review object: the next save retries them
                    self.last_error = str(exc)
                    self._set_status("failed", str(exc))
                return False
            with self._lock:
                self.last_error = None
                self.save_count += 1
                up_to_date = self._generation == generation
                if up_to_date:
                    self._set_status("saved")
            if self._on_saved is not None:
                self._on_saved()
            return up_to_date

    def close(self) -> bool:
        """Flush and stop the timer; the autosave is no longer flushed at exit."""
        ok = self.flush()
        with self._lock:
            self._cancel_timer()
        _LIVE.discard(self)
        return ok

    # ------------------------------------------------------------------ internals
    def _touch(self) -> bool:  # under self._lock; True: the caller saves now (delay 0), after releasing it
        self._generation += 1
        self._set_status("unsaved")
        if self.delay_s <= 0:
            self._cancel_timer()
            return True
        now = self._clock()
        if self._first_unsaved is None:
            self._first_unsaved = now
        wait = min(self.delay_s, max(0.0, self._first_unsaved + self.max_wait_s - now))
        self._cancel_timer()
        timer = self._timer_factory(wait, self._fire)
        if hasattr(timer, "daemon"):
            timer.daemon = True  # type: ignore[attr-defined]
        self._timer = timer
        timer.start()
        return False

    def _fire(self) -> None:
        self.flush()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _record(self, drafts: dict[tuple[str, str], tuple[str, str]]) -> None:
        """Write drafts into the review (under the save lock); unchanged answers add no history."""
        for (item_id, reviewer), (status, justification) in drafts.items():
            old = ra.answer_of(self.review, item_id, reviewer)
            if old is None and status == "unanswered" and not justification:
                continue  # text typed and deleted again before any status: nothing to keep
            if old is not None and (old.get("status"), old.get("justification") or "") == (status, justification):
                continue
            cited = [str(e) for e in (old or {}).get("evidence") or []]
            cited += [e for e in ra.linked_by(self.review, item_id, reviewer) if e not in cited]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", MissingJustificationWarning)
                self.review.set_answer(item_id, reviewer, status, justification, evidence=cited)

    def _set_status(self, kind: str, detail: str = "") -> None:  # under self._lock, so callbacks stay in order
        self.status = SaveStatus(kind, _status_text(kind, self.path, detail))
        if self._on_status is not None:
            self._on_status(self.status)
