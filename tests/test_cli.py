"""The `misyn-lab` entry point: every sub-command answers --help, and bad input is one line, not a traceback."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from misyn_lab.cli import COMMAND_HOMES, COMMAND_MODULES, build_parser, main


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


def _registered_by(module: str) -> set[str]:
    parser = argparse.ArgumentParser()
    __import__(module, fromlist=["register"]).register(parser.add_subparsers())
    return {p[0] for p in _command_paths(parser)}


def test_each_command_names_the_station_that_registers_it() -> None:
    """``misyn-lab CMD`` builds its parser from COMMAND_HOMES[CMD] alone: the table must say who registers what."""
    homes = {name: module for module in COMMAND_MODULES for name in _registered_by(module)}
    assert homes == COMMAND_HOMES
    assert set(COMMAND_HOMES) == {p[0] for p in COMMANDS}


def test_a_command_imports_only_its_own_station() -> None:
    """`misyn-lab audit` starts without importing the other stations' heavy dependencies (start-up counts when a
    pipeline runs many short commands); `misyn-lab --help` still lists every command."""
    code = ("import sys\nfrom misyn_lab.cli import main\ntry:\n    main(['audit', '--help'])\nexcept SystemExit:\n"
            "    pass\nheavy = ['pandas', 'scipy.stats', 'skimage', 'matplotlib', 'sklearn', 'misyn_lab.instruments']\n"
            "print('LOADED', [m for m in heavy if m in sys.modules])")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "usage: misyn-lab audit" in proc.stdout and "LOADED []" in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "misyn_lab.cli", "--help"], capture_output=True, text=True,
                          timeout=120)
    listed = {line.split()[0] for line in proc.stdout.splitlines() if line.startswith("    ") and line.split()}
    assert set(COMMAND_HOMES) <= listed




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
