"""Measured results as a document (render blocks): one row per result with a name in words that says which
features it was measured on, its value, CI, p, split and n in the one number format, and its full
interpretation; an evaluation with its protocol and per-subgroup table.

Results are read by their attributes (``key``, ``value``, ``ci``, ``p_text``, ``split``, ``n``, ``details``,
``interpretation``), so :class:`~misyn_lab.metrics.result.MetricResult` and
:class:`~misyn_lab.metrics.evidence.Evaluation` can show themselves in a notebook through this module without an
import cycle. Nothing here writes HTML: :mod:`misyn_lab.render` does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from misyn_lab import render as r
from misyn_lab.metrics.keys import KEYS

__all__ = ["FEATURE_WORDS", "ResultsTable", "evaluation_bottom_line", "evaluation_section",
           "metric_label", "n_text", "results_block", "subgroup_table"]

#: Feature sets in words (results measured in feature space say on which features).
FEATURE_WORDS = {"intensity+texture+embedding": "intensity, texture and PCA-embedding features",
                 "intensity": "intensity features", "texture": "texture features",
                 "embedding": "PCA-embedding features"}
#: Result families measured in feature space (named with their features when the caller says which).
FEATURE_SPACE = ("prdc.", "frechet", "mmd.", "ks.", "detection.", "memorisation.copy_rate",
                 "memorisation.train_copied_rate", "memorisation.identifiability", "memorisation.sdmetrics_score",
                 "subgroup.", "tstr.", "trtr.")


def _features(result: Any, features: str | None) -> str:
    given = (result.details or {}).get("feature_set") or (features if result.key.startswith(FEATURE_SPACE) else None)
    if not given:
        return ""
    return FEATURE_WORDS.get(str(given), f"{given} features")


def metric_label(result: Any, *, features: str | None = None) -> list[Any]:
    """The result's name in words (its glossary term linked), the features it was measured on (from its
    ``details["feature_set"]``, else ``features`` for a feature-space result), and its key as code.

    Parameters
    ----------
    result : MetricResult
        A result (read by its ``key`` and ``details``).
    features : str, optional
        The feature set of a feature-space result without ``details["feature_set"]``.

    Returns
    -------
    list
        Inline render content.

    Examples
    --------
    >>> from misyn_lab.metrics.result import build
    >>> label = metric_label(build("frechet", 2.0, n={"real": 3}, interpretation=""), features="texture")
    >>> label[1:3]
    [', on texture features', ' ']
    """
    row = KEYS.get(result.key)
    name, term = (row.name, row.term) if row else (result.key.replace("_", " ").replace(".", ": "), None)
    label: list[Any] = [r.term(term, name) if term else name]
    on = _features(result, features)
    if on:
        label.append(f", on {on}")
    label += [" ", r.code(result.key)]
    return label


#: Sample-size keys in words.
N_WORDS = {"train": "training", "holdout": "held-out", "real_train": "real training", "real_test": "real test"}


def n_text(n: Mapping[str, int]) -> str:
    """Sample sizes in words: ``52 real, 60 synthetic``; ``122 training, 52 held-out``.

    Parameters
    ----------
    n : mapping of str to int
        Sample sizes of a result.

    Returns
    -------
    str

    Examples
    --------
    >>> n_text({"train": 1220, "holdout": 52})
    '1,220 training, 52 held-out'
    """
    return ", ".join(f"{int(v):,} {N_WORDS.get(k, k.replace('_', ' '))}" for k, v in n.items())


def results_block(results: Mapping[str, Any] | Iterable[Any], *, caption: str = "",
                  features: str | None = None) -> r.Table:
    """Measured results as one table: measure (in words, with its features), value, CI, p, split, n and the full
    interpretation.

    Parameters
    ----------
    results : mapping or iterable of MetricResult
        The results.
    caption : str
        Table caption (default: what the columns are).
    features : str, optional
        Feature set of feature-space results (see :func:`metric_label`).

    Returns
    -------
    misyn_lab.render.Table

    Examples
    --------
    >>> from misyn_lab.metrics.result import build
    >>> results_block([build("frechet", 2.0, n={"real": 3, "synthetic": 4}, interpretation="")]).rows[0][1:6]
    [2.0, '', '', '', '3 real, 4 synthetic']
    """
    items = list(results.values()) if isinstance(results, Mapping) else list(results)
    rows = [[metric_label(x, features=features), float(x.value),
             r.fmt_ci(x.ci, x.ci_level or 0.95) if x.ci is not None else "",
             x.p_text if x.p_value is not None else "", x.split or "", n_text(x.n), x.interpretation]
            for x in items]
    return r.Table(["Measure", "Value", "CI", "p", "Measured against", "n", "Reading"], rows,
                   caption=caption or "Measured results (value, confidence interval, p-value, split and n)",
                   empty="nothing measured")


#: Columns of the per-subgroup table, in words.
SUBGROUP_COLUMNS = {"subgroup": "Subgroup", "n_real": "Real images", "n_syn": "Synthetic images",
                    "share_real": "Share of real", "share_syn": "Share of synthetic",
                    "representation_ratio": "Representation ratio", "precision": "Precision", "recall": "Recall",
                    "coverage": "Coverage", "distance": "Distance", "note": "Note"}


def subgroup_table(by_subgroup: Any, column: str | None, *, caption: str = "") -> r.Table:
    """The per-subgroup results of an evaluation (the ``by_group`` frame of a
    :class:`~misyn_lab.metrics.subgroups.SubgroupFrame`, one row per value of ``column``), columns in words.

    Parameters
    ----------
    by_subgroup : DataFrame
        The ``by_group`` frame.
    column : str or None
        The subgroup column, named in the caption.
    caption : str
        Table caption (default: what the table shows).

    Returns
    -------
    misyn_lab.render.Table

    Examples
    --------
    >>> import pandas as pd
    >>> table = subgroup_table(pd.DataFrame({"subgroup": ["F"], "n_real": [3], "coverage": [0.5]}), "sex")
    >>> table.caption[:22]
    'Per subgroup of sex: s'
    """
    cols = {c: h for c, h in SUBGROUP_COLUMNS.items() if c in by_subgroup.columns}
    metric = by_subgroup["distance_metric"].iloc[0] if "distance_metric" in by_subgroup and len(by_subgroup) else ""
    if metric and "distance" in cols:
        cols["distance"] = f"Distance ({ {'frechet': 'Fréchet'}.get(str(metric), str(metric)) })"
    return r.Table.from_frame(by_subgroup, columns=cols, empty="no subgroups",
                              caption=caption or f"Per subgroup of {column}: shares, representation (1 = same share "
                                                 "as in the real images), fidelity and coverage")


def evaluation_section(evaluation: Any, *, title: str = "Measured results", id: str = "",
                       features: str | None = None) -> r.Section:
    """An evaluation (:class:`~misyn_lab.metrics.evidence.Evaluation`): the protocol (split and n), its notes, all
    results, and the per-subgroup table when a subgroup was given.

    Parameters
    ----------
    evaluation : Evaluation
        What :func:`misyn_lab.metrics.evaluate_imagesets` measured.
    title, id : str
        Section title and anchor.
    features : str, optional
        Feature set of feature-space results.

    Returns
    -------
    misyn_lab.render.Section

    Examples
    --------
    >>> import pandas as pd
    >>> from misyn_lab.metrics.evidence import Evaluation
    >>> ev = Evaluation(results={}, subgroups=None, memorisation=None, utility=None, feature_shift=pd.DataFrame(),
    ...                 notes=["no task label given"])
    >>> [type(b).__name__ for b in evaluation_section(ev).blocks]
    ['BulletList', 'Table']
    """
    blocks: list[r.Block] = []
    if evaluation.protocol_text():
        blocks.append(r.Paragraph(evaluation.protocol_text()))
    if evaluation.notes:
        blocks.append(r.BulletList([n[:1].upper() + n[1:] + ("" if n.endswith(".") else ".")
                                    for n in evaluation.notes]))
    blocks.append(results_block(evaluation.results, features=features))
    column = (evaluation.protocol or {}).get("subgroup")
    if column and evaluation.subgroups is not None and len(evaluation.subgroups):
        blocks.append(subgroup_table(evaluation.subgroups.by_group, column))
    return r.Section(title, blocks, id=id)


def evaluation_bottom_line(results: Mapping[str, Any], protocol: Mapping[str, Any]) -> str:
    """One sentence, generated from the numbers of an evaluation: fidelity and coverage against the held-out real
    images (with their n), how well a classifier tells the sets apart, the copy check's verdict against its
    negative control, and the worst-covered subgroup.

    Parameters
    ----------
    results : mapping of str to MetricResult
        The evaluation's results.
    protocol : mapping
        Its protocol (``n_train``, ``n_holdout``, ``n_synthetic``).

    Returns
    -------
    str

    Examples
    --------
    >>> from misyn_lab.metrics.result import build
    >>> auc = build("detection.auc", 0.97, n={"real": 50, "synthetic": 50}, model="logreg", ci_text="", n_each=50)
    >>> line = evaluation_bottom_line({"detection.auc": auc}, {"n_train": 100, "n_holdout": 50, "n_synthetic": 50})
    >>> line.split("; ")  # doctest: +NORMALIZE_WHITESPACE
    ['Bottom line: against 50 held-out real images, the 50 synthetic images',
     'a classifier almost always tells them from real images (detection AUC 0.970, 0.5 = cannot).']
    """
    held = int(protocol.get("n_holdout", 0))
    against = ("held-out real images" if protocol.get("n_train") else "real images (no training set named)")
    parts = [f"Bottom line: against {held:,} {against}, the {int(protocol.get('n_synthetic', 0)):,} synthetic images"]
    pr, cov = results.get("prdc.precision"), results.get("prdc.coverage")
    if pr is not None and cov is not None:
        parts.append(f" reach precision {r.fmt_number(pr.value)} (share that looks like real images) and coverage "
                     f"{r.fmt_number(cov.value)} (share of real images they reach; both 1 at best)")
    auc = results.get("detection.auc")
    if auc is not None:
        told = ("almost always tells" if auc.value >= 0.9 else "often tells" if auc.value >= 0.7
                else "barely tells" if auc.value > 0.55 else "cannot tell")
        parts.append(f"; a classifier {told} them from real images (detection AUC {r.fmt_number(auc.value)}, "
                     "0.5 = cannot)")
    copies = results.get("memorisation.pixel_copy_rate") or results.get("memorisation.copy_rate")
    if copies is not None:
        verdict = (copies.details or {}).get("verdict")
        alarm = (copies.details or {}).get("false_alarm_rate")
        against_control = "" if alarm is None else f" vs {r.fmt_percent(alarm)} of real images the generator never saw"
        words = ("copies of training images found" if verdict == "copies" else
                 "copies of training images not shown beyond the false-alarm rate (inconclusive)")
        parts.append(f"; {words}: {r.fmt_percent(copies.value)} flagged{against_control}")
    sub = results.get("subgroup.coverage_min")
    if sub is not None:
        d = sub.details or {}
        parts.append(f"; worst-covered {d.get('column', 'subgroup')} subgroup: {d.get('worst_subgroup')} "
                     f"(coverage {r.fmt_number(sub.value)})")
    return "".join(parts) + "."


class ResultsTable:
    """Measured results for a notebook: shows itself as the results document (``_repr_html_``) and keeps the
    plain table (:func:`misyn_lab.metrics.result.results_table`) as ``frame`` for saving.

    Examples
    --------
    >>> from misyn_lab.metrics.result import build
    >>> table = ResultsTable([build("frechet", 2.0, n={"real": 3, "synthetic": 4}, interpretation="")])
    >>> table, "<table" in table._repr_html_()
    (ResultsTable(1 results), True)
    """

    def __init__(self, results: Mapping[str, Any] | Iterable[Any], frame: Any = None, *, caption: str = "",
                 features: str | None = None) -> None:
        self.results = list(results.values()) if isinstance(results, Mapping) else list(results)
        self.frame = frame
        self.block = results_block(self.results, caption=caption, features=features)

    def _repr_html_(self) -> str:
        return r.to_html(self.block)

    def __repr__(self) -> str:
        return f"ResultsTable({len(self.results)} results)"
