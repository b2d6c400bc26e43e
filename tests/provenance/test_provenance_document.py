"""The audit report as a document: the verdict in words, counts per status in words, the files that need action
(at most ``max_files``, the rest counted in words, never "..."), what was not checked; golden HTML and Markdown."""

from __future__ import annotations

from misyn_lab import render
from misyn_lab.provenance.audit import AuditRecord, AuditReport
from misyn_lab.provenance.document import audit_section


def _report(n_unlabelled: int = 2) -> AuditReport:
    records = [AuditRecord("/data/release/a.png", "labelled_synthetic", "PNG", mark_fields=["misyn:synthetic"]),
               AuditRecord("/data/release/b.png", "no_evidence", "PNG"),
               AuditRecord("/data/release/c <x>.png", "unreadable", "PNG", reason="not a PNG file (bad signature)")]
    records += [AuditRecord(f"/data/release/u{i}.png", "unlabelled_registry_match", "PNG", match_kind="pixel_hash")
                for i in range(n_unlabelled)]
    return AuditReport("/data/release", records, ignored=["/data/release/notes.txt"], registry="/reg.sqlite",
                       skipped_paths=[{"path": "/data/release/link", "reason": "symlink leading out of the folder"}],
                       warnings=["row 7: bad hash"])


def test_audit_matches_golden(golden):
    section = _report().to_section(id="audit")
    golden("audit.html", render.to_html(section))
    golden("audit.md", render.to_markdown(section))


def test_verdict_and_counts_in_words():
    report = _report()
    section = audit_section(report)
    assert render.plain(section.blocks[0].text).startswith(
        "unlabelled synthetic images found — 5 files audited in /data/release")
    assert section.blocks[0].text[0].target == "fail"  # a badge: a symbol and the words beside its colour
    assert section.blocks[1].rows == [["synthetic, carries a synthetic mark", 1],
                                      ["synthetic WITHOUT a mark (found only in the registry)", 2],
                                      ["no mark and no registry match (not proof it is real)", 1],
                                      ["could not be read, so not checked", 1]]
    assert report._repr_html_() == render.to_html(report.to_section())
    assert "c &lt;x&gt;.png" in report._repr_html_()


def test_files_needing_action_are_listed_up_to_a_limit_and_counted_beyond():
    section = audit_section(_report(n_unlabelled=60), max_files=50)
    action = section.blocks[2]
    assert len(action.rows) == 50 and action.caption.endswith("; 11 more are listed in the audit's CSV")
    assert "..." not in render.to_markdown(section) and "…" not in render.to_markdown(section)


def test_clean_audit_says_so():
    report = AuditReport("/d", [AuditRecord("/d/a.png", "labelled_synthetic", "PNG")])
    text = render.to_markdown(audit_section(report))
    assert "✔ clean: no unlabelled synthetic image found" in text  # the badge keeps its symbol in Markdown
    assert "no registry: marks only" in text
    assert "Files that need action" not in text
