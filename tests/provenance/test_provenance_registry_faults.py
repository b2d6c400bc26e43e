"""Registry faults: damaged rows are skipped with a listed warning, read-only media open read-only, and full disk,
corrupt pages, a foreign schema and a lock each get a designed one-line message with a fix."""

from __future__ import annotations

import os
import shutil
import sqlite3

import numpy as np
import pytest
from PIL import Image

from misyn_lab.cli import main
from misyn_lab.errors import InputError
from misyn_lab.provenance import Registry, audit_folder, label_file
from misyn_lab.provenance import registry as registry_mod


@pytest.fixture
def filled(tmp_path, prov, axial_slices):
    """A registry knowing 4 real slices (as 'synthetic'), and a folder holding metadata-free copies of them."""
    reg_path = tmp_path / "reg.sqlite"
    ds = tmp_path / "ds"
    ds.mkdir()
    with Registry(reg_path) as reg:
        reg.register_many((p, prov) for p in axial_slices[:8:2])
    for p in axial_slices[:8:2]:
        Image.open(p).save(ds / p.name)  # same pixels, other bytes: a pixel match
    return reg_path, ds


def _damage(reg_path, row_id, **columns):
    con = sqlite3.connect(reg_path)
    for column, value in columns.items():
        con.execute(f"UPDATE images SET {column} = ? WHERE id = ?", (value, row_id))
    con.commit()
    con.close()


def test_damaged_rows_are_skipped_with_listed_warnings(filled, capsys):
    reg_path, ds = filled
    _damage(reg_path, 1, thumb=b"\x00" * 100)
    _damage(reg_path, 2, phash="zz" * 8)
    _damage(reg_path, 3, provenance='{"generator": ' + "[" * 5000 + "]" * 5000 + "}")
    report = audit_folder(ds, registry=reg_path, progress=False)
    assert report.warnings == ["registry row #1 skipped: thumbnail has 100 bytes, expected 1024",
                               "registry row #2 skipped: pHash/dHash are not 16 hex digits",
                               "registry row #3 skipped: provenance provenance JSON nests 5001 levels deep, more "
                               "than the limit of 64"]
    # the one usable row still finds its copy; the audit did not abort
    assert report.counts()["unlabelled_registry_match"] == 1 and report.verdict == "unlabelled_synthetic"
    assert main(["audit", str(ds), "--registry", str(reg_path)]) == 3
    out = capsys.readouterr().out
    assert "registry warning: registry row #1 skipped: thumbnail has 100 bytes, expected 1024" in out
    assert "3 registry rows skipped as unusable" in out.splitlines()[-1]


def test_non_hex_file_hash_and_non_json_provenance_rows(filled):
    reg_path, ds = filled
    _damage(reg_path, 1, sha256="not-a-hash")
    _damage(reg_path, 4, provenance="not json at all")
    report = audit_folder(ds, registry=reg_path, progress=False)
    assert report.warnings == [
        "registry row #1 skipped: file hash is not 64 hex digits",
        "registry row #4 skipped: provenance malformed provenance JSON at line 1, column 1: Expecting value"]
    assert report.counts()["unlabelled_registry_match"] == 2


@pytest.fixture
def world_readable_dir():
    """A folder an unprivileged user can enter (pytest's tmp folders are private to the test's user)."""
    import tempfile

    base = tempfile.mkdtemp(prefix="misyn-ro-")
    os.chmod(base, 0o755)
    yield base
    for dirpath, dirnames, _ in os.walk(base):
        for d in dirnames:
            os.chmod(os.path.join(dirpath, d), 0o755)
    shutil.rmtree(base)


def test_readonly_media_registry_is_read_read_only(filled, world_readable_dir):
    """A registry in a folder the auditing user cannot write (read-only media) opens with mode=ro/immutable."""
    from pathlib import Path

    reg_path, ds_src = filled
    base = Path(world_readable_dir)
    media, ds = base / "media", base / "ds"
    shutil.copytree(ds_src, ds)
    media.mkdir()
    shutil.copy(reg_path, media / "reg.sqlite")
    (media / "reg.sqlite").chmod(0o444)
    media.chmod(0o555)
    for p in [ds, *ds.iterdir()]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        code = 1
        try:
            os.close(read_end)
            if os.geteuid() == 0:  # root ignores permission bits: become an unprivileged user
                os.setgid(65534)
                os.setuid(65534)
            report = audit_folder(ds, registry=media / "reg.sqlite", progress=False)
            try:
                Registry(media / "reg.sqlite")
                writable = "opened for writing"
            except InputError as exc:
                writable = exc.message
            os.write(write_end, f"{report.counts()['unlabelled_registry_match']}|{writable}".encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end) as fh:
        result = fh.read()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, result
    matches, writable = result.split("|")
    assert matches == "4"
    assert writable == "registry is on read-only media or not writable (while opening the registry)"
    assert sorted(os.listdir(media)) == ["reg.sqlite"]  # nothing created beside it


def test_disk_full_is_a_designed_message_and_the_file_is_kept(tmp_path, prov, synthetic_png):
    from dataclasses import replace

    prov = replace(prov, notes="n" * 20000)  # the row needs new pages
    original = synthetic_png.read_bytes()
    with Registry(tmp_path / "reg.sqlite") as reg:
        pages = reg._conn.execute("PRAGMA page_count").fetchone()[0]
        reg._conn.execute(f"PRAGMA max_page_count={pages}")  # SQLite answers SQLITE_FULL, as on a full disk
        with pytest.raises(InputError) as info:
            label_file(synthetic_png, prov, registry=reg)
        assert len(reg) == 0
    assert str(info.value) == (f"{tmp_path / 'reg.sqlite'}: disk full: cannot write the registry while registering "
                               "the labelled file (fix: free space on the registry's drive, or use another registry "
                               "path (--registry FILE or MISYN_LAB_REGISTRY))")
    assert synthetic_png.read_bytes() == original
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_corrupt_pages_foreign_schema_and_lock(filled, tmp_path, prov, synthetic_png, monkeypatch, capsys):
    reg_path, ds = filled
    with Registry(reg_path) as reg:
        reg.register_many((np.random.default_rng(i).random((32, 32)), prov) for i in range(40))
    damaged = tmp_path / "damaged.sqlite"
    data = bytearray(reg_path.read_bytes())
    data[4096:4096 + 64] = b"\xff" * 64  # page 2: a table b-tree page header
    damaged.write_bytes(bytes(data))
    assert main(["audit", str(ds), "--registry", str(damaged)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"misyn-lab: error: {damaged}: registry file is damaged (corrupt database pages) while reading the "
                   "registry (fix: restore the registry from a backup, or recover its rows with `sqlite3 FILE .recover "
                   "| sqlite3 NEW.sqlite` and point --registry at NEW.sqlite)")

    foreign = tmp_path / "foreign.sqlite"
    con = sqlite3.connect(foreign)
    con.execute("CREATE TABLE images (id INTEGER PRIMARY KEY, path TEXT)")
    con.execute("PRAGMA user_version=1")
    con.commit()
    con.close()
    assert main(["audit", str(ds), "--registry", str(foreign)]) == 2
    assert "registry has a foreign schema: table 'images' lacks the columns ['sha256'," in capsys.readouterr().err

    monkeypatch.setattr(registry_mod, "LOCK_TIMEOUT", 0.2)
    holder = sqlite3.connect(reg_path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        before = synthetic_png.read_bytes()
        assert main(["label", str(synthetic_png), "--generator", "g", "--registry", str(reg_path)]) == 2
        err = capsys.readouterr().err.strip()
        assert err == (f"misyn-lab: error: {reg_path}: registry is locked by another process (waited 0.2 s while "
                       "registering the labelled file) (fix: wait until the other misyn-lab or sqlite3 process has "
                       "finished, then run the command again)")
        assert synthetic_png.read_bytes() == before
        assert [p.name for p in synthetic_png.parent.iterdir() if p.name.endswith(".tmp")] == []
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_garbage_file_is_still_not_a_registry(tmp_path):
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(InputError) as info:
        Registry(junk, readonly=True)
    assert info.value.message == "not a misyn-lab registry (the file is not an SQLite database)"


def test_registry_written_before_two_phase_labelling_still_works(tmp_path, prov, synthetic_png):
    """A registry without the `pending` table (written by an earlier misyn-lab) is read, and extended on write."""
    path = tmp_path / "old.sqlite"
    with Registry(path) as reg:
        reg.register(np.zeros((8, 8)), prov)
    con = sqlite3.connect(path)
    con.execute("DROP TABLE pending")
    con.commit()
    con.close()
    with Registry(path, readonly=True) as reg:
        assert reg.index().n_rows == 1
    label_file(synthetic_png, prov, out=tmp_path / "lab.png", registry=path)
    with Registry(path) as reg:
        assert len(reg) == 2 and reg.match(tmp_path / "lab.png").kind == "sha256"


# ------------------------------------------------------------------------------------------------ fast row checks
_DAMAGES = [
    {}, {"sha256": None}, {"pixel_sha256": None}, {"sha256": None, "pixel_sha256": None},
    {"sha256": "A" * 64}, {"sha256": "g" * 64}, {"sha256": "a" * 63}, {"sha256": 12345},
    {"pixel_sha256": "f" * 65}, {"phash": "ZZ" * 8}, {"phash": "ab" * 7}, {"dhash": 7}, {"dhash": "0" * 16},
    {"hash_size": 0}, {"hash_size": 65}, {"hash_size": "8"}, {"hash_size": 2, "phash": "0", "dhash": "f"},
    {"thumb": b"\x00" * 1023}, {"thumb": "x" * 1024}, {"provenance": "[1, 2]"}, {"provenance": "  {\"a\": 1}"},
    {"provenance": '{"a": NaN}'}, {"provenance": '{"a": ' + "[" * 70 + "]" * 70 + "}"},
    {"provenance": '{"n": ' + "7" * 1001 + "}"}, {"provenance": '{"a": 1} trailing'}, {"provenance": 5},
    {"provenance": b'{"a": 1}'}, {"source_name": None}, {"source_name": 7}, {"imagehash_version": "0.0"},
]


@pytest.mark.parametrize("damage", _DAMAGES, ids=[",".join(f"{k}={v!r}"[:40] for k, v in d.items()) or "intact"
                                                  for d in _DAMAGES])
def test_fast_row_check_keeps_and_skips_exactly_what_validate_row_does(filled, damage):
    """The registry is read through a fast path (cheap checks, provenance validated by SQLite and parsed on a
    match); every row it keeps is one validate_row keeps, with the same values, and every other row goes through
    validate_row itself (so the skip reasons are unchanged)."""
    reg_path, _ds = filled
    _damage(reg_path, 2, **damage)
    with Registry(reg_path, readonly=True) as reg:
        raws = list(registry_mod._select_rows(reg._conn))
        rows, _warnings = registry_mod.load_rows(reg._conn, reg.path)
    assert len(raws) == 4
    for raw in raws:
        fast = registry_mod._clean(raw)
        slow, _reason = registry_mod.validate_row(raw[:-1])
        if fast is not None:
            assert slow is not None
            assert fast[:8] == slow[:8] and fast[9] == slow[9]
            assert registry_mod.row_provenance(fast) == (slow[8], "")
    assert registry_mod._clean_batch(raws) == [registry_mod._clean(raw) for raw in raws]  # column-wise: same rows
    kept = {r[0] for r in rows}
    assert (2 in kept) == (registry_mod.validate_row(raws[1][:-1])[0] is not None)
    assert {1, 3, 4} <= kept


def test_the_intact_rows_of_a_large_registry_take_the_fast_path(filled, monkeypatch):
    reg_path, _ds = filled
    with Registry(reg_path, readonly=True) as reg:
        raws = list(registry_mod._select_rows(reg._conn))
    assert all(registry_mod._clean(raw) is not None for raw in raws)
    assert all(isinstance(registry_mod._clean(raw)[8], str) for raw in raws)  # parsed only on a match
    expected = [registry_mod._clean(raw) for raw in raws]
    monkeypatch.setattr(registry_mod, "_clean", lambda raw: pytest.fail("usual rows are checked column-wise"))
    assert registry_mod._clean_batch(raws) == expected


@pytest.mark.parametrize("damage", [{"provenance": '  {"a": 1}'}, {"source_name": None}, {"sha256": None},
                                    {"hash_size": 16, "phash": "0" * 64, "dhash": "1" * 64}])
def test_a_batch_of_mixed_rows_is_checked_like_row_by_row(filled, damage):
    """One unusual row among usual ones (leading blank, no name, no file hash, another hash size): the batch
    keeps exactly the rows and values _clean keeps one by one, whether it goes column-wise or row by row."""
    reg_path, _ds = filled
    _damage(reg_path, 3, **damage)
    with Registry(reg_path, readonly=True) as reg:
        raws = list(registry_mod._select_rows(reg._conn))
    assert registry_mod._clean_batch(raws) == [registry_mod._clean(raw) for raw in raws]
    assert registry_mod._clean_batch([]) == []


def test_a_provenance_python_cannot_parse_still_matches_and_says_why(filled, monkeypatch):
    """SQLite's and Python's JSON parsers agree on every text tried (NaN, trailing text, raw control
    characters ...); should they ever differ, the registered image is still found and the audit names the
    unreadable provenance instead of dropping the row."""
    reg_path, ds = filled
    monkeypatch.setattr(registry_mod, "json_or_problem",
                        lambda data, where, what: (None, "malformed provenance JSON (simulated)"))
    report = audit_folder(ds, registry=reg_path, progress=False)
    assert report.counts()["unlabelled_registry_match"] == 4 and report.warnings == []
    reasons = sorted(r.reason for r in report.by_status("unlabelled_registry_match"))
    assert reasons[0].startswith("matches registry image #1 (") and reasons[0].endswith(
        "by pixels; provenance of registry row #1 malformed provenance JSON (simulated)")
    assert all(r.generator == "" for r in report.by_status("unlabelled_registry_match"))


def test_closing_during_an_index_build_in_another_thread_waits_for_the_build(filled, monkeypatch):
    """A parallel audit builds the index in a helper thread; when the audit is interrupted the registry is closed
    while that build may still run. Closing an SQLite connection under a running query crashes the interpreter,
    so the close is deferred to the end of the build, which completes."""
    import threading
    import time

    reg_path, _ds = filled
    started, slow = threading.Event(), registry_mod.load_rows

    def slow_load(conn, path):
        started.set()
        time.sleep(0.3)
        return slow(conn, path)

    monkeypatch.setattr(registry_mod, "load_rows", slow_load)
    reg = Registry(reg_path, readonly=True)
    built: list = []
    thread = threading.Thread(target=lambda: built.append(reg.index()))
    thread.start()
    assert started.wait(10)
    reg.close()  # returns at once; the build goes on with its connection
    thread.join(10)
    assert len(built) == 1 and built[0].n_rows == 4
    with pytest.raises(sqlite3.ProgrammingError):  # ... which is closed once the build has ended
        reg._conn.execute("SELECT 1")
    reg.close()  # closing again is harmless
