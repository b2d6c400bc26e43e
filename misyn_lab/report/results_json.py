"""``results.json``: what a report measured and concluded, for pipelines (beside ``report.html``).

One object per report section (a case study, the evaluation of the user's folders, a review file), each with:

* ``results``: every measured result — ``key``, ``value``, ``ci``, ``ci_level``, ``p_value`` and ``p`` (as text,
  :func:`misyn_lab.metrics.result.format_p`), ``n``, ``split`` (which real images it was measured against) and the
  one-sentence ``interpretation``;
* ``claims``: each claim with the verdict a reader of the review sees (``status``, ``direction``,
  ``decided_by``, ``rules``; :func:`misyn_lab.instruments.claims.stored_verdicts`) and its status as reported;
* ``checklist``: answer counts per stage and the open items (gaps);
* ``bottom_line``: the section's generated one-sentence bottom line, if it has one.

The document holds no date, path of a temporary file or timing, so it is identical for the same inputs and seed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from misyn_lab.atomic import atomic_write_text
from misyn_lab.instruments.claims import stored_verdicts
from misyn_lab.instruments.document import evidence_results
from misyn_lab.metrics.result import MetricResult, format_p, p_resamples

if TYPE_CHECKING:
    from misyn_lab.checklist.review import Review

SCHEMA = "misyn-lab.results/1"


def _number(value: Any) -> Any:
    """JSON-safe number (NaN/inf become ``None``)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def result_entry(result: MetricResult | Mapping[str, Any]) -> dict[str, Any]:
    """One measured result as ``results.json`` lists it."""
    r = result if isinstance(result, MetricResult) else MetricResult.from_dict(dict(result))
    resamples, tails = p_resamples(r.details)
    return {"key": r.key, "value": _number(float(r.value)),
            "ci": None if r.ci is None else [_number(r.ci[0]), _number(r.ci[1])], "ci_level": r.ci_level,
            "p_value": _number(r.p_value), "p": None if r.p_value is None else format_p(r.p_value, resamples=resamples,
                                                                                           tails=tails),
            "n": dict(r.n), "split": r.split, "interpretation": r.interpretation}


def table_entries(records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Results from a saved metric table (:func:`misyn_lab.workbook.save_metrics_table` JSON records)."""
    out = []
    for row in records:
        lo, hi = row.get("ci_low"), row.get("ci_high")
        n = {"real": int(row.get("n_real") or 0), "synthetic": int(row.get("n_synthetic") or 0)}
        out.append({"key": row["key"], "value": _number(row.get("value")),
                    "ci": None if lo is None or hi is None else [lo, hi], "ci_level": None,
                    "p_value": _number(row.get("p_value")), "p": row.get("p") or None, "n": n,
                    "split": row.get("split") or "", "interpretation": row.get("interpretation") or ""})
    return out


def review_results(review: Review) -> list[dict[str, Any]]:
    """Every measured result stored as evidence in a review, with its rung (in the order stored; repeated records
    once) — the results the report's documents show (:func:`misyn_lab.instruments.document.evidence_results`)."""
    return [{**result_entry(res), "rung": rung} for res, rung in evidence_results(review)]


def review_claims(review: Review) -> list[dict[str, Any]]:
    """Each stored claim with the verdict the claim table and the ladder show, and its status as reported."""
    shown = stored_verdicts(review)
    out = []
    for record in review.records("claims"):
        v = shown.get(str(record["id"]), {})
        out.append({"claim_id": str(record["id"]), "text": record.get("text", ""), "status": v.get("status"),
                    "reported_status": (record.get("verdict") or {}).get("status"),
                    "direction": v.get("direction"), "direction_source": v.get("direction_source"),
                    "decided_by": v.get("decided_by"), "rules": list(v.get("rules") or []),
                    "test": record.get("measured_test") or record.get("test")})
    return out


def checklist_status(review: Review) -> dict[str, Any]:
    """Answer counts per stage and the open items of a review."""
    summary = review.summary().to_dict()
    return {"counts": summary["counts"], "progress": summary["progress"],
            "open_items": [g["item"] for g in summary["gaps"]]}


def stored_bottom_line(review: Review) -> str | None:
    """The generated bottom line a case review stores as a scope limitation (id ending ``-bottom-line``)."""
    for record in review.records("limitations"):
        if str(record.get("id", "")).endswith("-bottom-line"):
            return str(record.get("text", ""))
    return None


def section(section_id: str, title: str, review: Review | None = None, *, results: list[dict] | None = None,
            notes: Iterable[str] = (), bottom_line: str | None = None) -> dict[str, Any]:
    """One report section: its results (given, or the review's evidence), claims, checklist and bottom line
    (given, or the one the review stores)."""
    line = bottom_line if bottom_line is not None else (stored_bottom_line(review) if review is not None else None)
    out: dict[str, Any] = {"id": section_id, "title": title,
                           "results": results if results is not None else (review_results(review) if review else []),
                           "claims": review_claims(review) if review is not None else [],
                           "checklist": checklist_status(review) if review is not None else None,
                           "bottom_line": line}
    if notes:
        out["notes"] = list(notes)
    return out


def write_results(path: str | Path, sections: list[dict[str, Any]], *, seed: int,
                  versions: Mapping[str, str]) -> Path:
    """Write ``results.json`` (atomic; keys sorted, so the same inputs give the same bytes)."""
    document = {"schema": SCHEMA, "seed": seed, "versions": dict(versions), "sections": sections}
    return atomic_write_text(path, json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False,
                                              allow_nan=False) + "\n")
