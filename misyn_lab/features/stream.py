"""Features of large image collections, chunk by chunk, in this process or on Dask.

:func:`extract_table` computes the feature families of an :class:`~misyn_lab.imagesets.files.ImageFiles`
(file-backed) or an :class:`~misyn_lab.imagesets.core.ImageSet` chunk by chunk, so memory is bounded by one chunk
(plus the N×D feature values), never by N. Each chunk is one task for :mod:`misyn_lab.engine`: ``scheduler=None``
runs here, ``"processes"`` or ``"local"`` on worker processes of this machine, an address on a Dask cluster;
results come back in chunk order and are identical whichever way they ran (and identical to
:func:`~.extract.extract_features` on the same images in memory: features are computed per image).

The PCA embedding is fitted on a **deterministic sample**, exactly as :meth:`PCAEmbedding.fit` does in memory:
the same seeded ``max_fit`` positions among the N (training) images, the same prepared rows, the same randomised
SVD, so the file-backed embedding equals the in-memory one (tested). Because N is only known once the files have
been read, the sample is first *guessed* from the number of files (one image per file, the usual case): the
first pass computes the other families and returns the prepared rows of the guessed sample, the second the
embedding coordinates of every image. When the guess fails (multi-frame files, skipped files) a pass reading
only the sampled images is added in between. With an embedding given (e.g. the real set's, for its synthetic
counterpart) one pass does everything.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from misyn_lab.engine import Engine, using
from misyn_lab.errors import InputError
from misyn_lab.features.embedding import PCAEmbedding, fit_positions, prepare_rows
from misyn_lab.features.extract import _families, _names, _run_batches, extract_features
from misyn_lab.features.matrix import FeatureMatrix, hstack
from misyn_lab.features.table import FeatureTable
from misyn_lab.imagesets.core import ImageSet
from misyn_lab.imagesets.files import ChunkChecker, ChunkInfo, ChunkSpec, ImageFiles, read_chunk, split_positions

#: Images per chunk when an in-memory ImageSet is sent to Dask workers.
IMAGESET_CHUNK = 256
Source = ImageSet | ImageFiles


def _chunk_images(item: ChunkSpec | ImageSet) -> tuple[ImageSet | None, ChunkInfo]:
    if isinstance(item, ChunkSpec):
        chunk = read_chunk(item)
        return chunk.images, chunk.info
    n = len(item)
    return item, ChunkInfo(n, item.image_shape, item.is_colour, item.meta, item.ids, [""] * n, [], 0)


def chunk_features(item: Any, *, families: Sequence[str] = (), levels: int = 32,
                   embedding: PCAEmbedding | None = None, batch_size: int = 256,
                   rows_size: tuple[int, int] | None = None) -> tuple[ChunkInfo, dict[str, np.ndarray], Any]:
    """Read one chunk (or take an in-memory chunk) and compute the feature families (a Dask task).

    ``item`` is a :class:`ChunkSpec`, an ImageSet, or ``(either, positions)``: then the prepared embedding rows
    (at ``rows_size``) of the images at those positions come back too, so the embedding sample is gathered in
    the same pass. Returns ``(info, {family: values}, rows or None)``.
    """
    positions = None
    if isinstance(item, tuple):
        item, positions = item
    images, info = _chunk_images(item)
    values: dict[str, np.ndarray] = {}
    rows = None
    if images is not None:
        for family in families:
            values[family] = _run_batches(family, images, batch_size=batch_size, show=False, levels=levels,
                                          embedding=embedding)
        if positions is not None and rows_size is not None:
            keep = np.asarray(positions, dtype=int)
            keep = keep[keep < len(images)]
            rows = prepare_rows(images.images[keep], rows_size) if len(keep) else None
    return info, values, rows


def chunk_rows(item: ChunkSpec | ImageSet, *, positions: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Prepared embedding rows of the images at ``positions`` of one chunk (a Dask task)."""
    images, _ = _chunk_images(item)
    if images is None or not len(positions):
        return np.zeros((0, size[0] * size[1]), np.float32)
    return prepare_rows(images.images[np.asarray(positions, dtype=int)], size)


def _items(source: Source, chunk_size: int | None) -> list[Any]:
    if isinstance(source, ImageFiles):
        return source.specs(chunk_size)
    step = int(chunk_size or IMAGESET_CHUNK)
    return [source.take(np.arange(i, min(len(source), i + step))) for i in range(0, len(source), step)]


class _Pass:
    """One pass over the chunks: results in order, set-wide rules checked, optional progress bar."""

    def __init__(self, source: Source, engine: Engine, items: list[Any], desc: str, show: bool):
        self.source, self.engine, self.items, self.desc, self.show = source, engine, items, desc, show

    def run(self, func: Callable[..., Any], shared: dict[str, Any], items: list[Any] | None = None) -> list[Any]:
        todo = self.items if items is None else items
        bar: Any = None
        if self.show:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(todo), desc=self.desc, unit="chunk")
        try:
            return self.engine.map(func, todo, shared=shared,
                                   progress=None if bar is None else (lambda _i, _r: bar.update()))
        finally:
            if bar is not None:
                bar.close()


def _files_hash(source: ImageFiles, ids: list[str], sha: list[str]) -> str:
    h = hashlib.sha256()
    h.update(repr(sorted((k, v) for k, v in source.options.items() if k != "on_error")).encode())
    for i, s in zip(ids, sha):
        h.update(f"{i}\x00{s}\n".encode())
    return h.hexdigest()


def extract_table(source: Source, kind: str | Sequence[str] = "intensity+texture", *,
                  embedding: PCAEmbedding | None = None, fit_embedding: bool = False, n_components: int = 16,
                  embedding_size: tuple[int, int] | None = None, max_fit: int = 2000, seed: int = 0,
                  holdout: float | None = None, levels: int = 32, batch_size: int = 256,
                  chunk_size: int | None = None, scheduler: str | Engine | None = None,
                  progress: bool | None = None) -> FeatureTable:
    """Features of ``source`` (file-backed or in memory), computed chunk by chunk, with one metadata row per image.

    Parameters
    ----------
    source : ImageFiles or ImageSet
        The images.
    kind : str or sequence of str, optional
        Feature families as for :func:`~misyn_lab.features.extract_features` (``"intensity+texture+embedding"``
        ...).
    embedding : PCAEmbedding, optional
        A fitted embedding to apply (e.g. the real set's).
    fit_embedding : bool, optional
        Fit an embedding here on the (training) images, with ``n_components``, ``embedding_size`` (default: the
        image size capped at 64×64), ``max_fit`` and ``seed`` as in :meth:`PCAEmbedding.fit`.
    n_components, embedding_size, max_fit, seed
        Options of the fitted embedding (``seed`` also seeds ``holdout``).
    holdout : float, optional
        A share of the images (seeded by ``seed``, the rule of ``workbook.split_real``) marked ``"held-out"`` in a
        ``split`` column, the rest ``"train"``; a fitted embedding then sees the training images only.
    levels : int, optional
        Grey levels for the GLCM (texture).
    batch_size : int, optional
        Images per batch within a chunk.
    chunk_size : int, optional
        Files (or in-memory images) per chunk; default: about 16 MiB of pixels per chunk.
    scheduler : str or Engine, optional
        Where chunks run (:mod:`misyn_lab.engine`): ``None``, ``"local"``, an address or an Engine.
    progress : bool, optional
        Show a progress bar per pass.

    Returns
    -------
    FeatureTable
        Features, metadata (with ``split`` when ``holdout`` is given), the embedding used and skipped files.

    Raises
    ------
    InputError
        An empty set, ``"embedding"`` without an embedding, or fitting an embedding on synthetic images.

    Examples
    --------
    >>> import numpy as np
    >>> from misyn_lab.imagesets import ImageSet
    >>> rng = np.random.default_rng(0)
    >>> real = ImageSet.from_arrays(rng.random((20, 16, 16)), name="real")
    >>> table = extract_table(real, "intensity+embedding", fit_embedding=True, n_components=3, holdout=0.25)
    >>> table.features.values.shape, table.meta["split"].value_counts().to_dict()
    ((20, 31), {'train': 15, 'held-out': 5})
    """
    families = _check_request(source, kind, embedding, fit_embedding)
    if fit_embedding:
        embedding = None
    show = bool(progress) if progress is not None else False
    items = _items(source, chunk_size)
    with using(scheduler) as engine:
        run = _Pass(source, engine, items, f"features {source.name}", show)
        first = [f for f in families if f != "embedding" or embedding is not None]
        fitting = "embedding" in families and embedding is None
        guess = _guess_sample(source, items, seed=seed, holdout=holdout, max_fit=max_fit,
                              size=embedding_size) if fitting else None
        work = [(item, pos) for item, pos in zip(items, guess[0])] if guess else items
        results = run.run(chunk_features, {"families": first, "levels": int(levels), "embedding": embedding,
                                           "batch_size": int(batch_size),
                                           "rows_size": guess[1] if guess else None}, items=work)
        meta, ids, skipped, source_hash = _gather_meta(source, results)
        n = len(ids)
        values = {f: np.vstack([v[f] for _, v, _ in results if f in v]) for f in first}
        train_pos = _mark_split(meta, n, seed=seed, holdout=holdout)
        if fitting:
            one_each = all(info.n == _files_in(item) for (info, _, _), item in zip(results, items))
            gathered = None
            if guess is not None and one_each and n == sum(_files_in(item) for item in items):
                gathered = [r for _, _, r in results if r is not None]  # the guessed sample was the sample
            embedding = _fit(run, results, train_pos, source, source_hash, n_components=n_components,
                             size=embedding_size, max_fit=max_fit, seed=seed, holdout=holdout, gathered=gathered)
            last = run.run(chunk_features, {"families": ["embedding"], "levels": int(levels),
                                            "embedding": embedding, "batch_size": int(batch_size)})
            values["embedding"] = np.vstack([v["embedding"] for _, v, _ in last if "embedding" in v])
    colour = next((bool(info.colour) for info, _, _ in results if info.n), False)
    fm = _feature_matrix(families, values, ids, source_hash, colour=colour, levels=levels, embedding=embedding)
    return FeatureTable(fm, meta.reset_index(drop=True), embedding if "embedding" in families else None, skipped,
                        source.name)


def _check_request(source: Source, kind: str | Sequence[str], embedding: PCAEmbedding | None,
                   fit_embedding: bool) -> list[str]:
    """The feature families asked for, after refusing a request :func:`extract_table` cannot honour."""
    if not isinstance(source, (ImageSet, ImageFiles)):
        raise InputError(f"extract_table needs an ImageSet or ImageFiles, got {type(source).__name__}",
                         path="extract_table", remedy="use ImageFiles.from_folder(path) or an ImageSet")
    if isinstance(source, ImageSet) and len(source) == 0:
        raise InputError("the image set is empty", path=source.name, remedy="pass at least one image")
    families = _families(kind, embedding if not fit_embedding else PCAEmbedding())
    if "embedding" in families and embedding is None and not fit_embedding:
        raise InputError("kind 'embedding' needs an embedding", path="extract_table",
                         remedy="pass embedding= (a fitted PCAEmbedding) or fit_embedding=True")
    if fit_embedding and source_is_synthetic(source):
        raise InputError("the images are marked synthetic; an embedding is fitted on real images only",
                         path=source.name, remedy="fit on the real set and pass its embedding for this one")
    return families


def _gather_meta(source: Source, results: list[Any]) -> tuple[pd.DataFrame, list[str], list[Any], str]:
    """Metadata rows, image ids, skipped files and the content hash of the source, from the first pass."""
    check = ChunkChecker(source) if isinstance(source, ImageFiles) else None
    metas, ids = [], []
    for info, _, _ in results:
        ids.extend(check.add(info) if check is not None else info.raw_ids)
        if info.meta is not None:
            metas.append(info.meta)
    skipped = check.finish() if check is not None else list(source.skipped)
    meta = pd.concat(metas, ignore_index=True) if metas else pd.DataFrame()
    meta["id"] = ids
    if isinstance(source, ImageFiles):
        meta.insert(2, "file_sha256", check.file_sha256)  # type: ignore[union-attr]
        source_hash = _files_hash(source, ids, check.file_sha256)  # type: ignore[union-attr]
    else:
        source_hash = source.content_hash()
    return meta, ids, skipped, source_hash


def _mark_split(meta: pd.DataFrame, n: int, *, seed: int, holdout: float | None) -> np.ndarray:
    """Add the ``split`` column when ``holdout`` is given; return the positions of the training images."""
    if holdout is None:
        return np.arange(n)
    train_pos, held_pos = split_positions(n, seed=seed, holdout=holdout)
    split = np.full(n, "train", dtype=object)
    split[held_pos] = "held-out"
    meta["split"] = split
    return train_pos


def _feature_matrix(families: list[str], values: dict[str, np.ndarray], ids: list[str], source_hash: str, *,
                    colour: bool, levels: int, embedding: PCAEmbedding | None) -> FeatureMatrix:
    """One FeatureMatrix per family (with its parameters), stacked in the order asked for."""
    parts = []
    for family in families:
        params: dict[str, Any] = {"levels": int(levels)} if family == "texture" else {}
        if family == "embedding":
            params = {"embedding_hash": embedding.content_hash()[:16],  # type: ignore[union-attr]
                      "embedding_fitted_on": embedding.fitted_on}  # type: ignore[union-attr]
        parts.append(FeatureMatrix(values[family].astype(np.float64), _names(family, colour, embedding), family,
                                   ids, source_hash, params))
    return parts[0] if len(parts) == 1 else hstack(parts)


def source_is_synthetic(source: Source) -> bool:
    return bool(source.synthetic.any()) if isinstance(source, ImageSet) else source.synthetic


def _files_in(item: Any) -> int:
    return len(item.files) if isinstance(item, ChunkSpec) else len(item)


def _embedding_size(shape: tuple[int, ...], size: tuple[int, int] | None) -> tuple[int, int]:
    return (min(shape[0], 64), min(shape[1], 64)) if size is None else (int(size[0]), int(size[1]))


def _guess_sample(source: Source, items: list[Any], *, seed: int, holdout: float | None, max_fit: int,
                  size: tuple[int, int] | None) -> tuple[list[np.ndarray], tuple[int, int]] | None:
    """Per chunk, the positions the embedding sample will have if every file holds exactly one readable image
    (checked after the pass), and the prepared-row size; ``None`` when the image shape is not known up front."""
    n = sum(_files_in(item) for item in items)
    if n < 3:
        return None
    if isinstance(source, ImageFiles):
        first = source.options["size"] or source.first_shape()
    else:
        first = source.image_shape
    train = split_positions(n, seed=seed, holdout=holdout)[0] if holdout is not None else np.arange(n)
    sample = train[fit_positions(len(train), max_fit, seed)]
    starts = np.cumsum([0] + [_files_in(item) for item in items])
    per_chunk = [sample[(sample >= starts[i]) & (sample < starts[i + 1])] - starts[i] for i in range(len(items))]
    return per_chunk, _embedding_size(tuple(first), size)


def _fit(run: _Pass, results: list[Any], train_pos: np.ndarray, source: Source, source_hash: str, *,
         n_components: int, size: tuple[int, int] | None, max_fit: int, seed: int,
         holdout: float | None, gathered: list[np.ndarray] | None = None) -> PCAEmbedding:
    """Fit the embedding on the seeded sample of the training positions: on the rows ``gathered`` in the first
    pass when its guess held, else after a second pass reading only the sampled images' prepared rows."""
    if isinstance(n_components, bool) or not isinstance(n_components, (int, np.integer)) or n_components < 1:
        raise InputError(f"n_components must be a positive integer, got {n_components!r}", path="embedding")
    counts = np.array([info.n for info, _, _ in results])
    if len(train_pos) < 3:
        raise InputError(f"need at least 3 real images to fit an embedding, got {len(train_pos)}", path=source.name)
    shape = next(info.shape for info, _, _ in results if info.n)
    size = _embedding_size(shape, size)
    if size[0] < 2 or size[1] < 2:
        raise InputError(f"size must be at least 2×2, got {size}", path="embedding")
    sample = train_pos[fit_positions(len(train_pos), max_fit, seed)]
    if gathered is not None and sum(len(r) for r in gathered) == len(sample) and \
            all(r.shape[1] == size[0] * size[1] for r in gathered):
        x = np.vstack(gathered)
    else:
        starts = np.concatenate([[0], np.cumsum(counts)])
        per_chunk = [sample[(sample >= starts[i]) & (sample < starts[i + 1])] - starts[i]
                     for i in range(len(counts))]
        todo = [i for i, p in enumerate(per_chunk) if len(p)]
        x = np.vstack(run.engine.map(_rows_task, [(run.items[i], per_chunk[i]) for i in todo],
                                     shared={"size": size}))
    what = "training part of " if holdout is not None else ""
    fitted_on = f"{what}{source.name} (n={len(train_pos)}, sha256:{source_hash[:16]})"
    return PCAEmbedding.from_rows(x, n_components=int(n_components), size=size, seed=seed, max_fit=max_fit,
                                  fitted_on=fitted_on)


def _rows_task(pair: tuple[Any, np.ndarray], *, size: tuple[int, int]) -> np.ndarray:
    """Prepared rows of one chunk's sampled images (a Dask task)."""
    item, positions = pair
    return chunk_rows(item, positions=positions, size=size)


def features_matrix(source: Source, kind: str | Sequence[str] = "intensity", *,
                    embedding: PCAEmbedding | None = None, scheduler: str | Engine | None = None,
                    chunk_size: int | None = None, levels: int = 32) -> FeatureMatrix:
    """:func:`~.extract.extract_features` for any source: in memory without a scheduler (cached), else chunked."""
    if isinstance(source, ImageSet) and scheduler is None:
        return extract_features(source, kind, embedding=embedding, progress=False, levels=levels)
    return extract_table(source, kind, embedding=embedding, levels=levels, scheduler=scheduler,
                         chunk_size=chunk_size).features


def _as_table(source: Source | FeatureTable, kind: str, embedding: PCAEmbedding, *, scheduler: Engine | None,
              chunk_size: int | None) -> FeatureTable:
    if isinstance(source, FeatureTable):
        return source
    if isinstance(source, ImageSet) and not (scheduler is not None and scheduler.other_processes):
        fm = extract_features(source, kind, embedding=embedding, progress=False)
        return FeatureTable(fm, source.meta.copy(), embedding, list(source.skipped), source.name)
    return extract_table(source, kind, embedding=embedding, chunk_size=chunk_size, scheduler=scheduler)


def evaluation_tables(train: Source | FeatureTable, holdout: Source | FeatureTable,
                      synthetic: Source | FeatureTable, *, kind: str, seed: int = 0,
                      scheduler: str | Engine | None = None, chunk_size: int | None = None
                      ) -> tuple[FeatureTable, FeatureTable, FeatureTable]:
    """The three feature tables of an evaluation, all in the embedding fitted on the TRAINING images.

    Each input is an ImageSet (in memory: features cached as :func:`~.extract.extract_features` does), an
    ImageFiles (read chunk by chunk) or a FeatureTable saved earlier. The embedding is fitted on ``train``
    (16 components at most, images resized to at most 64×64, seeded) unless ``train`` is a table, whose
    embedding is then used for the others; tables must all carry that same embedding. ``scheduler`` runs the
    chunks on Dask (:mod:`misyn_lab.engine`); the features are the same either way.
    """
    sources = {"train": train, "holdout": holdout, "synthetic": synthetic}
    for role, s in sources.items():
        if not isinstance(s, (ImageSet, ImageFiles, FeatureTable)):
            raise InputError(f"the {role} set must be an ImageSet, ImageFiles or FeatureTable, got "
                             f"{type(s).__name__}", path="evaluate_imagesets")
    with using(scheduler) as engine:
        if isinstance(train, FeatureTable):
            if train.embedding is None:
                raise InputError("the training feature table holds no embedding", path=train.name,
                                 remedy="featurise the real training images with an embedding (misyn-lab features)")
            emb = train.embedding
            t_train = train
        elif isinstance(train, ImageSet) and not engine.other_processes:
            if train.synthetic.any():
                raise InputError(f"{int(train.synthetic.sum())} image(s) in the fitting set are synthetic",
                                 path=train.name, remedy="fit the embedding on real images only, then transform both "
                                                         "sets")
            h, w = train.image_shape[:2]
            emb = PCAEmbedding.fit(train, n_components=int(min(16, len(train) - 1)),
                                   size=(min(h, 64), min(w, 64)), seed=seed)
            t_train = _as_table(train, kind, emb, scheduler=engine, chunk_size=chunk_size)
        else:
            t_train = extract_table(train, kind, fit_embedding=True, n_components=int(min(16, len(train) - 1)),
                                    seed=seed, chunk_size=chunk_size, scheduler=engine)
            emb = t_train.embedding  # type: ignore[assignment]
        tables = [t_train] + [_as_table(sources[r], kind, emb, scheduler=engine, chunk_size=chunk_size)
                              for r in ("holdout", "synthetic")]
    want = emb.content_hash()[:16]
    for role, t in zip(sources, tables):
        got = t.features.params.get("embedding_hash")
        if got != want:
            raise InputError(f"the {role} features were computed with another embedding ({got} vs {want} of the "
                             "training set)", path=t.name,
                             remedy="featurise every set with the training set's embedding "
                                    "(misyn-lab features ... --embedding TRAIN_FILE)")
        if t.features.names != tables[0].features.names:
            raise InputError(f"the {role} features differ from the training features", path=t.name,
                             remedy=f"compute {kind} for every set")
    return tables[0], tables[1], tables[2]
