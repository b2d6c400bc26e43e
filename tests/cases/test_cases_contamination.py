"""Contamination lab (quick, seeded): unlabelled synthetic pairs in a test set and a retraining set make the Dice
drift by measured amounts; an audit with the registry finds the stripped files and removing them restores the
clean numbers; without registration it cannot. Values are asserted, recomputed independently where possible."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from misyn_lab.cases import contamination as cn
from misyn_lab.errors import InputError
from misyn_lab.provenance import audit_folder, is_synthetic


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    return cn.run_contamination(tmp_path_factory.mktemp("lab") / "lab", rates=cn.QUICK_RATES, n_seeds=3, seed=0)


@pytest.fixture(scope="module")
def unregistered_lab(tmp_path_factory):
    return cn.run_contamination(tmp_path_factory.mktemp("lab") / "lab", rates=cn.QUICK_RATES, n_seeds=3, seed=0,
                                unregistered=0.5)


def _t_interval(x):
    x = np.asarray(x, dtype=float)
    return stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))


def test_injection_sizes_give_the_rate():
    assert [cn.n_injected(r, 16) for r in (0.0, 0.1, 0.3, 0.5)] == [0, 2, 7, 16]
    assert [cn.n_injected(r, 6) for r in (0.3, 0.5)] == [3, 6]
    assert cn.check_rates([0.5, 0.3]) == (0.0, 0.3, 0.5)
    q = cn.quantise(np.array([0.0, 0.5, 1 / 3, 1.0]))
    assert np.array_equal(np.round(q * 255), [0, 128, 85, 255])


def test_test_set_drift_is_measured_and_matches_the_pair_scores(lab):
    s = lab.summary().set_index(["scenario", "rate"])
    top = s.loc[("test", 0.5)]
    assert (top["n_synthetic"], top["n_total"], top["share"], top["seeds"]) == (16, 32, 0.5, 3)
    # at 50 % the test set is half real, half synthetic: reported = (real + synthetic) / 2 per seed
    per_seed = (lab.pairs["synthetic"] - lab.pairs["real"]) / 2
    assert top["drift"] == pytest.approx(per_seed.mean(), abs=1e-12)
    assert (top["drift_low"], top["drift_high"]) == pytest.approx(_t_interval(per_seed), abs=1e-12)
    # pinned for seed 0, 3 seeds: synthetic test pairs are harder, the reported Dice falls
    assert lab.pairs["real"].mean() == pytest.approx(0.7891, abs=1e-4)
    assert lab.pairs["synthetic"].mean() == pytest.approx(0.7410, abs=1e-4)
    assert top["drift"] == pytest.approx(-0.0240, abs=1e-4) and top["drift_high"] < 0
    assert s.loc[("test", 0.3), "drift"] == pytest.approx(-0.0207, abs=1e-4)
    assert s.loc[("test", 0.0), "drift"] == 0.0


def test_retraining_drift_is_measured(lab):
    s = lab.summary().set_index(["scenario", "rate"])
    top = s.loc[("retrain", 0.5)]
    assert (top["n_synthetic"], top["n_total"]) == (6, 12)
    part = lab.per_seed[lab.per_seed["scenario"] == "retrain"]
    clean = part[part["rate"] == 0].set_index("seed")["dice_reported"]
    diffs = part[part["rate"] == 0.5].set_index("seed")["dice_reported"] - clean
    assert top["drift"] == pytest.approx(diffs.mean()) and (top["drift_low"], top["drift_high"]) == \
        pytest.approx(_t_interval(diffs))
    assert top["drift"] == pytest.approx(0.0076, abs=1e-4)
    # the clean baseline is one model on one test set: the same in both scenarios
    assert lab.clean("test") == lab.clean("retrain")


def test_the_benchmark_files_carry_no_mark_and_the_registry_finds_them(lab):
    files = sorted((lab.workdir / "benchmark").rglob("*.png"))
    assert len(files) == 3 * (16 + 16 + 6 + 6)
    assert all(is_synthetic(f) is None for f in files)
    assert audit_folder(lab.workdir / "benchmark", registry=None, progress=False).counts()["labelled_synthetic"] == 0
    with_registry = audit_folder(lab.workdir / "benchmark", registry=lab.registry_path, progress=False).counts()
    assert with_registry == lab.audit_counts == {"labelled_synthetic": 0, "unlabelled_registry_match": 66,
                                                 "no_evidence": 66, "unreadable": 0}


def test_removing_the_flagged_files_restores_the_clean_numbers(lab):
    rows = lab.per_seed
    assert (rows["synthetic_missed"] == 0).all() and (rows["real_removed"] == 0).all()
    assert (rows["synthetic_found"] == rows["n_synthetic"]).all()
    clean = rows[rows["rate"] == 0].set_index(["scenario", "seed"])["dice_reported"]
    after = rows.set_index(["scenario", "seed"])["dice_after_audit"]
    assert np.array_equal(after.to_numpy(), clean.reindex(after.index).to_numpy())
    assert lab.recovery("test") == lab.recovery("retrain") == "identical"


def test_sentences_state_the_measured_direction_and_size(lab):
    mechanism, test_drift, retrain_drift, audit, test_back, retrain_back = lab.sentences()
    assert mechanism == ("Synthetic test pairs were segmented with a mean Dice of 0.741, real test pairs 0.789 "
                         "(difference -0.048, 95% CI [-0.070, -0.027] over 3 seeds): synthetic pairs are harder for "
                         "this segmenter than real ones: each one added pulls the reported mean down.")
    assert test_drift == ("At 50% contamination of the test set (16 unlabelled synthetic pairs among 32), the reported "
                          "Dice fell by 0.024 (95% CI [-0.035, -0.013] over 3 seeds); the benchmark understates how "
                          "well the segmenter does on real images.")
    assert retrain_drift.startswith("Retrained on a set that is 50% synthetic (6 unlabelled synthetic pairs among 12), "
                                    "the segmenter's Dice on the clean real test set rose by 0.008 (95% CI [+0.00026, ")
    assert audit == ("The audit with the registry flagged 66 of the 66 stripped synthetic files in the benchmark "
                     "folder (0 missed) and 0 of its 66 real files; the flagged files were removed.")
    assert test_back.startswith("After the audit, the reported Dice at 50% contamination is 0.789, identical to the "
                                "clean value in every seed: the audit restored the clean numbers")
    assert "within its 95% CI [0.768, 0.810] over seeds" in retrain_back
    # every drift sentence's verb follows its interval
    s = lab.summary()
    for row in s[s["rate"] > 0].itertuples():
        text = lab.drift_sentence(row.scenario, row.rate)
        verb = "rose by" if row.drift_low > 0 else "fell by" if row.drift_high < 0 else "no drift shown"
        assert verb in text, text


def test_what_an_audit_cannot_find(unregistered_lab):
    lab = unregistered_lab
    s = lab.summary().set_index(["scenario", "rate"])
    top = s.loc[("test", 0.5)]
    assert top["synthetic_missed"] > 0 and top["synthetic_found"] + top["synthetic_missed"] == 48
    assert lab.audit_counts["unlabelled_registry_match"] == 33
    assert lab.recovery("test") == "still differs"
    assert top["after_minus_clean"] == pytest.approx(-0.0193, abs=1e-4) and top["after_high"] < 0
    assert "33 missed; 50% of the synthetic images were never registered" in lab.audit_sentence()
    assert "still different from the clean value: the audit did not restore the clean numbers" in \
        lab.recovery_sentence("test")


def test_same_seed_same_numbers(tmp_path):
    a = cn.run_contamination(tmp_path / "a", rates=(0, 0.5), n_seeds=2, seed=5, k_train=3, n_test=6, per_plane=4)
    b = cn.run_contamination(tmp_path / "b", rates=(0, 0.5), n_seeds=2, seed=5, k_train=3, n_test=6, per_plane=4)
    assert a.per_seed.equals(b.per_seed) and a.pairs.equals(b.pairs)


def test_bad_inputs_and_a_folder_that_is_not_the_labs(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.docx").write_text("precious", encoding="utf-8")
    with pytest.raises(InputError, match="folder is not empty and is not a contamination-lab folder; not touching it"):
        cn.run_contamination(mine, n_seeds=2)
    assert (mine / "thesis.docx").read_text(encoding="utf-8") == "precious"
    lab = cn.prepare_workdir(tmp_path / "lab")
    (lab / "benchmark").mkdir()
    (lab / "notes.txt").write_text("kept", encoding="utf-8")
    cn.prepare_workdir(lab)
    assert not (lab / "benchmark").exists() and (lab / "notes.txt").exists()
    with pytest.raises(InputError, match=r"rates must lie in \[0, 0.9\] with at least one above 0, got \[0.95\]"):
        cn.check_rates([0.95])
    with pytest.raises(InputError, match="rates must be numbers"):
        cn.check_rates(["a lot"])
    with pytest.raises(InputError, match="n_seeds must be an integer >= 2, got 1"):
        cn.run_contamination(tmp_path / "x", n_seeds=1)
    with pytest.raises(InputError, match=r"unregistered must be a share in \[0, 1\], got 2"):
        cn.run_contamination(tmp_path / "x", unregistered=2)
    with pytest.raises(InputError, match="k_train \\+ n_test = 40 pairs, but only 36 real pairs"):
        cn.run_contamination(tmp_path / "x", k_train=20, n_test=20)
