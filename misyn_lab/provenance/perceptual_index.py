"""An exact index for the registry's perceptual match rule, so a lookup does not scan every registered image.

The rule (:mod:`misyn_lab.provenance.registry`, calibrated in ``CALIBRATION.md``): a registered image is a
*candidate* when its 64-bit pHash is within ``PHASH_MAX`` bits OR its dHash within ``DHASH_MAX`` bits of the
query's; the match is the candidate with the smallest thumbnail RMSE (first in registry order on ties), provided
that RMSE is at most ``THUMB_RMSE_MAX``.

Why the index searches thumbnails first. The Hamming radii are wide (16 of 64 bits): on medical images, whose
hashes cluster, a hash index (BK-tree, multi-index hashing) must still return a large share of the registry as
candidates (on brain slices up to a quarter of it, see ``benchmarks/results/scale.md``), and every candidate
then needs the 1,024-pixel thumbnail check. But only candidates within the RMSE limit can decide the answer:
``min(rmse over candidates) <= limit`` exactly when some candidate lies within the limit, and the argmin is then
one of them. So the index finds the registered images whose thumbnails *can* lie within the limit, and checks
the hash radii and the exact RMSE only on those:

* every thumbnail (32×32, uint8) is projected onto 16 orthonormal vectors: the normalised indicators of its
  4×4 grid of 8×8 blocks (value = block sum / 8). An orthonormal projection never lengthens a vector, so
  ``‖P(a − b)‖ ≤ ‖a − b‖ = 32 · rmse(a, b)``: a thumbnail more than ``32 · limit`` away in projection cannot
  match (a provable bound, no approximation);
* a k-d tree (:class:`scipy.spatial.cKDTree`) holds the projections turned onto their ``TREE_DIMS`` leading
  principal axes (the eigenvectors of their 16 × 16 covariance): these axes are orthonormal too, so the bound
  still holds, and a k-d tree stays fast in 6 dimensions where it slows down in 16. A query asks for every
  point within ``32 · limit`` (plus a margin for floating-point rounding) on those axes and keeps those whose
  full 16-value projection lies within it;
* the survivors get the same RMSE function (:func:`misyn_lab.provenance.hashing.thumb_rmse`) as the linear
  scan, and those within the limit the same Hamming test (XOR + popcount on ``uint64``), in registry order; the
  query's pHash/dHash are computed only at that point (lazily), i.e. only for images something registered
  closely resembles.

Decisions are therefore identical to the linear scan (tested on random registries with planted copies). The
index is rebuilt from the registry rows (ordered by id) whenever the registry changes, so it is a deterministic
function of the SQLite file and never stored separately.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from misyn_lab.provenance import hashing

#: Side of the blocks averaged for the projection (a 32-pixel thumbnail gives a 4×4 grid = 16 dimensions).
BLOCK = 8
#: Dimensions of the k-d tree (leading principal axes of the 16 block values; measured on a 10^5-row registry of
#: brain-slice blends: 6 axes answer a query in about half the time of all 16, 4 or 8 axes no faster).
TREE_DIMS = 6
#: Points per leaf of the k-d tree (scipy's default is 16). Measured on the 10^5-row registry with 4,000 archive
#: thumbnails, 5 alternated rounds: a radius query takes a median 38 µs with 64 (29–42), 50 µs with 16 (46–52),
#: 39 µs with 32 and 40 µs with 128.
TREE_LEAF = 64
#: Relative margin on the projected search radius: the linear scan computes the RMSE in float32, which may
#: round a true RMSE slightly above the limit down to it; the margin keeps such rows among the survivors.
RADIUS_MARGIN = 1e-3


@dataclass(frozen=True)
class Hit:
    """The row the perceptual rule picked: its position among the indexed rows, distances and RMSE."""

    position: int
    phash_distance: int
    dhash_distance: int
    thumb_rmse: float


def hex_to_uint64(hexes: Sequence[str]) -> np.ndarray:
    """64-bit hex hashes as ``uint64`` (for XOR + popcount Hamming distances).

    Examples
    --------
    >>> hex_to_uint64(["00000000000000ff", "8000000000000001"]).tolist()
    [255, 9223372036854775809]
    """
    if not len(hexes):
        return np.zeros(0, np.uint64)
    if all(len(h) == 16 for h in hexes):  # one conversion for the whole column
        return np.frombuffer(bytes.fromhex("".join(hexes)), ">u8").astype(np.uint64)
    return np.array([int(h, 16) for h in hexes], dtype=np.uint64)


def popcount(x: np.ndarray) -> np.ndarray:
    """Set bits per ``uint64`` element."""
    if hasattr(np, "bitwise_count"):  # numpy >= 2.0
        return np.bitwise_count(x).astype(np.int64)
    b = x.view(np.uint8).reshape(*x.shape, 8)  # pragma: no cover - numpy < 2
    return np.unpackbits(b, axis=-1).sum(axis=-1).astype(np.int64)


#: Rows of thumbnails turned into float32 at a time by :func:`block_projection` (4 MiB: no float copy of a whole
#: registry's thumbnails is made).
PROJECTION_ROWS = 1024


def _block_indicators() -> np.ndarray:
    """``1024 × 16`` float32 0/1 matrix: pixel ``i`` of a flattened 32×32 thumbnail lies in block ``j``."""
    side, per_row = hashing.THUMB_SIDE, hashing.THUMB_SIDE // BLOCK
    pixel = np.arange(side * side)
    block = (pixel // side // BLOCK) * per_row + (pixel % side) // BLOCK
    out = np.zeros((side * side, per_row * per_row), np.float32)
    out[pixel, block] = 1.0
    return out


_INDICATORS = _block_indicators()


def block_projection(thumbs: np.ndarray) -> np.ndarray:
    """``n × 16`` orthonormal block projection of ``n`` flattened 32×32 thumbnails (block sums / 8).

    The block sums are exact: a matrix product in float32, whose every partial sum is an integer below
    64 · 255 < 2^24 and so exactly representable, whatever order BLAS adds in (equal to integer sums, tested).

    Examples
    --------
    >>> thumbs = np.arange(2 * 1024).reshape(2, 1024) % 256
    >>> block_projection(thumbs.astype(np.uint8))[0, :2].tolist()
    [924.0, 988.0]
    """
    t = np.asarray(thumbs).reshape(len(thumbs), _INDICATORS.shape[0])
    out = np.empty((len(t), _INDICATORS.shape[1]), np.float64)
    for i in range(0, len(t), PROJECTION_ROWS):
        out[i:i + PROJECTION_ROWS] = t[i:i + PROJECTION_ROWS].astype(np.float32) @ _INDICATORS
    return out / float(BLOCK)


def principal_axes(points: np.ndarray, k: int) -> np.ndarray:
    """``d × min(k, d)`` orthonormal columns: the leading eigenvectors of the points' covariance (identity columns
    for fewer than two points). Any orthonormal columns keep the projection bound; the leading ones separate best.

    Examples
    --------
    >>> axes = principal_axes(np.random.default_rng(0).normal(size=(50, 4)) * [10, 1, 1, 1], 2)
    >>> axes.shape, bool(np.allclose(axes.T @ axes, np.eye(2)))
    ((4, 2), True)
    >>> round(abs(float(axes[0, 0])), 2)           # the widest spread comes first
    1.0
    """
    d = points.shape[1]
    k = min(k, d)
    if len(points) < 2:
        return np.eye(d)[:, :k]
    _values, vectors = np.linalg.eigh(np.cov(points, rowvar=False))
    return np.ascontiguousarray(vectors[:, ::-1][:, :k])


class PerceptualIndex:
    """Exact search for the perceptual rule over registered hashes and thumbnails (see the module docstring).

    Parameters
    ----------
    phashes, dhashes:
        The rows' 64-bit pHash and dHash as hex strings (same order as ``thumbs``).
    thumbs:
        ``n × 1024`` uint8 thumbnails.
    phash_max, dhash_max, rmse_max:
        The rule's limits.
    """

    def __init__(self, phashes: Sequence[str], dhashes: Sequence[str], thumbs: np.ndarray, *,
                 phash_max: int, dhash_max: int, rmse_max: float):
        from scipy.spatial import cKDTree

        self.phash_max, self.dhash_max, self.rmse_max = int(phash_max), int(dhash_max), float(rmse_max)
        self._p = hex_to_uint64(list(phashes))
        self._d = hex_to_uint64(list(dhashes))
        self._thumbs = np.ascontiguousarray(thumbs, dtype=np.uint8)
        if not (len(self._p) == len(self._d) == len(self._thumbs)):
            raise ValueError("hashes and thumbnails must describe the same rows")
        self._proj = block_projection(self._thumbs)
        self._axes = principal_axes(self._proj, TREE_DIMS)
        self._tree = cKDTree(self._proj @ self._axes, leafsize=TREE_LEAF) if len(self._thumbs) else None
        self.radius = hashing.THUMB_SIDE * self.rmse_max * (1.0 + RADIUS_MARGIN)

    def __len__(self) -> int:
        return int(len(self._p))

    def survivors(self, thumb: bytes) -> np.ndarray:
        """Row positions (sorted) whose thumbnails can lie within the RMSE limit of ``thumb``."""
        return self.survivors_many([thumb])[0]

    def survivors_many(self, thumbs: Sequence[bytes]) -> list[np.ndarray]:
        """:meth:`survivors` of each thumbnail, found by one k-d tree query for all of them."""
        if self._tree is None or not len(thumbs):
            return [np.zeros(0, np.intp) for _ in thumbs]
        q = block_projection(np.frombuffer(b"".join(thumbs), np.uint8).reshape(len(thumbs), -1))
        balls = self._tree.query_ball_point(q @ self._axes, self.radius, return_sorted=True)
        # all the balls' rows at once (one fancy index and one distance pass, not one per thumbnail)
        sizes = np.fromiter(map(len, balls), np.intp, len(balls))
        found = np.fromiter(itertools.chain.from_iterable(balls), np.intp, int(sizes.sum()))
        owner = np.repeat(np.arange(len(balls)), sizes)
        diff = self._proj[found] - q[owner]
        keep = np.einsum("ij,ij->i", diff, diff) <= self.radius * self.radius
        kept = np.bincount(owner[keep], minlength=len(balls))
        return np.split(found[keep], np.cumsum(kept)[:-1])

    def best_many(self, hashes: Sequence[hashing.PerceptualHashes]) -> list[Hit | None]:
        """``[self.best(h) for h in hashes]``, the k-d tree asked once for all of them (a chunk of an audit) and the
        RMSE of every (thumbnail, survivor) pair computed in one pass; only thumbnails with a row within the limit
        go on to the hash radii one by one."""
        found = self.survivors_many([h.thumb for h in hashes])
        out: list[Hit | None] = [None] * len(hashes)
        sizes = np.fromiter(map(len, found), np.intp, len(found))
        if not sizes.sum():
            return out
        rows, owner = np.concatenate(found), np.repeat(np.arange(len(found)), sizes)
        queries = np.frombuffer(b"".join(h.thumb for h in hashes), np.uint8).reshape(len(hashes), -1)
        rmse = hashing.thumb_rmse(queries[owner], self._thumbs[rows])
        close = rmse <= self.rmse_max
        for k in np.unique(owner[close]):
            mine = close & (owner == k)
            out[k] = self._radii(hashes[k], rows[mine], rmse[mine])
        return out

    def best(self, hashes: hashing.PerceptualHashes) -> Hit | None:
        """The row the linear scan would pick for these hashes, or ``None`` (no candidate within the limit).

        Order of the checks: thumbnails that could lie within the RMSE limit (the k-d tree), their exact RMSE
        (the same function and values as the linear scan), and only for rows within the limit the hash radii;
        so the pHash and dHash, computed lazily for a freshly hashed image, are read only when some registered
        thumbnail is that close. The pick is the linear scan's: the smallest RMSE among rows admitted by the
        hash radii, first in registry order on ties, provided it is within the limit.
        """
        return self.best_many([hashes])[0]

    def _radii(self, hashes: hashing.PerceptualHashes, rows: np.ndarray, rmse: np.ndarray) -> Hit | None:
        """The pick among ``rows`` (ascending, every one within the RMSE limit, ``rmse`` theirs): the smallest RMSE
        among those the hash radii admit, first on ties; ``hashes``' pHash and dHash are read (computed) here."""
        dp = popcount(self._p[rows] ^ np.uint64(int(hashes.phash, 16)))
        dd = popcount(self._d[rows] ^ np.uint64(int(hashes.dhash, 16)))
        keep = (dp <= self.phash_max) | (dd <= self.dhash_max)
        if not keep.any():
            return None
        rows, rmse, dp, dd = rows[keep], rmse[keep], dp[keep], dd[keep]
        k = int(np.argmin(rmse))
        return Hit(int(rows[k]), int(dp[k]), int(dd[k]), float(rmse[k]))

    def candidates_linear(self, phash: str, dhash: str) -> int:
        """How many rows the hash radii alone admit (what a hash index would have to return); for benchmarks."""
        dp = popcount(self._p ^ np.uint64(int(phash, 16)))
        dd = popcount(self._d ^ np.uint64(int(dhash, 16)))
        return int(((dp <= self.phash_max) | (dd <= self.dhash_max)).sum())
