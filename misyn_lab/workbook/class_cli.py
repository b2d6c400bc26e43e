"""``misyn-lab class collect DIR``: gather a class's review files into one class file and report agreement.

``misyn-lab class collect DIR [--out FILE] [--key FILE | --vignette-key] [--force]``
    Merge the students' review files in DIR (one per student; the merge rules of ``review merge``) into
    the class file FILE (default: ``<DIR>-class.yaml`` beside DIR), then print Fleiss' kappa overall and per
    stage, the items the class disagreed on most and, with a key, each student's Cohen's kappa and distance
    from it. Refused files are named with the reason; the exit code is 3 when any file was refused (the class
    file still holds every usable one), 0 otherwise.

``misyn-lab class readers DIR [--out FILE] [--study ID] [--force] [--seed N]``
    Gather the students' reader-study answer files in DIR (notebook 09; one per student, the same folder
    conventions) into the class file FILE (default: ``<DIR>-readers.yaml`` beside DIR), then print each reader's
    accuracy with its Wilson CI, the mean accuracy with the two-way cluster bootstrap over readers and tiles, the
    crossed random-effects model and the tiles that fooled most readers. Exit 3 when any file was refused.
    A separate command from ``collect`` because reader answers are scored against the study's truth, not
    compared with an answer key; one file may hold both kinds of answers, and each command reads its own.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from misyn_lab.checklist.agreement import class_agreement
from misyn_lab.checklist.classroom import collect_class
from misyn_lab.checklist.review import Review
from misyn_lab.errors import InputError
from misyn_lab.workbook.vignettes import vignette_key

#: Exit code when some files of the class folder were refused.
EXIT_REFUSED = 3


def default_out(folder: str | Path) -> Path:
    """``<folder>-class.yaml`` beside the class folder."""
    root = Path(folder).resolve()
    return root.with_name(root.name + "-class.yaml")


def _class_file(args: argparse.Namespace, default: Path) -> Path:
    """The class file to write (``--out`` or ``default``); an existing one only with ``--force``."""
    out = Path(args.out) if args.out else default
    if out.exists() and not args.force:
        raise InputError("class file already exists; not overwriting", path=out,
                         remedy="choose another --out or pass --force")
    return out


def _collect(args: argparse.Namespace) -> int:
    out = _class_file(args, default_out(args.dir))
    key = None
    if args.key:
        if not Path(args.key).is_file():
            raise InputError("answer key file not found", path=args.key, remedy="check the --key path")
        key = Review.load(args.key)
    elif args.vignette_key:
        key = vignette_key()
    collected = collect_class(args.dir, exclude=(out,))
    collected.review.save(out, overwrite=True)
    for line in collected.report_lines():
        print(line)
    print(f"wrote the class file {out}")
    result = class_agreement(collected.review, key=key, seed=args.seed)
    for line in result.summary_lines():
        print(line)
    if result.against_key is not None:
        for row in result.against_key.itertuples():
            kappa = "n/a" if not math.isfinite(row.kappa) else f"{row.kappa:.2f}"
            print(f"  {row.student}: Cohen's kappa {kappa}, distance {row.distance:.2f} over {row.n_items} "
                  f"items, {row.missed_gap} missed gap(s), {row.extra_flag} extra flag(s)")
    return EXIT_REFUSED if collected.refused else 0


def default_readers_out(folder: str | Path) -> Path:
    """``<folder>-readers.yaml`` beside the class folder."""
    root = Path(folder).resolve()
    return root.with_name(root.name + "-readers.yaml")


def _readers(args: argparse.Namespace) -> int:
    from misyn_lab.instruments.reader_class import analyse_class
    from misyn_lab.instruments.reader_collect import collect_readers

    out = _class_file(args, default_readers_out(args.dir))
    collected = collect_readers(args.dir, study_id=args.study, exclude=(out,))
    collected.review.save(out, overwrite=True)
    for line in collected.report_lines():
        print(line)
    print(f"wrote the class file {out}")
    result = analyse_class(collected.records, seed=args.seed)
    for sentence in result.sentences():
        print(sentence)
    for row in result.reader_table().itertuples():
        print(f"  {row.reader}: {row.correct}/{row.answers} correct, {row.accuracy:.0%} (Wilson CI "
              f"{row.ci_low:.0%}-{row.ci_high:.0%}), {row.reading}")
    return EXIT_REFUSED if collected.refused else 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``class`` command group."""
    p = sub.add_parser("class", help="class mode: collect students' reviews and measure their agreement",
                       description="Class mode for a course: one review file per student.")
    csub = p.add_subparsers(dest="class_command", metavar="ACTION")
    c = csub.add_parser("collect", help="merge the students' review files in DIR into a class file",
                        description="Merge one review file per student (the rules of `review merge`) into a "
                                    "class file and report Fleiss' kappa overall and per stage, the items the "
                                    "class disagreed on most, and (with a key) each student's Cohen's kappa "
                                    "against it. Exit 3 when some files were refused.")
    c.add_argument("dir", metavar="DIR", help="folder with one review file (.yaml/.yml/.json) per student")
    c.add_argument("--out", metavar="FILE", help="class file to write (default: <DIR>-class.yaml beside DIR)")
    keys = c.add_mutually_exclusive_group()
    keys.add_argument("--key", metavar="FILE", help="answer key: a review file answered by one reviewer")
    keys.add_argument("--vignette-key", action="store_true",
                      help="use the bundled answer key of the vignettes in notebooks 02-06")
    c.add_argument("--force", action="store_true", help="overwrite an existing class file")
    c.add_argument("--seed", type=int, default=0, help="seed of the bootstrap intervals (default 0)")
    c.set_defaults(func=_collect)
    r = csub.add_parser("readers", help="gather the students' reader-study answer files in DIR and analyse them",
                        description="Gather one reader-study answer file per student (notebook 09) into a class "
                                    "file and report each reader's accuracy (Wilson CI), the mean accuracy with a "
                                    "two-way cluster bootstrap over readers and tiles, a crossed random-effects "
                                    "model and the tiles that fooled most readers. Exit 3 when some files were "
                                    "refused.")
    r.add_argument("dir", metavar="DIR", help="folder with one answer file (.yaml/.yml/.json) per student")
    r.add_argument("--out", metavar="FILE", help="class file to write (default: <DIR>-readers.yaml beside DIR)")
    r.add_argument("--study", metavar="ID", help="the reader study to collect when the folder holds several")
    r.add_argument("--force", action="store_true", help="overwrite an existing class file")
    r.add_argument("--seed", type=int, default=0, help="seed of the bootstrap over readers and tiles (default 0)")
    r.set_defaults(func=_readers)
    p.set_defaults(func=lambda a: (p.print_help(), 2)[1])
