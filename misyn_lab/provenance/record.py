"""The provenance record of a synthetic image and its XMP form.

:class:`Provenance` says who made a synthetic image and how: generator and version, training data,
conditioning inputs (incl. a text prompt), seed, date, the tool that wrote the mark and the IPTC
"digital source type". :func:`build_xmp` / :func:`parse_xmp` convert it to and from an XMP packet, the
metadata form PNG (iTXt ``XML:com.adobe.xmp``), TIFF (tag 700) and JPEG (APP1) share.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from misyn_lab.version import __version__
from misyn_lab.errors import SchemaError
from misyn_lab.safe_parse import TextLimitError, check_no_dtd, json_or_problem, load_json, parse_xml

#: IPTC digital source type for media created by a trained model.
TRAINED_ALGORITHMIC_MEDIA = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
#: IPTC digital source type for a real capture edited with a trained model (e.g. an inpainted real scan).
COMPOSITE_TRAINED_ALGORITHMIC_MEDIA = (
    "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
)
#: Digital source types that mean "synthetic" when found in a file written by any tool.
SYNTHETIC_SOURCE_TYPES = frozenset({
    TRAINED_ALGORITHMIC_MEDIA,
    COMPOSITE_TRAINED_ALGORITHMIC_MEDIA,
    "http://cv.iptc.org/newscodes/digitalsourcetype/algorithmicMedia",
    "http://cv.iptc.org/newscodes/digitalsourcetype/compositeSynthetic",
})
TOOL = f"misyn-lab {__version__}"

NS_X = "adobe:ns:meta/"
NS_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
NS_IPTC_EXT = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
NS_XMP = "http://ns.adobe.com/xap/1.0/"
NS_DC = "http://purl.org/dc/elements/1.1/"
#: misyn-lab's own XMP namespace (a URN, so it never pretends to be a resolvable web schema).
NS_MISYN = "urn:misyn-lab:ns:provenance:1"
#: XMP packets larger than this are not parsed (defence against hostile files).
MAX_XMP_BYTES = 4 * 1024 * 1024


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


@dataclass
class Provenance:
    """Who made a synthetic image, from what, and how.

    Parameters
    ----------
    generator : str
        The generator's name.
    generator_version : str, optional
        Its version.
    training_data : str, optional
        What it was trained on.
    conditioning : dict, optional
        Every conditioning input (``{"prompt": "...", "mask": "file.png", ...}``); a text prompt, when there is one,
        lives there under ``"prompt"``.
    seed : int, optional
        The sampling seed.
    created : str, optional
        ISO 8601 time (default: now, UTC).
    tool : str, optional
        The tool that wrote the mark.
    digital_source_type : str, optional
        IPTC digital source type (default: trained algorithmic media).
    notes : str, optional
        Free text.
    source_sop_class_uid, source_sop_instance_uid : str, optional
        A real DICOM source image (image-to-image translation, editing), recorded in Source Image Sequence.

    Examples
    --------
    >>> prov = Provenance("pca_gaussian", seed=3, conditioning={"prompt": "axial T1 slice"})
    >>> prov.to_dict()["conditioning"], prov.seed
    ({'prompt': 'axial T1 slice'}, 3)
    """

    generator: str
    generator_version: str = ""
    training_data: str = ""
    conditioning: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None
    created: str = field(default_factory=_now)
    tool: str = TOOL
    digital_source_type: str = TRAINED_ALGORITHMIC_MEDIA
    notes: str = ""
    source_sop_class_uid: str = ""
    source_sop_instance_uid: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.generator, str) or not self.generator.strip():
            raise SchemaError("provenance needs a non-empty 'generator' name", path="provenance.generator",
                              remedy="name the model that generated the image, e.g. 'pca-gaussian'")
        if not isinstance(self.conditioning, dict):
            raise SchemaError(f"'conditioning' must be a mapping, got {type(self.conditioning).__name__}",
                              path="provenance.conditioning", remedy="pass e.g. {'prompt': 'axial T1 brain'}")
        if self.seed is not None:
            try:
                self.seed = int(self.seed)
            except (TypeError, ValueError) as exc:
                raise SchemaError(f"'seed' must be an integer, got {self.seed!r}", path="provenance.seed") from exc
        try:
            json.dumps(self.conditioning)
        except (TypeError, ValueError, RecursionError) as exc:
            raise SchemaError(f"'conditioning' must be JSON-serialisable: {exc}", path="provenance.conditioning",
                              remedy="store file names or text instead of objects") from exc

    @property
    def prompt(self) -> str:
        """The text prompt among the conditioning inputs ('' when none)."""
        return str(self.conditioning.get("prompt", "") or "")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Provenance":
        """Build from :meth:`to_dict` output; unknown keys are kept in ``notes`` rather than dropped."""
        if not isinstance(data, dict):
            raise SchemaError(f"provenance must be a mapping, got {type(data).__name__}", path="provenance")
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in known}
        extra = {k: v for k, v in data.items() if k not in known}
        if extra:
            kwargs["notes"] = (str(kwargs.get("notes", "")) + " extra=" + json.dumps(extra, default=str)).strip()
        if "generator" not in kwargs:
            raise SchemaError("provenance has no 'generator'", path="provenance.generator",
                              remedy="name the model that generated the image")
        kwargs["conditioning"] = kwargs.get("conditioning") or {}
        return cls(**kwargs)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> "Provenance":
        """Parse provenance JSON (size and nesting limits of :mod:`misyn_lab.safe_parse` apply)."""
        try:
            data = load_json(text, "provenance", what="provenance JSON")
        except TextLimitError as exc:
            raise SchemaError(f"provenance is not valid JSON: {exc.message}", path="provenance") from None
        return cls.from_dict(data)

    def describe(self) -> str:
        """One human-readable sentence (DICOM Derivation Description, dc:description)."""
        parts = [f"SYNTHETIC image generated by {self.generator}"
                 + (f" {self.generator_version}" if self.generator_version else "")]
        if self.training_data:
            parts.append(f"trained on {self.training_data}")
        if self.prompt:
            parts.append(f"prompt: {self.prompt}")
        if self.seed is not None:
            parts.append(f"seed {self.seed}")
        parts.append(f"labelled by {self.tool}; depicts no patient")
        return "; ".join(parts)


def build_xmp(provenance: Provenance) -> str:
    """An XMP packet carrying the IPTC digital source type and the full provenance JSON."""
    attrs = {
        "Iptc4xmpExt:DigitalSourceType": provenance.digital_source_type,
        "xmp:CreatorTool": provenance.tool,
        "xmp:CreateDate": provenance.created,
        "misyn:Synthetic": "true",
        "misyn:Provenance": provenance.to_json(),
    }
    attr_text = "\n    ".join(f"{k}={quoteattr(v)}" for k, v in attrs.items())
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        f'<x:xmpmeta xmlns:x="{NS_X}">\n'
        f' <rdf:RDF xmlns:rdf="{NS_RDF}">\n'
        f'  <rdf:Description rdf:about="" xmlns:Iptc4xmpExt="{NS_IPTC_EXT}" xmlns:xmp="{NS_XMP}"\n'
        f'    xmlns:dc="{NS_DC}" xmlns:misyn="{NS_MISYN}"\n'
        f"    {attr_text}>\n"
        f'   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">{escape(provenance.describe())}'
        "</rdf:li></rdf:Alt></dc:description>\n"
        "  </rdf:Description>\n </rdf:RDF>\n</x:xmpmeta>\n"
        '<?xpacket end="w"?>'
    )


@dataclass(frozen=True)
class XmpMark:
    """What an XMP packet says about synthesis."""

    digital_source_type: str
    misyn_flag: bool
    provenance: dict[str, Any] | None
    #: What could not be read (e.g. an over-deep provenance JSON), for the reader's ``problems``.
    problems: tuple[str, ...] = ()

    @property
    def synthetic(self) -> bool:
        return self.misyn_flag or self.digital_source_type in SYNTHETIC_SOURCE_TYPES


def parse_xmp(packet: bytes | str | None, where: str | os.PathLike[str] = "XMP packet") -> XmpMark | None:
    """Read the digital source type and misyn-lab provenance from an XMP packet.

    Returns ``None`` for no packet or a packet that says nothing about synthesis. A packet that is larger
    than :data:`MAX_XMP_BYTES`, nests deeper than the limit, declares a DTD/entities or is malformed raises
    :class:`~misyn_lab.safe_parse.TextLimitError` naming ``where`` (readers turn it into an "unreadable mark").
    An embedded ``misyn:Provenance`` JSON that breaks the limits is dropped and named in ``problems``.
    Both attribute and element forms of ``Iptc4xmpExt:DigitalSourceType`` are understood, so marks
    written by other tools are recognised too.
    """
    if not packet:
        return None
    if isinstance(packet, str):
        packet = packet.encode("utf-8", "replace")
    if len(packet) > MAX_XMP_BYTES:
        raise TextLimitError(f"XMP packet is {len(packet):,} bytes, more than the {MAX_XMP_BYTES:,} misyn-lab parses",
                             path=where, remedy="shorten it")
    check_no_dtd(packet, where)
    start = packet.find(b"<x:xmpmeta")
    if start < 0:
        start = packet.find(b"<rdf:RDF")
    end_tag = packet.rfind(b"</x:xmpmeta>")
    body = packet[start:end_tag + len(b"</x:xmpmeta>")] if start >= 0 and end_tag > start else packet[max(start, 0):]
    root = parse_xml(body, where, what="XMP packet", max_bytes=MAX_XMP_BYTES)
    dst, flag, prov, problems = "", False, None, []
    k_dst = f"{{{NS_IPTC_EXT}}}DigitalSourceType"
    for el in root.iter():
        if k_dst in el.attrib:
            dst = el.attrib[k_dst]
        if el.tag == k_dst:
            dst = (el.text or el.attrib.get(f"{{{NS_RDF}}}resource", "")).strip()
        if f"{{{NS_MISYN}}}Synthetic" in el.attrib:
            flag = el.attrib[f"{{{NS_MISYN}}}Synthetic"].strip().lower() == "true"
        raw = el.attrib.get(f"{{{NS_MISYN}}}Provenance")
        if raw:
            prov, problem = json_or_problem(raw, where, what="XMP misyn:Provenance JSON")
            if problem:
                problems.append(problem)
    if not dst and not flag and prov is None and not problems:
        return None
    return XmpMark(digital_source_type=dst, misyn_flag=flag, provenance=prov, problems=tuple(problems))
