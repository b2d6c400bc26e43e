"""The registry's perceptual index decides exactly as the linear scan, on random registries with planted copies,
near-threshold look-alikes and ties, and on real sample images re-encoded."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from misyn_lab.imagesets.samples import BUNDLED_DIR
from misyn_lab.provenance import Registry, hashing
from misyn_lab.provenance.perceptual_index import PerceptualIndex, block_projection, popcount
from misyn_lab.provenance.registry import (DHASH_MAX, PHASH_MAX, THUMB_RMSE_MAX, ImageHashes, RegistryIndex,
                                           hashes_of)


def _hex(bits: int) -> str:
    return f"{bits:016x}"


def _flip(value: int, n: int, rng: np.random.Generator) -> int:
    for b in rng.choice(64, size=n, replace=False):
        value ^= 1 << int(b)
    return value


def random_registry(seed: int, n: int) -> tuple[list[tuple], list[ImageHashes]]:
    """``n`` registry rows and queries: planted copies (thumbnail noise, a few flipped hash bits), look-alikes
    whose RMSE or Hamming distances sit right at the limits, exact duplicate rows (ties), and unrelated images."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, (max(4, n // 4), hashing.THUMB_SIDE ** 2)).astype(np.float64)
    rows, thumbs = [], []
    for i in range(n):
        t = base[rng.integers(len(base))] + rng.normal(0, rng.choice([0.5, 6.0, 12.0, 40.0]), base.shape[1])
        thumbs.append(np.clip(t, 0, 255).astype(np.uint8))
        p = int(rng.integers(0, 2**63)) if i % 5 else int(rng.integers(0, 2**20))  # some clustered hashes
        d = int(rng.integers(0, 2**63))
        rows.append((i + 1, None, None, _hex(p), _hex(d), thumbs[-1].tobytes(), hashing.HASH_SIZE,
                     hashing.IMAGEHASH_VERSION, {"generator": f"g{i}"}, f"r{i}.png"))
    if n >= 2:  # an exact duplicate row: the tie must go to the first
        rows.append((n + 1,) + rows[0][1:])
    queries = []
    for k in range(30):
        src = rows[int(rng.integers(len(rows)))]
        t = np.frombuffer(src[5], np.uint8).astype(np.float64)
        kind = k % 5
        if kind == 0:  # planted copy
            q = t + rng.normal(0, 2, t.size)
            p, d = _flip(int(src[3], 16), int(rng.integers(0, 6)), rng), _flip(int(src[4], 16), 3, rng)
        elif kind == 1:  # RMSE right around the limit
            direction = rng.standard_normal(t.size)
            q = t + direction / np.sqrt(np.mean(direction ** 2)) * THUMB_RMSE_MAX * rng.uniform(0.97, 1.03)
            p, d = int(src[3], 16), int(src[4], 16)
        elif kind == 2:  # Hamming distances right at the radii
            q = t + rng.normal(0, 3, t.size)
            p = _flip(int(src[3], 16), PHASH_MAX + int(rng.integers(0, 2)), rng)
            d = _flip(int(src[4], 16), DHASH_MAX + int(rng.integers(0, 2)), rng)
        elif kind == 3:  # unrelated
            q = rng.integers(0, 256, t.size).astype(np.float64)
            p, d = int(rng.integers(0, 2**63)), int(rng.integers(0, 2**63))
        else:  # exact thumbnail, distant hashes on one of the two
            q = t.copy()
            p, d = _flip(int(src[3], 16), 30, rng), int(src[4], 16)
        thumb = np.clip(np.round(q), 0, 255).astype(np.uint8).tobytes()
        queries.append(ImageHashes(None, None, hashing.PerceptualHashes(_hex(p), _hex(d), thumb), (32, 32)))
    return rows, queries


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 300))
def test_index_decisions_equal_the_linear_scan(seed, n):
    rows, queries = random_registry(seed, n)
    index = RegistryIndex(rows)
    for q in queries:
        assert index.match_hashes(q) == index.match_hashes_linear(q)
    flat = ImageHashes(None, None, hashing.PerceptualHashes("0" * 16, "0" * 16, bytes(1024)), (32, 32))
    mixed = [*queries, flat, *queries[:3]]
    assert index.match_many(mixed) == [index.match_hashes_linear(q) for q in mixed]  # one tree query, same picks
    assert index.match_many([]) == []


def test_planted_copies_and_ties_are_found_by_both():
    rows, queries = random_registry(7, 200)
    index = RegistryIndex(rows)
    hits = [index.match_hashes(q) for q in queries]
    assert sum(h is not None for h in hits) >= 6  # the planted copies are there
    dup = ImageHashes(None, None, hashing.PerceptualHashes(rows[0][3], rows[0][4], rows[0][5]), (32, 32))
    tie = index.match_hashes(dup)
    assert tie is not None and tie.registry_id == 1 and tie == index.match_hashes_linear(dup)


def test_projection_is_a_lower_bound_of_the_thumbnail_distance():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (500, 1024)).astype(np.uint8)
    b = rng.integers(0, 256, (500, 1024)).astype(np.uint8)
    full = np.sqrt(((a.astype(float) - b) ** 2).sum(axis=1))
    proj = np.sqrt(((block_projection(a) - block_projection(b)) ** 2).sum(axis=1))
    assert (proj <= full + 1e-9).all() and proj.max() > 0
    x = np.array([0, 1, 2**64 - 1, 0b1011], dtype=np.uint64)
    assert popcount(x).tolist() == [0, 1, 64, 3]


@pytest.mark.parametrize("n", [0, 1, 1023, 1025, 3000])
def test_block_projection_equals_integer_block_sums(n):
    """The float32 matrix product gives exactly the integer block sums / 8, across chunk borders and at the
    largest sums (all-255 blocks)."""
    thumbs = np.random.default_rng(n).integers(0, 256, (n, 1024)).astype(np.uint8)
    thumbs[::7] = 255
    exact = thumbs.reshape(n, 4, 8, 4, 8).sum(axis=(2, 4), dtype=np.int64).reshape(n, 16) / 8.0
    got = block_projection(thumbs)
    assert got.dtype == np.float64 and got.shape == (n, 16)
    assert np.array_equal(got, exact)


def test_on_real_images_the_index_checks_far_fewer_rows_than_the_hash_radii_admit():
    """Every bundled sample against all 285: the hash radii admit ~26 rows per query (up to 83), the thumbnail
    bound leaves ~3 (up to 13); each query's own row always survives."""

    files = sorted((BUNDLED_DIR / "images").rglob("*.png"))
    hs = [hashing.perceptual_hashes(np.asarray(Image.open(f).convert("L"))) for f in files]
    index = PerceptualIndex([h.phash for h in hs], [h.dhash for h in hs],
                            np.stack([np.frombuffer(h.thumb, np.uint8) for h in hs]),
                            phash_max=PHASH_MAX, dhash_max=DHASH_MAX, rmse_max=THUMB_RMSE_MAX)
    survivors = [index.survivors(h.thumb) for h in hs]
    admitted = [index.candidates_linear(h.phash, h.dhash) for h in hs]
    assert all(i in s for i, s in enumerate(survivors))
    assert np.mean([len(s) for s in survivors]) < 0.25 * np.mean(admitted)
    empty = PerceptualIndex([], [], np.zeros((0, 1024), np.uint8), phash_max=16, dhash_max=12, rmse_max=10.0)
    assert len(empty) == 0 and empty.best(hashing.PerceptualHashes("0" * 16, "0" * 16, bytes(1024))) is None


def test_real_images_match_alike_through_index_and_scan(tmp_path, axial_slices, prov):
    """Registered real slices (as if synthetic), queried with JPEG re-encodes and resized copies and with
    their unregistered neighbours: same decisions, copies found, neighbours not."""
    registered = axial_slices[::2]
    with Registry(tmp_path / "r.sqlite") as reg:
        reg.register_many((p, prov) for p in registered)
        index = reg.index()
    found = 0
    for p in axial_slices:
        im = Image.open(p).convert("L")
        for variant in ("jpeg", "resize"):
            buf = io.BytesIO()
            (im.resize((100, 100)) if variant == "resize" else im).save(buf, format="JPEG", quality=90)
            target = tmp_path / f"q.{variant}.jpg"
            target.write_bytes(buf.getvalue())
            h = hashes_of(target)
            got = index.match_hashes(h)
            assert got == index.match_hashes_linear(h)
            found += got is not None and p in registered
    assert found == 2 * len(registered)


def test_hashes_are_computed_only_for_images_that_could_match(monkeypatch):
    """A fresh image's pHash/dHash are computed lazily: not at all when no registered thumbnail survives the
    bound, and then with the values an eager computation gives."""
    import imagehash

    rows, _ = random_registry(11, 50)
    index = RegistryIndex(rows)
    rng = np.random.default_rng(0)
    unrelated = np.zeros((64, 64), np.uint8)
    unrelated[:, ::2] = 255
    calls = []
    real_phash = imagehash.phash
    monkeypatch.setattr(imagehash, "phash", lambda *a, **k: calls.append(1) or real_phash(*a, **k))
    h = hashing.perceptual_hashes(unrelated)
    assert index.match_hashes(ImageHashes(None, None, h, unrelated.shape)) is None and calls == []
    arr = rng.integers(0, 256, (40, 40), dtype=np.uint8)
    lazy = hashing.perceptual_hashes(arr)
    eager = hashing.normalised_grey(arr)
    assert lazy.phash == str(real_phash(eager)) and lazy.dhash == str(imagehash.dhash(eager)) and calls == [1]
    import pickle

    assert pickle.loads(pickle.dumps(lazy)) == lazy and hash(lazy) == hash(pickle.loads(pickle.dumps(lazy)))
    with pytest.raises(ValueError, match="needs phash and dhash"):
        hashing.PerceptualHashes(thumb=b"x")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_survivors_are_exactly_the_rows_within_the_radius_in_all_16_block_values(seed):
    """The k-d tree searches 6 principal axes; what it returns, after the full 16-value check, is the exact
    ball: every row whose block projection lies within the radius, none other (brute force for reference)."""
    rows, queries = random_registry(seed, 400)
    thumbs = np.stack([np.frombuffer(r[5], np.uint8) for r in rows])
    index = PerceptualIndex([r[3] for r in rows], [r[4] for r in rows], thumbs, phash_max=PHASH_MAX,
                            dhash_max=DHASH_MAX, rmse_max=THUMB_RMSE_MAX)
    proj = block_projection(thumbs)
    nonempty = 0
    for q in queries:
        d = np.sqrt(((proj - block_projection(np.frombuffer(q.perceptual.thumb, np.uint8)[None, :])) ** 2).sum(1))
        expected = np.flatnonzero(d <= index.radius)
        got = index.survivors(q.perceptual.thumb)
        assert got.tolist() == expected.tolist()
        nonempty += bool(len(got))
    assert nonempty >= 10  # the queries exercise real balls, not only empty ones


def test_principal_axes_are_orthonormal_and_degenerate_sets_get_identity_axes():
    from misyn_lab.provenance.perceptual_index import principal_axes

    pts = block_projection(np.random.default_rng(3).integers(0, 256, (300, 1024)).astype(np.uint8))
    axes = principal_axes(pts, 6)
    assert axes.shape == (16, 6) and np.allclose(axes.T @ axes, np.eye(6), atol=1e-12)
    assert principal_axes(pts[:1], 6).tolist() == np.eye(16)[:, :6].tolist()
    one = PerceptualIndex(["0" * 16], ["0" * 16], np.full((1, 1024), 9, np.uint8), phash_max=16, dhash_max=12,
                          rmse_max=10.0)
    assert one.survivors(np.full(1024, 9, np.uint8).tobytes()).tolist() == [0]


def test_flat_thumbnail_limit_is_decided_exactly():
    """Standard deviation exactly MIN_THUMB_STD (pixels 0 and 4 in equal numbers) is informative; one pixel
    closer to the mean is not."""
    at_limit = np.array([0, 4] * 512, np.uint8)
    assert np.std(at_limit) == hashing.MIN_THUMB_STD
    assert hashing.PerceptualHashes("0" * 16, "0" * 16, at_limit.tobytes()).informative
    below = at_limit.copy()
    below[0] = 1
    assert not hashing.PerceptualHashes("0" * 16, "0" * 16, below.tobytes()).informative
    assert not hashing.PerceptualHashes("0" * 16, "0" * 16, b"").informative


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int16, np.int8])
def test_integer_images_hash_as_through_the_float64_path(dtype):
    """8/16-bit grey images skip the float64 detour; their normalised image is bit-identical to it."""
    info = np.iinfo(dtype)
    arr = np.random.default_rng(5).integers(info.min, info.max, (97, 131), endpoint=True).astype(dtype)
    old = Image.fromarray(arr.astype(np.float64).astype(np.float32), mode="F")
    old = np.asarray(old.resize((hashing.NORMALISED_SIDE,) * 2, Image.Resampling.LANCZOS, reducing_gap=3.0))
    new_grey = hashing._grey_float(arr)
    assert new_grey.dtype == np.float32 and np.array_equal(new_grey, arr.astype(np.float64).astype(np.float32))
    new = np.asarray(Image.fromarray(new_grey, mode="F").resize((hashing.NORMALISED_SIDE,) * 2,
                                                               Image.Resampling.LANCZOS, reducing_gap=3.0))
    assert np.array_equal(old, new)
