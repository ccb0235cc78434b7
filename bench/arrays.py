"""Reading uint8 arrays from IDX files (plain or gzip) and ``.npy`` files, with sizes validated.

>>> blob = bytes([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3]) + bytes(range(6))
>>> parse_idx(blob)
array([[0, 1, 2],
       [3, 4, 5]], dtype=uint8)
>>> parse_idx(blob[:-1])
Traceback (most recent call last):
...
pcz.errors.InputError: IDX data has 5 bytes after the header, the header says 6
"""
import gzip
import os

import numpy as np

from pcz.errors import InputError

IDX_UBYTE = 0x08
MAX_FILE = 4 << 30


def parse_idx(blob: bytes, name: str = "IDX data") -> np.ndarray:
    """The uint8 array held by an IDX file's bytes (only the unsigned-byte type is accepted)."""
    if len(blob) < 4 or blob[0] != 0 or blob[1] != 0:
        raise InputError(f"{name} is not an IDX file (bad magic)")
    if blob[2] != IDX_UBYTE:
        raise InputError(f"{name}: only unsigned-byte IDX files are supported (type 0x{blob[2]:02x})")
    ndim = blob[3]
    if not 1 <= ndim <= 4 or len(blob) < 4 + 4 * ndim:
        raise InputError(f"{name}: bad IDX header")
    shape = tuple(int.from_bytes(blob[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    start = 4 + 4 * ndim
    if len(blob) - start != int(np.prod(shape, dtype=np.int64)):
        raise InputError(f"{name} has {len(blob) - start} bytes after the header, "
                         f"the header says {int(np.prod(shape, dtype=np.int64))}")
    return np.frombuffer(blob, dtype=np.uint8, offset=start).reshape(shape)


def read_idx(path: str) -> np.ndarray:
    """Read an IDX file, gzip-compressed when its name ends in ``.gz``."""
    if os.path.getsize(path) > MAX_FILE:
        raise InputError(f"{path}: file too large for the benchmark")
    with (gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")) as f:
        try:
            blob = f.read(MAX_FILE + 1)
        except (OSError, EOFError) as e:
            raise InputError(f"{path}: {e}") from None
    return parse_idx(blob, path)


def read_npy(path: str) -> np.ndarray:
    """Read a uint8 ``.npy`` array (never unpickles)."""
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as e:
        raise InputError(f"{path}: not a readable .npy array ({e})") from None
    if array.dtype != np.uint8:
        raise InputError(f"{path}: only uint8 arrays are supported (dtype {array.dtype})")
    return array


def is_idx_name(path: str) -> bool:
    """Whether a file name looks like an IDX file (``*-ubyte``, ``*.idx``, optionally ``.gz``).

    >>> is_idx_name("t10k-images-idx3-ubyte.gz"), is_idx_name("notes.txt")
    (True, False)
    """
    base = path.removesuffix(".gz")
    return base.endswith("-ubyte") or base.endswith(".idx") or ".idx" in os.path.basename(base)
