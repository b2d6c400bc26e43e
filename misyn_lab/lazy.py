"""Package attributes imported on first use (PEP 562): the one way a package here defers its public names.

A package's ``__init__`` names where each public attribute lives; importing the package (or one of its
submodules) then loads none of them, so a process that needs one small module (an audit worker reading files)
does not pay for pandas or matplotlib behind the package's other names.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable, Mapping


def exports(package: str, homes: Mapping[str, str]) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package`` whose attributes ``homes`` maps to ``"module"`` or
    ``"module:attribute"`` (when the name differs); a name is imported on first access, then kept.

    A name may not also be the name of one of the package's modules: importing that module would set the
    package's attribute to the module, and ``from package import name`` would then return the module. Such a
    name is imported by the package itself (a ``ValueError`` here says which).

    Parameters
    ----------
    package : str
        The package's ``__name__`` (already in ``sys.modules``: call this from its ``__init__``).
    homes : mapping of str to str
        Public name -> ``"module"`` or ``"module:attribute"``.

    Returns
    -------
    tuple of callable
        The package's ``__getattr__`` and ``__dir__``.

    Raises
    ------
    ValueError
        A name of ``homes`` is also the name of a module of the package.

    Examples
    --------
    >>> import types, sys
    >>> pkg = types.ModuleType("demo_pkg"); sys.modules["demo_pkg"] = pkg
    >>> pkg.__getattr__, pkg.__dir__ = exports("demo_pkg", {"dumps": "json", "loads_text": "json:loads"})
    >>> pkg.loads_text("[1]"), "dumps" in dir(pkg)
    ([1], True)
    >>> pkg.nothing
    Traceback (most recent call last):
    ...
    AttributeError: module 'demo_pkg' has no attribute 'nothing'
    """

    folder = getattr(sys.modules[package], "__path__", [None])[0]
    try:
        modules = {os.path.splitext(entry)[0] for entry in os.listdir(folder)} if folder is not None else set()
    except OSError:  # a package not in a folder (imported from a zip): nothing to compare with
        modules = set()
    clash = sorted(modules & set(homes))
    if clash:
        raise ValueError(f"{package}: {clash} are also module names; import them in the package itself")

    def __getattr__(name: str) -> object:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, _, attribute = home.partition(":")
        value = getattr(importlib.import_module(module), attribute or name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(homes))

    return __getattr__, __dir__
