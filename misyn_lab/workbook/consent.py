"""Consent and debrief texts for running a reader study with people (templates shipped as package data).

The templates (``reader_study_texts/consent.md`` and ``debrief.md``) are plain-language Markdown with
``$placeholders`` (:class:`string.Template`): taking part is voluntary, no personal data are recorded, what the
images are, that synthetic images are shown without their marker during the test, and the debrief afterwards. An
instructor adapts them by copying a template, editing it, and passing ``template=`` (e.g. a translation).
These texts are for a teaching exercise; a research study with participants needs the approval of a research
ethics board, which no template replaces.
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

from misyn_lab.errors import InputError

#: Folder of the bundled templates.
TEXT_DIR = Path(__file__).resolve().parent / "reader_study_texts"
#: Placeholders each bundled template fills.
CONSENT_FIELDS = ("course", "n_tiles", "minutes", "images", "contact")
DEBRIEF_FIELDS = ("n_tiles", "n_synthetic", "images", "results", "contact")
#: What the debrief says when no class results are given yet.
NO_RESULTS_YET = ("Your instructor will show the class's results: each pseudonym's accuracy with its uncertainty, "
                  "the class as a whole, and the images that fooled most readers.")


def template_path(name: str) -> Path:
    """The bundled template ``consent`` or ``debrief``."""
    if name not in ("consent", "debrief"):
        raise InputError(f"unknown text template {name!r}", path=name, remedy="use 'consent' or 'debrief'")
    return TEXT_DIR / f"{name}.md"


def _fill(template: str | Path | None, name: str, values: dict[str, Any]) -> str:
    path = template_path(name) if template is None else Path(template)
    if not path.is_file():
        raise InputError(f"{name} template not found", path=path, remedy="pass an existing Markdown file")
    text = path.read_text(encoding="utf-8")
    try:
        return string.Template(text).substitute({k: str(v) for k, v in values.items()})
    except KeyError as exc:
        raise InputError(f"{name} template uses the unknown placeholder ${exc.args[0]}", path=path,
                         remedy=f"use only {', '.join('$' + k for k in values)} (write $$ for a dollar sign)") from None
    except ValueError as exc:
        raise InputError(f"{name} template has a malformed placeholder ({exc})", path=path,
                         remedy="write $name or ${name}; write $$ for a dollar sign") from None


def consent_text(*, n_tiles: int, images: str, course: str = "this course", minutes: int | None = None,
                 contact: str = "your instructor", template: str | Path | None = None) -> str:
    """The consent text as Markdown. ``images`` says in plain words what the real and synthetic images are;
    ``minutes`` defaults to about 15 seconds per tile (at least 5)."""
    if isinstance(n_tiles, bool) or not isinstance(n_tiles, int) or n_tiles < 2:
        raise InputError(f"n_tiles must be an integer >= 2, got {n_tiles!r}", path="consent_text",
                         remedy="pass the study's number of tiles, len(study)")
    minutes = max(5, round(n_tiles * 15 / 60)) if minutes is None else minutes
    return _fill(template, "consent", {"course": course, "n_tiles": n_tiles, "minutes": minutes, "images": images,
                                       "contact": contact})


def debrief_text(*, n_tiles: int, n_synthetic: int, images: str, results: str | None = None,
                 contact: str = "your instructor", template: str | Path | None = None) -> str:
    """The debrief as Markdown; ``results`` (e.g. the class's sentences, generated from its numbers) replaces
    :data:`NO_RESULTS_YET`."""
    if not 0 <= int(n_synthetic) <= int(n_tiles):
        raise InputError(f"n_synthetic {n_synthetic} is not between 0 and n_tiles {n_tiles}", path="debrief_text",
                         remedy="pass the study's counts")
    return _fill(template, "debrief", {"n_tiles": n_tiles, "n_synthetic": n_synthetic, "images": images,
                                       "results": results or NO_RESULTS_YET, "contact": contact})


__all__ = ["CONSENT_FIELDS", "DEBRIEF_FIELDS", "NO_RESULTS_YET", "TEXT_DIR", "consent_text", "debrief_text",
           "template_path"]
