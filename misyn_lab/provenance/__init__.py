"""Provenance station: mark synthetic images, read the mark back, register them, audit folders, write cards.

* :class:`Provenance`, :func:`label_file`, :func:`export_imageset`, :func:`write_png` / :func:`write_tiff` /
  :func:`write_dicom` (``mark``) — write the mark (PNG/TIFF/JPEG XMP with the IPTC digital source type,
  DICOM Synthetic Data and related attributes, NIfTI header + sidecar); optional visible banner.
* :func:`is_synthetic` (``read``) — read it back (embedded text parsed with size/depth limits).
* :func:`screen_real` (``screen``) — which images of a "real" set are synthetic (marks, registry matches).
* :class:`Registry` (``registry``) — SQLite registry of generated images with exact/pixel/perceptual matching.
* :func:`audit_folder` (``audit``) — find labelled and *unlabelled* synthetic images in a dataset folder.
* :func:`build_card` / :func:`write_card` (``card``) — generator/dataset card.
"""

from misyn_lab.provenance.audit import AuditRecord, AuditReport, audit_folder
from misyn_lab.provenance.card import build_card, card_markdown, write_card
from misyn_lab.provenance.mark import export_imageset, label_file, safe_output_name, write_dicom, write_png, write_tiff
from misyn_lab.provenance.read import SyntheticMark, UnreadableMark, is_synthetic
from misyn_lab.provenance.record import (
    COMPOSITE_TRAINED_ALGORITHMIC_MEDIA,
    TRAINED_ALGORITHMIC_MEDIA,
    Provenance,
)
from misyn_lab.provenance.registry import Match, Registry, default_registry_path, open_registry
from misyn_lab.provenance.screen import RealScreen, refuse_marked_real, screen_real

__all__ = [
    "AuditRecord", "AuditReport", "audit_folder", "build_card", "card_markdown", "write_card",
    "export_imageset", "label_file", "safe_output_name", "write_dicom", "write_png", "write_tiff",
    "SyntheticMark", "UnreadableMark", "is_synthetic", "RealScreen", "refuse_marked_real", "screen_real",
    "COMPOSITE_TRAINED_ALGORITHMIC_MEDIA", "TRAINED_ALGORITHMIC_MEDIA",
    "Provenance", "Match", "Registry", "default_registry_path", "open_registry",
]
