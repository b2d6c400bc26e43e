"""The per-file readers other stations may use: one bounded decoding path for every image format.

Public face of the private reader modules (``_raster``, ``_dicom``) and of the NIfTI/``.npz`` header checks,
so that the provenance station (hashing, labelling, auditing) decodes exactly as the loaders do, under the
same pixel budget (:mod:`misyn_lab.imagesets.budget`).
"""

from misyn_lab.imagesets._dicom import (
    PIXEL_KEYWORDS,
    check_dicom_budget,
    dcmread,
    dicom_pixels,
    has_dicm_marker,
    looks_like_dicom,
    read_dicom,
)
from misyn_lab.imagesets._loading import NIFTI_SUFFIXES, NPZ_SUFFIXES, suffix, text_path
from misyn_lab.imagesets._raster import RASTER_SUFFIXES, RawFrame, read_raster
from misyn_lab.imagesets.budget import (
    DEFAULT_MAX_PIXELS,
    check_budget,
    iter_pages,
    open_image,
    reduce_for,
    shape_values,
)
from misyn_lab.imagesets.nifti import check_nifti_budget, nifti_extent, nifti_voxels, open_nifti
from misyn_lab.imagesets.npz import array_headers

__all__ = [
    "PIXEL_KEYWORDS", "check_dicom_budget", "dcmread", "dicom_pixels", "has_dicm_marker", "looks_like_dicom",
    "read_dicom", "NIFTI_SUFFIXES", "NPZ_SUFFIXES", "suffix", "text_path", "RASTER_SUFFIXES", "RawFrame", "read_raster",
    "DEFAULT_MAX_PIXELS", "check_budget", "iter_pages", "open_image", "reduce_for", "shape_values",
    "check_nifti_budget", "nifti_extent", "nifti_voxels", "open_nifti", "array_headers",
]
