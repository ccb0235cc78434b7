"""Bounds-checked binary reading and little-endian writing helpers.

>>> r = Reader(b"\\x01\\x00\\x02\\x00\\x00\\x00\\x96\\x01")
>>> r.u16(), r.u32(), r.varint()
(1, 2, 150)
>>> r.remaining()
0
"""
import struct
from typing import BinaryIO

from pcz.errors import FormatError


def read_upto(src: BinaryIO, n: int) -> bytes:
    """Up to n bytes of a stream: fewer only at its end, however reads split.

    Reads in pieces of at most 16 MiB, so a size claimed by a header is never
    allocated before the data is actually there.

    >>> import io
    >>> read_upto(io.BytesIO(b"abc"), 2), read_upto(io.BytesIO(b"abc"), 5)
    (b'ab', b'abc')
    """
    first = (src.read(min(n, 1 << 24)) or b"") if n > 0 else b""
    if len(first) == n or not first:      # the usual case: one read, no copy
        return first if type(first) is bytes else bytes(first)
    out = bytearray(first)
    while len(out) < n:
        piece = src.read(min(n - len(out), 1 << 24))
        if not piece:
            break
        out += piece
    return bytes(out)


def varint(value: int) -> bytes:
    """LEB128 encoding of a non-negative integer.

    >>> varint(300).hex()
    'ac02'
    """
    if value < 0:
        raise ValueError("varint of a negative number")
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


class _Fields:
    """Little-endian fields over ``take(n)``, shared by :class:`Reader` and :class:`StreamReader`."""

    what = "data"

    def take(self, n: int) -> bytes:
        raise NotImplementedError

    def _unpack(self, fmt: str) -> int:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def u8(self) -> int:
        return self._unpack("<B")

    def u16(self) -> int:
        return self._unpack("<H")

    def u32(self) -> int:
        return self._unpack("<I")

    def u64(self) -> int:
        return self._unpack("<Q")

    def varint(self, limit: int = 1 << 63) -> int:
        """Read a LEB128 integer of at most 10 bytes, rejecting values above limit."""
        value = 0
        for shift in range(0, 70, 7):
            byte = self.u8()
            value |= (byte & 0x7F) << shift
            if not byte & 0x80:
                if value > limit:
                    raise FormatError(f"value {value} out of range in {self.what}")
                return value
        raise FormatError(f"overlong integer in {self.what}")


class Reader(_Fields):
    """Reads fields from a bytes object; any read past the end raises FormatError."""

    def __init__(self, data: bytes, what: str = "data"):
        self.data = memoryview(data)
        self.pos = 0
        self.what = what

    def remaining(self) -> int:
        return len(self.data) - self.pos

    def take(self, n: int) -> bytes:
        if n < 0 or n > self.remaining():
            raise FormatError(f"truncated {self.what}")
        out = bytes(self.data[self.pos:self.pos + n])
        self.pos += n
        return out

    def expect_end(self) -> None:
        if self.remaining():
            raise FormatError(f"{self.remaining()} unexpected trailing bytes in {self.what}")


class StreamReader(_Fields):
    """Reads fields from a stream, exactly as many bytes as they take and at most ``cap`` in all;
    ``data`` keeps every byte read (for a checksum over them).

    >>> import io
    >>> r = StreamReader(io.BytesIO(bytes([0x96, 0x01, 7, 8])), cap=3)
    >>> r.varint(), r.u8(), bytes(r.data)
    (150, 7, b'\\x96\\x01\\x07')
    >>> r.u8()
    Traceback (most recent call last):
    pcz.errors.FormatError: data longer than its framing allows (file is damaged)
    """

    def __init__(self, src: BinaryIO, cap: int, what: str = "data"):
        self.src, self.cap, self.what = src, cap, what
        self.data = bytearray()

    def take(self, n: int) -> bytes:
        if len(self.data) + n > self.cap:
            raise FormatError(f"{self.what} longer than its framing allows (file is damaged)")
        piece = read_upto(self.src, n)
        if len(piece) < n:
            raise FormatError(f"truncated file (in {self.what})")
        self.data += piece
        return piece
