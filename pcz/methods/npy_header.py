"""The canonical ``.npy`` header of a C-order record array, and chunk methods 7 and 11 that code it.

pcz writes ``.npy`` headers itself, byte for byte as the npy format 1.0 spec
lays them out and as NumPy 2 writes them (the dictionary, spare room for the
first axis to grow to 21 digits, spaces and a newline up to a multiple of 64
bytes), so that they never depend on the NumPy version.  Method ``npy-header``
stores such a header as its number of dimensions and its dimensions (LEB128);
any other bytes (another dtype, order, NumPy's older layouts) are not its
business, and order0 or raw codes them.  Method 11, ``npy-header-typed``, does the same
for the other element types records may have (:data:`DESCRS`: int8, bool, and 2- and
4-byte integers in either byte order), its payload led by the type's index in that table.

>>> header((1, 28, 28))[10:74]
b"{'descr': '|u1', 'fortran_order': False, 'shape': (1, 28, 28), }"
>>> len(header((1, 28, 28))), encode(header((1, 28, 28)), None).hex()
(128, '03011c1c')
>>> decode(bytes.fromhex("03011c1c"), 128, None) == header((1, 28, 28))
True
>>> encode(header((5,), "<u2"), None) is None, encode_typed(header((5,), "<u2"), None).hex()
(True, '020105')
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
_SHAPE = re.compile(rb"\{'descr': '([|<>][uib][124])', 'fortran_order': False, 'shape': \(([0-9, ]*)\), \}")
# element types of method 11, by their index in the payload (part of the format: append only)
DESCRS = ("|i1", "|b1", "<u2", ">u2", "<i2", ">i2", "<u4", ">u4", "<i4", ">i4")


def header(shape: tuple[int, ...], descr: str = "|u1") -> bytes:
    """The .npy (1.0) header of a C-order array of this shape and element type (``descr``
    as NumPy writes it: ``|u1``, ``<u2``...)."""
    if len(shape) > MAX_NDIM or not all(0 <= d <= MAX_DIM for d in shape):
        raise ValueError(f"no canonical .npy header for shape {shape}")
    if descr != "|u1" and descr not in DESCRS:
        raise ValueError(f"no canonical .npy header for element type {descr}")
    dims = ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "")
    text = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + dims + "), }"
    if shape:
        text += " " * (_GROWTH_DIGITS - len(str(shape[0])))
    pad = _ALIGN - (len(MAGIC) + 2 + len(text) + 1) % _ALIGN
    return MAGIC + struct.pack("<H", len(text) + pad + 1) + text.encode("ascii") + b" " * pad + b"\n"


def npy_bytes(array) -> bytes:
    """A record array (uint8 or a type of :data:`DESCRS`) as .npy file bytes, with the
    canonical header.

    >>> import numpy as np, io
    >>> np.load(io.BytesIO(npy_bytes(np.arange(6, dtype=np.uint8).reshape(2, 3)))).tolist()
    [[0, 1, 2], [3, 4, 5]]
    >>> np.load(io.BytesIO(npy_bytes(np.array([-1, 300], dtype=">i2")))).tolist()
    [-1, 300]
    """
    return header(array.shape, array.dtype.str) + array.tobytes(order="C")


def _parse(data: bytes) -> tuple[str, tuple[int, ...]] | None:
    """(descr, shape) whose canonical header is exactly ``data``, or None."""
    match = _SHAPE.match(data, len(MAGIC) + 2) if data.startswith(MAGIC) else None
    if match is None:
        return None
    descr = match.group(1).decode()
    parts = match.group(2).decode().split(",")
    if parts[-1] == "":
        parts.pop()
    if not all(p.strip().isdigit() for p in parts) or len(parts) > MAX_NDIM:
        return None
    shape = tuple(int(p) for p in parts)
    try:
        return (descr, shape) if header(shape, descr) == data else None
    except ValueError:
        return None


def _dims(shape: tuple[int, ...]) -> bytes:
    return varint(len(shape)) + b"".join(varint(d) for d in shape)


def encode(data: bytes, model: Any) -> bytes | None:
    """The payload for a canonical uint8 header, or None for any other bytes."""
    parsed = _parse(data)
    if parsed is None or parsed[0] != "|u1":
        return None
    return _dims(parsed[1])


def encode_typed(data: bytes, model: Any) -> bytes | None:
    """The payload for a canonical header of another element type, or None."""
    parsed = _parse(data)
    if parsed is None or parsed[0] not in DESCRS:
        return None
    return bytes([DESCRS.index(parsed[0])]) + _dims(parsed[1])


def _decode(fields: Reader, size: int, descr: str) -> bytes:
    shape = tuple(fields.varint(MAX_DIM) for _ in range(fields.varint(MAX_NDIM)))
    fields.expect_end()
    out = header(shape, descr)
    if len(out) != size:
        raise FormatError("npy-header chunk size does not match its header")
    return out


def decode(payload: bytes, size: int, model: Any) -> bytes:
    return _decode(Reader(payload, "npy-header chunk"), size, "|u1")


def decode_typed(payload: bytes, size: int, model: Any) -> bytes:
    if not payload or payload[0] >= len(DESCRS):
        raise FormatError("npy-header-typed chunk names an unknown element type")
    return _decode(Reader(payload[1:], "npy-header-typed chunk"), size, DESCRS[payload[0]])



def _header_memory(size: int, stored: int) -> int:
    return 4096       # a header of at most 64 dimensions, whatever the size claimed


# A header is at least 128 bytes for a 1-byte payload (no dimensions) and every dimension
# adds at least a byte of payload for at most 21 characters: 8 bits per 128 bytes at least.
MIN_BITS = 1 / 16
methods.register(methods.Method(methods.NPY_HEADER, "npy-header", encode, decode, min_bits=MIN_BITS,
                                memory=_header_memory))
# the typed header adds one byte (the element type) to the same payload: the same floor holds
methods.register(methods.Method(methods.NPY_HEADER_TYPED, "npy-header-typed", encode_typed, decode_typed,
                                min_bits=MIN_BITS, memory=_header_memory))
