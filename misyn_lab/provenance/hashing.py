"""Hashes that let the registry recognise a synthetic image: file bytes, decoded pixels, perceptual.

* ``sha256`` of the file bytes: an untouched copy.
* ``pixel_sha256`` of the decoded pixel array (shape, dtype, values): a lossless re-encode or a copy whose
  metadata was stripped.
* perceptual hashes (``imagehash`` pHash and dHash) of a normalised grey image: a resized or lossy
  re-encoded copy. Every stored hash records its algorithm, hash size and the imagehash version, because
  hash values are only comparable between identical settings.
* a 32×32 grey thumbnail of the same normalised image, used to *verify* a perceptual candidate (root
  mean square difference). 64-bit hashes alone cannot tell neighbouring MRI slices apart (their Hamming
  distance is often 0); the thumbnail can (see ``CALIBRATION.md``).
"""

from __future__ import annotations

import hashlib

import imagehash
import numpy as np
from PIL import Image

from misyn_lab.imagesets.intensity import luminance

HASH_SIZE = 8
ALGORITHMS = ("phash", "dhash")
IMAGEHASH_VERSION = getattr(imagehash, "__version__", "unknown")
#: Side of the grey image the perceptual hashes are computed from (pHash resizes to 4×hash_size anyway).
NORMALISED_SIDE = 64


THUMB_SIDE = 32
#: Below this standard deviation (0..255 scale) a thumbnail is too flat for perceptual matching.
MIN_THUMB_STD = 2.0


class PerceptualHashes:
    """pHash and dHash of one image as hex strings, its verification thumbnail, and the settings used.

    Built from values (``PerceptualHashes(phash, dhash, thumb)``) or, by :func:`perceptual_hashes`, from the
    normalised image: then pHash and dHash are computed when first read. The registry index looks at the
    thumbnail first and reads the hashes only for images that could match, so an audit never spends the two
    hash computations on a file nothing registered resembles (same values whenever they are read).
    """

    __slots__ = ("_phash", "_dhash", "thumb", "hash_size", "imagehash_version", "_image")

    def __init__(self, phash: str | None = None, dhash: str | None = None, thumb: bytes = b"",
                 hash_size: int = HASH_SIZE, imagehash_version: str = IMAGEHASH_VERSION, *,
                 image: Image.Image | None = None):
        if image is None and (phash is None or dhash is None):
            raise ValueError("PerceptualHashes needs phash and dhash, or the normalised image to compute them")
        self._phash, self._dhash, self._image = phash, dhash, image
        self.thumb, self.hash_size, self.imagehash_version = thumb, hash_size, imagehash_version

    @property
    def phash(self) -> str:
        if self._phash is None:
            self._phash = str(imagehash.phash(self._image, hash_size=self.hash_size))
            self._release()
        return self._phash

    @property
    def dhash(self) -> str:
        if self._dhash is None:
            self._dhash = str(imagehash.dhash(self._image, hash_size=self.hash_size))
            self._release()
        return self._dhash

    def _release(self) -> None:
        if self._phash is not None and self._dhash is not None:
            self._image = None

    def _key(self) -> tuple:
        return (self.phash, self.dhash, self.thumb, self.hash_size, self.imagehash_version)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PerceptualHashes) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (f"PerceptualHashes(phash={self.phash!r}, dhash={self.dhash!r}, thumb=<{len(self.thumb)} bytes>, "
                f"hash_size={self.hash_size}, imagehash_version={self.imagehash_version!r})")

    def __reduce__(self) -> tuple:
        """Pickled with its values; hashes not computed yet travel as the normalised image's pixels (4 KiB) and
        are computed where they are first read, so sending a file's hashes to another process (a Dask worker's
        result) never computes them."""
        image = None if self._image is None else (self._image.mode, self._image.size, self._image.tobytes())
        return (_unpickle, (self._phash, self._dhash, self.thumb, self.hash_size, self.imagehash_version, image))

    @property
    def thumb_array(self) -> np.ndarray:
        return np.frombuffer(self.thumb, np.uint8).reshape(THUMB_SIDE, THUMB_SIDE)

    @property
    def informative(self) -> bool:
        """False for (nearly) flat images, whose perceptual hashes match any other flat image.

        The test ``std >= MIN_THUMB_STD`` is made in exact integer arithmetic (``n·Σx² − (Σx)² >= n²·MIN²``),
        so no rounding decides a thumbnail that lies on the limit.
        """
        if not self.thumb:
            return False
        x = np.frombuffer(self.thumb, np.uint8).astype(np.int64)
        n, s1, s2 = x.size, int(x.sum()), int(x @ x)
        return n * s2 - s1 * s1 >= round(MIN_THUMB_STD * MIN_THUMB_STD * n * n)

    def distances(self, other: "PerceptualHashes") -> tuple[int, int]:
        """Hamming distances ``(phash, dhash)`` to another set of hashes."""
        return hamming_hex(self.phash, other.phash), hamming_hex(self.dhash, other.dhash)


def _unpickle(phash: str | None, dhash: str | None, thumb: bytes, hash_size: int, imagehash_version: str,
              image: tuple[str, tuple[int, int], bytes] | None) -> PerceptualHashes:
    return PerceptualHashes(phash, dhash, thumb, hash_size, imagehash_version,
                            image=None if image is None else Image.frombytes(*image))


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def pixel_sha256(arr: np.ndarray) -> str:
    """SHA-256 over shape, dtype and the values of a pixel array (same pixels -> same hash, any format)."""
    a = np.ascontiguousarray(arr)
    h = hashlib.sha256()
    h.update(f"{a.shape}|{a.dtype.str}|".encode())
    h.update(a.reshape(-1).view(np.uint8) if a.size else b"")  # the array's own bytes, not a copy of them
    return h.hexdigest()


def _grey_float(arr: np.ndarray) -> np.ndarray:
    a = np.asarray(arr)
    integral = a.dtype.kind in "uib"  # integers (and their luminance) are always finite
    if a.ndim == 2 and a.dtype.kind in "ui" and a.dtype.itemsize <= 2:
        return a.astype(np.float32)  # the usual 8/16-bit grey image: exact in float32, no float64 detour
    if a.ndim == 3:
        a = a[..., :3].astype(np.float64)
        a = luminance(a) if a.shape[-1] == 3 else a[..., 0]
    a = a.astype(np.float64, copy=False)
    if integral:
        return a
    finite = np.isfinite(a)
    if not finite.all():
        a = np.where(finite, a, a[finite].min() if finite.any() else 0.0)
    return a


def normalised_grey(arr: np.ndarray) -> Image.Image:
    """A ``NORMALISED_SIDE``-square grey PIL image stretched between its 1st and 99th percentiles to 0..255.

    Colour is reduced to luminance (alpha dropped); any dtype (8/16-bit, signed, float) is accepted; NaN
    and inf become the minimum. The image is resized (Lanczos, float) *before* the percentiles are taken, so
    a resized copy is normalised like its original; percentile stretching makes the hashes independent of
    intensity scaling (8-bit PNG vs 16-bit DICOM) and robust to the few extreme pixels JPEG ringing adds.
    """
    grey = np.ascontiguousarray(_grey_float(arr), dtype=np.float32)
    # frombuffer/tobytes rather than fromarray/asarray: the same pixels without the array-interface round trips
    im = Image.frombuffer("F", grey.shape[::-1], grey, "raw", "F", 0, 1)
    if im.size != (NORMALISED_SIDE, NORMALISED_SIDE):
        im = im.resize((NORMALISED_SIDE, NORMALISED_SIDE), Image.Resampling.LANCZOS, reducing_gap=3.0)
    small = np.frombuffer(im.tobytes(), np.float32)  # row-major, NORMALISED_SIDE² values
    flat = np.sort(small)  # (numpy's vectorised sort beats np.partition for two order statistics of 4,096 floats)
    lo, hi = float(flat[int(0.01 * (flat.size - 1))]), float(flat[int(0.99 * (flat.size - 1))])
    if hi <= lo:
        lo, hi = float(small.min()), float(small.max())
    scaled = (np.zeros(small.shape, np.uint8) if hi <= lo
              else np.clip((small - lo) * (255.0 / (hi - lo)), 0, 255).round().astype(np.uint8))
    return Image.frombuffer("L", im.size, scaled, "raw", "L", 0, 1)


def perceptual_hashes(arr: np.ndarray, *, hash_size: int = HASH_SIZE) -> PerceptualHashes:
    """pHash and dHash of the normalised grey image (computed when first read), and its ``THUMB_SIDE``
    thumbnail (box-averaged)."""
    im = normalised_grey(arr)
    thumb = im.resize((THUMB_SIDE, THUMB_SIDE), Image.Resampling.BOX)
    return PerceptualHashes(thumb=thumb.tobytes(), hash_size=hash_size, image=im)


def thumb_rmse(query: bytes | np.ndarray, stored: np.ndarray) -> np.ndarray:
    """Root-mean-square difference (0..255 scale) between one thumbnail and a stack ``n × THUMB_SIDE²``, or row by
    row between two such stacks (``query`` an ``n × THUMB_SIDE²`` uint8 array): the same float32 values either way."""
    q = (np.frombuffer(query, np.uint8) if isinstance(query, bytes) else np.asarray(query)).astype(np.float32)
    diff = stored.astype(np.float32) - q
    return np.sqrt((diff * diff).mean(axis=1))


def hamming_hex(a: str, b: str) -> int:
    """Number of differing bits between two equally long hex strings."""
    return int(bin(int(a, 16) ^ int(b, 16)).count("1"))


def hex_to_bits(hexes: list[str], n_bits: int) -> np.ndarray:
    """Hex hashes -> a ``len(hexes) × n_bits`` uint8 bit matrix (for vectorised Hamming distances)."""
    if not hexes:
        return np.zeros((0, n_bits), np.uint8)
    raw = np.array([bytes.fromhex(h.rjust(n_bits // 4, "0")) for h in hexes], dtype=f"S{n_bits // 8}")
    return np.unpackbits(raw.view(np.uint8).reshape(len(hexes), -1), axis=1)
