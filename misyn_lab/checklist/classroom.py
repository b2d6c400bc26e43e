"""Class mode: gather the students' review files from one folder into one class review.

Each student hands in one review file (YAML, or JSON by suffix) in which they are the reviewer. The files are
merged with the same rules as ``misyn-lab review merge`` (:func:`misyn_lab.checklist.review.merge_reviews`:
students are reviewers, nothing is dropped). A file that cannot be used is *refused* and named with the reason
(unreadable, not a review, no answers, a reviewer name another file already uses, a class file); the rest are
still collected. Files that are not review files by their name (other suffixes, ``.lock`` files, folders) are
listed as *ignored*. The class file records where it was collected from, which file each student came from,
and what was refused, under the top-level key ``class`` (kept verbatim by every review operation).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from misyn_lab.checklist.agreement import answering_reviewers
from misyn_lab.checklist.review import Review, merge_reviews
from misyn_lab.errors import InputError, MisynError

#: Suffixes of review files.
REVIEW_SUFFIXES: tuple[str, ...] = (".yaml", ".yml", ".json")
#: Top-level key of a class file holding the collection record.
CLASS_KEY = "class"


@dataclass
class ClassCollection:
    """The merged class review and what happened to each file of the folder."""

    review: Review
    students: dict[str, str]
    refused: list[tuple[str, str]] = field(default_factory=list)
    ignored: list[tuple[str, str]] = field(default_factory=list)
    folder: str = ""

    def record(self) -> dict[str, Any]:
        """The ``class`` entry stored in the class file."""
        return {"collected_from": self.folder, "students": dict(self.students),
                "refused": [{"file": f, "reason": r} for f, r in self.refused]}

    def report_lines(self) -> list[str]:
        """Collected students; each refused file with its reason; ignored files grouped by reason."""
        return [f"collected {len(self.students)} student review(s) from {self.folder}: "
                + (", ".join(f"{n} ({f})" for n, f in self.students.items()) or "none"),
                *refusal_lines(self.refused, self.ignored)]


def refusal_lines(refused: list[tuple[str, str]], ignored: list[tuple[str, str]]) -> list[str]:
    """One line per refused file with its reason, then the ignored files grouped by reason."""
    lines = [f"refused {f}: {r}" for f, r in refused]
    reasons: dict[str, list[str]] = {}
    for f, r in ignored:
        reasons.setdefault(r, []).append(f)
    return lines + [f"ignored {len(fs)} file(s), {r}: {', '.join(fs)}" for r, fs in reasons.items()]


def refuse_shared_names(loaded: list[tuple[Path, Any, list[str]]], refused: list[tuple[str, str]], *,
                        role: str, parameter: str) -> list[tuple[Path, Any, list[str]]]:
    """The ``(path, payload, names)`` entries whose names no other file uses; each file sharing a name with
    another is added to ``refused`` with the reason (``role``: "reviewer" / "reader"; ``parameter``: where a
    student sets their name)."""
    owners: dict[str, list[str]] = {}
    for path, _, names in loaded:
        for name in names:
            owners.setdefault(name, []).append(path.name)
    clashes = {n: fs for n, fs in owners.items() if len(fs) > 1}
    usable = []
    for path, payload, names in loaded:
        shared = [n for n in names if n in clashes]
        if shared:
            others = sorted({f for n in shared for f in clashes[n]} - {path.name})
            refused.append((path.name, f"{role} name {', '.join(repr(n) for n in shared)} also answers in "
                            f"{', '.join(others)}; each student needs their own name ({parameter})"))
        else:
            usable.append((path, payload, names))
    return usable


def no_usable_file(root: Path, refused: list[tuple[str, str]], what: str) -> InputError:
    """The error for a class folder without a usable file (``what``: e.g. "student review file"), listing the
    refused files."""
    listed = (f" ({len(refused)} refused: " + "; ".join(f"{f}: {r}" for f, r in refused) + ")") if refused else ""
    return InputError(f"no usable {what} in the class folder{listed}", path=root,
                      remedy="put one file per student (.yaml/.yml/.json) in the folder")


def read_review_files(folder: str | Path, *, exclude: tuple[str | Path, ...] = ()
                      ) -> tuple[list[tuple[Path, Review]], list[tuple[str, str]], list[tuple[str, str]]]:
    """The review files directly in a class folder: ``(loaded, refused, ignored)``.

    ``loaded`` holds ``(path, review)`` in file-name order; ``refused`` names review files that cannot be used
    (unreadable, or a class file collected earlier) with the reason; ``ignored`` names what is not a review file
    by its name (folders, other suffixes, ``.lock`` files). Hidden files and ``exclude`` are skipped. Raises
    :class:`InputError` when the folder is missing.
    """
    root = Path(folder)
    if not root.is_dir():
        raise InputError("class folder not found", path=root,
                         remedy="pass the folder holding one review file per student")
    skip = {Path(p).resolve() for p in exclude}
    loaded: list[tuple[Path, Review]] = []
    refused: list[tuple[str, str]] = []
    ignored: list[tuple[str, str]] = []
    for path in sorted(root.iterdir(), key=lambda p: p.name):
        if path.name.startswith(".") or path.resolve() in skip:
            continue
        if path.is_dir():
            ignored.append((path.name, "a folder (only files directly in the class folder are read)"))
            continue
        if path.suffix.lower() not in REVIEW_SUFFIXES:
            reason = "a lock file left by a save" if path.suffix == ".lock" else \
                "not a review file (expected .yaml, .yml or .json)"
            ignored.append((path.name, reason))
            continue
        try:
            review = Review.load(path)
        except MisynError as exc:
            refused.append((path.name, exc.message + (f" ({exc.remedy})" if exc.remedy else "")))
            continue
        if CLASS_KEY in review.extra:
            refused.append((path.name, "a class file (collected earlier), not a student's review"))
            continue
        loaded.append((path, review))
    return loaded, refused, ignored


def collect_class(folder: str | Path, *, exclude: tuple[str | Path, ...] = ()) -> ClassCollection:
    """Read every review file directly in ``folder`` and merge the usable ones (see the module doc).

    ``exclude`` names files to leave out (e.g. the class file being written into the same folder). Raises
    :class:`InputError` when the folder is missing or no file can be used; otherwise the refused files are
    listed in the result, never skipped silently.
    """
    root = Path(folder)
    files, refused, ignored = read_review_files(root, exclude=exclude)
    loaded: list[tuple[Path, Review, list[str]]] = []
    for path, review in files:
        names = answering_reviewers(review)
        if not names:
            refused.append((path.name, "no answers in it"))
            continue
        loaded.append((path, review, names))
    usable = refuse_shared_names(loaded, refused, role="reviewer", parameter="the notebooks' `reviewer` parameter")
    refused.sort()
    if not usable:
        raise no_usable_file(root, refused, "student review file")
    merged = merge_reviews(*(r for _, r, _ in usable))
    students = {n: p.name for p, _, names in usable for n in names}
    result = ClassCollection(review=merged, students=students, refused=refused, ignored=ignored,
                             folder=str(root))
    merged.extra[CLASS_KEY] = result.record()
    return result


def class_record(review: Review) -> dict[str, Any]:
    """The collection record of a class file (``{}`` for an ordinary review)."""
    record = review.extra.get(CLASS_KEY)
    return dict(record) if isinstance(record, dict) else {}


__all__ = ["CLASS_KEY", "REVIEW_SUFFIXES", "ClassCollection", "class_record", "collect_class", "no_usable_file",
           "read_review_files", "refusal_lines", "refuse_shared_names"]
