"""The `misyn-lab` entry point: every sub-command answers --help, and bad input is one line, not a traceback."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from misyn_lab.cli import build_parser, main


def _command_paths(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths: list[tuple[str, ...]] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                paths.append(prefix + (name,))
                paths.extend(_command_paths(sub, prefix + (name,)))
    return paths


COMMANDS = _command_paths(build_parser())


def test_the_documented_commands_exist() -> None:
    top = {p[0] for p in COMMANDS}
    for name in ("samples", "checklist", "review", "claims", "label", "audit", "case", "report"):
        assert name in top, f"misyn-lab {name} is documented in README.md but not registered"


@pytest.mark.parametrize("path", COMMANDS, ids=[" ".join(p) for p in COMMANDS])
def test_every_command_has_help(path: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main([*path, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: misyn-lab " + " ".join(path))


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    assert "usage: misyn-lab" in capsys.readouterr().out


def test_unknown_command_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["no-such-command"])
    assert exc.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_console_script_error_is_one_line_without_traceback(tmp_path) -> None:
    missing = tmp_path / "missing.yaml"
    proc = subprocess.run([sys.executable, "-m", "misyn_lab.cli", "review", "summary", str(missing)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert str(missing) in lines[0]
