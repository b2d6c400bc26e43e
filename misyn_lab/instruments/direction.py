"""What a claim's numbers say: the direction a claim states, and where a confidence interval lies.

A claim states a **direction**: ``increase`` ("improves", "higher", "better" ...), ``decrease`` ("reduces",
"lower", "alleviates" ...), ``equivalent`` ("as good as", "non-inferior", "comparable" ...) or
``indistinguishable`` (synthetic images cannot be told from real ones). It is declared (``direction:``) or
inferred from the claim's text by the word lists below (the earliest matching word decides and is named, so
a reader can check the inference and declare the direction when it is wrong). A claim of kind
``indistinguishable`` states that direction whatever its words.

The readers at the bottom pull the measured numbers a rule needs out of the evidence a claim cites: the
detection AUC / reader accuracy of an indistinguishability claim, and the copy rate with its negative control
of a privacy claim.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from misyn_lab.errors import InputError
from misyn_lab.instruments import _review

#: The directions a claim can state.
DIRECTIONS = ("increase", "decrease", "equivalent", "indistinguishable")

#: Word patterns per direction, checked in this order; within the text the earliest match wins.
PATTERNS: tuple[tuple[str, str], ...] = (
    ("indistinguishable", r"indistinguishable|cannot be (?:told apart|distinguished)|can't be told apart"
                          r"|undetectable|as realistic as real"),
    ("equivalent", r"non-?inferior|as (?:good|accurate|well|effective) as|equivalent|comparable|on par"
                   r"|no worse|similar (?:performance|accuracy|results)|matches the performance"),
    ("decrease", r"reduc\w*|decreas\w*|lower\w*|less|fewer|alleviat\w*|shorten\w*|cuts?|drops?|diminish\w*"
                 r"|minimi[sz]\w*"),
    ("increase", r"improv\w*|increas\w*|higher|better|gains?|boost\w*|rais\w*|enhanc\w*|outperform\w*"
                 r"|more accurate"),
)
_COMPILED = tuple((d, re.compile(rf"\b(?:{p})\b", re.IGNORECASE)) for d, p in PATTERNS)

#: Detection AUC / reader accuracy above which synthetic images count as told apart (``0.5 + mid`` with a MID).
INDISTINGUISHABLE_MARGIN = 0.6
#: Evidence key prefixes that measure how well real and synthetic are told apart (0.5 = chance).
DETECTION_KEYS = ("detection", "reader_study")


@dataclass(frozen=True)
class Direction:
    """The direction a claim states (``None``: none found) and where it came from (shown in the verdict)."""

    value: str | None
    source: str

    def describe(self) -> str:
        return f"{self.value} ({self.source})" if self.value else f"none ({self.source})"


def infer_direction(text: str, kind: str = "other") -> Direction:
    """The direction a claim's text states (see :data:`PATTERNS`); kind ``indistinguishable`` states that one.

    Parameters
    ----------
    text : str
        The claim as written.
    kind : str, optional
        The claim's kind.

    Returns
    -------
    Direction
        ``value`` (one of :data:`DIRECTIONS`) and ``source`` (the words it was inferred from).

    Examples
    --------
    >>> infer_direction("Synthetic augmentation improves Dice")
    Direction(value='increase', source="inferred from 'improves'")
    >>> infer_direction("Readers cannot tell them apart", kind="indistinguishable").value
    'indistinguishable'
    """
    if kind == "indistinguishable":
        return Direction("indistinguishable", "kind 'indistinguishable'")
    best: tuple[int, str, str] | None = None
    for direction, pattern in _COMPILED:
        m = pattern.search(text or "")
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), direction, m.group(0))
    if best is None:
        return Direction(None, "no direction word in the text")
    return Direction(best[1], f"inferred from '{best[2]}'")


def resolve_direction(declared: Any, text: str, kind: str, *, claim_id: str = "?") -> Direction:
    """The declared direction (checked) or, when none is declared, the inferred one."""
    if declared is None or declared == "":
        return infer_direction(text, kind)
    if declared not in DIRECTIONS:
        raise InputError(f"claim {claim_id}: unknown direction {declared!r}",
                         remedy=f"use one of {', '.join(DIRECTIONS)} (or leave it out to infer it from the text)")
    return Direction(str(declared), "declared")


def check_mid(mid: Any, *, claim_id: str = "?") -> float | None:
    """A minimal important difference: a positive finite number in the estimate's unit, or ``None``."""
    if mid is None:
        return None
    try:
        value = float(mid)
    except (TypeError, ValueError):
        raise InputError(f"claim {claim_id}: mid is not a number: {mid!r}",
                         remedy="give the minimal important difference in the estimate's unit, e.g. mid: 0.01") from None
    if not (math.isfinite(value) and value > 0):
        raise InputError(f"claim {claim_id}: mid must be a positive number, got {mid!r}",
                         remedy="give the minimal important difference as a positive number in the estimate's unit")
    return value


def fmt(x: float) -> str:
    """A number as it appears in a verdict reason (four significant digits)."""
    return f"{x:.4g}"


def ci_text(ci: tuple[float, float]) -> str:
    return f"[{fmt(ci[0])}, {fmt(ci[1])}]"


# ------------------------------------------------------------------------------------- measured evidence
@dataclass(frozen=True)
class Measured:
    """A number a rule reads: value, CI, n and details of one cited result, and where it came from."""

    key: str
    value: float | None
    ci: tuple[float, float] | None
    n: dict = field(default_factory=dict)
    details: dict = field(default_factory=dict)
    source: str = ""

    def describe(self) -> str:
        ci = "" if self.ci is None else f", CI {ci_text(self.ci)}"
        val = "" if self.value is None else f" = {fmt(self.value)}"
        return f"{self.key}{val}{ci} ({self.source})"


def _measured(eid: str, record: dict) -> Measured:
    result = record.get("result") if isinstance(record.get("result"), dict) else record
    ci = result.get("ci")
    value = result.get("value")
    return Measured(key=_review.evidence_key(record), value=None if value is None else float(value),
                    ci=None if not ci or None in ci else (float(ci[0]), float(ci[1])),
                    n=dict(result.get("n") or {}) if isinstance(result.get("n"), dict) else {},
                    details=dict(result.get("details") or {}), source=f"evidence {eid}")


def detection_measures(cited: dict[str, dict]) -> list[Measured]:
    """Cited results that say how well real and synthetic are told apart (detection AUC, reader accuracy)."""
    return [_measured(e, r) for e, r in cited.items() if _review.evidence_key(r).startswith(DETECTION_KEYS)]


def copy_measures(cited: dict[str, dict]) -> list[Measured]:
    """Cited copy-rate results (keys ``memorisation.*copy_rate``)."""
    return [_measured(e, r) for e, r in cited.items()
            if _review.evidence_key(r).startswith(("memorisation", "memorization"))
            and _review.evidence_key(r).endswith("copy_rate")]


def copy_rate_ci(m: Measured) -> tuple[float, float] | None:
    """The copy rate's CI: as reported, else the Wilson CI of ``value`` over ``n["synthetic"]`` images."""
    from statsmodels.stats.proportion import proportion_confint

    if m.ci is not None:
        return m.ci
    n = int(m.n.get("synthetic", 0) or 0)
    if m.value is None or n < 1:
        return None
    lo, hi = proportion_confint(round(m.value * n), n, alpha=0.05, method="wilson")
    return float(lo), float(hi)


def false_alarm_upper(m: Measured) -> float | None:
    """The negative control of a copy rate: the upper end of the false-alarm rate's CI, else the rate itself."""
    ci = m.details.get("false_alarm_ci")
    if isinstance(ci, (list, tuple)) and len(ci) == 2 and ci[1] is not None:
        return float(ci[1])
    for key in ("false_alarm_rate", "holdout_false_alarm_rate"):
        if m.details.get(key) is not None:
            return float(m.details[key])
    return None
