"""``misyn-lab stakeholder app``: the stakeholder checklist as a web page with no code, for non-technical people.

Voilà serves the bundled notebook ``stakeholder_app`` (markdown + :class:`~misyn_lab.widgets.stakeholder.
StakeholderWidget`; code cells are hidden). The review file is passed in the papermill way: a copy of the
notebook with an injected parameters cell (:func:`papermill.execute_notebook` with ``prepare_only=True``:
nothing is executed) is written into a temporary folder, which is removed when the app stops. Voilà starts a
fresh kernel for every visit, so every page load reads the review file again, and every recorded concern is
saved to it at once (atomic, locked, merging with concurrent saves).

The server listens on 127.0.0.1 only. A missing Voilà, a port in use or an unreadable review file stop the
command before anything starts, with one line saying what to do.
"""

from __future__ import annotations

import importlib.util
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from papermill import execute_notebook

from misyn_lab import notebooks
from misyn_lab.checklist.review import Review
from misyn_lab.errors import InputError

#: Bundled notebook the app shows.
NOTEBOOK = "stakeholder_app"
#: The only address the app listens on.
HOST = "127.0.0.1"
DEFAULT_PORT = 8866
#: Title of the page (browser tab).
TITLE = "Questions anyone can ask about this medical image synthesis project"
#: Review file used when none is given (in the current folder).
DEFAULT_REVIEW = "stakeholder-review.yaml"


def require_voila() -> None:
    """Raise :class:`InputError` when Voilà is not installed."""
    if importlib.util.find_spec("voila") is None:
        raise InputError("the stakeholder app needs Voilà, which is not installed",
                         remedy="pip install voila (it comes with misyn-lab; reinstall misyn-lab to get it back)")


def check_port(port: int) -> int:
    """``port`` if it is a valid TCP port free on 127.0.0.1; :class:`InputError` otherwise."""
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise InputError(f"port {port!r} is not a TCP port number", remedy="pass --port with a number from 1024 "
                         "to 65535")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((HOST, port))
        except OSError:
            raise InputError(f"port {port} on {HOST} is already in use",
                             remedy="pass --port with a free port, or stop the program using it") from None
    return port


def prepare_review(path: str | Path | None) -> Path:
    """The absolute review path; an existing file is loaded once so a broken one fails here, not in the page."""
    target = Path(path if path is not None else DEFAULT_REVIEW).expanduser().resolve()
    if not target.parent.is_dir():
        raise InputError("the folder of the review file does not exist", path=target,
                         remedy="create the folder first or choose another --review path")
    if target.exists():
        if not target.is_file():
            raise InputError("the review path is not a file", path=target, remedy="pass a review file (.yaml/.json)")
        Review.load(target)  # SchemaError/InputError naming the file and field
    return target


def write_app_notebook(review_path: str | Path, folder: str | Path) -> Path:
    """Write the app notebook with ``review_path`` injected as its parameter into ``folder``; returns its path."""
    nb = notebooks.read(NOTEBOOK)
    nb.metadata["title"] = TITLE  # the browser tab's title
    source = notebooks.write_ipynb(nb, Path(folder) / f"{NOTEBOOK}.source.ipynb")
    target = Path(folder) / f"{NOTEBOOK}.ipynb"
    execute_notebook(str(source), str(target), parameters={"review_path": str(review_path)}, prepare_only=True,
                     kernel_name="python3", progress_bar=False)
    source.unlink()
    return target


def voila_command(notebook: str | Path, port: int, *, open_browser: bool = True) -> list[str]:
    """The Voilà command line: this Python, listening on 127.0.0.1 only, code cells stripped."""
    cmd = [sys.executable, "-m", "voila", str(notebook), f"--port={port}", f"--Voila.ip={HOST}",
           "--strip_sources=True", "--show_tracebacks=False"]
    return cmd + ([] if open_browser else ["--no-browser"])


class _Stop(Exception):
    """SIGTERM arrived: stop Voilà and clean up."""


def _raise_stop(signum: int, frame: object) -> None:
    raise _Stop


def run_app(review: str | Path | None = None, *, port: int = DEFAULT_PORT, open_browser: bool = True,
            echo: Callable[[str], None] = print) -> int:
    """Serve the stakeholder app until Voilà exits or the command is stopped (Ctrl-C or SIGTERM).

    Returns Voilà's exit code, or 0 after a stop. ``echo`` receives the lines for the user (URL, review file).
    """
    require_voila()
    target = prepare_review(review)
    check_port(port)
    work = Path(tempfile.mkdtemp(prefix="misyn-stakeholder-app-"))
    try:
        nb = write_app_notebook(target, work)
        url = f"http://{HOST}:{port}/"
        state = "" if target.exists() else " (created on the first recorded concern)"
        echo(f"stakeholder app: {url}\nconcerns are saved to {target}{state}\nstop it with Ctrl-C")
        proc = subprocess.Popen(voila_command(nb, port, open_browser=open_browser), cwd=work)
        previous = signal.signal(signal.SIGTERM, _raise_stop)
        try:
            return proc.wait()
        except (KeyboardInterrupt, _Stop):
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
            return 0
        finally:
            signal.signal(signal.SIGTERM, previous)
    finally:
        shutil.rmtree(work, ignore_errors=True)


__all__ = ["DEFAULT_PORT", "DEFAULT_REVIEW", "HOST", "NOTEBOOK", "TITLE", "check_port", "prepare_review",
           "require_voila", "run_app", "voila_command", "write_app_notebook"]
