"""Ordered map over worker processes with a bounded number of tasks in flight.

Results come back in input order, so output never depends on the number of
workers.  constriction holds the GIL, hence processes, not threads.  Each
worker builds a context once (e.g. loads the model) and every call gets it.

Memory can be bounded too: given what each item costs while it is held (its
input from the moment it is read, its result until the item after it has been
handed on), items wait for earlier ones to finish so that those held together
never cost more than the room given.  The first error, in any item, ends the map
at once: items not started are cancelled and the worker processes killed, so
no time is spent on chunks whose output will never be used.

>>> def double(item, ctx): return ctx * item
>>> list(ordered_map(double, [1, 2, 3], workers=1, make_context=int, context_args=(2,)))
[2, 4, 6]
>>> list(ordered_map(double, [1, 2, 3], make_context=int, context_args=(2,), cost=lambda i: 10 * i, room=40))
Traceback (most recent call last):
...
pcz.errors.LimitError: a chunk needs 30 bytes of memory (50 bytes with the one before it, which is still held), more than the 40 bytes the memory limit leaves

``multiprocessing`` and ``concurrent.futures`` are imported when a map first starts worker
processes: a run with one thread (every short input) never loads them.
"""
import ctypes
import os
import signal
import weakref
from collections import deque
from typing import Any, Callable, Iterable, Iterator

from pcz.errors import LimitError, PczError
from pcz.runtime import interrupts

_CONTEXT: Any = None
_FAILED: Exception | None = None     # why the context could not be made, raised by every call
GUARD = ('worker processes (threads > 1) start by importing the main script again, which then '
         'starts workers itself: put the code the script runs under `if __name__ == "__main__":` '
         '(or use threads=1)')
_POLL = 0.2          # seconds between looks at the interrupt flag while waiting for a worker
_POOLS: "weakref.WeakSet" = weakref.WeakSet()     # the ProcessPoolExecutors running now


def _init_worker(make_context: Callable, context_args: tuple, parent: int) -> None:
    global _CONTEXT, _FAILED
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # the parent handles Ctrl-C and cleans up
    _die_with_parent(parent)
    try:
        _CONTEXT = make_context(*context_args)
    except Exception as e:       # e.g. an invalid model: the parent gets the error, not a broken pool
        _FAILED = e


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
        _stop(pool, deque())


def _call(func: Callable, item: Any) -> Any:
    if _FAILED is not None:
        raise _FAILED
    return func(item, _CONTEXT)


def _none(*args) -> None:
    return None


def _zero(item: Any) -> int:
    return 0


def describe_bytes(n: int) -> str:
    """A byte count as people read it.

    >>> describe_bytes(100), describe_bytes(3 << 20), describe_bytes((3 << 20) + 1)
    ('100 bytes', '3 MiB', '4 MiB')
    """
    return f"{n} bytes" if n < 1 << 20 else f"{-(-n >> 20)} MiB"


def _refuse(cost: int, held: int, room: int) -> LimitError:
    also = f" ({describe_bytes(cost + held)} with the one before it, which is still held)" if held else ""
    return LimitError(f"a chunk needs {describe_bytes(cost)} of memory{also}, "
                      f"more than the {describe_bytes(room)} the memory limit leaves")


def ordered_map(func: Callable[[Any, Any], Any], items: Iterable, workers: int = 1,
                make_context: Callable = _none, context_args: tuple = (),
                cost: Callable[[Any], int] = _zero, room: "int | Callable[[], int] | None" = None) -> Iterator:
    """Yield func(item, context) for each item, computed by up to ``workers`` processes.

    At most 2 * workers items are in flight.  ``cost(item)`` is what an item takes
    from when it is read until the item after it has been yielded; with ``room``,
    the items held at once never take more together: an item waits until earlier
    ones are done, and one that cannot fit beside the item before it raises
    LimitError (``room`` may be a function, asked before each item: what the
    consumer keeps can shrink it).  With more than one worker, ``func`` and
    ``make_context`` must be module-level functions.
    """
    space = room if callable(room) else (lambda: float("inf") if room is None else room)
    if workers <= 1:
        yield from _in_process(func, items, make_context(*context_args), cost, space)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool
    if getattr(multiprocessing.current_process(), "_inheriting", False):
        # a worker being started is importing a main script that has no __main__ guard
        raise SystemExit(f"pcz: {GUARD}")
    ctx = multiprocessing.get_context("spawn")
    # workers start with Ctrl-C blocked (the parent handles it and cleans up), not SIGTERM (how
    # the parent stops them); both are held here until the start is done
    with interrupts.held((signal.SIGINT,)):
        pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker,
                                   initargs=(make_context, context_args, os.getpid()))
    _POOLS.add(pool)
    pending: deque = deque()    # (Future, cost) of each item in flight
    try:
        held = 0            # the cost of the item yielded last, still with the consumer
        for item in items:
            need = cost(item)
            while pending and (held + sum(c for _, c in pending) + need > space() or len(pending) >= 2 * workers):
                result, held_next = _next(pending)
                yield result
                held = held_next
            if held + need > space():
                raise _refuse(need, held, space())
            with interrupts.held((signal.SIGINT,)):
                pending.append((pool.submit(_call, func, item), need))
        while pending:
            yield _next(pending)[0]
    except BrokenProcessPool:
        _stop(pool, pending)
        raise PczError(f"a worker process ended abruptly (killed, out of memory, or it could not start: "
                       f"{GUARD})") from None
    except BaseException:
        _stop(pool, pending)    # an error or interrupt: no need to let running chunks finish
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        _POOLS.discard(pool)


def _in_process(func: Callable, items: Iterable, context: Any, cost: Callable, space: Callable) -> Iterator:
    held = 0
    for item in items:
        need = cost(item)
        if held + need > space():
            raise _refuse(need, held, space())
        interrupts.check()      # one that something swallowed while the item before was coded
        result = func(item, context)
        yield result
        held = need


def _next(pending: deque) -> tuple[Any, int]:
    """The first pending result and its cost; as soon as any pending item fails, its error."""
    from concurrent.futures import FIRST_COMPLETED, wait
    head = pending[0][0]
    while not head.done():
        # a timeout, to see an interrupt that something swallowed (a finaliser that was running
        # when the handler ran): only its flag is left, and a chunk can take many seconds
        wait([f for f, _ in pending if not f.done()], timeout=_POLL, return_when=FIRST_COMPLETED)
        interrupts.check()
        for future, _ in pending:
            if future.done() and future.exception() is not None:
                future.result()
    future, need = pending.popleft()
    return future.result(), need


def _stop(pool, pending: deque) -> None:
    """Cancel what has not started and kill the workers: running tasks are not waited for."""
    for future, _ in pending:
        future.cancel()
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        if process.is_alive():
            process.terminate()
