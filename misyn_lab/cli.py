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

#: Station modules whose ``register`` adds sub-commands, in help order.
COMMAND_MODULES = (
    "misyn_lab.report.cli",
    "misyn_lab.workbook.cli",
    "misyn_lab.workbook.class_cli",
    "misyn_lab.imagesets.cli",
    "misyn_lab.features.cli",
    "misyn_lab.checklist.cli",
    "misyn_lab.provenance.cli",
    "misyn_lab.instruments.cli",
    "misyn_lab.cases.cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="misyn-lab",
        description="Ethical medical image synthesis (MISyn) workbook: samples, checklist, reviews, "
        "evidence, provenance labelling, audits and reports.",
    )
    parser.add_argument("--version", action="version", version=f"misyn-lab {__version__}")
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # station without commands (yet)
                continue
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
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
