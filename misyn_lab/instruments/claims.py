"""Claims a MISyn work makes, and the fixed rules that check them against their evidence.

A :class:`Claim` records one statement ("synthetic augmentation significantly improves Dice", "our images
are indistinguishable from real ones"), where it is made, what backs it, whether and which statistical test
was reported, whether failures / worst cases / subgroups were reported and whether ethics approval is stated.
:func:`check_claim` gives it a status — ``supported``, ``not_supported``, ``untested`` or ``overclaimed`` —
with the reasons and the ids of the rules that fired. The rules are fixed and listed in :data:`RULES`
(rendered as the table in ``CLAIM_RULES.md``; a test keeps the two in step).

Status precedence when several rules fire: not_supported > untested > overclaimed > supported. Flags
(``imbalanced_reporting``, ``ethics_not_stated``, ``small_n``) are reported beside the status.

Claims are stored as records of the Review section ``"claims"`` (unknown keys kept), so they travel in the
same lossless review file as the checklist answers and the evidence.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from misyn_lab.errors import InputError, SchemaError
from misyn_lab.instruments import _review
from misyn_lab.instruments.ladder import RUNGS, validate_rung
from misyn_lab.instruments.stats import SMALL_N, holm_correction, paired_summary

#: Kinds of claim.
KINDS = ("benefit", "significance", "indistinguishable", "clinical", "privacy", "other")
#: Verdict statuses, worst first (precedence when several rules fire).
STATUSES = ("not_supported", "untested", "overclaimed", "supported")
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
         "The reported p-value, after Holm correction over all checked claims, is above alpha.",
         "not_supported", None, "the test does not reject at alpha after Holm correction"),
    Rule("R7", "unknown_evidence",
         "The claim cites an evidence id that the review does not hold.",
         None, None, "raises InputError: the citation must be fixed before the claim can be checked"),
    Rule("R8", "indistinguishable_without_readers",
         "An 'indistinguishable' claim has no evidence on rung 2 or above (reader study) and no detection "
         "test evidence (key starting 'detection' or 'reader_study').",
         "untested", None, "indistinguishability is claimed without a reader study or a detection test"),
    Rule("R9", "ci_includes_null",
         "A test reports a CI of the difference but no p-value, and the CI includes the null value.",
         "not_supported", None, "the reported CI of the difference includes the null value"),
    Rule("R10", "privacy_without_memorisation_test",
         "A 'privacy' claim cites no memorisation/privacy evidence and names no such test.",
         "untested", None, "privacy is claimed without a memorisation or privacy test"),
    Rule("R11", "small_n",
         f"The reported test has fewer than {SMALL_N} paired cases.",
         None, "small_n", f"fewer than {SMALL_N} cases: the test has little power; treat as preliminary"),
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
    """The statistical test a claim reports (or that :func:`settle_claim` ran)."""

    __test__ = False  # not a pytest test class

    name: str = ""
    n: int | None = None
    effect_size: float | None = None
    ci: tuple[float, float] | None = None
    p_value: float | None = None
    null_value: float = 0.0
    details: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "p_value", _p_value(self.p_value, "test.p_value"))
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
        return {"name": self.name, "n": self.n, "effect_size": self.effect_size,
                "ci": None if self.ci is None else [self.ci[0], self.ci[1]], "p_value": self.p_value,
                "null_value": self.null_value, "details": dict(self.details)}

    @classmethod
    def from_dict(cls, data: dict | None) -> "TestReport | None":
        if data is None:
            return None
        if not isinstance(data, dict):
            raise SchemaError(f"claim 'test' must be a mapping, got {type(data).__name__}",
                              remedy="write test: {name: ..., n: ..., p_value: ...}")
        ci = data.get("ci")
        return cls(name=str(data.get("name") or ""), n=data.get("n"), effect_size=data.get("effect_size"),
                   ci=None if ci is None else tuple(ci), p_value=data.get("p_value"),
                   null_value=float(data.get("null_value", 0.0)), details=dict(data.get("details") or {}))


_CLAIM_FIELDS = ("id", "text", "location", "kind", "claimed_rung", "evidence_cited", "evidence_ids",
                 "evidence_rung", "result_reported", "test", "failures_reported", "worst_cases_reported",
                 "subgroups_reported", "ethics_approval_stated", "uses_private_data", "has_user_study")


@dataclass(frozen=True)
class Claim:
    """One statement a MISyn work makes, with what backs it.

    ``claimed_rung`` is the evaluation rung the statement speaks for (1 model space ... 5 after deployment;
    default 1, and at least 3 for a ``clinical`` claim, which speaks for the clinical task).
    ``evidence_rung`` is the reviewer's reading of the rung of the evidence the work itself cites (for
    evidence not held in the review); evidence held in the review carries its own rung.
    ``ethics_approval_stated`` is ``None`` when neither private data nor a user study is involved.
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

    @property
    def says_significant(self) -> bool:
        return self.kind == "significance" or bool(SIGNIFICANCE_WORDS.search(self.text))

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
    """The checker's answer for one claim."""

    claim_id: str
    status: str
    reasons: tuple[str, ...]
    rules: tuple[str, ...]
    flags: tuple[str, ...] = ()
    p_adjusted: float | None = None
    evidence_rung: int = 0

    def to_dict(self) -> dict:
        return {"claim_id": self.claim_id, "status": self.status, "reasons": list(self.reasons),
                "rules": list(self.rules), "flags": list(self.flags), "p_adjusted": self.p_adjusted,
                "evidence_rung": self.evidence_rung}

    def __str__(self) -> str:
        text = f"{self.claim_id}: {self.status}"
        if self.reasons:
            text += " — " + "; ".join(f"[{r}] {why}" for r, why in zip(self.rules, self.reasons))
        return text


def _as_claim(claim: Claim | dict) -> Claim:
    return claim if isinstance(claim, Claim) else Claim.from_dict(claim)


def _cited_evidence(claim: Claim, review: Any) -> dict[str, dict]:
    """The claim's cited evidence records from the review (R7: unknown id -> InputError)."""
    if review is None or not claim.evidence_ids:
        return {}
    store = _review.evidence(review)
    unknown = [e for e in claim.evidence_ids if e not in store]
    if unknown:
        raise InputError(f"claim {claim.id} cites unknown evidence id(s): {', '.join(unknown)}",
                         remedy="cite ids from review.evidence (add the evidence first with review.add_evidence)")
    return {e: store[e] for e in claim.evidence_ids}


def claim_evidence_rung(claim: Claim | dict, review: Any = None) -> int:
    """Highest rung of the claim's own evidence: its cited review evidence (unknown rung counts as 1) and
    the reviewer's ``evidence_rung`` reading; 1 if only a reported result without rung; 0 if nothing."""
    claim = _as_claim(claim)
    rungs = [(_review.evidence_rung(rec) or 1) for rec in _cited_evidence(claim, review).values()]
    if claim.evidence_rung is not None:
        rungs.append(claim.evidence_rung)
    if not rungs and claim.result_reported:
        rungs.append(1)
    return max(rungs, default=0)


def check_claim(claim: Claim | dict, review: Any = None, *, alpha: float = 0.05,
                p_adjusted: float | None = None) -> ClaimVerdict:
    """Apply the fixed rules :data:`RULES` to one claim.

    ``review`` resolves ``evidence_ids`` (unknown id -> :class:`InputError`, rule R7). ``p_adjusted`` is
    the Holm-adjusted p-value when the claim is checked as one of several (see :func:`check_claims`);
    otherwise the claim's own p-value is used.
    """
    claim = _as_claim(claim)
    cited = _cited_evidence(claim, review)  # R7
    keys = [_review.evidence_key(rec) for rec in cited.values()]
    ev_rung = claim_evidence_rung(claim, review)
    test = claim.test
    p = p_adjusted if p_adjusted is not None else (test.p_value if test is not None else None)
    if p_adjusted is not None:
        _p_value(p_adjusted, f"claim {claim.id}: p_adjusted")
    test_name = (test.name if test is not None else "").lower()

    fired: list[str] = []
    if not claim.result_reported and not claim.evidence_ids:
        fired.append("R1")
    if claim.says_significant and (test is None or not test.reported):
        fired.append("R2")
    if claim.claimed_rung > ev_rung:
        fired.append("R3")
    if (claim.kind in GENERAL_KINDS and not (claim.failures_reported or claim.worst_cases_reported
                                              or claim.subgroups_reported)):
        fired.append("R4")
    if (claim.uses_private_data or claim.has_user_study) and claim.ethics_approval_stated is not True:
        fired.append("R5")
    if test is not None and test.reported and p is not None and p > alpha:
        fired.append("R6")
    if claim.kind == "indistinguishable" and ev_rung < 2 and not any(
            k.startswith(DETECTION_PREFIXES) for k in keys) and "detection" not in test_name:
        fired.append("R8")
    if (test is not None and test.p_value is None and test.ci is not None
            and test.ci[0] <= test.null_value <= test.ci[1]):
        fired.append("R9")
    if claim.kind == "privacy" and not any(k.startswith(PRIVACY_PREFIXES) for k in keys) and not any(
            w in test_name for w in ("memoris", "memoriz", "membership", "privacy", "nearest")):
        fired.append("R10")
    if test is not None and test.n is not None and test.n < SMALL_N:
        fired.append("R11")

    statuses = {RULES_BY_ID[r].status for r in fired} - {None}
    status = next((s for s in STATUSES[:-1] if s in statuses), "supported")
    reasons = []
    for r in fired:
        reason = RULES_BY_ID[r].reason
        if r == "R3":
            reason += f" (claims rung {claim.claimed_rung} '{RUNGS[claim.claimed_rung].name}', evidence reaches {ev_rung})"
        if r == "R6":
            reason += f" (p = {p:.3g} > alpha = {alpha})"
        reasons.append(reason)
    flags = tuple(RULES_BY_ID[r].flag for r in fired if RULES_BY_ID[r].flag)
    return ClaimVerdict(claim.id, status, tuple(reasons), tuple(fired), flags, p_adjusted, ev_rung)


def check_claims(claims: Iterable[Claim | dict], review: Any = None, *, alpha: float = 0.05) -> list[ClaimVerdict]:
    """Check several claims; the p-values of all claims that report one are Holm-corrected together."""
    items = [_as_claim(c) for c in claims]
    seen: set[str] = set()
    for c in items:
        if c.id in seen:
            raise InputError(f"duplicate claim id {c.id!r}", remedy="give every claim a unique id")
        seen.add(c.id)
    with_p = [i for i, c in enumerate(items) if c.test is not None and c.test.p_value is not None]
    holm = holm_correction([items[i].test.p_value for i in with_p], alpha=alpha)
    adjusted = dict(zip(with_p, holm.adjusted))
    return [check_claim(c, review, alpha=alpha, p_adjusted=adjusted.get(i)) for i, c in enumerate(items)]


def settle_claim(claim: Claim | dict, a: Sequence[float], b: Sequence[float], *, review: Any = None,
                 rung: int | None = None, test: str = "wilcoxon", n_boot: int = 10000,
                 n_resamples: int = 10000, seed: int = 0, alpha: float = 0.05) -> Claim:
    """Compute the statistics from paired per-case results (``a`` baseline, ``b`` treatment) and fill the
    claim's test fields: ``test`` (Wilcoxon signed-rank or paired permutation p-value), n, Cohen's d_z,
    the paired-bootstrap CI of the mean difference; ``result_reported`` becomes true.

    With ``review``, the bootstrap difference and the test are added as evidence at ``rung`` (default: the
    claim's ``evidence_rung`` or 1) and their ids appended to ``evidence_ids``.
    """
    claim = _as_claim(claim)
    if test not in ("wilcoxon", "permutation"):
        raise InputError(f"unknown test {test!r}", remedy="use 'wilcoxon' or 'permutation'")
    summary = paired_summary(a, b, n_boot=n_boot, n_resamples=n_resamples, seed=seed, alpha=alpha)
    chosen = summary.wilcoxon if (test == "wilcoxon" and summary.wilcoxon is not None) else summary.permutation
    name = ("Wilcoxon signed-rank (scipy.stats.wilcoxon)" if chosen is summary.wilcoxon
            else "paired permutation test (scipy.stats.permutation_test)")
    report = TestReport(
        name=name, n=summary.bootstrap.n["pairs"], effect_size=summary.effect.value,
        ci=summary.bootstrap.ci, p_value=chosen.p_value,
        details={"mean_difference": summary.bootstrap.value, "ci_level": summary.bootstrap.ci_level,
                 "effect_size_name": "cohens_dz", "rank_biserial": summary.effect.details["rank_biserial"],
                 "power": summary.power.value, "required_n": summary.power.details["required_n"],
                 "interpretation": [r.interpretation for r in (summary.bootstrap, chosen, summary.effect,
                                                               summary.power)]})
    evidence_ids = list(claim.evidence_ids)
    if review is not None:
        use_rung = validate_rung(rung if rung is not None else (claim.evidence_rung or 1))
        for result in (summary.bootstrap, chosen):
            evidence_ids.append(str(review.add_evidence(result, rung=use_rung, source=f"settle_claim {claim.id}",
                                                        note=result.interpretation)))
    return dataclasses.replace(claim, test=report, result_reported=True, evidence_ids=tuple(evidence_ids))


# ----------------------------------------------------------------------------------------- storage

def save_claims(review: Any, claims: Iterable[Claim | dict], *, verdicts: Iterable[ClaimVerdict] | None = None) -> list[str]:
    """Store claims (and optionally their latest verdicts) in the review section ``"claims"``.

    A stored claim with the same id is replaced as a whole: a verdict is kept only if given here, so a changed
    claim never carries the verdict of its earlier text (the history keeps the old record)."""
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


def load_claims(review: Any) -> list[Claim]:
    """The claims stored in the review (unknown keys kept in ``Claim.extra``)."""
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
