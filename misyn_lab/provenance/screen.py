"""Screen a set of *real* images for synthetic ones before they are evaluated as real.

A synthetic image in the real set hides exactly the problems an evaluation looks for (it makes fidelity,
coverage and memorisation look better than they are). :func:`screen_real` reads the files themselves — the
synthetic mark in each file and, when a registry is available, its registry match (so a labelled image whose
marks were stripped, e.g. by de-identification, is still found) — instead of trusting a loader flag.
:func:`refuse_marked_real` turns a non-empty result into one clear :class:`~misyn_lab.errors.InputError`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from misyn_lab.errors import InputError
from misyn_lab.provenance.audit import AuditRecord, audit_file, audit_folder, terminal_text
from misyn_lab.provenance.fileformat import SUFFIXES
from misyn_lab.provenance.registry import default_registry_path, open_registry
from misyn_lab.imagesets.readers import suffix

#: ``registry`` value meaning "the default registry ($MISYN_LAB_REGISTRY or ~/.misyn-lab), when it exists".
DEFAULT = "default"
#: How many flagged files the refusal message names.
NAMED = 3


@dataclass
class RealScreen:
    """Which of the images of a "real" set carry a synthetic mark or match the registry (from :func:`screen_real`).

    Parameters
    ----------
    path : str
        The folder or file screened.
    checked : int
        Image files read.
    flagged : list of AuditRecord, optional
        The files found synthetic.
    registry : str, optional
        The registry used (empty: marks only).
    notes : list of str, optional
        What was not screened and why.

    Examples
    --------
    >>> RealScreen("scans", checked=3).flagged
    []
    """

    path: str
    checked: int
    flagged: list[AuditRecord] = field(default_factory=list)
    registry: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.flagged

    def describe(self, limit: int = NAMED) -> str:
        """``"2 of the 40 real images ... (a.png: labelled synthetic (PNG text misyn:synthetic); ...)"``."""
        named = "; ".join(f"{terminal_text(os.path.relpath(r.path, self.path) if os.path.isdir(self.path) else r.path)}"
                          f": {_why(r)}" for r in self.flagged[:limit])
        more = f"; and {len(self.flagged) - limit} more" if len(self.flagged) > limit else ""
        return (f"{len(self.flagged)} of the {self.checked} real image file(s) carry a synthetic mark or match the "
                f"registry of generated images ({named}{more})")


def _why(rec: AuditRecord) -> str:
    if rec.status == "labelled_synthetic":
        return f"labelled synthetic ({', '.join(rec.mark_fields[:2])})"
    return f"unlabelled, {rec.reason}"


def _registry_path(registry: Any) -> Any:
    if registry == DEFAULT:
        default = default_registry_path()
        return default if default.is_file() else None
    return registry


def screen_real(path: str | os.PathLike[str], *, registry: Any = DEFAULT) -> RealScreen:
    """Read every image file of the real set at ``path`` for a synthetic mark and, with a registry, for a registry
    match.

    ``.npz``/``.npy`` stacks carry no marks and are not matched (noted in ``notes``). Files the audit cannot read
    are left to the loader, which reports them.

    Parameters
    ----------
    path : str or path-like
        A folder or one file of real images.
    registry : Registry, str, path-like or None, optional
        :data:`DEFAULT` (the default registry when it exists), ``None`` (marks only), a path or a registry.

    Returns
    -------
    RealScreen
        The files found synthetic.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import numpy as np
    >>> from misyn_lab.provenance import Provenance, label_file, write_png
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> prov = Provenance("pca_gaussian", seed=0, created="2025-01-01T00:00:00+00:00")
    >>> from PIL import Image
    >>> Image.fromarray(np.zeros((4, 4), np.uint8)).save(folder / "real.png")
    >>> screen_real(folder, registry=None).flagged
    []
    """
    p = Path(path)
    reg = _registry_path(registry)
    if p.is_dir():
        report = audit_folder(p, registry=reg, progress=False)  # one process: the registry lookup is indexed
        records, reg_name = report.records, report.registry
    elif p.is_file():
        if suffix(p) not in SUFFIXES and suffix(p) not in ("",):
            return RealScreen(str(p), 0, [], "", [f"{p.name}: {suffix(p)} files carry no synthetic marks; "
                                                   "not screened"])
        index, reg_name = None, ""
        if reg is not None:
            with open_registry(reg) as opened:
                index, reg_name = opened.index(), str(opened.path)
        records = [audit_file(p, index)]
    else:
        raise InputError("real images not found", path=p, remedy="give an existing folder or file of real images")
    flagged = [r for r in records if r.status in ("labelled_synthetic", "unlabelled_registry_match")]
    checked = sum(1 for r in records if r.status != "unreadable")
    notes = [] if reg_name else ["no registry: only marks were checked (stripped marks cannot be found)"]
    return RealScreen(str(p), checked, flagged, reg_name, notes)


def refuse_marked_real(screen: RealScreen, *, option: str = "allow_marked_real=True") -> None:
    """Raise :class:`InputError` when the real set holds synthetic images (see :func:`screen_real`).

    Parameters
    ----------
    screen : RealScreen
        The result of :func:`screen_real`.
    option : str, optional
        The option that lets the caller go on anyway, named in the remedy.

    Raises
    ------
    InputError
        Some "real" images are synthetic (the message names them).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import numpy as np
    >>> from misyn_lab.provenance import Provenance, label_file, write_png
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> prov = Provenance("pca_gaussian", seed=0, created="2025-01-01T00:00:00+00:00")
    >>> _ = write_png(np.zeros((4, 4)), folder / "s.png", prov)
    >>> refuse_marked_real(screen_real(folder, registry=None))
    Traceback (most recent call last):
    ...
    misyn_lab.errors.InputError: ...
    """
    if screen.flagged:
        raise InputError(screen.describe() + "; evaluating synthetic images as real hides their problems",
                         path=screen.path,
                         remedy=f"remove them from the real set, or pass {option} if they are there on purpose "
                                "(the report then says so)")
