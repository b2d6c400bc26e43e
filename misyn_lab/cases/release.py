"""The labelling audit of a released synthetic set, as a case study runs it.

Scenario (what the reviewed practices do): the generator's output is registered when it is made, but the
*released* files are plain image files without a synthetic mark. An audit with the registry flags every
released file as an unlabelled registry match; after ``label`` (writing the mark into each file) the same
audit finds them all labelled, i.e. clean.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from misyn_lab.atomic import atomic_write_bytes
from misyn_lab.metrics.result import MetricResult, build
from misyn_lab.render.numbers import fmt_percent

if TYPE_CHECKING:
    from misyn_lab.imagesets.core import ImageSet


@dataclass(frozen=True)
class ReleaseAudit:
    """Audit counts before and after labelling, and the evidence record."""

    before: dict[str, int]
    after: dict[str, int]
    n_files: int
    released_dir: str

    @property
    def result(self) -> MetricResult:
        """``audit.unlabelled_synthetic``: how many released files are unlabelled synthetic, as released (a count,
        as in a folder audit; the shares before and after labelling in the words and ``details``)."""
        n = max(self.n_files, 1)
        before = self.before.get("unlabelled_registry_match", 0)
        after = self.after.get("unlabelled_registry_match", 0)
        return build(
            "audit.unlabelled_synthetic", float(before), n={"files": self.n_files},
            interpretation=(f"As released, {before} of the {self.n_files} synthetic files ({fmt_percent(before / n)}) "
                            f"carry no synthetic mark and are found only by a registry match; after labelling "
                            f"{after} ({fmt_percent(after / n)}) remain unlabelled."),
            details={"before": dict(self.before), "after": dict(self.after),
                     "share_before": before / n, "share_after": after / n})


def _plain_png(image: np.ndarray, path: Path) -> Path:
    """Write pixels as a PNG with no metadata at all (how an unlabelled release looks)."""
    from PIL import Image

    arr = np.clip(np.round(np.asarray(image) * 255.0), 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return atomic_write_bytes(path, buf.getvalue())


def row_provenance(row: dict[str, Any], **conditioning: Any):
    """A :class:`~misyn_lab.provenance.Provenance` from a teaching generator's metadata row; ``conditioning``
    (e.g. ``prompt=...``) is added to the row's ``conditions``."""
    from misyn_lab.provenance import Provenance

    cond = row.get("conditions") or "{}"
    cond = json.loads(cond) if isinstance(cond, str) else dict(cond)
    cond.update({k: v for k, v in conditioning.items() if v is not None})
    seed = row.get("seed")
    return Provenance(generator=str(row.get("generator") or "unknown generator"),
                      generator_version=str(row.get("generator_version") or ""),
                      training_data=str(row.get("training_data") or ""), conditioning=cond,
                      seed=None if seed is None or (isinstance(seed, float) and np.isnan(seed)) else int(seed),
                      created=str(row.get("created") or ""))


def with_provenance(imageset: ImageSet, **conditioning: Any) -> ImageSet:
    """A copy of ``imageset`` with a JSON ``provenance`` column built by :func:`row_provenance`."""
    rows = imageset.meta.to_dict("records")
    return imageset.with_meta(provenance=[row_provenance(r, **conditioning).to_json() for r in rows])


def audit_release(imageset: ImageSet, out_dir: str | Path) -> ReleaseAudit:
    """Register ``imageset``'s synthetic images, release them unlabelled, audit, label, audit again.

    Each image's provenance comes from its ``provenance`` column (added by :func:`with_provenance` when
    missing). Writes under ``out_dir``: ``generated/`` (labelled generator output), ``released/`` (the files as a
    practice releases them, then labelled in place) and ``registry.sqlite``.
    """
    from misyn_lab.provenance import Provenance, Registry, audit_folder, export_imageset, label_file

    if "provenance" not in imageset.meta:
        imageset = with_provenance(imageset)

    out = Path(out_dir)
    released = out / "released"
    released.mkdir(parents=True, exist_ok=True)
    for old in released.glob("*.png"):
        old.unlink()
    with Registry(out / "registry.sqlite") as registry:
        generated = export_imageset(imageset, out / "generated", registry=registry)
        files = [_plain_png(imageset.images[int(i)], released / p.name)
                 for i, p in zip(np.flatnonzero(imageset.synthetic), generated)]
        before = audit_folder(released, registry=registry, progress=False).counts()
        for i, path in zip(np.flatnonzero(imageset.synthetic), files):
            row = imageset.meta.iloc[int(i)].to_dict()
            label_file(path, Provenance.from_json(row["provenance"]))
        after = audit_folder(released, registry=registry, progress=False).counts()
    return ReleaseAudit(before=before, after=after, n_files=len(files), released_dir=str(released))
