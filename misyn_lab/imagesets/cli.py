"""``misyn-lab samples build|list``: rebuild the real sample archive, list what it holds."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import pandas as pd

from misyn_lab.errors import InputError
from misyn_lab.imagesets.samples import BUNDLED_DIR, data_dir, list_samples
from misyn_lab.imagesets.samples_build import build_samples, manifest_text


def _default_out() -> Path:
    return BUNDLED_DIR


def _parse_manifest(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        if line.strip():
            digest, rel = line.split("  ", 1)
            out[rel] = digest
    return out


def _read_manifest(path: Path) -> dict[str, str]:
    if not path.is_file():
        raise InputError("no MANIFEST.sha256 to compare with", path=path,
                         remedy="build once without --check to create it")
    return _parse_manifest(path.read_text())


def cmd_build(args: argparse.Namespace) -> int:
    out = Path(args.out) if args.out else _default_out()
    groups = tuple(g.strip() for g in args.only.split(",") if g.strip()) if args.only else None
    if args.check:
        with tempfile.TemporaryDirectory(prefix="misyn-samples-") as tmp:
            summary = build_samples(tmp, groups=groups)
            fresh = _read_manifest(Path(tmp) / "MANIFEST.sha256")
        committed = _read_manifest(out / "MANIFEST.sha256")
        on_disk = _parse_manifest(manifest_text(out))
        diff = sorted(k for k in set(fresh) | set(committed) | set(on_disk)
                      if not fresh.get(k) == committed.get(k) == on_disk.get(k))
        if diff:
            raise InputError(f"rebuilt archive differs from MANIFEST.sha256 or the files in {out} in {len(diff)} "
                             f"file(s), e.g. {diff[:5]}", path=out / "MANIFEST.sha256",
                             remedy="check package versions (see PROVENANCE.md) or rebuild without --check")
        print(f"samples check OK: {summary['n_images']} images, {len(fresh)} files identical to {out}")
        return 0
    summary = build_samples(out, groups=groups)
    print(f"built {summary['n_images']} images ({summary['n_masks']} masks), {summary['size_mb']:.2f} MB "
          f"in {summary['seconds']:.1f} s -> {out}")
    for key, n in summary["counts"].items():
        print(f"  {key:<28} {n:>4}")
    for note in summary["notes"]:
        print(f"  note: {note}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    table = list_samples()

    with pd.option_context("display.max_colwidth", 60, "display.width", 200):
        print(table.to_string(index=False))
    print(f"\n{int(table['n_images'].sum())} real images, modalities: "
          f"{', '.join(sorted({m for v in table['modality'] for m in v.split(',')}))}")
    print(f"provenance and licences: {data_dir() / 'PROVENANCE.md'}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``samples build`` and ``samples list``."""
    p = sub.add_parser("samples", help="the bundled real sample images",
                       description="Build or list the bundled real sample images (misyn_lab/data_samples/).")
    ssub = p.add_subparsers(dest="samples_command", metavar="SUBCOMMAND")
    b = ssub.add_parser("build", help="rebuild the bundled samples from installed packages (deterministic)",
                        description="Derive the 128x128 sample archive from real images shipped in installed "
                                    "packages (nilearn, pydicom, pydicom-data, scikit-image, Debian mricron-data).")
    b.add_argument("--out", metavar="DIR", help="output folder (default: the bundled misyn_lab/data_samples)")
    b.add_argument("--check", action="store_true",
                   help="rebuild in a temporary folder and fail if any byte differs from DIR/MANIFEST.sha256")
    b.add_argument("--only", metavar="GROUPS",
                   help="comma-separated groups to build (e.g. histology,dicom_ct); the archive and its "
                        "manifest then hold only those (for quick checks)")
    b.set_defaults(func=cmd_build)
    lst = ssub.add_parser("list", help="show sample groups, counts, modalities and licences",
                          description="Show the sample groups with counts, modality, source and licence.")
    lst.set_defaults(func=cmd_list)
    p.set_defaults(func=lambda a: (p.print_help(), 2)[1])
