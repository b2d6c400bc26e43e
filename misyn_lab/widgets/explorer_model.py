"""The state behind :class:`~misyn_lab.widgets.explorer.DistributionExplorer`, computed without any front end.

:class:`ExplorerModel` holds a real ImageSet, a synthetic one (given, or sampled from a teaching generator whose
knob can be turned), the chosen feature set and subgroup. :meth:`ExplorerModel.view` returns an
:class:`ExplorerView` (filtered feature matrices, a 2-D projection, PRDC and distance numbers) that the widget
only draws. Everything expensive is cached: features per (set, kind), synthetic sets per knob value, the
standardisation and the 2-D projection per feature kind (fitted on the real set once and reused). The
generator is fitted on the real set once; a new knob value reuses that fit (``Generator.with_params``: e.g. a
new number of PCA components is cut from the stored decomposition, no new SVD) and only resamples.
"""

from __future__ import annotations

import warnings as _warnings
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from misyn_lab import render
from misyn_lab.errors import InputError
from misyn_lab.imagesets.core import ImageSet
from misyn_lab.metrics import distances
from misyn_lab.metrics.fidelity import prdc

ALL = "(all)"


@dataclass(frozen=True)
class Knob:
    """One generator parameter exposed as a slider."""

    param: str
    label: str
    low: float
    high: float
    step: float
    default: float
    integer: bool = False

    def check(self, value: float) -> float | int:
        if not (self.low <= float(value) <= self.high):
            raise InputError(f"{self.param} must lie in [{self.low}, {self.high}], got {value!r}",
                             path=f"knob {self.param}")
        return int(round(value)) if self.integer else round(float(value), 6)


#: The knob each teaching generator exposes in the explorer.
KNOBS: dict[str, Knob] = {
    "pca_gaussian": Knob("n_components", "Components", 1, 48, 1, 16, integer=True),
    "subgroup_skewed": Knob("minority_weight", "Minority weight", 0.0, 1.0, 0.05, 0.2),
    "memorising": Knob("strength", "Memorisation", 0.0, 1.0, 0.05, 0.9),
    "gaussian_mixture": Knob("n_components", "Mixture parts", 1, 12, 1, 5, integer=True),
}


@dataclass
class ExplorerView:
    """What the explorer shows for one state (pure data)."""

    feature_kind: str
    subgroup_value: Any
    knob_value: float | int | None
    feature_names: list[str]
    hist_feature: str
    real_values: np.ndarray
    synthetic_values: np.ndarray
    real_2d: np.ndarray
    synthetic_2d: np.ndarray
    metrics: dict[str, float]
    warnings: list[str] = field(default_factory=list)

    def readout_blocks(self) -> list[render.Block]:
        """The PRDC/distance readout: a table labelled with the feature set and images it was measured on (so it
        is never mistaken for the evaluation's main table), and its warnings."""
        where = "all images" if self.subgroup_value in (None, ALL) else f"subgroup {self.subgroup_value}"
        knob = "" if self.knob_value is None else f", knob = {self.knob_value}"
        caption = (f"Live readout on {self.feature_kind} features, {where}{knob} (n real = {len(self.real_values)}, "
                   f"n synthetic = {len(self.synthetic_values)}); not the evaluation's main results")
        blocks: list[render.Block] = [render.Table(["Measure", "Value"], [[k, float(v)] for k, v in
                                                                          self.metrics.items()], caption=caption)]
        if self.warnings:
            blocks.append(render.BulletList([f"⚠ {w}" for w in self.warnings]))
        return blocks

    def readout_html(self) -> str:
        """The readout as HTML (:meth:`readout_blocks`)."""
        return render.to_html(self.readout_blocks())

    def readout_text(self) -> str:
        return ", ".join(f"{k} = {v:.3f}" for k, v in self.metrics.items())


def feature_matrix(imageset: ImageSet, kind: str, embedding: Any = None, *,
                   cache: bool = True) -> tuple[np.ndarray, list[str]]:
    """``(N×D float array, feature names)`` of ``imageset`` for one feature kind (via misyn_lab.features).

    ``cache=False`` skips the package-wide feature cache (and hashing the pixels for it), for sets the caller
    keeps and caches itself.
    """
    from misyn_lab.features import extract_features

    fm = extract_features(imageset, kind, embedding=embedding if "embedding" in kind else None, progress=False,
                          cache=cache)
    return np.asarray(fm.values, dtype=np.float64), list(fm.names)


def fit_embedding(real: ImageSet, *, seed: int = 0) -> Any:
    """The PCA embedding the explorer uses, fitted once on the real images."""
    from misyn_lab.features import PCAEmbedding

    h, w = real.image_shape[:2]
    return PCAEmbedding.fit(real, n_components=int(min(16, len(real) - 1)), size=(min(h, 64), min(w, 64)),
                            seed=seed)


#: Live readouts use at most this many images per set (seeded subsample, stated in the readout); the
#: evaluation notebook's metric table always uses every image.
READOUT_MAX = 1000
MMD_MAX = 300


def _subsample(x: np.ndarray, limit: int, seed: int) -> np.ndarray:
    if len(x) <= limit:
        return x
    return x[np.sort(np.random.default_rng(seed).choice(len(x), limit, replace=False))]


def readout_metrics(real: np.ndarray, synthetic: np.ndarray, k: int = 5, *, limit: int = READOUT_MAX,
                    seed: int = 0) -> tuple[dict[str, float], list[str]]:
    """PRDC, Fréchet distance and MMD (no permutation test) on standardised features, for a live readout."""
    notes = []
    if max(len(real), len(synthetic)) > limit:
        notes.append(f"live readout on a seeded subsample of at most {limit} images per set")
    real, synthetic = _subsample(real, limit, seed), _subsample(synthetic, limit, seed + 1)
    n_min = min(len(real), len(synthetic))
    if n_min <= k:
        return {}, [f"too few images for k = {k} neighbours ({n_min}); choose a larger subgroup"]
    res = prdc(real, synthetic, k=k, knn_method="blas")
    out = {name: float(v) for name, v in res.values().items()}
    with _warnings.catch_warnings():  # a singular covariance is reported by the value itself
        _warnings.simplefilter("ignore")
        out["Fréchet"] = float(distances.frechet_distance(real, synthetic).value)
    out[f"MMD (RBF, ≤{MMD_MAX} per set)"] = float(
        distances.mmd_rbf(real, synthetic, permutations=0, max_n=MMD_MAX, seed=seed).value)
    return out, list(res.warnings) + notes


class ExplorerModel:
    """Real vs synthetic, one feature set and subgroup at a time, with a generator knob.

    Parameters
    ----------
    real:
        The real ImageSet.
    synthetic:
        A synthetic ImageSet, or ``None`` to sample one from ``generator``.
    generator:
        A teaching generator name from :data:`KNOBS` (fitted on ``real``); its knob refits and resamples.
    feature_kinds:
        Feature sets offered (names understood by ``misyn_lab.features.extract_features``).
    subgroup:
        Metadata column to filter by (``None``: no filter).
    n_synthetic, seed:
        Size and seed of the sampled synthetic set (default size: as many as real images).

    Examples
    --------
    >>> from misyn_lab.workbook import teaching_real_set
    >>> model = ExplorerModel(teaching_real_set(40, size=(16, 16)), generator="pca_gaussian", n_synthetic=20)
    >>> view = model.view()
    >>> view.feature_kind, len(model.synthetic()), bool(model.synthetic().synthetic.all())
    ('intensity', 20, True)
    """

    def __init__(self, real: ImageSet, synthetic: ImageSet | None = None, *, generator: str | None = None,
                 feature_kinds: tuple[str, ...] = ("intensity", "texture", "embedding"),
                 subgroup: str | None = None, n_synthetic: int | None = None, seed: int = 0, k: int = 5,
                 max_points: int = 1000, cache_size: int = 8):
        if not isinstance(real, ImageSet) or len(real) == 0:
            raise InputError("the explorer needs a non-empty real ImageSet", path="real")
        if synthetic is None and generator is None:
            raise InputError("give a synthetic ImageSet or a generator name", path="DistributionExplorer",
                             remedy=f"e.g. generator='pca_gaussian' (one of {sorted(KNOBS)})")
        if synthetic is not None and generator is not None:
            raise InputError("give either a synthetic ImageSet or a generator, not both", path="DistributionExplorer")
        if generator is not None and generator not in KNOBS:
            raise InputError(f"unknown explorer generator {generator!r}", path="generator",
                             remedy=f"use one of {sorted(KNOBS)}")
        if subgroup is not None and subgroup not in real.meta:
            raise InputError(f"unknown subgroup column {subgroup!r}", path=real.name,
                             remedy=f"use one of {list(real.meta.columns)}")
        if not feature_kinds:
            raise InputError("no feature kinds given", path="feature_kinds")
        self.real, self._given_synthetic = real, synthetic
        self.generator_name, self.subgroup = generator, subgroup
        self.feature_kinds = tuple(feature_kinds)
        self.n_synthetic = int(n_synthetic or len(real))
        self.seed, self.k, self.max_points, self.cache_size = int(seed), int(k), int(max_points), int(cache_size)
        self.knob = KNOBS.get(generator) if generator else None
        self.feature_kind = self.feature_kinds[0]
        self.subgroup_value: Any = ALL
        self.knob_value = None if self.knob is None else self.knob.check(self.knob.default)
        self.hist_feature: str | None = None
        self._features: dict[tuple[int, str], tuple[np.ndarray, list[str]]] = {}
        self._synthetic: OrderedDict[Any, ImageSet] = OrderedDict()
        self._scalers: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._embedding: Any = None
        self._generator: Any = None  # fitted once; other knob values reuse its fit (with_params)
        self._metrics: dict[tuple, tuple[dict[str, float], list[str]]] = {}
        self.cache_hits = self.cache_misses = 0

    # ------------------------------------------------------------------ choices
    @property
    def subgroup_values(self) -> list[Any]:
        if self.subgroup is None:
            return [ALL]
        return [ALL] + sorted(self.real.meta[self.subgroup].dropna().unique().tolist(), key=str)

    def set(self, *, feature_kind: str | None = None, subgroup_value: Any = None, knob_value: float | None = None,
            hist_feature: str | None = None) -> "ExplorerModel":
        """Change the state (only the given fields); bad values raise :class:`InputError`."""
        if feature_kind is not None:
            if feature_kind not in self.feature_kinds:
                raise InputError(f"unknown feature kind {feature_kind!r}", path="feature_kind",
                                 remedy=f"use one of {list(self.feature_kinds)}")
            if feature_kind != self.feature_kind:
                self.hist_feature = None
            self.feature_kind = feature_kind
        if subgroup_value is not None:
            if subgroup_value not in self.subgroup_values:
                raise InputError(f"unknown subgroup value {subgroup_value!r}", path=str(self.subgroup),
                                 remedy=f"use one of {self.subgroup_values}")
            self.subgroup_value = subgroup_value
        if knob_value is not None:
            if self.knob is None:
                raise InputError("this explorer has no generator knob (a fixed synthetic set was given)",
                                 path="knob_value")
            self.knob_value = self.knob.check(knob_value)
        if hist_feature is not None:
            self.hist_feature = hist_feature
        return self

    # ------------------------------------------------------------------ cached computations
    def synthetic(self) -> ImageSet:
        """The synthetic set for the current knob value (sampled once per value, LRU-cached)."""
        if self._given_synthetic is not None:
            return self._given_synthetic
        key = self.knob_value
        if key in self._synthetic:
            self._synthetic.move_to_end(key)
            return self._synthetic[key]
        assert self.knob is not None
        syn = self.generator().sample(self.n_synthetic, seed=self.seed)
        self._synthetic[key] = syn
        while len(self._synthetic) > self.cache_size:
            old, _ = self._synthetic.popitem(last=False)
            self._features = {k: v for k, v in self._features.items() if k[0] != id(old)}
        return syn

    def generator(self) -> Any:
        """The teaching generator at the current knob value, fitted on the real set.

        Fitted once (at the first knob value asked for); every value is served by a
        :meth:`~misyn_lab.synth.base.Generator.with_params` copy that reuses that fit (e.g. the PCA
        decomposition for a new number of components), which samples exactly what a fresh fit would.
        """
        from misyn_lab.synth.registry import make_generator

        assert self.knob is not None and self.generator_name is not None
        param = {self.knob.param: self.knob_value}
        if self._generator is None:
            kwargs: dict[str, Any] = dict(param)
            if self.generator_name == "subgroup_skewed":
                if self.subgroup is None:
                    raise InputError("the subgroup_skewed generator needs a subgroup column", path="subgroup",
                                     remedy="pass subgroup='sex' (or another metadata column)")
                kwargs["column"] = self.subgroup
            self._generator = make_generator(self.generator_name, **kwargs).fit(self.real)
        # a copy even at the fitted value (free, identical): copies share what they can reuse, e.g. the
        # memorising generator's strength-independent draws of the first sample
        return self._generator.with_params(**param)

    def clear_readout_cache(self) -> None:
        """Forget computed readouts (features, embedding and synthetic sets stay cached)."""
        self._metrics.clear()

    def features(self, imageset: ImageSet, kind: str) -> tuple[np.ndarray, list[str]]:
        key = (id(imageset), kind)
        if key in self._features:
            self.cache_hits += 1
            return self._features[key]
        self.cache_misses += 1
        emb = None
        if "embedding" in kind:
            if self._embedding is None:
                self._embedding = fit_embedding(self.real, seed=self.seed)
            emb = self._embedding
        # synthetic sets are kept (and their features cached) by this model: no package-wide cache for them
        self._features[key] = feature_matrix(imageset, kind, emb, cache=imageset is self.real)
        return self._features[key]

    def _scaler(self, kind: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Mean, s.d. and 2-D PCA axes of the real features (fitted once per kind, reused)."""
        if kind not in self._scalers:
            x, _ = self.features(self.real, kind)
            mu, sd = x.mean(axis=0), x.std(axis=0)
            sd = np.where(sd > 1e-12, sd, 1.0)
            z = (x - mu) / sd
            _, _, vt = np.linalg.svd(z - z.mean(axis=0), full_matrices=False)
            self._scalers[kind] = (mu, sd, vt[:2].T)
        return self._scalers[kind]

    def _mask(self, imageset: ImageSet) -> np.ndarray:
        if self.subgroup is None or self.subgroup_value == ALL:
            return np.ones(len(imageset), dtype=bool)
        if self.subgroup not in imageset.meta:
            raise InputError(f"the synthetic set has no {self.subgroup!r} column", path=imageset.name,
                             remedy="add the subgroup column to the synthetic metadata")
        return (imageset.meta[self.subgroup] == self.subgroup_value).to_numpy()

    # ------------------------------------------------------------------ the view
    def view(self) -> ExplorerView:
        """Compute what the explorer shows for the current state."""
        syn = self.synthetic()
        kind = self.feature_kind
        xr, names = self.features(self.real, kind)
        xs, _ = self.features(syn, kind)
        mu, sd, axes = self._scaler(kind)
        zr, zs = (xr[self._mask(self.real)] - mu) / sd, (xs[self._mask(syn)] - mu) / sd
        key = (kind, self.subgroup_value, self.knob_value)
        if key not in self._metrics:
            self._metrics[key] = (readout_metrics(zr, zs, self.k, seed=self.seed) if len(zr) and len(zs)
                                  else ({}, ["empty subgroup"]))
        metrics, warns = self._metrics[key]
        hist = self.hist_feature if self.hist_feature in names else names[0]
        j = names.index(hist)
        return ExplorerView(
            feature_kind=kind, subgroup_value=self.subgroup_value, knob_value=self.knob_value,
            feature_names=names, hist_feature=hist,
            real_values=xr[self._mask(self.real)][:, j], synthetic_values=xs[self._mask(syn)][:, j],
            real_2d=_subsample(zr @ axes, self.max_points, self.seed),
            synthetic_2d=_subsample(zs @ axes, self.max_points, self.seed + 1),
            metrics=metrics, warnings=warns)
