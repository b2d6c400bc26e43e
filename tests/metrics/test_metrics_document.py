"""Measured results as a document: one name per metric in words that says which features it was measured on, the
value, CI, p (a permutation floor said as such), split, n and the full interpretation; an evaluation with its
protocol and per-subgroup table; the bottom line generated from the numbers; golden HTML and Markdown."""

from __future__ import annotations

import pandas as pd
import pytest

from misyn_lab import render
from misyn_lab.metrics.document import ResultsTable, evaluation_bottom_line, metric_label, results_block
from misyn_lab.metrics.evidence import IMAGESET_FEATURES, Evaluation
from misyn_lab.metrics.result import MetricResult
from misyn_lab.metrics.subgroups import SubgroupFrame

LONG = ("0% of 60 synthetic images (95% CI 0%-6%) are flagged as copies of a training image in pixel space, and the "
        "same rule flags 4% of 52 real images the generator never saw: inconclusive.")


def _results(copy_verdict: str = "inconclusive", auc: float = 0.991) -> dict[str, MetricResult]:
    rs = [MetricResult("prdc.precision", 0.2167, {"real": 52, "synthetic": 60}, ci=(0.15, 0.309), ci_level=0.95,
                       direction="higher_is_better", split="held-out", interpretation="22% inside the real manifold.",
                       details={"feature_set": IMAGESET_FEATURES}),
          MetricResult("prdc.coverage", 0.0962, {"real": 52, "synthetic": 60}, ci=(0.0385, 0.173), ci_level=0.95,
                       split="held-out", interpretation="10% of real samples covered.",
                       details={"feature_set": IMAGESET_FEATURES}),
          MetricResult("mmd.rbf", 0.3032, {"real": 52, "synthetic": 60}, p_value=1 / 51, split="held-out",
                       interpretation="MMD² 0.303.", details={"permutations": 50}),
          MetricResult("detection.auc", auc, {"real": 52, "synthetic": 52}, ci=(0.97, 1.0), ci_level=0.95,
                       split="held-out", interpretation="AUC."),
          MetricResult("memorisation.pixel_copy_rate", 0.0 if copy_verdict == "inconclusive" else 0.4,
                       {"train": 122, "synthetic": 60, "holdout": 52}, ci=(0.0, 0.0602), ci_level=0.95,
                       split="training", interpretation=LONG,
                       details={"verdict": copy_verdict, "false_alarm_rate": 0.03846}),
          MetricResult("subgroup.coverage_min", 0.0, {"subgroups": 3, "real": 52, "synthetic": 60}, split="held-out",
                       interpretation="Worst-covered: sagittal.",
                       details={"column": "plane", "worst_subgroup": "sagittal"}),
          MetricResult("custom.thing", float("nan"), {"n": 3}, interpretation="")]
    return {r.key: r for r in rs}


def _evaluation() -> Evaluation:
    table = pd.DataFrame({"subgroup": ["sagittal", "axial"], "n_real": [14, 19], "n_syn": [4, 28],
                          "share_real": [0.269, 0.365], "share_syn": [0.0667, 0.467],
                          "representation_ratio": [0.289, 1.28], "precision": [0.0, 0.25], "recall": [float("nan"), 1],
                          "coverage": [0.0, 0.158], "distance": [10.5, 3.2], "distance_metric": ["frechet"] * 2,
                          "note": ["too few synthetic samples for k=5: recall not computed", ""]})
    frame = SubgroupFrame(by_group=table, overall=pd.Series(dtype=float), column="plane", k=5)
    return Evaluation(results=_results(), subgroups=frame, memorisation=None, utility=None,
                      feature_shift=pd.DataFrame(), notes=["no task label given: TSTR skipped"],
                      protocol={"n_train": 122, "n_holdout": 52, "n_synthetic": 60, "subgroup": "plane"})


def test_results_and_evaluation_match_golden(golden):
    table = results_block(_results(), features=IMAGESET_FEATURES)
    golden("results.html", render.to_html(table))
    golden("results.md", render.to_markdown(table))
    section = _evaluation().to_section(id="evaluation-results")
    golden("evaluation.html", render.to_html(section))
    golden("evaluation.md", render.to_markdown(section))


def test_one_name_per_metric_with_its_features():
    r = _results()
    assert render.plain(metric_label(r["prdc.coverage"])) == ("Coverage (PRDC, diversity), on intensity, texture and "
                                                             "PCA-embedding features prdc.coverage")
    # a feature-space result without a feature_set is named with the features the caller says it used
    assert render.plain(metric_label(r["mmd.rbf"], features="intensity")) == "MMD² (RBF kernel), on intensity " \
                                                                             "features mmd.rbf"
    assert render.plain(metric_label(r["memorisation.pixel_copy_rate"], features="intensity")) == \
        "Copy rate in pixel space memorisation.pixel_copy_rate"  # measured on pixels, not on features
    assert render.plain(metric_label(r["custom.thing"])) == "custom: thing custom.thing"


def test_numbers_in_one_format_and_text_in_full():
    md = render.to_markdown(results_block(_results()))
    assert "| 0.217 | 95 % CI \\[0.150, 0.309\\] |" in md
    assert "p ≤ 0.0196 (the smallest value 50 permutations can give)" in md
    assert LONG.replace("%", "%") in md.replace("\\", "") and "..." not in md
    assert "| — |" in md  # a missing value is a dash, never nan
    assert "122 training, 60 synthetic, 52 held-out" in md


def test_bottom_line_follows_the_numbers():
    line = evaluation_bottom_line(_results(), {"n_train": 122, "n_holdout": 52, "n_synthetic": 60})
    assert line == ("Bottom line: against 52 held-out real images, the 60 synthetic images reach precision 0.217 "
                    "(share that looks like real images) and coverage 0.0962 (share of real images they reach; both "
                    "1 at best); a classifier almost always tells them from real images (detection AUC 0.991, 0.5 = "
                    "cannot); copies of training images not shown beyond the false-alarm rate (inconclusive): 0 % "
                    "flagged vs 4 % of real images the generator never saw; worst-covered plane subgroup: sagittal "
                    "(coverage 0).")
    copies = evaluation_bottom_line(_results("copies", auc=0.5), {"n_train": 0, "n_holdout": 12, "n_synthetic": 9})
    assert "against 12 real images (no training set named)" in copies
    assert "copies of training images found: 40 % flagged" in copies and "cannot tell them" in copies


def test_results_show_themselves_in_a_notebook():
    r = _results()["prdc.coverage"]
    assert r._repr_html_() == render.to_html(results_block([r]))
    wrapped = ResultsTable(_results())
    assert wrapped._repr_html_() == render.to_html(results_block(_results())) and "7 results" in repr(wrapped)
    ev = _evaluation()
    assert ev._repr_html_() == render.to_html(ev.to_section())


@pytest.mark.parametrize("key", ["prdc.precision", "frechet", "tstr.gap", "paired.wilcoxon", "t2i.prompt_fidelity"])
def test_known_keys_have_names_in_words(key):
    name = render.plain(metric_label(MetricResult(key, 1.0, {})))
    assert key not in name.split(" " + key)[0] and "_" not in name.split(" " + key)[0]
