"""``misyn-lab label``, ``misyn-lab audit`` and ``misyn-lab card``.

Exit codes of ``audit``: 0 clean, 3 when unlabelled synthetic images (registry matches without a mark)
are found, 4 when no unlabelled image was found but some image files could not be read (not checked),
2 on bad input (from the dispatcher).
"""

from __future__ import annotations

import argparse
import sys
from contextlib import nullcontext
from pathlib import Path

from misyn_lab.atomic import writing
from misyn_lab.cli_types import non_negative_int, positive_int, worker_count
from misyn_lab.engine import SCALE_EXTRA, SCHEDULER_HELP
from misyn_lab.errors import InputError
from misyn_lab.provenance.audit import LOCAL_MIN_FILES, LOCAL_MIN_FILES_MARKS_ONLY, audit_folder, terminal_text
from misyn_lab.provenance.card import build_card, write_card
from misyn_lab.provenance.mark import label_file, plan_labels
from misyn_lab.provenance.record import COMPOSITE_TRAINED_ALGORITHMIC_MEDIA, Provenance
from misyn_lab.provenance.registry import default_registry_path, open_registry

EXIT_UNLABELLED = 3


def _provenance(args: argparse.Namespace):
    conditioning = {}
    if args.prompt:
        conditioning["prompt"] = args.prompt
    return Provenance(generator=args.generator, generator_version=args.generator_version or "",
                      training_data=args.training_data or "", conditioning=conditioning, seed=args.seed,
                      notes=args.notes or "",
                      **({"digital_source_type": COMPOSITE_TRAINED_ALGORITHMIC_MEDIA} if args.edited_real else {}))


def cmd_label(args: argparse.Namespace) -> int:
    prov = _provenance(args)
    out_dir = Path(args.out) if args.out else None
    if out_dir is not None:
        if out_dir.exists() and not out_dir.is_dir():
            raise InputError("--out must be a folder", path=out_dir, remedy="give a folder for the labelled copies")
        with writing(out_dir):
            out_dir.mkdir(parents=True, exist_ok=True)
    plan = plan_labels(args.files, out_dir)  # every input checked (links, collisions) before anything is written

    # None -> $MISYN_LAB_REGISTRY or ~/.misyn-lab/registry.sqlite; labelling creates the registry
    done = 0
    with (nullcontext() if args.no_registry else open_registry(args.registry, create=True)) as registry:
        for src, _target in plan:
            try:
                written = label_file(src, prov, out=out_dir, banner=args.banner, registry=registry)
            except InputError as exc:
                if done:
                    exc.message += f" ({done} of {len(plan)} file(s) before it were labelled)"
                raise
            done += 1
            if not args.quiet:
                print(f"labelled {terminal_text(written)}")
        if not args.quiet:
            print(f"{done} file(s) labelled as synthetic (generator {terminal_text(prov.generator)})"
                  + (f", registered in {terminal_text(registry.path)}" if registry is not None else ""))
    return 0


#: ``misyn-lab audit`` exit code when some image files could not be read (and no unlabelled file was found).
EXIT_NOT_CHECKED = 4


def cmd_audit(args: argparse.Namespace) -> int:
    registry = args.registry
    if registry is None and not args.no_registry:
        default = default_registry_path()
        registry = str(default) if default.is_file() else None
    for option in ("csv", "json"):
        target = getattr(args, option)
        if target is not None and Path(target).is_dir():
            raise InputError(f"--{option} must be a file path, not a folder", path=target,
                             remedy=f"give a file name, e.g. {Path(target) / ('audit.' + option)}")
    report = audit_folder(args.folder, registry=registry, progress=not args.quiet and sys.stderr.isatty(),
                          workers=args.workers, scheduler=args.scheduler, chunk_size=args.chunk_size)
    if args.csv:
        report.to_csv(args.csv)
    if args.json:
        report.to_json(args.json)
    if not args.quiet:
        for rec in report.by_status("unlabelled_registry_match"):
            print(f"UNLABELLED SYNTHETIC: {terminal_text(rec.path)} ({terminal_text(rec.reason)})")
        for rec in report.by_status("unreadable"):
            print(f"unreadable (not checked): {terminal_text(rec.path)} ({terminal_text(rec.reason)})")
        for item in report.skipped_paths:
            print(f"skipped: {terminal_text(item['path'])} ({terminal_text(item['reason'])})")
        for warning in report.warnings:
            print(f"registry warning: {terminal_text(warning)}")
    print(report.summary())
    return {"unlabelled_synthetic": EXIT_UNLABELLED, "not_checked": EXIT_NOT_CHECKED, "clean": 0}[report.verdict]


def cmd_card(args: argparse.Namespace) -> int:
    audit = None
    if args.audit:
        audit = audit_folder(args.audit, registry=args.registry, progress=False)
    card = build_card(provenance=_provenance(args), audit=audit, registry=args.registry,
                      formats=args.formats, intended_use=args.intended_use or "", out_of_scope=args.out_of_scope or "",
                      banner=args.banner)
    md, js = write_card(card, args.out)
    print(f"card written: {md} and {js}")
    return 0


def _add_provenance_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--generator", required=True, help="name of the model that generated the images")
    p.add_argument("--generator-version", default="", help="version of that model")
    p.add_argument("--training-data", default="", help="description of the training data")
    p.add_argument("--prompt", default="", help="text prompt used as conditioning input, if any")
    p.add_argument("--seed", type=non_negative_int, default=None, help="random seed of the generation (>= 0)")
    p.add_argument("--notes", default="", help="free-text notes")
    p.add_argument("--edited-real", action="store_true",
                   help="the images are real scans edited by a model (IPTC compositeWithTrainedAlgorithmicMedia)")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``label``, ``audit`` and ``card`` sub-commands."""
    p = sub.add_parser("label", help="mark image files as synthetic (PNG/TIFF/JPEG/DICOM/NIfTI)",
                       description="Write the synthetic mark and provenance into each FILE (in place, or copies "
                                   "in --out). Pixels are not changed unless --banner is given.")
    p.add_argument("files", nargs="+", metavar="FILE", help="image files to label")
    _add_provenance_args(p)
    p.add_argument("--out", default=None, metavar="DIR", help="write labelled copies into DIR instead of in place")
    p.add_argument("--banner", action="store_true",
                   help="also burn a visible SYNTHETIC strip into the pixels (changes pixel data; off by default)")
    p.add_argument("--registry", default=None, metavar="FILE",
                   help="registry to record the labelled files in (default: $MISYN_LAB_REGISTRY or "
                        "~/.misyn-lab/registry.sqlite)")
    p.add_argument("--no-registry", action="store_true", help="do not record the labelled files in a registry")
    p.add_argument("--quiet", action="store_true", help="print nothing on success")
    p.set_defaults(func=cmd_label)

    a = sub.add_parser("audit", help="scan a dataset folder for labelled and unlabelled synthetic images",
                       description="Recursively audit PNG/JPEG/TIFF/DICOM/NIfTI files (never leaving DIR: symlinks "
                                   "that resolve outside it are listed as skipped). Exit 0 when clean, 3 when "
                                   "unlabelled synthetic images (registry matches) are found, 4 when some image "
                                   "files could not be read (not checked), 2 on bad input.")
    a.add_argument("folder", metavar="DIR", help="dataset folder")
    a.add_argument("--registry", default=None, metavar="FILE",
                   help="registry of known synthetic images (default: $MISYN_LAB_REGISTRY or "
                        "~/.misyn-lab/registry.sqlite when it exists)")
    a.add_argument("--no-registry", action="store_true", help="check marks only, ignore any registry")
    a.add_argument("--workers", type=worker_count, default=1,
                   help="worker processes, 1 to the number of CPUs (default 1: this process only): above 1 this "
                        "process and the others as Dask worker processes (its multiprocessing scheduler), which read "
                        "and hash files (this process alone holds the registry index) "
                        f"(folders of {LOCAL_MIN_FILES:,}+ files, {LOCAL_MIN_FILES_MARKS_ONLY:,}+ without a "
                        f"registry; smaller ones run here; needs {SCALE_EXTRA})")
    a.add_argument("--scheduler", default=None, metavar="processes|local|ADDRESS", help=SCHEDULER_HELP)
    a.add_argument("--chunk-size", type=positive_int, default=None, metavar="N",
                   help="files per Dask task (default 200)")
    a.add_argument("--csv", default=None, metavar="F", help="write per-file results as CSV")
    a.add_argument("--json", default=None, metavar="F", help="write the full report as JSON")
    a.add_argument("--quiet", action="store_true", help="print only the one-line summary")
    a.set_defaults(func=cmd_audit)

    c = sub.add_parser("card", help="write a generator/dataset card (Markdown + JSON)",
                       description="Write <OUT>.md and <OUT>.json describing what was generated, from what, how it "
                                   "is labelled, registry/audit status and the intrinsic limits L1-L3.")
    _add_provenance_args(c)
    c.add_argument("--out", required=True, help="output base name (writes OUT.md and OUT.json)")
    c.add_argument("--registry", default=None, metavar="FILE", help="registry to report on")
    c.add_argument("--audit", default=None, metavar="DIR", help="audit this folder and include the summary")
    c.add_argument("--formats", nargs="*", default=[], choices=["png", "tiff", "jpeg", "dicom", "nifti"],
                   help="file formats the images were exported in")
    c.add_argument("--intended-use", default="", help="intended use of the images")
    c.add_argument("--out-of-scope", default="", help="uses the images are not fit for")
    c.add_argument("--banner", action="store_true", default=None, help="the images carry a visible banner")
    c.set_defaults(func=cmd_card)

