"""The chunked framing (docs/FORMAT.md): header, chunk records, chunk table and footer,
for contents larger than the compact framing takes; version 1 files too.  A reader
stops after the end magic: another pcz stream may follow (:func:`pcz.format.container.next_reader`)."""
import struct
import zlib
from typing import BinaryIO, Iterator

from pcz.errors import ChecksumError, FormatError, LimitError
from pcz.format.fields import (RECORD_STRUCT, TABLE_ENTRY, DIGEST_SIZE, END_MAGIC, END_TAG, MAX_WINDOW_LOG, Record,
                               check_embedded, read_exact, read_model_fields)


def write_footer(dst: BinaryIO, table: list[Record], total: int, digest: bytes) -> None:
    """The end tag, the chunk table, the total size and the content digest, checksummed."""
    body = bytearray(struct.pack("<BI", END_TAG, len(table)))
    for r in table:
        body += TABLE_ENTRY.pack(r.size, r.stored, r.crc)
    body += struct.pack("<Q", total) + digest
    body += struct.pack("<I", zlib.crc32(body))
    dst.write(bytes(body) + struct.pack("<I", len(body)) + END_MAGIC)


def _read_head(src: BinaryIO, max_chunk: int) -> tuple[bytes, Record] | None:
    """A chunk record's head, checked but for its CRC: (its bytes, Record), None at the end tag."""
    tag = read_exact(src, 1, "chunk record")
    if tag[0] == END_TAG:
        return None
    head = tag + read_exact(src, RECORD_STRUCT.size - 1 + 4, "chunk record")
    method, reserved, size, stored, crc = RECORD_STRUCT.unpack(head[:RECORD_STRUCT.size])
    if reserved:
        raise FormatError("reserved chunk bits are set")
    if size > max_chunk:
        raise LimitError(f"chunk of {size} bytes exceeds the limit of {max_chunk}")
    if stored > size or (size and not stored):
        raise FormatError("chunk sizes are inconsistent")
    return head, Record(method, size, stored, crc)


def read_record(src: BinaryIO, max_chunk: int, index: int = 0) -> tuple[Record, bytes] | None:
    """The next chunk record and its payload, checked against the record CRC; None at the
    end tag (the footer follows).  ``index`` names the chunk in messages."""
    head = _read_head(src, max_chunk)
    if head is None:
        return None
    head, record = head
    payload = read_exact(src, record.stored, "chunk data")
    (rec_crc,) = struct.unpack("<I", head[RECORD_STRUCT.size:])
    if zlib.crc32(payload, zlib.crc32(head[:RECORD_STRUCT.size])) != rec_crc:
        raise ChecksumError(f"chunk {index}: checksum mismatch (file is damaged)")
    return record, payload


class Reader:
    """Parses a pcz stream in the header/records/footer framing sequentially, validating
    every field before use (made by :func:`open_reader`, after the first bytes)."""

    compact = False

    def __init__(self, src: BinaryIO, start: bytes, max_chunk: int, max_model: int):
        self.src = src
        self.version, flags = start[4], start[5]
        self.max_chunk = max_chunk
        reserved = read_exact(src, 2, "header")
        if reserved[1] or (self.version < 2 and reserved[0]):     # version 1: both bytes reserved
            raise FormatError("reserved header bits are set (file is damaged or from a newer pcz)")
        self.header, fields = read_model_fields(src, flags, max_model)
        (crc,) = struct.unpack("<I", read_exact(src, 4, "header"))
        if crc != zlib.crc32(start + reserved + fields):
            raise ChecksumError("header checksum mismatch (file is damaged)")
        self.header.window_log = reserved[0]       # version 2: the long-range window, 2**n bytes
        if self.header.window_log > MAX_WINDOW_LOG or 0 < self.header.window_log < 10:
            raise FormatError(f"long-range window of 2**{self.header.window_log} bytes is out of range "
                              "(file is damaged)")
        check_embedded(self.header)
        self.table: list[Record] = []
        self.total = 0
        self.footer_total = None
        self.footer_digest = None

    def records(self) -> Iterator[tuple[Record, bytes]]:
        """Yield (record, payload) for each chunk, each checked against its CRC; then read the footer."""
        while True:
            item = read_record(self.src, self.max_chunk, len(self.table))
            if item is None:
                self._read_footer()
                return
            self.table.append(item[0])
            self.total += item[0].size
            yield item

    def skim(self) -> Iterator[tuple[int, Record]]:
        """Yield (offset of its record, record) for each chunk without reading the payloads
        (src must be seekable; their CRCs are checked when they are read); then read the footer."""
        while True:
            offset = self.src.tell()
            head = _read_head(self.src, self.max_chunk)
            if head is None:
                self._read_footer()
                return
            self.src.seek(head[1].stored, 1)
            self.table.append(head[1])
            self.total += head[1].size
            yield offset, head[1]

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
