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
from pcz.methods.choose import choose

__all__ = ["DEFAULT_CHUNK", "DEFAULT_MEMORY", "Stats", "compress_stream", "decompress_stream",
           "compress_folder", "decompress_folder"]


def compress_stream(src: BinaryIO, dst: BinaryIO, **options) -> Stats:
    """Compress the stream src into dst; returns :class:`~pcz.engine.pipeline.Stats`.

    Options: ``chunk_size``, ``threads`` (worker processes; the output is identical
    for every value), ``model`` (object or file bytes; a record model such as HCLT
    makes src a .npy/IDX record file), ``embed_model``, ``level`` (1..9, like zstd's),
    ``fast`` (level 1: lz-rans, LZ77 with rANS tables),
    ``windows`` (Equal-Info windows of that many bits), ``candidates`` (exactly these
    chunk methods), ``long`` (long-range matching across chunks; default: on at levels
    2-9).  What is used is decided by :func:`pcz.methods.choose`.
    """
    return encode.compress(src, dst, **options)


def decompress_stream(src: BinaryIO, dst: BinaryIO, **options) -> Stats:
    """Decompress the pcz stream src into dst; options ``model``, ``threads``,
    ``memory_limit`` as :func:`pcz.engine.pipeline.iter_decompress`."""
    stats = Stats()
    for data in pipeline.iter_decompress(src, stats=stats, **options):
        dst.write(data)
    return stats


def compress_folder(path: str, dst: BinaryIO, *, model=None, threads: int = 1, embed_model: bool = False,
                    chunk_size: int = DEFAULT_CHUNK, fast: bool = False) -> Stats:
    """Compress a flat folder of files into the pcz stream dst (:mod:`pcz.engine.folders`):
    with a record model (HCLT), its images of the model's type and shape are coded as
    records and every file is restored byte for byte; other files are coded as bytes.

    >>> import io, os, tempfile, numpy as np, pcz
    >>> from pcz.models.hclt import HcltModel
    >>> src = tempfile.mkdtemp()
    >>> for i in range(4):
    ...     _ = open(os.path.join(src, f"{i}.pgm"), "wb").write(b"P5 2 1 255\\n" + bytes([i % 2, 1]))
    >>> m = HcltModel.from_float([-1, 0], [1.0], np.ones((2, 1, 1)), np.full((2, 1, 2), 0.5), shape=(1, 2))
    >>> out = io.BytesIO()
    >>> compress_folder(src, out, model=m).chunks      # magic, manifest, rests, records
    4
    >>> target = os.path.join(tempfile.mkdtemp(), "copy")
    >>> _ = decompress_folder(io.BytesIO(out.getvalue()), target, model=m)
    >>> sorted(os.listdir(target)), open(os.path.join(target, "3.pgm"), "rb").read()
    (['0.pgm', '1.pgm', '2.pgm', '3.pgm'], b'P5 2 1 255\\n\\x01\\x01')
    """
    from pcz.engine import folders          # image sets: loaded only when a folder is coded
    plan = choose(model, fast=fast, sample=lambda: b"")
    return folders.compress_folder(path, dst, plan, threads=threads, embed_model=embed_model,
                                   chunk_size=chunk_size)


def decompress_folder(src: BinaryIO, target: str, **options) -> Stats:
    """Decompress a pcz stream holding a folder into the new folder ``target`` (options as
    :func:`decompress_stream`); nothing is left behind on failure."""
    from pcz.engine import folders
    writer = folders.FolderWriter(target)
    try:
        stats = decompress_stream(src, writer, **options)
        writer.finish()
    except BaseException:
        writer.abort()
        raise
    return stats
