"""Container format v1: header, chunk records, footer (spec: docs/FORMAT.md).

This module only reads and writes the framing; choosing and running the
chunk methods is :mod:`pcz.stream`'s job.  All integers are little-endian.

>>> import io
>>> buf = io.BytesIO()
>>> w = Writer(buf, Header())
>>> w.chunk(Record(method=0, size=3, stored=3, crc=zlib.crc32(b"abc")), b"abc")
>>> w.finish(content_digest(b"abc"))
>>> _ = buf.seek(0)
>>> r = Reader(buf)
>>> [(rec.method, payload) for rec, payload in r.records()]
[(0, b'abc')]
"""
import hashlib
import struct
import zlib
from dataclasses import dataclass
from typing import BinaryIO, Iterator

from pcz.errors import ChecksumError, FormatError, LimitError

MAGIC = b"\x89PCZ"
END_MAGIC = b"PCZ\x89"
VERSION = 1
FLAG_MODEL = 0x01        # a 32-byte model id follows the fixed header
FLAG_EMBEDDED = 0x02     # the model's bytes are stored in the header
KNOWN_FLAGS = FLAG_MODEL | FLAG_EMBEDDED
END_TAG = 0xFF           # method byte that ends the chunk records
MAX_CHUNK = 1 << 26      # largest original size of one chunk (64 MiB)
MAX_MODEL = 1 << 28      # largest embedded model (256 MiB)
MODEL_ID_SIZE = 32
DIGEST_SIZE = 16
_RECORD = struct.Struct("<BBIII")      # method, reserved, size, stored, crc
_TABLE_ENTRY = struct.Struct("<III")   # size, stored, crc
RECORD_OVERHEAD = _RECORD.size + 4 + _TABLE_ENTRY.size
FOOTER_FIXED = 1 + 4 + 8 + DIGEST_SIZE + 4 + 4 + 4
HEADER_FIXED = 4 + 1 + 1 + 2 + 4


def content_digest(data: bytes = b"") -> "hashlib._Hash":
    """The whole-content checksum: BLAKE2b with a 16-byte digest (``b2sum -l 128``)."""
    return hashlib.blake2b(data, digest_size=DIGEST_SIZE)


def model_id(model_bytes: bytes) -> bytes:
    """A model is named by the SHA-256 of its file bytes."""
    return hashlib.sha256(model_bytes).digest()


def overhead_bound(size: int, chunk_size: int) -> int:
    """Most bytes a pcz file (without model) can exceed its input by.

    >>> overhead_bound(0, 1 << 20)
    53
    """
    chunks = -(-size // chunk_size)
    return HEADER_FIXED + FOOTER_FIXED + RECORD_OVERHEAD * chunks


@dataclass
class Header:
    model_id: bytes | None = None
    model_bytes: bytes | None = None   # set when the model is embedded

    def to_bytes(self) -> bytes:
        flags = (FLAG_MODEL if self.model_id else 0) | (FLAG_EMBEDDED if self.model_bytes else 0)
        out = bytearray(MAGIC + struct.pack("<BBH", VERSION, flags, 0))
        if self.model_id:
            out += self.model_id
        if self.model_bytes:
            out += struct.pack("<I", len(self.model_bytes)) + self.model_bytes
        out += struct.pack("<I", zlib.crc32(out))
        return bytes(out)


@dataclass
class Record:
    method: int
    size: int      # original bytes
    stored: int    # payload bytes
    crc: int       # CRC32 of the original bytes

    def to_bytes(self, payload: bytes) -> bytes:
        head = _RECORD.pack(self.method, 0, self.size, self.stored, self.crc)
        return head + struct.pack("<I", zlib.crc32(payload, zlib.crc32(head))) + payload


def _read_exact(src: BinaryIO, n: int, what: str) -> bytes:
    data = src.read(n)
    if len(data) != n:
        raise FormatError(f"truncated file (in {what})")
    return data


class Writer:
    """Writes a header, then chunk records, then the footer."""

    def __init__(self, dst: BinaryIO, header: Header):
        self.dst = dst
        self.table: list[Record] = []
        self.total = 0
        dst.write(header.to_bytes())

    def chunk(self, record: Record, payload: bytes) -> None:
        if record.size > MAX_CHUNK or record.stored != len(payload):
            raise ValueError("bad chunk record")
        self.dst.write(record.to_bytes(payload))
        self.table.append(record)
        self.total += record.size

    def finish(self, digest: "hashlib._Hash") -> None:
        body = bytearray(struct.pack("<BI", END_TAG, len(self.table)))
        for r in self.table:
            body += _TABLE_ENTRY.pack(r.size, r.stored, r.crc)
        body += struct.pack("<Q", self.total) + digest.digest()
        body += struct.pack("<I", zlib.crc32(body))
        self.dst.write(bytes(body) + struct.pack("<I", len(body)) + END_MAGIC)


class Reader:
    """Parses a pcz stream sequentially, validating every field before use.

    ``max_chunk`` caps the original size of a chunk (and so what decoding one
    allocates); ``max_model`` caps an embedded model.
    """

    def __init__(self, src: BinaryIO, max_chunk: int = MAX_CHUNK, max_model: int = MAX_MODEL):
        self.src = src
        self.max_chunk = min(max_chunk, MAX_CHUNK)
        self.header = self._read_header(min(max_model, MAX_MODEL))
        self.table: list[Record] = []
        self.total = 0
        self.footer_total = None
        self.footer_digest = None

    def _read_header(self, max_model: int) -> Header:
        fixed = self.src.read(8)
        if len(fixed) < 4 or fixed[:4] != MAGIC:
            raise FormatError("not a pcz file (bad magic)")
        if len(fixed) < 8:
            raise FormatError("truncated file (in header)")
        version, flags, reserved = struct.unpack("<BBH", fixed[4:])
        if version != VERSION:
            raise FormatError(f"unsupported format version {version} (this pcz reads {VERSION})")
        if flags & ~KNOWN_FLAGS or reserved:
            raise FormatError("reserved header bits are set (file is damaged or from a newer pcz)")
        if flags & FLAG_EMBEDDED and not flags & FLAG_MODEL:
            raise FormatError("embedded model without a model id")
        raw = bytearray(fixed)
        header = Header()
        if flags & FLAG_MODEL:
            header.model_id = _read_exact(self.src, MODEL_ID_SIZE, "header")
            raw += header.model_id
        if flags & FLAG_EMBEDDED:
            length_bytes = _read_exact(self.src, 4, "header")
            (length,) = struct.unpack("<I", length_bytes)
            if length == 0 or length > max_model:
                raise LimitError(f"embedded model of {length} bytes exceeds the limit of {max_model}")
            header.model_bytes = _read_exact(self.src, length, "embedded model")
            raw += length_bytes + header.model_bytes
        (crc,) = struct.unpack("<I", _read_exact(self.src, 4, "header"))
        if crc != zlib.crc32(raw):
            raise ChecksumError("header checksum mismatch (file is damaged)")
        if header.model_bytes is not None and model_id(header.model_bytes) != header.model_id:
            raise ChecksumError("embedded model does not match its id (file is damaged)")
        return header

    def records(self) -> Iterator[tuple[Record, bytes]]:
        """Yield (record, payload) for each chunk, each checked against its CRC; then read the footer."""
        while True:
            tag = _read_exact(self.src, 1, "chunk record")
            if tag[0] == END_TAG:
                self._read_footer()
                return
            head = tag + _read_exact(self.src, _RECORD.size - 1 + 4, "chunk record")
            method, reserved, size, stored, crc = _RECORD.unpack(head[:_RECORD.size])
            if reserved:
                raise FormatError("reserved chunk bits are set")
            if size > self.max_chunk:
                raise LimitError(f"chunk of {size} bytes exceeds the limit of {self.max_chunk}")
            if stored > size or (size and not stored):
                raise FormatError("chunk sizes are inconsistent")
            payload = _read_exact(self.src, stored, "chunk data")
            (rec_crc,) = struct.unpack("<I", head[_RECORD.size:])
            if zlib.crc32(payload, zlib.crc32(head[:_RECORD.size])) != rec_crc:
                raise ChecksumError(f"chunk {len(self.table)}: checksum mismatch (file is damaged)")
            record = Record(method, size, stored, crc)
            self.table.append(record)
            self.total += size
            yield record, payload

    def _read_footer(self) -> None:
        count_bytes = _read_exact(self.src, 4, "footer")
        (count,) = struct.unpack("<I", count_bytes)
        if count != len(self.table):
            raise FormatError("chunk table does not match the chunks")
        table = _read_exact(self.src, count * _TABLE_ENTRY.size, "footer")
        rest = _read_exact(self.src, 8 + DIGEST_SIZE + 4, "footer")
        body = bytes([END_TAG]) + count_bytes + table + rest[:-4]
        if zlib.crc32(body) != struct.unpack("<I", rest[-4:])[0]:
            raise ChecksumError("footer checksum mismatch (file is damaged)")
        for i, r in enumerate(self.table):
            if _TABLE_ENTRY.unpack_from(table, i * _TABLE_ENTRY.size) != (r.size, r.stored, r.crc):
                raise FormatError(f"chunk table entry {i} does not match the chunk")
        (self.footer_total,) = struct.unpack("<Q", rest[:8])
        if self.footer_total != self.total:
            raise FormatError("total size in footer does not match the chunks")
        self.footer_digest = rest[8:8 + DIGEST_SIZE]
        tail = _read_exact(self.src, 8, "footer")
        if struct.unpack("<I", tail[:4])[0] != len(body) + 4 or tail[4:] != END_MAGIC:
            raise FormatError("bad end of file marker")
        if self.src.read(1):
            raise FormatError("trailing data after the end of the pcz stream")
