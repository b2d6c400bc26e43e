"""Claim verdicts as a document: the table a reviewer reads, from verdicts alone (:class:`VerdictList`, what
:func:`misyn_lab.instruments.claims.check_claims` returns) or with the claims' text and our test
(:func:`misyn_lab.instruments.document.claims_table`).

A leaf of the instruments station (render and the number format only), so the claim checker can return a list
that displays itself in a notebook without importing the documents that read claims back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from misyn_lab import render as r

__all__ = ["DIRECTION_WORDS", "VerdictList", "direction_text", "test_text", "verdict_rows", "verdicts_table"]

#: A claim's direction in words, and where it came from.
DIRECTION_WORDS = {"increase": "an increase", "decrease": "a decrease", "equivalent": "equivalence",
                   "indistinguishable": "indistinguishable from real", "none": "no direction"}


def direction_text(direction: str | None, source: str = "") -> str:
    """``"an increase (declared)"``: the direction a claim states, in words, and whether it was declared or
    inferred from its text."""
    words = DIRECTION_WORDS.get(str(direction or "none"), str(direction).replace("_", " "))
    return f"{words} ({source})" if source else words


def test_text(test: Mapping[str, Any] | None) -> str:
    """A claim's test in one line, in the one number format: name, estimate with its CI, p, TOST p, n and unit."""
    if not test:
        return ""
    parts = [str(test.get("name") or "")]
    if test.get("estimate") is not None:
        parts.append(f"estimate {r.fmt_number(test['estimate'])}")
    if test.get("ci"):
        parts.append(r.fmt_ci(test["ci"]))
    if test.get("p_value") is not None:
        parts.append(r.fmt_p(test["p_value"]))
    if test.get("tost_p_value") is not None:
        parts.append(f"TOST {r.fmt_p(test['tost_p_value'])}")
    if test.get("n") is not None:
        unit = (test.get("details") or {}).get("unit")
        parts.append(r.fmt_n(test["n"]) + (f" ({unit})" if unit else ""))
    return "; ".join(p for p in parts if p)


test_text.__test__ = False  # type: ignore[attr-defined]  # a formatter, not a pytest test


def _get(verdict: Any, name: str, default: Any = None) -> Any:
    return verdict.get(name, default) if isinstance(verdict, Mapping) else getattr(verdict, name, default)


def verdict_rows(verdicts: Any) -> list[list[Any]]:
    """One row per verdict (object or dict): claim, status, what decided it, the rules that fired with their
    reasons, flags."""
    rows = []
    for v in verdicts:
        reasons = [f"[{rule}] {why}" for rule, why in zip(_get(v, "rules", ()) or (), _get(v, "reasons", ()) or ())]
        rows.append([str(_get(v, "claim_id", "")), r.badge(str(_get(v, "status", "") or "not checked")),
                     str(_get(v, "decided_by", "") or ""), "; ".join(reasons),
                     ", ".join(str(f).replace("_", " ") for f in (_get(v, "flags", ()) or ()))])
    return rows


def verdicts_table(verdicts: Any, *, caption: str = "") -> r.Table:
    """Claim verdicts as a table (see :func:`verdict_rows`)."""
    return r.Table(["Claim", "Verdict", "Decided by", "Rules that fired", "Flags"], verdict_rows(verdicts),
                   caption=caption or "Claims checked against the fixed claim rules (CLAIM_RULES.md)",
                   empty="no claims")


class VerdictList(list):
    """A list of :class:`~misyn_lab.instruments.claims.ClaimVerdict` that shows itself as the verdict table in a
    notebook (``_repr_html_``)."""

    def _repr_html_(self) -> str:
        return r.to_html(verdicts_table(self))
