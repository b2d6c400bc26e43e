"""How far reviewers agree with each other and with an answer key: pure functions on Reviews.

Used for class mode (every student is a reviewer of the same fictional vignettes) and for the vignette
feedback of notebooks 02-06. Nothing here reads or writes files.

How the answers enter the statistics
------------------------------------
* **Categories.** The five answer statuses ``yes, partly, no, not_applicable, unknown`` are nominal categories.
  *N/A* and *Unknown* are deliberate judgements that must carry a reason, so each is a category of its own: a
  student's N/A where the key says *no* is a disagreement.
* **Unanswered is missing data**, never a category (no answer, or status ``unanswered``): two students who both
  skipped an item have not agreed on anything.
* **Fleiss' kappa** (:func:`statsmodels.stats.inter_rater.fleiss_kappa` on
  :func:`~statsmodels.stats.inter_rater.aggregate_raters` counts) needs every item rated by the same raters. For a
  set of items (one stage, or every analysed item) it therefore uses the students who answered *every* item of
  that set (complete cases); the others are listed as excluded. It needs at least two such students. Its 95 %
  interval is a percentile bootstrap over items (:func:`scipy.stats.bootstrap`; students fixed).
* **Cohen's kappa** of a student against the key (:func:`sklearn.metrics.cohen_kappa_score`, ``labels`` = the
  five categories) uses the items both answered; ``n_items`` says how many. It is undefined (NaN) when the key
  and the student each used one and the same category only.
* **Distance from the key**: the share of those items where the student's status differs from the key's.
* **Per item**: answer counts (and the number unanswered), the share giving the modal answer, the pairwise
  agreement (share of pairs of answering students who gave the same status: the per-item term of Fleiss'
  kappa) and, with a key, the share agreeing with the key.

Comparing one reviewer with the key (:func:`compare_to_key`) sorts every item into one of
:data:`OUTCOMES`, in this order of precedence: ``unanswered``; ``agreed`` (same status); ``missed_gap`` (the
key sees a gap, i.e. no/partly/unknown, and the reviewer said yes); ``not_applicable`` (one side says N/A, the
other does not); ``extra_flag`` (the key says yes and the reviewer flagged a gap); ``unknown`` (both see a gap
but one says it cannot be judged); ``degree`` (both see a gap, one says *no* and the other *partly*).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from misyn_lab.checklist.loader import STAGES
from misyn_lab.errors import InputError

if TYPE_CHECKING:
    from misyn_lab.checklist.review import Review

#: Answer categories of the kappas (``unanswered`` is missing data, not a category).
CATEGORIES: tuple[str, ...] = ("yes", "partly", "no", "not_applicable", "unknown")
#: Statuses by which the key says an item is a gap.
KEY_GAPS: frozenset[str] = frozenset({"no", "partly", "unknown"})
#: Outcomes of comparing one reviewer's answer with the key's, in order of precedence.
OUTCOMES: tuple[str, ...] = ("agreed", "missed_gap", "extra_flag", "not_applicable", "unknown", "degree",
                             "unanswered")


# ---------------------------------------------------------------------- reading statuses
def statuses_of(review: Review, reviewer: str, items: Iterable[str]) -> dict[str, str | None]:
    """``{item: status}`` of one reviewer; ``None`` where the item is unanswered."""
    out: dict[str, str | None] = {}
    for item in items:
        answer = review.answers.get(item, {}).get(reviewer)
        status = None if answer is None else answer.status
        out[item] = status if status in CATEGORIES else None
    return out


def answering_reviewers(review: Review) -> list[str]:
    """Reviewers with at least one answer in a category (in the review's order)."""
    given = {r for per in review.answers.values() for r, a in per.items() if a.status in CATEGORIES}
    return [r for r in review.reviewers if r in given] + sorted(given - set(review.reviewers))


def key_reviewer(key: Review) -> str:
    """The one reviewer whose answers form the key; an :class:`InputError` when there are none or several."""
    names = answering_reviewers(key)
    if len(names) != 1:
        raise InputError(f"an answer key holds exactly one reviewer's answers, this one has {len(names)}"
                         + (f" ({', '.join(names)})" if names else ""), path=getattr(key, "path", None) or "key",
                         remedy="use a key file answered by one reviewer (e.g. the bundled vignette key)")
    return names[0]


def key_statuses(key: Review) -> dict[str, str]:
    """``{item: status}`` of the key, in checklist order (items the key left unanswered are not part of it)."""
    name = key_reviewer(key)
    order = {item_id: i for i, item_id in enumerate(key.checklist.ids)}
    answered = {i: s for i, s in statuses_of(key, name, key.answers).items() if s is not None}
    return {i: answered[i] for i in sorted(answered, key=lambda i: (order.get(i, len(order)), i))}


def key_reasons(key: Review) -> dict[str, str]:
    """``{item: justification}`` of the key's answers (same items as :func:`key_statuses`)."""
    name = key_reviewer(key)
    return {i: key.answers[i][name].justification for i in key_statuses(key)}


def _stage_of(review: Review, item: str) -> str:
    return review.checklist.item(item).stage if item in review.checklist else "other"


# ---------------------------------------------------------------------- one reviewer against the key
def outcome(student: str | None, key: str) -> str:
    """The outcome (one of :data:`OUTCOMES`) of a student's status against the key's (pure)."""
    if key not in CATEGORIES:
        raise InputError(f"key status {key!r} is not an answer", remedy="use one of " + ", ".join(CATEGORIES))
    if student is None or student not in CATEGORIES:
        return "unanswered"
    if student == key:
        return "agreed"
    if student == "yes" and key in KEY_GAPS:
        return "missed_gap"
    if "not_applicable" in (student, key):
        return "not_applicable"
    if key == "yes":
        return "extra_flag"
    if "unknown" in (student, key):
        return "unknown"
    return "degree"


def compare_to_key(review: Review, reviewer: str, key: Review,
                   items: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per key item: ``item, stage, status, key_status, outcome`` for ``reviewer`` against the key.

    ``items`` restricts the comparison (e.g. to one stage); every item must be answered in the key.
    """
    keyed = key_statuses(key)
    wanted = list(keyed) if items is None else list(items)
    missing = [i for i in wanted if i not in keyed]
    if missing:
        raise InputError(f"the answer key has no answer for {', '.join(missing)}",
                         path=getattr(key, "path", None) or "key", remedy="answer those items in the key file")
    mine = statuses_of(review, reviewer, wanted)
    rows = [{"item": i, "stage": _stage_of(key, i), "status": mine[i], "key_status": keyed[i],
             "outcome": outcome(mine[i], keyed[i])} for i in wanted]
    return pd.DataFrame(rows, columns=["item", "stage", "status", "key_status", "outcome"], dtype=object)


# ---------------------------------------------------------------------- kappas
@dataclass(frozen=True)
class Kappa:
    """Fleiss' kappa of one set of items with its sample sizes and bootstrap interval."""

    scope: str
    kappa: float
    ci_low: float
    ci_high: float
    n_students: int
    n_items: int
    excluded: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"scope": self.scope, "kappa": self.kappa, "ci_low": self.ci_low, "ci_high": self.ci_high,
                "n_students": self.n_students, "n_items": self.n_items, "excluded": ", ".join(self.excluded)}


def rating_matrix(review: Review, students: Sequence[str], items: Sequence[str]) -> np.ndarray:
    """``items x students`` integer codes (index into :data:`CATEGORIES`), ``-1`` where unanswered."""
    codes = {c: i for i, c in enumerate(CATEGORIES)}
    out = np.full((len(items), len(students)), -1, dtype=int)
    for j, name in enumerate(students):
        for i, status in enumerate(statuses_of(review, name, items).values()):
            if status is not None:
                out[i, j] = codes[status]
    return out


def _fleiss(counts: np.ndarray) -> float:
    from statsmodels.stats.inter_rater import fleiss_kappa

    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        value = float(fleiss_kappa(counts, method="fleiss"))
    return value if math.isfinite(value) else math.nan


def fleiss(review: Review, students: Sequence[str], items: Sequence[str], *, scope: str = "all",
           n_resamples: int = 2000, seed: int = 0) -> Kappa:
    """Fleiss' kappa of ``students`` on ``items``, using the students who answered every one of the items."""
    from scipy.stats import bootstrap
    from statsmodels.stats.inter_rater import aggregate_raters

    matrix = rating_matrix(review, students, items)
    complete = [bool((matrix[:, j] >= 0).all()) for j in range(len(students))]
    used = [s for s, ok in zip(students, complete) if ok]
    excluded = tuple(s for s, ok in zip(students, complete) if not ok)
    nan = math.nan
    if len(used) < 2 or not len(items):
        return Kappa(scope, nan, nan, nan, len(used), len(items), excluded)
    counts, _ = aggregate_raters(matrix[:, complete], n_cat=len(CATEGORIES))
    value = _fleiss(counts)
    low = high = nan
    if len(items) >= 2 and math.isfinite(value):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # degenerate resamples (NaN kappa) are reported as a NaN interval
            res = bootstrap((np.arange(len(items)),), lambda idx: _fleiss(counts[np.asarray(idx, dtype=int)]),
                            vectorized=False, n_resamples=n_resamples, method="percentile",
                            rng=np.random.default_rng(seed))
        low, high = float(res.confidence_interval.low), float(res.confidence_interval.high)
    return Kappa(scope, value, low, high, len(used), len(items), excluded)


def cohen_against_key(review: Review, students: Sequence[str], key: Review,
                      items: Sequence[str] | None = None) -> pd.DataFrame:
    """Per student: Cohen's kappa against the key, raw agreement, distance and outcome counts.

    Columns: ``student, n_items`` (answered by both), ``kappa, agreement, distance`` (1 - agreement),
    ``unanswered`` and one column per outcome (``missed_gap``, ``extra_flag`` ...).
    """
    from sklearn.exceptions import UndefinedMetricWarning
    from sklearn.metrics import cohen_kappa_score

    rows = []
    for name in students:
        cmp = compare_to_key(review, name, key, items)
        both = cmp[cmp["outcome"] != "unanswered"]
        n = len(both)
        kappa = math.nan
        if n:
            with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # undefined kappa: NaN, as documented
                warnings.simplefilter("ignore", UndefinedMetricWarning)
                kappa = float(cohen_kappa_score(list(both["key_status"]), list(both["status"]),
                                                labels=list(CATEGORIES)))
        agreement = float((both["outcome"] == "agreed").mean()) if n else math.nan
        counts = cmp["outcome"].value_counts()
        rows.append({"student": name, "n_items": n, "kappa": kappa if math.isfinite(kappa) else math.nan,
                     "agreement": agreement, "distance": 1.0 - agreement if n else math.nan,
                     **{o: int(counts.get(o, 0)) for o in OUTCOMES if o != "agreed"}})
    cols = ["student", "n_items", "kappa", "agreement", "distance", *[o for o in OUTCOMES if o != "agreed"]]
    return pd.DataFrame(rows, columns=cols)


# ---------------------------------------------------------------------- per item
def item_distribution(review: Review, students: Sequence[str], items: Sequence[str],
                      key: dict[str, str] | None = None, reasons: dict[str, str] | None = None) -> pd.DataFrame:
    """Per item: counts per category and unanswered, modal answer and share, pairwise agreement; with ``key``
    (``{item: status}``) the key's answer and the share agreeing with it; with ``reasons`` the key's reason."""
    matrix = rating_matrix(review, students, items)
    rows = []
    for i, item in enumerate(items):
        given = matrix[i][matrix[i] >= 0]
        counts = np.bincount(given, minlength=len(CATEGORIES))
        n = int(given.size)
        pairs = n * (n - 1)
        row: dict[str, Any] = {"item": item, "stage": _stage_of(review, item), "n_answered": n,
                               **{c: int(counts[k]) for k, c in enumerate(CATEGORIES)},
                               "unanswered": len(students) - n}
        row["modal"] = CATEGORIES[int(counts.argmax())] if n else None
        row["modal_share"] = float(counts.max() / n) if n else math.nan
        row["pairwise_agreement"] = float((counts * (counts - 1)).sum() / pairs) if pairs else math.nan
        if key is not None:
            row["key"] = key.get(item)
            row["key_agreement"] = (float(counts[CATEGORIES.index(key[item])] / n)
                                    if n and key.get(item) in CATEGORIES else math.nan)
        if reasons is not None:
            row["key_reason"] = reasons.get(item, "")
        rows.append(row)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------- the class as a whole
@dataclass(frozen=True)
class ClassAgreement:
    """Everything class mode reports about one class (see the module doc for the rules)."""

    students: tuple[str, ...]
    items: tuple[str, ...]
    overall: Kappa
    by_stage: tuple[Kappa, ...]
    distribution: pd.DataFrame
    against_key: pd.DataFrame | None = None
    notes: tuple[str, ...] = field(default=())

    def kappa_table(self) -> pd.DataFrame:
        """Fleiss' kappa overall and per stage, one row each."""
        return pd.DataFrame([k.to_dict() for k in (self.overall, *self.by_stage)])

    def most_disagreed(self, k: int = 5) -> pd.DataFrame:
        """The ``k`` items with the lowest pairwise agreement (ties in checklist order)."""
        table = self.distribution.dropna(subset=["pairwise_agreement"])
        return table.sort_values("pairwise_agreement", kind="stable").head(k).reset_index(drop=True)

    def summary_lines(self) -> list[str]:
        """Plain lines stating the measured numbers (used by the CLI and the instructor notebook)."""
        lines = [f"{len(self.students)} students, {len(self.items)} items"]
        for k in (self.overall, *self.by_stage):
            lines.append(f"Fleiss' kappa {k.scope}: {describe_kappa(k.kappa, k.ci_low, k.ci_high)} "
                         f"({k.n_students} students x {k.n_items} items"
                         + (f"; excluded for unanswered items: {', '.join(k.excluded)}" if k.excluded else "")
                         + ")")
        worst = self.most_disagreed(3)
        if len(worst):
            lines.append("Most disagreed: " + ", ".join(f"{r.item} (pairwise agreement {r.pairwise_agreement:.2f})"
                                                        for r in worst.itertuples()))
        if self.against_key is not None and len(self.against_key):
            t = self.against_key
            lines.append("Against the key: Cohen's kappa median "
                         f"{_fmt(float(t['kappa'].median()))}, range {_fmt(float(t['kappa'].min()))} to "
                         f"{_fmt(float(t['kappa'].max()))}; missed gaps per student median "
                         f"{_fmt(float(t['missed_gap'].median()))}")
        return lines + list(self.notes)


#: Landis and Koch (1977) verbal bands for kappa, lower bounds.
BANDS: tuple[tuple[float, str], ...] = ((0.81, "almost perfect"), (0.61, "substantial"), (0.41, "moderate"),
                                        (0.21, "fair"), (0.0, "slight"), (-math.inf, "poor (below chance)"))


def band(kappa: float) -> str:
    """Landis and Koch's word for a kappa value (``"undefined"`` for NaN)."""
    if not math.isfinite(kappa):
        return "undefined"
    return next(word for low, word in BANDS if kappa >= low)


def _fmt(x: float) -> str:
    return "n/a" if not math.isfinite(x) else f"{x:.2f}"


def describe_kappa(kappa: float, low: float = math.nan, high: float = math.nan) -> str:
    """``"0.43 (moderate; 95% CI 0.31 to 0.55)"`` from the numbers."""
    if not math.isfinite(kappa):
        return "undefined (fewer than two students answered every item, or everyone gave one answer)"
    ci = f"; 95% CI {_fmt(low)} to {_fmt(high)}" if math.isfinite(low) and math.isfinite(high) else ""
    return f"{kappa:.2f} ({band(kappa)}{ci})"


def class_agreement(review: Review, *, key: Review | None = None, students: Sequence[str] | None = None,
                    items: Sequence[str] | None = None, n_resamples: int = 2000, seed: int = 0) -> ClassAgreement:
    """Agreement of a class (a merged review, one reviewer per student) overall, per stage and with a key.

    Items analysed: ``items``, else the key's items, else every item at least one student answered (checklist
    order). Students: ``students``, else every reviewer with an answer (the key's reviewer is never a student).
    """
    key_map = key_statuses(key) if key is not None else None
    names = list(students) if students is not None else answering_reviewers(review)
    if key is not None:
        names = [n for n in names if n != key_reviewer(key) or n in (students or ())]
    if items is not None:
        chosen = list(items)
    elif key_map is not None:
        chosen = list(key_map)
    else:
        order = {item_id: i for i, item_id in enumerate(review.checklist.ids)}
        answered = {i for i, per in review.answers.items() for r, a in per.items()
                    if r in names and a.status in CATEGORIES}
        chosen = sorted(answered, key=lambda i: (order.get(i, len(order)), i))
    if not names:
        raise InputError("no student has answered anything", path=getattr(review, "path", None) or "class",
                         remedy="collect the students' review files first (misyn-lab class collect DIR)")
    stages = [s for s in STAGES if any(_stage_of(review, i) == s for i in chosen)]
    overall = fleiss(review, names, chosen, scope="all items", n_resamples=n_resamples, seed=seed)
    by_stage = tuple(fleiss(review, names, [i for i in chosen if _stage_of(review, i) == s], scope=s,
                            n_resamples=n_resamples, seed=seed) for s in stages)
    notes = []
    if len(names) < 2:
        notes.append("Fleiss' kappa needs at least two students.")
    return ClassAgreement(students=tuple(names), items=tuple(chosen), overall=overall, by_stage=by_stage,
                          distribution=item_distribution(review, names, chosen, key_map,
                                                         None if key is None else key_reasons(key)),
                          against_key=None if key is None else cohen_against_key(review, names, key, chosen),
                          notes=tuple(notes))


__all__ = ["BANDS", "CATEGORIES", "KEY_GAPS", "OUTCOMES", "ClassAgreement", "Kappa", "answering_reviewers",
           "band", "class_agreement", "cohen_against_key", "compare_to_key", "describe_kappa", "fleiss",
           "item_distribution", "key_reasons", "key_reviewer", "key_statuses", "outcome", "rating_matrix", "statuses_of"]
