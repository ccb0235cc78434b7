"""Ctrl-C and SIGTERM handling that cannot be lost.

The first signal sets a flag and raises KeyboardInterrupt.  Library code can
swallow that exception (numba's cache callbacks run inside C and only print
it; a finaliser that was running when the handler ran), but not the flag:
:class:`pcz.runtime.fileio.AtomicOutput` calls :func:`check` before it commits an
output, the ordered map while it waits for worker processes, and the CLI reports the
interrupt at the end.
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
_installed = threading.Event()      # between install() and the restore it returns
_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _handler(signum, frame):
    _flag.set()
    for sig in _SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    raise KeyboardInterrupt


def install():
    """Install the handlers (main thread only); returns a function that restores the old ones.

    While installed, a KeyboardInterrupt that C code caught and printed is not shown:
    the flag already records it.  Two such printers exist: Python's "Exception ignored
    in ..." report (``sys.unraisablehook``: finalisers, C callbacks) and ``PyErr_Print``
    (``sys.excepthook``), which numpy's ``import_array`` calls when a module's import is
    interrupted, before it raises ImportError instead.  After an interrupt neither
    prints at all, not even at exit: objects that the interrupt left half-built
    (llvmlite's, during a numba compile) fail in their finalisers, and the run has
    already been reported as interrupted.
    """
    _flag.clear()
    _installed.set()
    previous = {sig: signal.signal(sig, _handler) for sig in _SIGNALS}
    previous_hooks = sys.unraisablehook, sys.excepthook

    def quiet(exc_type):
        return _flag.is_set() or issubclass(exc_type, KeyboardInterrupt)

    def unraisable_hook(unraisable):
        if not quiet(unraisable.exc_type):
            previous_hooks[0](unraisable)

    def except_hook(exc_type, value, traceback):
        if not quiet(exc_type):
            previous_hooks[1](exc_type, value, traceback)
    sys.unraisablehook, sys.excepthook = unraisable_hook, except_hook

    def restore():
        _installed.clear()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if not _flag.is_set():           # an interrupted process keeps the quiet hooks to exit
            sys.unraisablehook, sys.excepthook = previous_hooks
    return restore


@contextlib.contextmanager
def held(blocked=_SIGNALS):
    """Hold SIGINT and SIGTERM for the ``with`` block: one that comes meanwhile takes
    effect (its handler runs, and raises) as the block ends.

    Two things are needed.  The signals in ``blocked`` are blocked in this thread (and in
    the processes it starts, which inherit the mask).  And the Python handlers are swapped
    for ones that only take note: once the process has other threads, a signal reaches it
    through one of them whatever this thread's mask, and Python would run the handler here,
    in the middle of the block (it once did so between starting a worker process and
    sending it what it needs, and the worker failed on its own).

    >>> with held():
    ...     pass
    """
    caught: list = []
    main = threading.current_thread() is threading.main_thread()    # handlers live in the main thread
    old = {sig: signal.getsignal(sig) for sig in _SIGNALS} if main else {}
    old = {sig: handler for sig, handler in old.items() if handler is not None}     # None: set from C, kept
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
    for sig in old:
        signal.signal(sig, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        for sig in dict.fromkeys(caught):
            signal.raise_signal(sig)       # now to the handler that was there before


def requested() -> bool:
    """True once an interrupt arrived since :func:`install`."""
    return _flag.is_set()


def check() -> None:
    """Raise KeyboardInterrupt if an interrupt arrived, even one something swallowed (while
    the handlers are installed: once they are restored, the run it ended is over)."""
    if _flag.is_set() and _installed.is_set():
        raise KeyboardInterrupt
