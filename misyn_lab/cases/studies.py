"""A case study from case file to document, in one call: what the case notebooks run and what
``misyn-lab report`` runs, in-process (no notebook kernel), so the two never disagree.

:func:`study_case1` and :func:`study_case2` measure the bundled case studies, build the filled-in review
(:func:`misyn_lab.cases.review.build_review`), save the review file and the provenance record beside each other,
and build the case's document (:func:`misyn_lab.cases.document.case_document`). :func:`review_study` turns a case
whose measurements were made elsewhere (a user's notebook that wrote a review file) into the same document.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from misyn_lab import render
from misyn_lab.cases.case import Case, load_case
from misyn_lab.cases.document import case1_evidence, case2_evidence, case_document, section_prefix
from misyn_lab.cases.review import build_review, provenance_record, save_provenance
from misyn_lab.cases.segmentation import run_case1
from misyn_lab.cases.text_to_image import DEFAULT_PROMPTS, run_case2
from misyn_lab.instruments.document import evidence_results
from misyn_lab.metrics.document import results_block
from misyn_lab.progress import Progress, report_progress
from misyn_lab.synth import LabelConditionedGenerator

if TYPE_CHECKING:
    from misyn_lab.checklist.review import Review

__all__ = ["CaseStudy", "QUICK", "STUDIES", "review_study", "study_case1", "study_case2"]


@dataclass
class CaseStudy:
    """One case study, measured and reviewed: the case, its review (saved at ``review_path``), the raw results
    (``None`` when measured elsewhere), the provenance record and the document."""

    case: Case
    review: Review
    document: render.Section
    bottom_line: str = ""
    result: Any = None
    provenance: dict | None = None
    review_path: Path | None = None

    def part(self, name: str) -> render.Section:
        """One part of the document by its short name (``"paired"``, ``"claims"``, ``"ladder"`` ...): the
        section ``<case prefix>-<name>``."""
        return self.document.find(f"{section_prefix(self.case)}-{name}")

    def _repr_html_(self) -> str:
        return render.to_html(self.document)

    def __repr__(self) -> str:
        return f"CaseStudy({self.case.id!r}, review={str(self.review_path) if self.review_path else None!r})"


def _case(case: Case | str | Path | None, default: str) -> Case:
    return case if isinstance(case, Case) else load_case(case or default)


def _out(out_dir: str | Path | None) -> Path:
    out = Path(out_dir) if out_dir else Path(tempfile.mkdtemp(prefix="misyn-case-"))
    out.mkdir(parents=True, exist_ok=True)
    return out


def _finish(case: Case, out: Path, short: str, result: Any, review: Review, line: str, record: dict,
            evidence: Callable[..., list[render.Section]], progress: Progress | None) -> CaseStudy:
    """Save the review and the provenance record as ``<short>_review.yaml`` / ``<short>_provenance.json`` in ``out``
    and build the case's document."""
    path = review.save(out / f"{short}_review.yaml", overwrite=True)
    save_provenance(out / f"{short}_provenance.json", record)
    report_progress(progress, "review, figures and document", 1, 2, "steps")
    doc = case_document(case, review, evidence=evidence(result, prefix=section_prefix(case)), bottom_line=line,
                        provenance=record)
    report_progress(progress, "review, figures and document", 2, 2, "steps")
    return CaseStudy(case, review, doc, line, result, record, path)


def study_case1(case: Case | str | Path | None = None, *, seed: int = 0, n_seeds: int = 20, k: int = 3,
                n_synthetic: int = 12, out_dir: str | Path | None = None,
                progress: Progress | None = None) -> CaseStudy:
    """Case 1 (synthetic pairs as segmentation training data), measured over ``n_seeds`` seeds/splits with the
    claim C1's planned minimal important difference; writes ``case1_review.yaml`` and ``case1_provenance.json``
    into ``out_dir`` (a temporary folder when empty)."""
    case = _case(case, "case1")
    out = _out(out_dir)
    mid = case.claim("C1").get("mid")
    result = run_case1(seed=seed, n_seeds=n_seeds, k=k, n_synthetic=n_synthetic, audit_dir=str(out / "case1-release"),
                       mid=mid, progress=progress)
    report_progress(progress, "review, figures and document", 0, 2, "steps")
    shown = result.reporting_tables()  # worst cases and subgroups, attached as evidence (sets the reporting flags)
    line = result.bottom_line(mid)
    review = build_review(case, result.measured(), settle=result.settle_data(), reporting={"C1": shown, "C4": shown},
                          seed=seed, bottom_line=line)
    record = provenance_record(result.meta, LabelConditionedGenerator,
                               fitted_on=f"k={k} real MNI152 (image, mask) pairs per seed; {n_seeds} seeds",
                               notes="Stand-in for wound images: real MNI152 T1 slices with the template's own "
                                     "grey/white-matter maps.")
    return _finish(case, out, "case1", result, review, line, record, case1_evidence, progress)


def study_case2(case: Case | str | Path | None = None, *, seed: int = 0, n_per_prompt: int = 24,
                prompts: Sequence[str] = (), out_dir: str | Path | None = None,
                progress: Progress | None = None) -> CaseStudy:
    """Case 2 (text-to-image synthesis made transparent), ``n_per_prompt`` images for each prompt (the case-study
    prompts when ``prompts`` is empty); writes ``case2_review.yaml`` and ``case2_provenance.json`` into
    ``out_dir``."""
    case = _case(case, "case2")
    out = _out(out_dir)
    result = run_case2(list(prompts) or list(DEFAULT_PROMPTS), seed=seed, n_per_prompt=n_per_prompt,
                       audit_dir=str(out / "case2-release"), progress=progress)
    report_progress(progress, "review, figures and document", 0, 2, "steps")
    line = result.bottom_line()
    review = build_review(case, result.measured(), seed=seed, bottom_line=line)
    record = provenance_record(pd.concat([result.train.meta, result.holdout.meta]), result.generator,
                               fitted_on=f"{len(result.train)} real bundled images ({len(result.holdout)} held out)",
                               notes="Prompt-conditioned teaching generator; every output carries its prompt in its "
                                     "provenance.")
    return _finish(case, out, "case2", result, review, line, record, case2_evidence, progress)


def review_study(case: Case, review: Review | None = None, *, provenance: dict | str | Path | None = None,
                 notes: Sequence[str] = ()) -> CaseStudy:
    """The document of a case measured elsewhere: ``review`` is the review file its notebook wrote (``None``: the
    case file's own answers, nothing measured). The review's stored results become the measured evidence."""
    if isinstance(provenance, (str, Path)):
        path = Path(provenance)
        provenance = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
    review = review if review is not None else case.to_review()
    line = next((str(x.get("text", "")) for x in review.records("limitations")
                 if str(x.get("id", "")).endswith("-bottom-line")), "")
    results = [res for res, _ in evidence_results(review)]
    evidence = [render.Section("Results stored in the review", [results_block(results)],
                               id=f"{section_prefix(case)}-results")] if results else []
    doc = case_document(case, review, evidence=evidence, bottom_line=line, provenance=provenance, notes=notes)
    return CaseStudy(case, review, doc, line, None, provenance, None)


#: The in-process study of each bundled case notebook (what ``misyn-lab report`` runs instead of the notebook).
STUDIES: dict[str, Callable[..., CaseStudy]] = {"case1_segmentation.ipynb": study_case1,
                                                "case2_text_to_image.ipynb": study_case2}
#: Fewer seeds / images per prompt for a quick smoke run (``misyn-lab report --quick``).
QUICK: dict[str, dict[str, int]] = {"case1_segmentation.ipynb": {"n_seeds": 4},
                                    "case2_text_to_image.ipynb": {"n_per_prompt": 12}}
