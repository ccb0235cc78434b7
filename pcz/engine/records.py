"""Coding record files: a .npy or IDX file (gzip or not) becomes the file header, coded by
``npy-header`` (``npy-header-typed`` for other element types) when it is the canonical
one (else order-0 or raw), then batches of whole records, coded by the plan's record
methods (``hclt-rans``; ``hclt-typed`` in the file's byte order when the model codes
another element type than uint8), so that
:func:`pcz.engine.pipeline.compress_segments` does the work and ``threads`` run batches
in parallel.  The decompressed output is the file's bytes, header and all (a gzip layer
is removed: the content is the file inside).
"""
from typing import BinaryIO, Iterator

from pcz import models
from pcz.engine.pipeline import DEFAULT_CHUNK, Segment, Stats, compress_segments
from pcz.engine.record_files import RecordInfo, open_records, read_upto
from pcz.errors import InputError, ModelError
from pcz.methods.choose import Plan
from pcz.methods.registry import NPY_HEADER, NPY_HEADER_TYPED, ORDER0
from pcz.models.values import NAMES


def compressed_name(path: str) -> str:
    """FILE -> FILE.pcz, FILE.gz -> FILE.pcz (the content is the file inside the gzip layer).

    >>> compressed_name("t10k-images-idx3-ubyte.gz"), compressed_name("x.npy")
    ('t10k-images-idx3-ubyte.pcz', 'x.npy.pcz')
    """
    return (path[:-3] if path.endswith(".gz") and len(path) > 3 else path) + ".pcz"


def check_shape(info: RecordInfo, model) -> None:
    """InputError unless the file's records have the model's element type and number of values."""
    if info.code != model.dtype:
        raise InputError(f"records are {NAMES[info.code]}, the model codes {NAMES[model.dtype]} records")
    if info.D != model.elements:
        raise InputError(f"records have {info.D} values ({'x'.join(map(str, info.shape[1:])) or '1'}), "
                         f"the model expects {model.elements} ({'x'.join(map(str, model.shape))})")


def record_candidates(info: RecordInfo, model, candidates: tuple) -> tuple:
    """The methods for the record batches: the plan's for uint8 models, else ``hclt-typed``
    set to the file's byte order."""
    if model.dtype == "u1":
        return candidates
    from pcz.methods import hclt
    return (hclt.typed_method(info.order),)


def record_segments(info: RecordInfo, body: BinaryIO, model, chunk_size: int,
                    candidates: tuple) -> Iterator[Segment]:
    """The header, then batches of about chunk_size bytes of whole records; checks every
    batch against the model and the total against the header (the record size is
    checked by the caller, :func:`check_shape`, before anything is written)."""
    from pcz.methods import hclt
    yield info.header, (NPY_HEADER, NPY_HEADER_TYPED, ORDER0)
    candidates = record_candidates(info, model, candidates)
    per_chunk = max(1, chunk_size // info.record_bytes) * info.record_bytes
    left = info.size
    while left:
        want = min(per_chunk, left)
        try:
            data = read_upto(body, want)
        except (OSError, EOFError) as e:
            raise InputError(f"cannot read the gzip layer ({e})") from None
        if len(data) < want:
            done = (info.size - left + len(data)) // info.record_bytes
            raise InputError(f"truncated data: the header announces {info.N} records, "
                             f"the file holds {done}")
        hclt.symbols(data, model, info.order, (info.size - left) // info.record_bytes)  # range check
        left -= want
        yield data, candidates
    try:
        trailing = body.read(1)
    except (OSError, EOFError) as e:
        raise InputError(f"cannot read the gzip layer ({e})") from None
    if trailing:
        raise InputError("trailing bytes after the records")


def compress_records(src: BinaryIO, dst: BinaryIO, plan: Plan, *, threads: int = 1,
                     embed_model: bool = False, chunk_size: int = DEFAULT_CHUNK) -> Stats:
    """Compress the record file src (.npy or IDX, gzip or not) into dst as ``plan`` says
    (a plan for a record model, from :func:`pcz.methods.choose`)."""
    loaded = models.load(plan.model)
    if not plan.records:
        raise ModelError("this model does not code records (it is not an HCLT model)")
    info, body = open_records(src)
    check_shape(info, loaded)
    segments = record_segments(info, body, loaded, chunk_size, plan.candidates)
    return compress_segments(segments, dst, plan.model, embed_model, threads, chunk_size=chunk_size)
