"""Running the tasks of a pack or unpack on Dask, or in this process.

:class:`Runner` starts a ``dask.distributed.LocalCluster`` of worker processes (one
thread each, a memory limit each), connects to an existing scheduler
(``tcp://HOST:PORT``; its workers must see the same paths), or with ``"synchronous"``
runs the tasks here, one after the other (small jobs, tests, no Dask needed).  Every
task is submitted with retries, and the scheduler reruns the tasks of a worker that
died; a task must therefore be idempotent (write the same bytes to the same keys).

>>> with Runner(scheduler="synchronous") as run:
...     run.map(pow, [(2, 3), (3, 2)], units=[1, 1])
[8, 9]
"""
import logging
import os
import resource
import secrets
import time
from typing import Callable, Sequence

from pcz.dataset import require
from pcz.errors import PczError

RETRIES = 3


def worker_stats() -> dict:
    """What a task reports about the process it ran in: pid and peak resident memory."""
    return {"pid": os.getpid(), "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}


class Runner:
    """Maps a function over task arguments on Dask workers or in this process."""

    def __init__(self, workers: int | None = None, scheduler: str | None = None,
                 worker_memory: int | str | None = None):
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.scheduler = scheduler
        self.worker_memory = worker_memory or "auto"
        self.client = self.cluster = None

    @property
    def synchronous(self) -> bool:
        return self.scheduler == "synchronous"

    def __enter__(self) -> "Runner":
        if self.synchronous:
            return self
        require("dask")
        distributed = require("distributed")
        try:
            if self.scheduler:
                self.client = distributed.Client(self.scheduler, timeout="20s")
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
        for part in (self.client, self.cluster):
            if part is not None:
                try:
                    part.close()
                except Exception:       # closing a half-started cluster may fail; nothing to do
                    pass
        self.client = self.cluster = None

    def worker_pids(self) -> dict[str, int]:
        """Worker address -> process id (empty when synchronous)."""
        return {} if self.client is None else self.client.run(os.getpid)

    def map(self, func: Callable, tasks: Sequence[tuple], units: Sequence[int],
            progress: Callable[[int, int], None] | None = None) -> list:
        """func(*args) for every task, results in task order; ``progress(units, total)`` after
        each task with its units (records) and the total.  The first failure cancels the rest and is raised."""
        if self.client is None:
            out = []
            for args, n in zip(tasks, units):
                out.append(func(*args))
                if progress:
                    progress(n, sum(units))
            return out
        distributed = require("distributed")
        token = secrets.token_hex(4)
        futures = [self.client.submit(func, *args, key=f"pcz-{token}-{i}", retries=RETRIES, pure=False)
                   for i, args in enumerate(tasks)]
        index = {f.key: i for i, f in enumerate(futures)}
        out = [None] * len(futures)
        try:
            for future in distributed.as_completed(futures):
                i = index[future.key]
                try:
                    out[i] = future.result()
                except distributed.KilledWorker:
                    raise PczError(f"task {i} killed {RETRIES + 1} workers (out of memory? "
                                   "try a larger --worker-memory)") from None
                if progress:
                    progress(units[i], sum(units))
        finally:
            self.client.cancel([f for f in futures if not f.done()])
        return out


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
