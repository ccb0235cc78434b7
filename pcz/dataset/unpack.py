"""``pcz.unpack``: a pcz data set store back to what was packed.

- a .npy or IDX file: its header as it was, then the records (byte for byte; a gzipped
  IDX comes back as the IDX file inside, as ``pcz decompress`` does);
- a folder of images: every file under its name, byte for byte (checked by CRC32);
- an HDF5 dataset: a new HDF5 file with the dataset at the same path (or ``out.h5:/path``),
  same shape, dtype and values;
- a zarr array: a new zarr array with the same shape, dtype, chunks and values.

Tasks decode ranges of records on Dask workers and write them straight into a
temporary output (at their offset, or their files); it is renamed into place at the end.

>>> import os, tempfile, numpy as np, pcz
>>> from pcz.models.hclt import HcltModel
>>> folder = tempfile.mkdtemp()
>>> model = HcltModel.from_float([-1, 0], [0.5, 0.5], np.full((2, 2, 2), 0.5), np.full((2, 2, 4), 0.25))
>>> src = os.path.join(folder, "a.npy")
>>> np.save(src, np.arange(20, dtype=np.uint8).reshape(10, 2) % 4)
>>> _ = pcz.pack(src, os.path.join(folder, "a.zarr"), model, scheduler="synchronous", model_store=folder)
>>> _ = pcz.unpack(os.path.join(folder, "a.zarr"), os.path.join(folder, "b.npy"), scheduler="synchronous")
>>> open(os.path.join(folder, "b.npy"), "rb").read() == open(src, "rb").read()
True
"""
import os
import zlib
from dataclasses import dataclass

import numpy as np

from pcz.dataset import images, jobs, layout, require
from pcz.dataset.pack import header_bytes, use_model
from pcz.errors import ChecksumError, InputError


require("zarr")        # the dataset extra: a clear error now rather than halfway

@dataclass(frozen=True)
class _Job:
    store: str
    kind: str
    out: str                   # the temporary output (file or folder)
    offset: int = 0            # record files: where the records start
    model_path: str | None = None
    mode: str | None = None    # images


def _records(job: _Job, start: int, stop: int) -> np.ndarray:
    zarr = require("zarr")
    if job.model_path:
        use_model(job.model_path)
    return np.asarray(zarr.open_array(os.path.join(job.store, layout.RECORDS), mode="r")[start:stop])


def _write_files(job: _Job, start: int, stop: int, pixels: np.ndarray) -> None:
    zarr = require("zarr")
    files = zarr.open_group(os.path.join(job.store, layout.FILES), mode="r")
    names = files["name"][start:stop]
    forms, crcs = files["form"][start:stop], files["crc"][start:stop]
    ends = np.cumsum(files["extra_size"][:].astype(np.int64))
    first = int(ends[start - 1]) if start else 0
    blob = bytes(files["extra"][first:int(ends[stop - 1])]) if stop > start else b""
    at = 0
    for i, name in enumerate(names):
        size = int(ends[start + i]) - (int(ends[start + i - 1]) if start + i else 0)
        data = images.rebuild(pixels[i], int(forms[i]), blob[at:at + size], job.mode)
        at += size
        if zlib.crc32(data) != int(crcs[i]):
            raise ChecksumError(f"{name}: the rebuilt file differs from the packed one "
                                "(a different Pillow or zlib than at packing?)")
        path = os.path.join(job.out, *images.safe_name(str(name)).split("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:       # "wb": a retried task writes the same file again
            f.write(data)


def _unpack_task(job: _Job, start: int, stop: int) -> dict:
    pixels = _records(job, start, stop)
    if job.kind == "images":
        _write_files(job, start, stop, pixels)
    elif job.kind == "zarr":
        require("zarr").open_array(job.out, mode="r+")[start:stop] = pixels
    else:
        data = np.ascontiguousarray(pixels).tobytes()
        fd = os.open(job.out, os.O_WRONLY)
        try:
            os.pwrite(fd, data, job.offset + start * (len(data) // max(1, stop - start)))
        finally:
            os.close(fd)
    return {"start": start, "stop": stop} | jobs.worker_stats()


def _split_h5(dest: str, meta: dict) -> tuple[str, str]:
    path, sep, inner = dest.rpartition(":")
    if sep and inner.startswith("/") and path:
        return path, inner
    return dest, meta["source"]["dataset"]


def _prepare(kind: str, dest: str, meta: dict, force: bool) -> tuple[str, str, int]:
    """(final path, temporary output, record offset) for the destination."""
    shape = (meta["records"], *meta["record_shape"])
    if kind in ("images", "zarr"):
        layout.check_target(dest, force)
        tmp = layout.temporary(dest)
        if kind == "zarr":
            zarr = require("zarr")
            zarr.create_array(tmp, shape=shape, chunks=(meta["chunk_records"], *shape[1:]), dtype="u1",
                              zarr_format=meta["source"].get("zarr_format", 3), overwrite=True)
        return dest, tmp, 0
    final = _split_h5(dest, meta)[0] if kind == "hdf5" else dest
    layout.check_target(final, force)
    tmp = layout.temporary(final)            # a folder: the output file is made inside it
    out = os.path.join(tmp, "out")
    head = header_bytes(meta) if kind in ("npy", "idx") else b""
    with open(out, "xb") as f:
        f.write(head)
        f.truncate(len(head) + int(np.prod(shape, dtype=np.int64)))
    return final, tmp, len(head)


def _to_hdf5(raw: str, target: str, dataset: str, shape: tuple, step: int) -> None:
    h5py = require("h5py")
    with h5py.File(target, "w") as f, open(raw, "rb") as src:
        ds = f.create_dataset(dataset, shape=shape, dtype="u1")
        size = int(np.prod(shape[1:], dtype=np.int64))
        for start in range(0, shape[0], step):
            stop = min(shape[0], start + step)
            ds[start:stop] = np.frombuffer(src.read((stop - start) * size), dtype=np.uint8).reshape(
                (stop - start, *shape[1:]))


def unpack(store: str, dest: str, *, workers: int | None = None, scheduler=None,
           force: bool = False, progress=None, worker_memory: int | str | None = None,
           task_bytes: int = 32 << 20) -> dict:
    """Restore what ``store`` holds to ``dest`` (a file, folder, zarr array or
    ``file.h5[:/dataset]``, as the store's source was); workers as :func:`pcz.pack`.
    Returns figures about the run."""
    timer = jobs.Timer()
    require("zarr")
    meta = layout.open_meta(store)
    kind = meta["source"]["kind"]
    if kind not in ("npy", "idx", "images", "hdf5", "zarr"):
        raise InputError(f"{store}: unknown source kind {kind!r} (written by a newer pcz?)")
    store = os.path.abspath(store)
    embedded = os.path.join(store, layout.MODELS, meta["model"] + ".pczm")
    shape = (meta["records"], *meta["record_shape"])
    records = require("zarr").open_array(os.path.join(store, layout.RECORDS), mode="r")
    if tuple(records.shape) != shape or records.dtype != np.uint8:      # the store is untrusted input
        raise InputError(f"{store}: the records array ({records.dtype}, {records.shape}) does not match "
                         f"the store's metadata {shape}")
    size = int(np.prod(shape[1:], dtype=np.int64))
    final, tmp, offset = _prepare(kind, dest, meta, force)
    try:
        out = tmp if kind in ("images", "zarr") else os.path.join(tmp, "out")
        job = _Job(store, kind, out, offset, embedded if os.path.isfile(embedded) else None,
                   meta["source"].get("mode"))
        with jobs.Runner(workers, scheduler, worker_memory) as runner:
            ranges = jobs.chunk_tasks(shape[0], meta["chunk_records"], size, runner.workers, task_bytes)
            started = timer()
            results = runner.map(_unpack_task, [(job, a, b) for a, b in ranges],
                                 [b - a for a, b in ranges], progress)
            task_seconds = timer() - started
        if kind == "hdf5":
            dataset = _split_h5(dest, meta)[1]
            _to_hdf5(out, os.path.join(tmp, "out.h5"), dataset, shape, max(1, (ranges[0][1] if ranges else 1)))
            out = os.path.join(tmp, "out.h5")
        if kind in ("images", "zarr"):
            layout.publish(tmp, final, force)
        else:
            layout.publish(out, final, force)
            layout.remove(tmp)
        seconds = timer()
        raw = shape[0] * size
        peaks: dict[int, int] = {}
        for r in results:
            peaks[r["pid"]] = max(peaks.get(r["pid"], 0), r["peak_rss"])
        return {"records": shape[0], "raw_bytes": raw, "seconds": seconds, "task_seconds": task_seconds,
                "cpu_seconds": sum(r["cpu_seconds"] for r in results),
                "tasks": len(ranges),
                "mb_per_s": raw / 1e6 / max(seconds, 1e-9), "peak_rss_per_worker": peaks,
                "workers": runner.workers if not runner.synchronous else 0, "kind": kind}
    except BaseException:
        layout.remove(tmp)
        raise
