"""Helpers the workbook notebooks call, so every notebook cell stays a few lines long.

Opening the review file, loading the teaching images, building the metric table (and saving it next to the
review so tests and reports can read it), attaching measured results to the checklist items that name their
metric keys, and showing a figure with its one-line takeaway.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from misyn_lab.atomic import atomic_write_text
from misyn_lab.errors import InputError
from misyn_lab.imagesets.core import ImageSet
from misyn_lab.metrics.result import MetricResult

#: Columns of the evaluation metric table, in order.
TABLE_COLUMNS = ("key", "value", "ci_low", "ci_high", "p_value", "n_real", "n_synthetic", "interpretation")
CITATION = "Jin, Sinha, Abhishek, Hamarneh. Ethical Medical Image Synthesis. arXiv:2508.09293 (2025)."


# ---------------------------------------------------------------------- the review file
def open_review(path: str | Path, *, title: str = "MISyn review") -> Any:
    """The review saved at ``path``, or a new empty one (written on the first change) if there is none."""
    from misyn_lab.checklist.review import Review

    path = Path(path)
    if path.exists():
        return Review.load(path)
    return Review.new(title)


def review_status(review: Any, path: str | Path) -> str:
    """A few plain lines: where the answers are saved and how far the review has got."""
    n_items = len(review.checklist)
    answered = sum(1 for per in review.answers.values() if per)
    where = Path(path).resolve()
    state = f"saved (revision {review.revision})" if where.exists() else "not written yet (first change writes it)"
    return (f"Review file: {where}\nState: {state}\nReviewers: {', '.join(review.reviewers) or 'none yet'}\n"
            f"Items answered by at least one reviewer: {answered} of {n_items}\n"
            f"Evidence records: {len(review.evidence)}")


# ---------------------------------------------------------------------- metric table
def _results(results: Mapping[str, MetricResult] | Iterable[MetricResult]) -> list[MetricResult]:
    items = list(results.values()) if isinstance(results, Mapping) else list(results)
    for r in items:
        if not isinstance(r, MetricResult):
            raise InputError(f"expected MetricResult objects, got {type(r).__name__}", path="metrics_table")
    return items


def _n_real(n: Mapping[str, int]) -> int:
    """Real images behind a result, whatever the metric calls them (real / train / real_train)."""
    for key in ("real", "train", "real_train"):
        if key in n:
            return int(n[key])
    return 0


def metrics_table(results: Mapping[str, MetricResult] | Iterable[MetricResult]) -> pd.DataFrame:
    """One row per result with columns :data:`TABLE_COLUMNS` (NaN where a result has no CI or p-value)."""
    rows = []
    for r in _results(results):
        rows.append({
            "key": r.key, "value": float(r.value),
            "ci_low": float("nan") if r.ci is None else float(r.ci[0]),
            "ci_high": float("nan") if r.ci is None else float(r.ci[1]),
            "p_value": float("nan") if r.p_value is None else float(r.p_value),
            "n_real": _n_real(r.n), "n_synthetic": int(r.n.get("synthetic", 0)),
            "interpretation": r.interpretation,
        })
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))


def table_paths(review_path: str | Path) -> dict[str, Path]:
    """Where the metric table is saved next to the review: ``<review stem>.metrics.csv`` / ``.json``."""
    p = Path(review_path)
    return {"csv": p.with_name(p.stem + ".metrics.csv"), "json": p.with_name(p.stem + ".metrics.json")}


def save_metrics_table(table: pd.DataFrame, review_path: str | Path) -> dict[str, Path]:
    """Save ``table`` as CSV and JSON next to the review file (atomic writes); returns the two paths."""
    missing = [c for c in TABLE_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(f"metric table lacks columns {missing}", path="metrics_table",
                         remedy="build it with workbook.metrics_table(results)")
    paths = table_paths(review_path)
    atomic_write_text(paths["csv"], table.to_csv(index=False, lineterminator="\n"))
    records = json.loads(table.to_json(orient="records"))
    atomic_write_text(paths["json"], json.dumps(records, indent=1, ensure_ascii=False) + "\n")
    return paths


# ---------------------------------------------------------------------- evidence
def attach_matching(widget: Any, results: Mapping[str, MetricResult] | Iterable[MetricResult], *,
                    rung: int = 1, source: str = "notebook") -> dict[str, list[str]]:
    """Attach each result to every item of the widget's stage(s) that names its metric key.

    Returns ``{item_id: [evidence ids]}``; results no item asks for are not attached.
    """
    by_key: dict[str, list[MetricResult]] = {}
    for r in _results(results):
        by_key.setdefault(r.key, []).append(r)
    attached: dict[str, list[str]] = {}
    for stage in widget.stages:
        for item in widget.checklist.by_stage(stage):
            for key in item.metric_keys:
                for r in by_key.get(key, []):
                    attached.setdefault(item.id, []).append(widget.attach_evidence(item.id, r, rung=rung,
                                                                                   source=source))
    return attached


# ---------------------------------------------------------------------- figures
def show_figure(fig: Any, takeaway: str, *, dpi: int = 90) -> Any:
    """Display ``fig`` as a PNG with its one-line takeaway written under it (works with any backend)."""
    import io

    from IPython.display import Image, display

    if not takeaway.strip():
        raise InputError("every workbook figure needs a one-line takeaway", path="show_figure")
    fig.text(0.5, -0.01, "Takeaway: " + takeaway, ha="center", va="top", fontsize=9, wrap=True)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    if hasattr(fig, "number"):  # a pyplot figure: close it so the inline backend does not show it twice
        import matplotlib.pyplot as plt

        plt.close(fig)
    display(Image(data=buf.getvalue(), format="png"))
    return fig


# ---------------------------------------------------------------------- teaching images
@dataclass
class Demo:
    """What a workbook demonstration returns: a table to show, results to attach, and maybe a figure."""

    table: pd.DataFrame
    results: dict[str, MetricResult] = field(default_factory=dict)
    figure: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


def teaching_real_set(n: int | None = None, *, seed: int = 0, size: tuple[int, int] = (32, 32),
                      groups: tuple[str, ...] = ("mni152", "colin27")) -> ImageSet:
    """Real brain MR slices from the bundled samples (two subjects, three planes), resized to ``size``.

    ``n`` draws that many images at random (seeded; sorted back into sample order); ``None`` keeps all.
    """
    from misyn_lab.imagesets.samples import load_sample

    sets = [load_sample(g, size=size) for g in groups]
    real = sets[0]
    for other in sets[1:]:
        real = real.concat(other, name="teaching-real")
    if n is not None:
        if not 2 <= int(n) <= len(real):
            raise InputError(f"n must be between 2 and {len(real)}, got {n}", path="teaching_real_set",
                             remedy=f"the bundled brain slices hold {len(real)} images")
        idx = np.sort(np.random.default_rng(seed).choice(len(real), int(n), replace=False))
        real = real.take(idx)
    return real


def split_real(real: ImageSet, *, seed: int = 0, holdout: float = 0.3) -> tuple[ImageSet, ImageSet]:
    """Seeded split into (train, held-out) real images; the held-out part is never shown to a generator."""
    if not 0 < holdout < 1:
        raise InputError(f"holdout must be between 0 and 1, got {holdout}", path="split_real")
    order = np.random.default_rng(seed).permutation(len(real))
    cut = max(1, int(round(len(real) * holdout)))
    return real.take(np.sort(order[cut:])), real.take(np.sort(order[:cut]))


# ---------------------------------------------------------------------- technical standards
def labelling_demo(review_path: str | Path, *, n: int = 8, seed: int = 0) -> Demo:
    """Export ``n`` synthetic images with marks, strip the mark from one copy, and audit the folder.

    Files go to ``<review stem>.export/`` beside the review. Results: ``provenance.labelled`` (share of the
    synthetic files that carry a mark) and ``audit.unlabelled_synthetic`` (registered synthetic files without one).
    """
    import shutil

    from PIL import Image

    from misyn_lab.provenance.audit import audit_folder
    from misyn_lab.provenance.mark import export_imageset
    from misyn_lab.provenance.record import Provenance
    from misyn_lab.synth.registry import make_generator

    review_path = Path(review_path)
    folder = review_path.with_name(review_path.stem + ".export")
    if folder.exists():
        shutil.rmtree(folder)
    gen = make_generator("pca_gaussian", n_components=8).fit(teaching_real_set(size=(64, 64)))
    syn = gen.sample(int(n), seed=seed)
    registry = folder / "registry.json"
    prov = Provenance(generator=gen.name, generator_version=gen.version, seed=seed)
    paths = export_imageset(syn, folder / "release", provenance=prov, registry=registry)
    stripped = paths[0].with_name("stripped_" + paths[0].name)  # as a de-identification tool might do
    with Image.open(paths[0]) as im:
        Image.fromarray(np.asarray(im)).save(stripped)  # pixels only: the metadata mark is gone
    paths[0].unlink()
    report = audit_folder(folder / "release", registry=registry, progress=False)
    counts = report.counts()
    marked, unmarked = counts["labelled_synthetic"], counts["unlabelled_registry_match"]
    share = marked / max(1, marked + unmarked)
    nn = {"files": len(report.records), "synthetic": marked + unmarked}
    results = {
        "provenance.labelled": MetricResult(
            "provenance.labelled", share, nn, direction="higher_is_better",
            interpretation=f"{marked} of {marked + unmarked} synthetic files carry a machine-readable synthetic "
                           "mark", details={"folder": str(folder / "release")}),
        "audit.unlabelled_synthetic": MetricResult(
            "audit.unlabelled_synthetic", float(unmarked), nn, direction="lower_is_better",
            interpretation=f"{unmarked} synthetic file(s) lost their mark and were caught only by the hash registry",
            details={"folder": str(folder / "release")}),
    }
    table = report.to_frame()[["path", "status", "format", "generator"]].copy() if "format" in \
        report.to_frame() else report.to_frame()
    table["path"] = [Path(p).name for p in table["path"]]
    return Demo(table=table, results=results)


# ---------------------------------------------------------------------- oversight
def stakeholder_questions(stage: str | None = None) -> pd.DataFrame:
    """The plain-language question of every checklist item (optionally one stage)."""
    from misyn_lab.checklist.loader import load_checklist

    cl = load_checklist()
    items = cl.by_stage(stage) if stage else cl.items
    return pd.DataFrame([{"id": it.id, "stage": it.stage, "question": it.stakeholder_question,
                          "a good answer": it.good_answer} for it in items])


# ---------------------------------------------------------------------- problem formulation and design
def representation(real: ImageSet, subgroup: str, *, seed: int = 0, minority_weight: float = 0.2) -> Demo:
    """Share of each subgroup in the real data, and what a subgroup-skewed generator does to it."""
    from misyn_lab.features import extract_features, standardise
    from misyn_lab.metrics.subgroups import by_subgroup, subgroup_summary
    from misyn_lab.synth.registry import make_generator

    if subgroup not in real.meta:
        raise InputError(f"unknown subgroup column {subgroup!r}", path=real.name,
                         remedy=f"use one of {list(real.meta.columns)}")
    syn = make_generator("subgroup_skewed", column=subgroup, minority_weight=minority_weight).fit(real).sample(
        len(real), seed=seed)
    fr, fs = (extract_features(s, "intensity+texture", progress=False) for s in (real, syn))
    zr, zs = standardise(fr.values, fs.values)
    table = by_subgroup(zr, real.meta, zs, syn.meta, subgroup, seed=seed)
    return Demo(table=table[["subgroup", "n_real", "n_syn", "share_real", "share_syn", "representation_ratio",
                             "coverage"]], results=subgroup_summary(table, subgroup))


def design_checks(*, n: int = 40, seed: int = 0, subgroup: str = "plane", threshold: float = 0.5) -> Demo:
    """Memorisation of two designs (memorising vs PCA-Gaussian), measured in pixel space against training images."""
    import dataclasses

    from matplotlib.figure import Figure

    from misyn_lab.metrics.memorisation import memorisation
    from misyn_lab.synth.registry import make_generator
    from misyn_lab.widgets.lessons import pixels

    train, holdout = split_real(teaching_real_set(), seed=seed)
    rows, results, ratios = [], {}, {}
    for name, kwargs in (("memorising", {"strength": 0.9, "max_shift": 0}), ("pca_gaussian", {})):
        syn = make_generator(name, **kwargs).fit(train).sample(int(n), seed=seed)
        mem = memorisation(pixels(train), pixels(syn), holdout_real=pixels(holdout), threshold=threshold)
        ratios[name] = mem.ratio
        rate = mem.metrics["memorisation.copy_rate"]
        rows.append({"design": name, "copy rate": rate.value,
                     "training images copied": mem.metrics["memorisation.train_copied_rate"].value})
        results[f"{name}:copy_rate"] = dataclasses.replace(
            rate, interpretation=f"design {name}: {rate.interpretation}", details={**rate.details, "design": name})
    fig = Figure(figsize=(6, 3), layout="constrained")
    ax = fig.subplots()
    for name, r in ratios.items():
        ax.hist(r, bins=25, alpha=0.6, label=f"SYNTHETIC ({name})")
    ax.axvline(threshold, color="black", ls="--", label="copy threshold")
    ax.set(xlabel="distance to nearest training image ÷ typical real-to-real distance", ylabel="synthetic images")
    ax.legend(frameon=False, fontsize=8)
    return Demo(table=pd.DataFrame(rows), results=results, figure=fig)
