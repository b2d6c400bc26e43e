"""The road through the package, as data: which station may import which (read by ``tests/test_import_road.py``).

A *station* is a top-level subpackage of :mod:`misyn_lab` (``imagesets``, ``features``, ...). Data travel one way::

    imagesets → features → metrics → checklist / instruments → cases → report
                              ↘ synth (beside metrics)   ↘ provenance (beside checklist / instruments)

and the lookers sit on top: ``viz`` draws plain arrays and frames (it imports no domain station above
``imagesets``), ``workbook`` is lesson glue for the notebooks, ``widgets`` are views. :data:`ROAD` maps every
station to the stations it may import; a station may always import its own modules and every :data:`LEAVES`
module. Nothing imports ``widgets``; only the command line imports ``report``.

Decisions (each one is a line of :data:`ROAD`):

* ``synth`` (teaching generators) sits beside ``metrics``: it fits PCA bases with
  :func:`misyn_lab.features.embedding.randomized_pca` and finds nearest rows with
  :func:`misyn_lab.metrics.knn.nearest_neighbours`, and nothing on the road below ``cases`` depends on it.
* ``provenance`` (marks, registry, audit) sits beside ``checklist`` / ``instruments``: an audit states its
  result as a :class:`misyn_lab.metrics.result.MetricResult`, and the calibration compares real images with
  teaching-generator output (``synth``).
* ``viz`` imports ``imagesets`` only (``ImageSet`` galleries, luminance); figures of statistics take the
  numbers computed by ``metrics`` / ``instruments``, never a Review.
* ``workbook`` (lesson glue) may import every domain station; ``report`` may import ``workbook`` because
  ``misyn-lab report --real ... --synthetic ...`` reads image folders exactly as notebook 05 does
  (:func:`misyn_lab.workbook.data.load_inputs`). ``widgets`` (views) may import everything but ``report``.
* Entry points (:data:`ENTRY_POINTS`, ``misyn_lab.cli``, ``misyn_lab.__main__`` and every station's ``cli``
  module) may import their station's road and ``viz`` (a command that writes a figure looks at the road, as
  ``viz`` does); ``misyn_lab.cli`` collects the stations' commands by module name.
* The top-level package ``misyn_lab`` is the facade (:mod:`misyn_lab.__init__`): it imports lazily from any
  station and no module imports it (its version lives in the leaf :mod:`misyn_lab.version`).

A module-level import may run only down the road. A function-level import is allowed only when it defers a
heavy or optional dependency (one of :data:`HEAVY` that the importing module does not already load at module
level), and it may not close an import cycle (``tests/test_import_road.py`` builds the module graph with
function-level imports included).
"""

from __future__ import annotations

#: Top-level modules and packages every module may import (they import nothing but other leaves).
LEAVES: frozenset[str] = frozenset({
    "_road", "atomic", "cli_types", "engine", "errors", "faults", "lazy", "notebooks", "plain", "progress", "render",
    "rungs", "safe_parse", "version", "vocabulary",
})

#: For each station, the stations it may import (besides itself and the leaves).
ROAD: dict[str, frozenset[str]] = {
    "imagesets": frozenset(),
    "features": frozenset({"imagesets"}),
    "metrics": frozenset({"imagesets", "features"}),
    "synth": frozenset({"imagesets", "features", "metrics"}),
    "viz": frozenset({"imagesets"}),
    "checklist": frozenset({"imagesets", "features", "metrics"}),
    "instruments": frozenset({"imagesets", "features", "metrics", "checklist"}),
    "provenance": frozenset({"imagesets", "features", "metrics", "synth"}),
    "cases": frozenset({"imagesets", "features", "metrics", "synth", "checklist", "instruments", "provenance",
                        "viz"}),
    "workbook": frozenset({"imagesets", "features", "metrics", "synth", "checklist", "instruments", "provenance",
                           "cases", "viz"}),
    "report": frozenset({"imagesets", "features", "metrics", "synth", "checklist", "instruments", "provenance",
                         "cases", "viz", "workbook"}),
    "widgets": frozenset({"imagesets", "features", "metrics", "synth", "checklist", "instruments", "provenance",
                          "cases", "viz", "workbook"}),
}

#: Stations an entry point may import beyond its own station's road (see the module docstring).
ENTRY_EXTRA: frozenset[str] = frozenset({"viz"})

#: Entry-point modules besides every ``misyn_lab.<station>.cli`` (the top-level command line may import every
#: station's ``cli`` module).
ENTRY_POINTS: frozenset[str] = frozenset({"misyn_lab.cli", "misyn_lab.__main__", "misyn_lab.workbook.class_cli"})

#: Third-party packages slow or optional enough to justify a function-level import of a module that loads them.
HEAVY: frozenset[str] = frozenset({
    "IPython", "PIL", "cloudpickle", "dask", "distributed", "faiss", "fastjsonschema", "filelock", "imagehash",
    "ipywidgets", "jsonschema", "jupytext", "matplotlib", "nbconvert", "nbformat", "nibabel", "nilearn", "numpy",
    "pandas", "papermill", "playwright", "pyarrow", "pydicom", "scipy", "seaborn", "skimage", "sklearn",
    "statsmodels", "tqdm", "voila", "yaml",
})

#: Imports against the road that are still allowed, each with its reason: ``(importer, imported) -> reason``.
#: Keep it empty; an entry is a debt, not a rule.
ALLOWED: dict[tuple[str, str], str] = {}


def station(module: str) -> str:
    """The station of a module name: ``"misyn_lab.metrics.knn"`` → ``"metrics"``, ``"misyn_lab"`` → ``""``.

    >>> station("misyn_lab.metrics.knn"), station("misyn_lab.errors"), station("misyn_lab")
    ('metrics', 'errors', '')
    """
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def is_entry_point(module: str) -> bool:
    """Whether ``module`` is a command-line entry point (``misyn_lab.cli``, ``misyn_lab.<station>.cli`` ...).

    >>> is_entry_point("misyn_lab.report.cli"), is_entry_point("misyn_lab.report.assemble")
    (True, False)
    """
    return module in ENTRY_POINTS or (module.count(".") == 2 and module.endswith(".cli"))


def may_import(importer: str, imported: str) -> bool:
    """Whether module ``importer`` may import module ``imported`` under :data:`ROAD` (privacy and cycles aside).

    >>> may_import("misyn_lab.metrics.knn", "misyn_lab.features.matrix")
    True
    >>> may_import("misyn_lab.features.extract", "misyn_lab.metrics.knn")
    False
    >>> may_import("misyn_lab.viz.ladder", "misyn_lab.rungs")
    True
    """
    src, dst = station(importer), station(imported)
    if (importer, imported) in ALLOWED:
        return True
    if dst == "":  # the facade: nobody imports it
        return False
    if src == dst or dst in LEAVES:
        return True
    if importer == "misyn_lab.cli":
        return is_entry_point(imported)
    if importer in ("misyn_lab.__main__",):
        return imported == "misyn_lab.cli"
    if src == "":  # the facade
        return True
    if src in LEAVES:
        return False
    allowed = ROAD.get(src, frozenset())
    if is_entry_point(importer):
        allowed = allowed | ENTRY_EXTRA
    return dst in allowed


__all__ = ["ALLOWED", "ENTRY_EXTRA", "ENTRY_POINTS", "HEAVY", "LEAVES", "ROAD", "is_entry_point", "may_import",
           "station"]
