"""Exact nearest-neighbour search on a library (faiss when installed, chunked NumPy otherwise), same answers.

What "the k nearest" means here, whatever the backend (the *canonical* answer):

* the distance of a query ``q`` to a reference row ``r`` is ``sqrt(Σ (q − r)²)`` computed in float64 from the
  differences (:func:`exact_sq`, one fixed reduction per pair, so a pair always gets the same value);
* neighbours are ordered by that distance, ties by the lower reference index;
* ``exclude_self`` (queries *are* the reference) skips each row's own index, not its duplicates.

Backends find *candidates* fast and are then checked, so every backend returns the canonical answer:

* ``"faiss"``: ``faiss.IndexFlatL2`` (exact, brute force, float32 BLAS) on centred data, asked for
  ``k + 1`` neighbours; ``pip install "misyn-lab[scale]"``;
* ``"numpy"``: blocks of float32 BLAS squared distances (``-2·q·r + |q|² + |r|²``) on centred data, memory
  bounded by ``memory_budget``, ``k + 1`` smallest per row;
* ``"auto"``: faiss when it is importable, else numpy; except :func:`cross_nearest` (both directions between two
  sets), where ``"auto"`` is the fused NumPy pass: one pass instead of two searches.

Certification: the candidates' canonical distances are computed and sorted; the answer is certified when the
largest candidate's *approximate* squared distance, minus a rigorous bound on the rounding error of the
approximate formula (float32 or float64, the input conversion and the canonical reduction), still exceeds the
k-th canonical squared distance: then no other row can be as close. Rows that cannot be certified (exact or
near ties, e.g. many duplicates) are searched again exactly over every reference row. Results are therefore
identical across backends, including ties (tested on integer lattices full of ties).

Approximate search exists only behind ``approximate=True`` (faiss ``IndexIVFFlat``); it then measures and
reports its recall against the exact search on a seeded sample of queries (:class:`SearchInfo`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from misyn_lab.errors import InputError

BACKENDS = ("auto", "faiss", "numpy")
#: Extra candidates asked of faiss beyond k: the (k+1)-th approximate distance is what certifies the k-th (more
#: makes faiss' heap slower and rarely saves an exact re-search).
EXTRA = 1
#: Default working memory of one distance block (bytes).
BLOCK_BUDGET = 256 * 2**20
#: Queries the recall of an approximate search is measured on (a seeded random sample).
RECALL_SAMPLE = 1000
_U64 = 2.0**-53
_U32 = 2.0**-24
_SAFETY = 2.0
_EXTRA_NAME = 'pip install "misyn-lab[scale]"'


@dataclass(frozen=True)
class SearchInfo:
    """How a neighbour search ran: backend, exact or approximate, measured recall, exact re-searches."""

    backend: str
    approximate: bool = False
    recall: float | None = None
    recall_queries: int = 0
    recertified_rows: int = 0

    def to_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        if not self.approximate:
            return f"exact k-NN ({self.backend})"
        return (f"APPROXIMATE k-NN ({self.backend}), recall {self.recall:.3f} measured against exact search on "
                f"{self.recall_queries:,} queries")


def have_faiss() -> bool:
    """True when faiss can be imported."""
    try:
        import faiss  # noqa: F401
    except ImportError:
        return False
    return True


def resolve_backend(backend: str) -> str:
    """``"faiss"`` or ``"numpy"`` for a requested backend; InputError for unknown names or missing faiss."""
    if backend not in BACKENDS:
        raise InputError(f"unknown k-NN backend {backend!r}", path="knn_backend",
                         remedy=f"use one of {list(BACKENDS)}")
    if backend == "auto":
        return "faiss" if have_faiss() else "numpy"
    if backend == "faiss" and not have_faiss():
        raise InputError("k-NN backend 'faiss' asked for but faiss is not installed", path="knn_backend",
                         remedy=f"{_EXTRA_NAME}, or use knn_backend='numpy'")
    return backend


# ---------------------------------------------------------------------------------------------- canonical distances
def exact_sq(q_rows: np.ndarray, r_rows: np.ndarray) -> np.ndarray:
    """Canonical squared distances of row-aligned pairs: ``Σ (q − r)²`` per row, in float64."""
    diff = q_rows - r_rows
    return np.einsum("ij,ij->i", diff, diff)


def _row_norms(x: np.ndarray) -> np.ndarray:
    return np.sqrt(np.einsum("ij,ij->i", x, x))


def _error_bound(q_norm: np.ndarray, r_norm_max: float, d: int, unit: float) -> np.ndarray:
    """Bound on |approximate − true| squared distance for the norm formula in precision ``unit`` (incl. the
    conversion of the inputs to that precision)."""
    return _SAFETY * unit * (d + 4) * (q_norm + r_norm_max) ** 2


def _approx_error(q: np.ndarray, r: np.ndarray, q_c: np.ndarray, r_c: np.ndarray) -> np.ndarray:
    """Per query: bound on |float32 squared distance of the centred pair − canonical squared distance| (float32
    conversion and BLAS formula on the centred data, float64 centring and the canonical reduction)."""
    d = q.shape[1]
    return (_error_bound(_row_norms(q_c), float(_row_norms(r_c).max()), d, _U32)
            + _error_bound(_row_norms(q), float(_row_norms(r).max()), d, 4 * _U64))


def _order(vals: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort each row by (value, index)."""
    order = np.lexsort((idx, vals), axis=-1)
    return np.take_along_axis(vals, order, axis=-1), np.take_along_axis(idx, order, axis=-1)


def _exact_rows(queries: np.ndarray, reference: np.ndarray, rows: np.ndarray, k: int,
                exclude_self: bool) -> tuple[np.ndarray, np.ndarray]:
    """Canonical top-k of the given query rows, over every reference row (the fallback)."""
    out_v = np.empty((len(rows), k))
    out_i = np.empty((len(rows), k), dtype=np.intp)
    all_idx = np.arange(len(reference), dtype=np.intp)
    for j, row in enumerate(rows):
        vals = exact_sq(reference, queries[row][None, :])
        if exclude_self:
            vals[row] = np.inf
        part = np.argpartition(vals, k - 1)[:k] if k < len(vals) else all_idx
        kth = vals[part].max()
        pick = np.flatnonzero(vals <= kth)  # every row tied with the k-th, so ties resolve by index
        v, i = _order(vals[pick], pick)
        out_v[j], out_i[j] = v[:k], i[:k]
    return out_v, out_i


def _certify(queries: np.ndarray, reference: np.ndarray, cand_idx: np.ndarray, bound: np.ndarray,
             err: np.ndarray, k: int, exclude_self: bool) -> tuple[np.ndarray, np.ndarray, int]:
    """Canonical top-k from candidate indices (``-1`` = none); rows failing the certificate are redone exactly.

    ``bound[i]``: a value every non-candidate's approximate squared distance reaches (``inf`` when every
    reference row is a candidate); ``err[i]``: the rounding bound of approximate plus canonical distances.
    """
    n, m = cand_idx.shape
    valid = cand_idx >= 0
    safe = np.where(valid, cand_idx, 0)
    vals = np.empty((n, m))
    for j in range(m):
        vals[:, j] = exact_sq(queries, reference[safe[:, j]])
    vals[~valid] = np.inf
    vals, idx = _order(vals, np.where(valid, cand_idx, np.iinfo(np.intp).max))
    top_v, top_i = vals[:, :k].copy(), idx[:, :k].copy()
    ok = (bound - err > top_v[:, k - 1]) & np.isfinite(top_v[:, k - 1])
    redo = np.flatnonzero(~ok)
    if len(redo):
        top_v[redo], top_i[redo] = _exact_rows(queries, reference, redo, k, exclude_self)
    return np.sqrt(top_v), top_i, int(len(redo))


# ------------------------------------------------------------------------------------------------ candidate search
def _smallest(block: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``m`` smallest values of each row (any order) and their columns; ``block`` is overwritten."""
    if m >= block.shape[1]:
        idx = np.broadcast_to(np.arange(block.shape[1]), block.shape).copy()
        return block.copy(), idx
    if m <= 3:
        rows = np.arange(block.shape[0])
        idx = np.empty((block.shape[0], m), dtype=np.intp)
        vals = np.empty((block.shape[0], m), dtype=block.dtype)
        for j in range(m):
            idx[:, j] = np.argmin(block, axis=1)
            vals[:, j] = block[rows, idx[:, j]]
            block[rows, idx[:, j]] = np.inf
        return vals, idx
    idx = np.argpartition(block, m - 1, axis=1)[:, :m]
    return np.take_along_axis(block, idx, axis=1), idx


def _sq_block(q: np.ndarray, q_sq: np.ndarray, ref_t: np.ndarray, r_sq: np.ndarray) -> np.ndarray:
    """Squared distances of a block of query rows to every reference column, ``-2·q·r + |q|² + |r|²`` (BLAS)."""
    block = q @ ref_t
    block *= -2.0
    block += q_sq[:, None]
    block += r_sq[None, :]
    return block


def _rows_per_block(n_columns: int, memory_budget: int) -> int:
    return max(1, int(memory_budget // (max(n_columns, 1) * 16)))


def _numpy_candidates(queries: np.ndarray, reference: np.ndarray, m: int, exclude_self: bool,
                      memory_budget: int) -> tuple[np.ndarray, np.ndarray]:
    """``m`` smallest float32-BLAS squared distances per query (values and indices, unsorted); the inputs are
    expected centred and float32."""
    n, nr = len(queries), len(reference)
    q_sq = np.einsum("ij,ij->i", queries, queries)
    r_sq = q_sq if exclude_self else np.einsum("ij,ij->i", reference, reference)
    ref_t = np.ascontiguousarray(reference.T)
    m_eff = min(m, nr)
    vals = np.empty((n, m_eff), dtype=np.float32)
    idx = np.empty((n, m_eff), dtype=np.intp)
    step = _rows_per_block(nr, memory_budget)
    for start in range(0, n, step):
        stop = min(n, start + step)
        block = _sq_block(queries[start:stop], q_sq[start:stop], ref_t, r_sq)
        if exclude_self:
            rows = np.arange(stop - start)
            block[rows, rows + start] = np.inf
        vals[start:stop], idx[start:stop] = _smallest(block, m_eff)
    return vals, idx


def _faiss_index(reference: np.ndarray, approximate: bool, seed: int):
    import faiss

    d = reference.shape[1]
    ref32 = np.ascontiguousarray(reference, dtype=np.float32)
    if not approximate:
        index = faiss.IndexFlatL2(d)
        index.add(ref32)
        return index
    n = len(reference)
    nlist = int(max(1, min(4 * np.sqrt(n), n // 39)))
    quantiser = faiss.IndexFlatL2(d)
    index = faiss.IndexIVFFlat(quantiser, d, nlist)
    index.cp.seed = int(seed)
    index.train(ref32)
    index.add(ref32)
    index.nprobe = max(1, min(nlist, 16))
    return index


def _faiss_search(index, queries: np.ndarray, m: int, exclude_self: bool) -> tuple[np.ndarray, np.ndarray]:
    """``m`` nearest per query from a faiss index (self dropped when ``exclude_self``); ``-1`` = no result."""
    want = m + (1 if exclude_self else 0)
    want = min(want, index.ntotal)
    vals, idx = index.search(np.ascontiguousarray(queries, dtype=np.float32), want)
    vals = vals.astype(np.float64)
    idx = idx.astype(np.intp)
    if exclude_self:
        own = idx == np.arange(len(queries))[:, None]
        # drop the row's own index, or the last column when it was not returned
        drop = np.where(own.any(axis=1), own.argmax(axis=1), want - 1)
        keep = np.ones(idx.shape, dtype=bool)
        keep[np.arange(len(queries)), drop] = False
        vals = vals[keep].reshape(len(queries), want - 1)
        idx = idx[keep].reshape(len(queries), want - 1)
    vals[idx < 0] = np.inf
    return vals, idx


# --------------------------------------------------------------------------------------------------------- searches
def knn_search(queries: np.ndarray, reference: np.ndarray, k: int = 1, *, exclude_self: bool = False,
               backend: str = "auto", approximate: bool = False, memory_budget: int = BLOCK_BUDGET,
               seed: int = 0) -> tuple[np.ndarray, np.ndarray, SearchInfo]:
    """The canonical ``k`` nearest reference rows of every query row: ``(distances, indices, info)``.

    Inputs are C-contiguous float64 matrices (validated by the caller); ``k`` must be below the number of
    available reference rows. ``approximate=True`` uses faiss' IVF index (needs faiss) and measures its recall
    on up to :data:`RECALL_SAMPLE` queries against the exact search; never the default.
    """
    n_avail = len(reference) - (1 if exclude_self else 0)
    if k > n_avail:
        raise InputError(f"k = {k} but only {n_avail} reference rows", path="knn_search",
                         remedy="pass a smaller k or more reference rows")
    name = resolve_backend(backend)
    if approximate:
        if not have_faiss():
            raise InputError("approximate k-NN needs faiss", path="approximate",
                             remedy=f"{_EXTRA_NAME}, or search exactly (approximate=False)")
        return _approximate(queries, reference, k, exclude_self=exclude_self, seed=seed,
                            memory_budget=memory_budget)
    mu = reference.mean(axis=0)
    q_c, r_c = queries - mu, reference - mu
    err = _approx_error(queries, reference, q_c, r_c)
    if name == "faiss":
        m = min(k + EXTRA, n_avail)
        vals, idx = _faiss_search(_faiss_index(r_c, False, seed), q_c, m, exclude_self)
    else:
        m = min(k + 1, n_avail)
        q32 = np.ascontiguousarray(q_c, dtype=np.float32)
        vals, idx = _numpy_candidates(q32, q32 if exclude_self else np.ascontiguousarray(r_c, dtype=np.float32),
                                      m, exclude_self, memory_budget)
    bound = np.inf if m >= n_avail else np.where(idx.min(axis=1) >= 0, vals.max(axis=1), -np.inf)
    bound = np.broadcast_to(bound, (len(queries),))
    dist, ind, redone = _certify(queries, reference, idx, bound, err, k, exclude_self)
    return dist, ind, SearchInfo(name, recertified_rows=redone)


def _approximate(queries: np.ndarray, reference: np.ndarray, k: int, *, exclude_self: bool, seed: int,
                 memory_budget: int) -> tuple[np.ndarray, np.ndarray, SearchInfo]:
    mu = reference.mean(axis=0)
    index = _faiss_index(reference - mu, True, seed)
    _, idx = _faiss_search(index, queries - mu, k, exclude_self)
    valid = idx >= 0
    vals = np.full(idx.shape, np.inf)
    for j in range(idx.shape[1]):
        ok = valid[:, j]
        vals[ok, j] = exact_sq(queries[ok], reference[idx[ok, j]])
    vals, idx = _order(vals, np.where(valid, idx, np.iinfo(np.intp).max))
    short = np.flatnonzero(~np.isfinite(vals[:, k - 1]))  # the probed lists held fewer than k rows
    if len(short):
        vals[short], idx[short] = _exact_rows(queries, reference, short, k, exclude_self)
    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(len(queries), size=min(RECALL_SAMPLE, len(queries)), replace=False))
    exact_v, _ = _exact_rows(queries, reference, sample, k, exclude_self)
    # tie-robust recall: share of the k returned neighbours no farther than the exact k-th neighbour
    kth = exact_v[:, k - 1][:, None]
    recall = float(np.mean(vals[sample] <= kth))
    return np.sqrt(vals), idx, SearchInfo("faiss-ivf", approximate=True, recall=recall,
                                          recall_queries=int(len(sample)))


def cross_nearest(a: np.ndarray, b: np.ndarray, *, backend: str = "auto", approximate: bool = False,
                  memory_budget: int = BLOCK_BUDGET, seed: int = 0
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, SearchInfo]:
    """Nearest ``b`` row of every ``a`` row AND nearest ``a`` row of every ``b`` row, canonical (k = 1).

    Returns ``(a_dist, a_idx, b_dist, b_idx, info)``. ``"auto"`` and ``"numpy"`` get both directions from ONE
    pass over the ``a × b`` float32 distance blocks (row and column minima of each block, then certified), which
    does half the arithmetic of two faiss searches; ``"faiss"`` runs the two searches.
    """
    name = resolve_backend(backend)
    if approximate or backend == "faiss":
        ad, ai, info = knn_search(a, b, 1, backend=name, approximate=approximate, memory_budget=memory_budget,
                                  seed=seed)
        bd, bi, info2 = knn_search(b, a, 1, backend=name, approximate=approximate, memory_budget=memory_budget,
                                   seed=seed)
        if approximate:
            n = info.recall_queries + info2.recall_queries
            recall = (info.recall * info.recall_queries + info2.recall * info2.recall_queries) / n
            info = SearchInfo(info.backend, True, recall, n)
        else:
            info = SearchInfo(name, recertified_rows=info.recertified_rows + info2.recertified_rows)
        return ad[:, 0], ai[:, 0], bd[:, 0], bi[:, 0], info
    na, nb = len(a), len(b)
    mu = b.mean(axis=0)
    a_c, b_c = a - mu, b - mu
    err_a = _approx_error(a, b, a_c, b_c)
    err_b = _approx_error(b, a, b_c, a_c)
    a32 = np.ascontiguousarray(a_c, dtype=np.float32)
    a_sq = np.einsum("ij,ij->i", a32, a32)
    b32 = np.ascontiguousarray(b_c, dtype=np.float32)
    b_sq = np.einsum("ij,ij->i", b32, b32)
    b_t = np.ascontiguousarray(b32.T)
    # per a row: nearest b column and the second-smallest value (what every other column reaches)
    a_idx = np.empty((na, 1), dtype=np.intp)
    a_bound = np.empty(na, dtype=np.float32)
    cols = _ColumnMinima(nb)
    step = _rows_per_block(nb, memory_budget)
    for start in range(0, na, step):
        stop = min(na, start + step)
        block = _sq_block(a32[start:stop], a_sq[start:stop], b_t, b_sq)
        cols.add(block, start)
        rows = np.arange(stop - start)
        best = np.argmin(block, axis=1)
        a_idx[start:stop, 0] = best
        block[rows, best] = np.inf
        a_bound[start:stop] = block.min(axis=1) if nb > 1 else np.inf
    bound_a = a_bound.astype(np.float64)
    bound_b = cols.second.astype(np.float64) if na > 1 else np.full(nb, np.inf)
    ad, ai, ra = _certify(a, b, a_idx, bound_a, err_a, 1, False)
    bd, bi, rb = _certify(b, a, cols.index[:, None].copy(), bound_b, err_b, 1, False)
    return ad[:, 0], ai[:, 0], bd[:, 0], bi[:, 0], SearchInfo("numpy", recertified_rows=ra + rb)


class _ColumnMinima:
    """Running smallest value, its row (the first on ties) and the second-smallest value of every column, over
    blocks of rows. Works on tiles of rows with elementwise minima: NumPy's argmin along axis 0 is an order of
    magnitude slower than along axis 1, and an index is only looked for where a tile improves the minimum."""

    TILE = 64

    def __init__(self, n_columns: int):
        self.first = np.full(n_columns, np.inf, dtype=np.float32)
        self.second = np.full(n_columns, np.inf, dtype=np.float32)
        self.index = np.full(n_columns, -1, dtype=np.intp)

    def add(self, block: np.ndarray, row0: int) -> None:
        for t0 in range(0, len(block), self.TILE):
            tile = block[t0:t0 + self.TILE]
            t1 = tile.min(axis=0)
            at_min = tile == t1
            t2 = np.where(at_min, np.inf, tile).min(axis=0)
            t2 = np.where(at_min.sum(axis=0) >= 2, t1, t2)  # a tie inside the tile
            better = t1 < self.first  # strict: on a tie the earlier row keeps it
            self.second = np.where(better, np.minimum(self.first, t2), np.minimum(self.second, t1))
            if better.any():
                cols = np.flatnonzero(better)
                self.index[cols] = np.argmin(tile[:, cols], axis=0) + row0 + t0
                self.first[cols] = t1[cols]
