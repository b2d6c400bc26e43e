"""A small visual Turing test (evaluation rung 2, expert readers): pure logic, no widgets.

:meth:`ReaderStudy.from_sets` draws a seeded, shuffled, balanced mix of real and synthetic tiles; readers
answer "real" or "synthetic" with a confidence 1–5 (:meth:`ReaderStudy.record_answer`); answers are saved
per reader in the Review section ``"reader_answers"``; :meth:`ReaderStudy.results` gives:

* **per reader**: accuracy with a Wilson binomial CI and the exact binomial p-value against chance (0.5)
  (``scipy.stats.binomtest``; a reader's answers to different tiles are independent of each other);
* **one analysis that respects readers and tiles** (:func:`two_way_bootstrap`): the mean accuracy with a
  two-way cluster (pigeonhole) bootstrap CI that resamples readers and tiles independently (Owen 2007,
  "The pigeonhole bootstrap"). Every answer belongs to one reader and one tile, so 2 readers × 20 tiles are not
  40 independent answers: a pooled binomial test treats them as such (pseudo-replication) and can call
  readers "better than chance" when one of two readers is guessing. The pooled binomial figures are kept only
  for comparison, labelled as such. No scipy/statsmodels routine resamples two crossed factors at once, and a
  mixed model cannot estimate a reader variance from two readers, so the resampling is written out here
  (vectorised multinomial weights);
* the tiles most often mistaken.

The truth of a tile is only exposed by :meth:`ReaderStudy.reveal` (the view asks for it after the last answer).

For a class (:mod:`misyn_lab.instruments.reader_class`), every reader sees the same tiles under the same ids but
in their own order (``per_reader_order=True``: :meth:`ReaderStudy.order_for` is a permutation seeded by the study
id and the reader's name), so an order effect (fatigue, learning) cannot pile up on the same tiles for everyone;
each answer records the ``position`` at which that reader saw the tile.

Reading the result: readers tell real from synthetic only when the two-way CI lies wholly above 0.5; a CI that
includes 0.5 means "not shown at this size" (with few readers the CI is wide: the result speaks for these
readers, not for readers in general).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import stats

from misyn_lab.errors import InputError
from misyn_lab.instruments import _review
from misyn_lab.metrics.result import MetricResult, build, format_p

if TYPE_CHECKING:
    from misyn_lab.checklist.review import Review
    from misyn_lab.imagesets.core import ImageSet

ANSWERS = ("real", "synthetic")
SECTION = "reader_answers"
RUNG = 2


@dataclass(frozen=True)
class Tile:
    """What a reader sees: an id and the pixels (float in [0, 1]); never the truth."""

    id: str
    image: np.ndarray


def _as_images(data: Any, what: str) -> tuple[np.ndarray, list[str]]:
    """(images, ids) from an ImageSet or an array N×H×W[×3] in [0, 1]."""
    if hasattr(data, "images") and hasattr(data, "ids"):
        return np.asarray(data.images, dtype=np.float32), [str(i) for i in data.ids]
    arr = np.asarray(data, dtype=np.float32)
    if arr.ndim not in (3, 4) or arr.shape[0] == 0:
        raise InputError(f"{what} images must be an ImageSet or an N×H×W[×3] array, got shape {arr.shape}",
                         remedy="pass an ImageSet")
    if not np.all(np.isfinite(arr)) or arr.min() < 0 or arr.max() > 1:
        raise InputError(f"{what} pixel values must be finite and in [0, 1]", remedy="normalise the images first")
    return arr, [f"{what}-{i:05d}" for i in range(arr.shape[0])]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class ReaderStudy:
    """One reader study (a visual Turing test, rung 2): the tiles, their hidden truth, and the answers (kept in a
    Review when attached).

    Build it with :meth:`from_sets`; readers answer with :meth:`record_answer`; :meth:`results` scores them.

    Parameters
    ----------
    tiles : list of Tile
        The images shown (ids ``T01`` ...), in the study's order.
    truth : dict
        ``{tile id: "real" | "synthetic"}``.
    image_ids : dict
        ``{tile id: image id}``.
    study_id : str
        Id of the study (answers of another study are refused).
    seed : int
        Seed of the tile order.
    review : Review, optional
        Where answers are kept.
    per_reader_order : bool, optional
        Each reader sees the tiles in their own seeded order.

    Examples
    --------
    >>> import numpy as np
    >>> from misyn_lab.imagesets import ImageSet
    >>> rng = np.random.default_rng(0)
    >>> real = ImageSet.from_arrays(rng.random((6, 8, 8)), name="real")
    >>> synthetic = ImageSet.from_arrays(rng.random((6, 8, 8)), synthetic=True, name="syn")
    >>> study = ReaderStudy.from_sets(real, synthetic, n_tiles=4, seed=0, study_id="demo")
    >>> sorted(study.reveal().values())
    ['real', 'real', 'synthetic', 'synthetic']
    """

    def __init__(self, tiles: list[Tile], truth: dict[str, str], image_ids: dict[str, str], *,
                 study_id: str, seed: int, review: Review | None = None, per_reader_order: bool = False):
        if set(truth) != {t.id for t in tiles} or set(image_ids) != set(truth):
            raise InputError("reader study: tiles, truth and image ids disagree", remedy="build it with from_sets")
        self._tiles = list(tiles)
        self._truth = dict(truth)
        self._image_ids = dict(image_ids)
        self.study_id = study_id
        self.seed = seed
        self.review = review
        self.per_reader_order = bool(per_reader_order)
        self._answers: dict[str, dict] = {}

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_sets(cls, real: ImageSet, synthetic: ImageSet, n_tiles: int = 20, seed: int = 0, *,
                  review: Review | None = None, study_id: str | None = None,
                  per_reader_order: bool = False) -> "ReaderStudy":
        """A balanced (n_tiles // 2 real, the rest synthetic), seeded, shuffled set of tiles.

        ``real``/``synthetic``: ImageSets (or N×H×W[×3] arrays in [0, 1]) of the same image shape.
        ``per_reader_order``: each reader gets their own seeded tile order (:meth:`order_for`).
        """
        if int(n_tiles) != n_tiles or n_tiles < 2:
            raise InputError(f"n_tiles must be an integer >= 2, got {n_tiles!r}", remedy="use e.g. 20")
        n_tiles = int(n_tiles)
        real_img, real_ids = _as_images(real, "real")
        syn_img, syn_ids = _as_images(synthetic, "synthetic")
        if real_img.shape[1:] != syn_img.shape[1:]:
            raise InputError(f"real images are {real_img.shape[1:]} but synthetic images are {syn_img.shape[1:]}",
                             remedy="resize both sets to one shape (ImageSet.resized) so size does not give the answer away")
        n_real, n_syn = n_tiles // 2, n_tiles - n_tiles // 2
        for what, have, need in (("real", len(real_ids), n_real), ("synthetic", len(syn_ids), n_syn)):
            if have < need:
                raise InputError(f"{need} {what} tiles needed for n_tiles={n_tiles}, only {have} {what} images",
                                 remedy="lower n_tiles or provide more images")
        rng = np.random.default_rng(seed)
        pick_real = rng.choice(len(real_ids), size=n_real, replace=False)
        pick_syn = rng.choice(len(syn_ids), size=n_syn, replace=False)
        pool = [("real", real_img[i], real_ids[i]) for i in pick_real] + \
               [("synthetic", syn_img[i], syn_ids[i]) for i in pick_syn]
        order = rng.permutation(len(pool))
        width = max(2, len(str(n_tiles)))
        tiles, truth, image_ids = [], {}, {}
        for pos, idx in enumerate(order, start=1):
            label, image, image_id = pool[idx]
            tid = f"T{pos:0{width}d}"
            tiles.append(Tile(tid, image))
            truth[tid] = label
            image_ids[tid] = image_id
        if study_id is None:
            h = hashlib.sha256(f"{seed}|{n_tiles}|".encode())
            for tid in sorted(image_ids):
                h.update(f"{tid}={image_ids[tid]}:{truth[tid]};".encode())
            study_id = f"rs-{h.hexdigest()[:10]}"
        return cls(tiles, truth, image_ids, study_id=study_id, seed=seed, review=review,
                   per_reader_order=per_reader_order)

    def with_review(self, review: Review) -> "ReaderStudy":
        """The same study (tiles, truth, id, orders) bound to another review: one answer file per reader."""
        return ReaderStudy(self._tiles, self._truth, self._image_ids, study_id=self.study_id, seed=self.seed,
                           review=review, per_reader_order=self.per_reader_order)

    # ------------------------------------------------------------------ what the view may see
    @property
    def tiles(self) -> list[Tile]:
        """The tiles in presentation order (no truth)."""
        return list(self._tiles)

    @property
    def tile_ids(self) -> list[str]:
        return [t.id for t in self._tiles]

    def __len__(self) -> int:
        return len(self._tiles)

    def order_for(self, reader: str) -> list[str]:
        """The tile ids in the order ``reader`` sees them: the study's order, or with ``per_reader_order`` a
        permutation seeded by the study id and the reader's name (the same reader always gets the same order)."""
        if not self.per_reader_order:
            return self.tile_ids
        digest = hashlib.sha256(f"{self.study_id}|{str(reader).strip()}".encode()).digest()
        order = np.random.default_rng(int.from_bytes(digest[:8], "big")).permutation(len(self._tiles))
        return [self._tiles[int(i)].id for i in order]

    def reveal(self) -> dict[str, str]:
        """Tile id -> "real"/"synthetic": for the reveal at the end of a session and for scoring."""
        return dict(self._truth)

    def image_ids(self) -> dict[str, str]:
        """Tile id -> id of the image behind it (with the truth, for scoring and checking answer files)."""
        return dict(self._image_ids)

    # ------------------------------------------------------------------ answers
    def record_answer(self, reader: str, tile_id: str, answer: str, confidence: int) -> dict:
        """Record (or replace) one reader's answer for one tile; saved to the attached review."""
        reader = str(reader).strip()
        if not reader:
            raise InputError("reader name is empty", remedy="give the reader's name or pseudonym")
        if tile_id not in self._truth:
            raise InputError(f"unknown tile id {tile_id!r} in reader study {self.study_id}",
                             remedy=f"use one of the study's tile ids ({self.tile_ids[0]} ... {self.tile_ids[-1]})")
        if answer not in ANSWERS:
            raise InputError(f"answer must be 'real' or 'synthetic', got {answer!r}", remedy="answer real or synthetic")
        if isinstance(confidence, bool) or int(confidence) != confidence or not 1 <= int(confidence) <= 5:
            raise InputError(f"confidence must be an integer 1-5, got {confidence!r}",
                             remedy="1 = guessing ... 5 = certain")
        truth = self._truth[tile_id]
        record = {"id": f"{self.study_id}/{reader}/{tile_id}", "study_id": self.study_id, "reader": reader,
                  "tile_id": tile_id, "image_id": self._image_ids[tile_id], "answer": answer,
                  "confidence": int(confidence), "truth": truth, "correct": answer == truth, "time": _now()}
        if self.per_reader_order:
            record["position"] = self.order_for(reader).index(tile_id) + 1
        self._answers[record["id"]] = record
        if self.review is not None:
            _review.upsert(self.review, SECTION, record)
        return record

    def answers(self) -> list[dict]:
        """This study's answers (from the review when one is attached, so other sessions' answers count)."""
        if self.review is not None:
            return [r for r in _review.records(self.review, SECTION) if r.get("study_id") == self.study_id]
        return list(self._answers.values())

    def answered_by(self, reader: str) -> set[str]:
        return {r["tile_id"] for r in self.answers() if r.get("reader") == reader}

    def results(self, *, ci_level: float = 0.95) -> "ReaderStudyResults":
        return results_from_records(self.answers(), ci_level=ci_level, study_id=self.study_id, seed=self.seed)

    def add_evidence(self, review: Review | None = None) -> str:
        """Store the pooled accuracy as rung-2 evidence in the review; returns the evidence id."""
        target = review if review is not None else self.review
        if target is None:
            raise InputError("no review to add the evidence to", remedy="pass review= or attach one in from_sets")
        result = self.results().to_metric_result()
        return str(target.add_evidence(result, rung=RUNG, source=f"reader study {self.study_id}",
                                       note=result.interpretation))


@dataclass(frozen=True)
class Accuracy:
    """Accuracy of one reader (or pooled) with a Wilson CI and the two-sided binomial p vs 0.5."""

    n: int
    correct: int
    accuracy: float
    ci: tuple[float, float]
    p_value: float
    mean_confidence: float

    def to_dict(self) -> dict:
        return {"n": self.n, "correct": self.correct, "accuracy": self.accuracy, "ci": list(self.ci),
                "p_value": self.p_value, "mean_confidence": self.mean_confidence}


def accuracy_of(correct: list[bool], confidences: list[int], ci_level: float = 0.95) -> Accuracy:
    """Accuracy with ``scipy.stats.binomtest(k, n, 0.5).proportion_ci(method="wilson")``."""
    n = len(correct)
    if n == 0:
        raise InputError("no answers to score", remedy="record answers first")
    k = int(sum(bool(c) for c in correct))
    test = stats.binomtest(k, n, 0.5)
    ci = test.proportion_ci(confidence_level=ci_level, method="wilson")
    return Accuracy(n, k, k / n, (float(ci.low), float(ci.high)), float(test.pvalue),
                    float(np.mean(confidences)) if confidences else float("nan"))


#: Resamples of the two-way cluster bootstrap.
N_BOOT = 4000


def chance_reading(ci: tuple[float, float]) -> str:
    """What an accuracy CI says against chance (0.5): ``"better than chance"`` (wholly above), ``"worse than
    chance"`` (wholly below) or ``"not shown"`` (it includes 0.5)."""
    if ci[0] > 0.5:
        return "better than chance"
    if ci[1] < 0.5:
        return "worse than chance"
    return "not shown"


@dataclass(frozen=True)
class ClusteredAccuracy:
    """Mean accuracy over readers and tiles with a two-way cluster bootstrap CI (:func:`two_way_bootstrap`)."""

    accuracy: float
    ci: tuple[float, float]
    n_readers: int
    n_tiles: int
    n_answers: int
    n_boot: int
    seed: int

    def reading(self) -> str:
        """``"better than chance"``, ``"worse than chance"`` or ``"not shown"`` (CI includes 0.5)."""
        return chance_reading(self.ci)

    def to_dict(self) -> dict:
        return {"accuracy": self.accuracy, "ci": list(self.ci), "n_readers": self.n_readers, "n_tiles": self.n_tiles,
                "n_answers": self.n_answers, "n_boot": self.n_boot, "seed": self.seed, "reading": self.reading(),
                "method": "two-way cluster (pigeonhole) bootstrap over readers and tiles, percentile CI"}


def two_way_bootstrap(records: list[dict], *, ci_level: float = 0.95, n_boot: int = N_BOOT,
                      seed: int = 0) -> ClusteredAccuracy:
    """Accuracy over all answers with a CI that resamples readers and tiles independently (pigeonhole bootstrap).

    Each resample draws readers with replacement and tiles with replacement (multinomial weights) and takes the
    weighted share of correct answers among the answers present; the CI is the percentile interval.
    """
    readers = sorted({str(r["reader"]) for r in records})
    tiles = sorted({str(r["tile_id"]) for r in records})
    ri = {r: i for i, r in enumerate(readers)}
    ti = {t: j for j, t in enumerate(tiles)}
    correct = np.zeros((len(readers), len(tiles)))
    present = np.zeros((len(readers), len(tiles)))
    for r in records:
        i, j = ri[str(r["reader"])], ti[str(r["tile_id"])]
        correct[i, j] = float(r["answer"] == r["truth"])
        present[i, j] = 1.0
    rng = np.random.default_rng(seed)
    w_r = rng.multinomial(len(readers), np.full(len(readers), 1 / len(readers)), size=n_boot).astype(float)
    w_t = rng.multinomial(len(tiles), np.full(len(tiles), 1 / len(tiles)), size=n_boot).astype(float)
    num = np.einsum("br,rt,bt->b", w_r, correct, w_t)
    den = np.einsum("br,rt,bt->b", w_r, present, w_t)
    acc = num[den > 0] / den[den > 0]
    alpha = (1 - ci_level) / 2
    ci = (float(np.quantile(acc, alpha)), float(np.quantile(acc, 1 - alpha)))
    return ClusteredAccuracy(float(correct.sum() / present.sum()), ci, len(readers), len(tiles), int(present.sum()),
                             int(n_boot), int(seed))


@dataclass(frozen=True)
class ReaderStudyResults:
    """Per-reader accuracies, the two-way clustered analysis, the pooled binomial (for comparison only) and the
    tiles most often mistaken."""

    per_reader: dict[str, Accuracy]
    pooled: Accuracy
    most_mistaken: list[dict]
    ci_level: float
    study_id: str = ""
    n_tiles: int = 0
    extra: dict = field(default_factory=dict)
    clustered: ClusteredAccuracy | None = None

    def reader_lines(self) -> list[str]:
        """One sentence per reader: accuracy, Wilson CI, binomial p against chance."""
        return [f"{r}: {a.accuracy:.0%} of {a.n} tiles ({self.ci_level:.0%} Wilson CI {a.ci[0]:.0%}-{a.ci[1]:.0%}), "
                f"{format_p(a.p_value)} vs chance" for r, a in self.per_reader.items()]

    def interpretation(self) -> str:
        c = self.clustered
        readers = "; ".join(self.reader_lines())
        p = self.pooled
        pooled = (f"Pooling the {p.n} answers as if independent would give {p.accuracy:.0%}, "
                  f"{format_p(p.p_value)} (pseudo-replication: not the result).")
        if c is None:
            return f"Reader study per reader: {readers}. {pooled}"
        verdict = {"better than chance": "readers told real from synthetic better than chance",
                   "worse than chance": "readers systematically took one for the other",
                   "not shown": "that readers can tell real from synthetic is not shown at this size"}[c.reading()]
        return (f"Reader study, {c.n_readers} reader(s) x {c.n_tiles} tiles: mean accuracy {c.accuracy:.0%}, "
                f"{self.ci_level:.0%} CI {c.ci[0]:.0%}-{c.ci[1]:.0%} (two-way cluster bootstrap over readers and "
                f"tiles): {verdict}. Per reader: {readers}. {pooled}")

    def test_report(self, *, pooled: bool = False) -> dict:
        """The study as a claim's ``test`` (see :class:`misyn_lab.instruments.claims.TestReport`): the two-way
        clustered analysis (``clustered: true``), or with ``pooled=True`` the binomial test of the pooled answers,
        which declares its clusters but does not respect them (claim rule R23 then calls it untested)."""
        p, c = self.pooled, self.clustered
        clusters = {"readers": len(self.per_reader), "tiles": self.n_tiles}
        if pooled or c is None:
            return {"name": "binomial test of pooled answers (scipy.stats.binomtest)", "n": p.n,
                    "estimate": p.accuracy, "ci": list(p.ci), "p_value": p.p_value, "null_value": 0.5,
                    "clusters": clusters, "clustered": False}
        return {"name": "two-way cluster bootstrap over readers and tiles", "n": c.n_answers, "estimate": c.accuracy,
                "ci": list(c.ci), "null_value": 0.5, "clusters": clusters, "clustered": True}

    def to_metric_result(self) -> MetricResult:
        """``reader_study.accuracy``: the mean accuracy with the two-way clustered CI (no pooled p-value)."""
        p, c = self.pooled, self.clustered
        return build("reader_study.accuracy", p.accuracy if c is None else c.accuracy,
                     n={"answers": p.n, "readers": len(self.per_reader), "tiles": self.n_tiles},
                     ci=None if c is None else c.ci, ci_level=self.ci_level,
                     interpretation=self.interpretation(),
                     details={"rung": RUNG, "study_id": self.study_id,
                              "per_reader": {r: a.to_dict() for r, a in self.per_reader.items()},
                              "clustered": None if c is None else c.to_dict(),
                              "pooled_as_if_independent": p.to_dict(),
                              "most_mistaken": self.most_mistaken,
                              "source": "per reader: scipy.stats.binomtest (Wilson CI); overall: two-way "
                                        "cluster bootstrap over readers and tiles"})


def results_from_records(records: list[dict], *, ci_level: float = 0.95, study_id: str = "",
                         seed: int = 0) -> ReaderStudyResults:
    """Score reader-study answer records: per reader, the two-way clustered analysis and the most mistaken tiles.

    Parameters
    ----------
    records : list of dict
        Answer records, each with ``reader``, ``tile_id``, ``image_id``, ``answer``, ``truth`` and ``confidence``.
    ci_level : float, optional
        Confidence level.
    study_id : str, optional
        The study's id.
    seed : int, optional
        Seed of the cluster bootstrap.

    Returns
    -------
    ReaderStudyResults
        Accuracy per reader and overall with confidence intervals, and the most mistaken tiles.

    Raises
    ------
    InputError
        No records, or a record missing a field.

    Examples
    --------
    >>> records = [{"reader": r, "tile_id": f"T{t}", "image_id": f"img{t}", "answer": a, "truth": truth,
    ...             "confidence": 3}
    ...            for r in ("ana", "ben")
    ...            for t, (a, truth) in enumerate([("real", "real"), ("real", "synthetic"),
    ...                                             ("synthetic", "synthetic"), ("real", "real")])]
    >>> results = results_from_records(records)
    >>> sorted(results.per_reader), results.n_tiles, results.pooled.correct, results.pooled.n
    (['ana', 'ben'], 4, 6, 8)
    """
    if not records:
        raise InputError(f"no answers recorded for reader study {study_id or '?'}",
                         remedy="let at least one reader answer some tiles")
    by_reader: dict[str, list[dict]] = {}
    for r in records:
        by_reader.setdefault(str(r["reader"]), []).append(r)

    def correct(r: dict) -> bool:
        return r["answer"] == r["truth"]

    per_reader = {reader: accuracy_of([correct(r) for r in rs], [int(r.get("confidence", 0)) for r in rs], ci_level)
                  for reader, rs in sorted(by_reader.items())}
    pooled = accuracy_of([correct(r) for r in records], [int(r.get("confidence", 0)) for r in records], ci_level)
    tiles: dict[str, dict] = {}
    for r in records:
        t = tiles.setdefault(r["tile_id"], {"tile_id": r["tile_id"], "image_id": r.get("image_id", ""),
                                            "truth": r["truth"], "answers": 0, "wrong": 0})
        t["answers"] += 1
        t["wrong"] += 0 if correct(r) else 1
    for t in tiles.values():
        t["share_wrong"] = t["wrong"] / t["answers"]
    mistaken = sorted((t for t in tiles.values() if t["wrong"]),
                      key=lambda t: (-t["share_wrong"], -t["wrong"], t["tile_id"]))
    clustered = two_way_bootstrap(records, ci_level=ci_level, seed=seed)
    return ReaderStudyResults(per_reader, pooled, mistaken, ci_level, study_id, len(tiles), clustered=clustered)


STATIC_EXPLANATION = (
    "This is a reader study (a small visual Turing test, evaluation rung 2). In a live notebook each reader "
    "sees a shuffled, seeded mix of real and synthetic tiles and answers 'real' or 'synthetic' with a "
    "confidence from 1 (guessing) to 5 (certain). Only in this test are synthetic tiles shown WITHOUT their "
    "SYNTHETIC marker, and the screen says so; at the end every synthetic tile is revealed with its marker. "
    "Answers are saved per reader in the review file; the results give each reader's accuracy with a Wilson 95% CI "
    "and the p-value against chance (50%), the mean accuracy with a CI that resamples readers and tiles (answers "
    "of one reader or one tile are not independent), and the tiles most often mistaken. "
    "This run has no interactive front end (e.g. papermill), so nothing is shown and nothing is recorded."
)


__all__ = ["ANSWERS", "SECTION", "RUNG", "Tile", "ReaderStudy", "Accuracy", "accuracy_of", "N_BOOT", "chance_reading",
           "two_way_bootstrap", "ReaderStudyResults", "results_from_records", "STATIC_EXPLANATION"]
