"""The compact framing (docs/FORMAT.md): pcz files of contents up to 64 KiB.

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

from pcz.format.binio import Reader as FieldReader, read_upto, varint
from pcz.format.fields import COMPACT_LIMIT, END_TAG, Header, Record, check_embedded, read_model_fields
from pcz.errors import ChecksumError, FormatError, LimitError

_TAIL = 1 + 4 + 4          # end tag, content CRC32, file CRC32
# Every chunk holds at least one byte and its record takes at most 4 bytes per
# byte it holds, so the bytes after the model fields never exceed this.
MAX_BODY = 4 * COMPACT_LIMIT + _TAIL


def write(dst: BinaryIO, header: Header, items: list[tuple[Record, bytes]], crc: int) -> None:
    """Write a compact file of the chunks ``items``; ``crc`` is the CRC32 of the whole content."""
    out = bytearray(header.start(compact=True) + header.model_fields())
    for record, payload in items:
        out += bytes([record.method]) + varint(record.size) + varint(record.stored) + payload
    out += struct.pack("<BI", END_TAG, crc)
    dst.write(bytes(out + struct.pack("<I", zlib.crc32(out))))


def _read_body(src: BinaryIO) -> bytes:
    body = read_upto(src, MAX_BODY + 1)
    if len(body) > MAX_BODY:
        raise FormatError("compact pcz file longer than its framing allows (file is damaged)")
    if len(body) < _TAIL:
        raise FormatError("truncated file (in the end of a compact file)")
    return body


class CompactReader:
    """Reads a whole compact file and checks its CRC and every field (made by
    :func:`pcz.format.container.open_reader`, after the first bytes)."""

    compact = True

    def __init__(self, src: BinaryIO, start: bytes, max_chunk: int, max_model: int):
        self.version = start[4]
        self.header, fields = read_model_fields(src, start[5], max_model)
        body = _read_body(src)
        if zlib.crc32(body[:-4], zlib.crc32(start + fields)) != struct.unpack("<I", body[-4:])[0]:
            raise ChecksumError("file checksum mismatch (file is damaged)")
        check_embedded(self.header)
        if body[-_TAIL] != END_TAG:
            raise FormatError("missing end tag (file is damaged)")
        (self.content_crc,) = struct.unpack("<I", body[-8:-4])
        self.items = list(_parse(body[:-_TAIL], max_chunk))
        self.table = [record for record, _ in self.items]
        self.total = sum(record.size for record in self.table)

    def records(self) -> Iterator[tuple[Record, bytes]]:
        return iter(self.items)


def _parse(data: bytes, max_chunk: int) -> Iterator[tuple[Record, bytes]]:
    fields = FieldReader(data, "compact chunk records")
    left = COMPACT_LIMIT
    while fields.remaining():
        method = fields.u8()
        if method == END_TAG:
            raise FormatError("end tag before the end of the chunk records (file is damaged)")
        size = fields.varint(left)
        if size > max_chunk:
            raise LimitError(f"chunk of {size} bytes exceeds the limit of {max_chunk}")
        stored = fields.varint(size)
        if not stored:
            raise FormatError("chunk sizes are inconsistent")
        left -= size
        yield Record(method, size, stored, None), fields.take(stored)
