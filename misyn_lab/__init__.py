"""misyn-lab: a workbook for ethical medical image synthesis (MISyn) reviews.

The framework follows Jin, Sinha, Abhishek and Hamarneh, "Ethical Medical Image Synthesis",
arXiv:2508.09293 (2025). Data travel one way through the package:
images (``imagesets``) -> ``features`` -> ``metrics`` -> evidence -> ``checklist`` / ``instruments`` -> ``cases``
-> ``report``. Beside the road: ``provenance`` (synthetic marks, registry, audit), ``synth`` (teaching
generators), ``viz`` (figures), ``workbook`` (lessons and notebook glue) and ``widgets`` (ipywidgets views only).
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
