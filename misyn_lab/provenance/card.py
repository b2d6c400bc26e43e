"""Generator / synthetic-dataset card: what was generated, from what, how it is labelled, known limits.

:func:`build_card` collects the facts into a dict (the JSON form); :func:`card_markdown` renders it.
Every slot without information reads "[More information needed]" rather than being left out, so a
reader sees what the producer did not say.
"""

from __future__ import annotations

import html
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from misyn_lab.atomic import atomic_write_text
from misyn_lab.provenance.record import Provenance
from misyn_lab.provenance.registry import open_registry
from misyn_lab.vocabulary import INTRINSIC_LIMITS

if TYPE_CHECKING:
    from misyn_lab.imagesets.core import ImageSet

MISSING = "[More information needed]"
LABELLING = {
    "png": "tEXt misyn:synthetic=true, iTXt misyn:provenance (JSON), XMP (iTXt XML:com.adobe.xmp) with "
           "Iptc4xmpExt:DigitalSourceType",
    "tiff": "ImageDescription (270) JSON with misyn:synthetic, XMP (tag 700) with Iptc4xmpExt:DigitalSourceType",
    "jpeg": "XMP APP1 with Iptc4xmpExt:DigitalSourceType, COM segment misyn:synthetic=true + provenance JSON",
    "dicom": "SyntheticData=YES, ImageType DERIVED\\SECONDARY, ConversionType=SYN, DerivationDescription, "
             "ContributingEquipmentSequence (109100 DCM 'Synthesizing Equipment'), private block MISYN_LAB",
    "nifti": "header descrip/intent_name + JSON sidecar with misyn:synthetic and provenance",
}


def _or_missing(value: Any) -> Any:
    if value is None or (isinstance(value, (str, list, dict)) and not value):
        return MISSING
    return value


def build_card(*, provenance: Provenance | None = None, imageset: ImageSet | None = None, audit: Any = None,
               registry: Any = None, formats: list[str] | None = None, intended_use: str = "",
               out_of_scope: str = "", banner: bool | None = None, title: str = "") -> dict[str, Any]:
    """Collect the facts of a generator/dataset card. Every argument is optional; what is missing is marked as such.

    Parameters
    ----------
    provenance : Provenance, optional
        The generator, its training data and version.
    imageset : ImageSet, optional
        The synthetic images the card describes (counts, image size, metadata columns).
    audit : AuditReport, optional
        An audit of the released folder.
    registry : Registry, str or path-like, optional
        The registry the images are recorded in.
    formats : list of str, optional
        File formats released.
    intended_use, out_of_scope : str, optional
        What the images are for, and what they must not be used for.
    banner : bool, optional
        Whether the images carry a visible SYNTHETIC banner.
    title : str, optional
        Title of the card.

    Returns
    -------
    dict
        The card's slots (JSON-ready); the intrinsic limits L1-L3 are always listed.

    Examples
    --------
    >>> from misyn_lab.provenance import Provenance
    >>> card = build_card(provenance=Provenance("pca_gaussian", training_data="bundled MNI152 slices"))
    >>> card["generator"]["name"], card["intended_use"], sorted(card["known_limits"])
    ('pca_gaussian', '[More information needed]', ['L1', 'L2', 'L3'])
    """
    prov = provenance.to_dict() if provenance is not None else {}
    counts: dict[str, Any] = {}
    if imageset is not None:
        meta = imageset.meta
        counts = {"images": int(len(imageset)), "synthetic": int(imageset.synthetic.sum()),
                  "real": int((~imageset.synthetic).sum()), "image_shape": list(imageset.image_shape)}
        for col in ("modality", "body_part", "plane", "sex"):
            if col in meta:
                counts[f"by_{col}"] = {str(k): int(v) for k, v in meta[col].value_counts().items()}
    reg: dict[str, Any] = {}
    if registry is not None:
        with open_registry(registry) as r:  # a missing path is an error, never a new empty registry
            reg = {"path": str(r.path), "registered_images": len(r)}
    aud: dict[str, Any] = {}
    if audit is not None:
        aud = {"summary": audit.summary(), "counts": audit.counts(), "synthetic_fraction": audit.synthetic_fraction}
    fmts = formats or []
    return {
        "card_version": 1,
        "title": title or (f"Synthetic images from {prov['generator']}" if prov else MISSING),
        "generator": {"name": _or_missing(prov.get("generator")), "version": _or_missing(prov.get("generator_version"))},
        "what_was_generated": _or_missing(counts),
        "training_data": _or_missing(prov.get("training_data")),
        "conditioning_inputs": _or_missing(prov.get("conditioning")),
        "seed": prov.get("seed") if prov.get("seed") is not None else MISSING,
        "created": _or_missing(prov.get("created")),
        "digital_source_type": _or_missing(prov.get("digital_source_type")),
        "labelling": _or_missing({f: LABELLING.get(f, f) for f in fmts}),
        "visible_banner": MISSING if banner is None else bool(banner),
        "registry": _or_missing(reg),
        "audit": _or_missing(aud),
        "intended_use": _or_missing(intended_use),
        "out_of_scope_use": _or_missing(out_of_scope),
        "known_limits": dict(INTRINSIC_LIMITS),
        "tool": prov.get("tool", MISSING),
    }


def _md_value(value: Any) -> str:
    """Markdown for a card value; text is HTML-escaped so a card rendered to HTML cannot carry markup."""
    if isinstance(value, dict):
        return "\n".join(f"- **{html.escape(str(k))}**: "
                         f"{_md_value(v) if not isinstance(v, dict) else html.escape(json.dumps(v, ensure_ascii=False))}"
                         for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(html.escape(str(v)) for v in value)
    return html.escape(str(value)).replace("\n", " ")


def card_markdown(card: dict[str, Any]) -> str:
    """The card as Markdown (headings per slot, intrinsic limits always listed).

    Parameters
    ----------
    card : dict
        A card from :func:`build_card`.

    Returns
    -------
    str
        Markdown text.

    Examples
    --------
    >>> text = card_markdown(build_card(title="Demo card"))
    >>> text.splitlines()[0]
    '# Demo card'
    """
    order = [("Generator", "generator"), ("What was generated", "what_was_generated"),
             ("Training data", "training_data"), ("Conditioning inputs", "conditioning_inputs"),
             ("Seed", "seed"), ("Created", "created"), ("Digital source type (IPTC)", "digital_source_type"),
             ("How the images are labelled", "labelling"), ("Visible banner", "visible_banner"),
             ("Registry status", "registry"), ("Audit", "audit"), ("Intended use", "intended_use"),
             ("Out-of-scope use", "out_of_scope_use"),
             ("Known limits (intrinsic to every synthetic image)", "known_limits")]
    lines = [f"# {html.escape(str(card['title']))}", "",
             "These images are SYNTHETIC: they were computed by a model and depict no patient.", ""]
    for heading, key in order:
        lines += [f"## {heading}", "", _md_value(card.get(key, MISSING)), ""]
    lines += [f"_Card written by {card.get('tool', MISSING)}._", ""]
    return "\n".join(lines)


def write_card(card: dict[str, Any], out: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Write ``<out>.md`` and ``<out>.json`` atomically.

    Parameters
    ----------
    card : dict
        A card from :func:`build_card`.
    out : str or path-like
        Path without suffix.

    Returns
    -------
    (Path, Path)
        The Markdown and the JSON file.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> md, js = write_card(build_card(title="Demo card"), pathlib.Path(tempfile.mkdtemp()) / "card")
    >>> md.name, js.name
    ('card.md', 'card.json')
    """
    base = Path(out)
    if base.suffix in (".md", ".json"):
        base = base.with_suffix("")
    md = atomic_write_text(base.with_suffix(".md"), card_markdown(card))
    js = atomic_write_text(base.with_suffix(".json"), json.dumps(card, indent=2, ensure_ascii=False))
    return md, js
