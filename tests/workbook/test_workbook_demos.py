"""The stage demonstrations (notebooks 02–06): tables, evidence results and figures with takeaways."""

from __future__ import annotations

from pathlib import Path

import pytest

from misyn_lab.errors import InputError
from misyn_lab.workbook import design_checks, labelling_demo, representation, stakeholder_questions, teaching_real_set


def test_labelling_demo_catches_the_stripped_file(tmp_path: Path):
    demo = labelling_demo(tmp_path / "rev.yaml", n=3, seed=0)
    labelled, unlabelled = demo.results["provenance.labelled"], demo.results["audit.unlabelled_synthetic"]
    assert labelled.value == pytest.approx(2 / 3) and unlabelled.value == 1.0
    assert (tmp_path / "rev.export" / "release").is_dir()
    assert len(demo.table) == 3 and sum(p.startswith("stripped_") for p in demo.table["path"]) == 1
    again = labelling_demo(tmp_path / "rev.yaml", n=3, seed=0)  # re-running replaces the export folder
    assert len(again.table) == 3


def test_representation_shares_and_bad_column():
    real = teaching_real_set(40, seed=0, size=(16, 16))
    demo = representation(real, "plane", minority_weight=0.1)
    assert demo.table["share_real"].sum() == pytest.approx(1.0)
    assert demo.results["subgroup.representation_ratio_min"].value < 1.0
    with pytest.raises(InputError, match="unknown subgroup column 'sex_at_birth'"):
        representation(real, "sex_at_birth")


def test_design_checks_memorising_design_copies_more():
    demo = design_checks(n=10, seed=0)
    rates = demo.table.set_index("design")["copy rate"]
    assert rates["memorising"] > rates["pca_gaussian"]
    assert set(demo.results) == {"memorising:copy_rate", "pca_gaussian:copy_rate"}
    assert "memorising design" in demo.figure.misyn_takeaway


def test_stakeholder_questions_per_stage():
    all_q = stakeholder_questions()
    one = stakeholder_questions("oversight")
    assert set(one["stage"]) == {"oversight"} and 0 < len(one) < len(all_q)
    assert all(q.strip() for q in all_q["question"])
