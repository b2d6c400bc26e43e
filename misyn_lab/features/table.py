"""`FeatureTable`: the features of an image collection with each row's metadata, file name and content hash,
saved once and evaluated later (``.npz`` always; ``.parquet`` with pyarrow, part of ``misyn-lab[scale]``).

A table is what :func:`misyn_lab.features.stream.extract_table` returns and ``misyn-lab features DIR --out FILE``
writes: the :class:`~misyn_lab.features.matrix.FeatureMatrix`, a metadata frame with one row per image (``id``,
``source_path``, ``file_sha256`` for file-backed sets, ``synthetic``, ``split`` when a held-out share was drawn,
and the loaders' columns such as DICOM ``modality``), the fitted :class:`PCAEmbedding` when the features include
one (so a synthetic folder can be featurised with the embedding of its real counterpart), and the files that
could not be read. Loading checks the format and refuses a file written by a newer misyn-lab.
"""

from __future__ import annotations

import base64
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from misyn_lab.atomic import atomic_write_bytes
from misyn_lab.errors import InputError, SchemaError
from misyn_lab.features.embedding import PCAEmbedding
from misyn_lab.features.matrix import FeatureMatrix
from misyn_lab.imagesets.core import SkippedFile

FORMAT = "misyn-lab-features"
VERSION = 1
SUFFIXES = (".npz", ".parquet")
_SCALE_EXTRA = 'pip install "misyn-lab[scale]"'


@dataclass(frozen=True)
class FeatureTable:
    """Features plus one metadata row per image (see :mod:`misyn_lab.features.table`), from
    :func:`~misyn_lab.features.extract_table`; ``save`` / :func:`load_features` keep it in ``.npz`` or ``.parquet``.

    Parameters
    ----------
    features : FeatureMatrix
        The features.
    meta : pandas.DataFrame
        One row per image (``id``, ``source_path``, ``synthetic``, a ``split`` column when asked for ...).
    embedding : PCAEmbedding, optional
        The embedding used or fitted.
    skipped : list of SkippedFile, optional
        Files that could not be read.
    name : str, optional
        Name of the image collection.

    Examples
    --------
    >>> import numpy as np
    >>> from misyn_lab.imagesets import ImageSet
    >>> rng = np.random.default_rng(0)
    >>> real = ImageSet.from_arrays(rng.random((20, 16, 16)), name="real")
    >>> from misyn_lab.features import extract_table
    >>> table = extract_table(real, "intensity")
    >>> table.features.values.shape, table.meta.columns.tolist()[:3]
    ((20, 28), ['id', 'source_path', 'synthetic'])
    """

    features: FeatureMatrix
    meta: pd.DataFrame
    embedding: PCAEmbedding | None = None
    skipped: list[SkippedFile] = field(default_factory=list)
    name: str = "images"

    def __post_init__(self) -> None:
        if len(self.meta) != len(self.features):
            raise InputError(f"{len(self.features)} feature rows but {len(self.meta)} metadata rows",
                             path=self.name)
        if "id" not in self.meta or list(self.meta["id"].astype(str)) != self.features.ids:
            raise InputError("metadata ids differ from the feature ids", path=self.name)

    def __len__(self) -> int:
        return len(self.features)

    def __repr__(self) -> str:
        return (f"FeatureTable(name={self.name!r}, n={len(self)}, kind={self.features.kind!r}, "
                f"features={self.features.shape[1]})")

    @property
    def values(self) -> np.ndarray:
        return self.features.values

    @property
    def synthetic(self) -> np.ndarray:
        return self.meta["synthetic"].to_numpy(dtype=bool) if "synthetic" in self.meta else np.zeros(len(self), bool)

    def describe(self) -> str:
        return f"{self.name} (n={len(self)}, sha256:{self.features.source_hash[:16]})"

    def take(self, positions: np.ndarray) -> "FeatureTable":
        """The rows at the given positions (or boolean mask), in that order."""
        idx = np.asarray(positions)
        if idx.dtype == bool:
            idx = np.flatnonzero(idx)
        return FeatureTable(self.features.take(idx), self.meta.iloc[idx].reset_index(drop=True), self.embedding,
                            list(self.skipped), self.name)

    def part(self, split: str) -> "FeatureTable":
        """The rows of one split (``"train"`` or ``"held-out"``), as drawn by ``extract_table(holdout=...)``."""
        if "split" not in self.meta:
            raise InputError("this feature table has no 'split' column", path=self.name,
                             remedy="featurise the real folder with a held-out share (misyn-lab features --holdout)")
        mask = (self.meta["split"] == split).to_numpy()
        if not mask.any():
            raise InputError(f"no rows in split {split!r}", path=self.name,
                             remedy=f"splits present: {sorted(self.meta['split'].unique())}")
        return self.take(mask)

    # ------------------------------------------------------------------ saving
    def _header(self) -> dict[str, Any]:
        fm = self.features
        header: dict[str, Any] = {"format": FORMAT, "version": VERSION, "name": self.name, "kind": fm.kind,
                                  "names": fm.names, "source_hash": fm.source_hash, "params": fm.params,
                                  "skipped": [{"path": s.path, "reason": s.reason} for s in self.skipped],
                                  "embedding": None}
        emb = self.embedding
        if emb is not None and emb.is_fitted:
            header["embedding"] = {
                "n_components": emb.n_components, "size": list(emb.size), "seed": emb.seed, "max_fit": emb.max_fit,
                "fitted_on": emb.fitted_on, "mean": _b64(emb.mean), "components": _b64(emb.components),
                "explained_variance_ratio": _b64(emb.explained_variance_ratio)}
        return header

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write ``.npz`` or ``.parquet`` (by suffix) atomically; returns the path."""
        path = Path(path)
        fmt = table_format(path)
        header = json.dumps(self._header(), default=_json_default)
        if fmt == ".npz":
            buf = io.BytesIO()
            np.savez(buf, values=self.features.values, header=np.array(header),
                     meta=np.array(self.meta.to_json(orient="split", default_handler=str)))
            atomic_write_bytes(path, buf.getvalue())
            return path
        pa, pq = _pyarrow(path)
        frame = pd.concat([self.meta.reset_index(drop=True),
                           pd.DataFrame(self.features.values, columns=self.features.names)], axis=1)
        if frame.columns.duplicated().any():
            raise InputError("a metadata column has the name of a feature", path=path,
                             remedy="rename the metadata column")
        frame = frame.apply(lambda c: c.astype(str) if c.dtype == object else c)
        table = pa.Table.from_pandas(frame, preserve_index=False)
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), b"misyn_lab": header.encode()})
        buf = pa.BufferOutputStream()
        pq.write_table(table, buf)
        atomic_write_bytes(path, buf.getvalue().to_pybytes())
        return path


def load_features(path: str | os.PathLike[str]) -> FeatureTable:
    """Read a table written by :meth:`FeatureTable.save` (``.npz`` or ``.parquet``).

    Parameters
    ----------
    path : str or path-like
        The file.

    Returns
    -------
    FeatureTable
        Features, metadata, embedding and skipped files as saved.

    Raises
    ------
    InputError
        A missing file, an unknown suffix, or a file that is not a feature table.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import numpy as np
    >>> from misyn_lab.imagesets import ImageSet
    >>> rng = np.random.default_rng(0)
    >>> real = ImageSet.from_arrays(rng.random((20, 16, 16)), name="real")
    >>> from misyn_lab.features import extract_table
    >>> path = extract_table(real, "intensity").save(pathlib.Path(tempfile.mkdtemp()) / "real.npz")
    >>> load_features(path).features.values.shape
    (20, 28)
    """
    path = Path(path)
    fmt = table_format(path)
    if not path.is_file():
        raise InputError("no such feature file", path=path, remedy="write one with misyn-lab features DIR --out FILE")
    if fmt == ".npz":
        try:
            with np.load(path, allow_pickle=False) as data:
                missing = [k for k in ("values", "header", "meta") if k not in data]
                if missing:
                    raise SchemaError(f"not a misyn-lab feature file (missing {missing})", path=path,
                                      remedy="write it with misyn-lab features DIR --out FILE.npz")
                values = np.array(data["values"], dtype=np.float64)
                header = json.loads(str(data["header"]))
                meta = pd.read_json(io.StringIO(str(data["meta"])), orient="split", dtype=False)
        except SchemaError:
            raise
        except (OSError, ValueError, EOFError) as exc:
            raise InputError(f"cannot read the feature file ({exc})", path=path,
                             remedy="write it again with misyn-lab features DIR --out FILE.npz") from exc
    else:
        pa, pq = _pyarrow(path)
        try:
            table = pq.read_table(path)
        except (OSError, pa.ArrowException) as exc:
            raise InputError(f"cannot read the parquet file ({exc})", path=path,
                             remedy="write it again with misyn-lab features DIR --out FILE.parquet") from exc
        raw = (table.schema.metadata or {}).get(b"misyn_lab")
        if raw is None:
            raise SchemaError("not a misyn-lab feature file (no misyn_lab metadata)", path=path,
                              remedy="write it with misyn-lab features DIR --out FILE.parquet")
        header = json.loads(raw.decode())
        frame = table.to_pandas()
        names = header.get("names", [])
        absent = [n for n in names if n not in frame]
        if absent:
            raise SchemaError(f"feature columns missing: {absent[:5]}", path=path)
        values = frame[names].to_numpy(dtype=np.float64)
        meta = frame.drop(columns=names)
    if header.get("format") != FORMAT:
        raise SchemaError("not a misyn-lab feature file", path=path, remedy="write it with misyn-lab features")
    if int(header.get("version", 0)) > VERSION:
        raise SchemaError(f"feature file version {header['version']} is newer than this misyn-lab supports "
                          f"({VERSION})", path=path, remedy="upgrade misyn-lab")
    if "synthetic" in meta:
        meta["synthetic"] = meta["synthetic"].astype(bool)
    meta["id"] = meta["id"].astype(str)
    fm = FeatureMatrix(values, header["names"], header["kind"], meta["id"].tolist(), header["source_hash"],
                       header.get("params", {}))
    emb = None
    e = header.get("embedding")
    if e:
        emb = PCAEmbedding(n_components=int(e["n_components"]), size=tuple(e["size"]), seed=int(e["seed"]),
                           max_fit=int(e["max_fit"]), mean=_unb64(e["mean"]), components=_unb64(e["components"]),
                           explained_variance_ratio=_unb64(e["explained_variance_ratio"]), fitted_on=e["fitted_on"])
    skipped = [SkippedFile(s["path"], s["reason"]) for s in header.get("skipped", [])]
    return FeatureTable(fm, meta, emb, skipped, header.get("name", path.stem))


def table_format(path: Path) -> str:
    """``".npz"`` or ``".parquet"`` for a feature file path; InputError for any other suffix."""
    suf = path.suffix.lower()
    if suf not in SUFFIXES:
        raise InputError(f"unknown feature file type {suf or '(no suffix)'}", path=path,
                         remedy="name the file .npz or .parquet")
    return suf


def _pyarrow(path: Path) -> tuple[Any, Any]:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError("writing/reading .parquet needs pyarrow, which is not installed", path=path,
                         remedy=f"{_SCALE_EXTRA}, or use a .npz file") from None
    return pa, pq


def _b64(arr: np.ndarray) -> str:
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(arr), allow_pickle=False)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _unb64(text: str) -> np.ndarray:
    return np.load(io.BytesIO(base64.b64decode(text)), allow_pickle=False)


def _json_default(obj: Any) -> Any:
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)
