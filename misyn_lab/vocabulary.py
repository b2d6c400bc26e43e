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

#: Verdict statuses of a checked claim, worst first (the claim table, the ladder and the report count them in this
#: order).
VERDICT_STATUSES: tuple[str, ...] = ("contradicted", "not_supported", "untested", "overclaimed", "supported")

#: Ethical risks a checklist item, gap or claim can touch.
RISKS: tuple[str, ...] = ("misinformation", "trust_erosion", "discrimination", "privacy", "consent")

#: Each risk in words (a report never shows the code ``trust_erosion``).
RISK_NAMES: dict[str, str] = {"misinformation": "misinformation", "trust_erosion": "erosion of trust",
                              "discrimination": "discrimination", "privacy": "privacy", "consent": "consent"}


def limit_label(limit: str | None) -> str:
    """An intrinsic limit in words.

    Parameters
    ----------
    limit : str or None
        ``"L1"``, ``"L2"`` or ``"L3"``.

    Returns
    -------
    str
        ``"L1 No grounding"`` ...; ``""`` for none; an unknown code is kept as given.

    Examples
    --------
    >>> limit_label("L1"), limit_label(None), limit_label("L9")
    ('L1 No grounding', '', 'L9')
    """
    if not limit:
        return ""
    name = INTRINSIC_LIMIT_NAMES.get(str(limit))
    return f"{limit} {name}" if name else str(limit)


def risk_label(risk: str | None) -> str:
    """A risk in words.

    Parameters
    ----------
    risk : str or None
        A risk code.

    Returns
    -------
    str
        The words (an unknown code with its underscores replaced by spaces).

    Examples
    --------
    >>> risk_label("trust_erosion"), risk_label("new_risk")
    ('erosion of trust', 'new risk')
    """
    return RISK_NAMES.get(str(risk), str(risk or "").replace("_", " "))


#: The glossary of every rendered document: key -> (term, plain definition). Terms in documents link to these
#: entries (:func:`misyn_lab.render.term`) on first use. Definitions are ours, in plain words.
GLOSSARY: dict[str, tuple[str, str]] = {
    "l1": ("L1 No grounding", "An intrinsic limit of every synthetic image: it depicts no patient, so its "
                              "findings were never observed in anyone."),
    "l2": ("L2 Incomplete representation", "An intrinsic limit: a generator cannot fully represent the real images "
                                           "it learned from; rare cases, small subgroups and tails are thinned or "
                                           "dropped, and some training images may be memorised."),
    "l3": ("L3 New shifts and biases", "An intrinsic limit: synthesis adds its own distribution shift (artefacts, "
                                       "smoothing, amplified majority patterns), which downstream models inherit."),
    "rung": ("Rung (evaluation ladder)", "A step of the evaluation ladder, after the paper's five-phased evaluation "
                                         "paradigm: 1 metrics in model space on held-out real data, then the problem "
                                         "space (experts, the downstream task, the clinical workflow, follow-up after "
                                         "deployment). The rung names are our reading, not the paper's."),
    "held-out": ("Held-out real images", "Real images the generator never saw during training; fidelity, coverage "
                                         "and distances are measured against them."),
    "prdc": ("PRDC", "Precision, recall, density and coverage: nearest-neighbour measures of how far synthetic "
                     "images fall inside the real data (precision, fidelity) and how much of the real data they "
                     "reach (recall and coverage, diversity); density counts how crowded real neighbourhoods are."),
    "frechet": ("Fréchet distance", "A distance between the mean and covariance of real and synthetic features; 0 "
                                    "means the same mean and covariance. Its size depends on the features used."),
    "mmd": ("MMD", "Maximum mean discrepancy: a kernel distance between two distributions, 0 for the same "
                   "distribution, with a permutation test of whether the difference is larger than chance."),
    "ks": ("KS statistic", "Kolmogorov–Smirnov: the largest gap between two cumulative distributions of one "
                           "feature, 0 (identical) to 1 (no overlap)."),
    "detection-auc": ("Detection AUC", "How well a classifier tells real from synthetic images: 0.5 means it "
                                       "cannot, 1 means always."),
    "dice": ("Dice", "Overlap between a predicted and a true segmentation, from 0 (none) to 1 (identical)."),
    "tstr": ("TSTR", "Train on synthetic, test on real: a classifier trained on synthetic images, tested on held-out "
                     "real images, compared with the same classifier trained on real images."),
    "copy-rate": ("Copy rate", "The share of synthetic images flagged as near-copies of a training image, read "
                               "against the rate at which the same rule flags real images the generator never saw "
                               "(the negative control)."),
    "ci": ("CI", "Confidence interval: the range of values compatible with the data at the stated level "
                 "(95 % unless said otherwise)."),
    "bca": ("BCa", "Bias-corrected and accelerated bootstrap: a resampling confidence interval that adjusts for bias "
                   "and skew."),
    "wilcoxon": ("Wilcoxon signed-rank test", "A test of paired differences that uses their ranks, not their "
                                              "sizes."),
    "permutation": ("Permutation test", "A test that compares the observed statistic with its values when the "
                                        "labels are shuffled; with B permutations the smallest possible p is "
                                        "1/(B+1)."),
    "holm": ("Holm correction", "Adjusts p-values when several tests are made, so that the chance of any false "
                                "positive stays at the stated level."),
    "d_z": ("d_z", "Cohen's effect size for paired data: the mean difference divided by the standard deviation of "
                   "the differences."),
    "tost": ("TOST", "Two one-sided tests: the test of equivalence, which shows a difference lies inside a stated "
                     "margin (absence of a significant difference does not)."),
    "mid": ("MID", "Minimal important difference: the smallest change that would matter in practice, planned before "
                   "measuring."),
    "p": ("p-value", "The probability of a result at least this extreme if there were no effect; printed as "
                     "p < 0.001 below 0.001."),
    "n": ("n", "The number of units behind a result (images, seeds/splits, prompts), said beside it."),
    "kappa": ("Kappa", "Agreement between raters beyond chance (Cohen's for two, Fleiss' for many): 1 perfect, 0 no "
                       "better than chance."),
    "severity": ("Severity", "How much an open checklist item matters: high, medium or low, set in the checklist."),
}
