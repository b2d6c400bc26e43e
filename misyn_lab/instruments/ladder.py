"""The evaluation-phase ladder: five rungs from model space to the real-world problem space.

The rungs are OUR reading *after the paper's five-phased evaluation paradigm* (Jin et al., "Ethical Medical
Image Synthesis", arXiv:2508.09293): the paper describes phase 1 as algorithmic evaluation in model space and
the later phases as moving into the real-world problem space, like cell/animal studies before patient trials.
The paper's own phase names were not available to us; the names below are ours.

Every piece of evidence in a Review carries its rung (``review.add_evidence(..., rung=k)``); every claim
carries the rung it claims (``Claim.claimed_rung``). A claim reaching above the highest rung of its own
evidence is an overclaim (claim rule R3).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from misyn_lab.instruments import _review
from misyn_lab.instruments.claims import Claim, claim_evidence_rung, stored_verdicts
from misyn_lab.rungs import (LADDER_NOTE, RUNGS, ClaimOnLadder, LadderData, Rung, ladder_takeaway, rung_label,
                             status_counts, validate_rung)

if TYPE_CHECKING:
    from misyn_lab.checklist.review import Review

__all__ = ["LADDER_NOTE", "RUNGS", "ClaimOnLadder", "LadderData", "Rung", "claim_positions", "claims_beyond_rung",
           "evidence_rungs", "highest_rung", "ladder_data", "ladder_takeaway", "rung_label", "status_counts",
           "validate_rung"]


def evidence_rungs(review: Review) -> dict[int, list[str]]:
    """Evidence ids per rung of the evaluation ladder.

    Parameters
    ----------
    review : Review
        The review holding the records.

    Returns
    -------
    dict
        ``{rung: [evidence ids]}`` with every rung 1..5 present (evidence without a rung is left out).

    Examples
    --------
    >>> from misyn_lab.checklist import Review
    >>> review = Review.new("demo", reviewer="ana")
    >>> ev = review.add_evidence({"key": "prdc.recall", "value": 0.4}, rung=1)
    >>> evidence_rungs(review)[1] == [ev], evidence_rungs(review)[2]
    (True, [])
    """
    out: dict[int, list[str]] = {k: [] for k in RUNGS}
    for eid, record in _review.evidence(review).items():
        rung = _review.evidence_rung(record)
        if rung in out:
            out[rung].append(str(eid))
    return out


def highest_rung(review: Review) -> int:
    """Highest rung reached by any evidence in the review.

    Parameters
    ----------
    review : Review
        The review holding the records.

    Returns
    -------
    int
        1..5, or 0 when the review holds no evidence.

    Examples
    --------
    >>> from misyn_lab.checklist import Review
    >>> review = Review.new("demo", reviewer="ana")
    >>> highest_rung(review)
    0
    >>> _ = review.add_evidence({"key": "reader_study.accuracy", "value": 0.55}, rung=2)
    >>> highest_rung(review)
    2
    """
    reached = [k for k, ids in evidence_rungs(review).items() if ids]
    return max(reached, default=0)


def claim_positions(review: Review) -> list[ClaimOnLadder]:
    """Every claim stored in the review with its claimed and evidenced rung and its verdict status
    (:func:`misyn_lab.instruments.claims.stored_verdicts`: re-checked with measurements when it was)."""
    verdicts = stored_verdicts(review)
    out = []
    for record in _review.records(review, "claims"):
        claim = Claim.from_dict(record)
        ev = claim_evidence_rung(claim, review) or 0
        status = str((verdicts.get(claim.id) or {}).get("status", ""))
        out.append(ClaimOnLadder(claim.id, claim.text, claim.claimed_rung, ev, claim.claimed_rung > ev, status))
    return out


def claims_beyond_rung(review: Review) -> list[ClaimOnLadder]:
    """Claims whose claimed rung is above the highest rung of their own evidence (rule R3).

    Parameters
    ----------
    review : Review
        The review holding the records.

    Returns
    -------
    list of ClaimOnLadder
        Claim id, text, claimed rung, evidence rung and status of each such claim.

    Examples
    --------
    >>> from misyn_lab.checklist import Review
    >>> review = Review.new("demo", reviewer="ana")
    >>> from misyn_lab.instruments import Claim, save_claims
    >>> _ = save_claims(review, [Claim("C1", "Improves diagnosis", kind="clinical")])
    >>> [(c.claim_id, c.claimed_rung, c.evidence_rung) for c in claims_beyond_rung(review)]
    [('C1', 3, 0)]
    """
    return [c for c in claim_positions(review) if c.beyond]


def ladder_data(review: Review) -> LadderData:
    """Evidence counts per rung and the claim positions of a review (what the ladder figure draws).

    Parameters
    ----------
    review : Review
        The review holding the records.

    Returns
    -------
    LadderData
        ``counts`` (``{rung: evidence records}``), ``claims`` (:class:`ClaimOnLadder` each) and the title.

    Examples
    --------
    >>> from misyn_lab.checklist import Review
    >>> review = Review.new("demo", reviewer="ana")
    >>> _ = review.add_evidence({"key": "prdc.recall", "value": 0.4}, rung=1)
    >>> ladder_data(review).counts
    {1: 1, 2: 0, 3: 0, 4: 0, 5: 0}
    """
    counts = {k: len(v) for k, v in evidence_rungs(review).items()}
    title = str(getattr(review, "title", "") or "")
    return LadderData(counts=counts, claims=claim_positions(review), title=title)
