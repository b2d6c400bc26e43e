"""The L1–L3 lessons of notebook 01: each shows its limit in numbers and a viz figure with a takeaway."""

from __future__ import annotations

from misyn_lab.workbook import lessons


def test_invented_detail_l1_is_shown_on_a_subject_the_prior_never_saw():
    import numpy as np

    demo = lessons.invented_detail(n=3, seed=0, n_samples=4)
    t = demo.table
    assert len(t) == 6 and set(t["input"]) == {"held-out subject (Colin27)", "in the prior's fit (MNI152)"}
    assert all(i.startswith("colin27-") for i in t.loc[t["input"] == "held-out subject (Colin27)", "image"])
    err = t.groupby("input")["mean |error|"].mean()
    assert err["held-out subject (Colin27)"] > 1.5 * err["in the prior's fit (MNI152)"]  # the fit flatters itself
    # one stated threshold in the table column, the figure caption and the results
    col = f"pixels with invented detail > {lessons.L1_THRESHOLD:g}"
    assert lessons.L1_THRESHOLD == 0.05 and col in t.columns
    assert "more than 0.05" in demo.figure.misyn_takeaway and "L1" in demo.figure.misyn_takeaway
    held = t.loc[t["input"] == "held-out subject (Colin27)", col]
    assert demo.results["l1.invented_pixels"].value == float(held.mean())
    assert demo.results["l1.invented_pixels"].details["threshold"] == 0.05
    # several posterior samples of one input, with the per-pixel spread
    post = demo.extra["posterior_figure"]
    assert "posterior sample 4" in " ".join(ax.get_title() for ax in post.axes)
    assert "vary by more than 0.05" in post.misyn_takeaway
    assert demo.results["l1.posterior_sd"].value > 0 and np.isfinite(demo.results["l1.posterior_sd"].value)


def test_thinned_tails_and_dropped_subgroup_l2():
    tails = lessons.thinned_tails(n=60, seed=0)
    share = tails.table.set_index("set")["share in the tails"]
    assert share["synthetic"] < share["real"] and "thinned" in tails.figure.misyn_takeaway
    drop = lessons.dropped_subgroup(n=60, seed=0)
    assert drop.results["subgroup.representation_ratio_min"].value < 0.5
    assert drop.figure.misyn_takeaway.startswith("Planted so there is something to find: the generator was told to "
                                                 "sample the smaller subject at 0.05× its share")
    assert drop.results["subgroup.representation_ratio_min"].details["planted"] is True


def test_posterior_samples_follow_the_input():
    import numpy as np

    from misyn_lab.synth.super_resolution import SuperResolutionGenerator, degrade
    from misyn_lab.workbook.data import teaching_real_set

    real = teaching_real_set(size=(32, 32), groups=("mni152",))
    gen = SuperResolutionGenerator(factor=4).fit(real)
    low = degrade(real.images[:2], 4)
    draws = gen.posterior_samples(low, 5, seed=1)
    assert draws.shape == (2, 5, 32, 32) and np.all((draws >= 0) & (draws <= 1))
    assert np.array_equal(draws, gen.posterior_samples(low, 5, seed=1))  # seeded
    # every draw is consistent with the input: degrading it gives (nearly) the input back
    assert np.abs(degrade(draws[0], 4) - low[0]).mean() < 0.05
    assert draws[0].std(axis=0).max() > 0  # yet they differ


def test_near_copies_l2_privacy():
    demo = lessons.near_copies(n=10, seed=0)
    assert demo.results["memorisation.copy_rate"].value > 0.5
    assert len(demo.extra["synthetic"]) == 10 and demo.extra["synthetic"].synthetic.all()


def test_new_shift_l3():
    demo = lessons.new_shift(n=60, seed=0)
    assert demo.results["detection.auc"].value > 0.6
    assert demo.table.iloc[0]["feature"] in demo.figure.misyn_takeaway
