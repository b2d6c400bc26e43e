"""The review file of a workbook session: open it, say where it is, save the metric table beside it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from misyn_lab.atomic import atomic_write_text
from misyn_lab.errors import InputError
from misyn_lab.metrics.result import TABLE_COLUMNS

if TYPE_CHECKING:
    from misyn_lab.checklist.review import Review


def open_review(path: str | Path, *, title: str = "MISyn review") -> Review:
    """The review saved at ``path``, or a new empty one (written on the first change) if there is none."""
    from misyn_lab.checklist.review import Review

    path = Path(path)
    if path.exists():
        return Review.load(path)
    return Review.new(title)


def review_status(review: Review, path: str | Path) -> str:
    """A few plain lines: where the answers are saved and how far the review has got."""
    n_items = len(review.checklist)
    answered = sum(1 for per in review.answers.values() if per)
    where = Path(path).resolve()
    state = f"saved (revision {review.revision})" if where.exists() else "not written yet (first change writes it)"
    return (f"Review file: {where}\nState: {state}\nReviewers: {', '.join(review.reviewers) or 'none yet'}\n"
            f"Items answered by at least one reviewer: {answered} of {n_items}\n"
            f"Evidence records: {len(review.evidence)}")


def table_paths(review_path: str | Path) -> dict[str, Path]:
    """Where the metric table is saved next to the review: ``<review stem>.metrics.csv`` / ``.json``."""
    p = Path(review_path)
    return {"csv": p.with_name(p.stem + ".metrics.csv"), "json": p.with_name(p.stem + ".metrics.json")}


def save_metrics_table(table: pd.DataFrame, review_path: str | Path) -> dict[str, Path]:
    """Save ``table`` (from :func:`misyn_lab.metrics.result.results_table`) as CSV and JSON next to the review
    file (atomic writes); returns the two paths."""
    missing = [c for c in TABLE_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(f"metric table lacks columns {missing}", path="save_metrics_table",
                         remedy="build it with misyn_lab.metrics.result.results_table(results)")
    paths = table_paths(review_path)
    atomic_write_text(paths["csv"], table.to_csv(index=False, lineterminator="\n"))
    records = json.loads(table.to_json(orient="records"))
    atomic_write_text(paths["json"], json.dumps(records, indent=1, ensure_ascii=False) + "\n")
    return paths
