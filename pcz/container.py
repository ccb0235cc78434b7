"""Container format v2: the framing of pcz files (spec: docs/FORMAT.md).

Two framings share the first six bytes (magic, version, flags) and the model
fields: a content of at most :data:`COMPACT_LIMIT` bytes is written in the
*compact* framing (:mod:`pcz.compact`), a larger one as header, chunk records
and footer (this module).  Version 1 files (always the second kind) are still
read.  This module only reads and writes the framing; choosing and running the
chunk methods is :mod:`pcz.stream`'s job.  All integers are little-endian.

>>> import io
>>> buf = io.BytesIO()
>>> w = Writer(buf, Header())
>>> w.chunk(Record(method=0, size=3, stored=3, crc=zlib.crc32(b"abc")), b"abc")
>>> w.finish(content_digest(b"abc"), zlib.crc32(b"abc"))
>>> len(buf.getvalue())                       # compact: 3 bytes of content + 18
21
>>> r = open_reader(io.BytesIO(buf.getvalue()))
>>> r.compact, [(rec.method, payload) for rec, payload in r.records()]
(True, [(0, b'abc')])
"""
import hashlib
import struct
import zlib
from dataclasses import dataclass
from functools import lru_cache
from typing import BinaryIO, Iterator

from pcz.binio import read_upto, varint
from pcz.errors import ChecksumError, FormatError, LimitError

MAGIC = b"\x89PCZ"
END_MAGIC = b"PCZ\x89"
VERSION = 2              # written; version 1 files are still read
FLAG_MODEL = 0x01        # a 32-byte model id follows the fixed header
FLAG_EMBEDDED = 0x02     # the model's bytes are stored in the header
FLAG_COMPACT = 0x04      # version 2: the compact framing (pcz.compact)
KNOWN_FLAGS = {1: FLAG_MODEL | FLAG_EMBEDDED, 2: FLAG_MODEL | FLAG_EMBEDDED | FLAG_COMPACT}
END_TAG = 0xFF           # method byte that ends the chunk records
MAX_CHUNK = 1 << 26      # largest original size of one chunk (64 MiB)
MAX_MODEL = 1 << 28      # largest embedded model (256 MiB)
COMPACT_LIMIT = 1 << 16  # contents of at most this many bytes use the compact framing
MODEL_ID_SIZE = 32
DIGEST_SIZE = 16
START_SIZE = 6           # magic, version, flags
_RECORD = struct.Struct("<BBIII")      # method, reserved, size, stored, crc
_TABLE_ENTRY = struct.Struct("<III")   # size, stored, crc
RECORD_OVERHEAD = _RECORD.size + 4 + _TABLE_ENTRY.size
FOOTER_FIXED = 1 + 4 + 8 + DIGEST_SIZE + 4 + 4 + 4
HEADER_FIXED = START_SIZE + 2 + 4


def content_digest(data: bytes = b"") -> "hashlib._Hash":
    """The whole-content checksum: BLAKE2b with a 16-byte digest (``b2sum -l 128``)."""
    return hashlib.blake2b(data, digest_size=DIGEST_SIZE)


@lru_cache(maxsize=4)
def model_id(model_bytes: bytes) -> bytes:
    """A model is named by the SHA-256 of its file bytes (remembered for the last 4
    models, as :func:`pcz.models.load` keeps them: coding many small items with one
    model hashes it once).

    >>> model_id(b"").hex()[:16]
    'e3b0c44298fc1c14'
    """
    return hashlib.sha256(model_bytes).digest()


def overhead_bound(size: int, chunk_size: int) -> int:
    """Most bytes a pcz file (without model) can exceed its input of ``size`` bytes by.

    >>> overhead_bound(0, 1 << 20), overhead_bound(1000, 1 << 20), overhead_bound(1 << 20, 1 << 20)
    (15, 20, 83)
    """
    chunks = -(-size // chunk_size)
    if size <= COMPACT_LIMIT:
        return START_SIZE + 9 + chunks * (1 + 2 * len(varint(min(size, chunk_size))))
    return HEADER_FIXED + FOOTER_FIXED + RECORD_OVERHEAD * chunks


@dataclass
class Header:
    model_id: bytes | None = None
    model_bytes: bytes | None = None   # set when the model is embedded

    def start(self, compact: bool) -> bytes:
        """Magic, version and flags."""
        flags = ((FLAG_MODEL if self.model_id else 0) | (FLAG_EMBEDDED if self.model_bytes else 0)
                 | (FLAG_COMPACT if compact else 0))
        return MAGIC + bytes([VERSION, flags])

    def model_fields(self) -> bytes:
        """The model id and the embedded model, as the flags announce."""
        out = self.model_id or b""
        if self.model_bytes:
            out += struct.pack("<I", len(self.model_bytes)) + self.model_bytes
        return out

    def to_bytes(self) -> bytes:
        """The header of the (non-compact) framing."""
        out = self.start(compact=False) + b"\0\0" + self.model_fields()
        return out + struct.pack("<I", zlib.crc32(out))


@dataclass
class Record:
    method: int
    size: int          # original bytes
    stored: int        # payload bytes
    crc: int | None    # CRC32 of the original bytes (None in the compact framing)

    def to_bytes(self, payload: bytes) -> bytes:
        head = _RECORD.pack(self.method, 0, self.size, self.stored, self.crc)
        return head + struct.pack("<I", zlib.crc32(payload, zlib.crc32(head))) + payload


def read_exact(src: BinaryIO, n: int, what: str) -> bytes:
    """n bytes of src, however reads split; FormatError at an early end."""
    data = read_upto(src, n)
    if len(data) < n:
        raise FormatError(f"truncated file (in {what})")
    return data


def read_start(src: BinaryIO) -> tuple[bytes, int, int]:
    """The first bytes of a pcz file, checked: (the bytes, version, flags)."""
    start = read_upto(src, START_SIZE)
    if start[:4] != MAGIC:
        raise FormatError("not a pcz file (bad magic)")
    if len(start) < START_SIZE:
        raise FormatError("truncated file (in header)")
    version, flags = start[4], start[5]
    if version not in KNOWN_FLAGS:
        raise FormatError(f"unsupported format version {version} (this pcz reads 1 and {VERSION})")
    if flags & ~KNOWN_FLAGS[version]:
        raise FormatError("reserved header bits are set (file is damaged or from a newer pcz)")
    if flags & FLAG_EMBEDDED and not flags & FLAG_MODEL:
        raise FormatError("embedded model without a model id")
    return start, version, flags


def read_model_fields(src: BinaryIO, flags: int, max_model: int) -> tuple[Header, bytes]:
    """The model id and embedded model the flags announce: (Header, their raw bytes).

    The caller checks its CRC, then :func:`check_embedded`.
    """
    header, raw = Header(), b""
    if flags & FLAG_MODEL:
        header.model_id = raw = read_exact(src, MODEL_ID_SIZE, "header")
    if flags & FLAG_EMBEDDED:
        length_bytes = read_exact(src, 4, "header")
        (length,) = struct.unpack("<I", length_bytes)
        if length == 0 or length > max_model:
            raise LimitError(f"embedded model of {length} bytes exceeds the limit of {max_model}")
        header.model_bytes = read_exact(src, length, "embedded model")
        raw += length_bytes + header.model_bytes
    return header, raw


def check_embedded(header: Header) -> None:
    if header.model_bytes is not None and model_id(header.model_bytes) != header.model_id:
        raise ChecksumError("embedded model does not match its id (file is damaged)")


def open_reader(src: BinaryIO, max_chunk: int = MAX_CHUNK, max_model: int = MAX_MODEL):
    """A reader of src in its framing: :class:`Reader` or :class:`pcz.compact.CompactReader`.

    Both give ``header``, ``version``, ``compact``, ``records()`` (each chunk's
    (Record, payload), checked), and after it ``table`` and ``total``.
    ``max_chunk`` caps the original size of a chunk (and so what decoding one
    allocates); ``max_model`` caps an embedded model.
    """
    start, version, flags = read_start(src)
    max_chunk, max_model = min(max_chunk, MAX_CHUNK), min(max_model, MAX_MODEL)
    if flags & FLAG_COMPACT:
        from pcz.compact import CompactReader
        return CompactReader(src, start, max_chunk, max_model)
    return Reader(src, start, max_chunk, max_model)


class Writer:
    """Writes chunk records, then the end, in the framing the content's size calls for.

    Chunks are held back while the content is at most ``compact_limit`` bytes:
    :meth:`finish` then writes the compact framing (:mod:`pcz.compact`).  Once
    the content grows past it, the header and the held chunks are written and
    the rest streams, ending with the footer (``compact_limit=-1``: always).
    """

    def __init__(self, dst: BinaryIO, header: Header, compact_limit: int = COMPACT_LIMIT):
        self.dst, self.header = dst, header
        self.compact_limit = min(compact_limit, COMPACT_LIMIT)
        self.table: list[Record] = []
        self.total = 0
        self.held: list[tuple[Record, bytes]] | None = []   # None once the header is written
        self._release()

    def _release(self) -> None:
        if self.held is not None and self.total > self.compact_limit:
            self.dst.write(self.header.to_bytes())
            for record, payload in self.held:
                self.dst.write(record.to_bytes(payload))
            self.held = None

    def chunk(self, record: Record, payload: bytes) -> None:
        if not 0 < record.size <= MAX_CHUNK or record.stored != len(payload):
            raise ValueError("bad chunk record")
        self.table.append(record)
        self.total += record.size
        if self.held is None:
            self.dst.write(record.to_bytes(payload))
        else:
            self.held.append((record, payload))
            self._release()

    def finish(self, digest: "hashlib._Hash", crc: int) -> None:
        """End the stream; ``digest`` (BLAKE2b-128) and ``crc`` (CRC32) are of the whole content."""
        if self.held is not None:
            from pcz import compact
            compact.write(self.dst, self.header, self.held, crc)
            return
        body = bytearray(struct.pack("<BI", END_TAG, len(self.table)))
        for r in self.table:
            body += _TABLE_ENTRY.pack(r.size, r.stored, r.crc)
        body += struct.pack("<Q", self.total) + digest.digest()
        body += struct.pack("<I", zlib.crc32(body))
        self.dst.write(bytes(body) + struct.pack("<I", len(body)) + END_MAGIC)


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
            head = tag + read_exact(self.src, _RECORD.size - 1 + 4, "chunk record")
            method, reserved, size, stored, crc = _RECORD.unpack(head[:_RECORD.size])
            if reserved:
                raise FormatError("reserved chunk bits are set")
            if size > self.max_chunk:
                raise LimitError(f"chunk of {size} bytes exceeds the limit of {self.max_chunk}")
            if stored > size or (size and not stored):
                raise FormatError("chunk sizes are inconsistent")
            payload = read_exact(self.src, stored, "chunk data")
            (rec_crc,) = struct.unpack("<I", head[_RECORD.size:])
            if zlib.crc32(payload, zlib.crc32(head[:_RECORD.size])) != rec_crc:
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
        table = read_exact(self.src, count * _TABLE_ENTRY.size, "footer")
        rest = read_exact(self.src, 8 + DIGEST_SIZE + 4, "footer")
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
        tail = read_exact(self.src, 8, "footer")
        if struct.unpack("<I", tail[:4])[0] != len(body) + 4 or tail[4:] != END_MAGIC:
            raise FormatError("bad end of file marker")
        if self.src.read(1):
            raise FormatError("trailing data after the end of the pcz stream")
