"""The evaluation-phase ladder as plain data: the five rungs, where claims sit on them, and the ladder's sentence.

A leaf module (it imports nothing from the stations), so that the checklist (evidence rungs), the instruments
(claims, the ladder read from a review), the documents and the ladder figure (:mod:`misyn_lab.viz.ladder`) share
one list of rungs and one way of counting and stating the ladder.

The rungs are OUR reading *after the paper's five-phased evaluation paradigm* (Jin et al., "Ethical Medical
Image Synthesis", arXiv:2508.09293): the paper describes phase 1 as algorithmic evaluation in model space and
the later phases as moving into the real-world problem space, like cell/animal studies before patient trials.
The paper's own phase names were not available to us; the names below are ours.

>>> data = LadderData.from_dict({"counts": {1: 3}, "claims": [
...     {"claim_id": "C1", "claimed_rung": 3, "evidence_rung": 1, "status": "overclaimed"}]})
>>> data.highest, status_counts(data)
(1, {'overclaimed': 1})
>>> print(ladder_takeaway(data))  # doctest: +NORMALIZE_WHITESPACE
Evidence stops at rung 1 (model space (metrics on held-out data)); verdicts of the 1 claim(s): 1 overclaimed;
1 of 1 claim(s) reach beyond the rung of their evidence (C1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from misyn_lab.errors import InputError
from misyn_lab.vocabulary import VERDICT_STATUSES

#: Evaluation rungs, after the paper's five-phased evaluation paradigm (1 = model space).
RUNG_NAMES: dict[int, str] = {1: "model space (metrics on held-out data)", 2: "expert readers",
                              3: "downstream clinical task", 4: "clinical workflow with users",
                              5: "follow-up after deployment"}


@dataclass(frozen=True)
class Rung:
    """One rung of the ladder.

    Parameters
    ----------
    number : int
        1 (model space) ... 5 (after deployment).
    name : str
        The rung's name (ours, after the paper's paradigm).
    space : str
        ``"model space"`` or ``"problem space"``.
    description : str
        What evidence at this rung is.
    examples : str
        Examples of such evidence.

    Examples
    --------
    >>> RUNGS[2].name, RUNGS[2].space
    ('Expert readers', 'problem space')
    """

    number: int
    name: str
    space: str
    description: str
    examples: str


def _rung_name(number: int) -> str:
    """The rung's name, from the one list of rung names (:data:`RUNG_NAMES`)."""
    text = RUNG_NAMES[number]
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
    """Return ``rung`` as an int in 1..5 or raise :class:`InputError`.

    Parameters
    ----------
    rung : Any
        The value to check (an int, or a string/float holding one).
    field_name : str, optional
        How the value is named in the error message.

    Returns
    -------
    int
        The rung number.

    Raises
    ------
    InputError
        Not an integer from 1 to 5.

    Examples
    --------
    >>> validate_rung("3")
    Traceback (most recent call last):
    ...
    misyn_lab.errors.InputError: rung must be an integer 1-5, got '3' (fix: use 1 (model space) ... 5 (after deployment))
    >>> validate_rung(3.0)
    3
    """
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
    """``"2. Expert readers"``: the rung's number and name.

    Parameters
    ----------
    rung : int
        1..5.

    Returns
    -------
    str
        Number and name.

    Examples
    --------
    >>> rung_label(2)
    '2. Expert readers'
    """
    return f"{rung}. {RUNGS[rung].name}"


@dataclass(frozen=True)
class ClaimOnLadder:
    """Where one claim sits: the rung it claims, the highest rung of its own evidence, and its verdict status
    (the same verdict the claim table shows; ``""`` when none is known).

    Parameters
    ----------
    claim_id, text : str
        The claim's id and wording.
    claimed_rung : int
        The rung the claim speaks for.
    evidence_rung : int
        The highest rung of its evidence (0: none with a known rung).
    beyond : bool
        ``claimed_rung > evidence_rung``.
    status : str, optional
        Its verdict status.

    Examples
    --------
    >>> ClaimOnLadder("C1", "Readers cannot tell", 2, 1, True, "overclaimed").beyond
    True
    """

    claim_id: str
    text: str
    claimed_rung: int
    evidence_rung: int  # 0 when the claim has no evidence with a known rung
    beyond: bool
    status: str = ""


@dataclass
class LadderData:
    """What the ladder figure draws; build it with :func:`misyn_lab.instruments.ladder.ladder_data`, with
    :meth:`from_dict`, or by hand.

    Parameters
    ----------
    counts : dict of int to int
        Evidence records per rung.
    claims : list of ClaimOnLadder, optional
        Where each claim sits.
    title : str, optional
        The review's title.

    Examples
    --------
    >>> LadderData({1: 2, 2: 1, 3: 0, 4: 0, 5: 0}).highest
    2
    """

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


def status_counts(data: LadderData) -> dict[str, int]:
    """Claims per verdict status, worst first (statuses with no claim left out; unknown ones as 'not checked').

    Parameters
    ----------
    data : LadderData
        The ladder.

    Returns
    -------
    dict of str to int
        Claims per status.

    Examples
    --------
    >>> data = LadderData({1: 1}, [ClaimOnLadder("C1", "", 1, 1, False, "supported"),
    ...                            ClaimOnLadder("C2", "", 3, 1, True)])
    >>> status_counts(data)
    {'supported': 1, 'not checked': 1}
    """
    counts: dict[str, int] = {}
    for c in data.claims:
        key = c.status or "not checked"
        counts[key] = counts.get(key, 0) + 1
    order = list(VERDICT_STATUSES) + sorted(k for k in counts if k not in VERDICT_STATUSES)
    return {k: counts[k] for k in order if k in counts}


def ladder_takeaway(data: LadderData) -> str:
    """One sentence: where the evidence stops, the claims' verdicts (counted as in the claim table) and which
    claims reach beyond the rung of their evidence (all of them named).

    Parameters
    ----------
    data : LadderData
        The ladder.

    Returns
    -------
    str
        The sentence.

    Examples
    --------
    >>> ladder_takeaway(LadderData({1: 0, 2: 0}))
    'No evidence carries a rung yet; no claims recorded.'
    """
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


__all__ = ["LADDER_NOTE", "RUNGS", "RUNG_NAMES", "ClaimOnLadder", "LadderData", "Rung", "ladder_takeaway",
           "rung_label", "status_counts", "validate_rung"]
