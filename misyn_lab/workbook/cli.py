"""``misyn-lab workbook DIR``: copy the guided workbook out of the installed package into a folder you can write."""

from __future__ import annotations

import argparse
from pathlib import Path

from misyn_lab import notebooks


def _workbook(args: argparse.Namespace) -> int:
    dest = Path(args.dir).expanduser()
    written, kept = notebooks.export(dest, overwrite=args.overwrite)
    (dest / "reviews").mkdir(exist_ok=True)
    print(f"workbook in {dest}: {len(written)} notebook(s) written"
          + (f", {len(kept)} kept as they were (--overwrite replaces them)" if kept else ""))
    for path in written:
        print(f"  {path.name}")
    print(f"answers are saved under {dest / 'reviews'}; open the workbook with:\n  jupyter lab {dest}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``workbook`` command."""
    p = sub.add_parser("workbook", help="copy the guided notebooks into a folder you can write, ready for JupyterLab",
                       description="Write the workbook notebooks (00-08, the two case studies and the stakeholder "
                                   "app) as .ipynb files into DIR, with a reviews/ folder for your answers. Existing "
                                   "notebooks in DIR are kept unless --overwrite is given.")
    p.add_argument("dir", metavar="DIR", help="folder to create or fill (e.g. my-workbook)")
    p.add_argument("--overwrite", action="store_true", help="replace notebooks that already exist in DIR")
    p.set_defaults(func=_workbook)
