"""Ctrl-C and SIGTERM handling that cannot be lost.

The first signal sets a flag and raises KeyboardInterrupt.  Library code can
swallow that exception (numba's cache callbacks run inside C and only print
it), but not the flag: :class:`pcz.runtime.fileio.AtomicOutput` calls :func:`check`
before it commits an output, and the CLI reports the interrupt at the end.
Later signals are ignored, so the clean-up itself is never cut short.

>>> restore = install()
>>> requested()
False
>>> restore()
"""
import contextlib
import signal
import sys
import threading

_flag = threading.Event()
_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _handler(signum, frame):
    _flag.set()
    for sig in _SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    raise KeyboardInterrupt


def install():
    """Install the handlers (main thread only); returns a function that restores the old ones.

    While installed, a KeyboardInterrupt that a C callback could not raise (Python's
    "Exception ignored in ..." report) is not printed: the flag already records it.
    After an interrupt no such report is printed at all, not even at exit: objects
    that the interrupt left half-built (llvmlite's, during a numba compile) fail in
    their finalisers, and the run has already been reported as interrupted.
    """
    _flag.clear()
    previous = {sig: signal.signal(sig, _handler) for sig in _SIGNALS}
    previous_hook = sys.unraisablehook

    def hook(unraisable):
        if not (_flag.is_set() or issubclass(unraisable.exc_type, KeyboardInterrupt)):
            previous_hook(unraisable)
    sys.unraisablehook = hook

    def restore():
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if not _flag.is_set():           # an interrupted process keeps the quiet hook to exit
            sys.unraisablehook = previous_hook
    return restore


@contextlib.contextmanager
def held():
    """Block SIGINT and SIGTERM in this thread for the ``with`` block: a signal that comes
    meanwhile waits, and its handler runs (raises) as the block ends.

    >>> with held():
    ...     pass
    """
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def requested() -> bool:
    """True once an interrupt arrived since :func:`install`."""
    return _flag.is_set()


def check() -> None:
    """Raise KeyboardInterrupt if an interrupt arrived, even one something swallowed."""
    if _flag.is_set():
        raise KeyboardInterrupt
