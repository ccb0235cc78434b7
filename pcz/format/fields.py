"""The fields both framings share (docs/FORMAT.md): magic, version and flags, the model
fields, chunk records, and the checksums that name a model and the content.

>>> len(Record(method=0, size=3, stored=3, crc=0).to_bytes(b"abc"))   # 14-byte head, CRC32, payload
21
"""
import hashlib
import struct
import zlib
from dataclasses import dataclass
from functools import lru_cache
from typing import BinaryIO

from pcz.format.binio import read_upto, varint
from pcz.errors import ChecksumError, FormatError, LimitError

MAGIC = b"\x89PCZ"
END_MAGIC = b"PCZ\x89"
VERSION = 2              # written; version 1 files are still read
FLAG_MODEL = 0x01        # a 32-byte model id follows the fixed header
FLAG_EMBEDDED = 0x02     # the model's bytes are stored in the header
FLAG_COMPACT = 0x04      # version 2: the compact framing (pcz.format.compact)
FLAG_SHORT_ID = 0x08     # version 2, compact, model referenced: the id is 8 bytes, not 32
KNOWN_FLAGS = {1: FLAG_MODEL | FLAG_EMBEDDED, 2: FLAG_MODEL | FLAG_EMBEDDED | FLAG_COMPACT | FLAG_SHORT_ID}
END_TAG = 0xFF           # method byte that ends the chunk records
MAX_CHUNK = 1 << 26      # largest original size of one chunk (64 MiB)
MAX_MODEL = 1 << 28      # largest embedded model (256 MiB)
DEFAULT_CHUNK = 1 << 20  # chunk size written unless told otherwise (1 MiB)
DEFAULT_MEMORY = 512 << 20   # decoding's default memory limit (pcz.engine.budget shares it out)
MAX_WINDOW_LOG = 30      # largest long-range window a chunked header may state (1 GiB)
COMPACT_LIMIT = 1 << 20  # contents of at most this many bytes may use the compact framing (1 MiB) ...
SMALL_COMPACT = 1 << 16  # ... this many with chunks smaller than the default (compact_limit)
MODEL_ID_SIZE = 32
SHORT_ID_SIZE = 8        # the first bytes of the SHA-256, in compact files naming a model
DIGEST_SIZE = 16
START_SIZE = 6           # magic, version, flags
RECORD_STRUCT = struct.Struct("<BBIII")      # method, reserved, size, stored, crc
TABLE_ENTRY = struct.Struct("<III")   # size, stored, crc
RECORD_OVERHEAD = RECORD_STRUCT.size + 4 + TABLE_ENTRY.size
FOOTER_FIXED = 1 + 4 + 8 + DIGEST_SIZE + 4 + 4 + 4
HEADER_FIXED = START_SIZE + 2 + 4


def content_digest(data: bytes = b"") -> "hashlib._Hash":
    """The whole-content checksum: BLAKE2b with a 16-byte digest (``b2sum -l 128``)."""
    return hashlib.blake2b(data, digest_size=DIGEST_SIZE)


def model_id(model_bytes: bytes) -> bytes:
    """A model is named by the SHA-256 of its file bytes (remembered for the last 4
    models up to 16 MiB, as :func:`pcz.models.load` keeps them: coding many small items
    with one model hashes it once; of larger ones, only the last bytes object is
    remembered, by identity: one-record files coded with a 24 MiB model given as the same
    bytes again and again are not hashed again, ~60 ms each).

    >>> model_id(b"").hex()[:16]
    'e3b0c44298fc1c14'
    """
    if len(model_bytes) <= 16 << 20:
        return _cached_id(bytes(model_bytes))
    if type(model_bytes) is bytes and _LARGE and _LARGE[0] is model_bytes:   # immutable: same id
        return _LARGE[1]
    digest = hashlib.sha256(model_bytes).digest()
    if type(model_bytes) is bytes:
        _LARGE[:] = [model_bytes, digest]
    return digest


_LARGE: list = []       # [the last large model's bytes, its id]


def names(mid: bytes, model_bytes: bytes) -> bool:
    """Whether a file's model id (32 bytes, or the first 8 in a compact file) names this model.

    >>> names(model_id(b"")[:8], b""), names(model_id(b"")[:8], b"x")
    (True, False)
    """
    return len(mid) in (SHORT_ID_SIZE, MODEL_ID_SIZE) and model_id(model_bytes)[:len(mid)] == mid


@lru_cache(maxsize=4)
def _cached_id(model_bytes: bytes) -> bytes:
    return hashlib.sha256(model_bytes).digest()


def compact_limit(chunk_size: int) -> int:
    """The largest content a writer frames compactly when cutting it into ``chunk_size``
    chunks: 1 MiB with chunks of the default size or more (so one chunk, or a record
    file's header and records), 64 KiB with smaller ones (asked for to seek in the file
    or to decode it in parallel, which the chunked framing's table allows).

    >>> compact_limit(DEFAULT_CHUNK), compact_limit(1 << 16)
    (1048576, 65536)
    """
    return COMPACT_LIMIT if chunk_size >= DEFAULT_CHUNK else SMALL_COMPACT


def overhead_bound(size: int, chunk_size: int) -> int:
    """Most bytes a pcz file (without model) can exceed its input of ``size`` bytes by.

    >>> overhead_bound(0, 1 << 20), overhead_bound(1000, 1 << 20), overhead_bound(1 << 20, 1 << 20)
    (15, 20, 22)
    >>> overhead_bound((1 << 20) + 1, 1 << 20), overhead_bound(1 << 17, 1 << 16)
    (113, 113)
    """
    chunks = -(-size // chunk_size)
    if size <= compact_limit(chunk_size):
        return START_SIZE + 9 + chunks * (1 + 2 * len(varint(min(size, chunk_size))))
    return HEADER_FIXED + FOOTER_FIXED + RECORD_OVERHEAD * chunks


@dataclass
class Header:
    model_id: bytes | None = None
    model_bytes: bytes | None = None   # set when the model is embedded
    window_log: int = 0                # chunked framing: log2 of the long-range window (0: none)

    def short(self, compact: bool) -> bool:
        """Whether the model id is written short: in a compact file naming a model it does
        not embed (a small file's 32-byte id would cost more than its header)."""
        return compact and bool(self.model_id) and not self.model_bytes

    def start(self, compact: bool) -> bytes:
        """Magic, version and flags."""
        flags = ((FLAG_MODEL if self.model_id else 0) | (FLAG_EMBEDDED if self.model_bytes else 0)
                 | (FLAG_COMPACT if compact else 0) | (FLAG_SHORT_ID if self.short(compact) else 0))
        return MAGIC + bytes([VERSION, flags])

    def model_fields(self, compact: bool = False) -> bytes:
        """The model id and the embedded model, as the flags announce."""
        out = (self.model_id or b"")[:SHORT_ID_SIZE if self.short(compact) else MODEL_ID_SIZE]
        if self.model_bytes:
            out += struct.pack("<I", len(self.model_bytes)) + self.model_bytes
        return out

    def to_bytes(self) -> bytes:
        """The header of the (non-compact) framing."""
        out = self.start(compact=False) + bytes([self.window_log, 0]) + self.model_fields()
        return out + struct.pack("<I", zlib.crc32(out))


@dataclass
class Record:
    method: int
    size: int          # original bytes
    stored: int        # payload bytes
    crc: int | None    # CRC32 of the original bytes (None in the compact framing)

    def to_bytes(self, payload: bytes) -> bytes:
        return self.head(payload) + payload

    def head(self, payload: bytes) -> bytes:
        """The record's bytes before its payload: the 14-byte head and the CRC32 of head and
        payload (written apart from the payload, which is then not copied)."""
        head = RECORD_STRUCT.pack(self.method, 0, self.size, self.stored, self.crc)
        return head + struct.pack("<I", zlib.crc32(payload, zlib.crc32(head)))


def read_exact(src: BinaryIO, n: int, what: str) -> bytes:
    """n bytes of src, however reads split; FormatError at an early end."""
    data = read_upto(src, n)
    if len(data) < n:
        raise FormatError(f"truncated file (in {what})")
    return data


def read_start(src: BinaryIO, start: bytes | None = None) -> tuple[bytes, int, int]:
    """The first bytes of a pcz file, checked: (the bytes, version, flags); ``start``: those
    bytes when the caller has read them already."""
    start = read_upto(src, START_SIZE) if start is None else start
    if start and len(start) < 4 and MAGIC.startswith(start):
        raise FormatError("truncated file (in header)")
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
    if flags & FLAG_SHORT_ID and (flags & (FLAG_MODEL | FLAG_EMBEDDED | FLAG_COMPACT)
                                  != FLAG_MODEL | FLAG_COMPACT):
        raise FormatError("a short model id outside a compact file naming a model")
    return start, version, flags


def read_model_fields(src: BinaryIO, flags: int, max_model: int) -> tuple[Header, bytes]:
    """The model id and embedded model the flags announce: (Header, their raw bytes).

    The caller checks its CRC, then :func:`check_embedded`.
    """
    header, raw = Header(), b""
    if flags & FLAG_MODEL:
        size = SHORT_ID_SIZE if flags & FLAG_SHORT_ID else MODEL_ID_SIZE
        header.model_id = raw = read_exact(src, size, "header")
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
