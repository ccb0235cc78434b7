"""Random access into pcz data on a seekable source (:func:`pcz.open` read handles).

An :class:`Index` of where each chunk's content starts is built once by reading the
framing alone (record heads and footers; payloads are skipped).  Reading from a
position then starts at the chunk that holds it: a chunk of the chunked framing is
read and checked on its own (its record CRC, then its content CRC32 after
decoding), a compact stream is read whole.  The whole-content checksum of a stream
is checked whenever it is read from its start.

A stream with long-range matches (:mod:`pcz.engine.long_range`) cannot always start at
the chunk that holds the position: a long chunk copies from up to its window before it.
The index notes which chunks are long (from their record heads), and reading starts at
the chunk :func:`pcz.engine.long_range.restart` gives: far enough back that every long
chunk decoded has its whole window decoded before it (the stream's start when long
chunks follow one another closely; a stream with no long chunk seeks as any other).

>>> import io, pcz
>>> blob = pcz.compress(b"abcdefgh" * 20000, chunk_size=50000, fast=True) + pcz.compress(b"tail")
>>> index = Index(io.BytesIO(blob))
>>> index.total, len(index.units)
(160004, 5)
>>> start, chunks = index.read_from(io.BytesIO(blob), 120001)
>>> start, next(chunks)[:3], [len(c) for c in chunks]
(100000, b'abc', [10000, 4])
"""
import bisect
from dataclasses import dataclass
from typing import Any, BinaryIO, Iterator

from pcz import models
from pcz.methods import LONG
from pcz.engine import long_range
from pcz.engine.pipeline import DEFAULT_MEMORY, caps, decode_record, iter_member
from pcz.format import chunked, container
from pcz.format.fields import Header


@dataclass
class Stream:
    offset: int         # where it starts in the file
    end: int            # where it ends
    start: int          # where its content starts in the whole content
    header: Header
    first: int          # the index of its first unit


@dataclass
class Unit:
    start: int          # where its content starts in the whole content
    stream: int         # the index of its stream
    offset: int | None  # where its chunk record starts; None: the whole (compact) stream
    long: bool = False  # a long chunk (it copies from the content before it)


class Index:
    """Where the streams and chunks of the pcz data in src lie (src is left anywhere)."""

    def __init__(self, src: BinaryIO, memory_limit: int = DEFAULT_MEMORY, origin: int = 0):
        self.limits = caps(memory_limit)
        self.memory_limit = memory_limit
        self.streams: list[Stream] = []
        self.units: list[Unit] = []
        total = 0
        src.seek(origin)
        offset, reader = origin, container.open_reader(src, **self.limits)
        while reader is not None:
            number, first = len(self.streams), len(self.units)
            if reader.compact:
                if reader.total:
                    self.units.append(Unit(total, number, None))
                size = reader.total
            else:
                size = 0
                for record_offset, record in reader.skim():
                    self.units.append(Unit(total + size, number, record_offset,
                                           record.method == LONG))
                    size += record.size
            self.streams.append(Stream(offset, src.tell(), total, reader.header, first))
            total += size
            offset = src.tell()
            reader = container.next_reader(src, **self.limits)
        self.total = total
        self._starts = [unit.start for unit in self.units]

    def read_from(self, src: BinaryIO, position: int, model: Any = None) -> tuple[int, Iterator[bytes]]:
        """(where the first chunk yielded starts, the chunks from the one holding position to
        the end); nothing when position is at or past the end."""
        if position >= self.total:
            return self.total, iter(())
        k = bisect.bisect_right(self._starts, position) - 1
        unit = self.units[k]
        stream = self.streams[unit.stream]
        if unit.offset is not None and stream.header.window_log:
            units = self.units[stream.first:self._end_of(unit.stream)]
            k = stream.first + long_range.restart([u.start for u in units], [u.long for u in units],
                                                  k - stream.first, stream.header.window_log)
            unit = self.units[k]
        if unit.offset is None or k == stream.first:
            src.seek(stream.offset)
            return stream.start, self._streams(src, model)
        src.seek(unit.offset)
        return unit.start, self._rest_of(src, stream, k - stream.first, model)

    def _end_of(self, number: int) -> int:
        """The index after the last unit of stream ``number``."""
        return self.streams[number + 1].first if number + 1 < len(self.streams) else len(self.units)

    def _rest_of(self, src: BinaryIO, stream: Stream, number: int, model: Any) -> Iterator[bytes]:
        """From chunk ``number`` of a chunked stream to its end, then the streams after it."""
        model_bytes = models.resolve(stream.header, models.as_bytes(model))
        log = stream.header.window_log
        take = long_range.Window(log, self.memory_limit).take if log else long_range.no_window
        loaded = None if model_bytes is None else models.load(model_bytes, self.memory_limit)
        while True:
            item = chunked.read_record(src, self.limits["max_chunk"], number)
            if item is None:
                break
            number += 1
            yield take(decode_record(item, loaded))
        src.seek(stream.end)
        yield from self._streams(src, model)

    def _streams(self, src: BinaryIO, model: Any) -> Iterator[bytes]:
        """Every stream from the one starting at src's position, each checked whole."""
        reader = container.next_reader(src, **self.limits)
        while reader is not None:
            yield from iter_member(reader, model=model, memory_limit=self.memory_limit)
            reader = container.next_reader(src, **self.limits)
