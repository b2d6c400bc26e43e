"""The five rungs of the evaluation-phase ladder (names, descriptions) and rung validation.

The rungs are OUR reading *after the paper's five-phased evaluation paradigm* (Jin et al., "Ethical Medical
Image Synthesis", arXiv:2508.09293): the paper describes phase 1 as algorithmic evaluation in model space and
the later phases as moving into the real-world problem space, like cell/animal studies before patient trials.
The paper's own phase names were not available to us; the names below are ours. Kept apart from
:mod:`misyn_lab.instruments.ladder` so that the claims module and the ladder can both use it without importing
each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from misyn_lab.checklist.review import RUNGS as RUNG_NAMES
from misyn_lab.errors import InputError


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
