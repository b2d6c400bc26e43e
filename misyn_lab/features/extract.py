"""`extract_features`: ImageSet -> FeatureMatrix, batched, deterministic, cached by content hash."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from misyn_lab.errors import InputError
from misyn_lab.features import cache as _cache
from misyn_lab.features.embedding import PCAEmbedding
from misyn_lab.features.intensity import intensity_features, intensity_names
from misyn_lab.features.matrix import FeatureMatrix, hstack
from misyn_lab.features.texture import texture_features, texture_names
from misyn_lab.imagesets.core import ImageSet

KINDS = ("intensity", "texture", "embedding")
PROGRESS_THRESHOLD = 500
FEATURE_VERSION = "2"  # 2: per-image einsum reductions (texture GLCM means, embedding), batch-independent


def _families(kind: str | Sequence[str], embedding: PCAEmbedding | None) -> list[str]:
    if isinstance(kind, str):
        if kind == "all":
            return ["intensity", "texture"] + (["embedding"] if embedding is not None else [])
        kinds = [k for k in kind.split("+") if k]
    else:
        kinds = list(kind)
    bad = [k for k in kinds if k not in KINDS]
    if bad or not kinds:
        raise InputError(f"unknown feature kind {bad or kind!r}", path="extract_features",
                         remedy=f"use one of {list(KINDS)}, 'all', or a combination like 'intensity+embedding'")
    return list(dict.fromkeys(kinds))


def _compute_family(family: str, images: np.ndarray, *, levels: int,
                    embedding: PCAEmbedding | None) -> np.ndarray:
    """Features of one family for one batch (the only place features are actually computed)."""
    if family == "intensity":
        return intensity_features(images)
    if family == "texture":
        return texture_features(images, levels=levels)
    assert embedding is not None
    return embedding.transform_array(images)


def _names(family: str, colour: bool, embedding: PCAEmbedding | None) -> list[str]:
    if family == "intensity":
        return intensity_names(colour)
    if family == "texture":
        return texture_names()
    assert embedding is not None
    return embedding.names


def extract_features(imageset: ImageSet, kind: str | Sequence[str] = "intensity", *,
                     embedding: PCAEmbedding | None = None, batch_size: int = 256,
                     progress: bool | None = None, cache: bool = True, levels: int = 32,
                     content_hash: str | None = None) -> FeatureMatrix:
    """Feature matrix of ``imageset``: intensity statistics, texture (GLCM) and/or a PCA embedding.

    Intensity/texture are computed at the images' own size, image by image, in batches; see the family modules for
    definitions. Results are cached by content hash.

    Parameters
    ----------
    imageset : ImageSet
        The images.
    kind : str or sequence of str, optional
        ``"intensity"``, ``"texture"``, ``"embedding"``, ``"all"`` (intensity + texture, + embedding when one is
        given) or a combination (``"intensity+embedding"`` or a list).
    embedding : PCAEmbedding, optional
        A fitted embedding (fitted on the REAL set), required for ``"embedding"``.
    batch_size : int, optional
        Images per batch (bounds memory).
    progress : bool, optional
        ``None``: a tqdm bar when the set has more than 500 images; ``True``/``False``: always/never.
    cache : bool, optional
        Reuse features computed before for the same content (in-memory LRU, and ``$MISYN_LAB_CACHE`` on disk).
    levels : int, optional
        Grey levels for the GLCM (texture).
    content_hash : str, optional
        The set's :meth:`ImageSet.content_hash` if the caller already has it (saves hashing the pixels again).

    Returns
    -------
    FeatureMatrix
        One row per image.

    Raises
    ------
    InputError
        An unknown family, or ``"embedding"`` without an embedding.

    Examples
    --------
    >>> import numpy as np
    >>> from misyn_lab.imagesets import ImageSet
    >>> rng = np.random.default_rng(0)
    >>> real = ImageSet.from_arrays(rng.random((20, 16, 16)), name="real")
    >>> synthetic = ImageSet.from_arrays(rng.random((20, 16, 16)) ** 2, synthetic=True, name="syn")
    >>> from misyn_lab.features import PCAEmbedding
    >>> embedding = PCAEmbedding.fit(real, n_components=4, size=(16, 16), seed=0)
    >>> features = extract_features(synthetic, "intensity+embedding", embedding=embedding, cache=False)
    >>> features.values.shape, features.names[-1]
    ((20, 32), 'embedding.pc04')
    """
    if not isinstance(imageset, ImageSet):
        raise InputError(f"extract_features needs an ImageSet, got {type(imageset).__name__}",
                         path="extract_features", remedy="wrap arrays with ImageSet.from_arrays(...)")
    if len(imageset) == 0:
        raise InputError("the image set is empty", path=imageset.name, remedy="pass at least one image")
    families = _families(kind, embedding)
    if "embedding" in families:
        if embedding is None:
            raise InputError("kind 'embedding' needs a fitted embedding", path="extract_features",
                             remedy="emb = PCAEmbedding.fit(real_set); extract_features(s, 'embedding', embedding=emb)")
        if not isinstance(embedding, PCAEmbedding) or not embedding.is_fitted:
            raise InputError("embedding must be a fitted PCAEmbedding", path="extract_features",
                             remedy="use PCAEmbedding.fit(real_imageset)")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise InputError(f"batch_size must be a positive integer, got {batch_size!r}", path="extract_features")
    if not isinstance(levels, (int, np.integer)) or not 2 <= levels <= 256:
        raise InputError(f"levels must be an integer in [2, 256], got {levels!r}", path="extract_features")
    # without the cache the hash is only a label: skip hashing the pixels unless the caller already has it
    source_hash = content_hash or (imageset.content_hash() if cache else "")
    show = len(imageset) > PROGRESS_THRESHOLD if progress is None else bool(progress)
    parts = []
    for family in families:
        params = {"texture": ("levels", int(levels)), "intensity": (), "embedding": ()}[family]
        emb_hash = embedding.content_hash() if family == "embedding" and embedding is not None else ""
        key = _cache.make_key(FEATURE_VERSION, source_hash, family, params, emb_hash)
        values = _cache.get(key) if cache else None
        if values is None:
            values = _run_batches(family, imageset, batch_size=batch_size, show=show, levels=int(levels),
                                  embedding=embedding)
            if cache:
                _cache.put(key, values)
        meta_params = {"levels": int(levels)} if family == "texture" else {}
        if emb_hash:
            meta_params = {"embedding_hash": emb_hash[:16], "embedding_fitted_on": embedding.fitted_on}
        parts.append(FeatureMatrix(values, _names(family, imageset.is_colour, embedding), family,
                                   imageset.ids, source_hash, meta_params))
    return parts[0] if len(parts) == 1 else hstack(parts)


def _run_batches(family: str, imageset: ImageSet, *, batch_size: int, show: bool, levels: int,
                 embedding: PCAEmbedding | None) -> np.ndarray:
    n = len(imageset)
    starts = range(0, n, batch_size)
    bar: Any = None
    if show:
        from tqdm.auto import tqdm

        bar = tqdm(total=n, desc=f"{family} features", unit="img")
    out = []
    try:
        for start in starts:
            stop = min(n, start + batch_size)
            batch = imageset.images[start:stop]
            out.append(_compute_family(family, batch, levels=levels, embedding=embedding))
            if bar is not None:
                bar.update(stop - start)
    finally:
        if bar is not None:
            bar.close()
    return np.vstack(out).astype(np.float64)
