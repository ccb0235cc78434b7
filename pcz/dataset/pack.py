"""``pcz.pack``: records from a file, an HDF5 dataset, a zarr array or a folder of images into a
pcz data set store (:mod:`pcz.dataset.layout`), in tasks over ranges of whole chunks.

Each task reads its records from the source and writes their chunks into the
temporary store; tasks run on Dask workers (:mod:`pcz.dataset.jobs`), which must see
the source and the store at the same paths.  Only when all have finished is the store
marked complete and renamed into place.

>>> import os, tempfile, numpy as np, pcz
>>> from pcz.models.hclt import HcltModel
>>> folder = tempfile.mkdtemp()
>>> model = HcltModel.from_float([-1, 0], [0.5, 0.5], np.full((2, 2, 2), 0.5), np.full((2, 2, 4), 0.25))
>>> np.save(os.path.join(folder, "a.npy"), np.arange(20, dtype=np.uint8).reshape(10, 2) % 4)
>>> stats = pcz.pack(os.path.join(folder, "a.npy"), os.path.join(folder, "a.zarr"), model,
...                  scheduler="synchronous", chunk_records=4, model_store=folder)
>>> stats["records"], stats["tasks"]
(10, 3)
>>> pcz.open_dataset(os.path.join(folder, "a.zarr"))[3].tolist()
[2, 3]
"""
import base64
import os
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from pcz import models
from pcz.dataset import images, jobs, layout, require
from pcz.dataset.sources import Source, open_source
from pcz.errors import InputError, ModelError
from pcz.format.fields import MAX_MODEL
from pcz.models import store as mstore

require("zarr")        # the dataset extra: a clear error now rather than halfway

CHUNK_BYTES = 1 << 20        # default chunk: about this many bytes of records


def model_bytes(model) -> bytes:
    """A model given as file path, hex id (found in the model store), bytes or object."""
    if isinstance(model, (str, os.PathLike)):
        path = os.fspath(model)
        if os.path.isfile(path):
            with open(path, "rb") as f:
                return f.read(MAX_MODEL + 1)
        if len(path) == 64:
            return mstore.find(path.lower())
        raise ModelError(f"{path}: no such model file or model id")
    data = models.as_bytes(model)
    if data is None:
        raise ModelError("pack needs a record model (an HCLT model: pcz train)")
    return data


def default_chunk_records(record_size: int) -> int:
    """Records per chunk: the largest power of two whose records fit in about 1 MiB.

    >>> default_chunk_records(784), default_chunk_records(3 << 20)
    (1024, 1)
    """
    n = max(1, CHUNK_BYTES // max(1, record_size))
    return 1 << (n.bit_length() - 1)


@dataclass(frozen=True)
class _Job:
    source: Source            # without names (tasks get theirs)
    root: str                 # the temporary store
    model_path: str


@lru_cache(maxsize=4)
def use_model(path: str) -> str:
    """Make the model file at ``path`` findable in this (worker) process; its hex id."""
    with open(path, "rb") as f:
        return mstore.remember(f.read(MAX_MODEL + 1))


def _pack_task(job: _Job, start: int, stop: int, names: tuple) -> dict:
    zarr = require("zarr")
    use_model(job.model_path)
    out = jobs.worker_stats() | {"start": start, "stop": stop}
    if job.source.kind == "images":
        pixels, out["forms"], out["crcs"], out["extras"] = images.read_files(
            job.source.path, names, job.source.shape[1:], job.source.meta["mode"])
    else:
        pixels = job.source.read(start, stop)
    zarr.open_array(os.path.join(job.root, layout.RECORDS), mode="r+")[start:stop] = pixels
    return out | jobs.worker_stats()


def _check_model(data: bytes, source: Source):
    model = models.load(data)
    kind = models.kind_of(model)
    if kind is None or not kind.records:
        raise ModelError("pack needs a record model (an HCLT model: pcz train)")
    if model.D != source.record_size:
        raise ModelError(f"the model codes records of {model.D} values; the source's records "
                         f"{source.shape[1:]} hold {source.record_size}")
    return model


def _create(root: str, source: Source, hex_id: str, chunk_records: int, shard_records: int | None,
            meta: dict) -> None:
    zarr = require("zarr")
    from pcz.dataset.zarr3 import PczCodec
    group = zarr.open_group(root, mode="a", zarr_format=3)     # root: our new folder
    group.attrs[layout.ATTR] = meta
    shards = (shard_records, *source.shape[1:]) if shard_records else None
    group.create_array(layout.RECORDS, shape=source.shape, chunks=(chunk_records, *source.shape[1:]),
                       shards=shards, dtype="u1", serializer=PczCodec(model=hex_id), compressors=None,
                       fill_value=0)
    if source.kind == "images":
        files = group.create_group(layout.FILES)
        files.create_array("name", shape=(source.N,), chunks=(chunk_records,), dtype=str)[:] = np.array(source.names)


def _write_files(root: str, results: list[dict], chunk_records: int) -> int:
    """The forms, CRCs and extra bytes of the image files; returns how many are kept verbatim."""
    zarr = require("zarr")
    files = zarr.open_group(os.path.join(root, layout.FILES), mode="r+")
    forms = np.concatenate([r["forms"] for r in results])
    extras = [e for r in results for e in r["extras"]]
    sizes = np.array([len(e) for e in extras], dtype=np.uint64)
    blob = np.frombuffer(b"".join(extras), dtype=np.uint8)
    for name, values in (("form", forms), ("crc", np.concatenate([r["crcs"] for r in results])),
                         ("extra_size", sizes)):
        files.create_array(name, shape=values.shape, chunks=(chunk_records,), dtype=values.dtype)[:] = values
    files.create_array("extra", shape=blob.shape, chunks=(max(1, min(len(blob), 1 << 22)),), dtype="u1")[:] = blob
    return int(np.sum(forms == images.VERBATIM))


def pack(source: str, store: str, model, *, workers: int | None = None, scheduler=None,
         chunk_records: int | None = None, shard_records: int | None = None,
         embed_model: bool = True, force: bool = False,
         progress=None, worker_memory: int | str | None = None, task_bytes: int = 32 << 20,
         model_store: str | None = None) -> dict:
    """Pack ``source`` (a .npy/IDX file, ``file.h5:/dataset``, a zarr array or a folder of
    PNG/PGM images) into the store folder ``store`` with a record model (path, id, bytes
    or object), in chunks of ``chunk_records`` records (default: about 1 MiB of records),
    grouped into zarr shards of ``shard_records`` if given (fewer, larger objects; a record
    still decodes alone).  ``workers`` Dask worker processes on this machine (default: one per
    core), or ``scheduler``: an existing cluster's address or a ``distributed.Client``, or
    ``"synchronous"`` to run here.  ``progress(records, total)`` is called as tasks finish.  The model is stored in the
    store (unless ``embed_model`` is false) and added to the model store (the folder
    ``model_store``, else the first of :func:`pcz.models.store.folders`), so a fresh
    process opening the store's array finds it.  Returns figures about the run."""
    timer = jobs.Timer()
    require("zarr")
    layout.check_target(store, force)
    data = model_bytes(model)
    tmp = layout.temporary(store)
    try:
        src = open_source(source, scratch=tmp)
        model_obj = _check_model(data, src)
        hex_id = mstore.remember(data)
        chunk_records = chunk_records or default_chunk_records(src.record_size)
        if shard_records is not None and (shard_records < chunk_records or shard_records % chunk_records):
            raise InputError(f"shards of {shard_records} records must hold whole chunks of {chunk_records}")
        unit = shard_records or chunk_records      # what one task writes whole (no shared shards)
        meta = {"format": layout.FORMAT, "complete": False, "model": hex_id, "records": src.N,
                "record_shape": list(src.shape[1:]), "chunk_records": chunk_records,
                "shard_records": shard_records,
                "source": {"kind": src.kind, "name": os.path.basename(src.path.rstrip("/")), **src.meta}}
        _create(tmp, src, hex_id, chunk_records, shard_records, meta)
        model_path = layout.write_model(tmp, data)
        with jobs.Runner(workers, scheduler, worker_memory) as runner:
            ranges = jobs.chunk_tasks(src.N, unit, src.record_size, runner.workers, task_bytes)
            job = _Job(replace(src, names=()), tmp, model_path)
            tasks = [(job, a, b, src.names[a:b]) for a, b in ranges]
            started = timer()
            results = runner.map(_pack_task, tasks, [b - a for a, b in ranges], progress)
            task_seconds = timer() - started
        verbatim = _write_files(tmp, results, chunk_records) if src.kind == "images" else 0
        layout.clean_partial(tmp)
        layout.remove(os.path.join(tmp, "source.records"))
        if not embed_model:
            layout.remove(os.path.join(tmp, layout.MODELS))
        seconds = timer()
        raw = src.N * src.record_size
        records_bytes = layout.store_bytes(tmp, os.path.join(layout.RECORDS, "c"))   # chunks only
        stats = {"records": src.N, "record_shape": list(src.shape[1:]), "raw_bytes": raw,
                 "records_bytes": records_bytes, "store_bytes": layout.store_bytes(tmp),
                 "bits_per_value": 8 * records_bytes / max(1, raw), "model": hex_id,
                 "model_values": model_obj.D, "chunk_records": chunk_records, "tasks": len(ranges),
                 "workers": runner.workers if not runner.synchronous else 0, "seconds": seconds,
                 "task_seconds": task_seconds,
                 "cpu_seconds": sum(r["cpu_seconds"] for r in results),
                 "mb_per_s": raw / 1e6 / max(seconds, 1e-9), "verbatim_files": verbatim,
                 "peak_rss_per_worker": _peaks(results)}
        group_meta = dict(meta, complete=True, stats={k: stats[k] for k in ("raw_bytes", "records_bytes")})
        zarr = require("zarr")
        zarr.open_group(tmp, mode="r+").attrs[layout.ATTR] = group_meta
        mstore.add(data, model_store)
        layout.publish(tmp, store, force)
        return stats
    except BaseException:
        layout.remove(tmp)
        raise


def _peaks(results: list[dict]) -> dict[int, int]:
    """Peak resident memory per worker process id."""
    out: dict[int, int] = {}
    for r in results:
        out[r["pid"]] = max(out.get(r["pid"], 0), r["peak_rss"])
    return out


def header_bytes(meta: dict) -> bytes:
    """The .npy or IDX header of a packed record file, as it was."""
    return base64.b64decode(meta["source"]["header"])


def require_kind(meta: dict, *kinds: str) -> str:
    kind = meta["source"]["kind"]
    if kind not in kinds:
        raise InputError(f"the store holds a {kind} source; expected one of {', '.join(kinds)}")
    return kind
