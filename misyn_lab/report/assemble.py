"""``misyn-lab report``: check every input, compute each part of the report in-process, and write ONE
self-contained ``report.html`` (verdict first; :mod:`misyn_lab.report.document`), ``results.json`` beside it
(:mod:`misyn_lab.report.results_json`: the same verdicts and numbers, for pipelines) and, with ``pdf=True``,
``report.pdf`` (:mod:`misyn_lab.report.pdf`).

The parts: the bundled case studies, computed by the functions the case notebooks call
(:data:`misyn_lab.cases.studies.STUDIES`); a user's case whose notebook sits beside its case file, run quietly with
papermill and rendered from the review file it wrote (:mod:`misyn_lab.report.cases`); the user's image folders,
evaluated like notebook 05 does (:mod:`misyn_lab.report.folder`); a review file. Progress goes to stderr, one line
per step (``case 1: training segmenters 12/20 seeds``).
"""

from __future__ import annotations

import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from misyn_lab import render
from misyn_lab.atomic import atomic_write_text
from misyn_lab.cases.studies import STUDIES
from misyn_lab.checklist import Review
from misyn_lab.engine import check_scheduler, require_dask
from misyn_lab.errors import InputError
from misyn_lab.instruments.document import evidence_results, review_sections
from misyn_lab.instruments.ladder import ladder_data
from misyn_lab.metrics.document import results_block
from misyn_lab.progress import ProgressLines
from misyn_lab.report import results_json
from misyn_lab.report.cases import case_part, run_case
from misyn_lab.report.document import ReportPart, appendix_section, report_document
from misyn_lab.report.folder import folder_part
from misyn_lab.report.pdf import require_printer, write_pdf
from misyn_lab.report.preflight import Preflight, preflight
from misyn_lab.version import __version__
from misyn_lab.viz.ladder import ladder_figure

__all__ = ["ReportResult", "VERSION_PACKAGES", "build_report", "versions"]

VERSION_PACKAGES = ("numpy", "scipy", "pandas", "scikit-learn", "scikit-image", "matplotlib", "statsmodels",
                    "papermill")


@dataclass
class ReportResult:
    """What a report run produced."""

    html_path: Path
    executed: list[Path] = field(default_factory=list)
    seconds: float = 0.0
    sections: list[str] = field(default_factory=list)
    results_path: Path | None = None
    pdf_path: Path | None = None


def versions() -> dict[str, str]:
    """misyn-lab, Python and key package versions."""
    out = {"misyn-lab": __version__, "python": platform.python_version()}
    for pkg in VERSION_PACKAGES:
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def _screening_section(checked: Preflight) -> render.Section:
    """The real images that turned out synthetic and were evaluated anyway (``--allow-marked-real``)."""
    flagged = [*(checked.train_screen.flagged if checked.train_screen is not None else []), *checked.screen.flagged]
    return render.Section("Real images that are synthetic", [
        render.Paragraph(checked.summary_lines()[-1], role="warning"),
        render.BulletList([f"{r.path}: {r.status.replace('_', ' ')} ({', '.join(r.mark_fields) or r.reason})"
                           for r in flagged])], id="real-screening")


def _inputs(checked: Preflight, subgroup: str | None, quick: bool) -> list[tuple[str, str]]:
    out = [("Case files", ", ".join(str(c.path) for c in checked.cases))] if checked.cases else []
    for label, value in (("Real images (held-out)", checked.real), ("Real images (training)", checked.real_train),
                         ("Synthetic images", checked.synthetic), ("Review file", checked.review)):
        if value is not None:
            out.append((label, str(value)))
    if checked.real is not None:
        out.append(("Subgroup column", subgroup or "none"))
    out.append(("Run", "quick: fewer seeds and images, a smoke run" if quick else "full"))
    return out


def build_report(*, cases: Sequence[str | Path] | None = None, review: str | Path | None = None,
                 real: str | Path | None = None, synthetic: str | Path | None = None,
                 real_train: str | Path | None = None,
                 out: str | Path = "misyn-lab-report", seed: int = 0, quick: bool = False,
                 subgroup: str | None = None,
                 progress: bool = True, log: Callable[[str], None] | None = None,
                 now: datetime | None = None, registry: Any = "default",
                 allow_marked_real: bool = False, pdf: bool = False, scheduler: str | None = None) -> ReportResult:
    """Compute what is asked and write ``<out>/report.html`` and ``<out>/results.json`` (and ``report.pdf``).

    No ``cases``/``review``/``real`` at all: both bundled case studies. ``real`` (and optionally ``synthetic``):
    the evaluation of those folders; ``real`` are the held-out real images and ``real_train`` the images the
    generator was trained on — without it every real image is treated as held-out (the report says so).
    ``review``: that review file is rendered (with ``real``, a copy gets the measured results as evidence).
    ``subgroup`` names a metadata column of the user's images for per-subgroup results (default: none).
    ``quick`` runs fewer seeds (a smoke run). ``progress`` writes one line per step through ``log`` (default:
    stderr).

    Every input is checked before any work (:func:`misyn_lab.report.preflight.preflight`), including the real
    images themselves: files that carry a synthetic mark or match ``registry`` (default: the default registry
    when it exists; ``None``: marks only) stop the run unless ``allow_marked_real``, and then the report says so
    in its summary. ``scheduler`` (with ``real``): where the evaluation computes its features
    (:mod:`misyn_lab.engine`: ``"local"`` or a Dask scheduler address; needs ``pip install "misyn-lab[scale]"``).
    """
    start = time.perf_counter()
    say = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
    checked = preflight(cases=cases, review=review, real=real, synthetic=synthetic, real_train=real_train, out=out,
                        seed=seed, registry=registry, allow_marked_real=allow_marked_real,
                        notebook_file=lambda case: case.notebook_file(), subgroup=subgroup)
    if pdf:
        require_printer()  # said before any work, not after it
    scheduler = _checked_scheduler(checked, scheduler)
    work = checked.out / "work"
    work.mkdir(parents=True, exist_ok=True)

    def lines(prefix: str) -> ProgressLines | None:
        return ProgressLines(prefix, write=say) if progress else None

    parts, sections, executed = _compute_parts(checked, work=work, quick=quick, subgroup=subgroup, lines=lines,
                                               scheduler=scheduler)
    doc = _report_document(checked, parts, executed, quick=quick, subgroup=subgroup, now=now)
    path = checked.out / "report.html"
    atomic_write_text(path, render.page(doc))
    results_path = results_json.write_results(checked.out / "results.json", sections, seed=checked.seed,
                                              versions=versions())
    pdf_path = write_pdf(path) if pdf else None
    seconds = time.perf_counter() - start
    extra = f", {pdf_path.name}" if pdf_path else ""
    say(f"report written: {path} ({path.stat().st_size / 1e6:.1f} MB, {seconds:.0f} s) and {results_path.name}"
        f"{extra}")
    return ReportResult(path, executed, seconds, [p.section.id for p in parts], results_path, pdf_path)


def _checked_scheduler(checked: Preflight, scheduler: str | None) -> str | None:
    """``--scheduler`` checked before any work: only with ``--real``, a known form, Dask installed."""
    if scheduler is None:
        return None
    if checked.real is None:
        raise InputError("--scheduler applies to the evaluation of your folders", path="--scheduler",
                         remedy="give --real DIR as well, or drop --scheduler")
    scheduler = check_scheduler(scheduler, where="--scheduler")
    require_dask(scheduler, "--scheduler")
    return scheduler


def _compute_parts(checked: Preflight, *, work: Path, quick: bool, subgroup: str | None,
                   lines: Callable[[str], ProgressLines | None],
                   scheduler: str | None) -> tuple[list[ReportPart], list[dict], list[Path]]:
    """Run every case, the evaluation of the user's folders or the user's review: the report parts, their
    ``results.json`` sections and the notebooks executed."""
    parts: list[ReportPart] = []
    sections: list[dict] = []
    executed: list[Path] = []
    for i, case in enumerate(checked.cases, 1):
        study = run_case(case, work=work, seed=checked.seed, quick=quick, progress=lines(f"case {i}"))
        if case.notebook and case.notebook not in STUDIES:
            executed.append(work / f"{case.id}.executed.ipynb")
        parts.append(case_part(study))
        sections.append(results_json.section(case.id, case.title, study.review))
    if checked.real is not None:
        part, results, note = folder_part(checked, work=work, seed=checked.seed, quick=quick, subgroup=subgroup,
                                          progress=lines("your images"), scheduler=scheduler)
        parts.append(part)
        sections.append(results_json.section("evaluation", part.title, part.review,
                                             results=[results_json.result_entry(r) for r in results.values()],
                                             notes=[note], bottom_line=part.bottom_line))
    elif checked.review is not None:
        rev = Review.load(checked.review)
        title = f"Review: {rev.title or checked.review.name}"
        study = review_study_of(rev, title)
        parts.append(ReportPart(id="user-review", title=title, section=study, review=rev))
        sections.append(results_json.section("user-review", rev.title or checked.review.name, rev))
    return parts, sections, executed


def _report_document(checked: Preflight, parts: list[ReportPart], executed: list[Path], *, quick: bool,
                     subgroup: str | None, now: datetime | None) -> render.Document:
    """The whole report: warnings, the screening preface, the parts and the appendix (date, versions, inputs)."""
    warnings = [line for line in checked.summary_lines() if line.startswith("WARNING")]
    if quick:
        warnings.append("Quick run (--quick): fewer seeds, images and resamples than the full report, a smoke run; "
                        "treat its numbers as preliminary.")
    preface = [_screening_section(checked)] if checked.screen is not None and checked.screen.flagged else []
    how = ["Computed in-process by the functions the case notebooks and notebook 05 call; no notebook was executed."
           if not executed else "Case notebooks run with papermill (their review files are shown, not their cells): "
           + ", ".join(p.name for p in executed) + "."]
    how += [line for line in checked.summary_lines() if not line.startswith("WARNING")]
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M UTC")
    appendix = appendix_section(generated=stamp, seed=checked.seed, versions=versions(),
                                inputs=_inputs(checked, subgroup, quick), how=how)
    return report_document(parts, warnings=warnings, appendix=appendix, preface=preface)


def review_study_of(review: Review, title: str) -> render.Section:
    """A review file's document: its stored results, then its claims, ladder, checklist, limitations,
    disagreements and stakeholder questions."""
    results = [res for res, _ in evidence_results(review)]
    blocks: list[render.Block] = [render.Section("Results stored in the review", [results_block(results)],
                                                 id="user-review-results")] if results else []
    blocks += review_sections(review, prefix="user-review",
                              ladder_figure=render.figure(ladder_figure(ladder_data(review)), caption="The evaluation ladder"))
    return render.Section(title, blocks, id="user-review")
