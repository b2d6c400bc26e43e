"""A class reader study analysed readers × tiles: per reader, pooled in ways that respect both, and per tile.

Many readers (students) answer the same tiles of one :class:`~misyn_lab.instruments.reader_study.ReaderStudy`
(each in their own order). Every answer belongs to one reader *and* one tile, so answers are crossed, not
independent. :func:`analyse_class` gives:

* **per reader**: accuracy with a Wilson CI and the exact binomial p against chance
  (:func:`~misyn_lab.instruments.reader_study.accuracy_of`);
* **pooled, respecting readers and tiles**, two ways:

  - the mean accuracy with the two-way cluster (pigeonhole) bootstrap CI over readers and tiles
    (:func:`~misyn_lab.instruments.reader_study.two_way_bootstrap`); this is the result stored as evidence;
  - a linear mixed model with crossed random intercepts for readers and tiles (:func:`crossed_model`,
    ``statsmodels`` ``MixedLM``, the variance-components design of multi-reader multi-case analyses): the mean
    accuracy with a CI that carries both variances, and how much readers and tiles vary;

  the pooled binomial of all answers "as if independent" is kept only to show pseudo-replication;
* **per tile**: how many readers each tile fooled, with a Wilson CI of that share (:func:`tile_table`): the
  synthetic tiles most readers took for real, and the real tiles most took for synthetic.

Every sentence (:meth:`ClassReaderResults.sentences`) is generated from these numbers; a simulated class says so
in each of them. The result is evidence on rung 2 (expert readers) of the evaluation ladder
(:meth:`ClassReaderResults.add_evidence`).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import pandas as pd
from scipy import stats

from misyn_lab.errors import InputError
from misyn_lab.instruments.reader_study import (ANSWERS, N_BOOT, RUNG, ReaderStudyResults, chance_reading,
                                                results_from_records, two_way_bootstrap)
from misyn_lab.metrics.result import MetricResult, format_p

if TYPE_CHECKING:
    from misyn_lab.checklist.review import Review
    from misyn_lab.instruments.reader_study import ReaderStudy

#: Fields every answer record of a class needs (what :meth:`ReaderStudy.record_answer` writes).
RECORD_FIELDS = ("id", "study_id", "reader", "tile_id", "image_id", "answer", "truth", "confidence")
#: Prefix of every sentence about a simulated class.
SIMULATED = "SIMULATED class (made-up readers, no real person): "


def check_record(record: Any) -> str | None:
    """Why an answer record cannot be used (``None`` when it can): a missing field, an answer or truth that is
    not real/synthetic, a confidence outside 1-5."""
    if not isinstance(record, dict):
        return f"an answer record is a {type(record).__name__}, not a mapping"
    rid = record.get("id", "?")
    missing = [f for f in RECORD_FIELDS if f not in record or record[f] in (None, "")]
    if missing:
        return f"answer {rid}: missing {', '.join(missing)}"
    for name in ("answer", "truth"):
        if record[name] not in ANSWERS:
            return f"answer {rid}: {name} {record[name]!r} is not 'real' or 'synthetic'"
    conf = record["confidence"]
    if isinstance(conf, bool) or not isinstance(conf, int) or not 1 <= conf <= 5:
        return f"answer {rid}: confidence {conf!r} is not an integer 1-5"
    return None


def check_against_study(records: list[dict], study: ReaderStudy) -> None:
    """Raise :class:`InputError` unless every record belongs to ``study`` and states the study's truth and image
    for its tile (answers are scored against the study, never against what a file says)."""
    truth, images = study.reveal(), study.image_ids()
    for r in records:
        problem = check_record(r)
        if problem:
            raise InputError(problem, path=str(r.get("id", "reader_answers")) if isinstance(r, dict) else "",
                             remedy="collect the answers with misyn-lab class readers, which refuses such files")
        if r["study_id"] != study.study_id:
            raise InputError(f"answer {r['id']} belongs to reader study {r['study_id']}, not {study.study_id}",
                             path=str(r["id"]), remedy="build the study with the students' images, n_tiles and "
                                                       "seed (the same parameters as notebook 09)")
        if r["tile_id"] not in truth or truth[r["tile_id"]] != r["truth"]:
            raise InputError(f"answer {r['id']}: tile {r['tile_id']} is {truth.get(r['tile_id'], 'unknown')!r} in "
                             f"study {study.study_id}, the answer file says {r['truth']!r}", path=str(r["id"]),
                             remedy="the file was edited or made for another study; refuse it")
        if images[r["tile_id"]] != str(r["image_id"]):
            raise InputError(f"answer {r['id']}: tile {r['tile_id']} shows image {images[r['tile_id']]!r} in study "
                             f"{study.study_id}, the answer file says {r['image_id']!r}", path=str(r["id"]),
                             remedy="the file was edited or made for another study; refuse it")


@dataclass(frozen=True)
class CrossedModel:
    """Linear mixed model of correctness (0/1) with crossed random intercepts for readers and tiles
    (``statsmodels`` ``MixedLM``, REML), the variance-components design of multi-reader multi-case analyses:
    the mean accuracy with a Wald CI that carries both the reader and the tile variance, and the standard
    deviations of reader and tile accuracies around it."""

    accuracy: float
    ci: tuple[float, float]
    se: float
    reader_sd: float
    tile_sd: float
    residual_sd: float
    n_readers: int
    n_tiles: int
    n_answers: int
    ci_level: float
    converged: bool
    warnings: tuple[str, ...] = ()

    def reading(self) -> str:
        """``"better than chance"`` / ``"worse than chance"`` / ``"not shown"`` (CI includes 0.5)."""
        return chance_reading(self.ci)

    def to_dict(self) -> dict:
        return {"accuracy": self.accuracy, "ci": list(self.ci), "se": self.se, "reader_sd": self.reader_sd,
                "tile_sd": self.tile_sd, "residual_sd": self.residual_sd, "n_readers": self.n_readers,
                "n_tiles": self.n_tiles, "n_answers": self.n_answers, "ci_level": self.ci_level,
                "converged": self.converged, "reading": self.reading(), "warnings": list(self.warnings),
                "method": "linear mixed model of correctness, crossed random intercepts for readers and tiles "
                          "(statsmodels MixedLM, REML), Wald CI"}


def answers_frame(records: list[dict]) -> pd.DataFrame:
    """One row per answer: reader, tile_id, image_id, truth, answer, confidence, correct (0/1), position."""
    rows = [{"reader": str(r["reader"]), "tile_id": str(r["tile_id"]), "image_id": str(r.get("image_id", "")),
             "truth": r["truth"], "answer": r["answer"], "confidence": int(r.get("confidence", 0)),
             "correct": int(r["answer"] == r["truth"]), "position": r.get("position")} for r in records]
    return pd.DataFrame(rows, columns=["reader", "tile_id", "image_id", "truth", "answer", "confidence", "correct",
                                       "position"])


def crossed_model(records: list[dict], *, ci_level: float = 0.95) -> CrossedModel:
    """Fit ``correct = mu + u_reader + v_tile + e`` with independent normal random intercepts (REML).

    ``mu`` is the mean accuracy; its standard error carries the reader and tile variances, as the two-way
    bootstrap does; its Wald CI is clipped to [0, 1]. A linear model of a 0/1 outcome, chosen over a logistic GLMM
    because statsmodels fits crossed random effects in a GLMM only by mean-field variational Bayes
    (``BinomialBayesMixedGLM``), whose interval for the intercept leaves out its dependence on the random effects
    and came out narrower than the two-way bootstrap on the same answers. Optimisers are tried in turn (L-BFGS,
    Powell, Nelder-Mead); a fit that does not converge is returned with ``converged=False`` and its warnings; one
    without a finite CI, or answers without variation, raise :class:`InputError`. Needs at least two readers and
    two tiles.
    """
    import statsmodels.api as sm

    df = answers_frame(records).assign(all=1)
    n_readers, n_tiles = df["reader"].nunique(), df["tile_id"].nunique()
    if n_readers < 2 or n_tiles < 2:
        raise InputError(f"a crossed model needs at least 2 readers and 2 tiles, got {n_readers} and {n_tiles}",
                         path="reader_answers", remedy="collect the answers of more readers")
    if df["correct"].nunique() < 2:
        what = "correct" if df["correct"].iloc[0] else "wrong"
        raise InputError(f"every answer is {what}: a model has no variation to fit", path="reader_answers",
                         remedy="read the per-reader results and the two-way bootstrap instead")
    model = sm.MixedLM.from_formula("correct ~ 1", groups="all", re_formula="0", data=df,
                                    vc_formula={"reader": "0 + C(reader)", "tile": "0 + C(tile_id)"})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = model.fit(reml=True, method=["lbfgs", "powell", "nm"])
    low, high = (float(v) for v in fit.conf_int(alpha=1 - ci_level).loc["Intercept"])
    if not (math.isfinite(low) and math.isfinite(high)):
        raise InputError("the crossed model could not be fitted (no finite CI): "
                         + "; ".join(dict.fromkeys(str(w.message) for w in caught)), path="reader_answers",
                         remedy="read the per-reader results and the two-way bootstrap instead")
    low, high = max(low, 0.0), min(high, 1.0)  # an accuracy: the Wald interval is clipped to [0, 1]
    vc = dict(zip(model.exog_vc.names, (float(v) for v in fit.vcomp)))
    return CrossedModel(float(fit.fe_params["Intercept"]), (low, high), float(fit.bse_fe["Intercept"]),
                        math.sqrt(max(vc["reader"], 0.0)), math.sqrt(max(vc["tile"], 0.0)),
                        math.sqrt(float(fit.scale)), int(n_readers), int(n_tiles), len(df), float(ci_level),
                        bool(fit.converged), tuple(dict.fromkeys(str(w.message) for w in caught)))


def tile_table(records: list[dict], *, ci_level: float = 0.95) -> pd.DataFrame:
    """Per tile: truth, answers, readers fooled (wrong answers), the share fooled with a Wilson CI, and whether a
    majority was fooled; most fooled first (share, then count, then tile id)."""
    df = answers_frame(records)
    rows = []
    for tile, grp in df.groupby("tile_id", sort=True):
        n, wrong = len(grp), int((grp["correct"] == 0).sum())
        ci = stats.binomtest(wrong, n).proportion_ci(confidence_level=ci_level, method="wilson")
        rows.append({"tile_id": tile, "image_id": grp["image_id"].iloc[0], "truth": grp["truth"].iloc[0],
                     "answers": n, "fooled": wrong, "share_fooled": wrong / n, "ci_low": float(ci.low),
                     "ci_high": float(ci.high), "majority_fooled": wrong * 2 > n,
                     "mean_confidence": float(grp["confidence"].mean())})
    table = pd.DataFrame(rows)
    return table.sort_values(["share_fooled", "fooled", "tile_id"], ascending=[False, False, True],
                             kind="stable").reset_index(drop=True)


def _pct(x: float) -> str:
    return f"{x:.0%}"


@dataclass(frozen=True)
class ClassReaderResults:
    """Everything the instructor notebook shows about a class reader study (see the module doc)."""

    base: ReaderStudyResults
    model: CrossedModel | None
    tiles: pd.DataFrame
    simulated: bool
    study_id: str
    model_note: str = ""

    # ------------------------------------------------------------------ tables
    def reader_table(self) -> pd.DataFrame:
        """One row per reader: answers, correct, accuracy, Wilson CI, p vs chance, mean confidence, reading."""
        rows = [{"reader": r, "answers": a.n, "correct": a.correct, "accuracy": a.accuracy, "ci_low": a.ci[0],
                 "ci_high": a.ci[1], "p_vs_chance": a.p_value, "mean_confidence": a.mean_confidence,
                 "reading": chance_reading(a.ci)} for r, a in self.base.per_reader.items()]
        return pd.DataFrame(rows)

    def pooled_table(self) -> pd.DataFrame:
        """The pooled analyses side by side: two-way bootstrap (the result), crossed GLMM, and the pooled
        binomial as if the answers were independent (pseudo-replication, for comparison only)."""
        c, p, m = self.base.clustered, self.base.pooled, self.model
        rows = [{"analysis": "two-way cluster bootstrap over readers and tiles (the result)",
                 "accuracy": c.accuracy, "ci_low": c.ci[0], "ci_high": c.ci[1], "reading": c.reading()}]
        if m is not None:
            rows.append({"analysis": "linear mixed model, crossed random effects for readers and tiles",
                         "accuracy": m.accuracy, "ci_low": m.ci[0], "ci_high": m.ci[1], "reading": m.reading()})
        rows.append({"analysis": "binomial of pooled answers as if independent (pseudo-replication, not the result)",
                     "accuracy": p.accuracy, "ci_low": p.ci[0], "ci_high": p.ci[1],
                     "reading": "p " + format_p(p.p_value).removeprefix("p ")})
        return pd.DataFrame(rows)

    def fooled_most(self, n: int = 8, *, truth: str | None = None) -> pd.DataFrame:
        """The ``n`` tiles that fooled most readers (only ``truth`` tiles when given: ``"synthetic"`` = taken
        for real, ``"real"`` = taken for synthetic); tiles that fooled nobody are left out."""
        t = self.tiles[self.tiles["fooled"] > 0]
        if truth is not None:
            if truth not in ANSWERS:
                raise InputError(f"truth must be 'real' or 'synthetic', got {truth!r}", path="fooled_most",
                                 remedy="pass truth='synthetic' or truth='real'")
            t = t[t["truth"] == truth]
        return t.head(int(n)).reset_index(drop=True)

    # ------------------------------------------------------------------ sentences
    def _say(self, text: str) -> str:
        """A sentence: prefixed with :data:`SIMULATED` for a simulated class, first letter capitalised."""
        text = (SIMULATED if self.simulated else "") + text
        return text[:1].upper() + text[1:]

    def overall_sentence(self) -> str:
        c = self.base.clustered
        verdict = {"better than chance": "readers told real from synthetic better than chance",
                   "worse than chance": "readers systematically took one for the other (worse than chance)",
                   "not shown": "that these readers can tell real from synthetic is not shown at this size"
                   }[c.reading()]
        return self._say(f"mean accuracy over {c.n_readers} readers × {c.n_tiles} tiles ({c.n_answers} answers) "
                         f"{_pct(c.accuracy)}, {self.base.ci_level:.0%} CI {_pct(c.ci[0])}–{_pct(c.ci[1])} "
                         f"(two-way cluster bootstrap over readers and tiles): {verdict}.")

    def model_sentence(self) -> str:
        m = self.model
        if m is None:
            return self._say(f"no crossed model: {self.model_note}")
        verdict = {"better than chance": "better than chance", "worse than chance": "worse than chance",
                   "not shown": "not shown to differ from chance"}[m.reading()]
        fit = "" if m.converged else " (the fit did not converge: read it with care)"
        return self._say(f"a linear mixed model with crossed random effects for readers and tiles gives a mean "
                         f"accuracy of {_pct(m.accuracy)} ({m.ci_level:.0%} CI {_pct(m.ci[0])}–{_pct(m.ci[1])}, "
                         f"{verdict}){fit}; readers' accuracies vary around it with an SD of "
                         f"{100 * m.reader_sd:.0f} percentage points, tiles' with {100 * m.tile_sd:.0f}.")

    def readers_sentence(self) -> str:
        readings = [chance_reading(a.ci) for a in self.base.per_reader.values()]
        n = len(readings)
        better, worse = readings.count("better than chance"), readings.count("worse than chance")
        best = max(self.base.per_reader.items(), key=lambda kv: (kv[1].accuracy, kv[0]))
        worst = min(self.base.per_reader.items(), key=lambda kv: (kv[1].accuracy, kv[0]))
        return self._say(f"on their own, {better} of {n} readers did better than chance (Wilson "
                         f"{self.base.ci_level:.0%} CI above 50%), {worse} did worse than chance and "
                         f"{n - better - worse} were not shown either way; accuracies ranged from "
                         f"{_pct(worst[1].accuracy)} ({worst[0]}) to {_pct(best[1].accuracy)} ({best[0]}).")

    def fooled_sentence(self) -> str:
        syn = self.tiles[self.tiles["truth"] == "synthetic"]
        real = self.tiles[self.tiles["truth"] == "real"]

        def listing(t: pd.DataFrame) -> str:
            return ", ".join(f"{r.tile_id} ({r.fooled} of {r.answers})" for r in t.itertuples())

        maj_syn, maj_real = syn[syn["majority_fooled"]], real[real["majority_fooled"]]
        if len(maj_syn):
            first = (f"{len(maj_syn)} of {len(syn)} synthetic tiles were taken for real by a majority of readers: "
                     f"{listing(maj_syn.head(5))}")
        elif len(syn) and syn["fooled"].max() > 0:
            top = syn.head(1)
            first = (f"no synthetic tile was taken for real by a majority of readers; the one most often: "
                     f"{listing(top)}")
        else:
            first = "no synthetic tile was taken for real by any reader"
        second = (f"{len(maj_real)} of {len(real)} real tiles were taken for synthetic by a majority"
                  + (f": {listing(maj_real.head(5))}" if len(maj_real) else ""))
        return self._say(f"{first}; {second}.")

    def pseudo_replication_sentence(self) -> str:
        p = self.base.pooled
        return self._say(f"pooling the {p.n} answers as if they were independent would give {_pct(p.accuracy)} "
                         f"(Wilson CI {_pct(p.ci[0])}–{_pct(p.ci[1])}, {format_p(p.p_value)}): pseudo-replication, "
                         "not the result, because answers of one reader and answers to one tile are not independent.")

    def sentences(self) -> list[str]:
        """Every statement the notebook makes about the class, generated from the numbers."""
        return [self.overall_sentence(), self.model_sentence(), self.readers_sentence(), self.fooled_sentence(),
                self.pseudo_replication_sentence()]

    # ------------------------------------------------------------------ evidence
    def to_metric_result(self) -> MetricResult:
        """``reader_study.accuracy`` with the two-way clustered CI (as for one study), plus the crossed model, the
        most fooled tiles and whether the class was simulated in ``details``."""
        base = self.base.to_metric_result()
        details = dict(base.details)
        details.update({"crossed_model": None if self.model is None else self.model.to_dict(),
                        "class": {"simulated": self.simulated, "readers": len(self.base.per_reader)},
                        "most_fooled": self.fooled_most(8).to_dict("records")})
        return replace(base, interpretation=" ".join(self.sentences()[:2]), details=details)

    def add_evidence(self, review: Review, *, source: str = "") -> str:
        """Store :meth:`to_metric_result` as rung-2 evidence in ``review``; returns the evidence id. The source
        says SIMULATED for a simulated class."""
        what = "SIMULATED class reader study" if self.simulated else "class reader study"
        return str(review.add_evidence(self.to_metric_result(), rung=RUNG,
                                       source=source or f"{what} {self.study_id}",
                                       note=self.overall_sentence()))


def analyse_class(records: list[dict], *, study: ReaderStudy | None = None, ci_level: float = 0.95, seed: int = 0,
                  n_boot: int = N_BOOT, simulated: bool = False) -> ClassReaderResults:
    """Analyse the answers of a class (see the module doc). With ``study`` the records are checked against it
    (:func:`check_against_study`); ``seed`` seeds the bootstrap; ``simulated`` labels every sentence."""
    records = list(records)
    if not records:
        raise InputError("no reader answers to analyse", path="reader_answers",
                         remedy="collect the students' answer files with misyn-lab class readers")
    for r in records:
        problem = check_record(r)
        if problem:
            raise InputError(problem, path="reader_answers", remedy="collect the answers with misyn-lab class "
                                                                    "readers, which refuses such files")
    if study is not None:
        check_against_study(records, study)
    studies = sorted({r["study_id"] for r in records})
    if len(studies) > 1:
        raise InputError(f"answers to {len(studies)} reader studies mixed: {', '.join(studies)}",
                         path="reader_answers", remedy="analyse one study at a time (--study ID)")
    base = results_from_records(records, ci_level=ci_level, study_id=studies[0], seed=seed)
    if n_boot != N_BOOT:
        base = replace(base, clustered=two_way_bootstrap(records, ci_level=ci_level, n_boot=n_boot, seed=seed))
    model, note = None, ""
    try:
        model = crossed_model(records, ci_level=ci_level)
    except InputError as exc:
        note = exc.message
    return ClassReaderResults(base, model, tile_table(records, ci_level=ci_level), bool(simulated), studies[0], note)


__all__ = ["RECORD_FIELDS", "SIMULATED", "ClassReaderResults", "CrossedModel", "analyse_class", "answers_frame",
           "check_against_study", "check_record", "crossed_model", "tile_table"]
