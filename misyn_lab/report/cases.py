"""The case parts of a report: the bundled case studies computed in-process (the same functions the case notebooks
call, :data:`misyn_lab.cases.studies.STUDIES`), and a user's case whose notebook sits beside its case file, run
with papermill; the report then renders the review file and provenance record that notebook wrote, never its
cells.

A user notebook receives ``case_path``, ``out_dir`` and ``seed`` (those it declares) and writes
``<out_dir>/<prefix>_review.yaml`` (and optionally ``<prefix>_provenance.json``), where ``<prefix>`` is the part of
the notebook's file name before the first ``_`` (``measure_case.ipynb`` → ``measure_review.yaml``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from misyn_lab import notebooks
from misyn_lab.cases.studies import QUICK, STUDIES, CaseStudy, review_study
from misyn_lab.checklist import Review
from misyn_lab.progress import Progress
from misyn_lab.report.document import ReportPart
from misyn_lab.report.runner import execute_notebook, notebook_parameters

if TYPE_CHECKING:
    from misyn_lab.cases.case import Case

__all__ = ["case_part", "notebook_outputs", "run_case"]


def notebook_outputs(notebook: Path, out_dir: Path) -> tuple[Path, Path]:
    """Where a user's case notebook writes its review file and provenance record."""
    prefix = notebook.stem.split("_")[0]
    return out_dir / f"{prefix}_review.yaml", out_dir / f"{prefix}_provenance.json"


def _user_notebook(case: Case, work: Path, seed: int) -> CaseStudy:
    """Run the case's own notebook (confined to the case file's folder) quietly and read what it wrote."""
    path = case.notebook_file()  # confined to the case file's folder, checked again just before it runs
    source = notebooks.write_ipynb(notebooks.read(path), work / "sources" / f"{path.stem}.ipynb")
    params = {"case_path": str(Path(case.path).resolve()), "out_dir": str(work), "seed": seed}
    declared = notebook_parameters(source)
    review_file, provenance_file = notebook_outputs(source, work)
    for stale in (review_file, provenance_file):  # never show an earlier run's results
        stale.unlink(missing_ok=True)
    execute_notebook(source, work / f"{case.id}.executed.ipynb", {k: v for k, v in params.items() if k in declared},
                     cwd=work)
    if review_file.is_file():
        return review_study(case, Review.load(review_file), provenance=provenance_file)
    return review_study(case, None, provenance=provenance_file,
                        notes=[f"The case notebook {path.name} ran but wrote no review file ({review_file.name}); "
                               "the case file's own answers are shown and nothing measured is reported."])


def run_case(case: Case, *, work: Path, seed: int, quick: bool, progress: Progress | None = None) -> CaseStudy:
    """One case of the report: a bundled case study in-process, a notebook beside the case file under papermill,
    or (no notebook) the case file's own review with nothing measured."""
    if not case.notebook:
        return review_study(case, None, notes=["This case file names no notebook: nothing was measured."])
    if case.notebook in STUDIES:
        options = QUICK[case.notebook] if quick else {}
        return STUDIES[case.notebook](case, seed=seed, out_dir=work, progress=progress, **options)
    return _user_notebook(case, work, seed)  # beside the case file, or another bundled notebook


def case_part(study: CaseStudy) -> ReportPart:
    """A case study as a report part (its stand-in data said in the summary too)."""
    warnings = []
    if study.case.data.get("stand_in"):
        warnings.append(f"Stand-in data ({study.case.title}): {study.case.data['stand_in']}")
    return ReportPart(id=study.case.id, title=study.case.title, section=study.document, review=study.review,
                      bottom_line=study.bottom_line, case_gaps=study.case.gaps, warnings=warnings)
