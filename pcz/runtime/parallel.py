"""Ordered map over worker processes with a bounded number of tasks in flight.

Results come back in input order, so output never depends on the number of
workers.  constriction holds the GIL, hence processes, not threads.  Each
worker builds a context once (e.g. loads the model) and every call gets it.

>>> def double(item, ctx): return ctx * item
>>> list(ordered_map(double, [1, 2, 3], workers=1, make_context=int, context_args=(2,)))
[2, 4, 6]
"""
import multiprocessing
import signal
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Callable, Iterable, Iterator

_CONTEXT: Any = None


def _init_worker(make_context: Callable, context_args: tuple) -> None:
    global _CONTEXT
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # the parent handles Ctrl-C and cleans up
    _CONTEXT = make_context(*context_args)


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
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker,
                             initargs=(make_context, context_args)) as pool:
        pending: deque = deque()
        try:
            for item in items:
                pending.append(pool.submit(_call, func, item))
                if len(pending) >= 2 * workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for fut in pending:
                fut.cancel()
