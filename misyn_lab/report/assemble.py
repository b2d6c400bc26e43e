"""Assemble ONE self-contained HTML review report from case studies, reviews and executed notebooks.

:func:`build_report` is what ``misyn-lab report`` runs: it executes the case notebooks (and, for a user's
folder pair, the evaluation notebook) with papermill, then writes ``report.html`` with, per section: the
practice, per-stage status, gaps with limit and risk, claim statuses, the ladder figure, the notebook's
evidence figures and tables (code hidden), limitations, reviewer disagreements, stakeholder questions and
the provenance of data and generators; plus the date and versions. Beside it, ``results.json``
(:mod:`misyn_lab.report.results_json`) lists every measured result (key, value, CI, n, split), the claims with
their verdicts and the checklist status, for pipelines.
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
from misyn_lab.report import results_json
from misyn_lab import notebooks
from misyn_lab.report.runner import execute_notebook, notebook_html_body, notebook_parameters, prepare_notebook

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
    results_path: Path | None = None


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
def _case_notebook(case: Any) -> Path:
    """The notebook file a case runs: a bundled workbook notebook's source, or one in the case file's own folder."""
    return case.notebook_file()


def _case_source(case: Any, folder: Path) -> Path:
    """The runnable ``.ipynb`` of a case's notebook, written into ``folder`` (bundled MyST sources are converted)."""
    if not case.notebook.startswith("./"):
        return prepare_notebook(case.notebook, folder)
    path = _case_notebook(case)  # confined to the case file's folder, checked again just before it runs
    return notebooks.write_ipynb(notebooks.read(path), folder / f"{path.stem}.ipynb")


def _read_json(path: Path) -> dict | None:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def build_report(*, cases: Sequence[str | Path] | None = None, review: str | Path | None = None,
                 real: str | Path | None = None, synthetic: str | Path | None = None,
                 real_train: str | Path | None = None,
                 out: str | Path = "misyn-lab-report", seed: int = 0, quick: bool = False,
                 subgroup: str | None = None,
                 progress: bool = True, log: Callable[[str], None] | None = None,
                 now: datetime | None = None, registry: Any = "default",
                 allow_marked_real: bool = False, scheduler: str | None = None) -> ReportResult:
    """Run what is asked and write ``<out>/report.html`` and ``<out>/results.json``.

    No ``cases``/``review``/``real`` at all: both bundled case studies. ``real`` (and optionally
    ``synthetic``): the evaluation notebook on those folders; ``real`` are the held-out real images and
    ``real_train`` the images the generator was trained on — without it every real image is treated as held-out
    (the report says so). ``review``: that review file is rendered (and, with ``real``, passed to the evaluation
    notebook as a copy). ``subgroup`` names a metadata column of the user's images for per-subgroup results
    (default: none). ``quick`` runs fewer seeds (tests).

    Every input is checked before any notebook kernel starts (:func:`misyn_lab.report.preflight.preflight`),
    including the real images themselves: files that carry a synthetic mark or match ``registry`` (default:
    the default registry when it exists; ``None``: marks only) stop the run unless ``allow_marked_real``,
    and then the report says so at its top. ``scheduler`` (with ``real``): where the evaluation computes its
    features (:mod:`misyn_lab.engine`; needs ``pip install "misyn-lab[scale]"``).
    """
    from misyn_lab.checklist import Review
    from misyn_lab.report.preflight import preflight

    start = time.perf_counter()
    say = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
    checked = preflight(cases=cases, review=review, real=real, synthetic=synthetic, real_train=real_train, out=out,
                        seed=seed, registry=registry, allow_marked_real=allow_marked_real,
                        notebook_file=_case_notebook)
    real_dir, syn_dir, review_path, out_dir, seed = (checked.real, checked.synthetic, checked.review, checked.out,
                                                      checked.seed)
    train_dir = checked.real_train
    loaded = checked.cases
    if scheduler is not None:
        from misyn_lab.engine import check_scheduler, require_distributed

        if real_dir is None:
            raise InputError("--scheduler applies to the evaluation of your folders", path="--scheduler",
                             remedy="give --real DIR as well, or drop --scheduler")
        scheduler = check_scheduler(scheduler, where="--scheduler")
        require_distributed("--scheduler")
    work = out_dir / "work"
    work.mkdir(parents=True, exist_ok=True)
    sources = work / "sources"  # the .ipynb files actually run, written from the bundled MyST sources
    eval_source, eval_declared = None, set()
    if real_dir is not None:
        eval_source = prepare_notebook(EVALUATION_NOTEBOOK, sources)
        eval_declared = set(notebook_parameters(eval_source))
        if checked.screen is not None and checked.screen.flagged and "allow_marked_real" not in eval_declared:
            raise InputError(f"{EVALUATION_NOTEBOOK} does not declare the parameter allow_marked_real, so the "
                             "marked real images cannot be passed to it", path=eval_source,
                             remedy="remove the marked images from the real folder, or update the workbook's "
                                    "evaluation notebook")
    steps = len([c for c in loaded if c.notebook]) + (1 if real_dir else 0)
    step = 0
    body: list[tuple[str, str]] = []
    executed: list[Path] = []
    if checked.screen is not None and checked.screen.flagged:
        body.append(("real-screening", H.section(
            "Real images that are synthetic", H.paragraph(checked.summary_lines()[0], "synthetic-note")
            + H.bullet_list(f"{r.path}: {r.status} ({', '.join(r.mark_fields) or r.reason})"
                            for r in checked.screen.flagged), level=2, anchor="real-screening")))
    result_sections: list[dict] = []

    for case in loaded:
        prov = None
        if case.notebook:
            step += 1
            say(f"[{step}/{steps}] {case.id}: running {case.notebook} ...")
            params: dict[str, Any] = {"case_path": str(Path(case.path).resolve()), "out_dir": str(work), "seed": seed}
            source = _case_source(case, sources)
            declared = set(notebook_parameters(source))
            if quick and "n_seeds" in declared:
                params["n_seeds"] = 4
            if quick and "n_per_prompt" in declared:
                params["n_per_prompt"] = 12
            nb_out = execute_notebook(source, work / f"{case.id}.executed.ipynb", params,
                                      progress=progress, cwd=work)
            executed.append(nb_out)
            nb_body = notebook_html_body(nb_out)
            short = source.stem.split("_")[0]
            rev_file = work / f"{short}_review.yaml"
            rev = Review.load(rev_file) if rev_file.is_file() else case.to_review()
            prov = _read_json(work / f"{short}_provenance.json")
        else:
            nb_body = "<p class='meta'>This case file names no notebook: nothing was measured.</p>"
            rev = case.to_review()
        body.append((f"case-{H.slug(case.id)}", case_section(case, rev, nb_body, prov)))
        result_sections.append(results_json.section(case.id, case.title, rev))

    if real_dir is not None:
        step += 1
        say(f"[{step}/{steps}] evaluation: running {EVALUATION_NOTEBOOK} on {real_dir} ...")
        eval_review = work / "evaluation_review.yaml"
        from misyn_lab.workbook.review_file import table_paths

        for stale in (eval_review, *table_paths(eval_review).values()):  # never mix an earlier run's answers
            stale.unlink(missing_ok=True)
        if review_path is not None:
            eval_review.write_bytes(review_path.read_bytes())
        source, declared = eval_source, eval_declared
        params = {"real_path": str(real_dir), "synthetic_path": str(syn_dir) if syn_dir else None,
                  "real_train_path": str(train_dir) if train_dir else None,
                  "review_path": str(eval_review), "seed": seed, "subgroup": subgroup or None,
                  "allow_marked_real": bool(allow_marked_real)}
        if scheduler is not None:
            if "scheduler" not in declared:
                raise InputError(f"{EVALUATION_NOTEBOOK} declares no 'scheduler' parameter, so the evaluation "
                                 "cannot run on Dask", path=source,
                                 remedy="add `scheduler = None` to its parameters cell and pass it to "
                                        "evaluate_imagesets, or drop --scheduler")
            params["scheduler"] = scheduler
        if quick and "bootstrap" in declared:
            params["bootstrap"] = 50
        params = {k: v for k, v in params.items() if k in declared}
        nb_out = execute_notebook(source, work / "evaluation.executed.ipynb", params,
                                  progress=progress, cwd=work)
        executed.append(nb_out)
        if train_dir is not None:
            split_note = ("Fidelity, coverage, distances and detection are measured against the held-out real "
                          "images; memorisation against the training images, with the held-out images as the "
                          "negative control.")
        elif syn_dir is not None:
            split_note = ("No training images were named (--real-train): every real image is treated as held-out, "
                          "and memorisation compares the synthetic images with all of them.")
        else:
            split_note = ("The real images are split (seeded) into the training images the teaching generator is "
                          "fitted on and held-out images it never sees.")
        parts = [("evaluation-data", "Data evaluated", H.table([
            {"role": "real (held-out)" if train_dir or syn_dir else "real (split into training and held-out)",
             "folder": str(real_dir)},
            {"role": "real (training: what the generator saw)",
             "folder": str(train_dir) if train_dir else "not named"},
            {"role": "synthetic", "folder": str(syn_dir) if syn_dir else "teaching generator (see notebook)"},
            {"role": "subgroup column", "folder": subgroup or "none (no per-subgroup results)"}])
            + H.paragraph(split_note))]
        eval_rev = Review.load(eval_review) if eval_review.is_file() else None
        if eval_rev is not None:
            parts += review_sections(eval_rev, prefix="evaluation")
        parts.append(("evaluation-evidence", "Evidence (executed notebook, code hidden)",
                      f"<div class='nb'>{notebook_html_body(nb_out)}</div>"))
        body.append(("evaluation", _wrap("evaluation", "Evaluation of your images", parts)))
        table_json = table_paths(eval_review)["json"]
        measured = results_json.table_entries(json.loads(table_json.read_text(encoding="utf-8"))) \
            if table_json.is_file() else []
        result_sections.append(results_json.section("evaluation", "Evaluation of your images", eval_rev,
                                                    results=measured, notes=[split_note]))
    elif review_path is not None:
        rev = Review.load(review_path)
        body.append(("user-review", _wrap("user-review", f"Review: {rev.title or review_path.name}",
                                          review_sections(rev, prefix="user-review"))))
        result_sections.append(results_json.section("user-review", rev.title or review_path.name, rev))

    stamp = (now or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M UTC")
    vers = ", ".join(f"{k} {v}" for k, v in versions().items())
    header = checked.summary_lines() + [f"Generated {stamp}", f"Versions: {vers}", f"Seed: {seed}",
              "Framework: Jin, Sinha, Abhishek, Hamarneh, Ethical Medical Image Synthesis, arXiv:2508.09293 (2025). "
              "The reviewed works of the case studies are described generically, not named and not quoted."]
    document = H.page("misyn-lab review report", body, header_lines=header)
    document = H.strip_external(document)
    path = H.write_page(document, out_dir / "report.html")
    results_path = results_json.write_results(out_dir / "results.json", result_sections, seed=seed,
                                              versions=versions())
    seconds = time.perf_counter() - start
    say(f"report written: {path} ({path.stat().st_size / 1e6:.1f} MB, {seconds:.0f} s) and {results_path.name}")
    return ReportResult(path, executed, seconds, [a for a, _ in body], results_path)
