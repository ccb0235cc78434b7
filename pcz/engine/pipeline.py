"""The coding pipeline over file objects, both ways.

Input is cut into segments (fixed-size chunks of a byte stream, or the header
and record batches of a record file: :mod:`pcz.engine.record_files`); each segment is
coded by the candidate method that gives the smallest payload, or stored raw
when nothing beats its size, in worker processes when ``threads`` > 1.  Which
model and which candidates is decided by :func:`pcz.methods.choose`.  Compressing
holds a few chunks per worker; decoding stays within its memory limit, in all its
processes together (:mod:`pcz.engine.budget`).

>>> import io
>>> out = io.BytesIO()
>>> from pcz.methods.choose import choose
>>> stats = compress_segments(choose(fast=True).segments([b"hello hello hello"]), out)
>>> b"".join(iter_decompress(io.BytesIO(out.getvalue())))
b'hello hello hello'
"""
import itertools
import zlib
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Iterable, Iterator

from pcz import methods, models
from pcz.engine import budget, long_range
from pcz.format import container
from pcz.format.container import Writer
from pcz.format.fields import (DEFAULT_CHUNK, DEFAULT_MEMORY, MAX_CHUNK, Header, Record, compact_limit,
                               content_digest, model_id)
from pcz.errors import ChecksumError, LimitError, ModelError
from pcz.methods import long
from pcz.runtime.parallel import ordered_map

Segment = tuple[bytes, tuple]   # original bytes, candidate method ids (or Method objects)


@dataclass
class Stats:
    """What a compression or decompression run did."""
    original: int = 0
    compressed: int = 0
    chunks: int = 0
    methods: dict[str, int] = field(default_factory=dict)
    digest: bytes = b""          # BLAKE2b-128 of the original content
    model: bytes | None = None   # model file bytes the stream used (the last stream's)
    members: int = 0             # pcz streams decoded (files may be concatenated)

    def add(self, record: Record) -> None:
        self.original += record.size
        self.chunks += 1
        name = methods.get(record.method).name
        self.methods[name] = self.methods.get(name, 0) + 1


class _CountingWriter:
    def __init__(self, dst: BinaryIO):
        self.dst, self.count = dst, 0

    def write(self, data: bytes) -> int:
        self.dst.write(data)
        self.count += len(data)
        return len(data)


def read_chunks(src: BinaryIO, size: int) -> Iterator[bytes]:
    """Yield exact ``size``-byte pieces of src (the last may be shorter), however reads split.

    A piece that one read returns whole is yielded as it is (a BytesIO over bytes returns
    its bytes uncopied), the input's last piece too once the next read finds the end.

    >>> import io
    >>> list(read_chunks(io.BytesIO(b"abcde"), 2)), list(read_chunks(io.BytesIO(b""), 2))
    ([b'ab', b'cd', b'e'], [])
    """
    while True:
        piece = src.read(size) or b""
        if not piece:
            return
        if len(piece) < size:       # the end of src, or a read split short: read on
            more = src.read(size - len(piece)) or b""
            if more:
                buf = bytearray(piece)
                while more:
                    buf += more
                    more = (src.read(size - len(buf)) or b"") if len(buf) < size else b""
                piece = buf
        yield piece if type(piece) is bytes else bytes(piece)
        if len(piece) < size:
            return


def _load_model(model_bytes: bytes | None, budget: int | None = None) -> Any:
    return None if model_bytes is None else models.load(model_bytes, budget)


def encode_segment(segment: Segment, model: Any) -> tuple[Record, bytes]:
    """Code one segment with the best of its candidate methods (raw if none wins)."""
    data, candidates = segment
    best_id, best = methods.RAW, data
    for candidate in candidates:
        method = candidate if isinstance(candidate, methods.Method) else methods.get(candidate)
        payload = method.encode(data, model)
        if payload is not None and 0 < len(payload) < len(best):
            best_id, best = method.id, payload
    return Record(best_id, len(data), len(best), zlib.crc32(data)), best


def decode_record(item: tuple[Record, bytes], model: Any) -> "bytes | long.Parts":
    """Decode one chunk and check it against its CRC32 (compact files have one for the whole content).

    A payload too short for the size its record states is refused before decoding
    (:func:`pcz.methods.check_payload`): the work a chunk costs stays in proportion to its bytes.
    A long chunk comes back as its :class:`pcz.methods.long.Parts`, which the stream's
    :class:`pcz.engine.long_range.Window` completes and checks.
    """
    record, payload = item
    method = methods.get(record.method)
    if method.needs_model and model is None:
        raise ModelError(f"chunk method {method.name} needs a model but the file names none")
    methods.check_payload(method, record.size, len(payload), model)
    if record.method == methods.LONG:
        return long.decode_parts(payload, record.size, model, record.crc)
    data = method.decode(payload, record.size, model)
    if len(data) != record.size or (record.crc is not None and zlib.crc32(data) != record.crc):
        raise ChecksumError("chunk checksum mismatch after decoding (file is damaged)")
    return data


class Sink:
    """Writes chunk records to a pcz stream and keeps the whole-content checksums.

    The content goes to :meth:`update`, its coded chunks to :meth:`put`.
    """

    def __init__(self, dst: BinaryIO, model_bytes: bytes | None = None, embed_model: bool = False,
                 window_log: int = 0, chunk_size: int = DEFAULT_CHUNK):
        header = Header(model_id(model_bytes) if model_bytes else None,
                        model_bytes if embed_model else None, window_log)
        self.out = _CountingWriter(dst)
        self.writer = Writer(self.out, header, compact_limit(chunk_size))
        self.digest = content_digest()
        self.crc = 0            # the content's CRC32, for the compact framing: kept while it may be used
        self.seen = 0
        self.stats = Stats()

    def update(self, data: bytes) -> None:
        self.digest.update(data)
        self.seen += len(data)
        if self.seen <= self.writer.compact_limit:
            self.crc = zlib.crc32(data, self.crc)

    def put(self, record: Record, payload: bytes) -> None:
        self.writer.chunk(record, payload)
        self.stats.add(record)

    def finish(self) -> Stats:
        self.writer.finish(self.digest, self.crc)
        self.stats.compressed = self.out.count
        self.stats.digest = self.digest.digest()
        return self.stats


def compress_segments(segments: Iterable[Segment], dst: BinaryIO, model: Any = None,
                      embed_model: bool = False, threads: int = 1, window_log: int = 0,
                      chunk_size: int = DEFAULT_CHUNK) -> Stats:
    """Write a pcz stream of the given segments to dst; ``window_log``: match a byte stream's
    chunks against up to 2**window_log bytes before them (:mod:`pcz.engine.long_range`; 0: no);
    ``chunk_size``: the size the segments were cut to (it decides the framing of small
    contents: :func:`pcz.format.fields.compact_limit`)."""
    model_bytes = models.as_bytes(model)
    if window_log:
        window_log, segments = long_range.matched(segments, window_log)
    sink = Sink(dst, model_bytes, embed_model, window_log, chunk_size)
    sink.stats.model = model_bytes

    def feed():
        for data, candidates in segments:
            if not data:
                continue
            if len(data) > MAX_CHUNK:
                raise ValueError("segment larger than the format's chunk limit")
            sink.update(data)
            yield data, candidates

    for record, payload in ordered_map(encode_segment, feed(), threads,
                                       _load_model, (model_bytes,)):
        sink.put(record, payload)
    return sink.finish()


def caps(memory_limit: int) -> dict:
    """The reader caps (``max_chunk``, ``max_model``) that a memory limit allows."""
    if memory_limit < budget.MIN_MEMORY:
        raise LimitError(f"memory limit below the {budget.MIN_MEMORY >> 20} MiB minimum")
    return {"max_chunk": memory_limit // 8, "max_model": memory_limit // 4}


def open_reader(src: BinaryIO, memory_limit: int = DEFAULT_MEMORY):
    """A container reader (:func:`pcz.format.container.open_reader`) whose caps derive from the memory limit."""
    return container.open_reader(src, **caps(memory_limit))


def _decode_chunks(reader, model_bytes: bytes | None, threads: int, memory_limit: int,
                   kept: list[int]) -> tuple[budget.Plan, Iterator[bytes]]:
    """The plan for the reader's chunks (:func:`pcz.engine.budget.plan`, on the first record) and
    their decoded bytes, held within its room less what the caller keeps (``kept[0]``)."""
    records = reader.records()
    first = next(records, None)
    window = long_range.window_cost(reader.header.window_log, 0 if first is None else first[0].size)
    plan = budget.plan(memory_limit, model_bytes, threads, None if first is None else first[0], window)

    def cost(item: tuple[Record, bytes]) -> int:
        record, payload = item
        methods.check_payload(methods.get(record.method), record.size, len(payload))
        return budget.chunk_cost(record, plan.workers, payload)

    # a worker loads the model within what the plan charged for it; this process, within the limit
    # less the reader and the model file (the plan has refused a model that leaves no room for a chunk)
    if plan.workers > 1:
        model_budget = plan.model_cost
    else:
        model_budget = memory_limit - budget.READER - len(model_bytes or b"")
    items = itertools.chain([first] if first is not None else [], records)
    return plan, ordered_map(decode_record, items, plan.workers, _load_model, (model_bytes, model_budget),
                             cost=cost, room=lambda: plan.room - kept[0])


def iter_member(reader, *, model: Any = None, threads: int = 1, stats: Stats | None = None,
                digest=None, memory_limit: int = DEFAULT_MEMORY, retain: int = 0,
                kept_before: int = 0) -> Iterator[bytes]:
    """Yield the decompressed chunks of the one pcz stream ``reader`` reads, checked as
    :func:`iter_decompress` says; the model is resolved from the stream's header.
    ``digest``: the BLAKE2b-128 hash object to fill (a new one if not given);
    ``kept_before``: bytes the caller already keeps from earlier streams."""
    stats = Stats() if stats is None else stats
    digest = content_digest() if digest is None else digest
    stats.model = models.resolve(reader.header, models.as_bytes(model))
    kept = [kept_before + (reader.total if reader.compact else 0) * max(retain, 1)]   # compact: held whole
    plan, coded = _decode_chunks(reader, stats.model, 1 if reader.compact else threads, memory_limit, kept)
    log = reader.header.window_log
    chunks = map(long_range.Window(log).take if log else long_range.no_window, coded)
    if reader.compact:
        chunks = list(chunks)
        if zlib.crc32(b"".join(chunks)) != reader.content_crc:
            raise ChecksumError("content checksum mismatch (file is damaged)")
    for data in chunks:
        if retain and not reader.compact:
            kept[0] += retain * len(data)
            if kept[0] > plan.room:
                raise LimitError(f"the content is larger than the memory limit allows to keep "
                                 f"({memory_limit} bytes; decompress to a stream instead)")
        digest.update(data)
        stats.original += len(data)
        stats.chunks += 1
        yield data
    stats.digest = digest.digest()
    if not reader.compact and stats.digest != reader.footer_digest:
        raise ChecksumError("content checksum mismatch (file is damaged)")


def iter_decompress(src: BinaryIO, *, model: Any = None, threads: int = 1,
                    memory_limit: int = DEFAULT_MEMORY, stats: Stats | None = None,
                    retain: int = 0) -> Iterator[bytes]:
    """Yield the decompressed chunks of src in order; pcz streams that follow one another
    (``cat a.pcz b.pcz``) decode one after the other, each with the model it names.

    Every chunk is checked against its CRC32 before it is yielded, and the
    whole-content checksum of each stream before the next one is read; a compact
    stream (at most 1 MiB, one CRC32 for its whole content) is decoded and
    checked whole before anything of it is yielded.  Bytes after a stream that
    are not another pcz stream are an error.  ``stats``, if given, is filled in
    as decoding goes (``digest``: of the whole output; ``members``: streams read).
    Everything decoding allocates, in all its processes, stays within
    ``memory_limit`` (:mod:`pcz.engine.budget`), fewer workers running when it
    must; ``retain`` is how many bytes per content byte the caller keeps (2 to
    build the whole content as one bytes object), charged too.
    """
    stats = Stats() if stats is None else stats
    limits = caps(memory_limit)
    reader = container.open_reader(src, **limits)
    whole = None          # the digest of everything from the second stream on
    while reader is not None:
        member = content_digest()
        for data in iter_member(reader, model=model, threads=threads, stats=stats, digest=member,
                                memory_limit=memory_limit, retain=retain,
                                kept_before=retain * stats.original):
            if whole is not None:
                whole.update(data)
            yield data
        stats.members += 1
        reader = container.next_reader(src, **limits)
        if reader is not None and whole is None:
            whole = member.copy()       # has taken in the first stream
    if whole is not None:
        stats.digest = whole.digest()
