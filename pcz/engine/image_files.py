"""Image files as pixels plus what else it takes to rebuild the exact file: the *template*.

A folder of images is coded as records (the pixels, by the record model) and, per file,
the bytes that are not pixels (:mod:`pcz.engine.folders`).  :func:`analyse` decodes a file
(Pillow) and finds how its bytes follow from its pixels; a template is only accepted
when :func:`rebuild` gives back the file byte for byte, else the file is *opaque* (coded
as bytes, not as a record).  Kinds:

- ``splice``: the pixels are stored uncompressed, in one run, in the file (PGM/PPM,
  uncompressed TIFF, raw formats): the rest of the file is kept, the run is cut out and
  put back from the pixels (in the file's byte order);
- ``png``: a PNG (8 or 16 bits per sample, not interlaced): the chunks before and after
  the image data are kept, with each row's filter type (stored as its difference, mod 5,
  from the type Pillow's encoder picks: the one of none, sub, up and Paeth whose
  filtered bytes, as signed numbers, have the smallest sum of magnitudes; 99.96 % of
  the rows of Pillow-written Fashion-MNIST PNGs, so the stored types are mostly 0);
  the image data is rebuilt by
  filtering the pixels and deflating them with the zlib settings (level, memory level,
  strategy, window) that reproduce the file's stream, found by trying them.  Encoders
  that do not use zlib (or use another zlib, such as zlib-ng) give streams no setting
  reproduces: such files are opaque.  Rebuilding relies on the decoding machine's zlib
  deflating exactly as the encoding one did (zlib's output has been stable for years,
  but it is not a promise); every rebuilt file is checked against its CRC32.

>>> import io, numpy as np
>>> from PIL import Image
>>> buf = io.BytesIO()
>>> Image.fromarray(np.arange(48, dtype=np.uint8).reshape(6, 8)).save(buf, "PNG")
>>> found = analyse(buf.getvalue())
>>> found.kind, found.pixels.shape, rebuild(found.kind, found.params, found.rest, found.pixels) == buf.getvalue()
('png', (6, 8), True)
"""
import io
import struct
import zlib
from dataclasses import dataclass, field

import numpy as np

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}      # PNG colour type -> samples per pixel
_MEM_LEVELS = (8, 9, 7, 6, 5, 4, 3, 2, 1)
_STRATEGIES = (zlib.Z_DEFAULT_STRATEGY, zlib.Z_FILTERED, zlib.Z_HUFFMAN_ONLY, zlib.Z_RLE, zlib.Z_FIXED)


@dataclass
class Analysed:
    """A file as pixels and template, or opaque (``pixels`` None)."""
    kind: str                                  # "splice", "png" or "opaque"
    pixels: np.ndarray | None = None           # (H, W) or (H, W, C), native byte order
    params: dict = field(default_factory=dict)
    rest: bytes = b""                          # the file's bytes that are not pixels


def opaque(data: bytes) -> Analysed:
    return Analysed("opaque", None, {}, data)


def _pixels(data: bytes) -> np.ndarray | None:
    """The image's pixels as Pillow decodes them (integers only), or None."""
    try:
        from PIL import Image
    except ImportError:      # Pillow is optional: without it every file is coded as bytes
        return None
    try:
        with Image.open(io.BytesIO(data)) as image:
            if getattr(image, "n_frames", 1) != 1:
                return None
            pixels = np.asarray(image)
    except Exception:        # not an image Pillow reads: coded as bytes
        return None
    if pixels.dtype.kind == "i" and pixels.size and pixels.min() >= 0 and pixels.max() < 1 << 16:
        pixels = pixels.astype(np.uint16)      # 16-bit images Pillow reads as 32-bit 'I'
    if pixels.dtype.kind not in "ub" or pixels.dtype.itemsize > 2 or pixels.ndim not in (2, 3):
        return None
    return np.ascontiguousarray(pixels)


def analyse(data: bytes, cache: dict | None = None) -> Analysed:
    """The file's pixels and template, or opaque; ``cache`` (a dict kept across the files of a
    folder) remembers the zlib settings that worked, tried first on the next PNG."""
    pixels = _pixels(data)
    if pixels is None:
        return opaque(data)
    found = None
    if data.startswith(PNG_SIGNATURE):
        found = _png(data, pixels, {} if cache is None else cache)
    if found is None:
        found = _splice(data, pixels)
    if found is None or rebuild(found.kind, found.params, found.rest, found.pixels) != data:
        return opaque(data)
    return found


def rebuild(kind: str, params: dict, rest: bytes, pixels: np.ndarray) -> bytes:
    """The file's bytes from its template and pixels (ValueError if they do not fit)."""
    if kind == "splice":
        at = params["offset"]
        body = pixels.astype(pixels.dtype.newbyteorder(params["order"])).tobytes()
        return rest[:at] + body + rest[at:]
    if kind == "png":
        return _png_rebuild(params, rest, pixels)
    raise ValueError(f"unknown template kind {kind!r}")


def _splice(data: bytes, pixels: np.ndarray) -> Analysed | None:
    """The pixels as one uncompressed run in the file, in either byte order."""
    for order in ("<", ">") if pixels.dtype.itemsize > 1 else ("<",):
        body = pixels.astype(pixels.dtype.newbyteorder(order)).tobytes()
        at = data.find(body)
        if at >= 0:
            return Analysed("splice", pixels, {"offset": at, "order": order},
                            data[:at] + data[at + len(body):])
    return None


# --- PNG -----------------------------------------------------------------------------------

def _chunks(data: bytes):
    """(type, start, end) of every chunk (start: its length field; end: after its CRC)."""
    pos = len(PNG_SIGNATURE)
    while pos + 12 <= len(data):
        (length,) = struct.unpack_from(">I", data, pos)
        end = pos + 12 + length
        if end > len(data):
            return
        yield data[pos + 4:pos + 8], pos, end
        pos = end


def _rows(pixels: np.ndarray, depth: int) -> np.ndarray:
    """The image as PNG scanline bytes (H, stride): samples big-endian."""
    raw = pixels.astype(">u2") if depth == 16 else pixels.astype(np.uint8)
    return np.ascontiguousarray(raw).view(np.uint8).reshape(pixels.shape[0], -1)


def _filter(rows: np.ndarray, types: np.ndarray, bpp: int) -> bytes:
    """Each row filtered with its PNG filter type (0 none, 1 sub, 2 up, 3 average, 4 Paeth),
    led by that type byte (all computed from the unfiltered bytes, so vectorised)."""
    x = rows.astype(np.int16)
    a = np.zeros_like(x)
    a[:, bpp:] = x[:, :-bpp]
    b = np.zeros_like(x)
    b[1:] = x[:-1]
    c = np.zeros_like(x)
    c[1:, bpp:] = x[:-1, :-bpp]
    p = a + b - c
    pa, pb, pc = np.abs(p - a), np.abs(p - b), np.abs(p - c)
    paeth = np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))
    predictors = np.stack([np.zeros_like(x), a, b, (a + b) >> 1, paeth])
    t = types.astype(np.int64)
    out = (x - predictors[t[:, None], np.arange(len(x))[:, None], np.arange(x.shape[1])[None, :]]) & 0xFF
    return np.concatenate([types[:, None].astype(np.uint8), out.astype(np.uint8)], axis=1).tobytes()


def _predicted_types(rows: np.ndarray, bpp: int) -> np.ndarray:
    """Each row's filter type as Pillow chooses it (ties to the lower type; no average)."""
    costs = []
    for t in (0, 1, 2, 4):
        f = np.frombuffer(_filter(rows, np.full(len(rows), t, np.uint8), bpp), np.uint8)
        f = f.reshape(len(rows), -1)[:, 1:].astype(np.int64)
        costs.append(np.minimum(f, 256 - f).sum(axis=1))
    return np.array([0, 1, 2, 4], np.uint8)[np.argmin(np.stack(costs), axis=0)]


def _deflate(data: bytes, level: int, mem_level: int, strategy: int, wbits: int) -> bytes:
    z = zlib.compressobj(level, zlib.DEFLATED, wbits, mem_level, strategy)
    return z.compress(data) + z.flush()


def _settings(stream: bytes, cache: dict):
    """zlib (level, memLevel, strategy, wbits) to try for this stream: the cached ones first,
    then those its header allows (window size; level class, which zlib writes as 0 for
    levels 0-1 and the Huffman-only, RLE and fixed strategies)."""
    if len(stream) < 2:
        return
    wbits, flevel = (stream[0] >> 4) + 8, stream[1] >> 6
    if "png" in cache:
        yield cache["png"]
    levels = {0: (0, 1), 1: (2, 3, 4, 5), 2: (6,), 3: (7, 8, 9)}[flevel]
    for mem_level in _MEM_LEVELS:
        for strategy in _STRATEGIES:
            tried = levels if strategy < zlib.Z_HUFFMAN_ONLY else (range(10) if flevel == 0 else ())
            for level in tried:
                yield level, mem_level, strategy, wbits


def _png(data: bytes, pixels: np.ndarray, cache: dict) -> Analysed | None:
    chunks = list(_chunks(data))
    if not chunks or chunks[0][0] != b"IHDR" or chunks[-1][2] != len(data):
        return None
    ihdr = data[chunks[0][1] + 8:chunks[0][2] - 4]
    if len(ihdr) != 13:
        return None
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", ihdr)
    channels = _CHANNELS.get(colour)
    if channels is None or depth not in (8, 16) or interlace or (colour == 3 and depth != 8):
        return None
    if pixels.shape[:2] != (height, width) or (pixels.ndim == 3) != (channels > 1) \
            or (pixels.ndim == 3 and pixels.shape[2] != channels) or pixels.dtype.itemsize * 8 != depth:
        return None
    idat = [i for i, c in enumerate(chunks) if c[0] == b"IDAT"]
    if not idat or idat != list(range(idat[0], idat[-1] + 1)):
        return None
    start, end = chunks[idat[0]][1], chunks[idat[-1]][2]
    stream = b"".join(data[chunks[i][1] + 8:chunks[i][2] - 4] for i in idat)
    try:
        filtered = zlib.decompress(stream)
    except zlib.error:
        return None
    rows = _rows(pixels, depth)
    stride = rows.shape[1] + 1
    if len(filtered) != height * stride:
        return None
    types = np.frombuffer(filtered, np.uint8)[::stride].copy()
    if types.size and types.max() > 4:
        return None
    if _filter(rows, types, max(1, channels * depth // 8)) != filtered:
        return None
    for setting in _settings(stream, cache):
        if _deflate(filtered, *setting) == stream:
            cache["png"] = setting
            params = {"zlib": list(setting), "depth": depth, "channels": channels, "head": start}
            lengths = [chunks[i][2] - chunks[i][1] - 12 for i in idat]
            if len(lengths) > 1:          # a fixed piece size, the last piece shorter: the size
                fixed = all(n == lengths[0] for n in lengths[:-1]) and 0 < lengths[-1] <= lengths[0]
                params.update({"split": lengths[0]} if fixed else {"idat": lengths})
            stored = (types.astype(np.int64) - _predicted_types(rows, max(1, channels * depth // 8))) % 5
            return Analysed("png", pixels, params, data[:start] + stored.astype(np.uint8).tobytes() + data[end:])
    return None


def _png_rebuild(params: dict, rest: bytes, pixels: np.ndarray) -> bytes:
    depth, channels, head = params["depth"], params["channels"], params["head"]
    height, bpp = pixels.shape[0], max(1, channels * depth // 8)
    rows = _rows(pixels, depth)
    stored = np.frombuffer(rest[head:head + height], np.uint8)
    if len(stored) != height or (stored.size and stored.max() > 4):
        raise ValueError("PNG template does not fit the pixels")
    types = ((stored.astype(np.int64) + _predicted_types(rows, bpp)) % 5).astype(np.uint8)
    stream = _deflate(_filter(rows, types, bpp), *params["zlib"])
    if "split" in params:
        n = int(params["split"])
        if n < 1:
            raise ValueError("PNG image data split is not positive")
        lengths = [n] * ((len(stream) - 1) // n) + [len(stream) - n * ((len(stream) - 1) // n)]
    else:
        lengths = params.get("idat") or [len(stream)]
    if sum(lengths) != len(stream):
        raise ValueError("PNG image data does not rebuild to its recorded length")
    out, at = [rest[:head]], 0
    for length in lengths:
        piece = b"IDAT" + stream[at:at + length]
        out.append(struct.pack(">I", length) + piece + struct.pack(">I", zlib.crc32(piece)))
        at += length
    out.append(rest[head + height:])
    return b"".join(out)
