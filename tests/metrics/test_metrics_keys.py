"""The key table and the one builder: every key declared once (direction, unit, split, sentence), results built
from numbers with the house number formats, undeclared keys and missing numbers refused."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

import misyn_lab
from misyn_lab.errors import InputError
from misyn_lab.metrics.document import metric_label
from misyn_lab.metrics.keys import DIRECTIONS, KEYS, MEASURED_ON, interpret, metric_key
from misyn_lab.metrics.result import SPLITS, MetricResult, build
from misyn_lab.render import plain

PACKAGE = Path(misyn_lab.__file__).parent


def test_every_row_is_complete_and_its_template_names_value():
    for key, row in KEYS.items():
        assert row.key == key and row.name and row.unit
        assert row.direction in DIRECTIONS and row.measured_on in MEASURED_ON
        if row.template:
            fields = {f for _, f, _, _ in string.Formatter().parse(row.template) if f}
            assert "value" in fields or key == "tstr.gap", key  # the gap's sentence states the change, signed


def test_no_result_is_constructed_by_hand_in_the_package():
    """``MetricResult(...)`` appears only in the class itself (``from_dict``) and the builder."""
    callers = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in (
                    "MetricResult",):
                callers.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert [c.split(":")[0] for c in callers] == ["metrics/result.py"], callers


def test_builder_takes_direction_and_sentence_from_the_table():
    r = build("prdc.precision", 0.4567, n={"real": 52, "synthetic": 60}, split="held-out", k=5)
    assert isinstance(r, MetricResult) and r.direction == "higher_is_better" and r.split == "held-out"
    assert r.interpretation.startswith("46 % of synthetic samples fall inside the real data's 5-nearest-neighbour")
    assert r.n == {"real": 52, "synthetic": 60} and r.ci is None and r.ci_level is None
    with_ci = build("frechet", 12.345, n={"real": 3, "synthetic": 3}, ci=(1.0, 20.0), ci_level=0.9,
                    features="texture", mean_share=0.25)
    assert with_ci.ci == (1.0, 20.0) and with_ci.ci_level == 0.9 and with_ci.direction == "lower_is_better"
    assert with_ci.interpretation.startswith("Fréchet distance 12.3 on the texture features (25 % from the means")
    given = build("paired.tost", 0.1, n={"pairs": 8}, p_value=0.03, interpretation="Said by the caller.")
    assert given.interpretation == "Said by the caller." and given.direction == "neutral"
    assert plain(metric_label(r)) == "Precision (PRDC, fidelity) prdc.precision"


def test_builder_refuses_undeclared_keys_unknown_splits_and_missing_numbers():
    with pytest.raises(InputError, match=r"^misyn_lab/metrics/keys.py: undeclared result key 'prdc.f1' \(fix: "):
        build("prdc.f1", 0.5, n={"real": 1})
    with pytest.raises(InputError, match=r"^prdc.recall.split: unknown split 'test'"):
        build("prdc.recall", 0.5, n={"real": 1}, split="test", k=5)
    with pytest.raises(InputError, match=r"^interpret: the reading sentence needs the number 'k' \(fix: pass k="):
        build("prdc.recall", 0.5, n={"real": 1})
    assert set(SPLITS) >= {"held-out", "training"}


def test_interpret_uses_the_house_number_formats():
    assert interpret("{a:percent} {b:number} {c:p} {d:count} {e:.1f}", a=0.004, b=1234.5, c=0.2, d=12000, e=2.25) \
        == "0.4 % 1,230 p = 0.200 12,000 2.2"
    assert metric_key("ks.max").measured_on == "held-out real"
