"""The one step that turns a case and its measurements into the filled-in review (:func:`build_review`), and the
record of what data and generator a case used (:func:`provenance_record`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pandas as pd

from misyn_lab.atomic import atomic_write_text

if TYPE_CHECKING:
    from misyn_lab.cases.case import Case

__all__ = ["build_review", "provenance_record", "save_provenance"]


def build_review(case: Case, measured: Mapping[str, Any], *, settle: Mapping[str, tuple] | None = None,
                 reporting: Mapping[str, Mapping[str, Any]] | None = None, seed: int = 0,
                 bottom_line: str = ""):
    """The case's review with the measured evidence filled in.

    Claims keep their verdict *as reported*; each claim is re-checked with our evidence (``measured_verdict``):
    claims named in ``settle`` get the paired test on ``(baseline, treatment[, unit])`` values
    (:func:`misyn_lab.instruments.claims.settle_claim`, with the claim's MID); others cite the evidence of their
    ``measured_by`` key. ``reporting`` (claim id -> ``{"worst_cases": table, "subgroups": table}``) attaches what
    our measurement shows beyond the mean as evidence (:func:`misyn_lab.instruments.reporting.attach_reporting`),
    which is what sets the claim's reporting flags — never a boolean. Each measurement also becomes a scope
    limitation citing its evidence, and ``bottom_line`` (generated from the results) a scope limitation too.
    """
    from misyn_lab.instruments.claims import Claim, check_claims, settle_claim
    from misyn_lab.instruments.limitations import LimitationAnalysis
    from misyn_lab.instruments.reporting import attach_reporting

    review = case.to_review(measured)
    by_key: dict[str, list[str]] = {}
    for ev_id, rec in review.evidence.items():
        src = str(rec.get("source", ""))
        if ": " in src:
            by_key.setdefault(src.split(": ", 1)[1], []).append(ev_id)
    rechecked = []
    for rec in review.records("claims"):
        claim = Claim.from_dict({k: v for k, v in rec.items() if k != "verdict"})
        if settle and claim.id in settle:
            a, b, *unit = settle[claim.id]
            claim = settle_claim(claim, list(a), list(b), review=review, seed=seed, n_boot=5000, n_resamples=5000,
                                 unit=str(unit[0]) if unit else "")
        elif claim.extra.get("measured_by") in by_key:
            ids = tuple(claim.evidence_ids) + tuple(by_key[claim.extra["measured_by"]])
            claim = replace(claim, evidence_ids=ids, result_reported=True)
        if reporting and claim.id in reporting:
            claim = attach_reporting(claim, review, **dict(reporting[claim.id]),
                                     source=f"case {case.id}: what our measurement shows for claim {claim.id}")
        rechecked.append(claim)
    for claim, verdict in zip(rechecked, check_claims(rechecked, review)):
        review.update_record("claims", claim.id, measured_verdict=verdict.to_dict(),
                             measured_test=None if claim.test is None else claim.test.to_dict(),
                             measured_evidence_ids=list(claim.evidence_ids))
    lim = LimitationAnalysis(review, author=case.reviewer)
    if bottom_line:
        lim.add_scope(bottom_line, id=f"{case.id}-bottom-line")
    for key, ids in sorted(by_key.items()):
        first = review.evidence[ids[0]]["result"]
        text = first.get("interpretation") or f"measured {key}"
        lim.add_scope(f"Measured ({key}): {text}", evidence_ids=ids, id=f"{case.id}-measured-{key}")
    return review


def provenance_record(data_meta: pd.DataFrame, generator: Any, *, fitted_on: str, notes: str = "") -> dict:
    """What data and which generator a case used: sample groups (source package, licence, count) and the
    generator's name, version, description and training data."""
    cols = [c for c in ("group", "source", "source_package", "licence") if c in data_meta]
    data = (data_meta.groupby(cols, dropna=False).size().reset_index(name="images").to_dict("records")
            if cols else [])
    return {"data": data,
            "generators": [{"name": getattr(generator, "name", type(generator).__name__),
                            "version": getattr(generator, "version", ""),
                            "class": f"{type(generator).__module__}.{type(generator).__name__}"
                            if not isinstance(generator, type) else f"{generator.__module__}.{generator.__name__}",
                            "description": getattr(generator, "description", ""), "fitted_on": fitted_on}],
            "notes": notes}


def save_provenance(path: Any, record: dict) -> Any:
    """Write a provenance record as JSON (atomic)."""
    return atomic_write_text(path, json.dumps(record, indent=2, sort_keys=True, default=str) + "\n")
