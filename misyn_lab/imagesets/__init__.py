"""Image sets: the one image container (:class:`ImageSet`), its loaders, the file-backed collection read chunk
by chunk (:class:`ImageFiles`), and the bundled real samples.

The names below are imported on first use (PEP 562), so a module that needs only the file readers
(``misyn_lab.imagesets.readers``, e.g. an audit worker) does not import pandas with the containers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from misyn_lab.lazy import exports

__all__ = [
    "ImageSet", "ImageFiles", "SkippedFile", "MISSING_GROUP", "validate_pixels", "normalise_intensity",
    "load_folder", "load_dicom", "load_nifti", "load_npz", "load_images",
    "list_samples", "load_sample", "load_sample_with_masks",
]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs
    from misyn_lab.imagesets.core import MISSING_GROUP, ImageSet, SkippedFile, validate_pixels
    from misyn_lab.imagesets.files import ImageFiles
    from misyn_lab.imagesets.intensity import normalise_intensity
    from misyn_lab.imagesets.loaders import load_dicom, load_folder, load_images, load_nifti, load_npz
    from misyn_lab.imagesets.samples import list_samples, load_sample, load_sample_with_masks

_M = "misyn_lab.imagesets."
__getattr__, __dir__ = exports(__name__, {
    "ImageSet": _M + "core", "SkippedFile": _M + "core", "MISSING_GROUP": _M + "core", "validate_pixels": _M + "core",
    "ImageFiles": _M + "files", "normalise_intensity": _M + "intensity",
    **dict.fromkeys(("load_folder", "load_dicom", "load_nifti", "load_npz", "load_images"), _M + "loaders"),
    **dict.fromkeys(("list_samples", "load_sample", "load_sample_with_masks"), _M + "samples"),
})
