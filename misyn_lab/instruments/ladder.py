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
from typing import Any

from misyn_lab.errors import InputError
from misyn_lab.instruments import _review


@dataclass(frozen=True)
class Rung:
    """One rung of the ladder."""

    number: int
    name: str
    space: str
    description: str
    examples: str


def _rung_name(number: int) -> str:
    """The rung's name, from the one list of rung names (``misyn_lab.checklist.review.RUNGS``)."""
    from misyn_lab.checklist.review import RUNGS as NAMES

    text = NAMES[number]
    return text[:1].upper() + text[1:]


_DETAILS = {
    1: ("model space",
        "Algorithmic evaluation on held-out real data: fidelity, diversity, distances, memorisation, "
        "per-subgroup metrics.",
        "precision/recall/density/coverage, Fréchet distance, MMD, nearest-neighbour memorisation"),
    2: ("problem space",
        "People with domain expertise look at the images: visual Turing tests, realism and plausibility ratings.",
        "reader study accuracy, inter-reader agreement"),
    3: ("problem space",
        "The synthetic images serve the real task (e.g. segmentation, diagnosis) and are judged on realistic "
        "real test data from the intended setting.",
        "train-synthetic-test-real Dice/AUC on an external real cohort"),
    4: ("problem space",
        "The tool is used by its intended users inside the clinical workflow (prospective or simulated-use study).",
        "reader-with-AI study, workflow time, error rates with users"),
    5: ("problem space",
        "Outcomes, failures and side effects are monitored after deployment.",
        "post-market surveillance, incident reports, drift monitoring"),
}

#: The five rungs (1 = model space ... 5 = after deployment). Our names, after the paper's paradigm.
RUNGS: dict[int, Rung] = {k: Rung(k, _rung_name(k), *_DETAILS[k]) for k in _DETAILS}

LADDER_NOTE = ("Rungs after the paper's five-phased evaluation paradigm (Jin et al. 2025); the rung names "
               "are our reading, not the paper's.")


def validate_rung(rung: Any, *, field_name: str = "rung") -> int:
    """Return ``rung`` as an int in 1..5 or raise :class:`InputError`."""
    try:
        value = int(rung)
    except (TypeError, ValueError):
        raise InputError(f"{field_name} must be an integer 1-5, got {rung!r}",
                         remedy="use 1 (model space) ... 5 (after deployment)") from None
    if value != rung or value not in RUNGS:
        raise InputError(f"{field_name} must be an integer 1-5, got {rung!r}",
                         remedy="use 1 (model space) ... 5 (after deployment)")
    return value


def rung_label(rung: int) -> str:
    return f"{rung}. {RUNGS[rung].name}"


def evidence_rungs(review: Any) -> dict[int, list[str]]:
    """Evidence ids per rung (every rung 1..5 present; evidence without a rung is left out)."""
    out: dict[int, list[str]] = {k: [] for k in RUNGS}
    for eid, record in _review.evidence(review).items():
        rung = _review.evidence_rung(record)
        if rung in out:
            out[rung].append(str(eid))
    return out


def highest_rung(review: Any) -> int:
    """Highest rung reached by any evidence in the review (0 when there is none)."""
    reached = [k for k, ids in evidence_rungs(review).items() if ids]
    return max(reached, default=0)


@dataclass(frozen=True)
class ClaimOnLadder:
    """Where one claim sits: the rung it claims and the highest rung of its own evidence."""

    claim_id: str
    text: str
    claimed_rung: int
    evidence_rung: int  # 0 when the claim has no evidence with a known rung
    beyond: bool


def claim_positions(review: Any) -> list[ClaimOnLadder]:
    """Every claim stored in the review with its claimed and evidenced rung."""
    from misyn_lab.instruments.claims import Claim, claim_evidence_rung  # claims imports this module

    out = []
    for record in _review.records(review, "claims"):
        claim = Claim.from_dict(record)
        ev = claim_evidence_rung(claim, review) or 0
        out.append(ClaimOnLadder(claim.id, claim.text, claim.claimed_rung, ev, claim.claimed_rung > ev))
    return out


def claims_beyond_rung(review: Any) -> list[ClaimOnLadder]:
    """Claims whose claimed rung is above the highest rung of their own evidence (rule R3)."""
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
        """From ``{"counts": {rung: n}, "claims": [{"claim_id", "claimed_rung", "evidence_rung", "text"}]}``."""
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
                                        claimed > evidence))
        return cls(counts=counts, claims=claims, title=str(data.get("title", "")))


def ladder_data(review: Any) -> LadderData:
    """Evidence counts per rung and claim positions of a review."""
    counts = {k: len(v) for k, v in evidence_rungs(review).items()}
    title = str(getattr(review, "title", "") or "")
    return LadderData(counts=counts, claims=claim_positions(review), title=title)
