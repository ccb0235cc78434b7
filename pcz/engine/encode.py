"""Compressing one input, start to end: ask :func:`pcz.methods.choose` how, then run the
byte-stream or the record-file pipeline.

>>> import io
>>> out = io.BytesIO()
>>> compress(io.BytesIO(b"abc" * 100), out, fast=True).methods
{'lz-rans': 1}
"""
import itertools
from typing import Any, BinaryIO

from pcz.engine import long_range
from pcz.engine.pipeline import DEFAULT_CHUNK, Stats, compress_segments, read_chunks
from pcz.format.fields import MAX_CHUNK
from pcz.methods.choose import choose


def compress(src: BinaryIO, dst: BinaryIO, *, chunk_size: int = DEFAULT_CHUNK, threads: int = 1,
             model: Any = None, embed_model: bool = False, fast: bool = False, windows: int | None = None,
             level: int | None = None,
             candidates: tuple | None = None, long: bool | None = None) -> Stats:
    """Compress src into dst as :func:`pcz.methods.choose` decides (a byte stream, or a
    record file when the model codes records); returns :class:`Stats`.  ``long``: long-range
    matching across chunks (None: as the level says; :mod:`pcz.engine.long_range`)."""
    if not 1 <= chunk_size <= MAX_CHUNK:
        raise ValueError(f"chunk size must be between 1 and {MAX_CHUNK}")
    size = _remaining(src)
    chunks = read_chunks(src, chunk_size)
    first: list[bytes] = []

    def sample() -> bytes:
        first.extend(itertools.islice(chunks, 1))
        return first[0] if first else b""

    plan = choose(model, sample=sample, fast=fast, windows=windows, candidates=candidates, level=level,
                  long=long)
    if plan.records:
        from pcz.engine import records      # record files (.npy, IDX): loaded only when a model codes records
        return records.compress_records(src, dst, plan, threads=threads, embed_model=embed_model,
                                        chunk_size=chunk_size)
    segments = plan.segments(itertools.chain(first, chunks))
    window = long_range.window_log(size) if plan.long else 0
    return compress_segments(segments, dst, plan.model, embed_model, threads, window, chunk_size)


def _remaining(src: BinaryIO) -> int | None:
    """The bytes left in src when it can tell (a file, bytes), else None (a pipe)."""
    try:
        if not src.seekable():
            return None
        here = src.tell()
        end = src.seek(0, 2)
        src.seek(here)
        return end - here
    except (OSError, ValueError, AttributeError):
        return None
