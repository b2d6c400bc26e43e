"""The domain's shared vocabulary: the intrinsic limits of synthetic images and the ethical risks.

One copy of these texts for the whole package (checklist, instruments, provenance cards, reports).
Restated from Jin, Sinha, Abhishek, Hamarneh, "Ethical Medical Image Synthesis", arXiv:2508.09293 (2025).
"""

from __future__ import annotations

#: The intrinsic limits: true of every synthetic image, however good the generator.
INTRINSIC_LIMITS: dict[str, str] = {
    "L1": "No grounding: a synthetic image depicts no patient; its findings were never observed in anyone.",
    "L2": "Incomplete representation: a generator cannot fully represent the real images it learned from; rare "
          "cases, small subgroups and tails are thinned or dropped, and some training images may be memorised.",
    "L3": "New shifts and biases: synthesis adds its own distribution shift (artefacts, smoothing, amplified "
          "majority patterns), which downstream models inherit.",
}

#: Short names of the intrinsic limits.
INTRINSIC_LIMIT_NAMES: dict[str, str] = {"L1": "No grounding", "L2": "Incomplete representation",
                                          "L3": "New shifts and biases"}

#: Ethical risks a checklist item, gap or claim can touch.
RISKS: tuple[str, ...] = ("misinformation", "trust_erosion", "discrimination", "privacy", "consent")
