"""``report.pdf`` from ``report.html``: printed at A4 by a headless Chromium (the page's print stylesheet keeps
tables within the page and figures whole).

The browser is ``$MISYN_LAB_CHROMIUM``, else ``chromium``/``chromium-browser``/``google-chrome`` on the PATH or
``/usr/bin/chromium``; without one, Playwright's Chromium when Playwright is installed; otherwise one clear
:class:`~misyn_lab.errors.InputError` saying what to install. Nothing is loaded from the network.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from pathlib import Path

from misyn_lab.errors import InputError, MisynError

__all__ = ["CHROMIUM_FLAGS", "PdfFailed", "find_chromium", "require_printer", "write_pdf"]

#: Flags of a quiet, offline, headless print.
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-pdf-header-footer")
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "/usr/bin/chromium")


class PdfFailed(MisynError, RuntimeError):
    """The browser ran but wrote no PDF."""


def find_chromium() -> str | None:
    """The Chromium executable to print with, or ``None``."""
    given = os.environ.get("MISYN_LAB_CHROMIUM")
    if given:
        return given if Path(given).is_file() else None
    for name in CANDIDATES:
        found = shutil.which(name) or (name if os.path.isabs(name) and Path(name).is_file() else None)
        if found:
            return found
    return None


def _no_browser() -> InputError:
    return InputError("--pdf needs a headless Chromium, and none was found", path="--pdf",
                      remedy="install chromium (e.g. apt-get install chromium) or set MISYN_LAB_CHROMIUM to its path; "
                             "or pip install playwright && playwright install chromium")


def require_printer() -> None:
    """Raise the one-line :class:`InputError` of :func:`write_pdf` now, before any work, when there is neither a
    Chromium nor Playwright to print with."""
    if find_chromium() is None and importlib.util.find_spec("playwright") is None:
        raise _no_browser()


def _with_playwright(html: Path, pdf: Path) -> bool:
    """Print with Playwright's own Chromium; ``False`` when Playwright (or its browser) is not installed."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        return False
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page()
            page.goto(html.resolve().as_uri())
            page.pdf(path=str(pdf), format="A4", print_background=True, prefer_css_page_size=True)
            browser.close()
    except Error:
        return False
    return pdf.is_file()


def write_pdf(html: str | Path, pdf: str | Path | None = None, *, timeout: float = 180) -> Path:
    """Print ``html`` (a self-contained page) to ``pdf`` (default: beside it, ``.pdf``) at A4; returns the path."""
    html = Path(html)
    pdf = Path(pdf) if pdf is not None else html.with_suffix(".pdf")
    pdf.unlink(missing_ok=True)
    browser = find_chromium()
    if browser is None:
        if _with_playwright(html, pdf):
            return pdf
        raise _no_browser()
    cmd = [browser, *CHROMIUM_FLAGS, f"--print-to-pdf={pdf}", html.resolve().as_uri()]
    try:
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PdfFailed(f"the browser could not print the report ({type(exc).__name__}: {exc})", path=browser,
                        remedy="check that this Chromium starts headless (or set MISYN_LAB_CHROMIUM)") from None
    if not pdf.is_file() or pdf.read_bytes()[:5] != b"%PDF-":
        said = (run.stderr or run.stdout or "").strip().splitlines()
        raise PdfFailed(f"the browser wrote no PDF (exit code {run.returncode}; {said[-1] if said else 'no output'})",
                        path=browser, remedy="check that this Chromium starts headless (or set MISYN_LAB_CHROMIUM)")
    return pdf
