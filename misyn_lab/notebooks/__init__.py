"""The workbook's notebooks, shipped inside the package as MyST Markdown sources.

Each notebook is one ``.md`` file in this folder (jupytext's MyST format: Markdown cells as text, code cells
as ``{code-cell}`` blocks, the papermill ``parameters`` cell tagged). Instructors edit these text files (in
JupyterLab with jupytext: *Open With → Notebook*, or in any editor) and review them as plain diffs; there is no
generated copy to keep in step. This module turns a source into a runnable ``.ipynb``:

* :func:`names` lists the notebooks, :func:`source_path` finds one by name,
* :func:`read` returns it as an :class:`nbformat.NotebookNode` (stable cell ids, Python 3 kernel),
* :func:`write_ipynb` / :func:`export` write ``.ipynb`` files (what ``misyn-lab workbook DIR`` copies out and
  what ``misyn-lab report`` executes with papermill).

>>> "05_evaluation" in names()
True
>>> nb = read("05_evaluation.ipynb")
>>> [c.metadata.get("tags") for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
[['parameters']]
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from misyn_lab.atomic import atomic_write_text
from misyn_lab.errors import InputError

if TYPE_CHECKING:
    import nbformat

__all__ = ["NOTEBOOK_DIR", "SOURCE_FORMAT", "names", "source_path", "read", "write_ipynb", "export"]

#: Folder holding the notebook sources (inside the installed package).
NOTEBOOK_DIR = Path(__file__).resolve().parent
#: jupytext format of the sources.
SOURCE_FORMAT = "md:myst"
_SUFFIXES = (".md", ".ipynb")
_KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}


def names() -> list[str]:
    """Names (file stems) of the bundled notebooks, in reading order.

    Returns
    -------
    list of str
        ``00_start_here`` ... ``case2_text_to_image``, ``stakeholder_app``.

    Examples
    --------
    >>> names()[0], "case1_segmentation" in names()
    ('00_start_here', True)
    """
    return sorted(p.stem for p in NOTEBOOK_DIR.glob("*.md") if not p.name.startswith(("_", ".")))


def _stem(name: str) -> str:
    base = Path(name).name
    for suf in _SUFFIXES:
        if base.endswith(suf):
            return base[: -len(suf)]
    return base


def source_path(name: str | os.PathLike[str]) -> Path:
    """The MyST source of a bundled notebook, by name with or without suffix.

    Only bare names are accepted: a path with folders is refused, so a case file cannot point outside the bundled
    notebooks through this function.

    Parameters
    ----------
    name : str or path-like
        ``"05_evaluation"``, ``"05_evaluation.ipynb"`` or ``"05_evaluation.md"``.

    Returns
    -------
    Path
        The ``.md`` file.

    Raises
    ------
    InputError
        A name with folders, or no bundled notebook of that name (naming the known ones).

    Examples
    --------
    >>> source_path("05_evaluation.ipynb").name
    '05_evaluation.md'
    >>> source_path("../README")
    Traceback (most recent call last):
    ...
    misyn_lab.errors.InputError: ../README: '../README' is not a bundled notebook name (fix: ...)
    """
    text = os.fspath(name)
    if not text or Path(text).name != text or text in (".", ".."):
        raise InputError(f"{text!r} is not a bundled notebook name", path=text,
                         remedy=f"use one of {', '.join(names())}")
    path = NOTEBOOK_DIR / f"{_stem(text)}.md"
    if not path.is_file():
        raise InputError("no bundled notebook of that name", path=text,
                         remedy=f"use one of {', '.join(names())}")
    return path


def read(name_or_path: str | os.PathLike[str]) -> "nbformat.NotebookNode":
    """A notebook as an nbformat v4 node.

    Cell ids are stable (``<stem>-<index>``) so executed copies of the same source are identical, and the kernel is
    Python 3.

    Parameters
    ----------
    name_or_path : str or path-like
        A bundled name (a string without folders), or a path (a :class:`~pathlib.Path`, or a string with a folder)
        of a ``.md`` (MyST) or ``.ipynb`` file.

    Returns
    -------
    nbformat.NotebookNode
        The notebook, validated.

    Raises
    ------
    InputError
        A missing or unreadable file.

    Examples
    --------
    >>> nb = read("05_evaluation")
    >>> nb.cells[0].id, nb.metadata.kernelspec.name
    ('05_evaluation-00', 'python3')
    """
    import jupytext
    import nbformat

    text = os.fspath(name_or_path)
    is_path = isinstance(name_or_path, Path) or os.sep in text or (os.altsep or os.sep) in text
    path = Path(text) if is_path else source_path(text)
    if not path.is_file():
        raise InputError("notebook file not found", path=path, remedy="check the path")
    try:
        nb = jupytext.read(path, fmt=SOURCE_FORMAT if path.suffix == ".md" else None)
    except Exception as exc:  # jupytext/nbformat raise many types for a malformed file
        raise InputError(f"cannot read the notebook ({type(exc).__name__}: {str(exc)[:200]})", path=path,
                         remedy="check the file is a MyST Markdown or .ipynb notebook") from None
    nb.metadata.pop("jupytext", None)
    nb.metadata["kernelspec"] = dict(_KERNELSPEC)
    nb.metadata.setdefault("language_info", {"name": "python"})
    stem = _stem(path.name)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{stem}-{i:02d}"
    nbformat.validate(nb)
    return nb


def write_ipynb(nb: "nbformat.NotebookNode", path: str | os.PathLike[str]) -> Path:
    """Write a notebook as a ``.ipynb`` file, atomically.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The notebook.
    path : str or path-like
        The file.

    Returns
    -------
    Path
        The file.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> write_ipynb(read("00_start_here"), folder / "start.ipynb").suffix
    '.ipynb'
    """
    import nbformat

    return atomic_write_text(path, nbformat.writes(nb) + "\n")


def export(dest: str | os.PathLike[str], which: Iterable[str] | None = None, *,
           overwrite: bool = False) -> tuple[list[Path], list[Path]]:
    """Write the bundled notebooks (or those named in ``which``) as ``.ipynb`` files into ``dest``.

    An existing notebook in ``dest`` is kept untouched unless ``overwrite`` is true, so a student's edited copy is
    never replaced by accident.

    Parameters
    ----------
    dest : str or path-like
        The folder (created).
    which : iterable of str, optional
        Notebook names (default: all).
    overwrite : bool, optional
        Replace existing notebooks.

    Returns
    -------
    (list of Path, list of Path)
        ``(written, kept)``.

    Raises
    ------
    InputError
        ``dest`` exists and is not a folder; an unknown notebook name.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> written, kept = export(folder, ["00_start_here"])
    >>> [p.name for p in written], kept
    (['00_start_here.ipynb'], [])
    >>> export(folder, ["00_start_here"])[1][0].name                  # kept, not replaced
    '00_start_here.ipynb'
    """
    folder = Path(dest)
    if folder.exists() and not folder.is_dir():
        raise InputError("exists and is not a folder", path=folder, remedy="choose a folder for the workbook")
    written: list[Path] = []
    kept: list[Path] = []
    for name in (names() if which is None else [_stem(n) for n in which]):
        target = folder / f"{name}.ipynb"
        if target.exists() and not overwrite:
            kept.append(target)
            continue
        written.append(write_ipynb(read(name), target))
    return written, kept
