"""The canonical ``.npy`` header of a uint8 C-order array, and chunk method 7 that codes it.

pcz writes ``.npy`` headers itself, byte for byte as the npy format 1.0 spec
lays them out and as NumPy 2 writes them (the dictionary, spare room for the
first axis to grow to 21 digits, spaces and a newline up to a multiple of 64
bytes), so that they never depend on the NumPy version.  Method ``npy-header``
stores such a header as its number of dimensions and its dimensions (LEB128);
any other bytes (another dtype, order, NumPy's older layouts) are not its
business, and order0 or raw codes them.

>>> header((1, 28, 28))[10:74]
b"{'descr': '|u1', 'fortran_order': False, 'shape': (1, 28, 28), }"
>>> len(header((1, 28, 28))), encode(header((1, 28, 28)), None).hex()
(128, '03011c1c')
>>> decode(bytes.fromhex("03011c1c"), 128, None) == header((1, 28, 28))
True
"""
import re
import struct
from typing import Any

from pcz import methods
from pcz.format.binio import Reader, varint
from pcz.errors import FormatError

MAGIC = b"\x93NUMPY\x01\x00"       # format version 1.0
MAX_NDIM = 64
MAX_DIM = (1 << 63) - 1
_ALIGN = 64                         # the header ends on a multiple of 64 bytes
_GROWTH_DIGITS = 21                 # spare room for the first dimension to grow
_SHAPE = re.compile(rb"\{'descr': '\|u1', 'fortran_order': False, 'shape': \(([0-9, ]*)\), \}")


def header(shape: tuple[int, ...]) -> bytes:
    """The .npy (1.0) header of a uint8 C-order array of this shape."""
    if len(shape) > MAX_NDIM or not all(0 <= d <= MAX_DIM for d in shape):
        raise ValueError(f"no canonical .npy header for shape {shape}")
    dims = ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "")
    text = "{'descr': '|u1', 'fortran_order': False, 'shape': (" + dims + "), }"
    if shape:
        text += " " * (_GROWTH_DIGITS - len(str(shape[0])))
    pad = _ALIGN - (len(MAGIC) + 2 + len(text) + 1) % _ALIGN
    return MAGIC + struct.pack("<H", len(text) + pad + 1) + text.encode("ascii") + b" " * pad + b"\n"


def npy_bytes(array) -> bytes:
    """A uint8 array as .npy file bytes, with the canonical header.

    >>> import numpy as np, io
    >>> np.load(io.BytesIO(npy_bytes(np.arange(6, dtype=np.uint8).reshape(2, 3)))).tolist()
    [[0, 1, 2], [3, 4, 5]]
    """
    return header(array.shape) + array.tobytes(order="C")


def _shape(data: bytes) -> tuple[int, ...] | None:
    """The shape whose canonical header is exactly ``data``, or None."""
    match = _SHAPE.match(data, len(MAGIC) + 2) if data.startswith(MAGIC) else None
    if match is None:
        return None
    parts = match.group(1).decode().split(",")
    if parts[-1] == "":
        parts.pop()
    if not all(p.strip().isdigit() for p in parts) or len(parts) > MAX_NDIM:
        return None
    shape = tuple(int(p) for p in parts)
    try:
        return shape if header(shape) == data else None
    except ValueError:
        return None


def encode(data: bytes, model: Any) -> bytes | None:
    """The payload for a canonical header, or None for any other bytes."""
    shape = _shape(data)
    if shape is None:
        return None
    return varint(len(shape)) + b"".join(varint(d) for d in shape)


def decode(payload: bytes, size: int, model: Any) -> bytes:
    fields = Reader(payload, "npy-header chunk")
    shape = tuple(fields.varint(MAX_DIM) for _ in range(fields.varint(MAX_NDIM)))
    fields.expect_end()
    out = header(shape)
    if len(out) != size:
        raise FormatError("npy-header chunk size does not match its header")
    return out


def _header_memory(size: int, stored: int) -> int:
    return 4096       # a header of at most 64 dimensions, whatever the size claimed


# A header is at least 128 bytes for a 1-byte payload (no dimensions) and every dimension
# adds at least a byte of payload for at most 21 characters: 8 bits per 128 bytes at least.
MIN_BITS = 1 / 16
methods.register(methods.Method(methods.NPY_HEADER, "npy-header", encode, decode, min_bits=MIN_BITS,
                                memory=_header_memory))
