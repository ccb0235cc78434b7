"""Compressing one input, start to end: ask :func:`pcz.methods.choose` how, then run the
byte-stream or the record-file pipeline.

>>> import io
>>> out = io.BytesIO()
>>> compress(io.BytesIO(b"abc" * 100), out, fast=True).methods
{'order0': 1}
"""
import itertools
from typing import Any, BinaryIO

from pcz.engine import records
from pcz.engine.pipeline import DEFAULT_CHUNK, Stats, compress_segments, read_chunks
from pcz.format.fields import MAX_CHUNK
from pcz.methods.choose import choose


def compress(src: BinaryIO, dst: BinaryIO, *, chunk_size: int = DEFAULT_CHUNK, threads: int = 1,
             model: Any = None, embed_model: bool = False, fast: bool = False, windows: int | None = None,
             level: int | None = None,
             candidates: tuple | None = None) -> Stats:
    """Compress src into dst as :func:`pcz.methods.choose` decides (a byte stream, or a
    record file when the model codes records); returns :class:`Stats`."""
    if not 1 <= chunk_size <= MAX_CHUNK:
        raise ValueError(f"chunk size must be between 1 and {MAX_CHUNK}")
    chunks = read_chunks(src, chunk_size)
    first: list[bytes] = []

    def sample() -> bytes:
        first.extend(itertools.islice(chunks, 1))
        return first[0] if first else b""

    plan = choose(model, sample=sample, fast=fast, windows=windows, candidates=candidates, level=level)
    if plan.records:
        return records.compress_records(src, dst, plan, threads=threads, embed_model=embed_model,
                                        chunk_size=chunk_size)
    segments = plan.segments(itertools.chain(first, chunks))
    return compress_segments(segments, dst, plan.model, embed_model, threads)
