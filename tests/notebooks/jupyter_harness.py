"""Start a real JupyterLab server on localhost for the browser tests, and stop it again; the few page steps the
browser tests share (write a small notebook, open it, run it all, keep artifacts of a failure)."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@dataclass
class LabServer:
    url: str
    token: str
    root: Path
    log: Path

    def notebook_url(self, name: str) -> str:
        return f"{self.url}/lab/tree/{name}?token={self.token}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def jupyter_lab(root: Path, work: Path, *, timeout_s: float = 90.0) -> Iterator[LabServer]:
    """Run ``jupyter lab`` serving ``root`` (settings/workspaces/runtime files under ``work``); kill it after."""
    port, token = free_port(), os.urandom(12).hex()
    work.mkdir(parents=True, exist_ok=True)
    log = work / "jupyter.log"
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(work / "runtime"), JUPYTER_CONFIG_DIR=str(work / "config"),
               MPLBACKEND="Agg")
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}",
           f"--IdentityProvider.token={token}", "--ServerApp.ip=127.0.0.1", f"--ServerApp.root_dir={root}",
           "--ServerApp.allow_root=True", f"--LabApp.workspaces_dir={work / 'workspaces'}",
           f"--LabApp.user_settings_dir={work / 'settings'}", "--LabApp.extension_manager=readonly",
           "--LabApp.news_url=None"]
    with open(log, "wb") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, cwd=root)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {proc.returncode}: {log.read_text()[-2000:]}")
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2).read()
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"jupyter lab not ready after {timeout_s} s: {log.read_text()[-2000:]}")
                time.sleep(0.3)
        yield LabServer(url=base, token=token, root=root, log=log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def write_notebook(path: Path, cells: list[tuple[str | None, str]]) -> None:
    """A Python 3 notebook of code cells ``(tag or None, source)`` at ``path``."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    for tag, src in cells:
        cell = nbformat.v4.new_code_cell(src)
        if tag:
            cell.metadata["tags"] = [tag]
        nb.cells.append(cell)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def accept_kernel_dialog(page: Any, timeout_ms: int = 8_000) -> None:
    """A slow server can make JupyterLab ask which kernel to start: accept the default (Python 3)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    select = page.locator(".jp-Dialog button", has_text="Select")
    try:
        select.wait_for(timeout=timeout_ms)
    except PlaywrightTimeout:  # no dialog: the kernel started by itself
        return
    select.click()


def open_notebook(page: Any, url: str) -> None:
    """Go to ``url``, accept a kernel dialog if one comes, and wait until the kernel is idle."""
    page.goto(url)
    page.wait_for_selector(".jp-Notebook", timeout=60_000)
    accept_kernel_dialog(page)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)


def run_all(page: Any, ready: str) -> None:
    """*Run → Run All Cells*, then wait for the selector ``ready`` to appear."""
    page.click("div.lm-MenuBar-itemLabel:text-is('Run')")
    page.click("text=Run All Cells")
    page.locator(ready).first.wait_for(timeout=90_000)


@contextlib.contextmanager
def failure_artifacts(page: Any, server: LabServer, artifacts: Path, prefix: str) -> Iterator[None]:
    """On an exception, keep a screenshot and the server log as ``<prefix>_failure.png`` / ``_jupyter.log``."""
    artifacts.mkdir(parents=True, exist_ok=True)
    for stale in (f"{prefix}_failure.png", f"{prefix}_jupyter.log"):
        (artifacts / stale).unlink(missing_ok=True)
    try:
        yield
    except BaseException:
        page.screenshot(path=str(artifacts / f"{prefix}_failure.png"))
        shutil.copy(server.log, artifacts / f"{prefix}_jupyter.log")
        raise


@contextlib.contextmanager
def lab_page(root: Path, work: Path, artifacts: Path, prefix: str) -> Iterator[tuple[LabServer, Any]]:
    """JupyterLab serving ``root`` and a headless Chromium page (1400×1000); failures leave artifacts."""
    from playwright.sync_api import sync_playwright

    with jupyter_lab(root, work) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            with failure_artifacts(page, server, artifacts, prefix):
                yield server, page
        finally:
            browser.close()
