"""Registry of the teaching generators: ``GENERATORS`` name -> class and :func:`make_generator`."""

from __future__ import annotations

from typing import Any

from misyn_lab.errors import InputError
from misyn_lab.synth.base import Generator
from misyn_lab.synth.conditional import ConditionalGenerator
from misyn_lab.synth.label_conditioned import LabelConditionedGenerator
from misyn_lab.synth.memorising import MemorisingGenerator
from misyn_lab.synth.mixture import GaussianMixtureGenerator
from misyn_lab.synth.pca_gaussian import PCAGaussianGenerator
from misyn_lab.synth.subgroup_skewed import SubgroupSkewedGenerator
from misyn_lab.synth.super_resolution import SuperResolutionGenerator

GENERATORS: dict[str, type[Generator]] = {
    cls.name: cls
    for cls in (PCAGaussianGenerator, GaussianMixtureGenerator, MemorisingGenerator, SubgroupSkewedGenerator,
                SuperResolutionGenerator, ConditionalGenerator, LabelConditionedGenerator)
}


def make_generator(name: str, **kwargs: Any) -> Generator:
    """A new, unfitted generator by registry name (:data:`GENERATORS`).

    Parameters
    ----------
    name : str
        ``pca_gaussian``, ``gaussian_mixture``, ``memorising``, ``subgroup_skewed``, ``super_resolution``,
        ``conditional`` or ``label_conditioned``.
    **kwargs
        The generator's options.

    Returns
    -------
    Generator
        Unfitted.

    Raises
    ------
    InputError
        An unknown name (the message suggests close names), or an option the generator does not take.

    Examples
    --------
    >>> make_generator("pca_gaussian", n_components=8)
    PCAGaussianGenerator(...)
    >>> make_generator("pca_gausian")
    Traceback (most recent call last):
    ...
    misyn_lab.errors.InputError: ...
    """
    try:
        cls = GENERATORS[name]
    except KeyError:
        raise InputError(f"unknown generator {name!r}", path="synth",
                         remedy=f"use one of {sorted(GENERATORS)}") from None
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise InputError(f"bad parameters for generator {name!r}: {exc}", path="synth",
                         remedy=f"see help(misyn_lab.synth.{cls.__name__})") from exc
