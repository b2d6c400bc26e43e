"""Audit a dataset folder for synthetic images: labelled, unlabelled-but-registered, or no evidence.

Per file status:

* ``labelled_synthetic`` — the file carries a synthetic mark (misyn-lab's or a standard one).
* ``unlabelled_registry_match`` — no mark, but the registry knows the image (same bytes, same pixels, or a
  perceptual match after re-encoding/resizing/metadata stripping). The dangerous case.
* ``no_evidence`` — no mark and no registry match (this does not prove the image is real).
* ``unreadable`` — listed with the reason (permission, symlink loop, truncated, no decoder ...), never a crash.

Speed: the file is read once; the mark is read from the header; the pixels are decoded only when a
registry is given (JPEG decoded at reduced size) and, in one process, the file bytes are not an exact registry
hit (Dask workers hold no index, so they decode every unmarked file). Without a registry only headers are read,
so a corrupt image body may still show as ``no_evidence``.
NIfTI volumes are checked for marks only (header ``descrip``/``intent_name`` and a ``.json`` sidecar) and
by exact file hash; they are not perceptually matched.
"""

from __future__ import annotations

import csv
import errno
import hashlib
import io
import json
import math
import os
import stat
import time
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path
from statistics import NormalDist
from typing import Any

from threadpoolctl import threadpool_limits

from misyn_lab import render
from misyn_lab.atomic import atomic_write_text
from misyn_lab.engine import PROCESSES, Engine, check_scheduler, chunked, require_dask, using
from misyn_lab.errors import InputError, MisynError, printable
from misyn_lab.render.numbers import fmt_percent
from misyn_lab.imagesets.readers import has_dicm_marker, suffix, text_path
from misyn_lab.metrics.result import build, check_ci_level
from misyn_lab.provenance import hashing
from misyn_lab.provenance.document import audit_section
from misyn_lab.provenance.fileformat import SUFFIXES, read_head, sniff
from misyn_lab.provenance.read import UnreadableMark, is_synthetic
from misyn_lab.provenance.registry import ImageHashes, Registry, RegistryIndex, hashes_of, open_registry

STATUSES = ("labelled_synthetic", "unlabelled_registry_match", "no_evidence", "unreadable")
#: Metric keys of :meth:`AuditReport.evidence` (the checklist items TS-3, TS-5, TS-7, TS-8 ... name them).
EVIDENCE_KEYS = ("provenance.labelled", "audit.unlabelled_synthetic")
#: At most this many unlabelled files are listed (relative paths) in the evidence details.
EVIDENCE_MAX_FILES = 20
CSV_FIELDS = ("path", "status", "format", "reason", "mark_fields", "generator", "match_kind", "phash_distance",
              "dhash_distance", "thumb_rmse", "sha256")


@dataclass
class AuditRecord:
    """The audit result of one file.

    Parameters
    ----------
    path : str
        The file.
    status : str
        One of ``labelled_synthetic``, ``unlabelled_registry_match``, ``no_evidence``, ``unreadable``.
    format : str, optional
        The file format.
    reason : str, optional
        Why the file got its status (one line).
    mark_fields : list of str, optional
        Where a synthetic mark was found.
    generator : str, optional
        The generator named by the mark or the registry row.
    match_kind : str, optional
        How a registry row matched (``sha256``, ``pixels``, ``perceptual``).
    phash_distance, dhash_distance : int, optional
        Perceptual-hash distances of a perceptual match.
    thumb_rmse : float, optional
        Thumbnail difference of a perceptual match.
    sha256 : str, optional
        SHA-256 of the file.

    Examples
    --------
    >>> AuditRecord("a.png", "no_evidence", format="png").to_dict()["status"]
    'no_evidence'
    """

    path: str
    status: str
    format: str = ""
    reason: str = ""
    mark_fields: list[str] = field(default_factory=list)
    generator: str = ""
    match_kind: str = ""
    phash_distance: int | None = None
    dhash_distance: int | None = None
    thumb_rmse: float | None = None
    sha256: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class AuditReport:
    """All records of one audit (from :func:`audit_folder`), plus what was not audited and why.

    Shown in a notebook as HTML; ``summary()`` says it in words, ``counts()`` per status, ``evidence()`` gives
    the proportions with confidence intervals for a review.

    Parameters
    ----------
    root : str
        The audited folder.
    records : list of AuditRecord
        One per image file.
    ignored : list of str, optional
        Files that are not images.
    registry : str, optional
        The registry used (empty: marks only).
    seconds : float, optional
        How long the audit took.
    skipped_paths : list of dict, optional
        Paths not followed (symlinks leading out of the folder, folder loops) with the reason.
    warnings : list of str, optional
        Registry rows that could not be used.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import numpy as np
    >>> from misyn_lab.provenance import Provenance, label_file, write_png
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> prov = Provenance("pca_gaussian", seed=0, created="2025-01-01T00:00:00+00:00")
    >>> _ = write_png(np.zeros((8, 8)), folder / "synthetic.png", prov)
    >>> from misyn_lab.provenance import audit_folder
    >>> report = audit_folder(folder, progress=False)
    >>> report.counts()["labelled_synthetic"], report.n_images
    (1, 1)
    """

    root: str
    records: list[AuditRecord]
    ignored: list[str] = field(default_factory=list)
    registry: str = ""
    seconds: float = 0.0
    #: Paths not audited and why: symlinks resolving outside the audited folder, folders already scanned.
    skipped_paths: list[dict[str, str]] = field(default_factory=list)
    #: Registry rows skipped as unusable (bad hash, wrong thumbnail size, unreadable provenance).
    warnings: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        c = Counter(r.status for r in self.records)
        return {s: int(c.get(s, 0)) for s in STATUSES}

    @property
    def n_images(self) -> int:
        """Readable image files (the denominator of the synthetic fraction)."""
        return sum(1 for r in self.records if r.status != "unreadable")

    @property
    def n_not_checked(self) -> int:
        """Image files that could not be read, so could not be checked (they keep an audit from being clean)."""
        return self.counts()["unreadable"]

    @property
    def synthetic_fraction(self) -> float:
        """(labelled + unlabelled registry matches) / readable images; 0.0 for no readable image."""
        c = self.counts()
        n = self.n_images
        return (c["labelled_synthetic"] + c["unlabelled_registry_match"]) / n if n else 0.0

    @property
    def has_unlabelled_synthetic(self) -> bool:
        return self.counts()["unlabelled_registry_match"] > 0

    @property
    def verdict(self) -> str:
        """``unlabelled_synthetic`` (registry matches without a mark), ``not_checked`` (some image files could
        not be read) or ``clean``; the worst that applies."""
        if self.has_unlabelled_synthetic:
            return "unlabelled_synthetic"
        return "not_checked" if self.n_not_checked else "clean"

    def by_status(self, status: str) -> list[AuditRecord]:
        return [r for r in self.records if r.status == status]

    def summary(self) -> str:
        """One line: counts, synthetic fraction, speed and the verdict (file names escaped for a terminal)."""
        c = self.counts()
        rate = len(self.records) / self.seconds if self.seconds > 0 else float("nan")
        verdict = {"unlabelled_synthetic": "UNLABELLED SYNTHETIC IMAGES FOUND",
                   "not_checked": f"NOT CLEAN: {_plural(c['unreadable'], 'file')} could not be read and "
                                  f"{'was' if c['unreadable'] == 1 else 'were'} not checked",
                   "clean": "clean"}[self.verdict]
        extra = ""
        if self.skipped_paths:
            extra += f", {len(self.skipped_paths)} path(s) skipped (symlinks leaving the folder, loops)"
        if self.warnings:
            extra += f", {_plural(len(self.warnings), 'registry row')} skipped as unusable"
        return (f"audit {terminal_text(self.root)}: {len(self.records)} files, {c['labelled_synthetic']} labelled "
                f"synthetic, {c['unlabelled_registry_match']} unlabelled registry matches, {c['no_evidence']} no "
                f"evidence, {c['unreadable']} unreadable, {len(self.ignored)} non-image files ignored{extra}; "
                f"synthetic fraction {self.synthetic_fraction:.1%}; {rate:.0f} files/s"
                f"{'' if self.registry else ' (no registry: marks only)'} -> {verdict}")

    def evidence(self, ci_level: float = 0.95) -> dict[str, Any]:
        """Checklist evidence of this audit: ``{key: MetricResult}`` for the keys in :data:`EVIDENCE_KEYS`.

        * ``provenance.labelled`` — share of the synthetic files found (labelled + unlabelled registry matches)
          that carry a synthetic mark, with a Wilson ``ci_level`` interval; higher is better; NaN when no
          synthetic file was found. Without a registry unlabelled files cannot be found: an upper bound.
        * ``audit.unlabelled_synthetic`` — number of unlabelled registry matches (share of readable images in
          ``details``); lower is better; NaN when the audit used no registry (not measured).

        Store them in a review with ``review.add_evidence(result)``.
        """
        return {r.key: r for r in (build(**kw) for kw in audit_evidence(self, ci_level))}

    def to_dict(self) -> dict[str, Any]:
        """Plain data; file names that are not valid UTF-8 are written with ``\\xNN`` escapes."""
        records = []
        for r in self.records:
            row = r.to_dict()
            row["path"] = output_path(r.path)
            records.append(row)
        return {"root": output_path(self.root), "registry": output_path(self.registry),
                "seconds": round(self.seconds, 3), "verdict": self.verdict,
                "counts": self.counts(), "n_images": self.n_images, "not_checked": self.n_not_checked,
                "synthetic_fraction": self.synthetic_fraction, "ignored": [output_path(p) for p in self.ignored],
                "skipped": [{"path": output_path(s["path"]), "reason": s["reason"]} for s in self.skipped_paths],
                "registry_warnings": list(self.warnings), "records": records}

    def to_json(self, path: str | os.PathLike[str] | None = None) -> str:
        text = json.dumps(self.to_dict(), indent=2, ensure_ascii=False)
        if path is not None:
            atomic_write_text(path, text)
        return text

    def to_csv(self, path: str | os.PathLike[str] | None = None) -> str:
        """Per-file CSV. Cells that a spreadsheet would run as a formula (starting with ``= + - @``, tab or CR)
        are prefixed with ``'``; non-UTF-8 file names are written with ``\\xNN`` escapes."""
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(CSV_FIELDS), lineterminator="\n")
        writer.writeheader()
        for r in self.records:
            row = r.to_dict()
            row["path"] = output_path(r.path)
            row["mark_fields"] = ";".join(r.mark_fields)
            writer.writerow({k: csv_cell("" if row[k] is None else row[k]) for k in CSV_FIELDS})
        text = buf.getvalue()
        if path is not None:
            atomic_write_text(path, text)
        return text

    def to_section(self, title: str = "Audit for unlabelled synthetic images", *, id: str = "") -> render.Section:
        """This audit as a document section (:func:`misyn_lab.provenance.document.audit_section`)."""
        return audit_section(self, title=title, id=id)

    def _repr_html_(self) -> str:
        return render.to_html(self.to_section())

    def to_frame(self):
        """One row per file (the CSV's columns) as a pandas DataFrame."""
        import pandas as pd  # only here: an audit worker never pays for importing pandas

        return pd.DataFrame([r.to_dict() for r in self.records], columns=list(asdict(AuditRecord("", "")).keys()))


# ------------------------------------------------------------------------------------------------ output text
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
def output_path(path: str) -> str:
    """A path as valid UTF-8 text: bytes that are not UTF-8 (kept by Python as surrogate escapes) become ``\\xNN``."""
    return text_path(path)


def terminal_text(text: Any) -> str:
    """Text safe to print on a terminal (:func:`misyn_lab.errors.printable`): non-UTF-8 bytes, control characters
    (ESC, newline, CR ...), line separators and bidi controls are written as escapes, so a file name cannot
    forge or hide output lines."""
    return printable(text)


def csv_cell(value: Any) -> Any:
    """A CSV cell that a spreadsheet shows as text: strings starting with ``= + - @``, tab or CR get a ``'``."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


# ------------------------------------------------------------------------------------------------ evidence
def wilson_interval(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of the proportion ``k / n`` (``n > 0``) at confidence ``level`` (pure)."""
    z = NormalDist().inv_cdf(0.5 + level / 2)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (0.0 if k == 0 else max(0.0, centre - half)), (1.0 if k == n else min(1.0, centre + half))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def audit_evidence(report: AuditReport, ci_level: float = 0.95) -> list[dict[str, Any]]:
    """Keyword arguments of :func:`misyn_lab.metrics.result.build` for the two evidence results of ``report`` (pure;
    see ``AuditReport.evidence``)."""
    check_ci_level(ci_level)
    c = report.counts()
    labelled, unlabelled, images = c["labelled_synthetic"], c["unlabelled_registry_match"], report.n_images
    found = labelled + unlabelled
    registry = bool(report.registry)
    unread = (f"; {_plural(c['unreadable'], 'file')} could not be read and {'was' if c['unreadable'] == 1 else 'were'}"
              " not checked" if c["unreadable"] else "")
    common = {"root": report.root, "registry": report.registry or None, "counts": c}

    if found == 0:
        share, ci = float("nan"), None
        text = (f"No synthetic file was found among the {_plural(images, 'readable image')} (no mark"
                f"{', no registry match' if registry else ' and no registry to match against'}), so the share of "
                f"labelled synthetic files cannot be computed{unread}.")
    else:
        share, ci = labelled / found, wilson_interval(labelled, found, ci_level)
        if registry:
            text = (f"{labelled} of the {_plural(found, 'synthetic file')} found ({fmt_percent(share)}) "
                    f"{'carries' if labelled == 1 else 'carry'} a synthetic mark"
                    + (f"; the other {unlabelled} {'matches' if unlabelled == 1 else 'match'} the registry but "
                       f"{'carries' if unlabelled == 1 else 'carry'} no mark" if unlabelled else "") + f"{unread}.")
        else:
            text = (f"{labelled} synthetic {'file carries' if labelled == 1 else 'files carry'} a mark, but no "
                    f"registry was used, so synthetic files without a mark could not be found and this share is "
                    f"an upper bound{unread}.")
    labelled_kw = {"key": EVIDENCE_KEYS[0], "value": share,
                   "n": {"synthetic_found": found, "labelled": labelled, "unlabelled": unlabelled, "images": images},
                   "ci": ci, "ci_level": ci_level if ci else None,
                   "interpretation": text, "details": {**common, "upper_bound": not registry}}

    files = [os.path.relpath(r.path, report.root) for r in report.by_status("unlabelled_registry_match")]
    details = {**common, "share_of_images": unlabelled / images if images and registry else None,
               "share_of_synthetic": unlabelled / found if found and registry else None,
               "files": files[:EVIDENCE_MAX_FILES], "files_total": len(files)}
    if not registry:
        count = float("nan")
        text = ("Not measured: the audit used no registry of generated images, so synthetic files whose mark "
                "was stripped (re-encoding, de-identification) cannot be recognised.")
    elif unlabelled == 0:
        count = 0.0
        text = (f"No unlabelled synthetic file was found: none of the {_plural(images, 'readable image')} matches "
                f"the registry without carrying a synthetic mark{unread}.")
    else:
        count = float(unlabelled)
        text = (f"{unlabelled} of the {_plural(images, 'readable image')} ({fmt_percent(unlabelled / images)}) are "
                "generated images from the registry that no longer carry a synthetic mark and could pass as "
                f"real{unread}.")
    unlabelled_kw = {"key": EVIDENCE_KEYS[1], "value": count,
                     "n": {"images": images, "synthetic_found": found, "unlabelled": unlabelled},
                     "interpretation": text, "details": details}
    return [labelled_kw, unlabelled_kw]


# ------------------------------------------------------------------------------------------------ scanning
def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _os_reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symlink loop"
    if exc.errno == errno.ENOENT:
        return "broken symlink or file vanished"
    if isinstance(exc, PermissionError):
        return "permission denied"
    return exc.strerror or str(exc)


def _inside(path: str, real_root: str) -> bool:
    real = os.path.realpath(path)
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


def scan(root: Path, *, at: tuple[int, Callable[[], object]] | None = None,
         ) -> tuple[list[Path], list[AuditRecord], list[str], list[dict[str, str]]]:
    """``(candidate image files, unreadable records, ignored non-image files, skipped paths)`` under ``root``.

    Symlinked folders are followed only while they stay inside ``root`` (resolved): a folder or file symlink
    that resolves outside is listed in ``skipped`` as outside the audited folder, never audited; a folder
    reached twice (a loop) is listed in ``skipped`` too. Paths that cannot be entered or stat'ed are
    unreadable records. ``at=(n, call)`` calls ``call()`` once, as soon as ``n`` candidate files are found
    (an audit starts its workers then, while the scan goes on).
    """
    candidates: list[Path] = []
    bad: list[AuditRecord] = []
    ignored: list[str] = []
    skipped: list[dict[str, str]] = []
    seen: set[tuple[int, int]] = set()
    real_root = os.path.realpath(root)

    def onerror(exc: OSError) -> None:
        bad.append(AuditRecord(str(exc.filename or root), "unreadable", reason=f"cannot list folder: {_os_reason(exc)}"))

    def outside(path: str) -> bool:
        if os.path.islink(path) and os.path.exists(path) and not _inside(path, real_root):
            skipped.append({"path": path, "reason": "outside the audited folder (symlink to "
                                                    f"{os.path.realpath(path)}); not audited"})
            return True
        return False

    for dirpath, dirnames, filenames in os.walk(os.fspath(root), followlinks=True, onerror=onerror):
        try:
            st = os.stat(dirpath)
        except OSError as exc:
            bad.append(AuditRecord(dirpath, "unreadable", reason=_os_reason(exc)))
            dirnames[:] = []
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen:
            skipped.append({"path": dirpath, "reason": "symlink loop (folder already scanned)"})
            dirnames[:] = []
            continue
        seen.add(key)
        dirnames[:] = sorted(d for d in dirnames if not outside(os.path.join(dirpath, d)))
        for name in sorted(filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))
                                        and not os.path.exists(os.path.join(dirpath, d))]):
            path = Path(dirpath) / name
            if outside(str(path)):
                continue
            try:
                st_file = os.stat(path)
            except OSError as exc:
                bad.append(AuditRecord(str(path), "unreadable", reason=_os_reason(exc)))
                continue
            if not stat.S_ISREG(st_file.st_mode):
                continue
            if suffix(path) in SUFFIXES:
                candidates.append(path)
                if at is not None and len(candidates) == at[0]:
                    at[1]()
            elif suffix(path) == "":
                try:
                    with open(path, "rb") as fh:
                        head = fh.read(132)
                except OSError as exc:
                    bad.append(AuditRecord(str(path), "unreadable", reason=_os_reason(exc)))
                    continue
                if not has_dicm_marker(head):
                    ignored.append(str(path))
                    continue
                candidates.append(path)
                if at is not None and len(candidates) == at[0]:
                    at[1]()
            elif not name.endswith(".json") or not (path.with_suffix(".nii").exists()
                                                    or path.with_suffix(".nii.gz").exists()):
                ignored.append(str(path))
    return candidates, bad, ignored, skipped


#: Files larger than this are hashed in a stream and checked for marks and exact copies only (not decoded).
MAX_DECODE_FILE_BYTES = 1 << 30


def audit_file(path: Path, index: RegistryIndex | None) -> AuditRecord:
    """Audit one file (pure with respect to the registry snapshot): :func:`examine` it, then :func:`settle` it
    against ``index`` (``None``: marks only).

    Never raises: a file that cannot be read, whose mark cannot be read (:class:`UnreadableMark`) and that
    no registry row matches, or whose audit fails in any other way, is an ``unreadable`` record with the
    reason — it counts as not checked.
    """
    return settle(examine(path, index if index is not None else False), index)


@dataclass
class Examined:
    """What :func:`examine` found out about an unmarked file without the registry index: its hashes (or why
    there are none). :func:`settle` turns it into the file's record with the index, in the process that holds
    it (Dask workers send these back; pickled, the perceptual hashes not yet computed travel as the 64×64
    normalised image and are computed only if a registered thumbnail is that close).

    Parameters
    ----------
    path, format, sha256 : str
        The file, its format and the SHA-256 of its bytes.
    mark_problem : str, optional
        A mark container that could not be read (no valid mark found).
    hashes : ImageHashes, optional
        Pixel and perceptual hashes; ``None`` when the file was not decoded.
    problem : str, optional
        Why it was not decoded (too large, undecodable), for a record when no registry row has its bytes.
    """

    path: str
    format: str
    sha256: str
    mark_problem: str = ""
    hashes: ImageHashes | None = None
    problem: str = ""


def _sha256_stream(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def examine(path: Path, registry: RegistryIndex | bool) -> AuditRecord | Examined:
    """The part of a file's audit that needs no registry index: read it once, hash its bytes, read its mark
    and, unless marked, decode it for the registry's hashes.

    Parameters
    ----------
    path : Path
        The file.
    registry : RegistryIndex or bool
        ``False``: marks only (no decoding); ``True``: compute the hashes for a lookup elsewhere (a Dask worker
        holds no index); an index: the same, but a file whose exact bytes it holds is not decoded.

    Returns
    -------
    AuditRecord or Examined
        The final record (unreadable, labelled, or without a registry no evidence), or what :func:`settle`
        needs. Never raises (an unexpected failure is an ``unreadable`` record).
    """
    try:
        return _examine(path, registry)
    except Exception as exc:  # noqa: BLE001 - last line of defence: one bad file never aborts an audit
        return _failed(path, exc)


def _failed(path: Any, exc: Exception) -> AuditRecord:
    return AuditRecord(str(path), "unreadable", reason=f"audit failed: {type(exc).__name__}: {_one_line(exc)[:200]}")


def _examine(path: Path, registry: RegistryIndex | bool) -> AuditRecord | Examined:
    try:
        size = os.stat(path).st_size
        if size > MAX_DECODE_FILE_BYTES:
            data, sha = None, _sha256_stream(path)
        else:
            data = path.read_bytes()
            sha = hashing.sha256_bytes(data)
    except OSError as exc:
        return AuditRecord(str(path), "unreadable", reason=_os_reason(exc))
    if not size:
        return AuditRecord(str(path), "unreadable", reason="empty file (0 bytes)")
    fmt = sniff(path, data[:352] if data is not None else read_head(path)) or ""
    mark_problem = ""
    try:
        mark = is_synthetic(path, data=data)
    except UnreadableMark as exc:
        mark, mark_problem = None, _one_line(exc.message)
    except MisynError as exc:
        return AuditRecord(str(path), "unreadable", fmt, reason=_one_line(exc.message), sha256=sha)
    if mark is not None:
        gen = str((mark.provenance or {}).get("generator", ""))
        return AuditRecord(str(path), "labelled_synthetic", fmt, reason="; ".join(mark.problems),
                           mark_fields=list(mark.fields), generator=gen,
                           sha256=sha)
    if registry is False:
        if mark_problem:
            return AuditRecord(str(path), "unreadable", fmt, reason=mark_problem, sha256=sha)
        return AuditRecord(str(path), "no_evidence", fmt, sha256=sha)
    found = Examined(str(path), fmt, sha, mark_problem)
    if data is None:
        found.problem = (f"file of {size:,} bytes is larger than the {MAX_DECODE_FILE_BYTES:,} decoded: checked for "
                         "marks and exact copies only")
    elif registry is True or registry.lookup_sha256(sha) is None:  # an exact copy needs no decoding
        try:
            # JPEG decoded at reduced size (no pixel hash then); the bytes' SHA-256 is the one computed above
            found.hashes = hashes_of(path, data=data, fast=True, sha256=sha)
        except MisynError as exc:
            found.problem = _one_line(exc.message)
        except Exception as exc:  # noqa: BLE001 - still matched by its bytes; else unreadable with this reason
            found.problem = _failed(path, exc).reason
    return found


#: ``settle(..., matched=)`` default: the file's hashes are looked up by ``settle`` itself.
_LOOK_UP: Any = object()


def settle(item: AuditRecord | Examined, index: RegistryIndex | None, matched: Any = _LOOK_UP) -> AuditRecord:
    """The record of a file from :func:`examine`: a record as it is, an :class:`Examined` file looked up in
    ``index`` (exact bytes, then its hashes; ``matched``: the lookup of its hashes, when already made by
    :func:`settle_chunk`). Never raises."""
    if not isinstance(item, Examined):
        return item
    try:
        return _settle(item, index, matched)
    except Exception as exc:  # noqa: BLE001 - last line of defence: one bad file never aborts an audit
        return _failed(item.path, exc)


def settle_chunk(items: list[AuditRecord | Examined], index: RegistryIndex | None) -> list[AuditRecord]:
    """:func:`settle` for a chunk of files, their hashes looked up in one query of the index
    (:meth:`RegistryIndex.match_many`); should that query fail, each file is looked up alone, so a failure is
    reported for its own file. Never raises."""
    matched: dict[int, Any] = {}
    if index is not None:
        todo = [k for k, item in enumerate(items) if isinstance(item, Examined) and item.hashes is not None]
        try:
            matched = dict(zip(todo, index.match_many([items[k].hashes for k in todo])))
        except Exception:  # noqa: BLE001 - one by one below: the failing file gets its own record
            matched = {}
    return [settle(item, index, matched.get(k, _LOOK_UP)) for k, item in enumerate(items)]


def _settle(ex: Examined, index: RegistryIndex | None, matched: Any = _LOOK_UP) -> AuditRecord:
    if index is None:
        raise ValueError("an examined file needs the registry index to settle")
    mark_problem = ex.mark_problem
    hit = index.lookup_sha256(ex.sha256)
    if hit is None:
        if ex.hashes is None:
            return AuditRecord(ex.path, "unreadable", ex.format, sha256=ex.sha256,
                               reason=ex.problem + (f"; {mark_problem}" if mark_problem else ""))
        hit = index.match_hashes(ex.hashes) if matched is _LOOK_UP else matched
    if hit is None:
        if mark_problem:
            return AuditRecord(ex.path, "unreadable", ex.format, reason=mark_problem, sha256=ex.sha256)
        reason = "NIfTI: marks, file and voxel hashes only (no perceptual matching)" if ex.format == "nifti" else ""
        return AuditRecord(ex.path, "no_evidence", ex.format, reason=reason, sha256=ex.sha256)
    return AuditRecord(ex.path, "unlabelled_registry_match", ex.format,
                       reason=f"matches registry image #{hit.registry_id} ({hit.source_name or 'array'}) by {hit.kind}"
                              + "".join(f"; {p}" for p in (hit.problem, mark_problem) if p),
                       generator=str(hit.provenance.get("generator", "")), match_kind=hit.kind,
                       phash_distance=hit.phash_distance, dhash_distance=hit.dhash_distance,
                       thumb_rmse=round(hit.thumb_rmse, 3), sha256=ex.sha256)


#: Below this many files ``workers > 1`` without a scheduler audits in this process: starting the worker processes
#: takes about what they save. Measured on 2 cores against a 10^5-row registry, alternated pairs (one process /
#: ``--workers 2``): 1,000 files 2.1 / 2.8 s and 2.3 / 2.7 s; 2,500 files 3.3 / 3.5, 4.7 / 3.5, 4.1 / 3.5, 4.4 / 3.3
#: and 3.4 / 3.5 s (median 1.17× faster); 5,000 files 5.4 / 4.0 s and 6.8 / 5.1 s.
LOCAL_MIN_FILES = 2500
#: The same limit for an audit without a registry (marks only, ~0.1 ms per file: a cluster pays only for archives).
LOCAL_MIN_FILES_MARKS_ONLY = 50000
#: Files per task when the audit runs on Dask (per-file tasks cost more in scheduling than they save).
CHUNK = 200


def examine_chunk(paths: list[Path], registry: bool) -> list[AuditRecord | Examined]:
    """:func:`examine` a chunk of files (one Dask task; module-level so workers can import it): ``registry``
    says whether to compute the hashes a registry lookup needs. Workers never open the registry."""
    return [examine(p, registry) for p in paths]


def check_workers(workers: Any) -> int:
    """``workers`` as an int in 1..``os.cpu_count()``; anything else is an :class:`InputError`."""
    cpus = os.cpu_count() or 1
    if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= cpus:
        raise InputError(f"workers must be an integer from 1 to {cpus} (the CPUs of this machine), got {workers!r}",
                         path="workers", remedy=f"pass --workers 1..{cpus}")
    return workers


def audit_folder(path: str | os.PathLike[str], *, registry: Registry | str | os.PathLike[str] | None = None,
                 progress: bool = True, workers: int = 1, scheduler: str | Engine | None = None,
                 chunk_size: int | None = None) -> AuditReport:
    """Audit every PNG/JPEG/TIFF/DICOM/NIfTI file under ``path`` (recursively) for synthetic images, never leaving
    the folder.

    Each file is read for a synthetic mark and, with a registry, matched against the registered synthetic images
    (exact bytes, decoded pixels, or perceptually), which finds *unlabelled* synthetic images. Symlinks resolving
    outside ``path`` are listed in ``skipped_paths``, not audited; unusable registry rows are listed in ``warnings``.

    Past one process the audit runs on Dask (:mod:`misyn_lab.engine`, ``pip install "misyn-lab[scale]"``): with a
    ``scheduler``, and with ``workers > 1`` alone, which starts ``workers - 1`` worker processes under Dask's
    multiprocessing scheduler, this process being one more worker (it builds the registry index while the others
    start and take the first chunks, then takes chunks too: no CPU waits), for folders of at least
    :data:`LOCAL_MIN_FILES` image files (:data:`LOCAL_MIN_FILES_MARKS_ONLY` without a registry; smaller ones are
    audited in this process, faster than starting workers; the workers start as soon as the folder scan has found
    that many files). Files go out in chunks of ``chunk_size`` (default :data:`CHUNK`); workers read and hash them
    (:func:`examine`) and never open the registry: this process builds the one index while they take the first
    chunks, and looks up what they send back (:func:`settle`). In a script, call it under
    ``if __name__ == "__main__":`` (local workers are new processes that import the script); workers of a remote
    cluster must see the files under the same paths. The records are the same (sorted by path) whichever way the audit runs.

    Parameters
    ----------
    path : str or path-like
        The folder to audit.
    registry : Registry, str or path-like, optional
        A registry or a registry file (opened read-only); ``None``: marks only.
    progress : bool, optional
        Show a progress bar.
    workers : int, optional
        Processes that audit (capped to the machine's CPUs): ``> 1`` without a scheduler starts ``workers - 1``
        worker processes under Dask's multiprocessing scheduler, this process being the last (for folders of at
        least :data:`LOCAL_MIN_FILES` files, :data:`LOCAL_MIN_FILES_MARKS_ONLY` without a registry); with
        ``scheduler="processes"`` or ``"local"`` the number of worker processes (default: one per CPU).
    scheduler : str or Engine, optional
        ``"processes"``, ``"local"``, a Dask scheduler address, or an :class:`~misyn_lab.engine.Engine`.
    chunk_size : int, optional
        Files per task.

    Returns
    -------
    AuditReport
        One record per image file, and what was skipped.

    Raises
    ------
    InputError
        ``path`` is not a folder or holds no image file at all (an audit of nothing is almost always a wrong path);
        an unreadable registry; Dask asked for and not installed; local worker processes that cannot start.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import numpy as np
    >>> from misyn_lab.provenance import Provenance, label_file, write_png
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> prov = Provenance("pca_gaussian", seed=0, created="2025-01-01T00:00:00+00:00")
    >>> _ = write_png(np.zeros((8, 8)), folder / "marked.png", prov)
    >>> from PIL import Image
    >>> Image.fromarray(np.full((8, 8), 9, np.uint8)).save(folder / "plain.png")
    >>> report = audit_folder(folder, progress=False)
    >>> sorted((pathlib.Path(r.path).name, r.status) for r in report.records)
    [('marked.png', 'labelled_synthetic'), ('plain.png', 'no_evidence')]
    """
    root = Path(path)
    if not root.is_dir():
        raise InputError("not a folder", path=root, remedy="give the dataset folder to audit")
    if isinstance(workers, int) and not isinstance(workers, bool) and workers > 0:
        workers = min(workers, os.cpu_count() or 1)  # more processes than CPUs only add overhead
    check_workers(workers)
    if not isinstance(scheduler, Engine):
        scheduler = check_scheduler(scheduler)
    chunks_of = CHUNK if chunk_size is None else chunk_size
    chunked([], chunks_of)  # validates the chunk size before any work
    start = time.perf_counter()
    with ExitStack() as stack:
        # one BLAS thread: the audit works file by file, and an idle BLAS thread spinning after each small matrix
        # product took a core from the other process of a parallel audit (as Dask's workers do by default)
        stack.enter_context(threadpool_limits(1, user_api="blas"))
        # read-only; a missing path is an InputError, never a new file
        reg = stack.enter_context(open_registry(registry)) if registry is not None else None
        reg_path = str(reg.path) if reg is not None else ""
        engine = _start_dask(stack, scheduler, workers) if scheduler is not None else None
        at = None
        if engine is None and workers > 1:  # worker processes, started once the scan has found enough files
            def start_local() -> None:
                nonlocal engine
                require_dask(PROCESSES, "workers", instead="use --workers 1 (this process only)")
                engine = _start_dask(stack, PROCESSES, workers, True)  # this process is one of the workers
            at = (LOCAL_MIN_FILES if reg is not None else LOCAL_MIN_FILES_MARKS_ONLY, start_local)
        candidates, bad, ignored, skipped = scan(root, at=at)  # overlaps with the start of the workers
        if not candidates and not bad:
            raise InputError(f"no image files found ({len(ignored)} non-image files"
                             + (f", {len(skipped)} path(s) outside the folder or in loops skipped" if skipped else "")
                             + ")", path=root, remedy="audit a folder with PNG/JPEG/TIFF/DICOM/NIfTI files")
        records, index = _run(engine or Engine(), candidates, reg, chunks_of, progress)
        warnings = list(index.warnings) if index is not None else []
    records = sorted(records + bad, key=lambda r: r.path)
    return AuditReport(str(root), records, ignored, reg_path, time.perf_counter() - start, skipped_paths=skipped,
                       warnings=warnings)


def _start_dask(stack: ExitStack, scheduler: "str | Engine", workers: int, here: bool = False) -> Engine:
    """An engine for ``scheduler`` (closed with ``stack`` when made here), started in the background: its
    workers import this module while this process goes on. ``here``: this process is one of the ``workers``, the
    others Dask worker processes (:meth:`Engine.here_and_processes`, ``scheduler`` being ``"processes"``)."""
    engine = stack.enter_context(Engine.here_and_processes(workers) if here
                                 else using(scheduler, n_workers=workers if workers > 1 else None))
    engine.start(preload=(__name__,))
    return engine


def _run(engine: Engine, candidates: list[Path], reg: Registry | None, chunk_size: int,
         progress: bool) -> tuple[list[AuditRecord], RegistryIndex | None]:
    """Audit the candidate files in chunks on ``engine``: each chunk is examined where the engine runs it, and
    settled against the registry's index in this process as it comes back. Returns the records and the index.

    The one index is built here. In this process alone it is built first, so that a file whose exact bytes it
    holds is not decoded. On Dask the workers get no index (they hash every unmarked file) and this process builds
    it while they take the first chunks (:meth:`Engine.map`'s ``prepare``): the workers examine from the moment
    they have started instead of waiting for the index, and this process takes chunks itself once it is built
    (building it in a thread beside examining here was measured slower: both need the GIL)."""
    from tqdm.auto import tqdm

    bar = tqdm(total=len(candidates), desc="audit", unit="file", disable=not progress, leave=False)
    built: dict[str, RegistryIndex | None] = {"index": None}

    def build_index() -> None:
        if reg is not None:
            built["index"] = reg.index()

    def then(_i: int, batch: list[AuditRecord | Examined]) -> list[AuditRecord]:
        return settle_chunk(batch, built["index"])

    if not engine.other_processes:
        build_index()
    hashes: RegistryIndex | bool = reg is not None and (True if engine.other_processes else built["index"])
    batches = engine.map(examine_chunk, chunked(candidates, chunk_size), shared={"registry": hashes}, then=then,
                         progress=lambda _i, done: bar.update(len(done)),
                         prepare=build_index if engine.other_processes else None)
    bar.close()
    return [record for batch in batches for record in batch], built["index"]
