"""``pcz.open_dataset``: a packed store as an object that indexes like an array and decodes
only the records asked for (the codec's partial decoding reads and decodes just those
records' words, whatever the chunk size).

>>> import os, tempfile, numpy as np, pcz
>>> from pcz.models.hclt import HcltModel
>>> folder = tempfile.mkdtemp()
>>> model = HcltModel.from_float([-1, 0], [0.5, 0.5], np.full((2, 2, 2), 0.5), np.full((2, 2, 4), 0.25))
>>> np.save(os.path.join(folder, "a.npy"), np.arange(20, dtype=np.uint8).reshape(10, 2) % 4)
>>> _ = pcz.pack(os.path.join(folder, "a.npy"), os.path.join(folder, "a.zarr"), model,
...              scheduler="synchronous", model_store=folder)
>>> ds = pcz.open_dataset(os.path.join(folder, "a.zarr"))
>>> len(ds), ds.shape, ds[7].tolist(), ds[2:4].tolist(), ds[[9, 0]].tolist()
(10, (10, 2), [2, 3], [[0, 1], [2, 3]], [[2, 3], [0, 1]])
"""
import os

import numpy as np

from pcz.dataset import layout, require


require("zarr")        # the dataset extra: a clear error now rather than halfway

class Dataset:
    """A complete pcz store, read lazily: ``ds[i]``, ``ds[a:b]``, ``ds[[i, j]]``, ``len(ds)``."""

    def __init__(self, path: str):
        self.path = os.path.abspath(path)
        self.meta = layout.open_meta(self.path)
        zarr = require("zarr")
        self.records = zarr.open_array(os.path.join(self.path, layout.RECORDS), mode="r")

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.records.shape)

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(np.uint8)

    @property
    def model_id(self) -> str:
        """The hex id of the model the records are coded with."""
        return self.meta["model"]

    @property
    def source(self) -> dict:
        """What was packed: its kind and name, and what restoring it needs."""
        return dict(self.meta["source"])

    def names(self, start: int = 0, stop: int | None = None) -> list[str]:
        """The file names of records start..stop-1 (a folder of images), else []."""
        if self.meta["source"]["kind"] != "images":
            return []
        zarr = require("zarr")
        return [str(n) for n in zarr.open_array(os.path.join(self.path, layout.FILES, "name"),
                                                mode="r")[start:stop]]

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, key) -> np.ndarray:
        if isinstance(key, (list, np.ndarray)):
            return np.asarray(self.records.get_orthogonal_selection(np.asarray(key)))
        return np.asarray(self.records[key])

    def __array__(self, dtype=None, copy=None):
        out = self[:]
        return out if dtype is None else out.astype(dtype)

    def __repr__(self) -> str:
        return f"<pcz dataset {self.path}: {len(self)} records of shape {self.shape[1:]}, model {self.model_id[:12]}>"


def open_dataset(store: str) -> Dataset:
    """Open a complete pcz data set store (made by :func:`pcz.pack`) for reading."""
    return Dataset(store)
