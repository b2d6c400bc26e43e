"""Command-line access to the review instruments.

``misyn-lab claims check FILE [--json] [--strict] [--alpha A]``
    Check the claims in FILE (a review file holding a ``claims`` section, or a YAML/JSON list of claims)
    with the fixed claim rules; print each claim's status, its direction (declared or inferred), the number
    that decided it and the reasons. ``--json`` prints one object per claim (``claim_id``, ``status``,
    ``direction``, ``decided_by``, ``rules``, ``reasons`` ... and the claim itself under ``claim``). Exit 0;
    with ``--strict`` exit 1 when any claim is contradicted, not supported, untested or overclaimed.
``misyn-lab stakeholder checklist [--format markdown|html] [--review FILE] [--out FILE]``
    The plain-language checklist for stakeholders (with the review's concerns when ``--review`` is given).
``misyn-lab stakeholder app [--review FILE] [--port N] [--no-browser]``
    The stakeholder checklist as a web page with no code (Voilà, on 127.0.0.1 only): question, object to or
    refuse an item; every concern is saved to the review file at once.
``misyn-lab ladder FILE [--out PNG]``
    Evidence per evaluation rung and the claims that reach beyond it; ``--out`` writes the ladder figure.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from misyn_lab import render
from misyn_lab.atomic import atomic_write_bytes, atomic_write_text
from misyn_lab.errors import InputError
from misyn_lab.instruments.claims import STATUSES, check_claims, claims_from_data, load_claims
from misyn_lab.instruments.ladder import RUNGS, ladder_data, ladder_takeaway
from misyn_lab.metrics.result import format_p
from misyn_lab.render import figure_png


def _is_review_data(data: Any) -> bool:
    """A review file says so in ``kind`` (other files, e.g. case files, also carry a ``schema_version``)."""
    from misyn_lab.checklist.review import KIND

    return isinstance(data, dict) and data.get("kind") == KIND


def load_claims_source(path: str | Path) -> tuple[list, Any]:
    """``(claims, review_or_None)`` from a review file or a claims list file."""
    from misyn_lab.checklist.review import Review
    from misyn_lab.checklist.yaml_io import load_file

    data = load_file(path, what="claims file")
    if _is_review_data(data):
        review = Review.load(path)
        return load_claims(review), review
    return claims_from_data(data, source=path), None


def _claims_check(args: argparse.Namespace) -> int:
    claims, review = load_claims_source(args.file)
    if not claims:
        raise InputError("no claims found", path=args.file,
                         remedy="add claims (see misyn_lab/instruments/CLAIM_RULES.md)")
    verdicts = check_claims(claims, review, alpha=args.alpha)
    if args.json:
        out = [{"claim": c.to_dict(), **v.to_dict()} for c, v in zip(claims, verdicts)]
        print(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        for c, v in zip(claims, verdicts):
            print(f"{c.id}: {v.status.upper()} — {c.text}")
            print(f"    direction: {v.direction or 'none'} ({v.direction_source}); decided by: {v.decided_by}")
            for rule, reason in zip(v.rules, v.reasons):
                print(f"    [{rule}] {reason}")
            if v.p_adjusted is not None:
                print(f"    Holm-adjusted {format_p(v.p_adjusted)}")
        counts = {s: sum(v.status == s for v in verdicts) for s in reversed(STATUSES)}
        print("Summary: " + ", ".join(f"{n} {s}" for s, n in counts.items()))
    if args.strict and any(v.status != "supported" for v in verdicts):
        return 1
    return 0


def _stakeholder_checklist(args: argparse.Namespace) -> int:
    from misyn_lab.instruments.document import stakeholder_document

    review = None
    if args.review:
        from misyn_lab.checklist.review import Review

        review = Review.load(args.review)
    doc = stakeholder_document(review=review)
    text = render.page(doc) if args.format == "html" else render.document_markdown(doc)
    if args.out:
        atomic_write_text(args.out, text)
        print(f"wrote {args.out}")
    else:
        sys.stdout.write(text)
    return 0


def _stakeholder_app(args: argparse.Namespace) -> int:
    from misyn_lab.instruments.stakeholder_app import run_app

    return run_app(args.review, port=args.port, open_browser=not args.no_browser)


def _ladder(args: argparse.Namespace) -> int:
    from misyn_lab.checklist.review import Review

    review = Review.load(args.file)
    data = ladder_data(review)
    for k in sorted(RUNGS, reverse=True):
        print(f"rung {k} {RUNGS[k].name}: {data.counts.get(k, 0)} evidence item(s)")
    for c in data.claims:
        mark = "BEYOND" if c.beyond else "within"
        print(f"claim {c.claim_id}: claims rung {c.claimed_rung}, evidence rung {c.evidence_rung} ({mark})")
    print(ladder_takeaway(data))
    if args.out:
        import matplotlib

        matplotlib.use("Agg")
        from misyn_lab.viz.ladder import ladder_figure  # viz sits above instruments; imported only here

        atomic_write_bytes(args.out, figure_png(ladder_figure(data), dpi=120))
        print(f"wrote {args.out}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``claims``, ``stakeholder`` and ``ladder`` sub-commands."""
    claims = sub.add_parser("claims", help="check the claims of a MISyn work against fixed rules")
    csub = claims.add_subparsers(dest="claims_command", metavar="ACTION")
    check = csub.add_parser("check", help="status and reasons for each claim in a review or claims file")
    check.add_argument("file", help="review file (YAML/JSON) with a claims section, or a YAML list of claims")
    check.add_argument("--json", action="store_true", help="print JSON instead of text")
    check.add_argument("--strict", action="store_true",
                       help="exit 1 if any claim is contradicted, not supported, untested or overclaimed")
    check.add_argument("--alpha", type=float, default=0.05, help="significance level after Holm (default 0.05)")
    check.set_defaults(func=_claims_check)
    claims.set_defaults(func=lambda a: (claims.print_help(), 2)[1])

    stake = sub.add_parser("stakeholder", help="the plain-language checklist for stakeholders and the public")
    ssub = stake.add_subparsers(dest="stakeholder_command", metavar="ACTION")
    cl = ssub.add_parser("checklist", help="print the stakeholder checklist")
    cl.add_argument("--format", choices=("markdown", "html"), default="markdown")
    cl.add_argument("--review", help="review file: list its stakeholder concerns under each question")
    cl.add_argument("--out", help="write to this file instead of printing")
    cl.set_defaults(func=_stakeholder_checklist)
    app = ssub.add_parser("app", help="the stakeholder checklist as a no-code web page (Voilà)",
                          description="Serve the stakeholder checklist as a web page with no code visible, on "
                                      "127.0.0.1 only: anyone with the page can question, object to or refuse an "
                                      "item, with their name and role; every concern is saved to the review file "
                                      "at once. Stop it with Ctrl-C.")
    app.add_argument("--review", metavar="FILE",
                     help="review file the concerns are saved to (default: stakeholder-review.yaml here; "
                          "created on the first concern)")
    app.add_argument("--port", type=int, default=8866, help="port on 127.0.0.1 (default 8866)")
    app.add_argument("--no-browser", action="store_true", help="do not open a browser")
    app.set_defaults(func=_stakeholder_app)
    stake.set_defaults(func=lambda a: (stake.print_help(), 2)[1])

    ladder = sub.add_parser("ladder", help="evidence per evaluation rung and claims beyond it")
    ladder.add_argument("file", help="review file")
    ladder.add_argument("--out", help="write the ladder figure (PNG)")
    ladder.set_defaults(func=_ladder)
