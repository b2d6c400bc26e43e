"""The package version, in a leaf module so that any station can state it without importing the facade.

>>> from misyn_lab.version import __version__
>>> __version__.count(".")
2
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
