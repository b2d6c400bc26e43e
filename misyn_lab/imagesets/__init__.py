"""Image sets: the one image container (:class:`ImageSet`), its loaders, the file-backed collection read chunk
by chunk (:class:`ImageFiles`), and the bundled real samples."""

from misyn_lab.imagesets.core import MISSING_GROUP, ImageSet, SkippedFile, validate_pixels
from misyn_lab.imagesets.files import ImageFiles
from misyn_lab.imagesets.intensity import normalise_intensity
from misyn_lab.imagesets.loaders import load_dicom, load_folder, load_images, load_nifti, load_npz
from misyn_lab.imagesets.samples import list_samples, load_sample, load_sample_with_masks

__all__ = [
    "ImageSet", "ImageFiles", "SkippedFile", "MISSING_GROUP", "validate_pixels", "normalise_intensity",
    "load_folder", "load_dicom", "load_nifti", "load_npz", "load_images",
    "list_samples", "load_sample", "load_sample_with_masks",
]
