"""Exact, memory-bounded k-nearest-neighbour utilities on feature matrices.

Everything here works on squared Euclidean distances computed block by block with one BLAS matrix product per
block (the same formula scikit-learn's ``euclidean_distances`` and therefore the ``prdc`` package use:
``-2·x·y + |x|² + |y|²``). A block has ``chunk`` query rows and all reference columns; ``chunk`` is derived from a
memory budget (default 256 MiB), so no N×M matrix is ever held for large N.

Strict ball membership ``dist < radius`` is decided on squared distances with a per-radius threshold ``t`` chosen so
that ``sqrt(max(d², 0)) < radius  ⟺  d² < t`` holds exactly in floating point (see :func:`strict_sq_thresholds`);
this reproduces ``prdc``'s comparisons without taking square roots of whole blocks.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import numpy as np

from misyn_lab.errors import InputError
from misyn_lab.metrics.neighbours import knn_search

#: Default working-memory budget for one distance block, in bytes.
DEFAULT_MEMORY_BUDGET = 256 * 2**20
# float64 block + a few boolean/int temporaries per element
_BYTES_PER_ELEMENT = 12


# ----------------------------------------------------------------------------------------------------------- checks
def as_feature_matrix(x: object, name: str, *, min_rows: int = 1) -> np.ndarray:
    """Validate a feature matrix and return it as a C-contiguous float64 array.

    Raises :class:`InputError` naming ``name`` when ``x`` is not 2-D, has fewer than ``min_rows`` rows, has no
    columns, or contains NaN/inf values.
    """
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"{name} could not be read as a numeric feature matrix ({exc})",
            remedy=f"pass {name} as a numeric array of shape (n_samples, n_features)",
        ) from None
    if arr.ndim != 2:
        raise InputError(
            f"{name} must be a 2-D feature matrix (n_samples, n_features), got {arr.ndim}-D with shape {arr.shape}",
            remedy=f"reshape {name}, e.g. x.reshape(len(x), -1) for images or x[:, None] for a single feature",
        )
    if arr.shape[0] == 0:
        raise InputError(
            f"{name} is empty (0 samples)",
            remedy=f"pass at least {max(min_rows, 1)} samples in {name}",
        )
    if arr.shape[1] == 0:
        raise InputError(f"{name} has 0 features", remedy=f"pass at least one feature column in {name}")
    if arr.shape[0] < min_rows:
        raise InputError(
            f"{name} has {arr.shape[0]} samples but at least {min_rows} are needed",
            remedy=f"pass at least {min_rows} samples in {name}",
        )
    finite = np.isfinite(arr)
    if not finite.all():
        bad_rows = np.flatnonzero(~finite.all(axis=1))
        raise InputError(
            f"{name} contains NaN or infinite values in {bad_rows.size} row(s) (first: row {int(bad_rows[0])})",
            remedy=f"drop or impute the non-finite rows of {name} before computing metrics",
        )
    return np.ascontiguousarray(arr)


def check_same_dim(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    """Raise :class:`InputError` unless ``a`` and ``b`` have the same number of feature columns."""
    if a.shape[1] != b.shape[1]:
        raise InputError(
            f"{name_a} has {a.shape[1]} features but {name_b} has {b.shape[1]}",
            remedy="extract both feature matrices with the same feature extractor and settings",
        )


def check_k(k: object, n: int, name: str) -> int:
    """Validate a neighbour count ``k`` against a set of ``n`` samples (needs ``1 <= k < n``)."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise InputError(f"k must be a positive integer, got {k!r}", remedy="pass k as an int such as 5")
    k = int(k)
    if k < 1:
        raise InputError(f"k must be at least 1, got {k}", remedy="pass k >= 1 (the prdc authors use k = 5)")
    if k >= n:
        raise InputError(
            f"k = {k} must be smaller than the number of samples in {name} ({n})",
            remedy=f"use k <= {n - 1} or pass more samples in {name}",
        )
    return k


# ------------------------------------------------------------------------------------------------------- blocking
def auto_chunk_size(n_columns: int, *, memory_budget: int = DEFAULT_MEMORY_BUDGET) -> int:
    """Rows per distance block so that one block (with temporaries) fits in ``memory_budget`` bytes."""
    if memory_budget <= 0:
        raise InputError(f"memory_budget must be positive, got {memory_budget}", remedy="pass e.g. 256 * 2**20")
    return max(1, int(memory_budget // (max(n_columns, 1) * _BYTES_PER_ELEMENT)))


def _resolve_chunk(n_columns: int, chunk_size: int | None, memory_budget: int) -> int:
    if chunk_size is None:
        return auto_chunk_size(n_columns, memory_budget=memory_budget)
    if int(chunk_size) < 1:
        raise InputError(f"chunk_size must be at least 1, got {chunk_size}", remedy="pass None for automatic sizing")
    return int(chunk_size)


def sq_norms(x: np.ndarray) -> np.ndarray:
    """Row-wise squared norms (same reduction as scikit-learn's ``row_norms``)."""
    return np.einsum("ij,ij->i", x, x)


def sq_distance_blocks(
    queries: np.ndarray,
    reference: np.ndarray,
    *,
    chunk_size: int | None = None,
    memory_budget: int = DEFAULT_MEMORY_BUDGET,
    self_distances: bool = False,
) -> Iterator[tuple[int, int, np.ndarray]]:
    """Yield ``(start, stop, d2)`` with squared distances of ``queries[start:stop]`` to every reference row.

    ``d2`` is *not* clipped at 0 (rounding may make tiny values negative). With ``self_distances=True``
    (``queries`` is ``reference``) the self-distances on the diagonal are set to exactly 0, as scikit-learn does.
    """
    chunk = _resolve_chunk(reference.shape[0], chunk_size, memory_budget)
    q_sq = sq_norms(queries)
    r_sq = q_sq if self_distances else sq_norms(reference)
    for start in range(0, queries.shape[0], chunk):
        stop = min(start + chunk, queries.shape[0])
        block = queries[start:stop] @ reference.T
        block *= -2.0
        block += q_sq[start:stop, None]
        block += r_sq[None, :]
        if self_distances:
            rows = np.arange(stop - start)
            block[rows, rows + start] = 0.0
        yield start, stop, block


def strict_sq_thresholds(radii: np.ndarray) -> np.ndarray:
    """Per-radius thresholds ``t`` with ``sqrt(max(d2, 0)) < r  ⟺  d2 < t`` exactly in float64.

    ``t`` is the smallest double whose square root is ``>= r``. A radius of 0 gets ``-inf`` (no point is strictly
    inside a ball of radius 0).
    """
    r = np.asarray(radii, dtype=np.float64)
    t = r * r
    for _ in range(64):  # move up until sqrt(t) >= r
        low = np.sqrt(t) < r
        if not low.any():
            break
        t[low] = np.nextafter(t[low], np.inf)
    for _ in range(64):  # move down while the previous double still satisfies sqrt >= r
        prev = np.nextafter(t, -np.inf)
        still = (np.sqrt(np.maximum(prev, 0.0)) >= r) & (prev > 0)
        if not still.any():
            break
        t[still] = prev[still]
    t[r <= 0] = -np.inf
    return t


# ----------------------------------------------------------------------------------------------- neighbour queries
def kth_smallest_per_row(block: np.ndarray, k: int) -> np.ndarray:
    """The k-th smallest value of each row (1-based); ``block`` is overwritten.

    For small k, k−1 rounds of "remove the row minimum" (one ``argmin`` pass each, ~10× faster than
    ``np.partition`` on wide rows) followed by a row minimum; ties are removed one at a time, so the result is
    exactly the k-th order statistic. Large k falls back to ``np.partition``.
    """
    if k > 16:
        block.partition(k - 1, axis=1)
        return block[:, k - 1].copy()
    rows = np.arange(block.shape[0])
    for _ in range(k - 1):
        block[rows, np.argmin(block, axis=1)] = np.inf
    return block.min(axis=1)


def kth_neighbour_radii(
    x: np.ndarray,
    k: int,
    *,
    method: str = "auto",
    chunk_size: int | None = None,
    memory_budget: int = DEFAULT_MEMORY_BUDGET,
    n_threads: int | None = None,
) -> np.ndarray:
    """Distance of every row of ``x`` to its k-th nearest *other* row (prdc's ``k+1``-th including itself).

    ``method="blas"`` (the default behind ``"auto"``) computes blocks of squared distances with one matrix product
    each, excludes the row itself, and selects the k-th smallest (:func:`kth_smallest_per_row`); blocks are spread
    over ``n_threads`` threads (default up to 2) with preallocated buffers, so memory stays near ``memory_budget``.
    ``method="sklearn"`` uses scikit-learn's brute-force ``NearestNeighbors`` instead (same radii up to rounding).
    """
    n = x.shape[0]
    k = check_k(k, n, "the feature matrix")
    if method == "auto":
        method = "blas"
    if method == "sklearn":
        from sklearn.neighbors import NearestNeighbors

        nn = NearestNeighbors(n_neighbors=k, algorithm="brute", metric="euclidean").fit(x)
        dist, _ = nn.kneighbors()  # X=None: each point's own index is excluded
        return np.ascontiguousarray(dist[:, k - 1])
    if method != "blas":
        raise InputError(f"unknown k-NN method {method!r}", remedy="use 'auto', 'sklearn' or 'blas'")
    if n_threads is None:
        n_threads = max(1, min(2, os.cpu_count() or 1))
    chunk = _resolve_chunk(n, chunk_size, max(1, memory_budget // n_threads))
    sq = sq_norms(x)
    x_m2 = x * -2.0
    x_t = x.T
    radii = np.empty(n)
    starts = list(range(0, n, chunk))

    def work(worker: int) -> None:
        buf = np.empty((min(chunk, n), n))
        for start in starts[worker::n_threads]:
            stop = min(start + chunk, n)
            m = stop - start
            d2 = np.matmul(x_m2[start:stop], x_t, out=buf[:m])
            d2 += sq[start:stop, None]
            d2 += sq[None, :]
            rows = np.arange(m)
            d2[rows, rows + start] = np.inf  # exclude self
            radii[start:stop] = np.sqrt(np.maximum(kth_smallest_per_row(d2, k), 0.0))

    run_workers(work, n_threads, len(starts))
    return radii


def nearest_neighbours(
    queries: np.ndarray,
    reference: np.ndarray,
    k: int = 1,
    *,
    exclude_self: bool = False,
    chunk_size: int | None = None,
    memory_budget: int = DEFAULT_MEMORY_BUDGET,
    backend: str = "auto",
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest reference rows of every query row: ``(distances, indices)``, each ``n_queries × k``.

    Exact, through :func:`misyn_lab.metrics.neighbours.knn_search` (faiss when installed, chunked NumPy
    otherwise; ``backend`` picks one): distances are ``‖q − r‖`` computed from the differences (near-copies get
    distance ~0, not the rounding noise of the BLAS formula), sorted, ties broken by the lower reference index,
    identically on every backend. ``exclude_self=True`` means ``queries`` *is* ``reference`` and each row's own
    index is skipped (duplicates elsewhere still count). ``chunk_size`` (query rows per block) or
    ``memory_budget`` bound the working memory of the NumPy backend.
    """
    limit = reference.shape[0] - (1 if exclude_self else 0)
    k = check_k(k, limit + 1, "the reference set")
    if chunk_size is not None:
        memory_budget = _resolve_chunk(reference.shape[0], chunk_size, memory_budget) * reference.shape[0] * 16
    dist, idx, _ = knn_search(np.ascontiguousarray(queries, dtype=np.float64),
                              np.ascontiguousarray(reference, dtype=np.float64), k, exclude_self=exclude_self,
                              backend=backend, memory_budget=memory_budget)
    return dist, idx


# ------------------------------------------------------------------------------------------- one pass for PRDC
@dataclass
class CrossBallStats:
    """Everything PRDC needs from the real × fake distances, gathered in one chunked pass.

    Attributes
    ----------
    fake_ball_count:
        Per fake: number of real balls containing it (precision: > 0; density: mean / k).
    real_covered:
        Per real: some fake lies strictly inside its own ball (coverage).
    real_in_fake_balls:
        Per real: it lies inside some fake ball (recall); all False when fake radii were not given.
    fake_nearest_real:
        Per fake: index of its nearest real sample.
    fake_nearest_real_dist:
        Per fake: exact distance to that real sample.
    fake_in_real_pairs:
        Optional ``(fake_idx, real_idx)`` arrays of every "fake inside real ball" pair (for bootstrap).
    """

    fake_ball_count: np.ndarray
    real_covered: np.ndarray
    real_in_fake_balls: np.ndarray
    fake_nearest_real: np.ndarray
    fake_nearest_real_dist: np.ndarray
    fake_in_real_pairs: tuple[np.ndarray, np.ndarray] | None = None


def run_workers(work: Callable[[int], Any], n_threads: int, n_blocks: int) -> list[Any]:
    """``work(i)`` for each worker ``i`` of ``n_threads`` (worker ``i`` takes blocks ``i, i + n_threads, ...``),
    on a thread pool unless one thread or one block; the outputs in worker order."""
    if n_threads == 1 or n_blocks == 1:
        return [work(0)]
    with ThreadPoolExecutor(max_workers=n_threads) as pool:
        return list(pool.map(work, range(n_threads)))


def _merge_pairs(outputs: list[Any], max_pairs: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The "fake inside real ball" pairs gathered by every worker, or ``None`` once more than ``max_pairs``."""
    if not all(o[2] is not None for o in outputs) or sum(o[3] for o in outputs) > max_pairs:
        return None
    parts = [p for o in outputs for p in o[2]]
    if not parts:
        return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp)
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def cross_ball_stats(
    real: np.ndarray,
    fake: np.ndarray,
    real_radii: np.ndarray,
    fake_radii: np.ndarray | None,
    *,
    chunk_size: int | None = None,
    memory_budget: int = DEFAULT_MEMORY_BUDGET,
    collect_pairs: bool = False,
    max_pairs: int = 20_000_000,
    n_threads: int | None = None,
) -> CrossBallStats:
    """One chunked pass over the real × fake distances computing per-sample ball memberships.

    Blocks hold ``chunk`` fake rows × all real columns and are processed by ``n_threads`` worker threads (default:
    up to 2; numpy and BLAS release the GIL), each with its own preallocated buffers, so peak memory is about
    ``memory_budget`` whatever N is. Squared distances are summed in prdc's order ``(-2·f·r + |r|²) + |f|²``
    (scaling by -2 is exact in floating point). ``collect_pairs`` also records the sparse "fake inside real ball"
    pairs (used to bootstrap density without recomputing distances); collection stops (pairs become ``None``)
    once more than ``max_pairs`` were found.
    """
    t_real = strict_sq_thresholds(real_radii)
    t_fake = None if fake_radii is None else strict_sq_thresholds(fake_radii)
    n_real, n_fake = real.shape[0], fake.shape[0]
    if n_threads is None:
        n_threads = max(1, min(2, os.cpu_count() or 1))
    chunk = _resolve_chunk(real.shape[0], chunk_size, max(1, memory_budget // n_threads))
    r_sq = sq_norms(real)
    f_sq = sq_norms(fake)
    fake_m2 = fake * -2.0
    real_t = real.T
    counts = np.empty(n_fake, dtype=np.int64)
    nearest = np.empty(n_fake, dtype=np.intp)
    starts = list(range(0, n_fake, chunk))

    def work(worker: int) -> tuple[np.ndarray, np.ndarray, list[tuple[np.ndarray, np.ndarray]] | None, int]:
        covered = np.zeros(n_real, dtype=bool)
        in_fake = np.zeros(n_real, dtype=bool)
        pairs: list[tuple[np.ndarray, np.ndarray]] | None = [] if collect_pairs else None
        n_pairs = 0
        rows = min(chunk, n_fake)
        d2_buf = np.empty((rows, n_real))
        in_buf = np.empty((rows, n_real), dtype=bool)
        for start in starts[worker::n_threads]:
            stop = min(start + chunk, n_fake)
            m = stop - start
            d2 = np.matmul(fake_m2[start:stop], real_t, out=d2_buf[:m])
            d2 += r_sq[None, :]
            d2 += f_sq[start:stop, None]
            inside = np.less(d2, t_real[None, :], out=in_buf[:m])  # fake (row) inside real ball (column)
            counts[start:stop] = np.add.reduce(inside.view(np.uint8), axis=1, dtype=np.int64)
            covered |= inside.any(axis=0)
            if pairs is not None:
                f_idx, r_idx = np.nonzero(inside)
                pairs.append((f_idx + start, r_idx))
                n_pairs += f_idx.size
                if n_pairs > max_pairs:
                    pairs = None
            if t_fake is not None:
                real_inside = np.less(d2, t_fake[start:stop, None], out=in_buf[:m])  # real inside fake ball
                in_fake |= real_inside.any(axis=0)
            nearest[start:stop] = np.argmin(d2, axis=1)
        return covered, in_fake, pairs, n_pairs

    outputs = run_workers(work, n_threads, len(starts))
    covered = np.logical_or.reduce([o[0] for o in outputs])
    in_fake = np.logical_or.reduce([o[1] for o in outputs])
    fr_pairs = _merge_pairs(outputs, max_pairs) if collect_pairs else None
    diff = fake - real[nearest]
    nearest_dist = np.sqrt(np.einsum("ij,ij->i", diff, diff))
    return CrossBallStats(
        fake_ball_count=counts,
        real_covered=covered,
        real_in_fake_balls=in_fake,
        fake_nearest_real=nearest,
        fake_nearest_real_dist=nearest_dist,
        fake_in_real_pairs=fr_pairs,
    )
