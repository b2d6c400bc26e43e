"""Claims a MISyn work makes, and the fixed rules that check them against their evidence and its numbers.

A :class:`Claim` records one statement ("synthetic augmentation significantly improves Dice", "our images
are indistinguishable from real ones"), where it is made, the **direction** it states (``increase``,
``decrease``, ``equivalent``, ``indistinguishable``; declared or inferred from the text, see
:mod:`misyn_lab.instruments.direction`), an optional minimal important difference ``mid`` (in the estimate's
unit), what backs it, whether and which statistical test was reported (with its ``estimate``, the treatment
minus baseline difference its CI bounds), whether failures / worst cases / subgroups were reported and whether
ethics approval is stated. :func:`check_claim` gives it a status — ``contradicted``, ``not_supported``,
``untested``, ``overclaimed`` or ``supported`` — with the reasons, the ids of the rules that fired and the number
that decided it (``decided_by``). The rules are fixed and listed in :data:`RULES` (rendered as the table in
``CLAIM_RULES.md``; a test keeps the two in step). Rule ids never change meaning; new rules get new ids.

Status precedence when several rules fire: contradicted > not_supported > untested > overclaimed > supported.
Flags (``imbalanced_reporting``, ``ethics_not_stated``, ``small_n``, ``mid_not_reached``) are reported beside
the status.

Where the workbook itself makes a claim, reporting flags are set only by attaching the evidence that holds them
(:func:`misyn_lab.instruments.reporting.attach_reporting`), never by setting a boolean.

Claims are stored as records of the Review section ``"claims"`` (unknown keys kept), so they travel in the
same lossless review file as the checklist answers and the evidence.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from misyn_lab.errors import InputError, SchemaError
from misyn_lab.instruments import _review
from misyn_lab.instruments.claim_table import VerdictList
from misyn_lab.instruments.direction import (INDISTINGUISHABLE_MARGIN, Direction, Measured, check_mid, ci_text,
                                             copy_measures, copy_rate_ci, detection_measures, false_alarm_upper, fmt,
                                             resolve_direction)
from misyn_lab.instruments.stats import SMALL_N, holm_correction, paired_summary, tost_paired
from misyn_lab.metrics.result import format_p
from misyn_lab.rungs import RUNGS, validate_rung
from misyn_lab.vocabulary import VERDICT_STATUSES

if TYPE_CHECKING:
    from misyn_lab.checklist.review import Review

#: Kinds of claim.
KINDS = ("benefit", "significance", "indistinguishable", "clinical", "privacy", "other")
#: Verdict statuses, worst first (precedence when several rules fire).
STATUSES = VERDICT_STATUSES
#: Claim kinds that state a general improvement or quality and so need balanced reporting (R4).
GENERAL_KINDS = ("benefit", "significance", "indistinguishable", "clinical")
#: Lowest rung a claim of this kind speaks for (default when ``claimed_rung`` is not given: 1).
MIN_CLAIMED_RUNG = {"clinical": 3}
#: Evidence key prefixes that count as a real-vs-synthetic detection test (R8).
DETECTION_PREFIXES = ("detection", "reader_study")
#: Evidence key prefixes / test-name words that count as a memorisation or privacy test (R10).
PRIVACY_PREFIXES = ("memorisation", "memorization", "privacy", "identifiability", "membership")
SIGNIFICANCE_WORDS = re.compile(r"\bsignifican(?:t|tly|ce)\b|\bp\s*[<=≤]\s*0?\.\d", re.IGNORECASE)


@dataclass(frozen=True)
class Rule:
    """One fixed claim rule: id, the condition in words, the status it sets (or ``None``), a flag."""

    id: str
    name: str
    condition: str
    status: str | None
    flag: str | None
    reason: str


#: The claim rules, in the order they are checked. ``CLAIM_RULES.md`` renders this table.
RULES: tuple[Rule, ...] = (
    Rule("R1", "no_result", "No result is reported for the claim and it cites no evidence in the review.",
         "not_supported", None, "nothing backs the claim: no reported result and no cited evidence"),
    Rule("R2", "significance_without_test",
         "The claim is of kind 'significance' or its text says significant/significantly/significance "
         "(or 'p < ...'), but no statistical test is named with a p-value or CI.",
         "untested", None, "'significant' is claimed but no statistical test (name and p-value or CI) is reported"),
    Rule("R3", "rung_beyond_evidence",
         "The claimed evaluation rung is above the highest rung of the claim's own evidence (evidence of "
         "unknown rung counts as rung 1; no evidence counts as rung 0).",
         "overclaimed", None, "the claim reaches beyond the evaluation rung its evidence stands on"),
    Rule("R4", "imbalanced_reporting",
         "A benefit/significance/indistinguishable/clinical claim reports only averages: no failures, no "
         "worst cases and no subgroup results.",
         "overclaimed", "imbalanced_reporting",
         "imbalanced reporting: only averages are shown, no failures, worst cases or subgroups"),
    Rule("R5", "ethics_not_stated",
         "The work uses private data or a user study and does not state research-ethics approval.",
         None, "ethics_not_stated", "private data or a user study without stated research-ethics approval"),
    Rule("R6", "not_significant",
         "The reported p-value, after Holm correction over all checked claims, is above alpha (a claim of a "
         "difference; equivalent/indistinguishable claims are judged by R16-R21).",
         "not_supported", None, "the test does not reject at alpha after Holm correction"),
    Rule("R7", "unknown_evidence",
         "The claim cites an evidence id that the review does not hold.",
         None, None, "raises InputError: the citation must be fixed before the claim can be checked"),
    Rule("R8", "indistinguishable_without_readers",
         "An 'indistinguishable' claim has no evidence on rung 2 or above (reader study) and no detection "
         "test evidence (key starting 'detection' or 'reader_study').",
         "untested", None, "indistinguishability is claimed without a reader study or a detection test"),
    Rule("R9", "ci_includes_null",
         "A test reports a CI of the difference but no p-value, and the CI includes the null value (a claim of a "
         "difference; equivalent/indistinguishable claims are judged by R16-R21).",
         "not_supported", None, "the reported CI of the difference includes the null value"),
    Rule("R10", "privacy_without_memorisation_test",
         "A 'privacy' claim cites no memorisation/privacy evidence and names no such test.",
         "untested", None, "privacy is claimed without a memorisation or privacy test"),
    Rule("R11", "small_n",
         f"The reported test has fewer than {SMALL_N} paired cases.",
         None, "small_n", f"fewer than {SMALL_N} cases: the test has little power; treat as preliminary"),
    Rule("R12", "direction_contradicted",
         "An increase/decrease claim whose CI of the estimate lies wholly on the other side of the null value "
         "(increase: CI high < null; decrease: CI low > null); without a CI, an estimate on the other side with "
         "p <= alpha.",
         "contradicted", None, "the measured difference goes the other way from the claim"),
    Rule("R13", "directional_ci_includes_null",
         "An increase/decrease claim whose CI of the estimate includes the null value (whether or not a p-value is "
         "reported).",
         "not_supported", None, "the CI of the difference includes the null value: no direction is shown"),
    Rule("R14", "below_mid",
         "An increase/decrease claim with a MID whose whole CI lies short of the MID in the claimed direction "
         "(increase: CI high < null + MID; decrease: CI low > null - MID).",
         "not_supported", None, "the whole CI lies below the minimal important difference"),
    Rule("R15", "mid_not_reached",
         "An increase/decrease claim with a MID whose CI excludes the null in the claimed direction but includes "
         "the MID.",
         None, "mid_not_reached", "the difference may be smaller than the minimal important difference"),
    Rule("R16", "equivalence_untested",
         "An 'equivalent' claim without a MID (the equivalence margin), or without a CI of the estimate and "
         "without a TOST p-value.",
         "untested", None, "equivalence needs a margin (MID) and a TOST or a CI within +/-MID"),
    Rule("R17", "equivalence_not_shown",
         "An 'equivalent' claim with a MID whose CI is not within +/-MID and whose TOST p-value (if reported) is "
         "above alpha.",
         "not_supported", None, "equivalence is not shown: the CI reaches beyond the margin"),
    Rule("R18", "difference_beyond_margin",
         "An 'equivalent' claim whose CI lies wholly outside +/-MID (a difference larger than the margin).",
         "contradicted", None, "the measured difference is larger than the equivalence margin"),
    Rule("R19", "told_apart",
         f"An 'indistinguishable' claim whose cited detection AUC or reader accuracy has a CI wholly above "
         f"{INDISTINGUISHABLE_MARGIN} (0.5 + MID with a MID).",
         "contradicted", None, "real and synthetic images are told apart"),
    Rule("R20", "indistinguishable_without_ci",
         "An 'indistinguishable' claim whose detection AUC / reader accuracy evidence reports no CI.",
         "untested", None, "the detection AUC or reader accuracy has no CI, so chance level cannot be judged"),
    Rule("R21", "indistinguishability_not_shown",
         f"An 'indistinguishable' claim whose detection AUC / reader accuracy CI reaches above "
         f"{INDISTINGUISHABLE_MARGIN} (0.5 + MID) without lying wholly above it.",
         "not_supported", None, "the CI does not rule out that real and synthetic images are told apart"),
    Rule("R22", "copies_beyond_false_alarms",
         "A 'privacy' claim whose cited copy rate (memorisation.*copy_rate) has a CI wholly above the false-alarm "
         "rate of its held-out negative control (the upper end of that rate's CI, or the rate).",
         "contradicted", None, "the synthetic set holds copies beyond the false-alarm rate of unseen real images"),
    Rule("R23", "pseudo_replication",
         "The test counts n observations nested in fewer independent units (test.clusters names a grouping with "
         "fewer units than n) and does not say that its analysis respects them (test.clustered).",
         "untested", None, "the test treats nested observations as independent (pseudo-replication)"),
)
RULES_BY_ID = {r.id: r for r in RULES}


def _p_value(value: Any, field_name: str) -> float | None:
    if value is None:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{field_name} is not a number: {value!r}",
                         remedy="give the p-value as a number in [0, 1]") from None
    if not 0.0 <= v <= 1.0:
        raise InputError(f"{field_name} = {value!r} is outside [0, 1]",
                         remedy="a p-value is a probability; check how it was copied")
    return v


@dataclass(frozen=True)
class TestReport:
    """The statistical test a claim reports (or that :func:`settle_claim` ran).

    Parameters
    ----------
    name : str, optional
        The test (``"wilcoxon"``, ``"paired t"`` ...).
    n : int, optional
        Number of independent units.
    effect_size : float, optional
        Standardised effect size.
    ci : (float, float), optional
        Confidence interval of the estimate.
    p_value : float, optional
        The reported p-value.
    null_value : float, optional
        The value of no effect (0 for a difference).
    details : dict, optional
        Anything else reported.
    estimate : float, optional
        The estimate (e.g. mean difference).
    tost_p_value : float, optional
        TOST p-value of an equivalence test.
    clusters : dict, optional
        ``{grouping: number of units}`` when observations come in clusters (patients, sites).
    clustered : bool, optional
        Whether the analysis accounted for the clusters.

    Examples
    --------
    >>> test = TestReport(name="wilcoxon", n=8, p_value=0.0078, estimate=0.035, ci=(0.029, 0.040))
    >>> test.reported
    True
    """

    __test__ = False  # not a pytest test class

    name: str = ""
    n: int | None = None
    effect_size: float | None = None
    ci: tuple[float, float] | None = None
    p_value: float | None = None
    null_value: float = 0.0
    details: dict = field(default_factory=dict)
    estimate: float | None = None
    tost_p_value: float | None = None
    clusters: dict = field(default_factory=dict)
    clustered: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "p_value", _p_value(self.p_value, "test.p_value"))
        object.__setattr__(self, "tost_p_value", _p_value(self.tost_p_value, "test.tost_p_value"))
        for name in ("estimate", "null_value"):
            value = getattr(self, name)
            if value is None:
                continue
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise InputError(f"test.{name} is not a number: {value!r}",
                                 remedy=f"give test.{name} as a number") from None
            if not math.isfinite(number):
                raise InputError(f"test.{name} is not finite: {value!r}", remedy=f"give test.{name} as a number")
            object.__setattr__(self, name, number)
        if not isinstance(self.clusters, dict):
            raise InputError(f"test.clusters must map a grouping to its number of units, got {self.clusters!r}",
                             remedy="e.g. clusters: {readers: 2, tiles: 20}")
        clusters = {}
        for group, count in self.clusters.items():
            if isinstance(count, bool) or not isinstance(count, (int, float)) or int(count) != count or count < 1:
                raise InputError(f"test.clusters[{group!r}] must be a positive integer, got {count!r}",
                                 remedy="give the number of independent units of each grouping")
            clusters[str(group)] = int(count)
        object.__setattr__(self, "clusters", clusters)
        object.__setattr__(self, "clustered", bool(self.clustered))
        if self.ci is not None:
            try:
                low, high = (float(v) for v in self.ci)
            except (TypeError, ValueError):
                raise InputError(f"test.ci must be two numbers (low, high), got {self.ci!r}",
                                 remedy="write the CI as [low, high]") from None
            if low > high:
                raise InputError(f"test.ci low {low} is above high {high}", remedy="write the CI as [low, high]")
            object.__setattr__(self, "ci", (low, high))
        if self.n is not None:
            if int(self.n) != self.n or int(self.n) < 1:
                raise InputError(f"test.n must be a positive integer, got {self.n!r}",
                                 remedy="give the number of cases the test used")
            object.__setattr__(self, "n", int(self.n))

    @property
    def reported(self) -> bool:
        """A test counts as reported when it is named and gives a p-value or a CI."""
        return bool(self.name.strip()) and (self.p_value is not None or self.ci is not None)

    def to_dict(self) -> dict:
        return {"name": self.name, "n": self.n, "effect_size": self.effect_size, "estimate": self.estimate,
                "ci": None if self.ci is None else [self.ci[0], self.ci[1]], "p_value": self.p_value,
                "tost_p_value": self.tost_p_value, "null_value": self.null_value, "clusters": dict(self.clusters),
                "clustered": self.clustered, "details": dict(self.details)}

    @classmethod
    def from_dict(cls, data: dict | None) -> "TestReport | None":
        if data is None:
            return None
        if not isinstance(data, dict):
            raise SchemaError(f"claim 'test' must be a mapping, got {type(data).__name__}",
                              remedy="write test: {name: ..., n: ..., p_value: ...}")
        ci = data.get("ci")
        null = data.get("null_value")
        return cls(name=str(data.get("name") or ""), n=data.get("n"), effect_size=data.get("effect_size"),
                   ci=None if ci is None else tuple(ci), p_value=data.get("p_value"),
                   null_value=0.0 if null is None else null, details=dict(data.get("details") or {}),
                   estimate=data.get("estimate"), tost_p_value=data.get("tost_p_value"),
                   clusters=data.get("clusters") or {}, clustered=bool(data.get("clustered", False)))


_CLAIM_FIELDS = ("id", "text", "location", "kind", "claimed_rung", "evidence_cited", "evidence_ids",
                 "evidence_rung", "result_reported", "test", "failures_reported", "worst_cases_reported",
                 "subgroups_reported", "ethics_approval_stated", "uses_private_data", "has_user_study", "direction",
                 "mid")


@dataclass(frozen=True)
class Claim:
    """One statement a MISyn work makes, with what backs it.

    Parameters
    ----------
    id, text : str
        Short id (``"C1"``) and the statement as written.
    location : str, optional
        Where the work makes it (section, page).
    kind : str, optional
        ``benefit``, ``significance``, ``indistinguishable``, ``clinical``, ``privacy`` or ``other``.
    claimed_rung : int, optional
        The evaluation rung the statement speaks for (1 model space ... 5 after deployment; default 1, and at least
        3 for a ``clinical`` claim, which speaks for the clinical task).
    evidence_cited : str, optional
        The evidence the work cites, in words.
    evidence_ids : tuple of str, optional
        Ids of evidence records in the review that back the claim.
    evidence_rung : int, optional
        The reviewer's reading of the rung of the evidence the work cites (for evidence not held in the review;
        evidence held in the review carries its own rung).
    result_reported : bool, optional
        Whether the work reports a result for it.
    test : TestReport, optional
        The statistical test reported (or run by :func:`settle_claim`).
    failures_reported, worst_cases_reported, subgroups_reported : bool, optional
        Whether failures, worst cases and per-subgroup results are reported.
    ethics_approval_stated : bool, optional
        ``None`` when neither private data nor a user study is involved.
    uses_private_data, has_user_study : bool, optional
        Whether the work uses private data or a user study.
    direction : str, optional
        The direction the claim states (:data:`~misyn_lab.instruments.direction.DIRECTIONS`); ``None`` infers it
        from the text (:meth:`stated_direction`).
    mid : float, optional
        The minimal important difference in the estimate's unit (for an ``equivalent`` claim, the margin).
    extra : dict, optional
        Unknown keys read from a file, kept.

    Examples
    --------
    >>> claim = Claim("C1", "Synthetic augmentation improves Dice", kind="benefit")
    >>> claim.stated_direction().value, claim.claimed_rung
    ('increase', 1)
    """

    id: str
    text: str
    location: str = ""
    kind: str = "benefit"
    claimed_rung: int | None = None
    evidence_cited: str = ""
    evidence_ids: tuple[str, ...] = ()
    evidence_rung: int | None = None
    result_reported: bool = False
    test: TestReport | None = None
    failures_reported: bool = False
    worst_cases_reported: bool = False
    subgroups_reported: bool = False
    ethics_approval_stated: bool | None = None
    uses_private_data: bool = False
    has_user_study: bool = False
    direction: str | None = None
    mid: float | None = None
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not str(self.id).strip():
            raise InputError("claim id is empty", remedy="give every claim a short unique id, e.g. 'C1'")
        object.__setattr__(self, "id", str(self.id))
        if self.kind not in KINDS:
            raise InputError(f"claim {self.id}: unknown kind {self.kind!r}", remedy=f"use one of {', '.join(KINDS)}")
        minimum = MIN_CLAIMED_RUNG.get(self.kind, 1)
        rung = minimum if self.claimed_rung is None else validate_rung(
            self.claimed_rung, field_name=f"claim {self.id}: claimed_rung")
        if rung < minimum:
            raise InputError(f"claim {self.id}: a {self.kind} claim speaks for rung {minimum} or above, "
                             f"claimed_rung is {rung}", remedy=f"set claimed_rung >= {minimum} (or change the kind)")
        object.__setattr__(self, "claimed_rung", rung)
        if self.evidence_rung is not None:
            object.__setattr__(self, "evidence_rung",
                               validate_rung(self.evidence_rung, field_name=f"claim {self.id}: evidence_rung"))
        if isinstance(self.evidence_ids, str):
            object.__setattr__(self, "evidence_ids", (self.evidence_ids,))
        object.__setattr__(self, "evidence_ids", tuple(str(e) for e in self.evidence_ids))
        if isinstance(self.test, dict):
            object.__setattr__(self, "test", TestReport.from_dict(self.test))
        if self.ethics_approval_stated not in (None, True, False):
            raise InputError(f"claim {self.id}: ethics_approval_stated must be true, false or null",
                             remedy="null when no private data or user study is involved")
        object.__setattr__(self, "mid", check_mid(self.mid, claim_id=self.id))
        if self.direction is not None:
            resolve_direction(self.direction, self.text, self.kind, claim_id=self.id)  # validates it

    @property
    def says_significant(self) -> bool:
        return self.kind == "significance" or bool(SIGNIFICANCE_WORDS.search(self.text))

    def stated_direction(self) -> Direction:
        """The declared direction, or the one inferred from the text (shown in the verdict)."""
        return resolve_direction(self.direction, self.text, self.kind, claim_id=self.id)

    def to_dict(self) -> dict:
        out = dict(self.extra)
        out.update({
            "id": self.id, "text": self.text, "location": self.location, "kind": self.kind,
            "claimed_rung": self.claimed_rung, "evidence_cited": self.evidence_cited,
            "evidence_ids": list(self.evidence_ids), "evidence_rung": self.evidence_rung,
            "result_reported": self.result_reported, "test": None if self.test is None else self.test.to_dict(),
            "failures_reported": self.failures_reported, "worst_cases_reported": self.worst_cases_reported,
            "subgroups_reported": self.subgroups_reported, "ethics_approval_stated": self.ethics_approval_stated,
            "uses_private_data": self.uses_private_data, "has_user_study": self.has_user_study,
            "direction": self.direction, "mid": self.mid,
        })
        return out

    @classmethod
    def from_dict(cls, data: dict) -> "Claim":
        if not isinstance(data, dict):
            raise SchemaError(f"a claim must be a mapping, got {type(data).__name__}",
                              remedy="write each claim as {id: ..., text: ..., kind: ...}")
        for required in ("id", "text"):
            if required not in data:
                raise SchemaError(f"claim {data.get('id', '?')}: missing field '{required}'",
                                  remedy="every claim needs an id and its text")
        known = {k: data[k] for k in _CLAIM_FIELDS if k in data}
        known["evidence_ids"] = tuple(known.get("evidence_ids") or ())
        known["test"] = TestReport.from_dict(known.get("test"))
        for flag in ("result_reported", "failures_reported", "worst_cases_reported", "subgroups_reported",
                     "uses_private_data", "has_user_study"):
            if flag in known:
                known[flag] = bool(known[flag])
        extra = {k: v for k, v in data.items() if k not in _CLAIM_FIELDS}
        return cls(**known, extra=extra)


@dataclass(frozen=True)
class ClaimVerdict:
    """The checker's answer for one claim (from :func:`check_claim` / :func:`check_claims`).

    Parameters
    ----------
    claim_id : str
        The claim.
    status : str
        One of :data:`STATUSES` (worst first), e.g. ``contradicted``, ``not_supported``, ``overclaimed``,
        ``supported``.
    reasons : tuple of str
        One sentence per rule that fired, with the numbers that fired it.
    rules : tuple of str
        The ids of the rules that fired (``R1`` ...).
    flags : tuple of str, optional
        Short flags of those rules.
    p_adjusted : float, optional
        The Holm-adjusted p-value used.
    evidence_rung : int, optional
        Highest rung of the claim's own evidence.
    direction, direction_source : str, optional
        The claim's direction and whether it was declared or inferred.
    decided_by : str, optional
        The rule and number that decided the status.

    Examples
    --------
    >>> from misyn_lab.instruments import Claim, check_claim
    >>> verdict = check_claim(Claim("C1", "Synthetic augmentation improves Dice"))
    >>> verdict.status, verdict.rules[0]
    ('not_supported', 'R1')
    """

    claim_id: str
    status: str
    reasons: tuple[str, ...]
    rules: tuple[str, ...]
    flags: tuple[str, ...] = ()
    p_adjusted: float | None = None
    evidence_rung: int = 0
    direction: str | None = None
    direction_source: str = ""
    decided_by: str = ""

    def to_dict(self) -> dict:
        return {"claim_id": self.claim_id, "status": self.status, "reasons": list(self.reasons),
                "rules": list(self.rules), "flags": list(self.flags), "p_adjusted": self.p_adjusted,
                "evidence_rung": self.evidence_rung, "direction": self.direction,
                "direction_source": self.direction_source, "decided_by": self.decided_by}

    def __str__(self) -> str:
        text = f"{self.claim_id}: {self.status}"
        if self.decided_by:
            text += f" (decided by: {self.decided_by})"
        if self.reasons:
            text += " — " + "; ".join(f"[{r}] {why}" for r, why in zip(self.rules, self.reasons))
        return text


def _as_claim(claim: Claim | dict) -> Claim:
    return claim if isinstance(claim, Claim) else Claim.from_dict(claim)


def _cited_evidence(claim: Claim, review: Review | None) -> dict[str, dict]:
    """The claim's cited evidence records from the review (R7: unknown id -> InputError)."""
    if review is None or not claim.evidence_ids:
        return {}
    store = _review.evidence(review)
    unknown = [e for e in claim.evidence_ids if e not in store]
    if unknown:
        raise InputError(f"claim {claim.id} cites unknown evidence id(s): {', '.join(unknown)}",
                         remedy="cite ids from review.evidence (add the evidence first with review.add_evidence)")
    return {e: store[e] for e in claim.evidence_ids}


def claim_evidence_rung(claim: Claim | dict, review: Review | None = None) -> int:
    """Highest rung of the claim's own evidence: its cited review evidence (unknown rung counts as 1) and
    the reviewer's ``evidence_rung`` reading; 1 if only a reported result without rung; 0 if nothing."""
    claim = _as_claim(claim)
    rungs = [(_review.evidence_rung(rec) or 1) for rec in _cited_evidence(claim, review).values()]
    if claim.evidence_rung is not None:
        rungs.append(claim.evidence_rung)
    if not rungs and claim.result_reported:
        rungs.append(1)
    return max(rungs, default=0)


def _directional(claim: Claim, d: str, test: TestReport, p: float | None, alpha: float) -> dict[str, str]:
    """R12-R15: an increase/decrease claim against the CI (or estimate and p) of its test."""
    out: dict[str, str] = {}
    null = test.null_value
    inc = d == "increase"
    if test.ci is not None:
        lo, hi = test.ci
        if (hi < null) if inc else (lo > null):
            out["R12"] = (f"CI of the estimate {ci_text(test.ci)} lies wholly {'below' if inc else 'above'} the "
                          f"null {fmt(null)}; the claim states {d}")
        elif lo <= null <= hi:
            out["R13"] = f"CI {ci_text(test.ci)} includes the null {fmt(null)}"
        if claim.mid is not None:
            target = null + claim.mid if inc else null - claim.mid
            if (hi < target) if inc else (lo > target):
                out["R14"] = f"CI {ci_text(test.ci)} lies wholly short of the MID {fmt(target)}"
            elif "R12" not in out and "R13" not in out and lo <= target <= hi:
                out["R15"] = f"CI {ci_text(test.ci)} includes the MID {fmt(target)}"
    elif test.estimate is not None and p is not None and p <= alpha:
        if (test.estimate < null) if inc else (test.estimate > null):
            out["R12"] = (f"estimate {fmt(test.estimate)} lies {'below' if inc else 'above'} the null {fmt(null)} "
                          f"with {format_p(p)} <= alpha = {alpha}; the claim states {d}")
    return out


def _equivalence(claim: Claim, test: TestReport | None, alpha: float) -> dict[str, str]:
    """R16-R18: an equivalence claim against its margin (MID), CI and TOST."""
    if claim.mid is None:
        return {"R16": "no MID (equivalence margin) is given"}
    if test is None or (test.ci is None and test.tost_p_value is None):
        return {"R16": f"margin +/-{fmt(claim.mid)}, but no CI of the estimate and no TOST p-value"}
    lo_m, hi_m = test.null_value - claim.mid, test.null_value + claim.mid
    margin = f"+/-MID [{fmt(lo_m)}, {fmt(hi_m)}]"
    within = False
    if test.ci is not None:
        lo, hi = test.ci
        if hi < lo_m or lo > hi_m:
            return {"R18": f"CI {ci_text(test.ci)} lies wholly outside {margin}"}
        within = lo_m <= lo and hi <= hi_m
    tost_ok = test.tost_p_value is not None and test.tost_p_value <= alpha
    if within or tost_ok:
        return {}
    what = [] if test.ci is None else [f"CI {ci_text(test.ci)} is not within {margin}"]
    if test.tost_p_value is not None:
        what.append(f"TOST {format_p(test.tost_p_value)} > alpha = {alpha}")
    return {"R17": "; ".join(what)}


def _detection_measures(claim: Claim, cited: dict[str, dict]) -> list[Measured]:
    """Cited detection/reader results, plus the claim's own test when it is a detection or reader test."""
    measures = detection_measures(cited)
    test = claim.test
    if test is not None and re.search(r"detect|auc|reader|turing", test.name, re.IGNORECASE) and (
            test.estimate is not None or test.ci is not None):
        measures.append(Measured(key=test.name, value=test.estimate, ci=test.ci, source="the claim's test"))
    return measures


def _indistinguishable(claim: Claim, cited: dict[str, dict]) -> dict[str, str]:
    """R19-R21: an indistinguishability claim against detection AUC / reader accuracy CIs."""
    margin = 0.5 + claim.mid if claim.mid is not None else INDISTINGUISHABLE_MARGIN
    measures = _detection_measures(claim, cited)
    with_ci = [m for m in measures if m.ci is not None]
    told = [m for m in with_ci if m.ci[0] > margin]
    if told:
        return {"R19": f"{told[0].describe()} lies wholly above {fmt(margin)}"}
    reaching = [m for m in with_ci if m.ci[1] > margin]
    if reaching:
        return {"R21": f"{reaching[0].describe()} reaches above {fmt(margin)}"}
    if measures and not with_ci:
        return {"R20": f"{measures[0].describe()} has no CI"}
    return {}


def _privacy(cited: dict[str, dict]) -> dict[str, str]:
    """R22: a privacy claim against a cited copy rate and its negative control."""
    for m in copy_measures(cited):
        ci, fa = copy_rate_ci(m), false_alarm_upper(m)
        if ci is not None and fa is not None and ci[0] > fa:
            return {"R22": f"{m.key} = {fmt(m.value or 0)}, CI {ci_text(ci)}, lies wholly above the false-alarm "
                           f"rate {fmt(fa)} of the negative control ({m.source})"}
    return {}


def _supported_because(claim: Claim, d: str | None, test: TestReport | None, p: float | None,
                       cited: dict[str, dict]) -> str:
    """The number behind a ``supported`` verdict, in words."""
    if test is not None and d in ("increase", "decrease") and test.ci is not None:
        side = "above" if d == "increase" else "below"
        return f"CI of the estimate {ci_text(test.ci)} lies {side} the null {fmt(test.null_value)} ({d} claimed)"
    if d == "equivalent" and test is not None and claim.mid is not None:
        if test.ci is not None:
            return f"CI {ci_text(test.ci)} lies within +/-MID {fmt(claim.mid)}"
        return f"TOST {format_p(test.tost_p_value)} <= alpha (margin +/-{fmt(claim.mid)})"
    if d == "indistinguishable":
        measures = [m for m in _detection_measures(claim, cited) if m.ci is not None]
        if measures:
            return f"{measures[0].describe()} stays at or below the margin"
    if claim.kind == "privacy":
        copies = copy_measures(cited)
        if copies:
            return f"{copies[0].describe()} is not above its negative control"
    if test is not None and p is not None:
        return f"{format_p(p)} <= alpha"
    return "no rule fired (no measured number to check)"


def check_claim(claim: Claim | dict, review: Review | None = None, *, alpha: float = 0.05,
                p_adjusted: float | None = None) -> ClaimVerdict:
    """Apply the fixed rules :data:`RULES` to one claim (listed in ``CLAIM_RULES.md``).

    The verdict names the claim's direction (declared or inferred) and, in ``decided_by``, the number that decided
    its status.

    Parameters
    ----------
    claim : Claim or dict
        The claim.
    review : Review, optional
        Resolves the claim's ``evidence_ids`` (unknown id -> :class:`InputError`, rule R7).
    alpha : float, optional
        Significance level.
    p_adjusted : float, optional
        The Holm-adjusted p-value when the claim is checked as one of several (see :func:`check_claims`);
        otherwise the claim's own p-value is used.

    Returns
    -------
    ClaimVerdict
        Status, the rules that fired and why.

    Raises
    ------
    InputError
        An evidence id the review does not hold; a p-value outside [0, 1].

    Examples
    --------
    >>> from misyn_lab.checklist import Review
    >>> review = Review.new("demo", reviewer="ana")
    >>> from misyn_lab.instruments import Claim, settle_claim
    >>> a = [0.70, 0.72, 0.68, 0.75, 0.71, 0.69, 0.74, 0.73]   # baseline Dice, one per seed
    >>> b = [0.74, 0.75, 0.71, 0.80, 0.73, 0.72, 0.78, 0.77]   # with synthetic augmentation
    >>> claim = settle_claim(Claim("C1", "Synthetic augmentation improves Dice"), a, b, review=review,
    ...                      n_boot=2000, n_resamples=2000)
    >>> verdict = check_claim(claim, review)
    >>> verdict.status, verdict.direction, verdict.rules
    ('overclaimed', 'increase', ('R4', 'R11'))
    """
    claim = _as_claim(claim)
    cited = _cited_evidence(claim, review)  # R7
    keys = [_review.evidence_key(rec) for rec in cited.values()]
    ev_rung = claim_evidence_rung(claim, review)
    test = claim.test
    p = p_adjusted if p_adjusted is not None else (test.p_value if test is not None else None)
    if p_adjusted is not None:
        _p_value(p_adjusted, f"claim {claim.id}: p_adjusted")
    direction = claim.stated_direction()
    d = direction.value
    details: dict[str, str] = {}
    fired = _reporting_rules(claim, d, p, alpha, ev_rung, keys, details)
    numeric = _numeric_rules(claim, d, p, alpha, cited)
    details.update(numeric)
    fired += sorted(numeric, key=lambda r: int(r[1:]))

    statuses = {RULES_BY_ID[r].status for r in fired} - {None}
    status = next((s for s in STATUSES[:-1] if s in statuses), "supported")
    reasons = tuple(RULES_BY_ID[r].reason + (f" ({details[r]})" if r in details else "") for r in fired)
    flags = tuple(RULES_BY_ID[r].flag for r in fired if RULES_BY_ID[r].flag)
    if status == "supported":
        decided_by = _supported_because(claim, d, test, p, cited)
    else:
        deciding = next(r for r in fired if RULES_BY_ID[r].status == status)
        decided_by = f"[{deciding}] " + (details.get(deciding) or RULES_BY_ID[deciding].reason)
    return ClaimVerdict(claim.id, status, reasons, tuple(fired), flags, p_adjusted, ev_rung,
                        direction=d, direction_source=direction.source, decided_by=decided_by)


def _reporting_rules(claim: Claim, d: str, p: float | None, alpha: float, ev_rung: int, keys: list[str],
                     details: dict[str, str]) -> list[str]:
    """The rules about what was reported (R1-R11) that fire for ``claim``, in rule order; their measured
    details are added to ``details``."""
    test = claim.test
    test_name = (test.name if test is not None else "").lower()
    fired: list[str] = []
    if not claim.result_reported and not claim.evidence_ids:
        fired.append("R1")
    if claim.says_significant and (test is None or not test.reported):
        fired.append("R2")
    if claim.claimed_rung > ev_rung:
        fired.append("R3")
        details["R3"] = (f"claims rung {claim.claimed_rung} '{RUNGS[claim.claimed_rung].name}', evidence reaches "
                         f"{ev_rung}")
    if (claim.kind in GENERAL_KINDS and not (claim.failures_reported or claim.worst_cases_reported
                                              or claim.subgroups_reported)):
        fired.append("R4")
    if (claim.uses_private_data or claim.has_user_study) and claim.ethics_approval_stated is not True:
        fired.append("R5")
    states_difference = d not in ("equivalent", "indistinguishable")
    if states_difference and test is not None and test.reported and p is not None and p > alpha:
        fired.append("R6")
        details["R6"] = f"{format_p(p)} > alpha = {alpha}"
    if claim.kind == "indistinguishable" and ev_rung < 2 and not any(
            k.startswith(DETECTION_PREFIXES) for k in keys) and "detection" not in test_name:
        fired.append("R8")
    if (states_difference and test is not None and test.p_value is None and test.ci is not None
            and test.ci[0] <= test.null_value <= test.ci[1]):
        fired.append("R9")
        details["R9"] = f"CI {ci_text(test.ci)}, null {fmt(test.null_value)}"
    if claim.kind == "privacy" and not any(k.startswith(PRIVACY_PREFIXES) for k in keys) and not any(
            w in test_name for w in ("memoris", "memoriz", "membership", "privacy", "nearest")):
        fired.append("R10")
    if test is not None and test.n is not None and test.n < SMALL_N:
        fired.append("R11")
        details["R11"] = f"n = {test.n}"
    return fired


def _numeric_rules(claim: Claim, d: str, p: float | None, alpha: float,
                   cited: dict[str, dict]) -> dict[str, str]:
    """The rules that read the measured numbers (direction, equivalence, detection, copies, clustering):
    ``{rule id: the numbers that fired it}``."""
    test = claim.test
    numeric: dict[str, str] = {}
    if test is not None and d in ("increase", "decrease"):
        numeric.update(_directional(claim, d, test, p, alpha))
    if d == "equivalent":
        numeric.update(_equivalence(claim, test, alpha))
    if d == "indistinguishable":
        numeric.update(_indistinguishable(claim, cited))
    if claim.kind == "privacy":
        numeric.update(_privacy(cited))
    if test is not None and test.clusters and not test.clustered and test.n is not None:
        group, units = min(test.clusters.items(), key=lambda kv: kv[1])
        if units < test.n:
            numeric["R23"] = (f"n = {test.n} observations treated as independent, but they come from {units} "
                              f"{group} (clusters: {', '.join(f'{k} {v}' for k, v in test.clusters.items())})")
    return numeric


def check_claims(claims: Iterable[Claim | dict], review: Review | None = None, *, alpha: float = 0.05) -> VerdictList:
    """Check several claims; the p-values of all claims that report one are Holm-corrected together.

    Parameters
    ----------
    claims : iterable of Claim or dict
        The claims (ids must be unique).
    review : Review, optional
        Resolves the claims' evidence ids.
    alpha : float, optional
        Family-wise significance level.

    Returns
    -------
    VerdictList
        A list of :class:`ClaimVerdict` that a notebook shows as the verdict table.

    Raises
    ------
    InputError
        Duplicate claim ids, or an evidence id the review does not hold.

    Examples
    --------
    >>> from misyn_lab.checklist import Review
    >>> review = Review.new("demo", reviewer="ana")
    >>> from misyn_lab.instruments import Claim, settle_claim
    >>> a = [0.70, 0.72, 0.68, 0.75, 0.71, 0.69, 0.74, 0.73]   # baseline Dice, one per seed
    >>> b = [0.74, 0.75, 0.71, 0.80, 0.73, 0.72, 0.78, 0.77]   # with synthetic augmentation
    >>> claim = settle_claim(Claim("C1", "Synthetic augmentation improves Dice"), a, b, review=review,
    ...                      n_boot=2000, n_resamples=2000)
    >>> [(v.claim_id, v.status) for v in check_claims([claim, Claim("C2", "It is safe")], review)]
    [('C1', 'overclaimed'), ('C2', 'not_supported')]
    """
    items = [_as_claim(c) for c in claims]
    seen: set[str] = set()
    for c in items:
        if c.id in seen:
            raise InputError(f"duplicate claim id {c.id!r}", remedy="give every claim a unique id")
        seen.add(c.id)
    with_p = [i for i, c in enumerate(items) if c.test is not None and c.test.p_value is not None]
    holm = holm_correction([items[i].test.p_value for i in with_p], alpha=alpha)
    adjusted = dict(zip(with_p, holm.adjusted))
    return VerdictList(check_claim(c, review, alpha=alpha, p_adjusted=adjusted.get(i)) for i, c in enumerate(items))


def settle_claim(claim: Claim | dict, a: Sequence[float], b: Sequence[float], *, review: Review | None = None,
                 rung: int | None = None, test: str = "wilcoxon", n_boot: int = 10000,
                 n_resamples: int = 10000, seed: int = 0, alpha: float = 0.05, unit: str = "") -> Claim:
    """Compute the statistics of a claim from paired results and fill its test fields.

    Fills ``test`` (Wilcoxon signed-rank or paired permutation p-value), n, the ``estimate`` (mean of ``b - a``)
    with its paired-bootstrap CI, Cohen's d_z, and the power at the claim's planned effect (its ``mid``; none
    without one). For an ``equivalent`` claim with a MID, the TOST p-value (``statsmodels`` ``ttost_paired``) fills
    ``tost_p_value``. ``result_reported`` becomes true.

    Parameters
    ----------
    claim : Claim or dict
        The claim.
    a, b : sequence of float
        Paired results: ``a`` the baseline, ``b`` the treatment, one pair per independent unit.
    review : Review, optional
        When given, the bootstrap difference and the test (and TOST) are added as evidence and their ids appended
        to ``evidence_ids``.
    rung : int, optional
        Evaluation rung of that evidence (default: the claim's ``evidence_rung`` or 1).
    test : {"wilcoxon", "permutation"}, optional
        The test.
    n_boot, n_resamples : int, optional
        Bootstrap and permutation resamples.
    seed : int, optional
        Seed of the resampling.
    alpha : float, optional
        Significance level of the power calculation.
    unit : str, optional
        The unit of analysis (e.g. ``"seed/split"``), stored with the test.

    Returns
    -------
    Claim
        A new claim with the test filled in.

    Raises
    ------
    InputError
        ``a`` and ``b`` of different lengths, fewer than two pairs, non-finite values, an unknown test.

    Examples
    --------
    >>> from misyn_lab.checklist import Review
    >>> review = Review.new("demo", reviewer="ana")
    >>> from misyn_lab.instruments import Claim, settle_claim
    >>> a = [0.70, 0.72, 0.68, 0.75, 0.71, 0.69, 0.74, 0.73]   # baseline Dice, one per seed
    >>> b = [0.74, 0.75, 0.71, 0.80, 0.73, 0.72, 0.78, 0.77]   # with synthetic augmentation
    >>> claim = settle_claim(Claim("C1", "Synthetic augmentation improves Dice"), a, b, review=review,
    ...                      n_boot=2000, n_resamples=2000)
    >>> claim.test.n, round(claim.test.estimate, 3), claim.test.p_value
    (8, 0.035, 0.0078125)
    >>> len(claim.evidence_ids)
    2
    """
    claim = _as_claim(claim)
    if test not in ("wilcoxon", "permutation"):
        raise InputError(f"unknown test {test!r}", remedy="use 'wilcoxon' or 'permutation'")
    summary = paired_summary(a, b, n_boot=n_boot, n_resamples=n_resamples, seed=seed, alpha=alpha, mid=claim.mid)
    chosen = summary.wilcoxon if (test == "wilcoxon" and summary.wilcoxon is not None) else summary.permutation
    name = ("Wilcoxon signed-rank (scipy.stats.wilcoxon)" if chosen is summary.wilcoxon
            else "paired permutation test (scipy.stats.permutation_test)")
    tost = None
    if claim.stated_direction().value == "equivalent" and claim.mid is not None:
        tost = tost_paired(a, b, claim.mid)
    results = [summary.bootstrap, chosen, summary.effect, summary.power] + ([tost] if tost is not None else [])
    report = TestReport(
        name=name, n=summary.bootstrap.n["pairs"], effect_size=summary.effect.value,
        ci=summary.bootstrap.ci, p_value=chosen.p_value, estimate=summary.bootstrap.value,
        tost_p_value=None if tost is None else tost.p_value,
        details={"mean_difference": summary.bootstrap.value, "ci_level": summary.bootstrap.ci_level,
                 "effect_size_name": "cohens_dz", "rank_biserial": summary.effect.details["rank_biserial"],
                 "unit": unit, "mid": claim.mid, "power_at_mid": summary.power.value,
                 "required_n_at_mid": summary.power.details["required_n"],
                 "interpretation": [r.interpretation for r in results]})
    evidence_ids = list(claim.evidence_ids)
    if review is not None:
        use_rung = validate_rung(rung if rung is not None else (claim.evidence_rung or 1))
        for result in (summary.bootstrap, chosen) + ((tost,) if tost is not None else ()):
            evidence_ids.append(str(review.add_evidence(result, rung=use_rung, source=f"settle_claim {claim.id}",
                                                        note=result.interpretation)))
    return dataclasses.replace(claim, test=report, result_reported=True, evidence_ids=tuple(evidence_ids))


# ----------------------------------------------------------------------------------------- storage

def save_claims(review: Review, claims: Iterable[Claim | dict], *,
                verdicts: Iterable[ClaimVerdict] | None = None) -> list[str]:
    """Store claims (and optionally their latest verdicts) in the review section ``"claims"``.

    A stored claim with the same id is replaced as a whole: a verdict is kept only if given here, so a changed
    claim never carries the verdict of its earlier text (the history keeps the old record).

    Parameters
    ----------
    review : Review
        The review holding the records.
    claims : iterable of Claim or dict
        The claims.
    verdicts : iterable of ClaimVerdict, optional
        Their verdicts, stored with them.

    Returns
    -------
    list of str
        The ids of the stored records.

    Raises
    ------
    InputError
        A claim cites evidence the review does not hold (rule R7).

    Examples
    --------
    >>> from misyn_lab.checklist import Review
    >>> review = Review.new("demo", reviewer="ana")
    >>> from misyn_lab.instruments import Claim, check_claims
    >>> claims = [Claim("C1", "Synthetic augmentation improves Dice")]
    >>> save_claims(review, claims, verdicts=check_claims(claims))
    ['C1']
    >>> review.records("claims")[0]["verdict"]["status"]
    'not_supported'
    """
    by_id = {v.claim_id: v for v in (verdicts or ())}
    ids = []
    for c in claims:
        claim = _as_claim(c)
        _cited_evidence(claim, review)  # R7 before storing
        record = claim.to_dict()
        record.pop("verdict", None)  # a verdict read back into Claim.extra belongs to the claim as it was
        if claim.id in by_id:
            record["verdict"] = by_id[claim.id].to_dict()
        ids.append(_review.upsert(review, "claims", record))
    return ids


def stored_verdicts(review: Review) -> dict[str, dict]:
    """The verdict a reader of the review sees for each stored claim (claim id -> verdict dict): the one re-checked
    with our measurements (``measured_verdict``) when there is one, else the verdict stored with the claim, else a
    fresh :func:`check_claims` of the stored claims. The claim table, the ladder figure and the report all take
    their statuses, colours and counts from here."""
    records = _review.records(review, "claims")
    missing = [r for r in records if not (r.get("measured_verdict") or r.get("verdict"))]
    fresh: dict[str, dict] = {}
    if missing:
        claims = [Claim.from_dict(r) for r in missing]
        fresh = {v.claim_id: v.to_dict() for v in check_claims(claims, review)}
    return {str(r["id"]): dict(r.get("measured_verdict") or r.get("verdict") or fresh[str(r["id"])]) for r in records}


def load_claims(review: Review) -> list[Claim]:
    """The claims stored in the review (unknown keys kept in ``Claim.extra``).

    Parameters
    ----------
    review : Review
        The review holding the records.

    Returns
    -------
    list of Claim
        In stored order.

    Examples
    --------
    >>> from misyn_lab.checklist import Review
    >>> review = Review.new("demo", reviewer="ana")
    >>> from misyn_lab.instruments import Claim, save_claims
    >>> _ = save_claims(review, [Claim("C1", "Synthetic augmentation improves Dice")])
    >>> [c.id for c in load_claims(review)]
    ['C1']
    """
    return [Claim.from_dict(r) for r in _review.records(review, "claims")]


def claims_from_data(data: Any, *, source: str | Path = "<data>") -> list[Claim]:
    """Claims from parsed YAML: a list of claim mappings, or a mapping with a ``claims`` list."""
    if isinstance(data, dict) and "claims" in data:
        data = data["claims"]
    if not isinstance(data, list):
        raise SchemaError("expected a list of claims (or a mapping with a 'claims' list)", path=source,
                          remedy="write the file as a YAML list of claims, or pass a review file")
    try:
        return [Claim.from_dict(d) for d in data]
    except (InputError, SchemaError) as exc:
        raise type(exc)(exc.message, path=source, remedy=exc.remedy) from None


def rules_markdown() -> str:
    """The rule table (the body of ``CLAIM_RULES.md``)."""
    lines = ["| Rule | Name | Condition | Status | Flag | Reason given |", "|---|---|---|---|---|---|"]
    for r in RULES:
        lines.append(f"| {r.id} | {r.name} | {r.condition} | {r.status or '—'} | {r.flag or '—'} | {r.reason} |")
    return "\n".join(lines) + "\n"


__all__ = ["KINDS", "STATUSES", "Rule", "RULES", "TestReport", "Claim", "ClaimVerdict", "claim_evidence_rung",
           "check_claim", "check_claims", "settle_claim", "save_claims", "stored_verdicts", "load_claims",
           "claims_from_data", "rules_markdown"]
