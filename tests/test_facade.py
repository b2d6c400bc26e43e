"""The top-level facade: every name resolves to its station's object, lazily (``import misyn_lab`` stays light)."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import misyn_lab

NAMES = ["load_checklist", "Review", "load_images", "load_sample", "evaluate", "build_report", "label_file",
         "audit_folder"]


def test_all_lists_the_facade():
    assert misyn_lab.__all__ == ["__version__", *NAMES]
    assert set(NAMES) <= set(dir(misyn_lab))


@pytest.mark.parametrize("name", NAMES)
def test_every_facade_name_is_its_station_object(name):
    module, attribute = misyn_lab.FACADE[name]
    assert getattr(misyn_lab, name) is getattr(importlib.import_module(module), attribute)
    assert getattr(misyn_lab, name).__doc__


def test_the_facade_names_are_the_stations_public_names():
    from misyn_lab import checklist, imagesets, metrics, provenance

    assert misyn_lab.evaluate is metrics.evaluate_imagesets
    assert misyn_lab.Review is checklist.Review and misyn_lab.load_checklist is checklist.load_checklist
    assert misyn_lab.load_images is imagesets.load_images and misyn_lab.load_sample is imagesets.load_sample
    assert misyn_lab.label_file is provenance.label_file and misyn_lab.audit_folder is provenance.audit_folder


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match=r"^module 'misyn_lab' has no attribute 'evaluate_imagesets'$"):
        misyn_lab.evaluate_imagesets  # noqa: B018 - the station's name, not the facade's


def test_import_misyn_lab_loads_no_heavy_package():
    code = ("import sys, misyn_lab\n"
            "heavy = ('numpy', 'pandas', 'matplotlib', 'scipy', 'yaml', 'misyn_lab.checklist')\n"
            "print(sorted(m for m in heavy if m in sys.modules))\n"
            "misyn_lab.Review\n"
            "print('misyn_lab.checklist.review' in sys.modules)\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert run.stdout.split("\n")[:2] == ["[]", "True"]
