"""The measured demonstrations of the stage notebooks 02–06: each composes a teaching generator, the metrics
and a figure, and returns a :class:`Demo` (a table to show, results to attach as evidence, maybe a figure)."""

from __future__ import annotations

import dataclasses
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image

from misyn_lab import render
from misyn_lab.checklist.loader import load_checklist
from misyn_lab.errors import InputError
from misyn_lab.imagesets.core import ImageSet
from misyn_lab.metrics.memorisation import memorisation
from misyn_lab.metrics.result import MetricResult
from misyn_lab.metrics.subgroups import subgroup_frame
from misyn_lab.workbook.data import split_real, teaching_real_set


@dataclass
class Demo:
    """What a workbook demonstration returns: a table to show, results to attach, and maybe a figure.

    Parameters
    ----------
    table : pandas.DataFrame
        What the notebook shows.
    results : dict, optional
        ``{key: MetricResult}`` to attach to the review as evidence.
    figure : matplotlib.figure.Figure, optional
        A figure with its takeaway.
    extra : dict, optional
        Anything else a later cell needs (image sets, reports ...).

    Examples
    --------
    >>> import pandas as pd
    >>> Demo(pd.DataFrame({"design": ["memorising"], "copy rate": [0.6]})).results
    {}
    """

    table: pd.DataFrame
    results: dict[str, MetricResult] = field(default_factory=dict)
    figure: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


def table(frame: pd.DataFrame, caption: str = "") -> render.Table:
    """A DataFrame as a document table for a notebook cell: every text in full (never cut short with "..."), numbers
    to 3 significant digits, no row index.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table.
    caption : str, optional
        A caption.

    Returns
    -------
    render.Table
        Shown as HTML by a notebook (``_repr_html_``).

    Examples
    --------
    >>> import pandas as pd
    >>> from misyn_lab.render import to_markdown
    >>> print(to_markdown(table(pd.DataFrame({"metric": ["recall"], "value": [0.41234]}))))
    | metric | value |
    |---|---|
    | recall | 0.412 |
    <BLANKLINE>
    """
    return render.Table.from_frame(frame, caption=caption)


def pixels(imageset: ImageSet) -> np.ndarray:
    """The images as rows of pixel values (the strictest space for spotting copies)."""
    return imageset.images.reshape(len(imageset), -1).astype(np.float64)


# ---------------------------------------------------------------------- technical standards
def labelling_demo(review_path: str | Path, *, n: int = 8, seed: int = 0) -> Demo:
    """Export ``n`` synthetic images with marks, strip the mark from one copy, and audit the folder.

    Files go to ``<review stem>.export/`` beside the review.

    Parameters
    ----------
    review_path : str or Path
        The review file the results will be attached to.
    n : int, optional
        Synthetic images exported.
    seed : int, optional
        Seed of the teaching generator.

    Returns
    -------
    Demo
        The audit table, and the results (:meth:`AuditReport.evidence`) ``provenance.labelled`` (share of the
        synthetic files that carry a mark) and ``audit.unlabelled_synthetic`` (registered synthetic files without
        one).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> demo = labelling_demo(folder / "review.yaml", n=4)
    >>> sorted(demo.results), len(demo.table)
    (['audit.unlabelled_synthetic', 'provenance.labelled'], 4)
    """
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
    frame = report.to_frame()
    table = frame[["path", "status", "format", "generator"]].copy() if "format" in frame else frame
    table["path"] = [Path(p).name for p in table["path"]]
    return Demo(table=table, results=report.evidence())


# ---------------------------------------------------------------------- problem formulation and design
def representation(real: ImageSet, subgroup: str, *, seed: int = 0, minority_weight: float = 0.2) -> Demo:
    """Share of each subgroup in the real data, and what a subgroup-skewed generator (a planted flaw) does to it.

    Parameters
    ----------
    real : ImageSet
        Real images with the ``subgroup`` column.
    subgroup : str
        The metadata column.
    seed : int, optional
        Seed of the generator.
    minority_weight : float, optional
        Sampling weight of the least frequent subgroup in the skewed generator.

    Returns
    -------
    Demo
        One row per subgroup: counts, shares, representation ratio and coverage.

    Examples
    --------
    >>> from misyn_lab.workbook import teaching_real_set
    >>> demo = representation(teaching_real_set(), "plane")
    >>> demo.table.columns.tolist()[:3], len(demo.table)
    (['subgroup', 'n_real', 'n_syn'], 3)
    """
    from misyn_lab.features import extract_features, standardise
    from misyn_lab.synth.registry import make_generator

    if subgroup not in real.meta:
        raise InputError(f"unknown subgroup column {subgroup!r}", path=real.name,
                         remedy=f"use one of {list(real.meta.columns)}")
    syn = make_generator("subgroup_skewed", column=subgroup, minority_weight=minority_weight).fit(real).sample(
        len(real), seed=seed)
    fr, fs = (extract_features(s, "intensity+texture", progress=False) for s in (real, syn))
    zr, zs = standardise(fr.values, fs.values)
    groups = subgroup_frame(zr, real.meta, zs, syn.meta, subgroup, seed=seed)
    return Demo(table=groups.by_group[["subgroup", "n_real", "n_syn", "share_real", "share_syn",
                                       "representation_ratio", "coverage"]], results=groups.summary())


def design_checks(*, n: int = 40, seed: int = 0, subgroup: str = "plane", threshold: float | None = None) -> Demo:
    """Memorisation of two designs (memorising vs PCA-Gaussian), measured in pixel space against the training images.

    Parameters
    ----------
    n : int, optional
        Synthetic images per design.
    seed : int, optional
        Seed.
    subgroup : str, optional
        Metadata column kept with the images.
    threshold : float, optional
        Copy threshold (default: calibrated on the training set's own nearest-neighbour distances).

    Returns
    -------
    Demo
        One row per design (copy rate, training images copied) and the copy-rate results.

    Examples
    --------
    >>> demo = design_checks(n=10)
    >>> demo.table["design"].tolist(), sorted(demo.results)
    (['memorising', 'pca_gaussian'], ['memorising:copy_rate', 'pca_gaussian:copy_rate'])
    """
    from misyn_lab.synth.registry import make_generator
    from misyn_lab.viz.memorisation import copy_ratio_histogram

    train, holdout = split_real(teaching_real_set(), seed=seed)
    rows, results, ratios, thresholds = [], {}, {}, []
    for name, kwargs in (("memorising", {"strength": 0.9, "max_shift": 0}), ("pca_gaussian", {})):
        syn = make_generator(name, **kwargs).fit(train).sample(int(n), seed=seed)
        mem = memorisation(pixels(train), pixels(syn), holdout_real=pixels(holdout), threshold=threshold)
        ratios[name] = mem.ratio
        thresholds.append(mem.threshold)
        rate = mem.metrics["memorisation.copy_rate"]
        rows.append({"design": name, "copy rate": rate.value,
                     "training images copied": mem.metrics["memorisation.train_copied_rate"].value})
        results[f"{name}:copy_rate"] = dataclasses.replace(
            rate, interpretation=f"design {name}: {rate.interpretation}", details={**rate.details, "design": name})
    fig = copy_ratio_histogram(ratios, thresholds[0], title="Memorisation of two designs",
                               takeaway="the memorising design puts synthetic images right on top of training "
                                        "images; the PCA-Gaussian design does not")
    return Demo(table=pd.DataFrame(rows), results=results, figure=fig)


# ---------------------------------------------------------------------- oversight
def stakeholder_questions(stage: str | None = None) -> pd.DataFrame:
    """The plain-language question of every checklist item (optionally of one stage).

    Parameters
    ----------
    stage : str, optional
        One stage (``"technical_standards"`` ...); ``None``: all.

    Returns
    -------
    pandas.DataFrame
        Columns ``id``, ``stage``, ``question``, ``a good answer``.

    Examples
    --------
    >>> questions = stakeholder_questions("technical_standards")
    >>> questions.columns.tolist(), questions["id"].iloc[0]
    (['id', 'stage', 'question', 'a good answer'], 'TS-1')
    """
    cl = load_checklist()
    items = cl.by_stage(stage) if stage else cl.items
    return pd.DataFrame([{"id": it.id, "stage": it.stage, "question": it.stakeholder_question,
                          "a good answer": it.good_answer} for it in items])
