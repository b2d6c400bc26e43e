"""widgets station: ipywidgets views over the package's objects, each with a static fallback.

* :class:`~misyn_lab.widgets.checklist.ChecklistWidget`: answer the checklist; every change autosaved to the Review.
* :class:`~misyn_lab.widgets.explorer.DistributionExplorer`: real vs synthetic distributions with a generator knob.
* :class:`~misyn_lab.widgets.gallery.ImageGallery`: image grid, every synthetic tile marked SYNTHETIC.
* :class:`~misyn_lab.widgets.quiz.Quiz`: a self-check question with immediate feedback.
* :mod:`~misyn_lab.widgets.display`: attach results to a checklist widget; show a figure with its takeaway.

The notebooks' other helpers (lessons, demos, evaluation inputs, the review file) are :mod:`misyn_lab.workbook`.

Without a front end (papermill, nbconvert) every widget displays a static HTML summary instead.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ChecklistWidget": "misyn_lab.widgets.checklist",
    "DistributionExplorer": "misyn_lab.widgets.explorer",
    "ExplorerModel": "misyn_lab.widgets.explorer_model",
    "ImageGallery": "misyn_lab.widgets.gallery",
    "Quiz": "misyn_lab.widgets.quiz",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:  # lazy: importing the station does not import ipywidgets/matplotlib
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'misyn_lab.widgets' has no attribute {name!r}")
