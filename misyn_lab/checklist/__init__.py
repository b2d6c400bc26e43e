"""checklist station: the recommendations as data, and Reviews (answers + evidence + records + history).

>>> import pathlib, tempfile
>>> from misyn_lab.checklist import load_checklist, Review
>>> checklist = load_checklist()            # validated recommendations.yaml
>>> len(checklist.items)
45
>>> review = Review.new("My MISyn review", reviewer="ana")
>>> review.set_answer("TS-1", "ana", "yes", "The dataset card calls every image 'synthetic'.").status
'yes'
>>> ev = review.add_evidence({"key": "provenance.labelled", "value": 0.5})
>>> review.link_evidence("TS-3", ev) == ev  # evidence for an item nobody has answered yet
True
>>> review.evidence_for("TS-3") == [ev]     # linked ids + ids cited in any answer
True
>>> path = pathlib.Path(tempfile.mkdtemp()) / "review.yaml"
>>> _ = review.save(path)                   # atomic, locked, merges concurrent saves
>>> Review.load(path).answers["TS-1"]["ana"].status
'yes'

Recommendations after Jin, Sinha, Abhishek, Hamarneh, "Ethical Medical Image Synthesis", arXiv:2508.09293 (2025).
"""

from misyn_lab.checklist.answers import STATUSES, Answer, MissingJustificationWarning
from misyn_lab.checklist.loader import STAGE_TITLES, STAGES, Checklist, Item, load_checklist
from misyn_lab.checklist.review import RECORD_SECTIONS, RUNGS, ChecklistChanges, Review, merge_reviews


def __getattr__(name: str):
    """Import the pandas-based summary classes only when asked for (keeps the CLI start fast)."""
    if name in ("Gap", "ReviewSummary"):
        from misyn_lab.checklist import summary

        return getattr(summary, name)
    raise AttributeError(f"module 'misyn_lab.checklist' has no attribute {name!r}")


__all__ = ["STAGES", "STAGE_TITLES", "STATUSES", "RECORD_SECTIONS", "RUNGS", "Answer", "Checklist", "Item",
           "ChecklistChanges", "Gap", "MissingJustificationWarning", "Review", "ReviewSummary", "load_checklist",
           "merge_reviews"]
