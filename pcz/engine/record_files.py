"""Record files: ``.npy`` arrays and IDX files (plain or gzip), first axis = records.

Elements may be of any type :mod:`pcz.models.values` codes: uint8, int8, bool, and 2- and
4-byte integers (``.npy`` in either byte order; IDX types 0x08 ubyte, 0x09 byte, 0x0B
short and 0x0C int, big-endian).  :func:`open_records` reads just the header from a
stream (no seeking, so stdin works) and returns its exact bytes, the array shape and
element type, and a stream of the record bytes that follow.  A gzip layer is removed:
the records and the header are those of the file inside.

>>> import io
>>> idx = bytes([0, 0, 8, 2, 0, 0, 0, 3, 0, 0, 0, 2]) + bytes(range(6))
>>> info, body = open_records(io.BytesIO(idx))
>>> info.kind, info.shape, info.D, body.read()
('idx', (3, 2), 2, b'\\x00\\x01\\x02\\x03\\x04\\x05')
>>> info, body = open_records(io.BytesIO(bytes([0, 0, 0x0B, 1, 0, 0, 0, 1, 1, 2])))
>>> info.dtype.str, info.size, info.code
('>i2', 2, 'i2')
"""
import gzip
import io
import os
import struct
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

from pcz.format.binio import read_upto
from pcz.errors import InputError
from pcz.models import values

NPY_MAGIC = b"\x93NUMPY"
GZIP_MAGIC = b"\x1f\x8b"
IDX_UBYTE = 0x08
IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4"}   # float (0x0D, 0x0E): no
MAX_NPY_HEADER = 1 << 16


@dataclass(frozen=True)
class RecordInfo:
    kind: str                  # "npy" or "idx"
    header: bytes              # the header bytes, exactly as in the file
    shape: tuple[int, ...]     # (N, record dims...)
    gzipped: bool = False
    dtype: np.dtype = np.dtype(np.uint8)   # the elements' type, byte order included

    @property
    def N(self) -> int:
        return self.shape[0]

    @property
    def D(self) -> int:
        """Elements per record (1 for a 1-D array)."""
        return int(np.prod(self.shape[1:], dtype=np.int64))

    @property
    def code(self) -> str:
        """The element type's code (:mod:`pcz.models.values`: 'u1', 'i2', ...)."""
        return values.code_of(self.dtype)

    @property
    def order(self) -> str:
        """The elements' byte order, '<' or '>'."""
        return values.order_of(self.dtype)

    @property
    def record_bytes(self) -> int:
        return self.D * self.dtype.itemsize

    @property
    def size(self) -> int:
        """Bytes of record data after the header."""
        return self.N * self.record_bytes


class _Prefixed(io.RawIOBase):
    """A read-only stream that returns ``prefix`` and then the rest of ``src``."""

    def __init__(self, prefix: bytes, src: BinaryIO):
        self.prefix, self.src = prefix, src

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        if self.prefix:
            n = min(len(b), len(self.prefix))
            b[:n], self.prefix = self.prefix[:n], self.prefix[n:]
            return n
        data = self.src.read(len(b))
        b[:len(data)] = data
        return len(data)


def _read(src: BinaryIO, n: int, what: str) -> bytes:
    out = read_upto(src, n)
    if len(out) < n:
        raise InputError(f"truncated data (in the {what})")
    return out


def _npy_header(src: BinaryIO, magic: bytes) -> RecordInfo:
    version = _read(src, 2, ".npy header")
    if version[0] not in (1, 2, 3):
        raise InputError(f"unsupported .npy version {version[0]}.{version[1]}")
    size_bytes = _read(src, 2 if version[0] == 1 else 4, ".npy header")
    length = int.from_bytes(size_bytes, "little")
    if length > MAX_NPY_HEADER:
        raise InputError(".npy header too large")
    text = _read(src, length, ".npy header")
    header = magic + version + size_bytes + text
    reader = {1: np.lib.format.read_array_header_1_0}.get(version[0], np.lib.format.read_array_header_2_0)
    try:
        shape, fortran, dtype = reader(io.BytesIO(size_bytes + text))
    except (ValueError, SyntaxError) as e:
        raise InputError(f"invalid .npy header ({e})") from None
    values.code_of(dtype)        # InputError unless an integer type records may have
    if len(shape) < 1:
        raise InputError(".npy array is a scalar; records need a first axis")
    if fortran and len(shape) > 1:
        raise InputError(".npy array is in Fortran order; save it in C order to code its records")
    return RecordInfo("npy", header, tuple(int(s) for s in shape), dtype=dtype)


def _idx_header(src: BinaryIO, magic: bytes) -> RecordInfo:
    head = magic + _read(src, 2, "IDX header")
    if head[2] not in IDX_TYPES:
        raise InputError(f"IDX data type 0x{head[2]:02x} is not an integer type records may have "
                         "(0x08 ubyte, 0x09 byte, 0x0B short, 0x0C int)")
    ndim = head[3]
    if ndim < 1:
        raise InputError("IDX file has no dimensions")
    dims = _read(src, 4 * ndim, "IDX header")
    return RecordInfo("idx", head + dims, struct.unpack(f">{ndim}I", dims),
                      dtype=np.dtype(IDX_TYPES[head[2]]))


def open_records(src: BinaryIO) -> tuple[RecordInfo, BinaryIO]:
    """Parse the header of a .npy or IDX stream (gzip-wrapped or not).

    Returns the header description and the stream positioned at the first record.
    """
    try:
        magic = read_upto(src, 2)
        gzipped = magic == GZIP_MAGIC
        if gzipped:
            src = gzip.GzipFile(fileobj=io.BufferedReader(_Prefixed(magic, src)), mode="rb")
            magic = read_upto(src, 2)
        if magic == NPY_MAGIC[:2]:
            if magic + _read(src, 4, ".npy header") != NPY_MAGIC:
                raise InputError("not a .npy or IDX file")
            info = _npy_header(src, NPY_MAGIC)
        elif magic == b"\x00\x00":
            info = _idx_header(src, magic)
        else:
            raise InputError("not a .npy or IDX file (records need one of these formats)")
    except (OSError, EOFError) as e:     # damaged gzip layer
        raise InputError(f"cannot read the gzip layer ({e})") from None
    if gzipped:
        info = RecordInfo(info.kind, info.header, info.shape, True, info.dtype)
    return info, src


def load_array(path: str) -> np.ndarray:
    """Read a whole .npy or IDX file (gzip or not) as an array of records (of the file's
    element type and byte order)."""
    with open(path, "rb") as f:
        info, body = open_records(f)
        try:   # one byte more than announced, to detect trailing data
            data = read_upto(body, info.size + 1)
        except (OSError, EOFError) as e:
            raise InputError(f"cannot read the gzip layer ({e})") from None
    if len(data) < info.size:
        raise InputError(f"truncated data: {info.N} records announced, "
                         f"{len(data) // max(1, info.record_bytes)} present")
    if len(data) > info.size:
        raise InputError("trailing bytes after the records")
    return np.frombuffer(data, dtype=info.dtype).reshape(info.shape)


def is_idx_name(path: str) -> bool:
    """Whether a file name looks like an IDX file (``*-ubyte``, ``*.idx``, optionally ``.gz``).

    >>> is_idx_name("t10k-images-idx3-ubyte.gz"), is_idx_name("notes.txt")
    (True, False)
    """
    base = path.removesuffix(".gz")
    return base.endswith("-ubyte") or base.endswith(".idx") or ".idx" in os.path.basename(base)
