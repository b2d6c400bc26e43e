"""What the sample archive is made of: source descriptions, licences, notices, and PROVENANCE.md text."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

COLIN27_PATH = Path("/usr/share/mricron/templates/ch2.nii.gz")

MNI_NOTICE = (
    "Copyright (C) 1993-2004 Louis Collins, McConnell Brain Imaging Centre, Montreal Neurological Institute, "
    "McGill University. Permission to use, copy, modify, and distribute this software and its documentation "
    "for any purpose and without fee is hereby granted, provided that the above copyright notice appear in all "
    "copies. The authors and McGill University make no representations about the suitability of this software "
    "for any purpose. It is provided \"as is\" without express or implied warranty. The authors are not "
    "responsible for any data loss, equipment damage, property loss, or injury to subjects or patients "
    "resulting from the use or misuse of this software package.")

#: Per group: human-readable source, package, licence, modality, body part, subject.
SOURCE_INFO: dict[str, dict[str, str]] = {
    "mni152": {"source": "MNI ICBM152 2009a nonlinear symmetric T1 template (skull-stripped, as shipped by nilearn)",
               "package": "nilearn (PyPI)", "licence": "BSD-3-Clause (nilearn) + MNI ICBM152 notice",
               "modality": "MR", "body_part": "BRAIN", "subject": "MNI152 template (average of 152 adults)"},
    "colin27": {"source": "Colin27 single-subject T1 average (ch2.nii.gz, Holmes et al. 1998) as shipped by MRIcron",
                "package": "mricron-data (Debian)", "licence": "BSD-3-Clause (debian/copyright of mricron)",
                "modality": "MR", "body_part": "BRAIN", "subject": "Colin27 (one adult, 27 scans averaged)"},
    "dicom_ct": {"source": "pydicom / pydicom-data test files (NEMA WG04 and donated de-identified CT)",
                 "package": "pydicom / pydicom-data (PyPI)", "licence": "MIT", "modality": "CT"},
    "dicom_mr": {"source": "pydicom / pydicom-data test files (NEMA WG04, Siemens, enhanced MR)",
                 "package": "pydicom / pydicom-data (PyPI)", "licence": "MIT", "modality": "MR"},
    "dicom_cr": {"source": "pydicom-data test files (NEMA WG04 RG1 chest, RG3 tibia)",
                 "package": "pydicom-data (PyPI)", "licence": "MIT", "modality": "CR"},
    "dicom_us": {"source": "pydicom / pydicom-data test files (NEMA WG04 US1, Philips OB, Aloka, TEE)",
                 "package": "pydicom / pydicom-data (PyPI)", "licence": "MIT", "modality": "US"},
    "dicom_nm": {"source": "pydicom-data test file (NEMA WG04 NM1 whole-body bone scan)",
                 "package": "pydicom-data (PyPI)", "licence": "MIT", "modality": "NM"},
    "retina": {"source": "scikit-image data.retina(): fundus photograph of a normal left eye (M. Häggström)",
               "package": "scikit-image (PyPI)", "licence": "CC0-1.0", "modality": "fundus", "body_part": "EYE",
               "subject": "retina (Häggström 2014)"},
    "microaneurysms": {"source": "scikit-image data.microaneurysms(): HRF database image 07_dr crop (green channel)",
                       "package": "scikit-image (PyPI)", "licence": "CC0-1.0", "modality": "fundus",
                       "body_part": "EYE"},
    "histology": {"source": "scikit-image data.immunohistochemistry(): colonic glands, IHC (FHL2/DAB + hematoxylin)",
                  "package": "scikit-image (PyPI)", "licence": "no known copyright restrictions (scikit-image docs)",
                  "modality": "histology", "body_part": "COLON"},
}


@dataclass(frozen=True)
class DicomSource:
    """One pydicom test file and how to turn it into samples."""

    group: str
    file: str
    window: str | tuple[float, float] | None = None  # None: 0.5-99.5 percentile; "file": DICOM VOI window
    frames: tuple[int, ...] | None = None
    body_part: str = ""
    plane: str = ""
    burned_in: str = "no"
    optional: bool = False
    note: str = ""

    @property
    def package_dir(self) -> str:
        from pydicom.data import get_testdata_file

        path = str(get_testdata_file(self.file, download=False) or "")
        return "pydicom-data:data_store/data" if "data_store" in path else "pydicom:data/test_files"


DICOM_SOURCES: tuple[DicomSource, ...] = (
    DicomSource("dicom_ct", "CT_small.dcm", window=(40.0, 400.0), plane="axial",
                note="NEMA WG04 CT1_UNC downsized to 128x128 by pydicom; "
                     "PatientAge 000Y/PatientSex O are placeholders"),
    DicomSource("dicom_ct", "693_UNCR.dcm", window="file", plane="axial", note="head visible; body part not stated"),
    DicomSource("dicom_ct", "J2K_pixelrep_mismatch.dcm", window="file", plane="axial", optional=True,
                note="JPEG 2000 lossless (decoded with Pillow/OpenJPEG)"),
    DicomSource("dicom_ct", "explicit_VR-UN.dcm", window=(40.0, 400.0), plane="axial", optional=True,
                note="JPEG 2000 lossless (decoded with Pillow/OpenJPEG); TCIA-derived de-identified CT"),
    DicomSource("dicom_mr", "MR_small.dcm", note="NEMA WG04 MR1_UNC downsized to 64x64 by pydicom"),
    DicomSource("dicom_mr", "emri_small.dcm", note="enhanced MR, 10 frames"),
    DicomSource("dicom_mr", "MR2_UNCR.dcm", body_part="SHOULDER", note="body part from StudyDescription"),
    DicomSource("dicom_mr", "MR-SIEMENS-DICOM-WithOverlays.dcm", note="overlay planes present in file, not rendered"),
    DicomSource("dicom_cr", "RG1_UNCR.dcm"),
    DicomSource("dicom_cr", "RG3_UNCR.dcm", burned_in="yes (laterality marker 'R')",
                note="StudyDescription: non-ossifying fibroma of distal tibia"),
    DicomSource("dicom_us", "US1_UNCR.dcm", burned_in="yes (institution name, IDs, time, scale)",
                note="colour Doppler of a lymph node (annotation 'LYMPH NODE')"),
    DicomSource("dicom_us", "OBXXXX1A.dcm", burned_in="yes (vendor, date/time, settings)", note="obstetric exam"),
    DicomSource("dicom_us", "gdcm-US-ALOKA-16.dcm", burned_in="yes (institution, date, settings)",
                note="Aloka abdominal/pelvic exam, 16-bit palette"),
    DicomSource("dicom_us", "color-pl.dcm",
                note="transesophageal echocardiogram with colour Doppler; no visible text, sector lines "
                     "and a small marker only"),
    DicomSource("dicom_nm", "JPEG2000_UNC.dcm", note="whole-body bone scan (StudyDescription 'Whole Body Bone')"),
)

_DERIVATION = {
    "mni152": "Volume reoriented to RAS (nibabel), intensities scaled by the volume's min and 99.9th brain percentile; "
              "axial and coronal: 40 slices each, evenly spread over the central 80% of the brain-mask extent; "
              "sagittal: the midline (x=0) plus the right hemisphere only, 22 slices evenly spread from x=0 mm "
              "to 90% of the way to the lateral brain edge (x=0..+65 mm, about 3 mm apart like the other planes; "
              "denser slices 1-2 mm apart behave as near-duplicates). Why one hemisphere: the "
              "template is *symmetric* (voxel-identical at +x and -x; checked by tests/imagesets), so slices from "
              "both hemispheres were pixel-identical duplicate pairs, and duplicate real images make real-to-real "
              "nearest-neighbour distances 0, which breaks fidelity and memorisation metrics. Each slice rotated "
              "(axial: anterior up; coronal/sagittal: superior up; axial/coronal show the subject's left on the "
              "image left, sagittal shows anterior on the right), zero-padded to a square and resized to 128x128 "
              "(bilinear, anti-aliased). Masks: 0 background, 1 grey matter, 2 white matter = the larger of nilearn's "
              "grey/white-matter probability templates where it is >= 0.5, inside the brain mask; resized with "
              "nearest neighbour. CSF and partial-volume voxels are background.",
    "colin27": "As MNI152, but 24 slices per plane and sagittal slices from both hemispheres like the other "
               "planes (Colin27 is one real, asymmetric brain: mirrored slices differ); brain extent from "
               "ch2bet.nii.gz; no masks.",
    "dicom": "Modality LUT (rescale slope/intercept) applied; MONOCHROME1 inverted; palette/RGB converted to "
             "luminance; CT windowed with the file's VOI window or a soft-tissue window C=40 W=400 HU; MR/CR/US/NM "
             "windowed at the 0.5-99.5 percentiles; zero-padded to a square and resized to 128x128. Only "
             "uncompressed or lossless files are used. Age/sex are copied only where the file states real values "
             "(placeholders such as 000Y are dropped). Burned-in text was checked by eye and is recorded per image.",
    "skimage": "Retina: the whole photo resized to 128x128 plus 128x128 tiles at native resolution lying fully in the "
               "field of view. Microaneurysms: the 102x102 grey crop upsampled to 128x128. Histology: the 512x512 "
               "image cut into 16 non-overlapping 128x128 tiles (native resolution).",
}


def provenance_markdown(counts: pd.DataFrame, notes: list[str]) -> str:
    """The PROVENANCE.md text (deterministic: no dates, no versions)."""
    lines = [
        "# Provenance of `data_samples/`",
        "",
        "Every image here is derived from a **real** medical image that ships inside an installed package; "
        "nothing is synthetic. Rebuild with `misyn-lab samples build` (deterministic: `--check` compares the bytes "
        "with `MANIFEST.sha256`). The table `metadata.csv` carries only attributes the source states.",
        "",
        "## Contents",
        "",
        "| group | modality | images |",
        "|---|---|---|",
    ]
    lines += [f"| {r.group} | {r.modality} | {r.n} |" for r in counts.itertuples()]
    lines += [f"| **total** | | **{int(counts['n'].sum())}** |", "", "## Sources, licences, notices", ""]
    lines += [
        "### MNI152 (group `mni152`)",
        f"- Source: {SOURCE_INFO['mni152']['source']}; files `mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz`, "
        "`..._gm_...`, `..._wm_...` in `nilearn/datasets/data/` (loaded with `load_mni152_template(resolution=1)`, "
        "`load_mni152_gm_template`, `load_mni152_wm_template`, `load_mni152_brain_mask`).",
        "- Licence: nilearn is BSD-3-Clause (`nilearn-*.dist-info/licenses/LICENSE`). nilearn's own dataset "
        "description (`nilearn/datasets/description/icbm152_2009.rst`) lists the template licence as *unknown*; "
        "the upstream ICBM 2009 distribution (McConnell Brain Imaging Centre) carries the following notice, "
        "reproduced here (it is not contained in the nilearn wheel; the wording below matches the notice as "
        "other projects redistribute it with the ICBM 2009 templates):",
        f"  > {MNI_NOTICE}",
        "- Cite: Fonov et al., NeuroImage 2011 and 2009; Collins et al. 1999.",
        "",
        "### Colin27 (group `colin27`)",
        f"- Source: `{COLIN27_PATH}` from the Debian package `mricron-data` (optional: skipped with a note if absent).",
        "- Licence: `/usr/share/doc/mricron-data/copyright` declares `Files: *` BSD-3-Clause, Copyright 2006-2010 "
        "Chris Rorden. The image is the MNI 'Colin27' average of 27 T1 scans of one subject (Holmes et al., "
        "J Comput Assist Tomogr 1998), as distributed with MRIcron. Sex/age are not stated in the file and are "
        "left empty.",
        "",
        "### DICOM (groups `dicom_ct`, `dicom_mr`, `dicom_cr`, `dicom_us`, `dicom_nm`)",
        "- Source: pydicom's bundled `pydicom/data/test_files/` and the `pydicom-data` package (import name "
        "`data_store`, files in `data_store/data/`), located with `pydicom.data.get_testdata_file(name, "
        "download=False)`. Origins per `pydicom/data/test_files/README.txt`: NEMA WG04 sample sets, GDCM, "
        "de-identified donated files.",
        "- Licence: MIT (`pydicom-*.dist-info/licenses/LICENSE`; `pydicom_data-*.dist-info/LICENSE`).",
        "- Files used: " + ", ".join(f"`{s.file}` ({s.group})" for s in DICOM_SOURCES) + ".",
        "- Several ultrasound frames have **burned-in text** (institution names, dates, device settings); "
        "see the `burned_in_text` column. Models can learn such text as a shortcut.",
        "",
        "### scikit-image (groups `retina`, `microaneurysms`, `histology`)",
        "- `data.retina()`: Wikimedia 'Fundus photograph of normal left eye', M. Häggström, CC0 1.0.",
        "- `data.microaneurysms()`: crop of HRF database image 07_dr (Budai et al. 2013), CC0 given by the owner "
        "(A. Maier).",
        "- `data.immunohistochemistry()`: colonic glands, FHL2 IHC with DAB and hematoxylin, Center for Microscopy "
        "And Molecular Imaging (CMMI); 'no known copyright restrictions'.",
        "- Licence statements are from the scikit-image docstrings (`skimage/data/_fetchers.py`); scikit-image "
        "itself is BSD-3-Clause.",
        "",
        "## Derivation",
        "",
        f"- MNI152: {_DERIVATION['mni152']}",
        f"- Colin27: {_DERIVATION['colin27']}",
        f"- DICOM: {_DERIVATION['dicom']}",
        f"- scikit-image: {_DERIVATION['skimage']}",
        "- All images are 128x128 PNGs (grey uint8 for radiology and microaneurysms, RGB for fundus photo and "
        "histology), written with Pillow without metadata chunks; masks are uint8 PNGs in `masks/`.",
        "",
        "## Build notes",
        "",
    ]
    lines += [f"- {n}" for n in notes] or ["- all sources were available."]
    return "\n".join(lines) + "\n"
