"""Training records read from a store in slices, the full-batch E step on Dask workers.

A *source* is anything with ``shape`` (N, record dims...) and ``read(start, stop)``
returning uint8 records: a :class:`pcz.dataset.sources.Source` (a zarr array, an HDF5
dataset, a .npy or IDX file) or an :class:`ArraySource` (an array in memory: the same
code path, for comparison).  Validation records (``held``, sorted store positions) are
left out of training wherever records are read.

- :func:`scan`: one pass over the store in tasks: the histogram of every column of the
  training records, the largest value, and the rows of a few positions asked for (the
  validation records, the sample the structure is learnt on).
- :class:`Streamed`: the training records for :func:`pcz.learn.em.fit`.  Mini-batch EM
  runs here, reading one partition (:mod:`pcz.learn.partition`) at a time in a seeded
  order, its records in a seeded order; full-batch EM sends the parameters to every
  worker once per epoch, each task reads its own partitions from the store (no record
  goes through the scheduler) and returns their summed fixed-point counts.

>>> import numpy as np
>>> from pcz.dataset.jobs import Runner
>>> src = ArraySource(np.arange(24, dtype=np.uint8).reshape(6, 4) % 5)
>>> with Runner(scheduler="synchronous") as run:
...     stats = scan(src, run, held=np.array([1]), wanted=np.array([1, 4]))
>>> stats.max, stats.hist[0, :5].tolist(), stats.rows.tolist()
(4, [2, 1, 1, 1, 0], [[4, 0, 1, 2], [1, 2, 3, 4]])
"""
from dataclasses import dataclass

import numpy as np

from pcz.dataset import jobs
from pcz.learn.partition import Partial, partition_counts, partitions, total

SCAN_RECORDS = 4096       # records per block of the scan (tasks are whole blocks)
HIST_BLOCK = 4096         # records whose int64 histogram indices a scan task holds at once


class ArraySource:
    """Records in memory, read like a store."""

    kind = "memory"

    def __init__(self, array: np.ndarray):
        self.array = np.asarray(array)
        self.shape = tuple(self.array.shape)

    def read(self, start: int, stop: int) -> np.ndarray:
        return self.array[start:stop]


def _rows(source, start: int, stop: int) -> np.ndarray:
    """Records start..stop-1 as (n, D) uint8 symbols."""
    data = np.asarray(source.read(start, stop), dtype=np.uint8)
    return data.reshape(stop - start, -1)


def _training(source, held: np.ndarray, start: int, stop: int) -> np.ndarray:
    """The training records among start..stop-1 (the held-out ones left out)."""
    X = _rows(source, start, stop)
    out = held[np.searchsorted(held, start):np.searchsorted(held, stop)] - start
    return np.delete(X, out, axis=0) if len(out) else X


@dataclass(frozen=True)
class Job:
    """What every task needs: sent once to each worker (:meth:`jobs.Runner.share`)."""
    source: object
    held: np.ndarray              # sorted positions of the validation records
    wanted: np.ndarray = None     # scan: sorted positions whose rows are returned
    parent: np.ndarray = None     # E step: the tree
    batch: int = 0


def _scan_task(job: Job, start: int, stop: int) -> dict:
    X = _rows(job.source, start, stop)
    pos = np.arange(start, stop)
    train = ~np.isin(pos, job.held)
    D = X.shape[1]
    offsets, hist = 256 * np.arange(D, dtype=np.int64), np.zeros(256 * D, np.int64)
    for a in range(0, len(X), HIST_BLOCK):        # int64 indices of one block at a time, not of the task
        rows = X[a:a + HIST_BLOCK][train[a:a + HIST_BLOCK]]
        hist += np.bincount((rows + offsets).ravel(), minlength=256 * D)
    hist = hist.reshape(D, 256)
    keep = np.isin(pos, job.wanted)
    return {"hist": hist, "max": int(X.max()) if len(X) else 0, "rows": X[keep]} | jobs.worker_stats()


@dataclass
class Scan:
    hist: np.ndarray       # (D, 256) values of the training records per column
    max: int               # the largest value of any record
    rows: np.ndarray       # the rows of ``wanted``, in position order
    peak_rss: dict


def scan(source, run: "jobs.Runner", held: np.ndarray, wanted: np.ndarray) -> Scan:
    """One pass over ``source`` on ``run``'s workers (see the module)."""
    N = source.shape[0]
    job = run.share(Job(source, np.asarray(held, np.int64), np.asarray(wanted, np.int64)))
    D = int(np.prod(source.shape[1:], dtype=np.int64))
    tasks = jobs.chunk_tasks(N, SCAN_RECORDS, D, run.workers)
    hist = np.zeros((D, 256), np.int64)
    parts: dict[int, np.ndarray] = {}
    stats = {"max": 0, "peak": {}}

    def fold(i, out):
        nonlocal hist
        hist += out["hist"]
        stats["max"] = max(stats["max"], out["max"])
        parts[i] = out["rows"]
        stats["peak"][out["pid"]] = max(out["peak_rss"], stats["peak"].get(out["pid"], 0))

    run.map(_scan_task, [(job, a, b) for a, b in tasks], [b - a for a, b in tasks], fold=fold)
    rows = np.concatenate([parts[i] for i in range(len(tasks))]) if tasks else np.zeros((0, D), np.uint8)
    return Scan(hist, stats["max"], rows, stats["peak"])


_TRAINERS: dict = {}


def _trainer(parent: np.ndarray, batch: int):
    """The worker's jitted E step for this tree and batch size (built once per process)."""
    from pcz.learn.em import Trainer
    key = (np.asarray(parent).tobytes(), batch)
    if key not in _TRAINERS:
        _TRAINERS.clear()
        _TRAINERS[key] = Trainer(parent, batch, 1.0)
    return _TRAINERS[key]


def _counts_task(job: Job, params: tuple, ranges: list) -> dict:
    """The summed fixed-point counts of the partitions at store ranges ``ranges``."""
    import jax.numpy as jnp
    trainer = _trainer(job.parent, job.batch)
    device = tuple(jnp.asarray(p) for p in params)
    part = total(partition_counts(trainer, device, _training(job.source, job.held, a, b))
                 for a, b in ranges)
    return {"counts": part.counts, "ll": part.ll, "n": part.n} | jobs.worker_stats()


class Streamed:
    """The training records of ``source`` (all but ``held``) for :func:`pcz.learn.em.fit`."""

    def __init__(self, source, held: np.ndarray, hist: np.ndarray, run: "jobs.Runner",
                 parent: np.ndarray, batch: int, progress=None):
        self.source, self.held, self.hist, self.run = source, np.asarray(held, np.int64), hist, run
        self.N = source.shape[0]
        self.n, self.D = self.N - len(self.held), int(np.prod(source.shape[1:], dtype=np.int64))
        self.parent, self.progress = np.asarray(parent), progress
        self.batch = min(batch, max(1, self.n))
        self.train_pos = np.setdiff1d(np.arange(self.N), self.held)     # training rank -> position
        self.ranges = [(int(self.train_pos[a]), int(self.train_pos[b - 1]) + 1)
                       for a, b in partitions(self.n, self.batch)]
        self.peak_rss: dict = {}
        self.tasks, self.epoch_cpu = 0, []       # full-batch tasks; their CPU seconds, per epoch

    def histogram(self, K: int) -> np.ndarray:
        return self.hist[:, :K]

    def mini_batches(self, trainer, rng: np.random.Generator):
        for p in rng.permutation(len(self.ranges)):
            X = _training(self.source, self.held, *self.ranges[p])
            yield from trainer.batches(X, rng.permutation(len(X)))

    def full_counts(self, trainer, params) -> Partial:
        assert trainer.batch == self.batch, "the partitions follow the trainer's batch size"
        shared = self.run.share(tuple(np.asarray(p) for p in params))
        job = self.run.share(Job(self.source, self.held, parent=self.parent, batch=self.batch))
        groups = jobs.chunk_tasks(len(self.ranges), 1, self.batch, self.run.workers, task_bytes=1 << 62)
        tasks = [(job, shared, self.ranges[a:b]) for a, b in groups]
        units = [sum(s - r for r, s in self.ranges[a:b]) for a, b in groups]
        acc: list = [None]
        self.epoch_cpu.append(0.0)

        def fold(i, out):         # exact integer sums: the order results arrive in does not matter
            part = Partial(tuple(out["counts"]), out["ll"], out["n"])
            acc[0] = part if acc[0] is None else acc[0] + part
            self.epoch_cpu[-1] += out["cpu_seconds"]
            self.peak_rss[out["pid"]] = max(out["peak_rss"], self.peak_rss.get(out["pid"], 0))

        self.run.map(_counts_task, tasks, units, progress=self.progress, fold=fold)
        self.tasks += len(tasks)
        return acc[0]
