"""The SQLite registry: matching stripped/re-encoded/resized copies, not neighbours; crash safety; schema."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from PIL import Image

from misyn_lab.errors import InputError, SchemaError
from misyn_lab.provenance import Registry, default_registry_path, label_file
from misyn_lab.provenance import hashing
from misyn_lab.provenance.registry import SCHEMA_VERSION


@pytest.fixture
def reg(tmp_path):
    with Registry(tmp_path / "reg.sqlite") as r:
        yield r


def test_exact_and_pixel_match(reg, tmp_path, prov, synthetic_png):
    labelled = label_file(synthetic_png, prov, out=tmp_path / "lab.png", registry=reg)
    assert len(reg) == 1
    assert reg.match(labelled).kind == "sha256"
    stripped = tmp_path / "stripped.png"  # metadata stripped: same pixels, other bytes
    Image.open(labelled).save(stripped)
    hit = reg.match(stripped)
    assert hit.kind == "pixels" and hit.provenance["generator"] == "pca-gaussian"
    tif = tmp_path / "same.tif"
    Image.open(labelled).save(tif)
    assert reg.match(tif).kind == "pixels"


def test_perceptual_match_after_reencode_and_resize(reg, tmp_path, prov, synthetic_png):
    reg.register(synthetic_png, prov)
    jpg = tmp_path / "c.jpg"
    Image.open(synthetic_png).save(jpg, quality=75)
    small = tmp_path / "small.png"
    Image.open(synthetic_png).resize((100, 100), Image.BILINEAR).save(small)
    small_jpg = tmp_path / "small.jpg"
    Image.open(small).save(small_jpg, quality=80)
    for copy in (jpg, small, small_jpg):
        hit = reg.match(copy)
        assert hit is not None and hit.kind == "perceptual", copy.name
        assert hit.thumb_rmse <= 10.0


def test_neighbouring_real_slices_do_not_match(reg, axial_slices, prov):
    """Register every other real slice; its neighbours (look-alikes 3 voxels away) must not match."""
    registered = axial_slices[::2]
    reg.register_many((p, prov) for p in registered)
    neighbours = axial_slices[1::2]
    hits = {p.name: reg.match(p) for p in neighbours}
    assert [n for n, h in hits.items() if h is not None] == []
    # and yet their 64-bit hashes are nearly equal, which is why a Hamming threshold alone cannot work
    a = hashing.perceptual_hashes(np.asarray(Image.open(registered[5])))
    b = hashing.perceptual_hashes(np.asarray(Image.open(neighbours[5])))
    assert min(a.distances(b)) <= 4
    assert all(reg.match(p).kind == "sha256" for p in registered[:3])


def test_array_registration_and_row_metadata(reg, prov):
    arr = np.random.default_rng(0).random((64, 64)).astype(np.float32)
    rid = reg.register(arr, prov)
    assert reg.match(arr).registry_id == rid
    row = reg.rows()[0]
    assert row["hash_algorithm"] == "phash+dhash+thumb32" and row["hash_size"] == 8
    assert row["imagehash_version"] == hashing.IMAGEHASH_VERSION
    with pytest.raises(InputError, match="2-D"):
        reg.register(np.zeros((2, 3, 4, 5)), prov)


def test_flat_images_never_match_perceptually(reg, prov):
    reg.register(np.zeros((32, 32), np.uint8), prov)
    assert reg.match(np.full((40, 40), 7, np.uint8)) is None


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "future.sqlite"
    Registry(path).close()
    con = sqlite3.connect(path)
    con.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    con.commit()
    con.close()
    with pytest.raises(SchemaError, match="newer than this misyn-lab supports"):
        Registry(path)


def test_foreign_sqlite_and_garbage_are_refused(tmp_path):
    other = tmp_path / "other.sqlite"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE people (name TEXT)")
    con.commit()
    con.close()
    with pytest.raises(InputError, match="not a misyn-lab registry"):
        Registry(other)
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(InputError, match="not a misyn-lab registry"):
        Registry(junk)


def test_default_path_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("MISYN_LAB_REGISTRY", str(tmp_path / "env.sqlite"))
    assert default_registry_path() == tmp_path / "env.sqlite"
    with Registry() as r:
        assert r.path == tmp_path / "env.sqlite"


CHILD = textwrap.dedent("""
    import sys, time
    import numpy as np
    from misyn_lab.provenance import Registry, Provenance
    reg = Registry(sys.argv[1])
    prov = Provenance(generator="child")
    def items():
        rng = np.random.default_rng(1)
        for i in range(1000):
            yield rng.random((32, 32)), prov
            if i == 3:
                print("MID-TRANSACTION", flush=True)
                time.sleep(60)
    reg.register_many(items())
""")


def test_kill_during_registry_write_keeps_previous_rows(tmp_path, prov):
    path = tmp_path / "reg.sqlite"
    with Registry(path) as r:
        ids = r.register_many((np.random.default_rng(i).random((32, 32)), prov) for i in range(5))
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline()
        assert "MID-TRANSACTION" in line
        child.kill()  # SIGKILL while the write transaction is open
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    with Registry(path) as r:
        assert len(r) == 5
        assert [row["id"] for row in r.rows()] == ids
        assert r._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        r.register(np.ones((8, 8)), prov)  # and it is writable again
        assert len(r) == 6


def test_calibration_doc_matches_the_rule_in_use():
    """CALIBRATION.md must describe the thresholds the registry actually applies (regenerate it otherwise)."""
    from pathlib import Path

    from misyn_lab.provenance import registry

    doc = (Path(registry.__file__).with_name("CALIBRATION.md")).read_text(encoding="utf-8")
    assert f"pHash distance ≤ {registry.PHASH_MAX}" in doc
    assert f"dHash distance ≤ {registry.DHASH_MAX}" in doc
    assert f"is ≤ {registry.THUMB_RMSE_MAX}" in doc
    assert f"imagehash {hashing.IMAGEHASH_VERSION}" in doc
