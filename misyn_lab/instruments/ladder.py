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

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from misyn_lab.instruments import _review
from misyn_lab.instruments.claims import STATUSES, Claim, claim_evidence_rung, stored_verdicts
from misyn_lab.instruments.rungs import LADDER_NOTE, RUNGS, Rung, rung_label, validate_rung

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


@dataclass(frozen=True)
class ClaimOnLadder:
    """Where one claim sits: the rung it claims, the highest rung of its own evidence, and its verdict status
    (the same verdict the claim table shows; ``""`` when none is known)."""

    claim_id: str
    text: str
    claimed_rung: int
    evidence_rung: int  # 0 when the claim has no evidence with a known rung
    beyond: bool
    status: str = ""


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


@dataclass
class LadderData:
    """What the ladder figure draws; build it with :func:`ladder_data` or by hand."""

    counts: dict[int, int]
    claims: list[ClaimOnLadder] = field(default_factory=list)
    title: str = ""

    @property
    def highest(self) -> int:
        return max((k for k, v in self.counts.items() if v), default=0)

    @classmethod
    def from_dict(cls, data: dict) -> "LadderData":
        """From ``{"counts": {rung: n}, "claims": [{"claim_id", "claimed_rung", "evidence_rung", "text", "status"}]}``."""
        counts = {k: 0 for k in RUNGS}
        for k, v in (data.get("counts") or {}).items():
            counts[validate_rung(int(k))] = int(v)
        claims = []
        for c in data.get("claims") or []:
            if isinstance(c, ClaimOnLadder):
                claims.append(c)
                continue
            claimed = validate_rung(c["claimed_rung"], field_name=f"claim {c.get('claim_id')}: claimed_rung")
            evidence = int(c.get("evidence_rung") or 0)
            claims.append(ClaimOnLadder(str(c["claim_id"]), str(c.get("text", "")), claimed, evidence,
                                        claimed > evidence, str(c.get("status") or "")))
        return cls(counts=counts, claims=claims, title=str(data.get("title", "")))


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


def status_counts(data: LadderData) -> dict[str, int]:
    """Claims per verdict status, worst first (statuses with no claim left out; unknown ones as 'not checked')."""
    counts: dict[str, int] = {}
    for c in data.claims:
        key = c.status or "not checked"
        counts[key] = counts.get(key, 0) + 1
    order = list(STATUSES) + sorted(k for k in counts if k not in STATUSES)
    return {k: counts[k] for k in order if k in counts}


def ladder_takeaway(data: LadderData) -> str:
    """One sentence: where the evidence stops, the claims' verdicts (counted as in the claim table) and which
    claims reach beyond the rung of their evidence (all of them named)."""
    top = data.highest
    where = (f"Evidence stops at rung {top} ({RUNGS[top].name.lower()})" if top
             else "No evidence carries a rung yet")
    if not data.claims:
        return f"{where}; no claims recorded."
    counts = status_counts(data)
    verdicts = ""
    if any(c.status for c in data.claims):
        verdicts = (f"; verdicts of the {len(data.claims)} claim(s): "
                    + ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in counts.items()))
    beyond = [c for c in data.claims if c.beyond]
    if beyond:
        return (f"{where}{verdicts}; {len(beyond)} of {len(data.claims)} claim(s) reach beyond the rung of their "
                f"evidence ({', '.join(c.claim_id for c in beyond)}).")
    return f"{where}{verdicts}; every claim stays within the rung of its evidence."
