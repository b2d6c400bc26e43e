"""Balanced reporting, held by evidence: worst cases, per-subgroup results and failures attached to a claim.

Claim rule R4 asks whether a claim reports failures, worst cases or subgroups, not only averages. When a
reviewer records what a *reviewed work* reported, the flags on :class:`~misyn_lab.instruments.claims.Claim` are
their reading of that work. When the workbook itself makes or settles a claim (notebook 07, the case studies),
a flag is set only here, by storing the table that holds it as review evidence and citing it — never by
setting a boolean in a cell.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from misyn_lab.errors import InputError
from misyn_lab.instruments.claims import Claim, _as_claim
from misyn_lab.metrics.result import build
from misyn_lab.rungs import validate_rung

if TYPE_CHECKING:
    from misyn_lab.checklist.review import Review

#: What can be attached: the claim flag it sets and the evidence key it is stored under.
REPORTS = {
    "worst_cases": ("worst_cases_reported", "reporting.worst_cases"),
    "subgroups": ("subgroups_reported", "reporting.subgroups"),
    "failures": ("failures_reported", "reporting.failures"),
}


def _records(table: Any, what: str) -> list[dict]:
    """Rows of a DataFrame or a sequence of mappings (made JSON-safe when stored); an empty table is refused."""
    if hasattr(table, "to_dict") and hasattr(table, "columns"):
        rows = table.to_dict("records")
    elif isinstance(table, Sequence) and not isinstance(table, (str, bytes)) and all(
            isinstance(r, Mapping) for r in table):
        rows = [dict(r) for r in table]
    else:
        raise InputError(f"the {what} table must be a DataFrame or a list of rows (mappings), got "
                         f"{type(table).__name__}", path=what, remedy="pass the table that shows them")
    if not rows:
        raise InputError(f"the {what} table is empty: an empty table shows nothing", path=what,
                         remedy=f"attach the {what} that were measured (at least one row)")
    return rows


def attach_reporting(claim: Claim | dict, review: Review, *, worst_cases: Any = None, subgroups: Any = None,
                     failures: Any = None, rung: int = 1, source: str = "", caption: str = "") -> Claim:
    """Store worst cases, per-subgroup results or failures as evidence, cite them from the claim and set the matching
    reporting flag.

    Each table becomes a :class:`~misyn_lab.metrics.result.MetricResult` (key ``reporting.<what>``, value = number
    of rows, the rows in ``details``) at evaluation ``rung``.

    Parameters
    ----------
    claim : Claim or dict
        The claim.
    review : Review
        The review holding the records.
    worst_cases, subgroups, failures : pandas.DataFrame or list of dict, optional
        The tables to store.
    rung : int, optional
        Evaluation rung of the evidence.
    source : str, optional
        Where the tables come from.
    caption : str, optional
        A caption for the stored tables.

    Returns
    -------
    Claim
        The updated claim.

    Raises
    ------
    InputError
        No table given, or an empty table.

    Examples
    --------
    >>> import pandas as pd
    >>> from misyn_lab.instruments import Claim
    >>> from misyn_lab.checklist import Review
    >>> review = Review.new("demo", reviewer="ana")
    >>> worst = pd.DataFrame({"case": ["a", "b"], "dice": [0.21, 0.34]})
    >>> claim = attach_reporting(Claim("C1", "Augmentation improves Dice"), review, worst_cases=worst)
    >>> claim.worst_cases_reported, len(claim.evidence_ids)
    (True, 1)
    """
    claim = _as_claim(claim)
    if review is None:
        raise InputError("reporting evidence needs a review to be stored in", path="review",
                         remedy="pass the review the claim is checked against")
    rung = validate_rung(rung)
    given = {"worst_cases": worst_cases, "subgroups": subgroups, "failures": failures}
    if all(v is None for v in given.values()):
        raise InputError("nothing to attach: give worst_cases, subgroups or failures", path="attach_reporting",
                         remedy="pass the table that holds the reporting flag")
    changes: dict[str, Any] = {}
    ids = list(claim.evidence_ids)
    for what, table in given.items():
        if table is None:
            continue
        flag, key = REPORTS[what]
        rows = _records(table, what.replace("_", " "))
        label = what.replace("_", " ")
        result = build(key, float(len(rows)), n={"rows": len(rows)},
                       interpretation=caption or f"{len(rows)} {label} shown for claim {claim.id}.",
                       details={"rows": rows, "claim": claim.id})
        ev = str(review.add_evidence(result, rung=rung, source=source or f"claim {claim.id}: {label}",
                                     note=result.interpretation))
        if ev not in ids:
            ids.append(ev)
        changes[flag] = True
    return dataclasses.replace(claim, evidence_ids=tuple(ids), **changes)
