"""Features: ImageSet -> FeatureMatrix (intensity statistics, texture, a PCA embedding fitted on real images).

Batched, deterministic and cached by content hash (see :mod:`misyn_lab.features.cache`), so a widget never
recomputes features it already has::

    emb = PCAEmbedding.fit(real, n_components=32, size=(64, 64), seed=0)
    fr = extract_features(real, "intensity+embedding", embedding=emb)
    fs = extract_features(syn, "intensity+embedding", embedding=emb)
    fr_z, fs_z = standardise(fr, fs)

Large collections: :func:`extract_table` computes the same features chunk by chunk from a file-backed
:class:`~misyn_lab.imagesets.files.ImageFiles` (in this process or on Dask) into a :class:`FeatureTable` that
``save``/:func:`load_features` keep in ``.npz``/``.parquet`` (``misyn-lab features DIR --out FILE``).
"""

from misyn_lab.features import cache
from misyn_lab.features.embedding import PCAEmbedding
from misyn_lab.features.extract import KINDS, extract_features
from misyn_lab.features.matrix import FeatureMatrix, hstack, standardise
from misyn_lab.features.stream import extract_table
from misyn_lab.features.table import FeatureTable, load_features

__all__ = ["KINDS", "FeatureMatrix", "FeatureTable", "PCAEmbedding", "cache", "extract_features", "extract_table",
           "hstack", "load_features", "standardise"]
