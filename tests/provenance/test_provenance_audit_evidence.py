"""AuditReport.evidence(): the audit as checklist evidence (labelled share, unlabelled synthetic count)."""

from __future__ import annotations

import math
import shutil

import pytest
from PIL import Image
from scipy.stats import binomtest

from misyn_lab.checklist import Review, load_checklist
from misyn_lab.errors import InputError
from misyn_lab.metrics.result import MetricResult
from misyn_lab.provenance import Registry, audit_folder, label_file
from misyn_lab.provenance.audit import EVIDENCE_KEYS


@pytest.fixture
def folder(tmp_path, prov, synthetic_png, dataset_root):
    """2 real slices, 2 labelled synthetic PNGs, 1 synthetic JPEG re-encoded without its mark, 1 corrupt PNG,
    and a registry that knows the synthetic images."""
    root = dataset_root
    reg_path = tmp_path / "reg.sqlite"
    with Registry(reg_path) as reg:
        first = label_file(synthetic_png, prov, out=root / "syn" / "a.png", registry=reg)
        label_file(synthetic_png, prov, out=root / "syn" / "b.png", registry=reg)
    Image.open(first).convert("L").save(root / "syn" / "leaked.jpg", quality=85)
    (root / "real" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    return root, reg_path


def test_evidence_with_registry(folder):
    root, reg_path = folder
    report = audit_folder(root, registry=reg_path, progress=False)
    counts = report.counts()
    assert (counts["labelled_synthetic"], counts["unlabelled_registry_match"], counts["unreadable"]) == (2, 1, 1)
    ev = report.evidence()
    assert tuple(ev) == EVIDENCE_KEYS and all(isinstance(r, MetricResult) for r in ev.values())

    lab = ev["provenance.labelled"]
    assert lab.value == pytest.approx(2 / 3) and 0 <= lab.value <= 1
    assert lab.n == {"synthetic_found": 3, "labelled": 2, "unlabelled": 1, "images": 5}
    expected_ci = binomtest(2, 3).proportion_ci(confidence_level=0.95, method="wilson")
    assert lab.ci == pytest.approx((expected_ci.low, expected_ci.high)) and lab.ci_level == 0.95
    assert lab.direction == "higher_is_better"
    assert lab.interpretation == ("2 of the 3 synthetic files found (67 %) carry a synthetic mark; the other 1 "
                                  "matches the registry but carries no mark; 1 file could not be read and was not "
                                  "checked.")

    unl = ev["audit.unlabelled_synthetic"]
    assert unl.value == 1 and unl.direction == "lower_is_better"
    assert unl.n == {"images": 5, "synthetic_found": 3, "unlabelled": 1}
    assert unl.details["share_of_images"] == pytest.approx(1 / 5)
    assert unl.details["share_of_synthetic"] == pytest.approx(1 / 3)
    assert unl.details["files"] == ["syn/leaked.jpg"] and unl.details["files_total"] == 1
    assert unl.interpretation.startswith("1 of the 5 readable images (20 %) are generated images from the registry")
    wider = report.evidence(ci_level=0.99)["provenance.labelled"].ci
    assert wider[0] < lab.ci[0] and wider[1] > lab.ci[1]


def test_evidence_without_registry_is_upper_bound_and_not_measured(folder):
    root, _ = folder
    ev = audit_folder(root, progress=False).evidence()
    lab, unl = ev["provenance.labelled"], ev["audit.unlabelled_synthetic"]
    assert lab.value == 1.0 and lab.details["upper_bound"] is True
    assert "no registry was used" in lab.interpretation and "upper bound" in lab.interpretation
    assert math.isnan(unl.value) and unl.interpretation.startswith("Not measured: the audit used no registry")
    assert unl.details["share_of_images"] is None and unl.to_dict()["value"] is None


def test_evidence_when_no_synthetic_file_is_found(tmp_path, axial_slices):
    root = tmp_path / "real"
    root.mkdir()
    for p in axial_slices[:3]:
        shutil.copy(p, root / p.name)
    with Registry(tmp_path / "empty.sqlite"):
        pass
    ev = audit_folder(root, registry=tmp_path / "empty.sqlite", progress=False).evidence()
    lab, unl = ev["provenance.labelled"], ev["audit.unlabelled_synthetic"]
    assert math.isnan(lab.value) and lab.ci is None
    assert lab.interpretation == ("No synthetic file was found among the 3 readable images (no mark, no registry "
                                  "match), so the share of labelled synthetic files cannot be computed.")
    assert unl.value == 0 and unl.details["files"] == []
    assert unl.interpretation.startswith("No unlabelled synthetic file was found: none of the 3 readable images")


def test_evidence_keys_are_the_checklist_metric_keys(folder):
    checklist = load_checklist()
    named = {k for item in checklist for k in item.metric_keys}
    assert set(EVIDENCE_KEYS) <= named
    assert set(checklist.item("TS-3").metric_keys) == set(EVIDENCE_KEYS)
    root, reg_path = folder
    report = audit_folder(root, registry=reg_path, progress=False)
    review = Review.new("audit")
    for key, result in report.evidence().items():
        eid = review.add_evidence(result, source="misyn_lab.provenance.audit")
        for item in checklist:
            if key in item.metric_keys:
                review.link_evidence(item.id, eid)
        assert MetricResult.from_dict(review.evidence[eid]["result"]) == result
    assert len(review.evidence_for("TS-3")) == 2


def test_evidence_bad_ci_level(folder):
    root, reg_path = folder
    report = audit_folder(root, registry=reg_path, progress=False)
    with pytest.raises(InputError, match="ci_level must be between 0 and 1, got 95"):
        report.evidence(ci_level=95)
