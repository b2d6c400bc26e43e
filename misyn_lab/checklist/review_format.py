"""The review file's format constants, shared by the Review, its reader/writer and the three-way merge.

Kept apart from :mod:`misyn_lab.checklist.review` so that :mod:`~misyn_lab.checklist.review_io` and
:mod:`~misyn_lab.checklist.merge` read them without importing the Review (which imports both).

>>> canonical({"b": 1, "a": [1.5, "x"]})
'{"a":[1.5,"x"],"b":1}'
>>> KIND, SCHEMA_VERSION
('misyn-lab-review', 1)
"""

from __future__ import annotations

import json
from typing import Any

SCHEMA_VERSION = 1
KIND = "misyn-lab-review"
#: Generic record sections (lists of dicts with a unique ``"id"``).
RECORD_SECTIONS: tuple[str, ...] = ("claims", "limitations", "reader_answers", "stakeholder_questions")
#: Top-level keys this version knows; any other key in a file is kept verbatim in ``Review.extra``.
KNOWN_KEYS: tuple[str, ...] = ("schema_version", "kind", "title", "revision", "created", "updated", "checklist",
                               "reviewers", "answers", "evidence", "links", *RECORD_SECTIONS, "conflicts",
                               "history")


def canonical(value: Any) -> str:
    """Canonical JSON text of a value (sorted keys), used for hashing and deterministic ordering."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


__all__ = ["KIND", "KNOWN_KEYS", "RECORD_SECTIONS", "SCHEMA_VERSION", "canonical"]
