"""workbook station: teaching material and notebook glue.

The L1–L3 lessons of notebook 01 (:mod:`~misyn_lab.workbook.lessons`), the stage demonstrations of notebooks
02–06 (:mod:`~misyn_lab.workbook.demos`), their fictional vignettes with answer keys and feedback
(:mod:`~misyn_lab.workbook.vignettes`), the simulated demo class of class mode
(:mod:`~misyn_lab.workbook.class_demo`), the class reader study with its simulated readers
(:mod:`~misyn_lab.workbook.reader_class_demo`) and its consent and debrief texts
(:mod:`~misyn_lab.workbook.consent`), the evaluation inputs (:mod:`~misyn_lab.workbook.data`) and the
review-file helpers (:mod:`~misyn_lab.workbook.review_file`), so every notebook cell stays a few lines long.
Computing lives in the stations below (metrics, features, synth, provenance, viz); this station only
composes them. It may import anything except ``widgets`` and ``report``.
"""

from misyn_lab.workbook.data import Inputs, load_inputs, split_real, teaching_real_set
from misyn_lab.workbook.demos import Demo, design_checks, labelling_demo, representation, stakeholder_questions, table
from misyn_lab.workbook.review_file import open_review, review_status, save_metrics_table, saved_status, table_paths
from misyn_lab.workbook.vignettes import Feedback, Vignette, feedback, vignette, vignette_key
from misyn_lab.workbook.class_demo import simulate_class

__all__ = ["Demo", "Feedback", "Inputs", "Vignette", "design_checks", "feedback", "labelling_demo", "load_inputs",
           "open_review", "representation", "review_status", "save_metrics_table", "saved_status", "simulate_class",
           "split_real", "stakeholder_questions", "table", "table_paths", "teaching_real_set", "vignette",
           "vignette_key"]
