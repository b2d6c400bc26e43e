"""Check everything a report run will use before any work starts (no case computed, no image measured, no
notebook kernel started).

One job: turn the report's inputs into validated values or one clear :class:`~misyn_lab.errors.InputError`
— the seed, the output folder, the image folders (they exist and hold image files), the subgroup column (read
from the first image of each folder; suggestions name real metadata columns, never file properties such as
``source_path``), the case files (unreadable or invalid files refused) and their notebooks, the review file, and
whether the "real" images are real (:func:`misyn_lab.provenance.screen.screen_real`: marks in the files and
registry matches). Nothing is written here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import difflib
import os
import warnings

from misyn_lab.cli_types import MAX_SEED
from misyn_lab.errors import InputError
from misyn_lab.imagesets.core import subgroup_columns
from misyn_lab.imagesets.loaders import load_images
from misyn_lab.imagesets.readers import has_dicm_marker
from misyn_lab.cases.case import BUNDLED, load_case


@dataclass
class Preflight:
    """The validated inputs of one report run."""

    real: Path | None
    synthetic: Path | None
    review: Path | None
    out: Path
    seed: int
    cases: list[Any] = field(default_factory=list)
    #: Real images found to be synthetic (:class:`~misyn_lab.provenance.screen.RealScreen`), when ``real`` is set.
    screen: Any = None
    allow_marked_real: bool = False
    #: The images the generator was trained on (``--real-train``), when given.
    real_train: Path | None = None
    #: Their screening, like ``screen``.
    train_screen: Any = None

    def summary_lines(self) -> list[str]:
        """Sentences for the top of the report (the real-image screening, when there is something to say)."""
        if self.screen is None:
            return []
        lines = []
        if self.train_screen is not None and self.train_screen.flagged:
            lines.append(f"WARNING (training images): {self.train_screen.describe(limit=5)}.")
        if self.screen.flagged:
            lines.append(f"WARNING: {self.screen.describe(limit=5)}. They were evaluated as real images because "
                         "--allow-marked-real was given; every real-vs-synthetic result below is affected.")
        else:
            reg = f" and matched against the registry {self.screen.registry}" if self.screen.registry else \
                " (no registry: images whose marks were stripped cannot be found)"
            lines.append(f"Real images screened: none of the {self.screen.checked} real image file(s) carries a "
                         f"synthetic mark{reg}.")
        return lines


def check_seed(seed: Any) -> int:
    """``seed`` as an int in 0..:data:`MAX_SEED`; anything else is an :class:`InputError`."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise InputError(f"seed must be a whole number from 0 to {MAX_SEED}, got {seed!r}", path="seed",
                         remedy="pass e.g. --seed 0")
    return seed


def check_out(out: str | Path) -> Path:
    """The output folder: it may exist (as a folder) or be creatable; a file in its place is refused."""
    path = Path(out).expanduser()
    if path.exists() and not path.is_dir():
        raise InputError("--out must be a folder, but a file of that name exists", path=path,
                         remedy="give a folder for the report (it is created if missing)")
    for parent in path.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise InputError(f"--out cannot be created: {parent} is a file", path=path,
                                 remedy="give a folder path whose parents are folders")
            break
    return path.resolve()


def check_dir(path: str | Path | None, what: str) -> Path | None:
    """An existing folder of images (``None`` passes through)."""
    if path is None:
        return None
    p = Path(path).expanduser()
    if not p.is_dir():
        raise InputError(f"{what} folder not found", path=p, remedy=f"give an existing folder of {what} images")
    return p.resolve()


#: File name endings the image loaders read (a file without an ending may be DICOM).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".dcm", ".dicom", ".nii", ".nii.gz", ".npz", ".npy")


def first_image(folder: Path, what: str) -> Path:
    """The first image file (in sorted order, sub-folders included) of ``folder``; an :class:`InputError` when the
    folder holds none (an empty folder, or one of other files)."""
    others = 0
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            path = Path(root) / name
            if name.lower().endswith(IMAGE_SUFFIXES) or ("." not in name and has_dicm_marker(path)):
                return path
            others += 1
    found = f"{others} other file(s)" if others else "it is empty"
    raise InputError(f"the {what} folder holds no image files ({found})", path=folder,
                     remedy=f"give a folder of {what} images (PNG, JPEG, TIFF, DICOM, NIfTI or .npz)")


def check_subgroup(subgroup: str | None, folders: Sequence[tuple[Path, str]]) -> str | None:
    """``subgroup`` if every folder's images carry that metadata column (read from each folder's first image);
    otherwise an :class:`InputError` naming the columns that can be subgroups (file properties such as
    ``source_path`` or ``pil_mode`` are never offered)."""
    if not subgroup:
        return None
    for folder, what in folders:
        first = first_image(folder, what)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            meta = load_images(first, size=(8, 8)).meta
        usable = subgroup_columns(meta)
        if subgroup not in usable:
            close = difflib.get_close_matches(subgroup, usable, n=3, cutoff=0.5)
            hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else ""
            remedy = (f"choose --subgroup from {', '.join(usable)}, or leave it out" if usable else
                      "these images carry no metadata a subgroup could come from (only file properties such as "
                      "their size and format): leave --subgroup out")
            raise InputError(f"unknown --subgroup {subgroup!r}: the {what} images have no such metadata column{hint}",
                             path=folder, remedy=remedy)
    return subgroup


def preflight(*, cases: Sequence[str | Path] | None = None, review: str | Path | None = None,
              real: str | Path | None = None, synthetic: str | Path | None = None,
              real_train: str | Path | None = None,
              out: str | Path = "misyn-lab-report", seed: Any = 0, registry: Any = "default",
              allow_marked_real: bool = False, notebook_file: Any = None,
              subgroup: str | None = None) -> Preflight:
    """Validate a report run's inputs (see module docstring); raises :class:`InputError` on the first problem.

    ``registry`` is the registry the real images are matched against (``"default"``: the default registry
    when it exists; ``None``: marks only). ``notebook_file(case)`` resolves a case's notebook (the report passes
    its resolver, so that every case notebook is located and confined before anything runs).
    """
    from misyn_lab.provenance.screen import refuse_marked_real, screen_real

    seed = check_seed(seed)
    if synthetic is not None and real is None:
        raise InputError("--synthetic needs --real", path=str(synthetic), remedy="give --real DIR as well")
    if real_train is not None and real is None:
        raise InputError("--real-train needs --real (the held-out real images)", path=str(real_train),
                         remedy="give --real DIR as well")
    real_dir, syn_dir = check_dir(real, "real"), check_dir(synthetic, "synthetic")
    train_dir = check_dir(real_train, "real training")
    folders = [(d, w) for d, w in ((real_dir, "real"), (train_dir, "real training"), (syn_dir, "synthetic"))
               if d is not None]
    for folder, what in folders:
        first_image(folder, what)
    if subgroup and real_dir is None:
        raise InputError("--subgroup needs --real (it names a metadata column of your images)", path="--subgroup",
                         remedy="give --real DIR as well, or leave --subgroup out")
    check_subgroup(subgroup, folders)
    review_path = Path(review).expanduser() if review is not None else None
    if review_path is not None and not review_path.is_file():
        raise InputError("review file not found", path=review_path, remedy="give an existing review .yaml/.json")
    out_dir = check_out(out)
    if not cases and review is None and real is None:
        cases = [BUNDLED["case1"], BUNDLED["case2"]]
    loaded = [load_case(c) for c in (cases or [])]
    if notebook_file is not None:
        for case in loaded:
            if case.notebook:
                notebook_file(case)
    screen = train_screen = None
    if real_dir is not None:
        screen = screen_real(real_dir, registry=registry)
        if not allow_marked_real:
            refuse_marked_real(screen, option="--allow-marked-real")
    if train_dir is not None:
        train_screen = screen_real(train_dir, registry=registry)
        if not allow_marked_real:
            refuse_marked_real(train_screen, option="--allow-marked-real")
    return Preflight(real_dir, syn_dir, review_path, out_dir, seed, loaded, screen, bool(allow_marked_real),
                     train_dir, train_screen)
