"""The compact framing (docs/FORMAT.md): pcz files of contents up to 1 MiB.

A compact file is the first bytes of every pcz file (magic, version 2, flags
with ``COMPACT``) and the model fields, then per chunk its method byte, its
original and stored sizes as LEB128 and its payload; then the end tag, the
CRC32 of the whole content, and the CRC32 of every file byte before it.  An
empty content takes 15 bytes.  A reader takes the file in whole (its size is
capped), checks the file CRC before anything else, then every field.

>>> import io, zlib
>>> from pcz.format.fields import Header, Record
>>> buf = io.BytesIO()
>>> write(buf, Header(), [(Record(0, 2, 2, None), b"hi")], zlib.crc32(b"hi"))
>>> buf.getvalue().hex(" ")
'89 50 43 5a 02 04 00 02 02 68 69 ff ac 2a 93 d8 fe 70 5d 60'
"""
import struct
import zlib
from typing import BinaryIO, Iterator

from pcz.format.binio import StreamReader, varint
from pcz.format.fields import COMPACT_LIMIT, END_TAG, Header, Record, check_embedded, read_model_fields
from pcz.errors import ChecksumError, FormatError, LimitError

_TAIL = 1 + 4 + 4          # end tag, content CRC32, file CRC32
# Every chunk holds at least one byte and its record takes at most 4 bytes per
# byte it holds, so the bytes after the model fields never exceed this.
MAX_BODY = 4 * COMPACT_LIMIT + _TAIL


def write(dst: BinaryIO, header: Header, items: list[tuple[Record, bytes]], crc: int) -> None:
    """Write a compact file of the chunks ``items``; ``crc`` is the CRC32 of the whole content."""
    out = bytearray(header.start(compact=True) + header.model_fields(compact=True))
    for record, payload in items:
        out += bytes([record.method]) + varint(record.size) + varint(record.stored) + payload
    out += struct.pack("<BI", END_TAG, crc)
    dst.write(bytes(out + struct.pack("<I", zlib.crc32(out))))


class CompactReader:
    """Reads a compact file up to its last byte and checks its CRC and every field (made by
    :func:`pcz.format.container.open_reader`, after the first bytes)."""

    compact = True

    def __init__(self, src: BinaryIO, start: bytes, max_chunk: int, max_model: int):
        self.version = start[4]
        self.header, fields = read_model_fields(src, start[5], max_model)
        body = StreamReader(src, MAX_BODY, "compact pcz file")
        self.items = list(_parse(body, max_chunk))
        (self.content_crc, file_crc) = struct.unpack("<II", body.take(8))
        if zlib.crc32(body.data[:-4], zlib.crc32(start + fields)) != file_crc:
            raise ChecksumError("file checksum mismatch (file is damaged)")
        check_embedded(self.header)
        self.table = [record for record, _ in self.items]
        self.total = sum(record.size for record in self.table)

    def records(self) -> Iterator[tuple[Record, bytes]]:
        return iter(self.items)


def _parse(body: StreamReader, max_chunk: int) -> Iterator[tuple[Record, bytes]]:
    """The chunk records, read up to and including the end tag."""
    left = COMPACT_LIMIT
    while True:
        method = body.u8()
        if method == END_TAG:
            return
        size = body.varint(left)
        if size > max_chunk:
            raise LimitError(f"chunk of {size} bytes exceeds the limit of {max_chunk}")
        stored = body.varint(size)
        if not stored:
            raise FormatError("chunk sizes are inconsistent")
        left -= size
        yield Record(method, size, stored, None), body.take(stored)
