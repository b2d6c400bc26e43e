"""Limitation analysis in three aspects, stored in the Review section ``"limitations"``.

After the paper's recommendation (Jin et al. 2025, evaluation stage), a review's limitations section covers:

(a) ``scope``: a quantitative and/or qualitative assessment of the scope, weaknesses and failure modes and
    their consequences, citing measured evidence where it exists (worst subgroups, failure cases);
(b) ``assumptions``: the limitations and assumptions of this particular design, data and evaluation;
(c) ``intrinsic``: the intrinsic limits L1–L3 of every synthetic image, stated for this use.

A limitation analysis is a set of records (one per statement) so that several reviewers can add to it and
merge by id. :func:`missing_aspects` lists what is missing, for the review summary; the analysis as a document is
:func:`misyn_lab.instruments.document.limitations_section`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from misyn_lab.errors import InputError
from misyn_lab.vocabulary import INTRINSIC_LIMIT_NAMES, INTRINSIC_LIMITS
from misyn_lab.instruments import _review

if TYPE_CHECKING:
    from misyn_lab.checklist.review import Review

#: The three aspects, in order, with their plain titles.
ASPECTS: dict[str, str] = {
    "scope": "(a) Scope, weaknesses and failure modes",
    "assumptions": "(b) Assumptions and limitations of this design, data and evaluation",
    "intrinsic": "(c) Intrinsic limits of synthetic images, stated for this use",
}


@dataclass(frozen=True)
class Limitation:
    """One limitation statement (one record of the ``"limitations"`` section)."""

    id: str
    aspect: str
    text: str
    evidence_ids: tuple[str, ...] = ()
    limit: str | None = None  # L1/L2/L3 for the intrinsic aspect
    consequence: str = ""
    author: str = ""
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.aspect not in ASPECTS:
            raise InputError(f"limitation {self.id}: unknown aspect {self.aspect!r}",
                             remedy=f"use one of {', '.join(ASPECTS)}")
        if not str(self.text).strip():
            raise InputError(f"limitation {self.id}: empty text", remedy="say what the limitation is")
        if self.aspect == "intrinsic" and self.limit not in INTRINSIC_LIMITS:
            raise InputError(f"limitation {self.id}: an intrinsic limitation needs limit L1, L2 or L3, "
                             f"got {self.limit!r}", remedy="set limit='L1', 'L2' or 'L3'")
        if self.aspect != "intrinsic" and self.limit is not None and self.limit not in INTRINSIC_LIMITS:
            raise InputError(f"limitation {self.id}: unknown limit {self.limit!r}", remedy="use L1, L2, L3 or None")
        object.__setattr__(self, "evidence_ids", tuple(str(e) for e in self.evidence_ids))

    def to_dict(self) -> dict:
        out = dict(self.extra)
        out.update({"id": self.id, "aspect": self.aspect, "text": self.text,
                    "evidence_ids": list(self.evidence_ids), "limit": self.limit,
                    "consequence": self.consequence, "author": self.author})
        return out

    @classmethod
    def from_dict(cls, data: dict) -> "Limitation":
        known = ("id", "aspect", "text", "evidence_ids", "limit", "consequence", "author")
        return cls(id=str(data["id"]), aspect=data.get("aspect", ""), text=data.get("text", ""),
                   evidence_ids=tuple(data.get("evidence_ids") or ()), limit=data.get("limit"),
                   consequence=data.get("consequence", "") or "", author=data.get("author", "") or "",
                   extra={k: v for k, v in data.items() if k not in known})


def _limitation_id(aspect: str, text: str, limit: str | None) -> str:
    digest = hashlib.sha1(f"{aspect}|{limit}|{text}".encode("utf-8")).hexdigest()[:8]
    return f"lim-{aspect}-{digest}"


class LimitationAnalysis:
    """Builder for the three-aspect limitation analysis of one review (its state lives in the review).

    The aspects are (a) scope, weaknesses and failure modes, (b) assumptions and limitations of the design, data
    and evaluation, and (c) how the intrinsic limits L1-L3 apply.

    Parameters
    ----------
    review : Review
        The review holding the records.
    author : str, optional
        Who writes the limitations.

    Examples
    --------
    >>> from misyn_lab.checklist import Review
    >>> review = Review.new("demo", reviewer="ana")
    >>> analysis = LimitationAnalysis(review, author="ana")
    >>> _ = analysis.add_scope("Only adult brain MR; not tested on children.")
    >>> _ = analysis.state_intrinsic("L1", "Synthetic slices depict no patient; they are not diagnostic.")
    >>> {k: len(v) for k, v in analysis.by_aspect().items()}
    {'scope': 1, 'assumptions': 0, 'intrinsic': 1}
    """

    def __init__(self, review: Review, *, author: str = ""):
        self.review = review
        self.author = author

    def _add(self, aspect: str, text: str, *, evidence_ids=(), limit: str | None = None,
             consequence: str = "", id: str | None = None) -> str:
        store = _review.evidence(self.review)
        unknown = [e for e in evidence_ids if str(e) not in store]
        if unknown:
            raise InputError(f"limitation cites unknown evidence id(s): {', '.join(map(str, unknown))}",
                             remedy="cite ids from review.evidence (add the evidence first)")
        lim = Limitation(id=id or _limitation_id(aspect, text, limit), aspect=aspect, text=text,
                         evidence_ids=tuple(evidence_ids), limit=limit, consequence=consequence,
                         author=self.author)
        return _review.upsert(self.review, "limitations", lim.to_dict())

    def add_scope(self, text: str, *, evidence_ids=(), consequence: str = "", id: str | None = None) -> str:
        """Aspect (a): a scope statement, weakness or failure mode, ideally with measured evidence."""
        return self._add("scope", text, evidence_ids=evidence_ids, consequence=consequence, id=id)

    def add_assumption(self, text: str, *, evidence_ids=(), consequence: str = "", id: str | None = None) -> str:
        """Aspect (b): an assumption or limitation of this design, data or evaluation."""
        return self._add("assumptions", text, evidence_ids=evidence_ids, consequence=consequence, id=id)

    def state_intrinsic(self, limit: str, how_it_applies: str, *, evidence_ids=(), consequence: str = "",
                        id: str | None = None) -> str:
        """Aspect (c): how intrinsic limit ``limit`` (L1/L2/L3) applies to this use."""
        if limit not in INTRINSIC_LIMITS:
            raise InputError(f"unknown intrinsic limit {limit!r}", remedy="use L1, L2 or L3")
        return self._add("intrinsic", how_it_applies, evidence_ids=evidence_ids, limit=limit,
                         consequence=consequence, id=id)

    def items(self) -> list[Limitation]:
        return load_limitations(self.review)

    def by_aspect(self) -> dict[str, list[Limitation]]:
        out: dict[str, list[Limitation]] = {a: [] for a in ASPECTS}
        for lim in self.items():
            out[lim.aspect].append(lim)
        return out


def load_limitations(review: Review) -> list[Limitation]:
    """All limitation records of the review.

    Parameters
    ----------
    review : Review
        The review holding the records.

    Returns
    -------
    list of Limitation
        In stored order.

    Examples
    --------
    >>> from misyn_lab.checklist import Review
    >>> review = Review.new("demo", reviewer="ana")
    >>> from misyn_lab.instruments import LimitationAnalysis
    >>> _ = LimitationAnalysis(review).add_assumption("The held-out split is patient-disjoint.")
    >>> [lim.aspect for lim in load_limitations(review)]
    ['assumptions']
    """
    return [Limitation.from_dict(r) for r in _review.records(review, "limitations")]


def missing_aspects(review: Review) -> list[str]:
    """Gaps of the limitation analysis, one plain sentence each.

    Parameters
    ----------
    review : Review
        The review holding the records.

    Returns
    -------
    list of str
        Empty when nothing is missing.

    Examples
    --------
    >>> from misyn_lab.checklist import Review
    >>> review = Review.new("demo", reviewer="ana")
    >>> missing_aspects(review)[0]
    'Aspect (a) missing: no assessment of scope, weaknesses and failure modes.'
    """
    items = load_limitations(review)
    gaps = []
    scope = [lim for lim in items if lim.aspect == "scope"]
    if not scope:
        gaps.append("Aspect (a) missing: no assessment of scope, weaknesses and failure modes.")
    elif not any(lim.evidence_ids for lim in scope):
        gaps.append("Aspect (a) has no measured evidence: cite worst-subgroup or failure-case evidence.")
    if not any(lim.aspect == "assumptions" for lim in items):
        gaps.append("Aspect (b) missing: no assumptions or limitations of the design, data and evaluation.")
    stated = {lim.limit for lim in items if lim.aspect == "intrinsic"}
    for limit, name in INTRINSIC_LIMIT_NAMES.items():
        if limit not in stated:
            gaps.append(f"Aspect (c) missing {limit} ({name}): not stated for this use.")
    return gaps


__all__ = ["ASPECTS", "Limitation", "LimitationAnalysis", "load_limitations", "missing_aspects"]
