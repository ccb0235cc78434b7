"""The chunked framing (docs/FORMAT.md): header, chunk records, chunk table and footer,
for contents larger than the compact framing takes; version 1 files too.  A reader
stops after the end magic: another pcz stream may follow (:func:`pcz.format.container.next_reader`)."""
import struct
import zlib
from typing import BinaryIO, Iterator

from pcz.errors import ChecksumError, FormatError, LimitError
from pcz.format.fields import (RECORD_STRUCT, TABLE_ENTRY, DIGEST_SIZE, END_MAGIC, END_TAG, Record, check_embedded,
                               read_exact, read_model_fields)


def write_footer(dst: BinaryIO, table: list[Record], total: int, digest: bytes) -> None:
    """The end tag, the chunk table, the total size and the content digest, checksummed."""
    body = bytearray(struct.pack("<BI", END_TAG, len(table)))
    for r in table:
        body += TABLE_ENTRY.pack(r.size, r.stored, r.crc)
    body += struct.pack("<Q", total) + digest
    body += struct.pack("<I", zlib.crc32(body))
    dst.write(bytes(body) + struct.pack("<I", len(body)) + END_MAGIC)


class Reader:
    """Parses a pcz stream in the header/records/footer framing sequentially, validating
    every field before use (made by :func:`open_reader`, after the first bytes)."""

    compact = False

    def __init__(self, src: BinaryIO, start: bytes, max_chunk: int, max_model: int):
        self.src = src
        self.version, flags = start[4], start[5]
        self.max_chunk = max_chunk
        reserved = read_exact(src, 2, "header")
        if reserved != b"\0\0":
            raise FormatError("reserved header bits are set (file is damaged or from a newer pcz)")
        self.header, fields = read_model_fields(src, flags, max_model)
        (crc,) = struct.unpack("<I", read_exact(src, 4, "header"))
        if crc != zlib.crc32(start + reserved + fields):
            raise ChecksumError("header checksum mismatch (file is damaged)")
        check_embedded(self.header)
        self.table: list[Record] = []
        self.total = 0
        self.footer_total = None
        self.footer_digest = None

    def records(self) -> Iterator[tuple[Record, bytes]]:
        """Yield (record, payload) for each chunk, each checked against its CRC; then read the footer."""
        while True:
            tag = read_exact(self.src, 1, "chunk record")
            if tag[0] == END_TAG:
                self._read_footer()
                return
            head = tag + read_exact(self.src, RECORD_STRUCT.size - 1 + 4, "chunk record")
            method, reserved, size, stored, crc = RECORD_STRUCT.unpack(head[:RECORD_STRUCT.size])
            if reserved:
                raise FormatError("reserved chunk bits are set")
            if size > self.max_chunk:
                raise LimitError(f"chunk of {size} bytes exceeds the limit of {self.max_chunk}")
            if stored > size or (size and not stored):
                raise FormatError("chunk sizes are inconsistent")
            payload = read_exact(self.src, stored, "chunk data")
            (rec_crc,) = struct.unpack("<I", head[RECORD_STRUCT.size:])
            if zlib.crc32(payload, zlib.crc32(head[:RECORD_STRUCT.size])) != rec_crc:
                raise ChecksumError(f"chunk {len(self.table)}: checksum mismatch (file is damaged)")
            record = Record(method, size, stored, crc)
            self.table.append(record)
            self.total += size
            yield record, payload

    def _read_footer(self) -> None:
        count_bytes = read_exact(self.src, 4, "footer")
        (count,) = struct.unpack("<I", count_bytes)
        if count != len(self.table):
            raise FormatError("chunk table does not match the chunks")
        table = read_exact(self.src, count * TABLE_ENTRY.size, "footer")
        rest = read_exact(self.src, 8 + DIGEST_SIZE + 4, "footer")
        body = bytes([END_TAG]) + count_bytes + table + rest[:-4]
        if zlib.crc32(body) != struct.unpack("<I", rest[-4:])[0]:
            raise ChecksumError("footer checksum mismatch (file is damaged)")
        for i, r in enumerate(self.table):
            if TABLE_ENTRY.unpack_from(table, i * TABLE_ENTRY.size) != (r.size, r.stored, r.crc):
                raise FormatError(f"chunk table entry {i} does not match the chunk")
        (self.footer_total,) = struct.unpack("<Q", rest[:8])
        if self.footer_total != self.total:
            raise FormatError("total size in footer does not match the chunks")
        self.footer_digest = rest[8:8 + DIGEST_SIZE]
        tail = read_exact(self.src, 8, "footer")
        if struct.unpack("<I", tail[:4])[0] != len(body) + 4 or tail[4:] != END_MAGIC:
            raise FormatError("bad end of file marker")
