"""Run a case's own notebook headless (papermill), quietly.

One job: notebook in, executed notebook out. The kernel's messages (and papermill's) are captured, not shown: a
successful run prints nothing; a failing one shows what the kernel said and then one line naming the failing
cell and the executed notebook, which is kept. The report renders the review file the notebook wrote, never its
cells (:mod:`misyn_lab.report.cases`); the bundled case studies run in-process, without a kernel.
"""

from __future__ import annotations

import ast
import contextlib
import logging
import os
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from misyn_lab.errors import InputError, MisynError


class NotebookFailed(MisynError, RuntimeError):
    """A notebook raised while executing; the executed notebook (with the error) is kept at ``path``."""


def notebook_parameters(path: str | Path) -> dict[str, Any]:
    """Names and default values of a notebook's ``parameters``-tagged cell, as papermill inspects them.

    Uses :func:`papermill.inspect_notebook` (the same reading papermill uses when it injects values); a
    default that is not a Python literal is returned as its source text. Papermill silently drops a line it
    cannot read (e.g. a comment containing ``=`` or quotes); such a line raises :class:`InputError` here, so a
    parameter is never lost unnoticed.
    """
    import papermill as pm

    path = Path(path)
    unreadable: list[str] = []

    class _Catch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.getMessage().startswith("Unable to parse"):
                unreadable.append(record.getMessage())

    handler = _Catch()
    log = logging.getLogger("papermill")
    log.addHandler(handler)
    try:
        inspected = pm.inspect_notebook(str(path))
    finally:
        log.removeHandler(handler)
    if unreadable:
        raise InputError(f"papermill cannot read the parameters cell: {unreadable[0]}", path=path,
                         remedy="write each parameter as 'name = value  # comment' with no '=' or quotes in the "
                                "comment")
    out: dict[str, Any] = {}
    for name, info in inspected.items():
        try:
            out[name] = ast.literal_eval(info["default"])
        except (ValueError, SyntaxError):
            out[name] = info["default"]
    return out


@contextlib.contextmanager
def captured_stderr() -> Iterator[list[str]]:
    """Send everything written to standard error while the block runs — by this process (``sys.stderr`` and file
    descriptor 2) and by its children, such as a notebook kernel — to a temporary file; the list yielded receives
    the captured text when the block ends."""
    sys.stderr.flush()
    saved_fd, saved_obj = os.dup(2), sys.stderr
    out: list[str] = []
    with tempfile.TemporaryFile(mode="w+b") as sink:
        os.dup2(sink.fileno(), 2)
        sys.stderr = open(os.dup(sink.fileno()), "w", encoding="utf-8", errors="replace", closefd=True)  # noqa: SIM115
        try:
            yield out
        finally:
            sys.stderr.close()
            sys.stderr = saved_obj
            os.dup2(saved_fd, 2)
            os.close(saved_fd)
            sink.seek(0)
            out.append(sink.read().decode("utf-8", "replace"))


def execute_notebook(source: str | Path, executed: str | Path, parameters: Mapping[str, Any], *,
                     progress: bool = False, cwd: str | Path | None = None, timeout: int = 1800) -> Path:
    """Execute ``source`` with papermill into ``executed`` (kernel python3, parameters injected), quietly.

    Only parameters the notebook declares are passed (unknown ones would be silently ignored by the
    notebook anyway; we refuse them so a typo cannot go unnoticed). The kernel's stderr is captured and shown
    only when a cell fails; then :class:`NotebookFailed` names the executed notebook, which is kept for
    inspection. ``progress`` shows papermill's per-cell bar (off by default).
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    source, executed = Path(source), Path(executed)
    declared = notebook_parameters(source)
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        raise InputError(f"parameters {unknown} are not declared by the notebook (declared: {sorted(declared)})",
                         path=source, remedy="fix the parameter names or update the notebook's parameters cell")
    executed.parent.mkdir(parents=True, exist_ok=True)
    failure = None
    with captured_stderr() as said:
        try:
            pm.execute_notebook(str(source), str(executed), parameters=dict(parameters), kernel_name="python3",
                                progress_bar=progress, cwd=str(cwd) if cwd else str(source.parent),
                                execution_timeout=timeout, log_output=False)
        except PapermillExecutionError as exc:
            failure = exc
    if failure is not None:
        if said and said[0].strip():
            print(said[0].rstrip(), file=sys.stderr, flush=True)  # what the kernel said, shown only on failure
        last = (failure.evalue or failure.ename or "error").strip().splitlines()
        reason = f"{failure.ename}: {last[-1] if last else ''}"
        raise NotebookFailed(f"notebook {source.name} failed in cell {failure.exec_count} ({reason[:300]}); "
                             f"executed notebook kept", path=executed,
                             remedy="open the kept notebook to see the full error")
    return executed
