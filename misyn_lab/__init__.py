"""misyn-lab: a workbook for ethical medical image synthesis (MISyn) reviews.

The framework follows Jin, Sinha, Abhishek and Hamarneh, "Ethical Medical Image Synthesis",
arXiv:2508.09293 (2025). Data travel one way through the package:
images (``imagesets``) -> ``features`` -> ``metrics`` -> evidence -> ``checklist`` / ``instruments`` -> ``cases``
-> ``report``. Beside the road: ``provenance`` (synthetic marks, registry, audit), ``synth`` (teaching
generators), ``viz`` (figures), ``workbook`` (lessons and notebook glue) and ``widgets`` (ipywidgets views only).
The road is written as data in :mod:`misyn_lab._road`.

The top level is a small facade over the stations, imported on first use (``import misyn_lab`` loads no
numpy, pandas or matplotlib):

==================  ================================================================================
``load_checklist``  the recommendations as a checklist (:func:`misyn_lab.checklist.loader.load_checklist`)
``Review``          answers, evidence and records of a review (:class:`misyn_lab.checklist.review.Review`)
``load_images``     a folder or file of images as an ImageSet (:func:`misyn_lab.imagesets.loaders.load_images`)
``load_sample``     the bundled real sample images (:func:`misyn_lab.imagesets.samples.load_sample`)
``evaluate``        fidelity, coverage and memorisation of a synthetic set
                    (:func:`misyn_lab.metrics.evidence.evaluate_imagesets`)
``build_report``    the HTML review report (:func:`misyn_lab.report.assemble.build_report`)
``label_file``      mark an image file as synthetic (:func:`misyn_lab.provenance.mark.label_file`)
``audit_folder``    find unlabelled synthetic images in a folder (:func:`misyn_lab.provenance.audit.audit_folder`)
==================  ================================================================================

>>> import misyn_lab
>>> review = misyn_lab.Review.new("My MISyn review", reviewer="ana")
>>> len(misyn_lab.load_checklist().items) == len(review.checklist.items)
True
>>> misyn_lab.evaluate is __import__("misyn_lab.metrics", fromlist=["x"]).evaluate_imagesets
True
"""

from __future__ import annotations

from misyn_lab.lazy import exports
from misyn_lab.version import __version__

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing (``import misyn_lab`` stays ~1 ms)
if TYPE_CHECKING:
    from misyn_lab.checklist.loader import load_checklist  # noqa: F401 - for type checkers and IDEs
    from misyn_lab.checklist.review import Review  # noqa: F401 - for type checkers and IDEs
    from misyn_lab.imagesets.loaders import load_images  # noqa: F401 - for type checkers and IDEs
    from misyn_lab.imagesets.samples import load_sample  # noqa: F401 - for type checkers and IDEs
    from misyn_lab.metrics.evidence import evaluate_imagesets as evaluate  # noqa: F401 - for type checkers and IDEs
    from misyn_lab.provenance.audit import audit_folder  # noqa: F401 - for type checkers and IDEs
    from misyn_lab.provenance.mark import label_file  # noqa: F401 - for type checkers and IDEs
    from misyn_lab.report.assemble import build_report  # noqa: F401 - for type checkers and IDEs

#: Facade name -> (module, attribute) it stands for; imported on first access.
FACADE: dict[str, tuple[str, str]] = {
    "load_checklist": ("misyn_lab.checklist.loader", "load_checklist"),
    "Review": ("misyn_lab.checklist.review", "Review"),
    "load_images": ("misyn_lab.imagesets.loaders", "load_images"),
    "load_sample": ("misyn_lab.imagesets.samples", "load_sample"),
    "evaluate": ("misyn_lab.metrics.evidence", "evaluate_imagesets"),
    "build_report": ("misyn_lab.report.assemble", "build_report"),
    "label_file": ("misyn_lab.provenance.mark", "label_file"),
    "audit_folder": ("misyn_lab.provenance.audit", "audit_folder"),
}

__all__ = ["__version__", *FACADE]


__getattr__, __dir__ = exports(__name__, {name: f"{module}:{attribute}" for name, (module, attribute) in FACADE.items()})
