"""Downstream utility (train on synthetic, test on real) and detectability (can a classifier tell them apart?).

TSTR predicts a *task* label (a clinical label such as a diagnosis), named separately from any subgroup column
used to break results down. A sensitive attribute (sex, age, race, ethnicity, ...) is refused as the task: a
classifier that predicts a patient's sex is not downstream utility, and training one on synthetic images is a
privacy and discrimination risk of its own. :func:`check_task` says so unless the caller declares that
predicting that attribute really is the task (``sensitive_task=True``).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from misyn_lab.errors import InputError
from misyn_lab.metrics.knn import as_feature_matrix, check_same_dim
from misyn_lab.metrics.result import MetricResult, build, check_ci_level, percentile_ci
from misyn_lab.render.numbers import fmt_ci, fmt_percent

_MODELS = ("logreg", "rf")

#: Words that mark a column as a sensitive attribute (matched against the column name's words).
SENSITIVE_ATTRIBUTES = ("sex", "gender", "age", "race", "ethnicity", "ethnic", "ancestry", "skin", "religion",
                        "income", "insurance", "disability", "nationality")


def is_sensitive(column: str) -> bool:
    """Whether a column name names a sensitive attribute (e.g. ``sex``, ``patient_age``, ``race/ethnicity``)."""
    words = re.split(r"[^a-z]+", str(column).lower())
    return any(w in SENSITIVE_ATTRIBUTES for w in words if w)


def check_task(task: str | None, *, sensitive_task: bool = False) -> str | None:
    """The TSTR task label column, checked; ``None``/``""`` means no task (TSTR is skipped).

    A sensitive attribute is refused with :class:`InputError` unless ``sensitive_task`` declares that predicting
    it is the task under review.
    """
    if task is None or str(task).strip() == "":
        return None
    task = str(task)
    if is_sensitive(task) and not sensitive_task:
        raise InputError(
            f"the TSTR task {task!r} is a sensitive attribute: a classifier predicting it measures no clinical "
            "utility", path="task",
            remedy=f"name the clinical label column as the task (a subgroup column such as {task!r} breaks results "
                   "down, it is not the target); if predicting it really is the task, declare it with "
                   "sensitive_task=True")
    return task


def make_model(model: str, seed: int) -> Any:
    """A small scikit-learn classifier: ``"logreg"`` (standardised logistic regression) or ``"rf"``."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if model == "logreg":
        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, random_state=seed))
    if model == "rf":
        return RandomForestClassifier(n_estimators=200, random_state=seed, n_jobs=1)
    raise InputError(f"unknown model {model!r}", remedy=f"use one of {', '.join(_MODELS)}")


def _labels(y: Any, n: int, name: str) -> np.ndarray:
    arr = np.asarray(y)
    if arr.ndim != 1 or len(arr) != n:
        raise InputError(
            f"{name} has {arr.size} labels for {n} feature rows",
            remedy=f"pass one label per row in {name}",
        )
    if pd.isna(arr).any():
        raise InputError(f"{name} contains missing labels", remedy=f"drop the unlabelled rows from {name}")
    return arr


@dataclass(frozen=True)
class UtilityResult:
    """TSTR vs TRTR results.

    Attributes
    ----------
    metrics : dict of str to MetricResult
        ``tstr.accuracy``, ``trtr.accuracy``, ``tstr.gap`` (TRTR − TSTR accuracy, with a paired bootstrap CI),
        ``tstr.balanced_accuracy`` and ``trtr.balanced_accuracy``.
    per_group : DataFrame or None
        One row per test subgroup (``group``, ``n``, accuracies and gap) when ``groups`` was given.
    tstr_pred, trtr_pred : ndarray
        Predictions on the real test set of the classifier trained on synthetic and on real images.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 20)
    >>> x = rng.normal(size=(40, 2)) + y[:, None] * 2.0
    >>> res = tstr(x, y, x, y, x, y, groups=np.tile(["a", "b"], 20), bootstrap=0)
    >>> sorted(res.metrics)[:2], list(res.per_group["group"])
    (['trtr.accuracy', 'trtr.balanced_accuracy'], ['a', 'b'])
    """

    metrics: dict[str, MetricResult]
    per_group: pd.DataFrame | None
    tstr_pred: np.ndarray
    trtr_pred: np.ndarray

    def __getitem__(self, key: str) -> MetricResult:
        return self.metrics[key]


def _tstr_inputs(real_train_X: Any, real_train_y: Any, syn_X: Any, syn_y: Any, real_test_X: Any,
                 real_test_y: Any) -> tuple[np.ndarray, ...]:
    """The checked TSTR matrices and labels ``(xr, yr, xs, ys, xt, yt)``; both training sets need two classes."""
    xr = as_feature_matrix(real_train_X, "real_train_X")
    xs = as_feature_matrix(syn_X, "syn_X")
    xt = as_feature_matrix(real_test_X, "real_test_X")
    check_same_dim(xr, xs, "real_train_X", "syn_X")
    check_same_dim(xr, xt, "real_train_X", "real_test_X")
    yr = _labels(real_train_y, len(xr), "real_train_y")
    ys = _labels(syn_y, len(xs), "syn_y")
    yt = _labels(real_test_y, len(xt), "real_test_y")
    for name, y in (("real_train_y", yr), ("syn_y", ys)):
        if len(np.unique(y)) < 2:
            raise InputError(
                f"{name} has a single class ({np.unique(y)[0]!r}); a classifier needs at least two",
                remedy=f"include samples of every class in {name} (for synthetic data: sample each condition)",
            )
    return xr, yr, xs, ys, xt, yt


def _per_group(g: np.ndarray, ok_s: np.ndarray, ok_r: np.ndarray) -> pd.DataFrame:
    """TSTR and TRTR accuracy per test subgroup, the largest gap first."""
    rows = []
    for value in pd.unique(g):
        m = g == value
        rows.append({"group": value, "n": int(m.sum()), "tstr_accuracy": float(ok_s[m].mean()),
                     "trtr_accuracy": float(ok_r[m].mean()), "gap": float(ok_r[m].mean() - ok_s[m].mean())})
    return pd.DataFrame(rows).sort_values("gap", ascending=False, kind="stable").reset_index(drop=True)


def tstr(
    real_train_X: np.ndarray,
    real_train_y: Any,
    syn_X: np.ndarray,
    syn_y: Any,
    real_test_X: np.ndarray,
    real_test_y: Any,
    *,
    groups: Any = None,
    model: str = "logreg",
    seed: int = 0,
    bootstrap: int = 500,
    ci_level: float = 0.95,
) -> UtilityResult:
    """Train-on-synthetic-test-on-real vs train-on-real-test-on-real with the same model and test set.

    Parameters
    ----------
    real_train_X, real_train_y, syn_X, syn_y, real_test_X, real_test_y : array-like
        Features and task labels of the real training images (two classes at least), of the synthetic images
        (their requested labels) and of the held-out real test images.
    groups : array-like, optional
        Subgroup labels of the *test* rows, for a per-group breakdown.
    model : str
        ``"logreg"`` or ``"rf"`` (:func:`make_model`).
    seed, bootstrap, ci_level : int, int, float
        Model seed, resamples of the gap's CI (0 = none; paired: both models scored on each resample of the
        test set) and its level.

    Returns
    -------
    UtilityResult
        ``tstr.*`` and ``trtr.*`` results, the per-group table and both models' predictions.

    Raises
    ------
    InputError
        For mismatched shapes, missing labels or a training set with one class.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 30); x = rng.normal(size=(60, 2)) + y[:, None] * 2.0
    >>> res = tstr(x, y, x + rng.normal(0, 0.1, x.shape), y, x[::-1], y[::-1], bootstrap=0)
    >>> res["tstr.accuracy"].value, res["tstr.gap"].direction
    (0.9, 'lower_is_better')
    """
    from sklearn.metrics import balanced_accuracy_score

    check_ci_level(ci_level)
    xr, yr, xs, ys, xt, yt = _tstr_inputs(real_train_X, real_train_y, syn_X, syn_y, real_test_X, real_test_y)
    g = None if groups is None else _labels(groups, len(xt), "groups")
    pred_s = make_model(model, seed).fit(xs, ys).predict(xt)
    pred_r = make_model(model, seed).fit(xr, yr).predict(xt)
    ok_s = pred_s == yt
    ok_r = pred_r == yt
    acc_s, acc_r = float(ok_s.mean()), float(ok_r.mean())
    bal_s = float(balanced_accuracy_score(yt, pred_s))
    bal_r = float(balanced_accuracy_score(yt, pred_r))
    gap = acc_r - acc_s
    ci = None
    if bootstrap:
        rng = np.random.default_rng(seed)
        idx = rng.integers(0, len(yt), (int(bootstrap), len(yt)))
        gaps = ok_r[idx].mean(axis=1) - ok_s[idx].mean(axis=1)
        ci = percentile_ci(gaps, ci_level)
    n = {"real_train": len(xr), "synthetic": len(xs), "real_test": len(xt)}
    details = {"model": model, "seed": seed}
    values = {"tstr.accuracy": acc_s, "trtr.accuracy": acc_r, "tstr.balanced_accuracy": bal_s,
              "trtr.balanced_accuracy": bal_r}
    metrics = {key: build(key, v, n=n, details=details, model=model) for key, v in values.items()}
    metrics["tstr.gap"] = build("tstr.gap", gap, n=n, ci=ci, ci_level=ci_level,
                                details={**details, "definition": "trtr.accuracy - tstr.accuracy"},
                                change=("+" if gap <= 0 else "-") + fmt_percent(abs(gap)))
    per_group = None if g is None else _per_group(g, ok_s, ok_r)
    if per_group is not None:
        worst = per_group.iloc[0]
        metrics["tstr.gap"].details["worst_group"] = {
            "group": worst["group"].item() if isinstance(worst["group"], np.generic) else worst["group"],
            "gap": float(worst["gap"]),
            "n": int(worst["n"]),
        }
    return UtilityResult(metrics=metrics, per_group=per_group, tstr_pred=pred_s, trtr_pred=pred_r)


def _auc_statistic(p_real: np.ndarray, p_syn: np.ndarray, axis: int = -1) -> np.ndarray:
    """ROC AUC as the Mann-Whitney U of synthetic over real scores, divided by n_real * n_syn."""
    from scipy.stats import mannwhitneyu

    u = mannwhitneyu(p_syn, p_real, axis=axis).statistic
    return u / (p_real.shape[axis] * p_syn.shape[axis])


def auc_ci(p_real: np.ndarray, p_syn: np.ndarray, *, n_boot: int = 1000, ci_level: float = 0.95,
           seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap CI of the AUC, resampling real and synthetic scores separately (stratified;
    ``scipy.stats.bootstrap``). The scores are out-of-fold predictions, treated as independent."""
    from scipy import stats

    a, b = np.asarray(p_real, float), np.asarray(p_syn, float)
    if np.ptp(np.r_[a, b]) == 0:
        value = float(_auc_statistic(a, b))
        return value, value
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=stats.DegenerateDataWarning)
        res = stats.bootstrap((a, b), _auc_statistic, n_resamples=int(n_boot), confidence_level=ci_level,
                              method="percentile", vectorized=True, rng=np.random.default_rng(seed))
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def detection_auc(
    real: np.ndarray, synthetic: np.ndarray, seed: int = 0, *, model: str = "logreg", folds: int = 5,
    n_boot: int = 1000, ci_level: float = 0.95,
) -> MetricResult:
    """Cross-validated ROC AUC of a classifier telling real (0) from synthetic (1) samples, with a CI.

    0.5 means indistinguishable to this classifier, 1 perfectly separable. The classes are balanced by
    subsampling the larger set so the AUC is not driven by class imbalance. The CI (:func:`auc_ci`) is a
    stratified percentile bootstrap of the out-of-fold scores (``n_boot`` resamples; 0 = no CI).

    Parameters
    ----------
    real, synthetic : ndarray
        Feature matrices of the same width (at least ``folds`` rows each).
    seed : int
        Seed of the subsample, the folds, the model and the bootstrap.
    model : str
        ``"logreg"`` or ``"rf"``.
    folds : int
        Cross-validation folds.
    n_boot, ci_level : int, float
        Bootstrap resamples of the CI (0 = none) and its level.

    Returns
    -------
    MetricResult
        ``detection.auc`` (lower is better: 0.5 = cannot tell).

    Raises
    ------
    InputError
        For too few rows, different widths or a bad level.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> res = detection_auc(rng.normal(size=(20, 2)), rng.normal(3.0, 1.0, size=(20, 2)), n_boot=0)
    >>> round(res.value, 2), res.interpretation[:50]
    (1.0, 'A logreg classifier tells real from synthetic with')
    """
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    r = as_feature_matrix(real, "real")
    s = as_feature_matrix(synthetic, "synthetic")
    check_same_dim(r, s, "real", "synthetic")
    if min(len(r), len(s)) < folds:
        raise InputError(
            f"detection needs at least {folds} samples per set (real {len(r)}, synthetic {len(s)})",
            remedy="pass more samples or fewer folds",
        )
    rng = np.random.default_rng(seed)
    n = min(len(r), len(s))
    r_use = r[rng.choice(len(r), n, replace=False)] if len(r) > n else r
    s_use = s[rng.choice(len(s), n, replace=False)] if len(s) > n else s
    x = np.vstack([r_use, s_use])
    y = np.r_[np.zeros(n, dtype=int), np.ones(n, dtype=int)]
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    proba = cross_val_predict(make_model(model, seed), x, y, cv=cv, method="predict_proba")[:, 1]
    auc = float(roc_auc_score(y, proba))
    check_ci_level(ci_level)
    ci = auc_ci(proba[:n], proba[n:], n_boot=n_boot, ci_level=ci_level, seed=seed) if n_boot else None
    ci_text = "" if ci is None else ", " + fmt_ci(ci, ci_level)
    return build("detection.auc", auc, n={"real": n, "synthetic": n}, ci=ci, ci_level=ci_level, model=model,
                 ci_text=ci_text, n_each=n,
                 details={"model": model, "folds": folds, "seed": seed, "balanced_by_subsampling": len(r) != len(s),
                          "n_boot": int(n_boot), "ci_method": "stratified percentile bootstrap of out-of-fold scores"})
