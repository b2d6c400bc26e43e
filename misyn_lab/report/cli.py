"""``misyn-lab report``: one self-contained HTML review report (case studies, a review, or your folders)."""

from __future__ import annotations

import argparse


def _report(args: argparse.Namespace) -> int:
    from misyn_lab.report.assemble import build_report

    result = build_report(cases=args.case, review=args.review, real=args.real, synthetic=args.synthetic,
                          out=args.out, seed=args.seed, quick=args.quick, subgroup=args.subgroup,
                          progress=not args.no_progress, scheduler=args.scheduler)
    print(result.html_path)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``report`` command."""
    p = sub.add_parser(
        "report", help="run the case-study / evaluation notebooks and write one self-contained HTML report",
        description="Without arguments: reproduce both case studies on the bundled data into ./misyn-lab-report/. "
                    "With --real DIR [--synthetic DIR]: evaluate your folders. Code is hidden, figures embedded.")
    p.add_argument("--case", action="append", metavar="FILE", help="case file to run (repeatable; 'case1'/'case2' "
                   "name the bundled ones)")
    p.add_argument("--review", metavar="FILE", help="review file to include (and to fill, as a copy, with --real)")
    p.add_argument("--real", metavar="DIR", help="folder of real images")
    p.add_argument("--synthetic", metavar="DIR", help="folder of synthetic images (needs --real)")
    p.add_argument("--subgroup", metavar="COLUMN", help="with --real: metadata column for per-subgroup results and TSTR "
                   "(default: none, the evaluation runs without subgroups)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS|local",
                   help="with --real: compute the evaluation's features on Dask ('local' or a scheduler "
                        "address; needs pip install \"misyn-lab[scale]\")")
    p.add_argument("--out", metavar="DIR", default="misyn-lab-report", help="output folder (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="seed (the report is identical for a fixed seed, "
                   "except its date line)")
    p.add_argument("--quick", action="store_true", help="fewer seeds/images: a fast smoke run")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=_report)
