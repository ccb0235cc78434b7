"""Running the tasks of a pack or unpack on Dask, or in this process.

:class:`Runner` starts a ``dask.distributed.LocalCluster`` of worker processes (one
thread each, a memory limit each), connects to an existing scheduler
(``tcp://HOST:PORT``; its workers must see the same paths), or with ``"synchronous"``
runs the tasks here, one after the other (small jobs, tests, no Dask needed).  Every
task is submitted with retries, and the scheduler reruns the tasks of a worker that
died; a task must therefore be idempotent (write the same bytes to the same keys).

>>> def square(x):
...     return {"square": x * x}
>>> with Runner(scheduler="synchronous") as run:
...     [r["square"] for r in run.map(square, [(2,), (3,)], units=[1, 1])]
[4, 9]
"""
import logging
import os
import resource
import secrets
import time
from typing import Callable, Sequence

from pcz.dataset import require
from pcz.errors import PczError

require("zarr")         # the dataset extra: tasks write through zarr
RETRIES = 3


def peak_rss() -> int:
    """This process's peak resident memory in bytes: Linux's VmHWM (since the process image
    started; ru_maxrss would carry the parent's peak across the exec that started a worker)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def worker_stats() -> dict:
    """What a task reports about the process it ran in: pid and peak resident memory."""
    return {"pid": os.getpid(), "peak_rss": peak_rss()}


def task(func: Callable, *args) -> tuple[str, object]:
    """Run a task in a worker: ("ok", result and its CPU seconds), or ("error", e) for a
    :class:`PczError` (bad input: retrying would fail again, so it is not raised there).
    zarr codes one chunk at a time inside a task (a worker is one core; its memory is
    bounded by one chunk's coding, not ten)."""
    zarr = require("zarr")
    start = time.process_time()
    try:
        with zarr.config.set({"async.concurrency": 1}):
            out = func(*args)
    except PczError as e:
        return "error", e
    return "ok", out | {"cpu_seconds": time.process_time() - start}


class Runner:
    """Maps a function over task arguments on Dask workers or in this process.  ``scheduler``:
    None (a LocalCluster of ``workers`` processes), an address, a ``distributed.Client``
    (used as it is), or ``"synchronous"``."""

    def __init__(self, workers: int | None = None, scheduler: str | None = None,
                 worker_memory: int | str | None = None):
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.scheduler = scheduler
        self.worker_memory = worker_memory or "auto"
        self.client = self.cluster = None
        self.own_client = True

    @property
    def synchronous(self) -> bool:
        return self.scheduler == "synchronous"

    def __enter__(self) -> "Runner":
        if self.synchronous:
            return self
        require("dask")
        distributed = require("distributed")
        if isinstance(self.scheduler, distributed.Client):        # the caller's client: used, not closed
            self.client, self.own_client = self.scheduler, False
            self.workers = max(1, len(self.client.scheduler_info().get("workers", {})))
            return self
        try:
            if self.scheduler:
                self.client = distributed.Client(self.scheduler, timeout="20s")
                self.workers = max(1, len(self.client.scheduler_info().get("workers", {})))
            else:
                self.cluster = distributed.LocalCluster(
                    n_workers=self.workers, threads_per_worker=1, processes=True,
                    memory_limit=self.worker_memory, dashboard_address=":0",
                    silence_logs=logging.ERROR)
                self.client = distributed.Client(self.cluster)
        except OSError as e:
            self.__exit__(None, None, None)
            raise PczError(f"cannot reach the Dask scheduler {self.scheduler}: {e}") from None
        return self

    def __exit__(self, *exc) -> None:
        for part in (self.client if self.own_client else None, self.cluster):
            if part is not None:
                try:
                    part.close()
                except Exception:       # closing a half-started cluster may fail; nothing to do
                    pass
        self.client = self.cluster = None

    def worker_pids(self) -> dict[str, int]:
        """Worker address -> process id (empty when synchronous)."""
        return {} if self.client is None else self.client.run(os.getpid)

    def share(self, value):
        """``value`` sent once to every worker (a future that tasks may take as an argument:
        the workers fetch it once, not once per task); the value itself when synchronous."""
        if self.client is None:
            return value
        return self.client.scatter(value, broadcast=True, hash=False)

    def map(self, func: Callable, tasks: Sequence[tuple], units: Sequence[int],
            progress: Callable[[int, int], None] | None = None,
            fold: Callable[[int, object], None] | None = None) -> list:
        """func(*args) for every task, results in task order; ``progress(units, total)`` after
        each task with its units (records) and the total.  With ``fold``, each result is
        handed to ``fold(task index, result)`` as it arrives (in any order) and not kept
        (the list holds None).  The first failure cancels the rest and is raised."""
        keep = (lambda i, value: value) if fold is None else (lambda i, value: fold(i, value))
        if self.client is None:
            out = []
            for i, (args, n) in enumerate(zip(tasks, units)):
                out.append(keep(i, _result(task(func, *args))))
                if progress:
                    progress(n, sum(units))
            return out
        distributed = require("distributed")
        token = secrets.token_hex(4)
        futures = [self.client.submit(task, func, *args, key=f"pcz-{token}-{i}", retries=RETRIES, pure=False)
                   for i, args in enumerate(tasks)]
        index = {f.key: i for i, f in enumerate(futures)}
        out = [None] * len(futures)
        try:
            for future in distributed.as_completed(futures):
                i = index[future.key]
                try:
                    out[i] = keep(i, _result(future.result()))
                except distributed.KilledWorker:
                    raise PczError(f"task {i} killed {RETRIES + 1} workers (out of memory? "
                                   "try a larger --worker-memory)") from None
                if progress:
                    progress(units[i], sum(units))
        finally:
            self.client.cancel([f for f in futures if not f.done()])
        return out


def _result(outcome: tuple[str, object]):
    status, value = outcome
    if status == "error":
        raise value
    return value


def chunk_tasks(N: int, chunk_records: int, record_size: int, workers: int,
                task_bytes: int = 32 << 20) -> list[tuple[int, int]]:
    """Record ranges of whole chunks: at most ``task_bytes`` of records each (memory bound),
    and at least four per worker when there are chunks enough (balance).

    >>> len(chunk_tasks(10_000, 1024, 784, 2)), chunk_tasks(100_000, 1024, 784, 2)[1]
    (10, (12288, 24576))
    """
    chunks = -(-N // chunk_records)
    by_memory = max(1, task_bytes // max(1, chunk_records * record_size))
    by_balance = max(1, chunks // (4 * workers))
    per_task = min(by_memory, by_balance) * chunk_records
    return [(start, min(N, start + per_task)) for start in range(0, N, per_task)]


class Timer:
    """Seconds since creation."""

    def __init__(self):
        self.start = time.perf_counter()

    def __call__(self) -> float:
        return time.perf_counter() - self.start
