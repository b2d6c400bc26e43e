"""The evaluation API reads the real files for synthetic marks and registry matches (not a loader flag)."""

from __future__ import annotations

import shutil

import pytest
from PIL import Image

from misyn_lab.errors import InputError
from misyn_lab.imagesets.samples import data_dir
from misyn_lab.provenance import Provenance, Registry, label_file
from misyn_lab.workbook import load_inputs

SAMPLES = data_dir() / "images"


@pytest.fixture
def real(tmp_path):
    folder = tmp_path / "real"
    folder.mkdir()
    for p in sorted(SAMPLES.rglob("*.png"))[:8]:
        shutil.copy(p, folder / p.name)
    return folder


def test_marked_real_images_are_refused_unless_allowed(real):
    first = sorted(real.iterdir())[0]
    label_file(first, Provenance(generator="ddpm"))
    with pytest.raises(InputError) as info:
        load_inputs(real, n=6, subgroup=None, registry=None)
    assert str(info.value) == (
        f"{real}: 1 of the 8 real image file(s) carry a synthetic mark or match the registry of generated images "
        f"({first.name}: labelled synthetic (PNG text misyn:synthetic, XMP Iptc4xmpExt:DigitalSourceType)); "
        "evaluating synthetic images as real hides their problems (fix: remove them from the real set, or pass "
        "allow_marked_real=True if they are there on purpose (the report then says so))")
    data = load_inputs(real, n=6, subgroup=None, registry=None, allow_marked_real=True)
    assert len(data.train) + len(data.holdout) == 8


def test_stripped_marks_are_found_through_the_registry(real, tmp_path):
    reg = tmp_path / "reg.sqlite"
    victim = sorted(real.iterdir())[3]
    label_file(victim, Provenance(generator="ddpm"), registry=reg)
    Image.open(victim).save(victim)  # de-identified: marks gone, pixels kept
    assert load_inputs(real, n=6, subgroup=None, registry=None).note  # marks only: not found
    with pytest.raises(InputError, match=rf"\({victim.name}: unlabelled, matches registry image #1 "
                                         rf"\({victim.name}\) by pixels\)"):
        load_inputs(real, n=6, subgroup=None, registry=reg)
    with Registry(reg) as opened:
        assert len(opened) == 1
