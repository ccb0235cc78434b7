"""What ``pcz pack`` reads: a .npy or IDX file, an HDF5 dataset (``file.h5:/path``), a zarr
array, or a folder of same-size images (PNG, PGM/PPM), as records along the first axis.

:func:`open_source` looks at the source once (in the process that plans the work) and
returns a :class:`Source`: small, picklable, whose :meth:`Source.read` any worker can
call for a range of records.  Everything needed to restore the source byte for byte
that is not in the records goes into ``Source.meta`` (JSON): a .npy or IDX header as
it was, an HDF5 dataset path.  Image files are restored from their pixels by
:mod:`pcz.dataset.images`.

>>> import os, tempfile, numpy as np
>>> path = os.path.join(tempfile.mkdtemp(), "x.npy")
>>> np.save(path, np.arange(12, dtype=np.uint8).reshape(4, 3))
>>> src = open_source(path)
>>> src.kind, src.shape, src.read(1, 3).tolist()
('npy', (4, 3), [[3, 4, 5], [6, 7, 8]])
"""
import base64
import os
import shutil
from dataclasses import dataclass, field

import numpy as np

from pcz.dataset import images, require
from pcz.engine.record_files import open_records
from pcz.errors import InputError

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


@dataclass(frozen=True)
class Source:
    """Records to pack: ``shape`` is (N, record dims...), ``meta`` what restoring needs."""
    kind: str                    # "npy", "idx", "hdf5", "zarr" or "images"
    path: str                    # absolute: workers may run elsewhere on a shared file system
    shape: tuple[int, ...]
    meta: dict = field(default_factory=dict)
    offset: int = 0              # npy/idx: where the records start in ``path``
    names: tuple[str, ...] = ()  # images: the files, relative to ``path``, sorted

    @property
    def N(self) -> int:
        return self.shape[0]

    @property
    def record_size(self) -> int:
        return int(np.prod(self.shape[1:], dtype=np.int64))

    def read(self, start: int, stop: int) -> np.ndarray:
        """Records start..stop-1 as a uint8 array (stop - start, record dims...)."""
        count = stop - start
        if self.kind in ("npy", "idx"):
            with open(self.path, "rb") as f:
                f.seek(self.offset + start * self.record_size)
                data = f.read(count * self.record_size)
            if len(data) != count * self.record_size:
                raise InputError(f"{self.path}: truncated (changed while packing?)")
            return np.frombuffer(data, dtype=np.uint8).reshape((count, *self.shape[1:]))
        if self.kind == "hdf5":
            h5py = require("h5py")
            with h5py.File(self.path, "r") as f:
                return np.asarray(f[self.meta["dataset"]][start:stop], dtype=np.uint8)
        if self.kind == "zarr":
            zarr = require("zarr")
            return np.asarray(zarr.open_array(self.path, mode="r")[start:stop], dtype=np.uint8)
        raise ValueError(f"read images with {images.__name__}.read_files")


def _split_dataset(spec: str) -> tuple[str, str | None]:
    """``file.h5:/path`` -> (file, /path); anything else -> (spec, None)."""
    if not os.path.exists(spec) and ":" in spec:
        path, _, inner = spec.rpartition(":")
        if os.path.isfile(path):
            return path, inner
    return spec, None


def _record_file(path: str, scratch: str) -> Source:
    with open(path, "rb") as f:
        info, body = open_records(f)
        offset = len(info.header)
        if info.gzipped:      # workers need to seek: decompress once into the scratch folder
            plain = os.path.join(scratch, "source.records")
            with open(plain, "wb") as out:
                shutil.copyfileobj(body, out, 1 << 20)
            path, offset = plain, 0
    size = os.path.getsize(path) - offset
    if size != info.size:
        raise InputError(f"{path}: {info.N} records announced, {size} bytes of records present "
                         f"({info.size} expected)")
    meta = {"header": base64.b64encode(info.header).decode(), "gzipped": info.gzipped}
    return Source(info.kind, os.path.abspath(path), tuple(int(s) for s in info.shape), meta, offset)


def _hdf5(path: str, dataset: str | None) -> Source:
    h5py = require("h5py")
    with h5py.File(path, "r") as f:
        if dataset is None:
            found = []
            f.visititems(lambda name, obj: found.append(name) if isinstance(obj, h5py.Dataset) else None)
            if len(found) != 1:
                raise InputError(f"{path}: holds {len(found)} datasets; name one as {path}:/PATH")
            dataset = found[0]
        dataset = "/" + dataset.lstrip("/")
        if dataset not in f or not isinstance(f[dataset], h5py.Dataset):
            raise InputError(f"{path}: no dataset {dataset}")
        ds = f[dataset]
        if ds.dtype != np.uint8 or ds.ndim < 1:
            raise InputError(f"{path}:{dataset}: records must be uint8 with a first axis, not "
                             f"{ds.dtype} of shape {ds.shape}")
        shape = tuple(int(s) for s in ds.shape)
    return Source("hdf5", os.path.abspath(path), shape, {"dataset": dataset})


def _zarr(path: str) -> Source:
    zarr = require("zarr")
    try:
        array = zarr.open_array(path, mode="r")
    except Exception as e:      # zarr raises several kinds for "not an array"
        raise InputError(f"{path}: not a zarr array ({type(e).__name__})") from None
    if array.dtype != np.uint8 or array.ndim < 1:
        raise InputError(f"{path}: records must be uint8 with a first axis, not {array.dtype} "
                         f"of shape {array.shape}")
    return Source("zarr", os.path.abspath(path), tuple(int(s) for s in array.shape),
                  {"zarr_format": int(array.metadata.zarr_format)})


def is_zarr(path: str) -> bool:
    return any(os.path.exists(os.path.join(path, name)) for name in ("zarr.json", ".zarray", ".zgroup"))


def open_source(spec: str, scratch: str | None = None) -> Source:
    """The source named by ``spec``; ``scratch`` is a folder for a decompressed copy of a
    gzipped record file (needed then)."""
    path, dataset = _split_dataset(spec)
    if not os.path.exists(path):
        raise InputError(f"{spec}: no such file or folder")
    if os.path.isdir(path):
        if is_zarr(path):
            return _zarr(path)
        names, shape, mode = images.scan(path)
        return Source("images", os.path.abspath(path), shape, {"mode": mode}, names=tuple(names))
    with open(path, "rb") as f:
        head = f.read(8)
    if head == HDF5_MAGIC or dataset is not None:
        if head != HDF5_MAGIC:
            raise InputError(f"{path}: not an HDF5 file")
        return _hdf5(path, dataset)
    if scratch is None and head[:2] == b"\x1f\x8b":
        raise InputError(f"{path}: a gzipped record file needs a scratch folder")
    return _record_file(path, scratch)
