"""The L1–L3 lessons of notebook 01: each shows its limit in numbers and a viz figure with a takeaway."""

from __future__ import annotations

from misyn_lab.workbook import lessons


def test_invented_detail_l1():
    demo = lessons.invented_detail(n=2, seed=0)
    assert len(demo.table) == 2 and 0 < demo.results["l1.invented_pixels"].value < 1
    assert "L1" in demo.figure.misyn_takeaway


def test_thinned_tails_and_dropped_subgroup_l2():
    tails = lessons.thinned_tails(n=60, seed=0)
    share = tails.table.set_index("set")["share in the tails"]
    assert share["synthetic"] < share["real"] and "thinned" in tails.figure.misyn_takeaway
    drop = lessons.dropped_subgroup(n=60, seed=0)
    assert drop.results["subgroup.representation_ratio_min"].value < 0.5
    assert "least represented" in drop.figure.misyn_takeaway


def test_near_copies_l2_privacy():
    demo = lessons.near_copies(n=10, seed=0)
    assert demo.results["memorisation.copy_rate"].value > 0.5
    assert len(demo.extra["synthetic"]) == 10 and demo.extra["synthetic"].synthetic.all()


def test_new_shift_l3():
    demo = lessons.new_shift(n=60, seed=0)
    assert demo.results["detection.auc"].value > 0.6
    assert demo.table.iloc[0]["feature"] in demo.figure.misyn_takeaway
