"""The bundled real sample images (``misyn_lab/data_samples/``, shipped in the wheel): list them, load a group,
load MNI152 with masks."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from misyn_lab.errors import InputError
from misyn_lab.imagesets.core import ImageSet
from misyn_lab.imagesets.intensity import luminance

ENV_VAR = "MISYN_LAB_DATA"
#: The sample folder shipped inside the package (package data of the wheel).
BUNDLED_DIR = Path(__file__).resolve().parents[1] / "data_samples"


def data_dir() -> Path:
    """The sample folder: ``$MISYN_LAB_DATA`` if set, else the bundled :data:`BUNDLED_DIR`."""
    env = os.environ.get(ENV_VAR)
    path = Path(env) if env else BUNDLED_DIR
    if not (path / "metadata.csv").is_file():
        raise InputError("sample archive not found (no metadata.csv)", path=path,
                         remedy=f"reinstall misyn-lab (the wheel ships the samples), run `misyn-lab samples build`, "
                                f"or set {ENV_VAR} to a folder built by it")
    return path


def read_metadata(root: Path | None = None) -> pd.DataFrame:
    """``metadata.csv`` as strings (empty cells stay empty strings)."""
    root = root or data_dir()
    return pd.read_csv(root / "metadata.csv", dtype=str, keep_default_na=False)


def list_samples() -> pd.DataFrame:
    """The bundled real sample images, one row per group.

    Returns
    -------
    pandas.DataFrame
        Columns ``group``, ``n_images``, ``n_masks``, ``modality``, ``body_part``, ``source_package``, ``licence``.

    Examples
    --------
    >>> samples = list_samples()
    >>> samples.set_index("group").loc["mni152", ["n_images", "n_masks"]].tolist()
    [102, 102]
    """
    meta = read_metadata()
    rows = []
    for group, g in meta.groupby("group", sort=True):
        rows.append({"group": group, "n_images": len(g), "n_masks": int((g["mask_file"] != "").sum()),
                     "modality": ",".join(sorted(g["modality"].unique())),
                     "body_part": ",".join(sorted(b for b in g["body_part"].unique() if b)),
                     "source_package": ", ".join(sorted(g["source_package"].unique())),
                     "licence": ", ".join(sorted(g["licence"].unique()))})
    return pd.DataFrame(rows)


def valid_names(meta: pd.DataFrame) -> list[str]:
    return ["all"] + sorted(meta["group"].unique()) + sorted(set(meta["modality"]) - set(meta["group"]))


def _select(meta: pd.DataFrame, name: str) -> pd.DataFrame:
    if name == "all":
        return meta
    if name in set(meta["group"]):
        return meta[meta["group"] == name]
    if name in set(meta["modality"]):
        return meta[meta["modality"] == name]
    raise InputError(f"unknown sample name {name!r}", path="load_sample",
                     remedy=f"use one of {valid_names(meta)}")


def _read_png(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im)


@functools.lru_cache(maxsize=16)
def _load_cached(root: str, name: str, size: tuple[int, int] | None) -> ImageSet:
    base = Path(root)
    meta = _select(read_metadata(base), name).reset_index(drop=True)
    arrays = [_read_png(base / f) for f in meta["file"]]
    colour = [a.ndim == 3 for a in arrays]
    mixed = any(colour) and not all(colour)
    imgs = []
    for a in arrays:
        x = a.astype(np.float32) / 255.0
        if mixed and x.ndim == 3:
            x = luminance(x)
        imgs.append(np.clip(x, 0.0, 1.0))
    frame = meta.copy()
    frame["source_path"] = [str(base / f) for f in meta["file"]]
    if mixed:
        frame["notes"] = [n + ("; " if n else "") + "RGB converted to grey for a mixed set" if c else n
                          for n, c in zip(frame["notes"], colour)]
    frame["synthetic"] = False
    frame["slice_index"] = pd.to_numeric(frame["slice_index"], errors="coerce").astype("Int64")
    out = ImageSet(np.stack(imgs), frame, name=f"sample:{name}")
    return out.resized(size) if size is not None else out


def load_sample(name: str = "all", *, size: tuple[int, int] | None = None) -> ImageSet:
    """Load bundled real images: a group, a modality, or all of them.

    Mixed grey/colour selections are converted to grey (noted in ``notes``). Returns a fresh copy each call
    (cached in-process).

    Parameters
    ----------
    name : str, optional
        A group (``"mni152"``, ``"dicom_ct"``, ``"retina"`` ...; see :func:`list_samples`), a modality (``"MR"``,
        ``"CT"``, ``"fundus"`` ...) or ``"all"``.
    size : (int, int), optional
        Resize every image to (H, W).

    Returns
    -------
    ImageSet
        Real images (``synthetic`` False) with their source and licence as metadata.

    Raises
    ------
    InputError
        An unknown name (the message lists the groups and modalities).

    Examples
    --------
    >>> brain = load_sample("mni152", size=(32, 32))
    >>> len(brain), brain.images.shape[1:], bool(brain.synthetic.any())
    (102, (32, 32), False)
    """
    if size is not None:
        size = (int(size[0]), int(size[1]))
    cached = _load_cached(str(data_dir()), str(name), size)
    return ImageSet(cached.images.copy(), cached.meta.copy(), name=cached.name)


def load_sample_with_masks(name: str = "mni152") -> tuple[ImageSet, np.ndarray]:
    """Images of a bundled group that has label masks, plus the masks.

    Parameters
    ----------
    name : str, optional
        A group with masks (``"mni152"``: 0 background, 1 grey matter, 2 white matter).

    Returns
    -------
    images : ImageSet
        The real images.
    masks : numpy.ndarray
        Integer label masks, N×H×W, aligned with the images.

    Raises
    ------
    InputError
        A group without masks.

    Examples
    --------
    >>> images, masks = load_sample_with_masks("mni152")
    >>> len(images), masks.shape[1:], sorted(set(masks.ravel().tolist()))
    (102, (128, 128), [0, 1, 2])
    """
    images = load_sample(name)
    files = images.meta["mask_file"]
    if (files == "").any():
        with_masks = sorted(read_metadata().query("mask_file != ''")["group"].unique())
        raise InputError(f"{int((files == '').sum())} of {len(files)} images in {name!r} have no mask",
                         path="load_sample_with_masks", remedy=f"use a group with masks: {with_masks}")
    root = data_dir()
    masks = np.stack([_read_png(root / f) for f in files]).astype(np.int64)
    return images, masks
