"""Every result key, declared once: its name in words, glossary term, direction, unit, the real images it is
measured on and the plain-language sentence that reads it.

:data:`KEYS` is the one table; :func:`misyn_lab.metrics.result.build` turns numbers into a
:class:`~misyn_lab.metrics.result.MetricResult` from it, and :mod:`misyn_lab.metrics.document` names results
with it. A template is a :meth:`str.format` string whose fields may carry the house number formats of
:mod:`misyn_lab.render.numbers` as format specs: ``{value:percent}``, ``{value:number}``, ``{p:p}``, ``{n:count}``
(any other spec is Python's own).

>>> KEYS["prdc.coverage"].direction, KEYS["prdc.coverage"].measured_on
('higher_is_better', 'held-out real')
>>> interpret("{value:percent} covered, distance {d:number} over {n:count} images", value=0.4567, d=0.012345, n=1200)
'46 % covered, distance 0.0123 over 1,200 images'
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any

from misyn_lab.errors import InputError
from misyn_lab.render.numbers import fmt_number, fmt_p, fmt_percent

__all__ = ["DIRECTIONS", "KEYS", "MEASURED_ON", "MetricKey", "interpret", "metric_key"]

#: Directions a result can have.
DIRECTIONS = ("higher_is_better", "lower_is_better", "neutral")
#: The real images a key is measured on (fidelity against held-out real, memorisation against training real).
MEASURED_ON = ("held-out real", "training real", "none")

HIGHER, LOWER, NEUTRAL = DIRECTIONS
HELD, TRAIN, NONE = MEASURED_ON


@dataclass(frozen=True)
class MetricKey:
    """One declared result key.

    Attributes
    ----------
    key : str
        Stable key (``"prdc.coverage"``); checklist items and evidence name results by it.
    name : str
        The key in words, as a report names it.
    term : str or None
        The glossary term its name links to (``None``: none).
    direction : str
        One of :data:`DIRECTIONS`.
    unit : str
        What the value counts (``"share"``, ``"AUC"``, ``"count"``, ...).
    measured_on : str
        One of :data:`MEASURED_ON`.
    template : str
        The reading sentence with format fields (``""``: the caller writes the sentence).

    Examples
    --------
    >>> row = KEYS["memorisation.copy_rate"]
    >>> row.direction, row.unit, row.measured_on
    ('lower_is_better', 'share', 'training real')
    """

    key: str
    name: str
    term: str | None
    direction: str
    unit: str
    measured_on: str
    template: str = ""


_PRDC_P = ("{value:percent} of synthetic samples fall inside the real data's {k}-nearest-neighbour manifold "
           "(fidelity); the rest look unlike any real sample in this feature space.")
_PRDC_R = ("{value:percent} of real samples fall inside the synthetic data's {k}-nearest-neighbour manifold "
           "(diversity); the rest are parts of the real data the generator does not reach.")
_PRDC_D = ("Synthetic samples sit in {value:number} times as many real neighbourhoods as expected (1 = like real "
           "data; above 1 = crowding around common real samples, below 1 = thin or off-manifold).")
_PRDC_C = ("{value:percent} of real samples have a synthetic sample inside their own {k}-nearest-neighbour "
           "neighbourhood (coverage); uncovered real samples are modes the generator misses.")
_FRECHET = ("Fréchet distance {value:number} on the {features} features ({mean_share:percent} from the means, the "
            "rest from the covariances); 0 means real and synthetic have the same mean and covariance.")
_MMD = ("Kernel (RBF) MMD² between real and synthetic features is {value:number}; 0 means the same distribution."
        "{verdict}{used}")
_AUC = ("A {model} classifier tells real from synthetic with cross-validated AUC {value:number}{ci_text} over "
        "{n_each} + {n_each} images (0.5 = indistinguishable, 1 = always told apart).")
_COPY = ("{value:percent} of synthetic samples lie closer to a training sample than {copy_distance:number} "
         "({threshold:number} x the typical distance between training samples), i.e. are likely near-copies."
         "{search_note}")
_COPIED = "{value:percent} of training samples have a near-copy among the synthetic samples.{search_note}"
_IDENT = ("For {value:percent} of training samples the nearest synthetic sample is closer than the nearest other "
          "training sample (about {baseline:percent} is expected for an independent sample of this size)."
          "{search_note}")
_SDM = ("{share:percent} of synthetic samples are closer to the training set than to unseen real data (about "
        "{expected:percent} expected without memorisation); score {value:number} of 1.")
_SUB_COV = ("The worst-covered {column} subgroup is '{group}': {value:percent} of its real samples have a synthetic "
            "sample in their neighbourhood.")
_SUB_REP = ("The most under-represented {column} subgroup is '{group}': its share of the synthetic set is "
            "{value:number} times its share of the real set (1 = same proportion).")

_TABLE: tuple[MetricKey, ...] = (
    MetricKey("prdc.precision", "Precision (PRDC, fidelity)", "prdc", HIGHER, "share", HELD, _PRDC_P),
    MetricKey("prdc.recall", "Recall (PRDC, diversity)", "prdc", HIGHER, "share", HELD, _PRDC_R),
    MetricKey("prdc.density", "Density (PRDC)", "prdc", NEUTRAL, "ratio", HELD, _PRDC_D),
    MetricKey("prdc.coverage", "Coverage (PRDC, diversity)", "prdc", HIGHER, "share", HELD, _PRDC_C),
    MetricKey("frechet", "Fréchet distance", "frechet", LOWER, "squared feature units", HELD, _FRECHET),
    MetricKey("mmd.rbf", "MMD² (RBF kernel)", "mmd", LOWER, "kernel units", HELD, _MMD),
    MetricKey("ks.max", "Largest per-feature KS statistic", "ks", LOWER, "KS statistic (0-1)", HELD,
              "The most shifted feature is '{feature}' (KS {value:number}, standardised mean difference "
              "{smd:number}); KS 0 means identical marginal distributions, 1 means no overlap."),
    MetricKey("detection.auc", "Real-vs-synthetic detection AUC", "detection-auc", LOWER, "AUC", HELD, _AUC),
    MetricKey("memorisation.copy_rate", "Copy rate", "copy-rate", LOWER, "share", TRAIN, _COPY),
    MetricKey("memorisation.pixel_copy_rate", "Copy rate in pixel space", "copy-rate", LOWER, "share", TRAIN),
    MetricKey("memorisation.train_copied_rate", "Training images with a near-copy", None, LOWER, "share", TRAIN,
              _COPIED),
    MetricKey("memorisation.identifiability", "Identifiability (training images nearer a synthetic one)", None,
              LOWER, "share", TRAIN, _IDENT),
    MetricKey("memorisation.sdmetrics_score", "Closer-to-training score", None, HIGHER, "score (0-1)", TRAIN, _SDM),
    MetricKey("subgroup.coverage_min", "Lowest coverage of a subgroup", "prdc", HIGHER, "share", HELD, _SUB_COV),
    MetricKey("subgroup.representation_ratio_min", "Lowest representation ratio of a subgroup", None, HIGHER,
              "ratio of shares", HELD, _SUB_REP),
    MetricKey("tstr.accuracy", "Accuracy trained on synthetic, tested on real (TSTR)", "tstr", HIGHER, "share",
              HELD, "A {model} classifier trained on synthetic data is {value:percent} accurate on real test data."),
    MetricKey("trtr.accuracy", "Accuracy trained on real, tested on real", "tstr", HIGHER, "share", HELD,
              "The same classifier trained on real data is {value:percent} accurate on the same test data."),
    MetricKey("tstr.balanced_accuracy", "Balanced accuracy, TSTR", "tstr", HIGHER, "share", HELD,
              "Trained on synthetic data, balanced accuracy (mean recall per class) is {value:percent}."),
    MetricKey("trtr.balanced_accuracy", "Balanced accuracy trained on real", "tstr", HIGHER, "share", HELD,
              "Trained on real data, balanced accuracy (mean recall per class) is {value:percent}."),
    MetricKey("tstr.gap", "Accuracy lost training on synthetic (TSTR gap)", "tstr", LOWER, "share", HELD,
              "Training on synthetic instead of real data changes test accuracy by {change} "
              "(negative = synthetic data is less useful)."),
    MetricKey("paired.mean_difference", "Mean paired difference (bootstrap CI)", "ci", HIGHER, "data units", NONE),
    MetricKey("paired.wilcoxon", "Wilcoxon signed-rank test", "wilcoxon", NEUTRAL, "statistic", NONE),
    MetricKey("paired.permutation", "Paired permutation test", "permutation", HIGHER, "data units", NONE),
    MetricKey("paired.cohens_dz", "Effect size d_z", "d_z", NEUTRAL, "standard deviations", NONE),
    MetricKey("paired.t_power", "Power at the planned minimal important difference", "mid", HIGHER, "probability",
              NONE),
    MetricKey("paired.tost", "Equivalence test (TOST)", "tost", NEUTRAL, "data units", NONE),
    MetricKey("seg.dice_worst_subgroup", "Lowest subgroup mean Dice with synthetic pairs", "dice", HIGHER, "Dice",
              HELD),
    MetricKey("t2i.prompt_fidelity", "Prompt fidelity (mean share recognised as requested)", None, HIGHER, "share",
              NONE),
    MetricKey("t2i.coverage_min_prompt", "Lowest coverage of one prompt", "prdc", HIGHER, "share", HELD),
    MetricKey("t2i.unseen_combination", "Prompts for a never-observed combination", "l1", NEUTRAL, "count", NONE),
    MetricKey("audit.unlabelled_synthetic", "Synthetic files released without a mark", None, LOWER, "count",
              NONE),
    MetricKey("provenance.labelled", "Share of synthetic files that carry a mark", None, HIGHER, "share", NONE),
    MetricKey("reader_study.accuracy", "Reader accuracy (real or synthetic?)", None, NEUTRAL, "share", NONE),
    MetricKey("reporting.worst_cases", "Worst cases shown", None, NEUTRAL, "rows", NONE),
    MetricKey("reporting.subgroups", "Per-subgroup results shown", None, NEUTRAL, "rows", NONE),
    MetricKey("reporting.failures", "Failures shown", None, NEUTRAL, "rows", NONE),
    MetricKey("l1.invented_pixels", "Restored pixels with invented detail", "l1", LOWER, "share", NONE,
              "On {slices} slices of a subject the prior never saw, {value:percent} of restored pixels carry "
              "invented detail above {threshold:number}."),
    MetricKey("l1.posterior_sd", "Spread of posterior samples", "l1", NEUTRAL, "intensity s.d.", NONE,
              "{samples} posterior samples of one input differ by a mean per-pixel s.d. of {value:number}."),
    MetricKey("l2.tail_share", "Synthetic images in the real tails", "l2", NEUTRAL, "share", NONE,
              "{value:percent} of synthetic images fall in the real 10 % tails"),
    MetricKey("lesson.copies_caught_pixel", "Planted copies caught in pixel space", "copy-rate", NEUTRAL, "share",
              TRAIN, "Pixel space flags at least {value:percent} of every planted copy set; feature space misses "
                     "{missed} of {sets} of them."),
)

#: The key table: key -> :class:`MetricKey`.
KEYS: dict[str, MetricKey] = {k.key: k for k in _TABLE}


def metric_key(key: str) -> MetricKey:
    """The declared :class:`MetricKey` of ``key``.

    Parameters
    ----------
    key : str
        A result key such as ``"prdc.coverage"``.

    Returns
    -------
    MetricKey
        Its row of :data:`KEYS`.

    Raises
    ------
    InputError
        When ``key`` is not declared.

    Examples
    --------
    >>> metric_key("frechet").name
    'Fréchet distance'
    """
    try:
        return KEYS[key]
    except KeyError:
        raise InputError(f"undeclared result key {key!r}", path="misyn_lab/metrics/keys.py",
                         remedy="declare the key (name, direction, unit, split, sentence) in KEYS") from None


class _HouseFormatter(string.Formatter):
    """:meth:`str.format` with the house number formats as extra format specs."""

    SPECS = {"percent": fmt_percent, "number": fmt_number, "p": fmt_p,
             "count": lambda v: f"{int(v):,}"}

    def format_field(self, value: Any, format_spec: str) -> str:
        fmt = self.SPECS.get(format_spec)
        return fmt(value) if fmt is not None else super().format_field(value, format_spec)


_FORMATTER = _HouseFormatter()


def interpret(template: str, **numbers: Any) -> str:
    """Fill a reading ``template`` with ``numbers`` in the house number formats.

    Parameters
    ----------
    template : str
        A :meth:`str.format` string; the specs ``percent``, ``number``, ``p`` and ``count`` use
        :mod:`misyn_lab.render.numbers`.
    **numbers
        The values the template names.

    Returns
    -------
    str
        The sentence.

    Raises
    ------
    InputError
        When the template names a number that was not given.

    Examples
    --------
    >>> interpret("p: {p:p}; share {s:percent}", p=0.0004, s=0.004)
    'p: p < 0.001; share 0.4 %'
    """
    try:
        return _FORMATTER.format(template, **numbers)
    except KeyError as exc:
        raise InputError(f"the reading sentence needs the number {exc.args[0]!r}", path="interpret",
                         remedy=f"pass {exc.args[0]}=... to build()/interpret()") from None
