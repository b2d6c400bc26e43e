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


def test_prompt_without_attribute_is_refused(small_run):
    gen = T.fit_generator(small_run.train)
    with pytest.raises(InputError, match="names no known attribute"):
        T.generate(gen, "a picture of a cat", 2, 0)
