"""Streaming compression and decompression over file objects (bounded memory).

>>> import io, pcz
>>> out = io.BytesIO()
>>> stats = pcz.compress_stream(io.BytesIO(b"hello hello hello"), out)
>>> back = io.BytesIO()
>>> _ = pcz.decompress_stream(io.BytesIO(out.getvalue()), back)
>>> back.getvalue()
b'hello hello hello'
"""
from typing import BinaryIO

from pcz.engine import encode, pipeline
from pcz.engine.pipeline import DEFAULT_CHUNK, DEFAULT_MEMORY, Stats

__all__ = ["DEFAULT_CHUNK", "DEFAULT_MEMORY", "Stats", "compress_stream", "decompress_stream"]


def compress_stream(src: BinaryIO, dst: BinaryIO, **options) -> Stats:
    """Compress the stream src into dst; returns :class:`~pcz.engine.pipeline.Stats`.

    Options: ``chunk_size``, ``threads`` (worker processes; the output is identical
    for every value), ``model`` (object or file bytes; a record model such as HCLT
    makes src a .npy/IDX record file), ``embed_model``, ``level`` (1..9, like zstd's),
    ``fast`` (level 1: order-0 only),
    ``windows`` (Equal-Info windows of that many bits), ``candidates`` (exactly these
    chunk methods).  What is used is decided by :func:`pcz.methods.choose`.
    """
    return encode.compress(src, dst, **options)


def decompress_stream(src: BinaryIO, dst: BinaryIO, **options) -> Stats:
    """Decompress the pcz stream src into dst; options ``model``, ``threads``,
    ``memory_limit`` as :func:`pcz.engine.pipeline.iter_decompress`."""
    stats = Stats()
    for data in pipeline.iter_decompress(src, stats=stats, **options):
        dst.write(data)
    return stats
