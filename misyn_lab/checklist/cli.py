"""``misyn-lab checklist …`` and ``misyn-lab review …`` commands."""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

from misyn_lab.checklist.answers import STATUSES, MissingJustificationWarning
from misyn_lab.checklist.loader import STAGE_TITLES, STAGES, Checklist, check_stage, load_checklist
from misyn_lab.checklist.review import Review, merge_reviews
from misyn_lab.errors import InputError


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``checklist`` and ``review`` command groups."""
    p_check = sub.add_parser("checklist", help="show the MISyn checklist",
                             description="Show the ethical MISyn checklist (recommendations by lifecycle stage).")
    csub = p_check.add_subparsers(dest="checklist_command", metavar="ACTION")
    p_show = csub.add_parser("show", help="print the checklist", description="Print the checklist items.")
    p_show.add_argument("--stage", help="only this stage: " + ", ".join(STAGES))
    p_show.add_argument("--format", choices=("text", "markdown", "json"), default="text", help="output format")
    p_show.set_defaults(func=cmd_checklist_show)
    p_check.set_defaults(func=_help(p_check))

    p_rev = sub.add_parser("review", help="create, answer, summarise and merge reviews",
                           description="Work with review files (YAML or .json).")
    rsub = p_rev.add_subparsers(dest="review_command", metavar="ACTION")
    p_new = rsub.add_parser("new", help="create an empty review file", description="Create an empty review file.")
    p_new.add_argument("file", help="review file to create (.yaml or .json)")
    p_new.add_argument("--title", default="", help="review title")
    p_new.add_argument("--reviewer", default=None, help="first reviewer's name")
    p_new.add_argument("--force", action="store_true", help="overwrite an existing file")
    p_new.set_defaults(func=cmd_review_new)

    p_sum = rsub.add_parser("summary", help="per-stage counts and gaps", description="Summarise a review.")
    p_sum.add_argument("file", help="review file")
    p_sum.add_argument("--json", action="store_true", help="print JSON instead of text")
    p_sum.set_defaults(func=cmd_review_summary)

    p_merge = rsub.add_parser("merge", help="merge review files", description="Merge reviews (e.g. one per "
                              "reviewer) into one file; disagreements and conflicts are kept and listed.")
    p_merge.add_argument("files", nargs="+", help="review files to merge")
    p_merge.add_argument("-o", "--output", required=True, help="merged review file to write")
    p_merge.add_argument("--force", action="store_true", help="overwrite an existing output file")
    p_merge.set_defaults(func=cmd_review_merge)

    p_ans = rsub.add_parser("answer", help="answer one item", description="Record one reviewer's answer.")
    p_ans.add_argument("file", help="review file")
    p_ans.add_argument("item", help="checklist item id, e.g. TS-1")
    p_ans.add_argument("status", help="one of " + ", ".join(STATUSES))
    p_ans.add_argument("--reviewer", required=True, help="reviewer name")
    p_ans.add_argument("--why", default="", help="justification / reason")
    p_ans.set_defaults(func=cmd_review_answer)
    p_rev.set_defaults(func=_help(p_rev))


def _help(parser: argparse.ArgumentParser):
    def show(args: argparse.Namespace) -> int:
        parser.print_help()
        return 2
    return show


def _existing(path: str) -> Path:
    p = Path(path)
    if not p.is_file():
        raise InputError("review file not found", path=p, remedy="check the path or create it with "
                         "`misyn-lab review new FILE`")
    return p


# ---------------------------------------------------------------------- checklist show
def render_checklist(checklist: Checklist, fmt: str = "text", stage: str | None = None) -> str:
    """The checklist (or one stage) as text, markdown or JSON."""
    stages = [check_stage(stage)] if stage else list(STAGES)
    if fmt == "json":
        return json.dumps({"title": checklist.title, "version": checklist.version, "citation": checklist.citation,
                           "items": [it.to_dict() for s in stages for it in checklist.by_stage(s)]},
                          indent=2, ensure_ascii=False)
    lines = []
    if fmt == "markdown":
        lines += [f"# {checklist.title} (version {checklist.version})", "", f"After {checklist.citation}", ""]
        for s in stages:
            lines += [f"## {STAGE_TITLES[s]}", ""]
            for it in checklist.by_stage(s):
                lines.append(f"- [ ] **{it.id}. {it.title}**: {it.question}")
            lines.append("")
        return "\n".join(lines)
    lines += [f"{checklist.title} (version {checklist.version}; {len(checklist)} items)", f"After {checklist.citation}"]
    for s in stages:
        items = checklist.by_stage(s)
        lines += ["", f"{STAGE_TITLES[s]} ({len(items)} items)"]
        for it in items:
            lines.append(f"  {it.id:<6} {it.title} [{it.severity}; {'/'.join(it.limits)}; {it.source}]")
            lines.append(f"         {it.question}")
    return "\n".join(lines)


def cmd_checklist_show(args: argparse.Namespace) -> int:
    print(render_checklist(load_checklist(), args.format, args.stage))
    return 0


# ---------------------------------------------------------------------- reviews
def cmd_review_new(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if path.exists() and not args.force:
        raise InputError("file already exists; not overwriting", path=path, remedy="choose another name or pass --force")
    review = Review.new(args.title, reviewer=args.reviewer)
    review.save(path, overwrite=True)
    print(f"created {path} ({len(review.checklist)} items, checklist version {review.checklist.version})")
    return 0


def cmd_review_summary(args: argparse.Namespace) -> int:
    review = Review.load(_existing(args.file))
    summary = review.summary()
    if args.json:
        print(json.dumps({"title": review.title, "revision": review.revision, **summary.to_dict()},
                         indent=2, ensure_ascii=False))
    else:
        print(f"{review.title or '(untitled review)'} - revision {review.revision}, "
              f"reviewers: {', '.join(review.reviewers) or 'none'}")
        print(summary.to_text())
        changes = review.checklist_changes()
        if changes.changed or changes.orphaned:
            print(str(changes))
    return 0


def cmd_review_merge(args: argparse.Namespace) -> int:
    out = Path(args.output)
    if out.exists() and not args.force:
        raise InputError("output file already exists; not overwriting", path=out,
                         remedy="choose another name or pass --force")
    reviews = [Review.load(_existing(f)) for f in args.files]
    merged = merge_reviews(*reviews)
    merged.save(out, overwrite=True)
    n_dis = len(merged.disagreements())
    print(f"merged {len(reviews)} reviews into {out}: reviewers {', '.join(merged.reviewers) or 'none'}; "
          f"{n_dis} item(s) with disagreements; {len(merged.conflicted())} conflicted answer(s)")
    return 0


def cmd_review_answer(args: argparse.Namespace) -> int:
    review = Review.load(_existing(args.file))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MissingJustificationWarning)
        answer = review.set_answer(args.item, args.reviewer, args.status, args.why)
    review.save()
    for w in caught:
        print(f"misyn-lab: warning: {w.message}", file=sys.stderr)
    print(f"{args.item}: {args.reviewer} -> {answer.status} (revision {review.revision})")
    return 0
