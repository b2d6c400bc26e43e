"""The report part for a user's image folders (``misyn-lab report --real DIR [--real-train DIR] [--synthetic
DIR]``): the same package functions notebook 05 calls (:func:`misyn_lab.workbook.load_inputs`,
:func:`misyn_lab.metrics.evidence.evaluate_imagesets`), in-process, rendered as a review document — the data
evaluated with split and n, a bottom line generated from the numbers, every result with its name in words and the
features it was measured on, per-subgroup results, memorisation and copies, figures, and (with ``--review``) the
review those results are attached to as evidence.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from misyn_lab import render as r
from misyn_lab.checklist import Review
from misyn_lab.instruments.document import review_sections
from misyn_lab.instruments.ladder import ladder_data
from misyn_lab.metrics.copies import copy_probes
from misyn_lab.metrics.document import evaluation_bottom_line
from misyn_lab.metrics.evidence import evaluate_imagesets
from misyn_lab.progress import Progress, report_progress
from misyn_lab.report.document import ReportPart
from misyn_lab.viz import copy_ratio_histogram, feature_shift_ranking, intensity_histograms, subgroup_shares
from misyn_lab.viz.ladder import ladder_figure
from misyn_lab.workbook.data import load_inputs

__all__ = ["attach_results", "folder_part", "split_note"]

#: Steps the folder evaluation reports progress for.
STEPS = ("loading images", "measuring", "figures and document")


def split_note(has_train: bool, has_synthetic: bool) -> str:
    """Which real images each kind of result is measured against, in one sentence."""
    if has_train:
        return ("Fidelity, coverage, distances and detection are measured against the held-out real images; "
                "memorisation against the training images, with the held-out images as the negative control.")
    if has_synthetic:
        return ("No training images were named (--real-train): every real image is treated as held-out, and "
                "memorisation compares the synthetic images with all of them.")
    return ("The real images are split (seeded) into the training images the teaching generator is fitted on and "
            "held-out images it never sees.")


def attach_results(review: Review, results: dict[str, Any], *, source: str) -> dict[str, list[str]]:
    """Store each result as rung-1 evidence and link it to every checklist item that names its key; returns
    ``{item id: [evidence ids]}`` (results no item asks for are stored but linked to nothing)."""
    linked: dict[str, list[str]] = {}
    for result in results.values():
        ev = review.add_evidence(result, rung=1, source=source)
        for item in review.checklist.items:
            if result.key in item.metric_keys:
                linked.setdefault(item.id, []).append(review.link_evidence(item.id, ev))
    return linked


def _data_table(data: Any, checked: Any, subgroup: str | None) -> r.Table:
    rows = [["held-out real (fidelity reference)", str(checked.real), len(data.holdout)],
            ["real used to train the generator", str(checked.real_train) if checked.real_train else "not named",
             len(data.train) if data.train is not None else 0],
            ["synthetic", str(checked.synthetic) if checked.synthetic else "teaching generator (see the note)",
             len(data.synthetic)],
            ["subgroup column", subgroup or "none (no per-subgroup results)", None]]
    return r.Table(["Role", "Folder", "Images"], rows, caption="Data evaluated")


def _figures(ev: Any, data: Any, subgroup: str | None) -> list[r.Block]:
    out: list[r.Block] = [
        r.figure(intensity_histograms(data.holdout, data.synthetic, labels=("held-out real", "synthetic")),
                 caption="Pixel intensities: held-out real vs synthetic"),
        r.figure(feature_shift_ranking(ev.feature_shift), caption="The most shifted features")]
    if subgroup and ev.subgroups is not None and len(ev.subgroups) and "subgroup.coverage_min" in ev.results:
        out.append(r.figure(subgroup_shares(ev.subgroups.by_group, subgroup,
                                            takeaway=ev.results["subgroup.coverage_min"].interpretation),
                            caption=f"Shares and coverage per {subgroup}"))
    return out


def folder_part(checked: Any, *, work: Path, seed: int, quick: bool, subgroup: str | None = None,
                progress: Progress | None = None, scheduler: Any = None) -> tuple[ReportPart, dict[str, Any], str]:
    """Evaluate the checked folders (:class:`~misyn_lab.report.preflight.Preflight`) and build their report part
    (features computed on ``scheduler`` when given, :mod:`misyn_lab.engine`).
    Returns ``(part, results, split note)``; with a review file, the results are attached to a copy of it in
    ``work`` (the user's file is never changed)."""
    report_progress(progress, STEPS[0], 0, 3, "steps")
    screened = checked.screen is not None  # the pre-flight already matched the real images against the registry
    data = load_inputs(checked.real, checked.synthetic, real_train_path=checked.real_train, seed=seed,
                       subgroup=subgroup, task=None, allow_marked_real=checked.allow_marked_real,
                       registry=None if screened else "default")
    report_progress(progress, STEPS[1], 1, 3, "steps")
    reference = data.train if data.train is not None else data.holdout
    resamples = 50 if quick else 200
    ev = evaluate_imagesets(data.train, data.holdout, data.synthetic, subgroup=subgroup, task=data.task, seed=seed,
                            bootstrap=resamples, permutations=resamples,
                            positive_controls=copy_probes(reference, seed=seed), scheduler=scheduler)
    report_progress(progress, STEPS[2], 2, 3, "steps")
    note = split_note(checked.real_train is not None, checked.synthetic is not None)
    line = evaluation_bottom_line(ev.results, ev.protocol)
    memo = [ev.results[k] for k in ("memorisation.copy_rate", "memorisation.pixel_copy_rate") if k in ev.results]
    blocks: list[r.Block] = [
        r.Section("Bottom line", [r.Paragraph(line, role="lead")], id="evaluation-bottom-line"),
        r.Section("Data evaluated", [_data_table(data, checked, subgroup), r.Paragraph(note),
                                     r.BulletList([n[:1].upper() + n[1:] for n in data.note.splitlines()])],
                  id="evaluation-data"),
        ev.to_section("Measured results", id="evaluation-results")]  # the document notebook 05 shows
    mem_blocks: list[r.Block] = [r.Paragraph(x.interpretation) for x in memo]
    if ev.memorisation is not None:
        mem_blocks.append(r.figure(copy_ratio_histogram(ev.memorisation.ratio, ev.memorisation.threshold,
                                                        takeaway=ev.results["memorisation.copy_rate"].interpretation),
                                   caption="Distance of each synthetic image to its nearest training image, relative "
                                           "to the typical distance between training images"))
    if ev.pixel_copies is not None and len(ev.pixel_copies.offenders):
        mem_blocks.append(r.Table.from_frame(ev.pixel_copies.offenders.head(10),
                                             columns={"synthetic_index": "Synthetic image", "train_index":
                                                      "Nearest training image", "score": "Similarity",
                                                      "is_copy": "Flagged as copy"},
                                             caption="The synthetic images most similar to a training image "
                                                     "(pixel space)"))
    blocks.append(r.Section("Memorisation and copies", mem_blocks, id="evaluation-memorisation"))
    blocks.append(r.Section("Figures", _figures(ev, data, subgroup), id="evaluation-figures"))
    review = None
    if checked.review is not None:
        review = Review.load(checked.review)
        attach_results(review, ev.results, source=f"misyn-lab report --real {checked.real}")
        review.save(work / "evaluation_review.yaml", overwrite=True)
        blocks += review_sections(review, prefix="evaluation",
                                  ladder_figure=r.figure(ladder_figure(ladder_data(review)), caption="The evaluation ladder"))
    else:
        blocks.append(r.Paragraph("No review file was given, so no checklist answers, claims or gaps are shown: "
                                  "misyn-lab report --review FILE adds them, with these results attached as evidence.",
                                  role="note"))
    report_progress(progress, STEPS[2], 3, 3, "steps")
    warnings = [line for line in data.note.splitlines() if "planted flaw" in line]
    part = ReportPart(id="evaluation", title="Evaluation of your images",
                      section=r.Section("Evaluation of your images", blocks, id="evaluation"), review=review,
                      bottom_line=line, warnings=warnings)
    return part, ev.results, note
