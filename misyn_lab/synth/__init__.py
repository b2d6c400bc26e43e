"""Teaching generators: small, transparent, seeded generators that each make one intrinsic limit visible.

Every generator has ``fit(real_imageset)`` and ``sample(n, seed, conditions=None) -> ImageSet`` (rows marked
``synthetic=True`` with provenance columns). Nothing downstream depends on them: users may bring their own
synthetic images instead.

========================  =========  ===========================================================
name                      limit      what it shows
========================  =========  ===========================================================
pca_gaussian              L2, L3     smoothing, thinned tails
gaussian_mixture          L2, L3     smoothing; tiny components collapse onto their images
memorising                privacy    near-copies of training images
subgroup_skewed           L2         a minority under-sampled and pulled towards the majority
super_resolution          L1         restored detail that was never observed
conditional               L1         unseen attribute combinations answered from the nearest seen ones
label_conditioned         L1         (image, mask) pairs by elastic warps of a few real pairs
========================  =========  ===========================================================

Speed: no generator downsamples internally. PCA is exact, computed from the N×N Gram matrix (N = training images),
so a fit on 500 images of 128×128 takes well under a second of CPU (see ``benchmarks/results/pipeline.md``);
sampling costs milliseconds except for the per-image warps/resizes of ``super_resolution`` and
``label_conditioned``.
"""

from misyn_lab.synth.base import PROVENANCE_COLUMNS, Generator, attribute_columns, default_created
from misyn_lab.synth.conditional import ConditionalGenerator
from misyn_lab.synth.label_conditioned import LabelConditionedGenerator
from misyn_lab.synth.memorising import MemorisingGenerator
from misyn_lab.synth.mixture import GaussianMixtureGenerator
from misyn_lab.synth.pca_gaussian import PCAGaussianGenerator
from misyn_lab.synth.registry import GENERATORS, make_generator
from misyn_lab.synth.subgroup_skewed import SubgroupSkewedGenerator
from misyn_lab.synth.super_resolution import (SRTriplets, SuperResolutionGenerator, degrade, high_pass,
                                              invented_detail_map)

__all__ = [
    "GENERATORS", "PROVENANCE_COLUMNS", "ConditionalGenerator", "GaussianMixtureGenerator", "Generator",
    "LabelConditionedGenerator", "MemorisingGenerator", "PCAGaussianGenerator", "SRTriplets",
    "SubgroupSkewedGenerator", "SuperResolutionGenerator", "attribute_columns", "default_created", "degrade",
    "high_pass", "invented_detail_map", "make_generator",
]
