"""PNG pixels decoded by libspng (pyspng, in misyn-lab[scale]) equal Pillow's for every PNG that takes that path;
every other PNG, and every damaged one, is decoded (and its error reported) by Pillow exactly as without pyspng."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from misyn_lab.errors import InputError
from misyn_lab.provenance import fileformat
from misyn_lab.provenance.fileformat import decode_pil, plain_png, png_pixels

pytest.importorskip("pyspng")


def _png(arr: np.ndarray, **save) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG", **save)
    return buf.getvalue()


def _pillow(data: bytes, monkeypatch) -> np.ndarray:
    with monkeypatch.context() as m:
        m.setattr(fileformat, "pyspng", None)
        return decode_pil("x.png", data)


def _cases() -> list[tuple[str, bytes]]:
    rng = np.random.default_rng(7)
    grey = rng.integers(0, 256, (37, 53), dtype=np.uint8)
    smooth = np.add.outer(np.arange(64), np.arange(80)).astype(np.uint8)
    rgb = rng.integers(0, 256, (21, 19, 3), dtype=np.uint8)
    info = PngImagePlugin.PngInfo()
    info.add_text("misyn:synthetic", "true")
    cases = [("grey noise", _png(grey)), ("grey smooth (Sub/Up/Paeth filters)", _png(smooth, optimize=True)),
             ("grey level 0", _png(grey, compress_level=0)), ("rgb", _png(rgb)), ("grey with text", _png(grey, pnginfo=info)),
             ("grey with tRNS", _png(grey, transparency=5)), ("rgb with tRNS", _png(rgb, transparency=(1, 2, 3))),
             ("one pixel", _png(np.array([[200]], np.uint8))), ("tall", _png(rng.integers(0, 256, (300, 2), dtype=np.uint8)))]
    # many small IDAT chunks
    raw = _png(smooth)
    head, rest = raw[:33], raw[33:]
    idat = rest[8:8 + struct.unpack(">I", rest[:4])[0]]
    chunks = b"".join(struct.pack(">I", len(idat[i:i + 50])) + b"IDAT" + idat[i:i + 50]
                      + struct.pack(">I", zlib.crc32(b"IDAT" + idat[i:i + 50])) for i in range(0, len(idat), 50))
    cases.append(("split IDAT", head + chunks + b"\x00\x00\x00\x00IEND\xaeB`\x82"))
    return cases


@pytest.mark.parametrize("name, data", _cases(), ids=[c[0] for c in _cases()])
def test_libspng_pixels_equal_pillows(name, data, monkeypatch):
    im = Image.open(io.BytesIO(data))
    fast = png_pixels(data, im.mode, im.size[::-1])
    assert fast is not None, name  # every case above is 8-bit grey/RGB, not interlaced
    slow = _pillow(data, monkeypatch)
    assert fast.dtype == slow.dtype and fast.shape == slow.shape and np.array_equal(fast, slow)
    assert np.array_equal(decode_pil("x.png", data), slow)


@pytest.mark.parametrize("name, arr, save", [
    ("16-bit grey", np.arange(600, dtype=np.uint16).reshape(20, 30) * 97, {}),
    ("palette", np.arange(256, dtype=np.uint8).reshape(16, 16), {"_palette": True}),
    ("rgba", np.random.default_rng(1).integers(0, 256, (9, 9, 4), dtype=np.uint8), {}),
    ("bilevel", np.arange(64).reshape(8, 8) % 2 == 0, {}),
])
def test_other_pngs_are_left_to_pillow(name, arr, save, monkeypatch):
    img = Image.fromarray(arr)
    if save.pop("_palette", False):
        img = img.convert("P")
    buf = io.BytesIO()
    img.save(buf, format="PNG", **save)
    data = buf.getvalue()
    im = Image.open(io.BytesIO(data))
    assert png_pixels(data, im.mode, im.size[::-1]) is None
    assert np.array_equal(decode_pil("x.png", data), _pillow(data, monkeypatch))


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _adam7_png(arr: np.ndarray) -> bytes:
    """An interlaced (Adam7) 8-bit grey PNG, written by hand (Pillow does not write interlaced PNGs)."""
    passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
    raw = b""
    for x0, y0, dx, dy in passes:
        sub = arr[y0::dy, x0::dx]
        if sub.size:
            raw += b"".join(b"\x00" + row.tobytes() for row in sub)
    h, w = arr.shape
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 1))
            + _chunk(b"IDAT", zlib.compress(raw)) + _chunk(b"IEND", b""))


def test_interlaced_pngs_are_left_to_pillow(monkeypatch):
    arr = np.random.default_rng(4).integers(0, 256, (13, 11), dtype=np.uint8)
    data = _adam7_png(arr)
    assert png_pixels(data, "L", (13, 11)) is None
    assert np.array_equal(decode_pil("x.png", data), arr) and np.array_equal(_pillow(data, monkeypatch), arr)


def test_damaged_pngs_get_pillows_error_with_or_without_libspng(monkeypatch):
    data = _png(np.random.default_rng(2).integers(0, 256, (64, 64), dtype=np.uint8))
    truncated = data[:len(data) // 2]
    bad_idat = bytearray(data)
    bad_idat[60:80] = b"\x00" * 20
    for broken in (truncated, bytes(bad_idat)):
        assert png_pixels(broken, "L", (64, 64)) is None
        messages = []
        for module in (fileformat.pyspng, None):
            monkeypatch.setattr(fileformat, "pyspng", module)
            with pytest.raises(InputError) as err:
                decode_pil("x.png", broken)
            messages.append(str(err.value))
        assert messages[0] == messages[1] and messages[0].startswith("x.png: ")


def test_the_pixel_budget_is_checked_before_libspng_decodes(monkeypatch):
    data = _png(np.zeros((40, 50), np.uint8))
    monkeypatch.setattr(fileformat.pyspng, "load", lambda *a, **k: pytest.fail("decoded over budget"))
    with pytest.raises(InputError, match=r"file declares 50×40×1 = 2,000 pixel values, more than the budget of 1,000"):
        decode_pil("x.png", data, max_pixels=1000)


PLAIN = ("grey noise", "grey smooth (Sub/Up/Paeth filters)", "grey level 0", "rgb", "one pixel", "tall",
         "split IDAT")


@pytest.mark.parametrize("name, data", _cases(), ids=[c[0] for c in _cases()])
def test_plain_pngs_are_decoded_without_pillows_header_parse(name, data, monkeypatch):
    """A PNG whose IDAT follows its IHDR directly skips Pillow's open (the audit's usual file); one with chunks
    between them (text, tRNS) still opens with Pillow first. Pixels equal Pillow's either way."""
    slow = _pillow(data, monkeypatch)
    plain = plain_png(data)
    assert (plain is not None) == (name in PLAIN), name
    if plain is not None:
        assert plain == (("L" if slow.ndim == 2 else "RGB"), slow.shape[:2])
        monkeypatch.setattr(fileformat, "open_pil", lambda *a, **k: pytest.fail("Pillow opened a plain PNG"))
    assert np.array_equal(decode_pil("x.png", data), slow)


def _ihdr_png(width: int, height: int, depth: int = 8, colour: int = 0, compression: int = 0, filtering: int = 0,
              interlace: int = 0) -> bytes:
    body = struct.pack(">IIBBBBB", width, height, depth, colour, compression, filtering, interlace)
    row = b"\x00" + b"\x07" * width * (3 if colour == 2 else 1)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", body) + _chunk(b"IDAT", zlib.compress(row * height))
            + _chunk(b"IEND", b""))


@pytest.mark.parametrize("name, data", [
    ("16-bit", _ihdr_png(4, 3, depth=16)),
    ("palette", _ihdr_png(4, 3, colour=3)),
    ("grey+alpha", _ihdr_png(4, 3, colour=4)),
    ("interlaced", _ihdr_png(4, 3, interlace=1)),
    ("compression method 1", _ihdr_png(4, 3, compression=1)),
    ("filter method 1", _ihdr_png(4, 3, filtering=1)),
    ("zero width", _ihdr_png(0, 3)),
    ("bad IHDR CRC", _ihdr_png(4, 3)[:29] + b"\x00\x00\x00\x00" + _ihdr_png(4, 3)[33:]),
    ("pHYs before IDAT", _png(np.zeros((3, 4), np.uint8), dpi=(72, 72))),
    ("too short", _ihdr_png(4, 3)[:40]),
])
def test_other_headers_are_not_plain_and_get_pillows_outcome(name, data, monkeypatch):
    """Whatever plain_png declines goes through Pillow exactly as before: the same pixels or the same error, with
    or without libspng."""
    assert plain_png(data) is None, name
    outcomes = []
    for module in (fileformat.pyspng, None):
        monkeypatch.setattr(fileformat, "pyspng", module)
        try:
            outcomes.append(decode_pil("x.png", data).tolist())
        except InputError as exc:
            outcomes.append(str(exc))
    assert outcomes[0] == outcomes[1], name


def test_plain_png_respects_both_pixel_limits(monkeypatch):
    data = _png(np.zeros((40, 50), np.uint8))
    assert plain_png(data, 2000) == ("L", (40, 50)) and plain_png(data, 1999) is None
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1999)  # Pillow's decompression-bomb limit, lowered by a user
    assert plain_png(data, 2000) is None
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)
    assert plain_png(data, 2000) == ("L", (40, 50))
