"""`MetricResult`: the small typed result every metric returns, citable as checklist evidence."""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from misyn_lab.errors import InputError
from misyn_lab.metrics.document import results_block
from misyn_lab.metrics.keys import interpret, metric_key
from misyn_lab.plain import to_plain as _clean
from misyn_lab.render import to_html
from misyn_lab.render.numbers import fmt_p

if TYPE_CHECKING:
    import pandas as pd


def check_ci_level(ci_level: object) -> float:
    """Return ``ci_level`` as a float after checking it is a number strictly between 0 and 1.

    Raises :class:`~misyn_lab.errors.InputError` otherwise (e.g. ``95`` meant as a percentage).
    """
    ok = isinstance(ci_level, numbers.Real) and not isinstance(ci_level, bool)
    if not ok or not 0 < float(ci_level) < 1:  # type: ignore[arg-type]
        raise InputError(f"ci_level must be between 0 and 1, got {ci_level!r}", path="ci_level",
                         remedy="pass e.g. 0.95 (a fraction, not a percentage)")
    return float(ci_level)  # type: ignore[arg-type]


def percentile_ci(samples: Any, level: float) -> tuple[float, float]:
    """Equal-tailed percentile interval ``(low, high)`` of bootstrap/permutation ``samples`` at ``level``."""
    alpha = (1 - level) / 2
    return float(np.quantile(samples, alpha)), float(np.quantile(samples, 1 - alpha))


#: Columns of :func:`results_table`, in order. ``split`` names the real images a result was measured against
#: and ``n_real`` is their number; ``p`` is the p-value as a phrase (:func:`format_p`, permutation floors said).
TABLE_COLUMNS = ("key", "value", "ci_low", "ci_high", "p_value", "p", "split", "n_real", "n_synthetic",
                 "interpretation")

#: Split names a :class:`MetricResult` records in ``split`` (the one place the evaluation protocol is written).
#: Fidelity, coverage, distances and detection are measured against held-out real images; memorisation against
#: the training images (held-out real as the negative control); without a named training set every real image
#: is held-out, and memorisation compares against all of them.
SPLIT_HELDOUT = "held-out"
SPLIT_TRAINING = "training"
SPLIT_ALL_REAL = "all real (no training set named)"
SPLITS = (SPLIT_HELDOUT, SPLIT_TRAINING, SPLIT_ALL_REAL)


def format_p(p: float | None, *, resamples: int | None = None, tails: int = 1) -> str:
    """A p-value as a phrase, through the one number format of every document
    (:func:`misyn_lab.render.numbers.fmt_p`): ``"p = 0.0532"``, ``"p < 0.001"``, ``"p not reported"``.

    With ``resamples`` (the B of a Monte Carlo permutation test, whose p is at least ``tails/(B+1)``: 1/(B+1)
    one-sided, 2/(B+1) two-sided), a p at that floor says so — ``"p ≤ 0.00498 (the smallest value 200
    permutations can give)"`` — instead of printing ``0.004975`` as if the test could resolve it.
    """
    floor = tails / (int(resamples) + 1) if resamples else None
    return fmt_p(p, floor=floor, resamples=resamples)


def p_resamples(details: Mapping[str, Any]) -> tuple[int | None, int]:
    """``(B, tails)`` of the Monte Carlo test behind a result's p-value, read from its ``details``
    (``permutations`` of an MMD test, ``n_resamples`` of a non-exact permutation test; two tails when
    ``alternative`` is ``"two-sided"``); ``(None, 1)`` otherwise."""
    if details.get("exact"):
        return None, 1
    tails = 2 if details.get("alternative") == "two-sided" else 1
    for key in ("permutations", "n_resamples"):
        value = details.get(key)
        if isinstance(value, numbers.Integral) and not isinstance(value, bool) and value > 0:
            return int(value), tails
    return None, 1


@dataclass(frozen=True)
class MetricResult:
    """One measured fact.

    Attributes
    ----------
    key:
        Stable metric key (e.g. ``"prdc.coverage"``, ``"mmd.rbf"``); checklist items name these keys.
    value:
        The point estimate.
    n:
        Sample sizes used, e.g. ``{"real": 500, "synthetic": 500}``.
    ci:
        ``(low, high)`` confidence interval or ``None``.
    ci_level:
        Confidence level of ``ci`` (e.g. 0.95).
    p_value:
        p-value of the test behind the value, or ``None``.
    direction:
        ``"higher_is_better"``, ``"lower_is_better"`` or ``"neutral"``.
    interpretation:
        One plain-language sentence a reviewer can paste as justification.
    details:
        Extra JSON-serialisable values (per-feature tables, thresholds, feature set name ...).
    split:
        Which real images the result was measured against (:data:`SPLITS`: ``"held-out"``, ``"training"``,
        ``"all real (no training set named)"``), ``""`` when no real split is involved (e.g. a paired test).

    Examples
    --------
    >>> r = MetricResult("mmd.rbf", 0.0123, {"real": 40, "synthetic": 40}, p_value=0.004975,
    ...                  details={"permutations": 200}, split="held-out")
    >>> str(r)
    'mmd.rbf = 0.0123 (p ≤ 0.00498 (the smallest value 200 permutations can give)) [held-out]'
    >>> MetricResult.from_dict(r.to_dict()) == r
    True
    """

    key: str
    value: float
    n: dict[str, int]
    ci: tuple[float, float] | None = None
    ci_level: float | None = None
    p_value: float | None = None
    direction: str = "neutral"
    interpretation: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    split: str = ""

    @property
    def p_text(self) -> str:
        """The p-value as a phrase (:func:`format_p`; a permutation p at its floor is said to be at the floor)."""
        resamples, tails = p_resamples(self.details)
        return format_p(self.p_value, resamples=resamples, tails=tails)

    def with_split(self, split: str, n_real: int | None = None) -> "MetricResult":
        """A copy recording the real split it was measured against (and, if given, its size as ``n["real"]``)."""
        if split not in SPLITS:
            raise InputError(f"unknown split {split!r}", path="MetricResult.split", remedy=f"use one of {SPLITS}")
        n = dict(self.n)
        if n_real is not None:
            n["real"] = int(n_real)
        return replace(self, split=split, n=n)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON/YAML-safe dict (NaN becomes None), e.g. to store as evidence in a Review."""
        out = asdict(self)
        out["value"] = _clean(self.value)
        out["ci"] = None if self.ci is None else [_clean(self.ci[0]), _clean(self.ci[1])]
        out["p_value"] = _clean(self.p_value)
        out["details"] = _clean(self.details)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "MetricResult":
        ci = data.get("ci")
        return cls(
            key=str(data["key"]),
            value=float("nan") if data.get("value") is None else float(data["value"]),
            n={str(k): int(v) for k, v in (data.get("n") or {}).items()},
            ci=None if ci is None else (float(ci[0]), float(ci[1])),
            ci_level=data.get("ci_level"),
            p_value=data.get("p_value"),
            direction=data.get("direction", "neutral"),
            interpretation=data.get("interpretation", ""),
            details=dict(data.get("details") or {}),
            split=str(data.get("split") or ""),
        )

    def _repr_html_(self) -> str:
        return to_html(results_block([self]))

    def __str__(self) -> str:
        text = f"{self.key} = {self.value:.4g}"
        if self.ci is not None:
            text += f" [{self.ci[0]:.4g}, {self.ci[1]:.4g}]"
        if self.p_value is not None:
            text += f" ({self.p_text})"
        if self.split:
            text += f" [{self.split}]"
        return text


def build(key: str, value: float, *, n: Mapping[str, int], ci: tuple[float, float] | None = None,
          ci_level: float | None = None, p_value: float | None = None, split: str = "",
          details: Mapping[str, Any] | None = None, interpretation: str | None = None,
          **numbers: Any) -> MetricResult:
    """The one way to turn measured numbers into a :class:`MetricResult`.

    The key's direction comes from its row of :data:`misyn_lab.metrics.keys.KEYS`, and so does its reading
    sentence: the row's template filled with ``value`` and ``numbers`` in the house number formats
    (:func:`misyn_lab.metrics.keys.interpret`), unless the caller gives the finished ``interpretation``.

    Parameters
    ----------
    key : str
        A declared result key.
    value : float
        The point estimate.
    n : mapping of str to int
        Sample sizes, e.g. ``{"real": 52, "synthetic": 60}``.
    ci : (float, float), optional
        Confidence interval; ``ci_level`` is kept only with it.
    ci_level : float, optional
        Level of ``ci`` (e.g. 0.95).
    p_value : float, optional
        p-value of the test behind the value.
    split : str
        The real images it was measured against (one of :data:`SPLITS`), ``""`` when none.
    details : mapping, optional
        Extra JSON-serialisable values.
    interpretation : str, optional
        The reading sentence, when the key has no template or the caller composes it.
    **numbers
        The numbers the key's template names besides ``value``.

    Returns
    -------
    MetricResult

    Raises
    ------
    InputError
        For an undeclared key, an unknown split, or a template number not given.

    Examples
    --------
    >>> r = build("prdc.coverage", 0.5, n={"real": 10, "synthetic": 12}, split="held-out", k=5)
    >>> r.direction, r.split, r.interpretation[:55]
    ('higher_is_better', 'held-out', '50 % of real samples have a synthetic sample inside the')
    """
    row = metric_key(key)
    if split and split not in SPLITS:
        raise InputError(f"unknown split {split!r}", path=f"{key}.split", remedy=f"use one of {SPLITS} or ''")
    if interpretation is None:
        interpretation = interpret(row.template, value=value, **numbers) if row.template else ""
    return MetricResult(key=key, value=float(value), n={str(k): int(v) for k, v in n.items()},
                        ci=None if ci is None else (float(ci[0]), float(ci[1])),
                        ci_level=None if ci is None else ci_level, p_value=None if p_value is None else float(p_value),
                        direction=row.direction, interpretation=interpretation, details=dict(details or {}),
                        split=split)


def _n_real(n: Mapping[str, int]) -> int:
    """Real images behind a result, whatever the metric calls them (real / train / holdout / real_train)."""
    for key in ("real", "train", "holdout", "real_train", "real_test"):
        if key in n:
            return int(n[key])
    return 0


def results_table(results: Mapping[str, MetricResult] | Iterable[MetricResult]) -> "pd.DataFrame":
    """One row per result with columns :data:`TABLE_COLUMNS` (NaN where a result has no CI or p-value).

    Raises :class:`~misyn_lab.errors.InputError` when an item is not a :class:`MetricResult`.

    Parameters
    ----------
    results : mapping or iterable of MetricResult
        The results, e.g. ``Evaluation.results``.

    Returns
    -------
    DataFrame
        One row per result, columns :data:`TABLE_COLUMNS`.

    Examples
    --------
    >>> r = build("ks.max", 0.4, n={"real": 10, "synthetic": 12}, p_value=0.02, feature="mean", smd=0.5)
    >>> results_table([r])[["key", "value", "p", "n_real", "n_synthetic"]].to_dict("records")
    [{'key': 'ks.max', 'value': 0.4, 'p': 'p = 0.0200', 'n_real': 10, 'n_synthetic': 12}]
    """
    items = list(results.values()) if isinstance(results, Mapping) else list(results)
    rows = []
    for r in items:
        if not isinstance(r, MetricResult):
            raise InputError(f"expected MetricResult objects, got {type(r).__name__}", path="results_table",
                             remedy="pass the MetricResults a metric returned (or MetricResult.from_dict(d))")
        rows.append({
            "key": r.key, "value": float(r.value),
            "ci_low": float("nan") if r.ci is None else float(r.ci[0]),
            "ci_high": float("nan") if r.ci is None else float(r.ci[1]),
            "p_value": float("nan") if r.p_value is None else float(r.p_value),
            "p": "" if r.p_value is None else r.p_text, "split": r.split,
            "n_real": _n_real(r.n), "n_synthetic": int(r.n.get("synthetic", 0)),
            "interpretation": r.interpretation,
        })
    import pandas as pd  # here, not at import: results are built where pandas is never needed (audit workers)

    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))


