"""Gather a class's reader-study answer files (one per student) into one class file of reader answers.

The conventions of class mode (:mod:`misyn_lab.checklist.classroom`): one review file per student directly in
one folder (YAML, or JSON by suffix); files that are not review files by name are *ignored* and listed; a file
that cannot be used is *refused* with the reason, the rest are still collected; the class file records where it
was collected from, which file each reader came from and what was refused, under the top-level key ``class``.

Reader answers live in a review file's ``reader_answers`` section (what the reader-study widget saves), so a
student may hand in a file of reader answers only, or one that also holds checklist answers (only the reader
answers are read here; ``misyn-lab class collect`` reads the checklist answers). A file is refused when:

* it cannot be read, or is a class file collected earlier;
* it holds no reader answers (of the chosen study);
* one of its answer records is malformed (a missing field, an answer or truth that is not real/synthetic, a
  confidence outside 1-5), or a reader answers one tile twice;
* a reader name in it also answers in another file (each student needs their own name or pseudonym);
* it states a different truth or image for a tile than the other files (a hand-edited file, or another study
  under the same id); the version held by most files is kept, a tie is an error.

Answers to more than one study in the folder need ``study_id`` to choose one.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from misyn_lab.checklist.classroom import (CLASS_KEY, no_usable_file, read_review_files, refusal_lines,
                                          refuse_shared_names)
from misyn_lab.checklist.review import Review
from misyn_lab.errors import InputError
from misyn_lab.instruments.reader_class import check_record
from misyn_lab.instruments.reader_study import SECTION

#: What the ``class`` record of a readers class file says it holds.
KIND = "reader answers"


@dataclass
class ReaderCollection:
    """The class file (a review holding every usable reader answer) and what happened to each file."""

    review: Review
    readers: dict[str, str]
    study_id: str
    refused: list[tuple[str, str]] = field(default_factory=list)
    ignored: list[tuple[str, str]] = field(default_factory=list)
    folder: str = ""

    @property
    def records(self) -> list[dict]:
        """The collected answer records."""
        return self.review.records(SECTION)

    def record(self) -> dict[str, Any]:
        """The ``class`` entry stored in the class file."""
        return {"kind": KIND, "collected_from": self.folder, "study_id": self.study_id,
                "readers": dict(self.readers), "refused": [{"file": f, "reason": r} for f, r in self.refused]}

    def report_lines(self) -> list[str]:
        """Collected readers with their answer counts; each refused file with its reason; ignored files."""
        counts = Counter(str(r["reader"]) for r in self.records)
        return [f"collected {len(self.readers)} reader(s) of study {self.study_id} from {self.folder}: "
                + ", ".join(f"{n} ({f}, {counts[n]} answers)" for n, f in self.readers.items()),
                *refusal_lines(self.refused, self.ignored)]


def _choose_study(per_file: list[tuple[Path, list[dict]]], study_id: str | None, root: Path) -> str:
    files_per_study = Counter(s for _, recs in per_file for s in {r.get("study_id") for r in recs})
    if study_id is not None:
        return study_id
    if not files_per_study:
        raise InputError("no reader answers in the class folder", path=root,
                         remedy="hand in the answer files of notebook 09 (reviews/reader-study.yaml)")
    if len(files_per_study) > 1:
        listed = ", ".join(f"{s} ({n} file(s))" for s, n in sorted(files_per_study.items(), key=lambda kv: -kv[1]))
        raise InputError(f"the folder holds answers to {len(files_per_study)} reader studies: {listed}",
                         path=root, remedy="choose one with --study ID (study_id=...)")
    return str(next(iter(files_per_study)))


def collect_readers(folder: str | Path, *, study_id: str | None = None,
                    exclude: tuple[str | Path, ...] = ()) -> ReaderCollection:
    """Read every review file directly in ``folder`` and gather the usable reader answers (see the module doc).

    Raises :class:`InputError` when the folder is missing, holds answers to several studies and ``study_id`` is
    not given, files disagree on a tile's truth without a majority, or no file can be used.
    """
    root = Path(folder)
    loaded, refused, ignored = read_review_files(root, exclude=exclude)
    per_file = [(path, review.records(SECTION)) for path, review in loaded]
    chosen = _choose_study(per_file, study_id, root)
    candidates: list[tuple[Path, list[dict], list[str]]] = []
    for path, recs in per_file:
        mine = [r for r in recs if r.get("study_id") == chosen]
        if not mine:
            others = sorted({str(r.get("study_id")) for r in recs})
            refused.append((path.name, f"no answers to reader study {chosen}"
                            + (f" (it holds answers to {', '.join(others)})" if others else "")))
            continue
        problem = next((p for p in map(check_record, mine) if p), None)
        twice = Counter((str(r["reader"]), str(r["tile_id"])) for r in mine) if problem is None else Counter()
        if problem is None and twice and max(twice.values()) > 1:
            (reader, tile), n = twice.most_common(1)[0]
            problem = f"{reader} answers tile {tile} {n} times"
        if problem:
            refused.append((path.name, problem))
            continue
        candidates.append((path, mine, sorted({str(r["reader"]) for r in mine})))
    unique = refuse_shared_names(candidates, refused, role="reader", parameter="notebook 09's `reader` parameter")
    usable = _consistent([(path, recs) for path, recs, _ in unique], refused, root)
    refused.sort()
    if not usable:
        raise no_usable_file(root, refused, "reader answer file")
    review = Review.new(f"Class reader study {chosen}")
    readers: dict[str, str] = {}
    for path, recs in usable:
        for r in recs:
            review.add_record(SECTION, r)
            readers.setdefault(str(r["reader"]), path.name)
    result = ReaderCollection(review=review, readers=dict(sorted(readers.items())), study_id=chosen,
                              refused=refused, ignored=ignored, folder=str(root))
    review.extra[CLASS_KEY] = result.record()
    return result


def _consistent(files: list[tuple[Path, list[dict]]], refused: list[tuple[str, str]],
                root: Path) -> list[tuple[Path, list[dict]]]:
    """Keep the files that agree with the majority on each tile's (truth, image); refuse the others."""
    versions: dict[str, Counter] = {}
    for _, recs in files:
        for tile, version in {(str(r["tile_id"]), (r["truth"], str(r["image_id"]))) for r in recs}:
            versions.setdefault(tile, Counter())[version] += 1
    majority: dict[str, tuple[str, str]] = {}
    for tile, counts in sorted(versions.items()):
        (top, n_top), *rest = counts.most_common()
        if rest and rest[0][1] == n_top:
            raise InputError(f"files disagree on tile {tile}: " + " vs ".join(
                f"{t} image {i!r} ({n} file(s))" for (t, i), n in counts.most_common()), path=root,
                remedy="the answer files come from different studies under one id, or were edited; remove the "
                       "files that do not belong")
        majority[tile] = top
    kept = []
    for path, recs in files:
        bad = next((r for r in recs if (r["truth"], str(r["image_id"])) != majority[str(r["tile_id"])]), None)
        if bad is None:
            kept.append((path, recs))
            continue
        truth, image = majority[str(bad["tile_id"])]
        n_other = versions[str(bad["tile_id"])][(truth, image)]
        refused.append((path.name, f"tile {bad['tile_id']} is {bad['truth']!r} (image {bad['image_id']!r}) here "
                        f"but {truth!r} (image {image!r}) in {n_other} other file(s)"))
    return kept


__all__ = ["KIND", "ReaderCollection", "collect_readers"]
