"""Marking DICOM datasets as synthetic with the standard's own attributes (see ``DICOM.md``).

Every standard attribute is addressed by its pydicom keyword (pydicom's data dictionary supplies the tag);
the only numbers written here are the private block's, which the standard leaves to the implementer:
group 0x0011, private creator ``MISYN_LAB``, element offset 0x01 = full provenance JSON (UT).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pydicom
from pydicom.datadict import tag_for_keyword
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import generate_uid

from misyn_lab.provenance.record import Provenance
from misyn_lab.safe_parse import json_or_problem

PRIVATE_GROUP = 0x0011
PRIVATE_CREATOR = "MISYN_LAB"
PRIVATE_PROVENANCE_OFFSET = 0x01
#: Code for the purpose "Synthesizing Equipment" (DICOM CID 7005 Contributing Equipment Purposes).
SYNTHESIZING_EQUIPMENT = ("109100", "DCM", "Synthesizing Equipment")
#: True when the installed pydicom knows the standard's Synthetic Data attribute (0008,001C).
HAS_SYNTHETIC_DATA = tag_for_keyword("SyntheticData") is not None


def _lo(text: str, limit: int = 64) -> str:
    """A value that fits a LO/SH-style element (no backslash, bounded length)."""
    return str(text).replace("\\", "/")[:limit]


def mark_dataset(ds: Dataset, provenance: Provenance, *, banner: bool = False) -> list[str]:
    """Write the synthetic mark into ``ds`` in place; returns the keywords (and private tag) written.

    Pixels are not touched here (the banner is burned by the caller; ``banner`` only sets Burned In
    Annotation). Source Image Sequence is written when the provenance names a source SOP instance.
    """
    written: list[str] = []
    if not provenance.to_json().isascii() or not provenance.describe().isascii():
        # pydicom decodes existing values to str, so switching to UTF-8 re-encodes them faithfully
        ds.SpecificCharacterSet = "ISO_IR 192"
        written.append("SpecificCharacterSet")
    if HAS_SYNTHETIC_DATA:
        ds.SyntheticData = "YES"
        written.append("SyntheticData")
    old_type = list(ds.get("ImageType", []) or [])
    ds.ImageType = ["DERIVED", "SECONDARY"] + [str(v) for v in old_type[2:]]
    ds.ConversionType = "SYN"
    ds.DerivationDescription = provenance.describe()[:1024]
    written += ["ImageType", "ConversionType", "DerivationDescription"]

    purpose = Dataset()
    purpose.CodeValue, purpose.CodingSchemeDesignator, purpose.CodeMeaning = SYNTHESIZING_EQUIPMENT
    equipment = Dataset()
    equipment.PurposeOfReferenceCodeSequence = DicomSequence([purpose])
    equipment.Manufacturer = _lo(provenance.generator)
    equipment.ManufacturerModelName = _lo(provenance.generator)
    equipment.SoftwareVersions = [_lo(provenance.generator_version or "unknown"), _lo(provenance.tool)]
    equipment.ContributionDateTime = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
    equipment.ContributionDescription = provenance.describe()[:1024]
    previous = list(ds.get("ContributingEquipmentSequence", []) or [])
    ds.ContributingEquipmentSequence = DicomSequence(previous + [equipment])
    written.append("ContributingEquipmentSequence")
    if banner:
        ds.BurnedInAnnotation = "YES"
        written.append("BurnedInAnnotation")
    if provenance.source_sop_instance_uid:
        ref = Dataset()
        ref.ReferencedSOPClassUID = provenance.source_sop_class_uid or ds.get("SOPClassUID", "")
        ref.ReferencedSOPInstanceUID = provenance.source_sop_instance_uid
        ds.SourceImageSequence = DicomSequence([ref])
        written.append("SourceImageSequence")
    block = ds.private_block(PRIVATE_GROUP, PRIVATE_CREATOR, create=True)
    block.add_new(PRIVATE_PROVENANCE_OFFSET, "UT", provenance.to_json())
    written.append(f"({PRIVATE_GROUP:04X},xx{PRIVATE_PROVENANCE_OFFSET:02X}) {PRIVATE_CREATOR} provenance")
    return written


def new_sop_instance(ds: Dataset) -> None:
    """Give ``ds`` a new SOP Instance UID (its pixels changed) and reference the old one as its source."""
    old_uid = str(ds.get("SOPInstanceUID", "") or "")
    if old_uid:
        ref = Dataset()
        ref.ReferencedSOPClassUID = ds.get("SOPClassUID", "")
        ref.ReferencedSOPInstanceUID = old_uid
        previous = list(ds.get("SourceImageSequence", []) or [])
        ds.SourceImageSequence = DicomSequence(previous + [ref])
    ds.SOPInstanceUID = generate_uid()
    if hasattr(ds, "file_meta") and ds.file_meta is not None:
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID


def read_dataset_mark(ds: Dataset) -> tuple[bool, dict[str, Any] | None, list[str], list[str]]:
    """``(synthetic?, provenance dict or None, fields carrying the mark, problems)`` of a dataset.

    Synthetic when Synthetic Data = YES, or Conversion Type = SYN, or a Contributing Equipment item has
    the purpose "Synthesizing Equipment", or misyn-lab's private provenance block is present. A private
    provenance block that is not a JSON object is not a mark by itself; it is reported in ``problems`` and
    the provenance falls back to the Contributing Equipment attributes.
    """
    fields: list[str] = []
    problems: list[str] = []
    if str(ds.get("SyntheticData", "") or "").upper() == "YES":
        fields.append("SyntheticData")
    if str(ds.get("ConversionType", "") or "").upper() == "SYN":
        fields.append("ConversionType")
    for item in ds.get("ContributingEquipmentSequence", []) or []:
        for code in item.get("PurposeOfReferenceCodeSequence", []) or []:
            if (str(code.get("CodeValue", "")), str(code.get("CodingSchemeDesignator", ""))) == SYNTHESIZING_EQUIPMENT[:2]:
                fields.append("ContributingEquipmentSequence")
    provenance = None
    try:
        block = ds.private_block(PRIVATE_GROUP, PRIVATE_CREATOR)
        element = block[PRIVATE_PROVENANCE_OFFSET]
    except KeyError:
        element = None
    if element is not None:
        loaded, problem = json_or_problem(element.value, f"private {PRIVATE_CREATOR} block",
                                          what="provenance JSON")
        if problem is not None:
            problems.append(f"private {PRIVATE_CREATOR} provenance unreadable ({problem}); provenance taken from "
                            "the DICOM attributes")
        elif loaded is not None:
            provenance = loaded
            fields.append(f"private {PRIVATE_CREATOR} provenance")
    if fields and "ImageType" in ds and "DERIVED" in [str(v).upper() for v in (ds.ImageType or [])]:
        fields.append("ImageType")
    if fields and str(ds.get("BurnedInAnnotation", "") or "").upper() == "YES":
        fields.append("BurnedInAnnotation")
    if fields and provenance is None:
        provenance = _provenance_from_equipment(ds)
    return bool(fields), provenance, fields, problems


def _provenance_from_equipment(ds: Dataset) -> dict[str, Any] | None:
    for item in ds.get("ContributingEquipmentSequence", []) or []:
        versions = item.get("SoftwareVersions", "")
        versions = list(versions) if isinstance(versions, pydicom.multival.MultiValue) else [versions]
        return {"generator": str(item.get("Manufacturer", "")),
                "generator_version": str(versions[0]) if versions else "",
                "notes": str(ds.get("DerivationDescription", ""))}
    return None
