"""Where the next readable unit of a pcz stream ends, in bytes that arrive piece by piece
(:class:`pcz.Decompressor`): a whole compact stream; or, in the chunked framing, the
header with the first chunk record, each further record, and the footer.

The readers of :mod:`pcz.format.container` then read exactly such a unit, so they never
wait for bytes that are not there.  Only sizes are looked at here; everything else is
checked by the readers.  When the sizes are already wrong, the unit is "now": the
reader, given what there is, raises the right error before it reads further.

>>> import io, zlib
>>> from pcz.format import compact
>>> from pcz.format.fields import Header, Record
>>> out = io.BytesIO()
>>> compact.write(out, Header(), [(Record(0, 2, 2, None), b"hi")], zlib.crc32(b"hi"))
>>> blob = out.getvalue()
>>> scanner = Scanner()
>>> scanner.next_unit(blob[:10]), scanner.next_unit(blob + b"next")
(None, (20, True, True))
"""
import struct

from pcz.format.fields import (COMPACT_LIMIT, DIGEST_SIZE, END_TAG, FLAG_COMPACT, FLAG_EMBEDDED, FLAG_MODEL,
                               FLAG_SHORT_ID, MAGIC, MAX_CHUNK, MAX_MODEL, MODEL_ID_SIZE, RECORD_STRUCT,
                               SHORT_ID_SIZE, START_SIZE, TABLE_ENTRY)

NOW = -1                 # the unit to read at once: its sizes are wrong, the reader will say how
_RECORD = RECORD_STRUCT.size + 4
_FOOTER_AFTER_TABLE = 8 + DIGEST_SIZE + 4 + 4 + 4
_COMPACT_BODY = 4 * COMPACT_LIMIT + 9      # compact.MAX_BODY


class Scanner:
    """Follows one pcz stream through a buffer; :meth:`next_unit` is asked with the bytes
    from where the previous unit ended."""

    def __init__(self, max_chunk: int = MAX_CHUNK, max_model: int = MAX_MODEL):
        self.max_chunk, self.max_model = max_chunk, max_model
        self.started = False          # the chunked header has been passed
        self.records = 0

    def next_unit(self, buf, commit: bool = True) -> tuple[int, bool, bool] | None:
        """(its length or NOW, whether it ends the stream, whether it is a compact stream),
        or None while buf does not hold the whole unit.  ``commit``: the unit found will
        be read (else the scanner is left as it was)."""
        records, started = self.records, self.started
        found = self._find(buf, commit)
        if found is not None and found[0] != NOW and found[0] > len(buf):
            self.records, self.started = records, started
            return None
        return found

    def _find(self, buf, commit: bool) -> tuple[int, bool, bool] | None:
        if self.started:
            return self._record(buf, 0, commit)
        if len(buf) < START_SIZE:
            return None if MAGIC.startswith(bytes(buf[:4])) else (NOW, True, False)
        if bytes(buf[:4]) != MAGIC:
            return NOW, True, False
        flags = buf[5]
        compact = bool(flags & FLAG_COMPACT)
        id_size = SHORT_ID_SIZE if flags & FLAG_SHORT_ID else MODEL_ID_SIZE
        pos = START_SIZE + (0 if compact else 2) + (id_size if flags & FLAG_MODEL else 0)
        if flags & FLAG_EMBEDDED:
            if len(buf) < pos + 4:
                return None
            length = struct.unpack_from("<I", buf, pos)[0]
            if not 0 < length <= self.max_model:
                return NOW, True, compact
            pos += 4 + length
        if compact:
            end = _compact_end(buf, pos)
            return None if end is None else (end, True, True)
        found = self._record(buf, pos + 4, commit)
        if found is not None and commit:
            self.started = True
        return found

    def _record(self, buf, pos: int, commit: bool) -> tuple[int, bool, bool] | None:
        """The chunk record (or the footer) at pos of the chunked framing."""
        if len(buf) < pos + 1:
            return None
        if buf[pos] == END_TAG:
            if len(buf) < pos + 5:
                return None
            count = struct.unpack_from("<I", buf, pos + 1)[0]
            if count != self.records:
                return NOW, True, False
            return pos + 5 + TABLE_ENTRY.size * count + _FOOTER_AFTER_TABLE, True, False
        if len(buf) < pos + _RECORD:
            return None
        _, _, size, stored, _ = RECORD_STRUCT.unpack_from(buf, pos)
        if size > self.max_chunk or stored > size:
            return NOW, True, False
        self.records += commit
        return pos + _RECORD + stored, False, False


def _compact_end(buf, pos: int) -> int | None:
    """The end of the compact stream whose chunk records start at pos; NOW when its sizes
    are impossible."""
    start, left = pos, COMPACT_LIMIT
    while True:
        if pos - start > _COMPACT_BODY:
            return NOW
        if len(buf) < pos + 1:
            return None
        if buf[pos] == END_TAG:
            return pos + 9
        pos += 1
        sizes = []
        for _ in range(2):
            value, pos = _varint(buf, pos)
            if value is None or value == NOW:
                return value
            sizes.append(value)
        size, stored = sizes
        if not 0 < stored <= size <= left:
            return NOW
        left -= size
        pos += stored


def _varint(buf, pos: int) -> tuple[int | None, int]:
    value = 0
    for shift in range(0, 70, 7):
        if len(buf) <= pos:
            return None, pos
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
    return NOW, pos
