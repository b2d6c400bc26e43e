"""Review instruments from the paper: claims, evaluation-phase ladder, limitations, reader study, stakeholder checklist.

All of them store their state in a :class:`misyn_lab.checklist.Review` (record sections ``claims``,
``limitations``, ``reader_answers``, ``stakeholder_questions`` and the evidence store with its rungs), so they
travel in the one lossless review file.

>>> from misyn_lab.instruments import Claim, check_claims, settle_claim     # claims and their statistics
>>> from misyn_lab.instruments import attach_reporting                      # worst cases / subgroups as evidence
>>> from misyn_lab.instruments import RUNGS, highest_rung, claims_beyond_rung  # the evaluation-phase ladder
>>> from misyn_lab.instruments import LimitationAnalysis, missing_aspects     # three-aspect limitations
>>> from misyn_lab.instruments import ReaderStudy                            # visual Turing test (rung 2)
>>> from misyn_lab.instruments.reader_class import analyse_class           # a class's readers × tiles
>>> from misyn_lab.instruments.reader_collect import collect_readers        # one answer file per student
>>> from misyn_lab.instruments import raise_concern, respond, open_concerns  # stakeholder concerns
>>> from misyn_lab.instruments.document import claims_table, ladder_section     # the instruments as documents

The claim rules are listed in ``CLAIM_RULES.md`` beside this file.
"""

from misyn_lab.instruments.claims import (RULES, STATUSES, Claim, ClaimVerdict, TestReport, check_claim,
                                          check_claims, load_claims, save_claims, settle_claim)
from misyn_lab.instruments.direction import DIRECTIONS, infer_direction
from misyn_lab.instruments.ladder import RUNGS, claims_beyond_rung, evidence_rungs, highest_rung, ladder_data
from misyn_lab.instruments.limitations import (ASPECTS, INTRINSIC_LIMITS, LimitationAnalysis, load_limitations,
                                               missing_aspects)
from misyn_lab.instruments.reader_study import ReaderStudy, results_from_records
from misyn_lab.instruments.reporting import attach_reporting
from misyn_lab.instruments.stakeholder import open_concerns, raise_concern, respond, stakeholder_items
from misyn_lab.instruments.stats import (effect_size_paired, holm_correction, paired_bootstrap_ci,
                                         paired_permutation_test, power_note, tost_paired, wilcoxon_signed_rank)

__all__ = [
    "ASPECTS", "DIRECTIONS", "INTRINSIC_LIMITS", "RULES", "RUNGS", "STATUSES", "Claim", "ClaimVerdict",
    "LimitationAnalysis", "ReaderStudy", "TestReport", "attach_reporting", "check_claim", "check_claims",
    "claims_beyond_rung", "effect_size_paired", "evidence_rungs", "highest_rung", "holm_correction",
    "infer_direction", "ladder_data", "load_claims", "load_limitations", "missing_aspects", "open_concerns",
    "paired_bootstrap_ci", "paired_permutation_test", "power_note", "raise_concern", "respond",
    "results_from_records", "save_claims", "settle_claim", "stakeholder_items",
    "tost_paired", "wilcoxon_signed_rank",
]
