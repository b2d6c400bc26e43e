"""The ``misyn-lab`` command line: one entry point, one sub-command module per station.

Each station that offers commands has a ``cli`` module with ``register(subparsers)``; it adds its
sub-commands and sets ``func`` (a callable taking the parsed ``argparse.Namespace`` and returning an exit
code) on each. Errors a user can cause are :class:`misyn_lab.errors.MisynError` and are printed as one
line with exit code 2; anything unexpected is printed as one line too (exit 1), with ``--debug`` for the
traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from misyn_lab.version import __version__
from misyn_lab.cli_types import OneLineParser
from misyn_lab.errors import MisynError

#: The station module that registers each top-level command, in help order (equal to what the stations register:
#: tested). ``misyn-lab audit DIR`` imports only the audit's station (~0.4 s) instead of every station (~2 s, with
#: pandas, SciPy's statistics and scikit-image): start-up counts in a pipeline that runs many short commands.
COMMAND_HOMES = {
    "report": "misyn_lab.report.cli",
    "workbook": "misyn_lab.workbook.cli",
    "class": "misyn_lab.workbook.class_cli",
    "samples": "misyn_lab.imagesets.cli",
    "features": "misyn_lab.features.cli",
    "checklist": "misyn_lab.checklist.cli",
    "review": "misyn_lab.checklist.cli",
    "label": "misyn_lab.provenance.cli",
    "audit": "misyn_lab.provenance.cli",
    "card": "misyn_lab.provenance.cli",
    "claims": "misyn_lab.instruments.cli",
    "stakeholder": "misyn_lab.instruments.cli",
    "ladder": "misyn_lab.instruments.cli",
    "case": "misyn_lab.cases.cli",
}
#: Station modules whose ``register`` adds sub-commands, in help order.
COMMAND_MODULES = tuple(dict.fromkeys(COMMAND_HOMES.values()))


def command_of(argv: Sequence[str]) -> str | None:
    """The top-level command ``argv`` asks for (its first word that is not an option), or ``None``.

    Examples
    --------
    >>> command_of(["--debug", "audit", "data/"]), command_of(["--help"])
    ('audit', None)
    """
    return next((word for word in argv if not word.startswith("-")), None)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The ``misyn-lab`` parser; with a known ``command``, holding only the sub-commands of the station that
    registers it (the others are not imported); else every station's."""
    parser = OneLineParser(
        prog="misyn-lab",
        description="Ethical medical image synthesis (MISyn) workbook: samples, checklist, reviews, "
        "evidence, provenance labelling, audits and reports.",
    )
    parser.add_argument("--version", action="version", version=f"misyn-lab {__version__}")
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in (COMMAND_HOMES[command],) if command in COMMAND_HOMES else COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # station without commands (yet)
                continue
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = command_of(argv)
    parser = build_parser(command)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):  # the help of every command, not only of one station's
        (build_parser() if command in COMMAND_HOMES else parser).print_help()
        return 0 if args.command is None else 2
    try:
        return int(args.func(args) or 0)
    except MisynError as exc:
        if args.debug:
            raise
        print(f"misyn-lab: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `misyn-lab checklist show | head`: the reader left, not an error
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at interpreter exit
        except OSError:  # pragma: no cover
            pass
        return 0
    except KeyboardInterrupt:
        print("misyn-lab: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # last line of defence: one line, never a dependency's traceback
        if args.debug:
            raise
        print(f"misyn-lab: unexpected error: {type(exc).__name__}: {exc} (run with --debug for details)",
              file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


__all__ = ["build_parser", "main"]
