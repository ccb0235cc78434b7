"""Image files as pixels + template (pcz.engine.image_files): exact rebuilds for the
encoders and formats pcz knows, opaque for the rest."""
import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from pcz.engine.image_files import analyse, rebuild

RNG = np.random.default_rng(0)
SMOOTH = (np.add.outer(np.arange(20), np.arange(24)) * 5 % 256).astype(np.uint8)
IMAGES = {
    "gray8": SMOOTH,
    "gray16": SMOOTH.astype(np.uint16) * 16 + RNG.integers(0, 16, SMOOTH.shape).astype(np.uint16),
    "rgb": np.stack([SMOOTH, 255 - SMOOTH, SMOOTH // 2], -1),
    "rgba": np.stack([SMOOTH, 255 - SMOOTH, SMOOTH // 2, SMOOTH * 0 + 255], -1),
    "noise": RNG.integers(0, 256, (16, 16)).astype(np.uint8),
}


def pillow(array, fmt, **options):
    out = io.BytesIO()
    Image.fromarray(array).save(out, fmt, **options)
    return out.getvalue()


def expect(data, kind, pixels):
    found = analyse(data)
    assert found.kind == kind
    if kind != "opaque":
        np.testing.assert_array_equal(found.pixels, pixels)
        assert found.pixels.dtype.itemsize == pixels.dtype.itemsize
        assert rebuild(found.kind, found.params, found.rest, found.pixels) == data
        assert len(found.rest) < len(data) - pixels.nbytes // 2 or kind == "png"
    return found


@pytest.mark.parametrize("name", sorted(IMAGES))
@pytest.mark.parametrize("options", [{}, {"optimize": True}, {"compress_level": 1}, {"compress_level": 9}])
def test_pillow_pngs_rebuild_exactly(name, options):
    found = expect(pillow(IMAGES[name], "PNG", **options), "png", IMAGES[name])
    height = IMAGES[name].shape[0]
    stored = np.frombuffer(found.rest[found.params["head"]:found.params["head"] + height], np.uint8)
    assert (stored == 0).mean() > 0.75       # Pillow's filter choice is mostly predicted


@pytest.mark.parametrize("name", ["gray8", "gray16", "rgb"])
def test_uncompressed_formats_are_spliced(name):
    a = IMAGES[name]
    expect(pillow(a, "TIFF"), "splice", a)
    expect(pillow(a, "PPM"), "splice", a)
    tifffile = pytest.importorskip("tifffile")
    out = io.BytesIO()
    tifffile.imwrite(out, a)
    expect(out.getvalue(), "splice", a)


def test_other_encoders_pngs():
    import imagecodecs
    for a in (IMAGES["gray8"], IMAGES["gray16"]):
        data = imagecodecs.png_encode(a)
        found = analyse(data)                  # exact when its zlib settings are found, else opaque
        assert found.kind in ("png", "opaque")
        assert found.kind == "opaque" or rebuild(found.kind, found.params, found.rest, found.pixels) == data


def test_png_in_pieces_and_unreproducible_streams():
    a = IMAGES["noise"]
    data = pillow(a, "PNG")
    # split the image data into IDAT chunks of 100 bytes: rebuilt with the same split
    at = data.index(b"IDAT") - 4
    (length,) = struct.unpack(">I", data[at:at + 4])
    stream, tail = data[at + 8:at + 8 + length], data[at + 12 + length:]
    pieces = b"".join(struct.pack(">I", len(p)) + b"IDAT" + p + struct.pack(">I", zlib.crc32(b"IDAT" + p))
                      for p in (stream[i:i + 100] for i in range(0, len(stream), 100)))
    split = data[:at] + pieces + tail
    found = expect(split, "png", a)
    assert found.params["split"] == 100
    # a stream no zlib setting makes (a flush in the middle) is opaque, never wrong
    raw = zlib.decompress(stream)
    z = zlib.compressobj(6)
    odd = z.compress(raw[:100]) + z.flush(zlib.Z_FULL_FLUSH) + z.compress(raw[100:]) + z.flush()
    body = b"IDAT" + odd
    weird = data[:at] + struct.pack(">I", len(odd)) + body + struct.pack(">I", zlib.crc32(body)) + tail
    assert analyse(weird).kind == "opaque"


@pytest.mark.parametrize("data", [b"", b"not an image", pillow(IMAGES["gray8"], "BMP"),
                                  pillow(IMAGES["gray8"], "PNG")[:-20],
                                  pillow(IMAGES["gray8"].astype(bool), "PNG"),
                                  pillow(IMAGES["rgb"], "JPEG")])
def test_everything_else_is_opaque(data):
    found = analyse(data)
    assert found.kind == "opaque" and found.rest == data
