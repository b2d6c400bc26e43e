"""Image sets: the one image container (:class:`ImageSet`) and its loaders."""

from misyn_lab.imagesets.core import ImageSet, SkippedFile, validate_pixels

__all__ = ["ImageSet", "SkippedFile", "validate_pixels"]
