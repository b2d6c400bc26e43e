"""Progress of long steps, reported through one callback: ``progress(task, done, total, unit)``.

The long computations (the case studies' seeds and prompts, an evaluation) take an optional ``progress``
callback and call it after each unit of work, e.g. ``progress("training segmenters", 12, 20, "seeds")``. Who
listens decides how it looks: ``misyn-lab report`` writes one line per step on stderr
(:class:`ProgressLines`: ``case 1: training segmenters 12/20 seeds``), a notebook cell shows a bar
(:class:`ProgressBar`, tqdm.auto). A leaf module: it imports nothing from the package.

>>> lines = []
>>> report = ProgressLines("case 1", write=lines.append, every=0)
>>> report("training segmenters", 12, 20, "seeds")
>>> lines
['case 1: training segmenters 12/20 seeds']
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, Protocol

__all__ = ["Progress", "ProgressBar", "ProgressLines", "report_progress"]


class Progress(Protocol):
    """The callback a long computation reports through (a protocol: any callable of this form).

    Parameters
    ----------
    task : str
        Names the step.
    done, total : int
        Units finished, of all.
    unit : str, optional
        What a unit is ("seeds", "prompts" ...).

    Examples
    --------
    >>> seen = []
    >>> def note(task, done, total, unit=""):
    ...     seen.append(f"{task} {done}/{total}")
    >>> report_progress(note, "training", 1, 3, "seeds")
    >>> seen
    ['training 1/3']
    """

    def __call__(self, task: str, done: int, total: int, unit: str = "") -> None: ...


def report_progress(progress: Progress | None, task: str, done: int, total: int, unit: str = "") -> None:
    """Call ``progress`` if there is one (the computations' one-line way to report).

    Parameters
    ----------
    progress : Progress or None
        The callback.
    task : str
        The step.
    done, total : int
        Units finished, of all.
    unit : str, optional
        What a unit is.

    Examples
    --------
    >>> report_progress(None, "training", 1, 3)      # no callback: nothing happens
    >>> report_progress(print, "training", 1, 3, "seeds")
    training 1 3 seeds
    """
    if progress is not None:
        progress(task, int(done), int(total), unit)


class ProgressLines:
    """Progress as lines of text (stderr by default): ``<prefix>: <task> <done>/<total> <unit>``.

    A line is written when a task starts, when it ends and otherwise at most every ``every`` seconds, so a
    pipeline log shows what is happening without a line per unit of a fast task.

    Parameters
    ----------
    prefix : str, optional
        Put before every line (e.g. ``"case 1"``).
    write : callable, optional
        Where lines go (default: stderr).
    every : float, optional
        Seconds between lines within a task.

    Examples
    --------
    >>> lines = []
    >>> progress = ProgressLines("case 1", write=lines.append)
    >>> for done in range(4):
    ...     progress("training segmenters", done, 3, "seeds")
    >>> lines
    ['case 1: training segmenters 0/3 seeds', 'case 1: training segmenters 3/3 seeds']
    """

    def __init__(self, prefix: str = "", *, write: Callable[[str], Any] | None = None, every: float = 2.0) -> None:
        self.prefix = prefix
        self.write = write or (lambda line: print(line, file=sys.stderr, flush=True))
        self.every = every
        self._task = ""
        self._last = 0.0

    def __call__(self, task: str, done: int, total: int, unit: str = "") -> None:
        now = time.monotonic()
        new_task = task != self._task
        if not (new_task or done >= total or now - self._last >= self.every):
            return
        self._task, self._last = task, now
        head = f"{self.prefix}: " if self.prefix else ""
        self.write(f"{head}{task} {done}/{total}{' ' + unit if unit else ''}")


class ProgressBar:
    """Progress as a bar in a notebook cell (or a terminal): one ``tqdm.auto`` bar per task, closed when done.

    Parameters
    ----------
    **tqdm_kwargs
        Options of the bars (e.g. ``disable=True``).

    Examples
    --------
    >>> bar = ProgressBar(disable=True)
    >>> for done in range(3):
    ...     bar("training", done + 1, 3, "seeds")
    """

    def __init__(self, **tqdm_kwargs: Any) -> None:
        self.kwargs = tqdm_kwargs
        self._bar: Any = None
        self._task = ""

    def __call__(self, task: str, done: int, total: int, unit: str = "") -> None:
        from tqdm.auto import tqdm

        if task != self._task or self._bar is None:
            self.close()
            self._task = task
            self._bar = tqdm(total=total, desc=task, unit=f" {unit}" if unit else "it", **self.kwargs)
        self._bar.update(done - self._bar.n)
        if done >= total:
            self.close()

    def close(self) -> None:
        """Close the open bar, if any."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
