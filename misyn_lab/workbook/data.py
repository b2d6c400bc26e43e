"""The images the workbook works on: the bundled teaching set, a seeded train/held-out split, and the three
sets of an evaluation (the user's folders or the teaching set plus a teaching generator)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from misyn_lab.errors import InputError
from misyn_lab.imagesets.core import ImageSet, subgroup_columns
from misyn_lab.imagesets.samples import load_sample
from misyn_lab.imagesets.loaders import load_images


#: The stand-in TSTR task on the bundled teaching images (they carry no clinical label; declared as a stand-in).
STAND_IN_TASK = "plane"


@dataclass
class Inputs:
    """The image sets of an evaluation (from :func:`load_inputs`).

    Parameters
    ----------
    train : ImageSet or None
        The real images the generator was trained on (``None`` when unknown: then every real image is held-out).
    holdout : ImageSet
        The held-out real images it never saw.
    synthetic : ImageSet
        The synthetic images.
    note : str
        Where each set came from, one line each (planted flaws and stand-ins said as such).
    task : str, optional
        The TSTR label column (``None``: no TSTR).

    Examples
    --------
    >>> import numpy as np
    >>> from misyn_lab.imagesets import ImageSet
    >>> real = ImageSet.from_arrays(np.zeros((4, 8, 8)), name="real")
    >>> synthetic = ImageSet.from_arrays(np.ones((3, 8, 8)), synthetic=True, name="syn")
    >>> inputs = Inputs(train=None, holdout=real, synthetic=synthetic, note="real: all held-out (no training set)")
    >>> inputs.train is None, len(inputs.holdout), inputs.task
    (True, 4, None)
    """

    train: ImageSet | None
    holdout: ImageSet
    synthetic: ImageSet
    note: str
    task: str | None = None


def teaching_real_set(n: int | None = None, *, seed: int = 0, size: tuple[int, int] = (32, 32),
                      groups: tuple[str, ...] = ("mni152", "colin27")) -> ImageSet:
    """Real brain MR slices from the bundled samples (two subjects, three planes), resized to ``size``.

    Parameters
    ----------
    n : int, optional
        Draw that many images at random (seeded; sorted back into sample order); ``None`` keeps all.
    seed : int, optional
        Seed of the draw.
    size : (int, int), optional
        Image size.
    groups : tuple of str, optional
        Sample groups.

    Returns
    -------
    ImageSet
        Real images.

    Raises
    ------
    InputError
        ``n`` below 2 or above the number of slices.

    Examples
    --------
    >>> len(teaching_real_set()), len(teaching_real_set(12))
    (174, 12)
    """
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
    """Seeded split into (train, held-out) real images; the held-out part is never shown to a generator.

    Parameters
    ----------
    real : ImageSet
        The real images.
    seed : int, optional
        Seed.
    holdout : float, optional
        Held-out share, in (0, 1).

    Returns
    -------
    (ImageSet, ImageSet)
        Training and held-out images.

    Raises
    ------
    InputError
        ``holdout`` outside (0, 1).

    Examples
    --------
    >>> train, held_out = split_real(teaching_real_set(12))
    >>> len(train), len(held_out)
    (8, 4)
    """
    if not 0 < holdout < 1:
        raise InputError(f"holdout must be between 0 and 1, got {holdout}", path="split_real",
                         remedy="give the held-out share as a fraction, e.g. 0.3")
    order = np.random.default_rng(seed).permutation(len(real))
    cut = max(1, int(round(len(real) * holdout)))
    return real.take(np.sort(order[cut:])), real.take(np.sort(order[:cut]))


def load_inputs(real_path: str | Path | None = None, synthetic_path: str | Path | None = None, *,
                real_train_path: str | Path | None = None, n: int = 120, seed: int = 0,
                subgroup: str | None = "plane", task: str | None = None, size: tuple[int, int] = (32, 32),
                generator: str = "subgroup_skewed", minority_weight: float = 0.2, allow_marked_real: bool = False,
                registry: Any = "default") -> Inputs:
    """Real and synthetic images for the evaluation, with the split the evaluation protocol needs.

    * ``real_path=None``: the bundled brain MR slices, split (seeded) into training and held-out images;
      ``synthetic_path=None`` then draws ``n`` images from a teaching generator fitted on the training part. The
      default generator has a **planted flaw**, said in ``note``: it under-samples the least frequent ``subgroup``
      value (``minority_weight``) so there is something to find; without a subgroup, a PCA-Gaussian generator.
      ``task`` defaults to the stand-in :data:`STAND_IN_TASK` (these images carry no clinical label; said in
      ``note``).
    * ``real_path`` (held-out real images) with ``real_train_path`` (the images the generator was trained on): the
      user's split. With ``real_path`` and ``synthetic_path`` but no ``real_train_path``, which real images trained
      the generator is unknown: every real image is held-out (``train`` is ``None``) and ``note`` says so. With
      ``real_path`` alone, it is split and a teaching generator is fitted on the training part.

    Parameters
    ----------
    real_path, synthetic_path, real_train_path : str or Path, optional
        Folders or files, read by :func:`misyn_lab.imagesets.load_images` at ``size``.
    n : int, optional
        Synthetic images drawn from the teaching generator.
    seed : int, optional
        Seed of the split and the generator.
    subgroup, task : str, optional
        Metadata columns for per-subgroup results and TSTR (``None`` or ``""``: none).
    size : (int, int), optional
        Image size.
    generator : str, optional
        The teaching generator (:data:`misyn_lab.synth.GENERATORS`).
    minority_weight : float, optional
        Sampling weight of the least frequent subgroup (``subgroup_skewed``).
    allow_marked_real : bool, optional
        Go on when real images turn out synthetic.
    registry : Registry, str, path-like or None, optional
        The files under ``real_path`` and ``real_train_path`` are read for synthetic marks and matched against it
        (``"default"``: the default registry when it exists; ``None``: marks only) before anything is loaded.

    Returns
    -------
    Inputs
        Training, held-out and synthetic sets, the task and the note.

    Raises
    ------
    InputError
        A synthetic or training set without the real set, real images that are synthetic (unless
        ``allow_marked_real``), a ``subgroup`` column the real set lacks.

    Examples
    --------
    >>> inputs = load_inputs(n=20, registry=None)
    >>> print(inputs.note.splitlines()[-1])  # doctest: +NORMALIZE_WHITESPACE
    real: 122 training images (the teaching generator is fitted on these)
    and 52 held-out images it never sees (seeded split)
    """
    from misyn_lab.provenance.screen import refuse_marked_real, screen_real
    from misyn_lab.synth.registry import make_generator

    subgroup = subgroup or None
    if real_path is None and (synthetic_path is not None or real_train_path is not None):
        what = synthetic_path if synthetic_path is not None else real_train_path
        raise InputError("a synthetic or training set needs the held-out real set it is compared with",
                         path=str(what), remedy="pass real_path (the held-out real images) as well")
    if not allow_marked_real:
        for folder in (real_path, real_train_path):
            if folder is not None:
                refuse_marked_real(screen_real(folder, registry=registry))
    real = teaching_real_set(size=size) if real_path is None else load_images(real_path, size=size)
    train_given = None if real_train_path is None else load_images(real_train_path, size=size)
    _check_real_sets(real, train_given, real_path, real_train_path, subgroup=subgroup,
                     allow_marked_real=allow_marked_real)
    notes = []
    if real_path is None and task is None:
        task = STAND_IN_TASK
        notes.append(f"TSTR task: {task!r}, a stand-in (the bundled images carry no clinical label; a classifier "
                     "of the imaging plane stands in for a downstream task)")
    train, holdout, split_note = _real_split(real, train_given, real_path, real_train_path,
                                             synthetic_given=synthetic_path is not None, seed=seed)
    notes.append(split_note)
    if synthetic_path is None:
        if generator == "subgroup_skewed" and subgroup is None:
            generator = "pca_gaussian"
        kwargs: dict[str, Any] = ({"column": subgroup, "minority_weight": minority_weight}
                                  if generator == "subgroup_skewed" else {})
        gen = make_generator(generator, **kwargs).fit(train)
        syn = gen.sample(int(n), seed=seed)
        note = f"synthetic: {n} images from the teaching generator {generator!r} fitted on {len(train)} real images"
        if generator == "subgroup_skewed":
            note += (f" — a planted flaw, so there is something to find: it under-samples the least frequent "
                     f"{subgroup!r} value ({getattr(gen, 'minority', '?')!r}, sampling weight {minority_weight:g})")
    else:
        syn = load_images(synthetic_path, size=size)
        syn = syn.with_meta(synthetic=True) if not syn.synthetic.all() else syn
        note = f"synthetic: {len(syn)} images from {synthetic_path}"
    return Inputs(train=train, holdout=holdout, synthetic=syn, note="\n".join([note, *notes]), task=task or None)


def _check_real_sets(real: ImageSet, train_given: ImageSet | None, real_path: str | Path | None,
                     real_train_path: str | Path | None, *, subgroup: str | None, allow_marked_real: bool) -> None:
    """Refuse real sets holding images marked synthetic (unless allowed) or lacking the ``subgroup`` column."""
    for name, imgs, where in (("real", real, real_path), ("training", train_given, real_train_path)):
        if imgs is not None and imgs.synthetic.any() and not allow_marked_real:
            raise InputError(f"{int(imgs.synthetic.sum())} image(s) in the {name} set are marked synthetic",
                             path=str(where), remedy="give a folder of real images only")
    for imgs, where in ((real, real_path or "samples"), (train_given, real_train_path)):
        if imgs is not None and subgroup is not None and subgroup not in imgs.meta:
            usable = subgroup_columns(imgs.meta)
            raise InputError(f"the real set has no column {subgroup!r}", path=str(where),
                             remedy=f"choose subgroup from {usable}, or None for no subgroup" if usable else
                             "these images carry no subgroup column (only file properties): use None")


def _real_split(real: ImageSet, train_given: ImageSet | None, real_path: str | Path | None,
                real_train_path: str | Path | None, *, synthetic_given: bool,
                seed: int) -> tuple[ImageSet | None, ImageSet, str]:
    """(training, held-out, the sentence saying where they came from): the user's split, all held-out when
    synthetic images come without their training images, else a seeded split of ``real``."""
    if train_given is not None:
        return train_given, real, (f"real: {len(train_given)} training images (what the generator saw, "
                                   f"{real_train_path}) and {len(real)} held-out images ({real_path})")
    if synthetic_given:
        return None, real, (f"real: no training images named, so all {len(real)} real images are treated as "
                            "held-out (memorisation is checked against all of them)")
    train, holdout = split_real(real, seed=seed)
    return train, holdout, (f"real: {len(train)} training images (the teaching generator is fitted on these) and "
                            f"{len(holdout)} held-out images it never sees (seeded split)")
