"""Ordered map over worker processes with a bounded number of tasks in flight.

Results come back in input order, so output never depends on the number of
workers.  constriction holds the GIL, hence processes, not threads.  Each
worker builds a context once (e.g. loads the model) and every call gets it.

>>> def double(item, ctx): return ctx * item
>>> list(ordered_map(double, [1, 2, 3], workers=1, make_context=int, context_args=(2,)))
[2, 4, 6]
"""
import contextlib
import ctypes
import multiprocessing
import os
import signal
import weakref
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Iterable, Iterator

from pcz.errors import PczError

_CONTEXT: Any = None
GUARD = ('worker processes (threads > 1) start by importing the main script again, which then '
         'starts workers itself: put the code the script runs under `if __name__ == "__main__":` '
         '(or use threads=1)')


_POOLS: "weakref.WeakSet[ProcessPoolExecutor]" = weakref.WeakSet()     # pools running now


def _init_worker(make_context: Callable, context_args: tuple, parent: int) -> None:
    global _CONTEXT
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # the parent handles Ctrl-C and cleans up
    _die_with_parent(parent)
    _CONTEXT = make_context(*context_args)


def _die_with_parent(parent: int) -> None:
    """Ask Linux to end this worker when its parent ends, however (even SIGKILL)."""
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)      # PR_SET_PDEATHSIG
    except (OSError, AttributeError):                   # not Linux
        return
    if os.getppid() != parent:                          # it ended before the call above
        os._exit(1)


def stop_workers() -> None:
    """Terminate the worker processes of every pool still running (after an interrupt,
    whatever was iterating the pool may never be resumed or closed)."""
    for pool in list(_POOLS):
        _stop(pool)


def _call(func: Callable, item: Any) -> Any:
    return func(item, _CONTEXT)


def _none(*args) -> None:
    return None


def ordered_map(func: Callable[[Any, Any], Any], items: Iterable, workers: int = 1,
                make_context: Callable = _none, context_args: tuple = ()) -> Iterator:
    """Yield func(item, context) for each item, computed by up to ``workers`` processes.

    At most 2 * workers items are in flight, which bounds memory.  With more
    than one worker, ``func`` and ``make_context`` must be module-level functions.
    """
    if workers <= 1:
        context = make_context(*context_args)
        for item in items:
            yield func(item, context)
        return
    if getattr(multiprocessing.current_process(), "_inheriting", False):
        # a worker being started is importing a main script that has no __main__ guard
        raise SystemExit(f"pcz: {GUARD}")
    ctx = multiprocessing.get_context("spawn")
    with _no_sigint():      # workers start with Ctrl-C blocked: the parent handles it and cleans up
        pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker,
                                   initargs=(make_context, context_args, os.getpid()))
    _POOLS.add(pool)
    pending: deque = deque()
    try:
        for item in items:
            with _no_sigint():
                pending.append(pool.submit(_call, func, item))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    except BrokenProcessPool:
        raise PczError(f"a worker process ended abruptly (killed, out of memory, or it could not start: "
                       f"{GUARD})") from None
    except BaseException:
        _stop(pool)             # an interrupt or error: no need to let running chunks finish
        raise
    finally:
        for fut in pending:
            fut.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
        _POOLS.discard(pool)


@contextlib.contextmanager
def _no_sigint():
    """Block SIGINT in this thread while worker processes may be started (they inherit
    the mask, so Ctrl-C never reaches them, not even while they import); a signal
    that arrives meanwhile is delivered when the block ends."""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Terminate the workers at once (SIGTERM: they exit silently)."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        if process.is_alive():
            process.terminate()
