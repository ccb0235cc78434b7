"""Container format v2: the framing of pcz files (spec: docs/FORMAT.md).

Two framings share the first six bytes (magic, version, flags) and the model
fields: a content of at most :data:`COMPACT_LIMIT` bytes is written in the
*compact* framing (:mod:`pcz.format.compact`), a larger one as header, chunk records
and footer (:mod:`pcz.format.chunked`; version 1 files are always of that kind); the
shared fields are in :mod:`pcz.format.fields`.  This module picks the framing on both
sides.  The format package only reads and writes framing; choosing and running
chunk methods is :mod:`pcz.engine.pipeline`'s job.  All integers are little-endian.

>>> import io, zlib
>>> from pcz.format.fields import content_digest
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
from typing import BinaryIO

from pcz.format import chunked, compact
from pcz.format.fields import COMPACT_LIMIT, FLAG_COMPACT, MAX_CHUNK, MAX_MODEL, Header, Record, read_start


def open_reader(src: BinaryIO, max_chunk: int = MAX_CHUNK, max_model: int = MAX_MODEL):
    """A reader of src in its framing: :class:`pcz.format.chunked.Reader` or :class:`pcz.format.compact.CompactReader`.

    Both give ``header``, ``version``, ``compact``, ``records()`` (each chunk's
    (Record, payload), checked), and after it ``table`` and ``total``.
    ``max_chunk`` caps the original size of a chunk (and so what decoding one
    allocates); ``max_model`` caps an embedded model.
    """
    start, version, flags = read_start(src)
    max_chunk, max_model = min(max_chunk, MAX_CHUNK), min(max_model, MAX_MODEL)
    if flags & FLAG_COMPACT:
        return compact.CompactReader(src, start, max_chunk, max_model)
    return chunked.Reader(src, start, max_chunk, max_model)


class Writer:
    """Writes chunk records, then the end, in the framing the content's size calls for.

    Chunks are held back while the content is at most ``compact_limit`` bytes:
    :meth:`finish` then writes the compact framing (:mod:`pcz.format.compact`).  Once
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
            compact.write(self.dst, self.header, self.held, crc)
            return
        chunked.write_footer(self.dst, self.table, self.total, digest.digest())
