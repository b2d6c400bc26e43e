"""``misyn-lab case new NAME [-o FILE]`` and ``misyn-lab case check FILE``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from misyn_lab.atomic import atomic_write_text
from misyn_lab.cases.case import load_case, scaffold_case
from misyn_lab.errors import InputError


def _new(args: argparse.Namespace) -> int:
    text = scaffold_case(args.name)
    if args.output in (None, "-"):
        sys.stdout.write(text)
        return 0
    out = Path(args.output)
    if out.exists() and not args.force:
        raise InputError("file exists; not overwriting it", path=out, remedy="choose another -o FILE or add --force")
    atomic_write_text(out, text)
    print(f"wrote {out} (every checklist item listed as 'unanswered'); next: misyn-lab case check {out}")
    return 0


def _check(args: argparse.Namespace) -> int:
    case = load_case(args.file)
    print(f"{args.file}: valid case file '{case.id}' ({len(case.answers)} answers, {len(case.claims)} claims, "
          f"{len(case.gaps)} gaps)")
    if case.gaps:
        print("Gaps (id, checklist item, intrinsic limit, risk, title):")
        for line in case.gap_lines():
            print("  " + line)
    open_items = case.open_items_without_gap()
    if open_items:
        print(f"Open items without a declared gap ({len(open_items)}): {', '.join(open_items)}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``case new`` and ``case check``."""
    p = sub.add_parser("case", help="case files: scaffold a review of your own MISyn practice, validate one")
    csub = p.add_subparsers(dest="case_command", metavar="SUBCOMMAND")
    new = csub.add_parser("new", help="write a case-file scaffold listing every checklist item")
    new.add_argument("name", metavar="NAME", help="case id (letters, digits, '_', '.', '-')")
    new.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    new.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    new.set_defaults(func=_new)
    check = csub.add_parser("check", help="validate a case file and print its gaps")
    check.add_argument("file", metavar="FILE")
    check.set_defaults(func=_check)
    p.set_defaults(func=lambda a: (p.print_help(), 2)[1])
