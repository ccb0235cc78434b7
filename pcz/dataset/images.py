"""Folders of same-size images (PNG, PGM/PPM) as records, restorable byte for byte.

Pixels go to the record array; what else a file needs to come back exactly is its
*form*, a small code per file:

- ``PNM`` (1): a binary PGM/PPM is its header (kept as is, in ``extra``) and its pixels;
- ``PNG`` + level (16..25): a PNG that Pillow writes again, identically, from the pixels
  with that zlib level (Pillow's defaults otherwise), so nothing else is kept;
- ``VERBATIM`` (0): anything else (other encoders, extra chunks): the whole file is kept
  in ``extra`` next to its pixels.

Every file's CRC32 is kept too and checked when it is restored.  Pillow is imported
on first use.

>>> import io, numpy as np
>>> px = np.arange(6, dtype=np.uint8).reshape(2, 3)
>>> pgm = b"P5\\n3 2\\n255\\n" + px.tobytes()
>>> pixels, form, extra = split(pgm, "a.pgm", (2, 3), "L")
>>> form, extra, rebuild(pixels, form, extra, "L") == pgm
(1, b'P5\\n3 2\\n255\\n', True)
"""
import io
import os
import zlib

import numpy as np

from pcz.dataset import require
from pcz.errors import InputError

require("PIL.Image")        # the dataset extra: a clear error now rather than halfway

VERBATIM, PNM, PNG = 0, 1, 16
PNG_LEVELS = (6, 9, 1)          # tried in this order (6: Pillow's default)
CHANNELS = {"L": (), "RGB": (3,), "RGBA": (4,)}


def _image(data: bytes, name: str):
    Image = require("PIL.Image")
    try:
        img = Image.open(io.BytesIO(data))
        img.load()
    except Exception as e:          # Pillow raises many kinds for a damaged file
        raise InputError(f"{name}: not a readable image ({e})") from None
    if img.format not in ("PNG", "PPM"):
        raise InputError(f"{name}: {img.format} images are not supported (PNG, PGM/PPM are)")
    if img.mode not in CHANNELS:
        raise InputError(f"{name}: image mode {img.mode} is not supported (L, RGB, RGBA are)")
    return img


def record_shape(data: bytes, name: str) -> tuple[tuple[int, ...], str]:
    """The pixel array shape (H, W[, C]) and mode of an image file."""
    img = _image(data, name)
    return (img.height, img.width, *CHANNELS[img.mode]), img.mode


def _png(pixels: np.ndarray, mode: str, level: int) -> bytes:
    Image = require("PIL.Image")
    out = io.BytesIO()
    Image.fromarray(pixels, mode).save(out, "PNG", compress_level=level)
    return out.getvalue()


def split(data: bytes, name: str, shape: tuple[int, ...], mode: str) -> tuple[np.ndarray, int, bytes]:
    """(pixels, form, extra) of an image file, whose pixels must have ``shape`` and ``mode``."""
    img = _image(data, name)
    pixels = np.asarray(img, dtype=np.uint8)
    if img.mode != mode or pixels.shape != tuple(shape):
        raise InputError(f"{name}: a {img.mode} image of shape {pixels.shape}; the folder's first "
                         f"image is {mode} of shape {tuple(shape)}")
    if img.format == "PPM":
        head = len(data) - pixels.nbytes
        if head > 0 and data[head:] == pixels.tobytes():
            return pixels, PNM, data[:head]
    else:
        for level in PNG_LEVELS:
            if _png(pixels, mode, level) == data:
                return pixels, PNG + level, b""
    return pixels, VERBATIM, data


def rebuild(pixels: np.ndarray, form: int, extra: bytes, mode: str) -> bytes:
    """The file bytes from its pixels, form and extra bytes (as :func:`split` gave them)."""
    if form == VERBATIM:
        return bytes(extra)
    if form == PNM:
        return bytes(extra) + np.ascontiguousarray(pixels).tobytes()
    if PNG <= form <= PNG + 9:
        return _png(np.ascontiguousarray(pixels), mode, form - PNG)
    raise InputError(f"unknown image form {form} (store written by a newer pcz?)")


def scan(folder: str) -> tuple[list[str], tuple[int, ...], str]:
    """The image files under ``folder`` (relative, '/'-separated, sorted), the records'
    shape (N, H, W[, C]) and the image mode, from the first file."""
    names = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        rel = os.path.relpath(dirpath, folder)
        for name in filenames:
            names.append(name if rel == "." else f"{rel}/{name}".replace(os.sep, "/"))
    names.sort()
    if not names:
        raise InputError(f"{folder}: no files to pack")
    with open(os.path.join(folder, names[0]), "rb") as f:
        shape, mode = record_shape(f.read(), names[0])
    return names, (len(names), *shape), mode


def read_files(folder: str, names, shape: tuple[int, ...], mode: str):
    """Pixels (n, *shape), forms (uint8), CRC32s (uint32) and extra bytes of the named files."""
    pixels = np.empty((len(names), *shape), dtype=np.uint8)
    forms = np.empty(len(names), dtype=np.uint8)
    crcs = np.empty(len(names), dtype=np.uint32)
    extras = []
    for i, name in enumerate(names):
        with open(os.path.join(folder, name), "rb") as f:
            data = f.read()
        pixels[i], forms[i], extra = split(data, name, shape, mode)
        crcs[i] = zlib.crc32(data)
        extras.append(extra)
    return pixels, forms, crcs, extras


def safe_name(name: str) -> str:
    """A stored file name, refused if it could leave the output folder (the store is untrusted).

    >>> safe_name("a/b.png"), safe_name("../x")
    Traceback (most recent call last):
    ...
    pcz.errors.InputError: unsafe file name in the store: '../x'
    """
    parts = name.split("/")
    if (not name or name.startswith("/") or "\\" in name or "\x00" in name
            or any(p in ("", ".", "..") for p in parts)):
        raise InputError(f"unsafe file name in the store: {name!r}")
    return name
