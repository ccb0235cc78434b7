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
import io
from typing import BinaryIO

from pcz.errors import FormatError
from pcz.format import chunked, compact
from pcz.format.binio import read_upto
from pcz.format.fields import (COMPACT_LIMIT, FLAG_COMPACT, MAGIC, MAX_CHUNK, MAX_MODEL, START_SIZE, Header, Record,
                               read_start)


def open_reader(src: BinaryIO, max_chunk: int = MAX_CHUNK, max_model: int = MAX_MODEL,
                start: bytes | None = None):
    """A reader of src in its framing: :class:`pcz.format.chunked.Reader` or :class:`pcz.format.compact.CompactReader`.

    Both give ``header``, ``version``, ``compact``, ``records()`` (each chunk's
    (Record, payload), checked), and after it ``table`` and ``total``; they read
    the stream up to its last byte, never further.  ``max_chunk`` caps the
    original size of a chunk (and so what decoding one allocates); ``max_model``
    caps an embedded model; ``start``: the first bytes, when already read.
    """
    start, version, flags = read_start(src, start)
    max_chunk, max_model = min(max_chunk, MAX_CHUNK), min(max_model, MAX_MODEL)
    if flags & FLAG_COMPACT:
        return compact.CompactReader(src, start, max_chunk, max_model)
    return chunked.Reader(src, start, max_chunk, max_model)


def next_reader(src: BinaryIO, max_chunk: int = MAX_CHUNK, max_model: int = MAX_MODEL):
    """After a pcz stream has been read to its end: the reader of the pcz stream that
    follows it in src (concatenated files, like ``cat a.pcz b.pcz``), or None at the
    end of src.  Anything else after a stream is refused.

    >>> import zlib
    >>> def stream(data):
    ...     out = io.BytesIO()
    ...     compact.write(out, Header(), [(Record(0, 1, 1, None), data)], zlib.crc32(data))
    ...     return out.getvalue()
    >>> src = io.BytesIO(stream(b"a") + stream(b"b"))
    >>> [payload for rec, payload in open_reader(src).records()]
    [b'a']
    >>> [payload for rec, payload in next_reader(src).records()], next_reader(src)
    ([b'b'], None)
    >>> next_reader(io.BytesIO(bytes(4)))
    Traceback (most recent call last):
    pcz.errors.FormatError: trailing garbage after the end of the pcz stream (not another pcz stream)
    """
    start = read_upto(src, START_SIZE)
    if not start:
        return None
    if not MAGIC.startswith(start[:4]):
        raise FormatError("trailing garbage after the end of the pcz stream (not another pcz stream)")
    return open_reader(src, max_chunk, max_model, start)


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
                self._write(record, payload)
            self.held = None

    def _write(self, record: Record, payload: bytes) -> None:
        self.dst.write(record.head(payload))
        self.dst.write(payload)

    def chunk(self, record: Record, payload: bytes) -> None:
        if not 0 < record.size <= MAX_CHUNK or record.stored != len(payload):
            raise ValueError("bad chunk record")
        self.table.append(record)
        self.total += record.size
        if self.held is None:
            self._write(record, payload)
        else:
            self.held.append((record, payload))
            self._release()

    def finish(self, digest: "hashlib._Hash", crc: int) -> None:
        """End the stream; ``digest`` (BLAKE2b-128) and ``crc`` (CRC32) are of the whole content."""
        if self.held is not None:
            compact.write(self.dst, self.header, self.held, crc)
            return
        chunked.write_footer(self.dst, self.table, self.total, digest.digest())
