"""Real-vs-synthetic metrics: pure functions on feature matrices returning :class:`MetricResult`.

Fidelity/diversity (:func:`prdc`), distribution distances (:func:`frechet_distance`, :func:`mmd_rbf`,
:func:`feature_shift`, :func:`ks_max`), memorisation (:func:`memorisation`), the per-subgroup object
(:func:`subgroup_frame` -> :class:`SubgroupFrame`), downstream utility (:func:`tstr`,
:func:`detection_auc`), the standard run :func:`evaluate_all` / :func:`evaluate_imagesets` and
:func:`results_table`. k-NN work is chunked (:mod:`misyn_lab.metrics.knn`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from misyn_lab.lazy import exports

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs
    from misyn_lab.metrics.distances import feature_shift, frechet_distance, ks_max, mmd_rbf
    from misyn_lab.metrics.evidence import Evaluation, evaluate_all, evaluate_imagesets
    from misyn_lab.metrics.fidelity import PRDC_KEYS, PRDCResult, prdc
    from misyn_lab.metrics.result import MetricResult, build, results_table
    from misyn_lab.metrics.subgroups import SubgroupFrame, subgroup_frame
    from misyn_lab.metrics.utility import UtilityResult, detection_auc, tstr

from misyn_lab.metrics.memorisation import MemorisationResult, memorisation  # the name of its module too: eager

_M = "misyn_lab.metrics."
#: Imported on first use (:mod:`misyn_lab.lazy`): importing one module of this package (an audit's
#: ``metrics.result``) loads none of the others.
__getattr__, __dir__ = exports(__name__, {
    **dict.fromkeys(("feature_shift", "frechet_distance", "ks_max", "mmd_rbf"), _M + "distances"),
    **dict.fromkeys(("Evaluation", "evaluate_all", "evaluate_imagesets"), _M + "evidence"),
    **dict.fromkeys(("PRDC_KEYS", "PRDCResult", "prdc"), _M + "fidelity"),
    **dict.fromkeys(("MetricResult", "build", "results_table"), _M + "result"),
    **dict.fromkeys(("SubgroupFrame", "subgroup_frame"), _M + "subgroups"),
    **dict.fromkeys(("UtilityResult", "detection_auc", "tstr"), _M + "utility"),
})

__all__ = [
    "MetricResult",
    "build",
    "PRDCResult",
    "PRDC_KEYS",
    "prdc",
    "frechet_distance",
    "mmd_rbf",
    "feature_shift",
    "ks_max",
    "MemorisationResult",
    "memorisation",
    "subgroup_frame",
    "SubgroupFrame",
    "UtilityResult",
    "tstr",
    "detection_auc",
    "evaluate_all",
    "evaluate_imagesets",
    "Evaluation",
    "results_table",
]
