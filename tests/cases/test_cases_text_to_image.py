"""Case 2: prompt parser, prompt-conditioned generation with provenance, fidelity and the unseen combination."""

from __future__ import annotations

import json

import numpy as np
import pytest

from misyn_lab.cases import text_to_image as T
from misyn_lab.errors import InputError


def test_parse_prompt_maps_words_to_real_attributes():
    p = T.parse_prompt("axial T1 MR brain slice")
    assert p == {"modality": "MR", "body_part": "BRAIN", "plane": "axial"}
    assert p.unknown == [] and p.ignored == ["slice"]
    q = T.parse_prompt("Sagittal MRI of the brain from colin27")
    assert q == {"modality": "MR", "body_part": "BRAIN", "plane": "sagittal", "source": "colin27"}


def test_unknown_words_are_listed_not_dropped():
    p = T.parse_prompt("axial MR brain with a glioblastoma and oedema")
    assert p.unknown == ["glioblastoma", "oedema"]
    assert "NOT understood: glioblastoma, oedema" in p.describe()


def test_multiword_phrase_and_conflict():
    assert T.parse_prompt("computed tomography of the head")["modality"] == "CT"
    with pytest.raises(InputError, match="two values of plane"):
        T.parse_prompt("axial coronal MR")
    with pytest.raises(InputError, match="prompt is empty"):
        T.parse_prompt("   ")


def test_vocabulary_comes_from_metadata_values():
    import pandas as pd

    meta = pd.DataFrame({"modality": ["PET"], "body_part": ["LIVER"], "plane": ["axial"], "group": ["mine"]})
    p = T.parse_prompt("axial pet liver from mine", T.build_vocabulary(meta))
    assert p == {"modality": "PET", "body_part": "LIVER", "plane": "axial", "source": "mine"}
    assert T.parse_prompt("brain", T.build_vocabulary(meta)).unknown == ["brain"]


@pytest.fixture(scope="module")
def small_run():
    prompts = ["axial MR brain", "histology patch of colon", "MR head with a glioblastoma", "coronal MR of the head"]
    return T.run_case2(prompts, n_per_prompt=8, size=32)


def test_generation_carries_prompt_and_flags_unseen(small_run):
    s = small_run.samples["coronal MR of the head"]
    assert s.synthetic.all() and not s.meta["conditions_observed"].any()
    prov = json.loads(s.meta["provenance"].iloc[0])
    assert prov["conditioning"]["prompt"] == "coronal MR of the head"
    seen = small_run.samples["axial MR brain"]
    assert seen.meta["conditions_observed"].all()
    unk = json.loads(small_run.samples["MR head with a glioblastoma"].meta["provenance"].iloc[0])
    assert unk["conditioning"]["unknown_words"] == ["glioblastoma"]


def test_fidelity_and_table(small_run):
    fid = small_run.fidelity.set_index("prompt")
    vals = fid.to_numpy(dtype=float)
    assert np.nanmin(vals) >= 0 and np.nanmax(vals) <= 1
    assert np.isnan(fid.loc["axial MR brain", "source"])  # not requested -> not scored
    table = small_run.table.set_index("prompt")
    assert table.loc["coronal MR of the head", "n_train"] == 0
    assert not table.loc["coronal MR of the head", "conditions_observed"]
    assert table.loc["histology patch of colon", "n_train"] <= 20
    assert 0 <= table.loc["histology patch of colon", "copy rate"] <= 1
    measured = small_run.measured()
    assert measured["t2i.unseen_combination"].value == 1.0
    assert 0 <= measured["t2i.prompt_fidelity"].value <= 1
    assert all(0.5 < a <= 1 for a in small_run.classifiers.real_accuracy.values())


def test_worst_prompt_coverage_is_not_reported_as_overall_coverage(small_run):
    measured = small_run.measured()
    assert all(r.key != "prdc.coverage" for r in measured.values())
    cov = measured["t2i.coverage_min_prompt"]
    assert cov.key == "t2i.coverage_min_prompt" and "not overall coverage" in cov.interpretation
    per_prompt = [r["coverage"] for r in cov.details["per_prompt"]]
    assert cov.value == min(per_prompt)


def test_pooled_copy_check_keeps_every_prompt_and_its_negative_control(small_run):
    res = small_run.measured()["memorisation.pixel_copy_rate"]
    per = res.details["per_part"]
    assert set(per) == set(small_run.memorisation) and res.details["verdict"] in ("copies", "inconclusive")
    table = small_run.table.set_index("prompt")
    for prompt, part in per.items():
        assert part["n_negative_control"] == table.loc[prompt, "n_holdout"] >= 2
        assert part["copy_rate"] == table.loc[prompt, "copy rate"]
    assert res.n["synthetic"] == 8 * len(per) and "real images the generator never saw" in res.interpretation


def test_small_n_per_prompt_metrics_carry_n_and_a_caveat(small_run):
    table = small_run.table.set_index("prompt")
    for prompt, row in table.iterrows():
        assert row["caveat"] == T.per_prompt_caveat(int(row["n_holdout"]))
        if row["n_holdout"] < 4:
            assert np.isnan(row["coverage"]) and "not computed" in row["caveat"]
        elif row["n_holdout"] < T.SMALL_N:
            assert "are rough" in row["caveat"]
    cov = small_run.measured()["t2i.coverage_min_prompt"]
    assert cov.split == "held-out" and cov.n["real"] == min(
        r["n_holdout"] for r in cov.details["per_prompt"] if r["coverage"] == cov.value)
    assert f"prompts have fewer than {T.SMALL_N} held-out images" in cov.interpretation


@pytest.mark.parametrize("mean, ceiling, expected", [
    (0.5, 0.95, "which falls short of the 95 % at which they recognise held-out real images"),
    (0.9, 0.95, "slightly below the 95 % at which they recognise held-out real images"),
    (0.97, 0.95, "as often as they recognise held-out real images (95 %)"),
])
def test_bottom_line_agrees_with_the_measured_fidelity(mean, ceiling, expected):
    line = T.fidelity_bottom_line(mean, ceiling, "p", 0.2, n_prompts=8, n_unseen=1, copy_verdict="inconclusive",
                                  copy_rate=0.0)
    assert line == (f"Bottom line: classifiers trained on real images recognise the requested attributes in "
                    f"{mean:.0%} of generated images, {expected}; worst prompt 'p' at 20 %; 1 of 8 prompts asked for a "
                    "combination never observed and still produced images; copies of training images: not shown "
                    "beyond the false-alarm rate (inconclusive).").replace(f"{mean:.0%}", f"{mean:.0%}"[:-1] + " %")
    copies = T.fidelity_bottom_line(mean, ceiling, "p", 0.2, n_prompts=8, n_unseen=1, copy_verdict="copies",
                                    copy_rate=0.4)
    assert copies.endswith("; 40 % of the checked images are copies of training images in pixel space.")


def test_bottom_line_of_a_run_uses_its_numbers(small_run):
    line = T.bottom_line(small_run)
    fid = small_run.fidelity.drop(columns=["prompt"]).to_numpy(dtype=float)
    from misyn_lab.render import fmt_percent

    assert f"in {fmt_percent(np.nanmean(fid))} of generated images" in line and "1 of 4 prompts" in line


def test_prompt_without_attribute_is_refused(small_run):
    gen = T.fit_generator(small_run.train)
    with pytest.raises(InputError, match="names no known attribute"):
        T.generate(gen, "a picture of a cat", 2, 0)


def test_prompt_gallery_uses_the_shared_synthetic_marker(small_run):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.colors import to_hex

    from misyn_lab.cases.figures import prompt_gallery
    from misyn_lab.viz.style import MARK_COLOUR, SYNTHETIC_MARK

    fig = prompt_gallery(small_run.samples, n=2)
    texts = [t for ax in fig.axes for t in ax.texts]
    marks = [t for t in texts if t.get_text() == SYNTHETIC_MARK]
    assert len(marks) == 2 * len(small_run.samples)  # every generated image is marked
    assert {to_hex(t.get_bbox_patch().get_facecolor()) for t in marks} == {to_hex(MARK_COLOUR)}
    unseen = sum(not bool(s.meta["conditions_observed"].iloc[0]) for s in small_run.samples.values())
    assert sum(t.get_text() == "UNSEEN COMBINATION" for t in texts) == 2 * unseen > 0
