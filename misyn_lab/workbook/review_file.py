"""The review file of a workbook session: open it, say where it is, save the metric table beside it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import pandas as pd

from misyn_lab.atomic import atomic_write_text
from misyn_lab.checklist.review import Review
from misyn_lab.errors import InputError
from misyn_lab.metrics.result import TABLE_COLUMNS

if TYPE_CHECKING:
    from misyn_lab.checklist.review import Review


def open_review(path: str | Path, *, title: str = "MISyn review") -> Review:
    """The review saved at ``path``, or a new empty one (written on the first change) if there is none.

    Parameters
    ----------
    path : str or Path
        The review file.
    title : str, optional
        Title of a new review.

    Returns
    -------
    Review
        The loaded or new review.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> review = open_review(folder / "review.yaml")
    >>> review.title, (folder / "review.yaml").exists()
    ('MISyn review', False)
    """
    path = Path(path)
    if path.exists():
        return Review.load(path)
    return Review.new(title)


def review_status(review: Review, path: str | Path) -> str:
    """A few plain lines: where the answers are saved and how far the review has got.

    Parameters
    ----------
    review : Review
        The review.
    path : str or Path
        Its file.

    Returns
    -------
    str
        The status lines.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> print(review_status(open_review(folder / "review.yaml"), folder / "review.yaml"))
    Review file: .../review.yaml
    State: not written yet (first change writes it)
    Reviewers: none yet
    Items answered by at least one reviewer: 0 of 45
    Evidence records: 0
    """
    n_items = len(review.checklist)
    answered = sum(1 for per in review.answers.values() if per)
    where = Path(path).resolve()
    state = f"saved (revision {review.revision})" if where.exists() else "not written yet (first change writes it)"
    return (f"Review file: {where}\nState: {state}\nReviewers: {', '.join(review.reviewers) or 'none yet'}\n"
            f"Items answered by at least one reviewer: {answered} of {n_items}\n"
            f"Evidence records: {len(review.evidence)}")


class SavesAnswers(Protocol):
    """What :func:`saved_status` needs of a checklist view: its review, its file and a way to save now."""

    review: Review
    path: Path | None

    def flush(self) -> bool: ...


def saved_status(checklist: SavesAnswers) -> str:
    """Save what a checklist view still holds, then say where the answers are and how far the review has got.

    The closing cell of every stage notebook: ``print(workbook.saved_status(checklist))``.

    Parameters
    ----------
    checklist : ChecklistWidget
        A checklist view with a review file (anything with ``review``, ``path`` and ``flush()``).

    Returns
    -------
    str
        :func:`review_status` of its review, after the pending answers were written.

    Raises
    ------
    InputError
        The view keeps its answers in memory only (no review file).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from misyn_lab.checklist import Review
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "review.yaml"
    >>> class View:                                       # stands in for a ChecklistWidget
    ...     review, path = Review.new("demo", reviewer="ana"), path
    ...     def flush(self):
    ...         return bool(self.review.save(self.path))
    >>> print(saved_status(View()).splitlines()[1])
    State: saved (revision 1)
    """
    if checklist.path is None:
        raise InputError("this checklist keeps its answers in memory only", path="checklist",
                         remedy="create it with path=review_path so every answer is saved")
    checklist.flush()
    return review_status(checklist.review, checklist.path)


def table_paths(review_path: str | Path) -> dict[str, Path]:
    """Where the metric table is saved next to the review.

    Parameters
    ----------
    review_path : str or Path
        The review file.

    Returns
    -------
    dict
        ``{"csv": <review stem>.metrics.csv, "json": <review stem>.metrics.json}``.

    Examples
    --------
    >>> {k: p.name for k, p in table_paths("reviews/my.yaml").items()}
    {'csv': 'my.metrics.csv', 'json': 'my.metrics.json'}
    """
    p = Path(review_path)
    return {"csv": p.with_name(p.stem + ".metrics.csv"), "json": p.with_name(p.stem + ".metrics.json")}


def save_metrics_table(table: pd.DataFrame, review_path: str | Path) -> dict[str, Path]:
    """Save a metric table as CSV and JSON next to the review file (atomic writes).

    Parameters
    ----------
    table : pandas.DataFrame
        A table from :func:`misyn_lab.metrics.result.results_table`.
    review_path : str or Path
        The review file.

    Returns
    -------
    dict
        The two paths (:func:`table_paths`).

    Raises
    ------
    InputError
        A table lacking the columns of ``results_table``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> from misyn_lab.instruments import paired_bootstrap_ci
    >>> from misyn_lab.metrics import results_table
    >>> measured = paired_bootstrap_ci([0.70, 0.72, 0.68, 0.75], [0.74, 0.75, 0.71, 0.80], n_boot=200)
    >>> paths = save_metrics_table(results_table([measured]), folder / "r.yaml")
    >>> sorted(p.name for p in paths.values())
    ['r.metrics.csv', 'r.metrics.json']
    """
    missing = [c for c in TABLE_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(f"metric table lacks columns {missing}", path="save_metrics_table",
                         remedy="build it with misyn_lab.metrics.result.results_table(results)")
    paths = table_paths(review_path)
    atomic_write_text(paths["csv"], table.to_csv(index=False, lineterminator="\n"))
    records = json.loads(table.to_json(orient="records"))
    atomic_write_text(paths["json"], json.dumps(records, indent=1, ensure_ascii=False) + "\n")
    return paths
