"""The audit report as a document (render blocks): the verdict in one sentence, the counts per status in words,
the files that need action, and what was not checked.

It reads an :class:`~misyn_lab.provenance.audit.AuditReport` by its attributes (no import of the audit module,
which shows itself in a notebook through this document), and writes nothing itself: :mod:`misyn_lab.render`
does (HTML in a notebook or the report, Markdown).
"""

from __future__ import annotations

from typing import Any

from misyn_lab import render as r

__all__ = ["AUDIT_STATUS_WORDS", "VERDICT_WORDS", "audit_section"]

#: Each file status in words.
AUDIT_STATUS_WORDS = {"labelled_synthetic": "synthetic, carries a synthetic mark",
                      "unlabelled_registry_match": "synthetic WITHOUT a mark (found only in the registry)",
                      "no_evidence": "no mark and no registry match (not proof it is real)",
                      "unreadable": "could not be read, so not checked"}
#: Each audit verdict in words, with the badge status it shows.
VERDICT_WORDS = {"unlabelled_synthetic": ("fail", "unlabelled synthetic images found"),
                 "not_checked": ("warning", "not clean: some files could not be checked"),
                 "clean": ("clean", "clean: no unlabelled synthetic image found")}


def audit_section(report: Any, *, title: str = "Audit for unlabelled synthetic images", id: str = "",
                  max_files: int = 50) -> r.Section:
    """One audit as a section. At most ``max_files`` files needing action are listed (how many more there are is
    said in words); paths are shown as the audit wrote them."""
    counts = report.counts()
    status, words = VERDICT_WORDS.get(report.verdict, ("warning", str(report.verdict).replace("_", " ")))
    registry = (f"matched against the registry {report.registry}" if report.registry
                else "no registry: marks only, so files whose mark was stripped cannot be found")
    blocks: list[r.Block] = [
        r.Paragraph([r.badge(status, words), f" — {len(report.records)} files audited in {report.root} ({registry}); "
                     f"synthetic share of the readable images: {r.fmt_percent(report.synthetic_fraction)}."]),
        r.Table(["Status", "Files"], [[AUDIT_STATUS_WORDS.get(s, s), n] for s, n in counts.items()],
                caption=f"Files per status (n = {len(report.records):,} image files; "
                        f"{len(report.ignored):,} non-image files ignored)")]
    action = [rec for rec in report.records if rec.status in ("unlabelled_registry_match", "unreadable")]
    if action:
        rows = [[rec.path, AUDIT_STATUS_WORDS.get(rec.status, rec.status),
                 rec.reason or rec.match_kind.replace("_", " ") or ""] for rec in action[:max_files]]
        more = len(action) - len(rows)
        blocks.append(r.Table(["File", "Status", "Why"], rows,
                              caption="Files that need action (label them, or make them readable and audit again)"
                                      + (f"; {more:,} more are listed in the audit's CSV" if more > 0 else "")))
    if report.skipped_paths:
        blocks.append(r.Table(["Path", "Why it was skipped"], [[s["path"], s["reason"]] for s in report.skipped_paths],
                              caption="Paths not audited"))
    if report.warnings:
        blocks.append(r.BulletList([f"Registry row skipped: {w}" for w in report.warnings]))
    return r.Section(title, blocks, id=id)
