"""The images the workbook works on: the bundled teaching set, a seeded train/held-out split, and the three
sets of an evaluation (the user's folders or the teaching set plus a teaching generator)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from misyn_lab.errors import InputError
from misyn_lab.imagesets.core import ImageSet


@dataclass
class Inputs:
    """The three image sets of an evaluation (the held-out real set is never given to a generator)."""

    train: ImageSet
    holdout: ImageSet
    synthetic: ImageSet
    note: str


def teaching_real_set(n: int | None = None, *, seed: int = 0, size: tuple[int, int] = (32, 32),
                      groups: tuple[str, ...] = ("mni152", "colin27")) -> ImageSet:
    """Real brain MR slices from the bundled samples (two subjects, three planes), resized to ``size``.

    ``n`` draws that many images at random (seeded; sorted back into sample order); ``None`` keeps all.
    """
    from misyn_lab.imagesets.samples import load_sample

    sets = [load_sample(g, size=size) for g in groups]
    real = sets[0]
    for other in sets[1:]:
        real = real.concat(other, name="teaching-real")
    if n is not None:
        if not 2 <= int(n) <= len(real):
            raise InputError(f"n must be between 2 and {len(real)}, got {n}", path="teaching_real_set",
                             remedy=f"the bundled brain slices hold {len(real)} images")
        idx = np.sort(np.random.default_rng(seed).choice(len(real), int(n), replace=False))
        real = real.take(idx)
    return real


def split_real(real: ImageSet, *, seed: int = 0, holdout: float = 0.3) -> tuple[ImageSet, ImageSet]:
    """Seeded split into (train, held-out) real images; the held-out part is never shown to a generator."""
    if not 0 < holdout < 1:
        raise InputError(f"holdout must be between 0 and 1, got {holdout}", path="split_real",
                         remedy="give the held-out share as a fraction, e.g. 0.3")
    order = np.random.default_rng(seed).permutation(len(real))
    cut = max(1, int(round(len(real) * holdout)))
    return real.take(np.sort(order[cut:])), real.take(np.sort(order[:cut]))


def load_inputs(real_path: str | Path | None = None, synthetic_path: str | Path | None = None, *,
                n: int = 120, seed: int = 0, subgroup: str | None = "plane", size: tuple[int, int] = (32, 32),
                generator: str = "subgroup_skewed", allow_marked_real: bool = False,
                registry: Any = "default") -> Inputs:
    """Real and synthetic images for the evaluation.

    ``real_path=None``: the bundled brain MR slices. ``synthetic_path=None``: ``n`` images from a teaching
    generator fitted on the real training part (default: one that under-samples ``subgroup``, so there is
    something to find; without a subgroup, a PCA-Gaussian generator). Paths go through
    :func:`misyn_lab.imagesets.loaders.load_images` at ``size``. ``subgroup`` ``None`` or ``""``: no subgroup.

    The files under ``real_path`` are read for synthetic marks and matched against ``registry`` (``"default"``:
    the default registry when it exists; ``None``: marks only) before anything is loaded; real images that
    turn out synthetic are refused with :class:`InputError` unless ``allow_marked_real=True``
    (:func:`misyn_lab.provenance.screen.screen_real`).
    """
    from misyn_lab.imagesets.loaders import load_images
    from misyn_lab.provenance.screen import refuse_marked_real, screen_real
    from misyn_lab.synth.registry import make_generator

    subgroup = subgroup or None
    if real_path is None and synthetic_path is not None:
        raise InputError("a synthetic set needs the real set it imitates", path=str(synthetic_path),
                         remedy="pass real_path as well")
    if real_path is not None and not allow_marked_real:
        refuse_marked_real(screen_real(real_path, registry=registry))
    real = teaching_real_set(size=size) if real_path is None else load_images(real_path, size=size)
    if real.synthetic.any() and not allow_marked_real:
        raise InputError(f"{int(real.synthetic.sum())} image(s) in the real set are marked synthetic",
                         path=str(real_path), remedy="give a folder of real images only")
    if subgroup is not None and subgroup not in real.meta:
        raise InputError(f"the real set has no column {subgroup!r}", path=str(real_path or "samples"),
                         remedy=f"choose subgroup from {list(real.meta.columns)}, or None for no subgroup")
    train, holdout = split_real(real, seed=seed)
    if synthetic_path is None:
        if generator == "subgroup_skewed" and subgroup is None:
            generator = "pca_gaussian"
        kwargs: dict[str, Any] = {"column": subgroup} if generator == "subgroup_skewed" else {}
        gen = make_generator(generator, **kwargs).fit(train)
        syn = gen.sample(int(n), seed=seed)
        note = f"synthetic: {n} images from the teaching generator {generator!r} fitted on {len(train)} real images"
    else:
        syn = load_images(synthetic_path, size=size)
        syn = syn.with_meta(synthetic=True) if not syn.synthetic.all() else syn
        note = f"synthetic: {len(syn)} images from {synthetic_path}"
    return Inputs(train=train, holdout=holdout, synthetic=syn, note=note)
