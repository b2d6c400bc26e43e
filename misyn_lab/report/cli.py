"""``misyn-lab report``: one self-contained HTML review report, verdict first (case studies, a review, or your
folders), with ``results.json`` and optionally ``report.pdf``."""

from __future__ import annotations

import argparse

from misyn_lab.cli_types import non_negative_int


def _report(args: argparse.Namespace) -> int:
    from misyn_lab.report.assemble import build_report

    registry = None if args.no_registry else (args.registry or "default")
    result = build_report(cases=args.case, review=args.review, real=args.real, synthetic=args.synthetic,
                          real_train=args.real_train, out=args.out, seed=args.seed, quick=args.quick,
                          subgroup=args.subgroup, progress=not args.no_progress, registry=registry,
                          allow_marked_real=args.allow_marked_real, pdf=args.pdf, scheduler=args.scheduler)
    print(result.html_path)
    if result.pdf_path is not None:
        print(result.pdf_path)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``report`` command."""
    p = sub.add_parser(
        "report", help="compute the case studies or evaluate your folders and write one self-contained HTML report",
        description="Without arguments: reproduce both case studies on the bundled data into ./misyn-lab-report/. "
                    "With --real DIR [--synthetic DIR] [--real-train DIR]: evaluate your folders. The report opens "
                    "with a summary (bottom lines, claims by status, gaps by severity, next actions), then the "
                    "details, a glossary and an appendix; figures are embedded. results.json beside report.html "
                    "lists every measured result (key, value, CI, n, split), the claims with their verdicts and the "
                    "checklist status; --pdf prints report.pdf at A4 with headless Chromium.")
    p.add_argument("--case", action="append", metavar="FILE", help="case file to run (repeatable; 'case1'/'case2' "
                   "name the bundled ones)")
    p.add_argument("--review", metavar="FILE", help="review file to include (and to fill, as a copy, with --real)")
    p.add_argument("--real", metavar="DIR", help="folder of real images held out from the generator's training "
                   "(fidelity, coverage, distances and detection are measured against them)")
    p.add_argument("--real-train", metavar="DIR", help="with --real: folder of the real images the generator was "
                   "trained on (memorisation is checked against them; without it every real image counts as "
                   "held-out)")
    p.add_argument("--synthetic", metavar="DIR", help="folder of synthetic images (needs --real)")
    p.add_argument("--subgroup", metavar="COLUMN", help="with --real: metadata column of your images for "
                   "per-subgroup results (default: none, the evaluation runs without subgroups)")
    p.add_argument("--scheduler", default=None, metavar="processes|local|ADDRESS",
                   help="with --real: compute the evaluation's features on Dask ('processes', 'local' or a "
                        "scheduler address; needs pip install \"misyn-lab[scale]\")")
    p.add_argument("--out", metavar="DIR", default="misyn-lab-report", help="output folder (default: %(default)s)")
    p.add_argument("--seed", type=non_negative_int, default=0, help="seed, 0 to 2**32-1 (the report is identical "
                   "for a fixed seed, except its date line)")
    p.add_argument("--quick", action="store_true", help="fewer seeds/images: a fast smoke run")
    p.add_argument("--no-progress", action="store_true", help="no progress lines on stderr")
    p.add_argument("--pdf", action="store_true", help="also write report.pdf (A4) with headless Chromium "
                   "(/usr/bin/chromium, $MISYN_LAB_CHROMIUM, or Playwright's)")
    p.add_argument("--registry", metavar="FILE", help="with --real: registry of generated images the real images are "
                   "matched against (default: $MISYN_LAB_REGISTRY or ~/.misyn-lab/registry.sqlite when it exists)")
    p.add_argument("--no-registry", action="store_true", help="with --real: check the real images for marks only")
    p.add_argument("--allow-marked-real", action="store_true",
                   help="evaluate real images even if some carry a synthetic mark or match the registry (refused "
                        "by default; the report then says so at its top)")
    p.set_defaults(func=_report)
