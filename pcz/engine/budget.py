"""How a decode stays within its memory limit (docs/SECURITY.md, "Untrusted .pcz files").

The limit bounds everything decoding allocates, in all its processes together
(not the interpreter and its libraries, which every process has before it reads a
byte).  Charged, in bytes:

- the model's file bytes: once in this process, and once more for each worker
  process they are sent to;
- the model loaded, with its coder tables and working state
  (:func:`pcz.models.footprint`, read from the model's header before it is
  parsed): once in every process that loads it, this one with a single worker,
  else each worker;
- each chunk from when its record is read until the chunk after it has been
  handed on (:func:`chunk_cost`): its payload, what its method's decoder
  allocates (``Method.memory``, the output included) and, with workers, the
  copies that cross between processes;
- the stream's long-range window, in this process (:func:`pcz.engine.long_range.window_cost`);
- what the caller keeps of the content (``pcz.decompress`` builds all of it);
- :data:`READER` for the container reader's own buffers.

:func:`plan` takes the number of workers asked for down until the model's copies
and one chunk like the first fit in each, and leaves the rest as room for the
chunks in flight, which :func:`pcz.runtime.parallel.ordered_map` never exceeds.

>>> from pcz.format.fields import Record
>>> first = Record(1, 1 << 20, 40, 0)                # 1 MiB of order-0 coded content
>>> p = plan(64 << 20, None, 4, first)
>>> p.workers, p.room >> 20
(4, 63)
>>> plan(32 << 20, None, 4, Record(1, 8 << 20, 40, 0)).workers
1
>>> plan(16 << 20, None, 1, Record(1, 8 << 20, 40, 0))
Traceback (most recent call last):
...
pcz.errors.LimitError: decoding needs at least 19 MiB of memory (18 MiB for its first chunk, 1 MiB for the reader), more than the limit of 16 MiB
"""
from dataclasses import dataclass

from pcz import methods, models
from pcz.errors import LimitError
from pcz.methods import long
from pcz.format.fields import Record
from pcz.runtime.parallel import describe_bytes

MIN_MEMORY = 16 << 20     # the least memory limit accepted
READER = 1 << 20          # the container reader's buffers (a compact file is read whole: 256 KiB at most)


@dataclass(frozen=True)
class Plan:
    workers: int          # processes that decode (1: this one)
    model_cost: int       # what the model takes in each process that loads it
    room: int             # what the chunks held at once may take together


def chunk_cost(record: Record, workers: int, payload: bytes = b"") -> int:
    """What a chunk takes from when its record is read until the chunk after it has been
    handed on: its payload, its decoder's allocations (output included), and with workers
    the payload's copies on the way to one and the output's on the way back.  A long chunk's
    decoder is charged for the inner method its payload names (the costliest without it).

    >>> [chunk_cost(Record(1, 1 << 20, 40, 0), workers) >> 20 for workers in (1, 4)]   # order0, 1 MiB
    [3, 5]
    """
    method = methods.get(record.method)
    if record.method == methods.LONG and payload:
        cost = record.stored + long.memory(record.size, record.stored, payload[0])
    else:
        cost = record.stored + method.memory(record.size, record.stored)
    if workers > 1:
        cost += 2 * record.stored + 2 * record.size
    return cost


def plan(limit: int, model_bytes: bytes | None, threads: int, first: Record | None, window: int = 0) -> Plan:
    """How many workers decode within ``limit``, and the room their chunks get (see the module);
    ``window``: what the stream's long-range window takes in this process."""
    if limit < MIN_MEMORY:
        raise LimitError(f"memory limit below the {MIN_MEMORY >> 20} MiB minimum")
    if READER + window > limit:
        raise LimitError(f"the stream's long-range window needs {describe_bytes(window)} of memory, "
                         f"more than the limit of {describe_bytes(limit)} allows")
    file = len(model_bytes) if model_bytes else 0
    held = READER + window + file
    model = models.footprint(model_bytes) if model_bytes else 0
    if held > limit:
        raise LimitError(f"the model file of {file} bytes does not fit in the memory limit")
    if first is None:
        return Plan(1, model, max(0, limit - held - model))
    for workers in range(threads, 1, -1):
        copies = workers * (file + model)
        if held + copies + workers * chunk_cost(first, workers) <= limit:
            return Plan(workers, model, limit - held - copies)
    chunk = chunk_cost(first, 1)
    if held + model + chunk > limit:
        parts = [f"{describe_bytes(model)} for its model"] if model else []
        parts += [f"{describe_bytes(chunk)} for its first chunk", f"{describe_bytes(held)} for the reader"
                  + (" and the model file" if model_bytes else "") + (" and the long-range window" if window else "")]
        raise LimitError(f"decoding needs at least {describe_bytes(held + model + chunk)} of memory "
                         f"({', '.join(parts)}), more than the limit of {describe_bytes(limit)}")
    return Plan(1, model, limit - held - model)
