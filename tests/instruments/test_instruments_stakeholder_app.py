"""`misyn-lab stakeholder app`: Voilà over the bundled notebook, with the review path injected papermill-style.

Unit tests check the refusals (no Voilà, port in use, broken review) and the prepared notebook; the real-browser
test starts the command, opens the page in headless Chromium, raises a question and a refusal, reloads, and finds
both records in the page and in the review file.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest

from misyn_lab import notebooks
from misyn_lab.checklist import Review
from misyn_lab.cli import main
from misyn_lab.instruments import stakeholder_app as app
from tests.notebooks.jupyter_harness import CHROMIUM, CHROMIUM_ARGS, free_port

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "browser"


def test_missing_voila_is_one_clear_line(monkeypatch, tmp_path, capsys):
    real = app.importlib.util.find_spec
    monkeypatch.setattr(app.importlib.util, "find_spec", lambda name: None if name == "voila" else real(name))
    assert main(["stakeholder", "app", "--review", str(tmp_path / "r.yaml"), "--no-browser"]) == 2
    assert capsys.readouterr().err == ("misyn-lab: error: the stakeholder app needs Voilà, which is not installed "
                                       "(fix: pip install voila (it comes with misyn-lab; reinstall misyn-lab to get "
                                       "it back))\n")


def test_a_port_in_use_is_refused_before_anything_starts(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(app.subprocess, "Popen", _no_popen)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        assert main(["stakeholder", "app", "--review", str(tmp_path / "r.yaml"), "--port", str(port),
                     "--no-browser"]) == 2
    assert capsys.readouterr().err == (f"misyn-lab: error: port {port} on 127.0.0.1 is already in use (fix: pass "
                                       "--port with a free port, or stop the program using it)\n")
    with pytest.raises(app.InputError, match="port 0 is not a TCP port number"):
        app.check_port(0)


def _no_popen(*args, **kwargs):
    raise AssertionError("Voilà must not start")


def test_a_broken_review_file_fails_before_the_page(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(app.subprocess, "Popen", _no_popen)
    bad = tmp_path / "team.yaml"
    bad.write_text("schema_version: 1\nkind: misyn-lab-review\ntitle: t\nrevision: -1\nanswers: {}\n",
                   encoding="utf-8")
    assert main(["stakeholder", "app", "--review", str(bad), "--no-browser"]) == 2
    assert capsys.readouterr().err.startswith(f"misyn-lab: error: {bad}: field revision: ")
    assert main(["stakeholder", "app", "--review", str(tmp_path / "no" / "r.yaml"), "--no-browser"]) == 2
    assert "the folder of the review file does not exist" in capsys.readouterr().err


def test_the_app_notebook_gets_the_review_path_injected(tmp_path):
    review = tmp_path / "team review.yaml"
    path = app.write_app_notebook(review, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stakeholder_app.ipynb"]
    nb = nbformat.read(path, as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and f"review_path = {str(review)!r}" in injected[0].source.replace('"', "'")
    bundled = notebooks.read("stakeholder_app")
    assert [c.source for c in nb.cells if c not in injected] == [c.source for c in bundled.cells]
    assert nb.metadata["title"] == app.TITLE
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


def test_voila_listens_on_localhost_only_and_hides_code():
    cmd = app.voila_command("/x/app.ipynb", 9001, open_browser=False)
    assert cmd[:4] == [sys.executable, "-m", "voila", "/x/app.ipynb"]
    assert {"--port=9001", "--Voila.ip=127.0.0.1", "--strip_sources=True", "--no-browser"} <= set(cmd)
    assert "--no-browser" not in app.voila_command("/x/app.ipynb", 9001)


def test_stopping_the_command_stops_voila_and_cleans_up(monkeypatch, tmp_path):
    started = {}

    class FakeVoila:
        def __init__(self, cmd, cwd):
            started.update(cmd=cmd, cwd=Path(cwd), terminated=False)
            assert (Path(cwd) / "stakeholder_app.ipynb").is_file()

        def wait(self, timeout=None):
            if not started["terminated"]:
                raise KeyboardInterrupt
            return -15

        def terminate(self):
            started["terminated"] = True

    monkeypatch.setattr(app.subprocess, "Popen", FakeVoila)
    lines = []
    port = free_port()
    assert app.run_app(tmp_path / "r.yaml", port=port, open_browser=False, echo=lines.append) == 0
    assert started["terminated"] and not started["cwd"].exists()
    assert lines == [f"stakeholder app: http://127.0.0.1:{port}/\nconcerns are saved to {tmp_path / 'r.yaml'} "
                     "(created on the first recorded concern)\nstop it with Ctrl-C"]


# ---------------------------------------------------------------------- real browser
def _wait_http(url: str, proc: subprocess.Popen, log: Path, timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited with {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            urllib.request.urlopen(url, timeout=5).read(100)
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the app did not answer after {timeout_s} s: {log.read_text()[-2000:]}")
            time.sleep(0.3)


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM to the command (it stops its Voilà); the process group it leads only as a last resort."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _concerns_on_disk(path: Path) -> list[dict]:
    return Review.load(path).records("stakeholder_questions") if path.exists() else []


def _record(page, item: str, kind: str, text: str) -> None:
    label = page.locator(".misyn-sh-item option", has_text=f"{item} —").first.inner_text()
    page.locator(".misyn-sh-item select").select_option(label=label)
    page.locator(".misyn-sh-name input").fill("Ana Okafor")
    page.locator(".misyn-sh-role input").fill("patient representative")
    page.locator(".misyn-sh-kind button", has_text=kind).click()
    page.locator(".misyn-sh-text textarea").fill(text)
    before = page.locator(".misyn-sh-message").inner_text()
    page.locator("button.misyn-sh-record").click()
    page.wait_for_function("([sel, old]) => { const t = document.querySelector(sel).innerText;"
                           " return t !== old && t.startsWith('Recorded as'); }",
                           arg=[".misyn-sh-message", before], timeout=30_000)


@pytest.mark.browser
@pytest.mark.timeout(300)
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian chromium at /usr/bin/chromium "
                    "(.ci/run installs it)")
def test_stakeholder_app_in_a_real_browser(tmp_path):
    from playwright.sync_api import sync_playwright

    review = tmp_path / "team-review.yaml"
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    log = tmp_path / "app.log"
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"), JUPYTER_CONFIG_DIR=str(tmp_path / "cfg"))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as fh:
        proc = subprocess.Popen([sys.executable, "-m", "misyn_lab.cli", "stakeholder", "app", "--review",
                                 str(review), "--port", str(port), "--no-browser"], stdout=fh,
                                stderr=subprocess.STDOUT, env=env, cwd=tmp_path, start_new_session=True)
    try:
        _wait_http(url, proc, log)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1200, "height": 1400})
            try:
                page.goto(url)
                page.locator("button.misyn-sh-record").wait_for(timeout=120_000)
                body = page.inner_text("body")
                assert "Questions anyone can ask" in body and "Technical standards" in body
                assert "StakeholderWidget" not in body and "import" not in body  # no code on the page
                assert page.title() == app.TITLE
                _record(page, "TS-3", "question", "If I open one image file, will it say it is synthetic?")
                _record(page, "EV-3", "refusal", "I refuse the use of my scans until the claims are tested.")
                assert sorted((c["item_id"], c["kind"]) for c in _concerns_on_disk(review)) == [
                    ("EV-3", "refusal"), ("TS-3", "question")]
                page.reload()
                page.locator("button.misyn-sh-record").wait_for(timeout=120_000)
                listed = page.locator(".misyn-sh-open li")
                listed.nth(1).wait_for(timeout=30_000)
                texts = sorted(listed.all_inner_texts())  # listed by time to the second: same-second order varies
                assert len(texts) == 2
                assert texts[0].startswith("question on TS-3 from Ana Okafor (patient representative), ")
                assert texts[1].startswith("refusal on EV-3 from Ana Okafor (patient representative), ")
                assert texts[1].endswith(": I refuse the use of my scans until the claims are tested.")
                page.screenshot(path=str(ARTIFACTS / "stakeholder_app.png"), full_page=False)
            except Exception:
                page.screenshot(path=str(ARTIFACTS / "stakeholder_app_failure.png"))
                raise
            finally:
                browser.close()
        records = _concerns_on_disk(review)
        assert [(c["name"], c["role"], c["status"]) for c in records] == [
            ("Ana Okafor", "patient representative", "open")] * 2
    finally:
        _stop(proc)
        (ARTIFACTS / "stakeholder_app.log").write_bytes(log.read_bytes())
    assert proc.returncode == 0
