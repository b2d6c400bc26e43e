"""Small HTML views of a case and its review, shown by the case notebooks (all text escaped), and the one
step that turns a case + measurements into the filled-in review (:func:`build_review`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from misyn_lab.metrics.result import format_p
from misyn_lab.viz.html import esc, status_badge, table

PRACTICE_FIELDS = ("summary", "motivation", "task", "data", "generator", "intended_use", "evaluated", "claimed",
                   "disclosed")


def _rows_html(rows: Sequence[Sequence[Any]], header: Sequence[str], caption: str = "") -> str:
    cols = [str(h) for h in header]
    return table([dict(zip(cols, r)) for r in rows], cols, caption=caption, css_class="case-table")


def frame_html(frame: pd.DataFrame, caption: str = "", digits: int = 3) -> str:
    """A DataFrame as an escaped HTML table with floats rounded."""
    def fmt(v: Any) -> Any:
        if isinstance(v, float):
            return "—" if v != v else f"{v:.{digits}f}"
        return v
    rows = [[fmt(v) for v in rec] for rec in frame.itertuples(index=False)]
    return _rows_html(rows, [str(c) for c in frame.columns], caption)


def practice_html(case: Any) -> str:
    """The practice under review (task, data, generator, intended use, evaluated, claimed, disclosed)."""
    p = case.practice
    rows = [[f.replace("_", " "), p[f]] for f in PRACTICE_FIELDS if p.get(f)]
    extra = f"<p><b>Stand-in:</b> {esc(case.data.get('stand_in'))}</p>" if case.data.get("stand_in") else ""
    caption = (f"The practice under review: {case.title}. Described generically as an illustrative example of "
               "this type of practice; the reviewed work is not named and not quoted.")
    return _rows_html(rows, ["practice", "as described (generic)"], caption) + extra


def paired_table_html(summary: Any, caption: str) -> str:
    """The paired statistics (bootstrap CI, Wilcoxon, permutation, effect size, power at the planned effect) as a
    table; p-values through the one formatter (:func:`misyn_lab.metrics.result.format_p`)."""
    rows = []
    for r in summary.results():
        ci = "" if r.ci is None else f"[{r.ci[0]:.4f}, {r.ci[1]:.4f}]"
        p = "" if r.p_value is None else r.p_text
        value = "—" if r.value != r.value else f"{r.value:.4f}"
        rows.append([r.key, value, ci, p, r.interpretation])
    return _rows_html(rows, ["statistic", "value", "95% CI", "p", "reading"], caption)


def audit_html(audit: Any) -> str:
    """Audit counts before and after labelling."""
    if audit is None:
        return "<p>No audit was run.</p>"
    keys = sorted(set(audit.before) | set(audit.after))
    rows = [["as released (no mark)"] + [audit.before.get(k, 0) for k in keys],
            ["after misyn-lab label"] + [audit.after.get(k, 0) for k in keys]]
    return (_rows_html(rows, ["release"] + keys, f"Audit of {audit.n_files} released synthetic files")
            + f"<p>{esc(audit.result.interpretation)}</p>")


def test_text(test: Mapping[str, Any]) -> str:
    """A claim's test in one line: name, estimate with its CI, p (one formatter), n and unit."""
    if not test:
        return ""
    parts = [str(test.get("name", ""))]
    if test.get("estimate") is not None:
        parts.append(f"estimate {test['estimate']:+.4f}")
    if test.get("ci"):
        ci = test["ci"]
        parts.append(f"95% CI [{ci[0]:+.4f}, {ci[1]:+.4f}]")
    if test.get("p_value") is not None:
        parts.append(format_p(test["p_value"]))
    if test.get("tost_p_value") is not None:
        parts.append(f"TOST {format_p(test['tost_p_value'])}")
    if test.get("n") is not None:
        unit = (test.get("details") or {}).get("unit")
        parts.append(f"n = {test['n']}" + (f" ({unit})" if unit else ""))
    return "; ".join(p for p in parts if p)


def claims_html(review: Any) -> str:
    """Claim statuses as reported by the practice and with our measurement (and the test we ran), with the
    direction each claim states and the number that decided its status. The statuses are
    :func:`misyn_lab.instruments.claims.stored_verdicts`' — the ones the ladder figure colours and counts."""
    from misyn_lab.instruments.claims import stored_verdicts

    shown = stored_verdicts(review)
    rows = []
    for c in review.records("claims"):
        rep = (c.get("verdict") or {})
        mea = (c.get("measured_verdict") or {})
        cur = shown.get(str(c.get("id")), {})
        direction = cur.get("direction") or "none"
        rows.append({"claim": c.get("id"), "text": c.get("text"),
                     "direction": f"{direction} ({cur.get('direction_source', '')})",
                     "as reported": status_badge(rep.get("status", "not checked")),
                     "with our measurement": status_badge(mea.get("status", "not re-checked")),
                     "test we ran": test_text(c.get("measured_test") or {}),
                     "decided by": cur.get("decided_by", ""), "why": "; ".join(cur.get("reasons", []))})
    return table(rows, raw_columns=("as reported", "with our measurement"), empty="no claims recorded",
                 caption="Claims checked against the fixed claim rules (misyn_lab/instruments/CLAIM_RULES.md)")


def unseen_html(result: Any) -> str:
    """For each prompt asking for a never-observed combination: the observed combination(s) its images were
    actually drawn from and the provenance of its first image (all read from the generated images' metadata)."""
    parts = []
    for prompt in result.table.loc[~result.table["conditions_observed"], "prompt"]:
        meta = result.samples[prompt].meta
        parts.append(f"<p><b>{esc(prompt)}</b> &rarr; images drawn from the observed combination(s) "
                     f"<code>{esc(meta['conditions_source'].iloc[0])}</code>; provenance of image 1: "
                     f"<code>{esc(meta['provenance'].iloc[0])}</code></p>")
    return "".join(parts) or "<p>No prompt asked for a never-observed combination.</p>"


def gaps_html(case: Any) -> str:
    """The case's gaps, each tied to a checklist item, an intrinsic limit and a risk."""
    rows = [{"gap": g["id"], "checklist item": g["item"], "gap found": g["title"], "intrinsic limit": g["limit"],
             "risk": g["risk"], "severity": g.get("severity", ""), "detail": g.get("detail", "")} for g in case.gaps]
    return table(rows, empty="no gaps declared", caption="Gaps between the practice and the recommendations")


def reformulation_html(case: Any) -> str:
    """The reformulation, with what each rung of the evaluation ladder would need."""
    from misyn_lab.instruments.ladder import RUNGS

    r = case.data["reformulation"]
    rows = [["clinical problem", r["clinical_problem"]], ["why synthesis (and what first)", r["why_synthesis"]],
            ["stakeholders", ", ".join(r["stakeholders"])], ["intended use", r["intended_use"]],
            ["out of scope", ", ".join(r["out_of_scope"])]]
    rows += [["design", d] for d in r.get("design", [])]
    ladder = [[f"{x['rung']}. {RUNGS[int(x['rung'])].name}", x["needs"]] for x in r["ladder"]]
    return (_rows_html(rows, ["reformulation", ""], "Reformulated problem")
            + _rows_html(ladder, ["rung", "what the reformulated use would need"],
                         "Evaluation ladder (after the paper's five-phased paradigm; rung names are ours)"))


def build_review(case: Any, measured: Mapping[str, Any], *, settle: Mapping[str, tuple] | None = None,
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
    from dataclasses import replace

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
    import json

    from misyn_lab.atomic import atomic_write_text

    return atomic_write_text(path, json.dumps(record, indent=2, sort_keys=True, default=str) + "\n")
