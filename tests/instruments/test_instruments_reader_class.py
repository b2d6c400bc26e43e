"""A class reader study analysed readers × tiles: on a seeded SIMULATED class of 10 readers (reader 01 planted as
guessing, reader 02 as good) every number is checked against a computation straight from the answer files
(scipy, statsmodels and the two-way bootstrap called directly), and pinned; sentences carry those numbers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import yaml
from scipy import stats

from misyn_lab.checklist import Review
from misyn_lab.errors import InputError
from misyn_lab.instruments import ladder
from misyn_lab.instruments import reader_class as rc
from misyn_lab.instruments.reader_collect import collect_readers
from misyn_lab.instruments.reader_study import two_way_bootstrap
from misyn_lab.workbook.reader_class_demo import class_study, simulate_readers
from tests.instruments.test_instruments_reader_study import wilson

SEED = 3


@pytest.fixture(scope="module")
def study():
    return class_study(seed=0)


@pytest.fixture(scope="module")
def simulated(study, tmp_path_factory):
    sim = simulate_readers(tmp_path_factory.mktemp("readers") / "class", study, n_readers=10, seed=SEED)
    records = collect_readers(sim.folder).records
    return sim, records, rc.analyse_class(records, study=study, simulated=True)


def _raw(folder) -> pd.DataFrame:
    """Every answer read straight from the YAML files (not through misyn_lab)."""
    rows = []
    for path in sorted(folder.glob("*.yaml")):
        for r in yaml.safe_load(path.read_text(encoding="utf-8"))["reader_answers"]:
            rows.append({"reader": r["reader"], "tile": r["tile_id"], "truth": r["truth"],
                         "correct": int(r["answer"] == r["truth"]), "position": r["position"]})
    return pd.DataFrame(rows)


def test_planted_profiles_and_per_reader_accuracy_with_wilson_ci(simulated):
    sim, _, res = simulated
    assert sim.profiles["simulated-reader-01"] == "guessing" and sim.profiles["simulated-reader-02"] == "good"
    raw = _raw(sim.folder)
    assert len(raw) == 200 and raw.groupby("reader").size().eq(20).all()
    table = res.reader_table().set_index("reader")
    for reader, grp in raw.groupby("reader"):
        k, n = int(grp["correct"].sum()), len(grp)
        assert (table.loc[reader, "correct"], table.loc[reader, "answers"]) == (k, n)
        assert (table.loc[reader, "ci_low"], table.loc[reader, "ci_high"]) == pytest.approx(wilson(k, n))
        assert table.loc[reader, "p_vs_chance"] == pytest.approx(stats.binomtest(k, n, 0.5).pvalue)
    # pinned for this seed: the guessing reader is not shown to beat chance, the good one is
    assert table["correct"].tolist() == [8, 18, 12, 18, 12, 15, 15, 11, 14, 16]
    assert table.loc["simulated-reader-01", "reading"] == "not shown"
    assert table.loc["simulated-reader-01", "ci_low"] < 0.5 < table.loc["simulated-reader-01", "ci_high"]
    assert table.loc["simulated-reader-02", "reading"] == "better than chance"
    assert table.loc["simulated-reader-02", "ci_low"] == pytest.approx(0.6990, abs=1e-4)
    assert (table["reading"] == "better than chance").sum() == 5


def test_each_reader_saw_the_tiles_in_their_own_order(simulated, study):
    sim, _, _ = simulated
    raw = _raw(sim.folder)
    orders = {r: tuple(g.sort_values("position")["tile"]) for r, g in raw.groupby("reader")}
    assert all(sorted(o) == study.tile_ids for o in orders.values())
    assert len(set(orders.values())) == 10  # ten readers, ten different orders
    assert orders["simulated-reader-01"] == tuple(study.order_for("simulated-reader-01"))


def test_pooled_analyses_respect_readers_and_tiles(simulated):
    sim, records, res = simulated
    raw = _raw(sim.folder)
    c = res.base.clustered
    assert c == two_way_bootstrap(records, seed=0)
    assert (c.n_readers, c.n_tiles, c.n_answers, c.accuracy) == (10, 20, 200, raw["correct"].mean())
    assert c.ci == pytest.approx((0.56, 0.825), abs=1e-9) and c.reading() == "better than chance"
    # the crossed model is statsmodels' MixedLM on the same answers, fitted here straight from the files
    df = raw.assign(all=1)
    direct = sm.MixedLM.from_formula("correct ~ 1", groups="all", re_formula="0", data=df,
                                     vc_formula={"reader": "0 + C(reader)", "tile": "0 + C(tile)"}
                                     ).fit(reml=True, method=["lbfgs"])
    m = res.model
    assert m.converged and m.accuracy == pytest.approx(direct.fe_params["Intercept"], abs=1e-9)
    assert m.se == pytest.approx(direct.bse_fe["Intercept"], rel=1e-4)
    assert m.ci == pytest.approx((0.5811, 0.8089), abs=1e-3)
    assert (m.reader_sd, m.tile_sd) == pytest.approx((0.1270, 0.1305), abs=1e-3)
    # both respecting analyses are wider than the pooled binomial that treats 200 answers as independent
    p = res.base.pooled
    assert (p.correct, p.n) == (139, 200) and p.ci == pytest.approx(wilson(139, 200))
    for lo, hi in (c.ci, m.ci):
        assert hi - lo > p.ci[1] - p.ci[0]
    table = res.pooled_table()
    assert table["reading"].tolist() == ["better than chance", "better than chance", "p < 0.001"]


def test_tiles_that_fooled_most_readers(simulated):
    sim, _, res = simulated
    raw = _raw(sim.folder)
    fooled = (1 - raw.groupby("tile")["correct"].mean()).sort_values(ascending=False)
    t = res.tiles.set_index("tile_id")
    for tile, share in fooled.items():
        wrong = int(round(share * 10))
        assert t.loc[tile, "fooled"] == wrong and t.loc[tile, "share_fooled"] == pytest.approx(share)
        assert (t.loc[tile, "ci_low"], t.loc[tile, "ci_high"]) == pytest.approx(wilson(wrong, 10))
    assert res.fooled_most(2)["tile_id"].tolist() == ["T10", "T01"]
    assert res.fooled_most(3, truth="synthetic")["truth"].eq("synthetic").all()
    assert res.tiles["share_fooled"].is_monotonic_decreasing
    with pytest.raises(InputError, match="truth must be 'real' or 'synthetic', got 'fake'"):
        res.fooled_most(3, truth="fake")


def test_sentences_are_generated_from_the_numbers_and_say_simulated(simulated):
    _, _, res = simulated
    lines = res.sentences()
    assert all(s.startswith("SIMULATED class (made-up readers, no real person): ") for s in lines)
    assert lines[0].endswith("mean accuracy over 10 readers × 20 tiles (200 answers) 70%, 95% CI 56%–82% "
                             "(two-way cluster bootstrap over readers and tiles): readers told real from synthetic "
                             "better than chance.")
    assert "gives a mean accuracy of 70% (95% CI 58%–81%, better than chance)" in lines[1]
    assert "SD of 13 percentage points, tiles' with 13" in lines[1]
    assert "5 of 10 readers did better than chance" in lines[2] and "from 40% (simulated-reader-01)" in lines[2]
    assert "2 of 10 synthetic tiles were taken for real by a majority of readers: T10 (8 of 10), T01 (6 of 10)" \
        in lines[3]
    assert "0 of 10 real tiles were taken for synthetic by a majority" in lines[3]
    assert "would give 70%" in lines[4] and "p < 0.001): pseudo-replication" in lines[4]


def test_a_guessing_class_is_not_called_able_to_tell(study):
    """Ten guessers: the respecting analyses say 'not shown'; nothing claims the readers could tell."""
    truth = study.reveal()
    rng = np.random.default_rng(0)
    recs = [{"id": f"x/{r}/{t}", "study_id": study.study_id, "reader": f"g{r}", "tile_id": t,
             "image_id": study.image_ids()[t], "answer": rng.choice(["real", "synthetic"]), "truth": truth[t],
             "confidence": 1} for r in range(10) for t in study.tile_ids]
    res = rc.analyse_class(recs, study=study)
    assert res.base.clustered.reading() == "not shown" and res.model.reading() == "not shown"
    assert "not shown at this size" in res.overall_sentence() and "SIMULATED" not in res.overall_sentence()
    assert res.overall_sentence().startswith("Mean accuracy over 10 readers")


def test_evidence_on_rung_2_says_simulated(simulated):
    _, _, res = simulated
    review = Review.new("class")
    eid = res.add_evidence(review)
    record = review.evidence[eid]
    assert (record["key"], record["rung"]) == ("reader_study.accuracy", 2)
    assert record["source"] == f"SIMULATED class reader study {res.study_id}"
    details = record["result"]["details"]
    assert details["class"] == {"simulated": True, "readers": 10}
    assert details["crossed_model"]["accuracy"] == pytest.approx(0.695)
    assert record["result"]["ci"] == pytest.approx([0.56, 0.825])
    assert ladder.evidence_rungs(review)[2] == [eid] and ladder.highest_rung(review) == 2


def test_answers_are_checked_against_the_study(simulated, study):
    _, records, _ = simulated
    edited = [dict(r) for r in records]
    flip = {"real": "synthetic", "synthetic": "real"}
    edited[0] = {**edited[0], "truth": flip[edited[0]["truth"]], "answer": flip[edited[0]["answer"]]}
    tile = edited[0]["tile_id"]
    with pytest.raises(InputError, match=f"tile {tile} is '{records[0]['truth']}' in study {study.study_id}, "
                                         f"the answer file says '{edited[0]['truth']}'"):
        rc.analyse_class(edited, study=study)
    other = class_study(seed=1)
    with pytest.raises(InputError, match=f"belongs to reader study {study.study_id}, not {other.study_id}"):
        rc.analyse_class(records, study=other)
    moved = [dict(r) for r in records]
    moved[0]["image_id"] = "mni152-axi-999"
    with pytest.raises(InputError, match="the answer file says 'mni152-axi-999'"):
        rc.analyse_class(moved, study=study)


@pytest.mark.parametrize("change, message", [
    ({"confidence": 7}, "confidence 7 is not an integer 1-5"),
    ({"answer": "fake"}, "answer 'fake' is not 'real' or 'synthetic'"),
    ({"reader": ""}, "missing reader"),
])
def test_malformed_answers_are_refused(simulated, change, message):
    _, records, _ = simulated
    bad = [{**records[0], **change}] + records[1:]
    with pytest.raises(InputError, match=message):
        rc.analyse_class(bad)


def test_too_few_readers_for_the_model(simulated):
    _, records, _ = simulated
    one = [r for r in records if r["reader"] == "simulated-reader-02"]
    res = rc.analyse_class(one)
    assert res.model is None
    assert res.model_sentence() == "No crossed model: a crossed model needs at least 2 readers and 2 tiles, got 1 and 20"
    with pytest.raises(InputError, match="no reader answers to analyse"):
        rc.analyse_class([])
    mixed = records[:3] + [{**records[3], "study_id": "rs-other"}]
    with pytest.raises(InputError, match="answers to 2 reader studies mixed"):
        rc.analyse_class(mixed)
    assert math.isfinite(res.base.clustered.accuracy)


def test_no_model_without_variation_and_a_clipped_interval(study):
    truth = study.reveal()

    def records(answer_of):
        return [{"id": f"x/{r}/{t}", "study_id": study.study_id, "reader": f"r{r}", "tile_id": t,
                 "image_id": study.image_ids()[t], "answer": answer_of(r, t), "truth": truth[t], "confidence": 3}
                for r in range(3) for t in study.tile_ids]

    perfect = rc.analyse_class(records(lambda r, t: truth[t]))
    assert perfect.model is None
    assert perfect.model_sentence() == ("No crossed model: every answer is correct: a model has no variation to "
                                        "fit")
    flip = {"real": "synthetic", "synthetic": "real"}
    nearly = rc.analyse_class(records(lambda r, t: flip[truth[t]] if (r, t) == (0, "T01") else truth[t]))
    assert nearly.model.accuracy == pytest.approx(59 / 60) and nearly.model.ci[1] == 1.0
