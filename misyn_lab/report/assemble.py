"""Assemble ONE self-contained HTML review report from case studies, reviews and executed notebooks.

:func:`build_report` is what ``misyn-lab report`` runs: it executes the case notebooks (and, for a user's
folder pair, the evaluation notebook) with papermill, then writes ``report.html`` with, per section: the
practice, per-stage status, gaps with limit and risk, claim statuses, the ladder figure, the notebook's
evidence figures and tables (code hidden), limitations, reviewer disagreements, stakeholder questions and
the provenance of data and generators; plus the date and versions.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from misyn_lab.cases.report_view import claims_html, gaps_html
from misyn_lab.errors import InputError
from misyn_lab.report import html as H
from misyn_lab.report.runner import execute_notebook, notebook_html_body, notebook_path

EVALUATION_NOTEBOOK = "05_evaluation.ipynb"
VERSION_PACKAGES = ("numpy", "scipy", "pandas", "scikit-learn", "scikit-image", "matplotlib", "papermill",
                    "nbconvert")


@dataclass
class ReportResult:
    """What a report run produced."""

    html_path: Path
    executed: list[Path] = field(default_factory=list)
    seconds: float = 0.0
    sections: list[str] = field(default_factory=list)


def versions() -> dict[str, str]:
    """misyn-lab, Python and key package versions."""
    from importlib import metadata

    from misyn_lab import __version__

    out = {"misyn-lab": __version__, "python": platform.python_version()}
    for pkg in VERSION_PACKAGES:
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


# ----------------------------------------------------------------------------- review sections
def stage_status_html(review: Any) -> str:
    """Per-stage answer counts and progress."""
    from misyn_lab.checklist import STAGE_TITLES

    summary = review.summary()
    counts = summary.counts
    rows = []
    for stage in counts.index:
        row = {"stage": STAGE_TITLES.get(stage, stage)}
        row.update({s: int(counts.loc[stage, s]) for s in counts.columns})
        prog = summary.progress.get(stage, summary.progress.get("overall"))
        row["answered"] = f"{prog:.0%}" if prog is not None else ""
        rows.append(row)
    return H.table(rows, ["stage", *counts.columns, "answered"])


def checklist_gaps_html(review: Any) -> str:
    """Items left open by the answers, with severity, intrinsic limits, risks and remedy."""
    rows = [{"item": g.item, "stage": g.stage, "title": g.title,
             "status": ", ".join(f"{r}: {s}" for r, s in g.statuses.items()) or "unanswered",
             "severity": g.severity, "limits": ", ".join(g.limits), "risks": ", ".join(g.risks), "remedy": g.remedy}
            for g in review.gaps()]
    return H.table(rows, empty="no open items")


def ladder_html(review: Any) -> str:
    """The evaluation-phase ladder figure of the review, embedded."""
    from misyn_lab.viz.ladder import ladder_figure

    fig = ladder_figure(review)
    return H.img_tag(H.figure_png(fig), "evaluation ladder", "Evidence per rung of the evaluation ladder and where "
                     "each claim sits (after the paper's five-phased paradigm; rung names are ours).")


def limitations_html(review: Any) -> str:
    """The three-aspect limitation analysis."""
    from misyn_lab.instruments.limitations import ASPECTS, INTRINSIC_LIMIT_NAMES, load_limitations

    lims = load_limitations(review)
    parts = []
    for aspect, title in ASPECTS.items():
        items = [(f"{x.limit} {INTRINSIC_LIMIT_NAMES.get(x.limit, '')}: " if x.limit else "") + x.text
                 for x in lims if x.aspect == aspect]
        parts.append(f"<h4>{H.esc(title)}</h4>" + (H.bullet_list(items) if items
                                                    else "<p class='meta'>[More information needed]</p>"))
    return "".join(parts)


def disagreements_html(review: Any) -> str:
    """Items where reviewers gave different answers."""
    table = review.disagreements()
    if not len(table):
        n = len(review.reviewers)
        return H.paragraph(f"No disagreements ({n} reviewer{'s' if n != 1 else ''}: {', '.join(review.reviewers)}).",
                           "meta")
    return H.table([{k: v for k, v in r.items() if k != "agree"} for r in table.to_dict("records")])


def stakeholder_html(review: Any) -> str:
    """Stakeholder questions, objections and refusals with their status."""
    rows = [{"item": q.get("item_id", ""), "who": q.get("role") or q.get("name", ""), "kind": q.get("kind", ""),
             "question": q.get("text", ""), "status": q.get("status", ""),
             "answers": " / ".join(r.get("text", "") for r in q.get("responses") or [])}
            for q in review.records("stakeholder_questions")]
    return H.table(rows, empty="no stakeholder questions recorded")


def provenance_html(record: dict | None) -> str:
    """Data sources and generators used."""
    if not record:
        return H.paragraph("No provenance record was written.", "meta")
    data = H.table(record.get("data", []), empty="no data recorded")
    gens = H.table(record.get("generators", []), empty="no generator recorded")
    note = H.paragraph(record.get("notes", "")) if record.get("notes") else ""
    return f"<h4>Data</h4>{data}<h4>Generators</h4>{gens}{note}"


def review_sections(review: Any, *, prefix: str) -> list[tuple[str, str, str]]:
    """``(anchor, title, html)`` of the parts every review shows."""
    return [
        (f"{prefix}-stages", "Per-stage status", stage_status_html(review)),
        (f"{prefix}-checklist-gaps", "Open checklist items (gaps by answer)", checklist_gaps_html(review)),
        (f"{prefix}-claims", "Claim statuses", claims_html(review)),
        (f"{prefix}-ladder", "Evaluation ladder", ladder_html(review)),
        (f"{prefix}-limitations", "Limitations (three aspects)", limitations_html(review)),
        (f"{prefix}-disagreements", "Reviewer disagreements", disagreements_html(review)),
        (f"{prefix}-stakeholders", "Stakeholder questions", stakeholder_html(review)),
    ]


def _wrap(anchor: str, title: str, parts: list[tuple[str, str, str]], intro: str = "") -> str:
    inner = intro + "".join(H.section(t, h, level=3, anchor=a) for a, t, h in parts)
    return H.section(title, inner, level=2, anchor=anchor, css_class="report-part")


def case_section(case: Any, review: Any, notebook_body: str, provenance: dict | None) -> str:
    """The whole section of one case study."""
    from misyn_lab.cases.report_view import practice_html, reformulation_html

    pid = H.slug(case.id)
    parts = [(f"{pid}-practice", "The practice under review", practice_html(case)),
             (f"{pid}-gaps", "Gaps: recommendation, intrinsic limit, risk", gaps_html(case))]
    parts += review_sections(review, prefix=pid)
    parts += [(f"{pid}-evidence", "Measured evidence (executed notebook, code hidden)",
               f"<div class='nb'>{notebook_body}</div>"),
              (f"{pid}-reformulation", "Reformulation", reformulation_html(case)),
              (f"{pid}-provenance", "Provenance of data and generators", provenance_html(provenance))]
    return _wrap(f"case-{pid}", case.title, parts)


# ----------------------------------------------------------------------------- running
def _check_dir(path: str | Path | None, what: str) -> Path | None:
    if path is None:
        return None
    p = Path(path).expanduser()
    if not p.is_dir():
        raise InputError(f"{what} folder not found", path=p, remedy=f"give an existing folder of {what} images")
    return p.resolve()


def _read_json(path: Path) -> dict | None:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def build_report(*, cases: Sequence[str | Path] | None = None, review: str | Path | None = None,
                 real: str | Path | None = None, synthetic: str | Path | None = None,
                 out: str | Path = "misyn-lab-report", seed: int = 0, quick: bool = False,
                 subgroup: str | None = None,
                 progress: bool = True, log: Callable[[str], None] | None = None,
                 now: datetime | None = None, scheduler: str | None = None) -> ReportResult:
    """Run what is asked and write ``<out>/report.html``.

    No ``cases``/``review``/``real`` at all: both bundled case studies. ``real`` (and optionally
    ``synthetic``): the evaluation notebook on those folders. ``review``: that review file is rendered
    (and, with ``real``, passed to the evaluation notebook as a copy). ``subgroup`` names a metadata column
    of the user's images for per-subgroup results (default: none). ``quick`` runs fewer seeds (tests).
    ``scheduler`` (with ``real``): where the evaluation notebook computes features (:mod:`misyn_lab.engine`).
    """
    from misyn_lab.cases.case import BUNDLED, load_case
    from misyn_lab.checklist import Review

    start = time.perf_counter()
    say = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
    if synthetic is not None and real is None:
        raise InputError("--synthetic needs --real", path=str(synthetic), remedy="give --real DIR as well")
    if scheduler is not None:
        from misyn_lab.engine import check_scheduler, require_distributed

        if real is None:
            raise InputError("--scheduler applies to the evaluation of your folders", path="--scheduler",
                             remedy="give --real DIR as well, or drop --scheduler")
        scheduler = check_scheduler(scheduler, where="--scheduler")
        require_distributed("--scheduler")
        if "scheduler" not in _declared(EVALUATION_NOTEBOOK):
            raise InputError(f"{EVALUATION_NOTEBOOK} declares no 'scheduler' parameter, so the evaluation cannot "
                             "run on Dask", path=notebook_path(EVALUATION_NOTEBOOK),
                             remedy="add `scheduler = None` to its parameters cell and pass it to "
                                    "evaluate_imagesets, or drop --scheduler")
    real_dir, syn_dir = _check_dir(real, "real"), _check_dir(synthetic, "synthetic")
    review_path = Path(review).expanduser() if review is not None else None
    if review_path is not None and not review_path.is_file():
        raise InputError("review file not found", path=review_path, remedy="give an existing review .yaml/.json")
    if not cases and review is None and real is None:
        cases = [BUNDLED["case1"], BUNDLED["case2"]]
    loaded = [load_case(c) for c in (cases or [])]  # validate everything before running anything
    for c in loaded:
        if c.notebook:
            notebook_path(c.notebook)
    out_dir = Path(out).expanduser().resolve()
    work = out_dir / "work"
    work.mkdir(parents=True, exist_ok=True)
    steps = len([c for c in loaded if c.notebook]) + (1 if real_dir else 0)
    step = 0
    body: list[tuple[str, str]] = []
    executed: list[Path] = []

    for case in loaded:
        prov = None
        if case.notebook:
            step += 1
            say(f"[{step}/{steps}] {case.id}: running {case.notebook} ...")
            params: dict[str, Any] = {"case_path": str(Path(case.path).resolve()), "out_dir": str(work), "seed": seed}
            if quick and "n_seeds" in _declared(case.notebook):
                params["n_seeds"] = 4
            if quick and "n_per_prompt" in _declared(case.notebook):
                params["n_per_prompt"] = 12
            nb_out = execute_notebook(notebook_path(case.notebook), work / f"{case.id}.executed.ipynb", params,
                                      progress=progress, cwd=work)
            executed.append(nb_out)
            nb_body = notebook_html_body(nb_out)
            short = case.notebook.split("_")[0]
            rev_file = work / f"{short}_review.yaml"
            rev = Review.load(rev_file) if rev_file.is_file() else case.to_review()
            prov = _read_json(work / f"{short}_provenance.json")
        else:
            nb_body = "<p class='meta'>This case file names no notebook: nothing was measured.</p>"
            rev = case.to_review()
        body.append((f"case-{H.slug(case.id)}", case_section(case, rev, nb_body, prov)))

    if real_dir is not None:
        step += 1
        say(f"[{step}/{steps}] evaluation: running {EVALUATION_NOTEBOOK} on {real_dir} ...")
        eval_review = work / "evaluation_review.yaml"
        from misyn_lab.workbook.review_file import table_paths

        for stale in (eval_review, *table_paths(eval_review).values()):  # never mix an earlier run's answers
            stale.unlink(missing_ok=True)
        if review_path is not None:
            eval_review.write_bytes(review_path.read_bytes())
        declared = _declared(EVALUATION_NOTEBOOK)
        params = {"real_path": str(real_dir), "synthetic_path": str(syn_dir) if syn_dir else None,
                  "review_path": str(eval_review), "seed": seed, "subgroup": subgroup or None}
        if scheduler is not None:
            params["scheduler"] = scheduler
        if quick and "bootstrap" in declared:
            params["bootstrap"] = 50
        params = {k: v for k, v in params.items() if k in declared}
        nb_out = execute_notebook(notebook_path(EVALUATION_NOTEBOOK), work / "evaluation.executed.ipynb", params,
                                  progress=progress, cwd=work)
        executed.append(nb_out)
        parts = [("evaluation-data", "Data evaluated", H.table([
            {"role": "real", "folder": str(real_dir)},
            {"role": "synthetic", "folder": str(syn_dir) if syn_dir else "teaching generator (see notebook)"},
            {"role": "subgroup column", "folder": subgroup or "none (no per-subgroup results)"}]))]
        if eval_review.is_file():
            parts += review_sections(Review.load(eval_review), prefix="evaluation")
        parts.append(("evaluation-evidence", "Evidence (executed notebook, code hidden)",
                      f"<div class='nb'>{notebook_html_body(nb_out)}</div>"))
        body.append(("evaluation", _wrap("evaluation", "Evaluation of your images", parts)))
    elif review_path is not None:
        rev = Review.load(review_path)
        body.append(("user-review", _wrap("user-review", f"Review: {rev.title or review_path.name}",
                                          review_sections(rev, prefix="user-review"))))

    stamp = (now or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M UTC")
    vers = ", ".join(f"{k} {v}" for k, v in versions().items())
    header = [f"Generated {stamp}", f"Versions: {vers}", f"Seed: {seed}",
              "Framework: Jin, Sinha, Abhishek, Hamarneh, Ethical Medical Image Synthesis, arXiv:2508.09293 (2025). "
              "The reviewed works of the case studies are described generically, not named and not quoted."]
    document = H.page("misyn-lab review report", body, header_lines=header)
    document = H.strip_external(document)
    path = H.write_page(document, out_dir / "report.html")
    seconds = time.perf_counter() - start
    say(f"report written: {path} ({path.stat().st_size / 1e6:.1f} MB, {seconds:.0f} s)")
    return ReportResult(path, executed, seconds, [a for a, _ in body])


def _declared(name: str) -> set[str]:
    from misyn_lab.report.runner import notebook_parameters

    return set(notebook_parameters(notebook_path(name)))
