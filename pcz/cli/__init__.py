"""The ``pcz`` command line; :func:`main` runs it in-process (tests call it), :func:`entry`
is the console script.

Importing this package loads nothing else: :func:`entry` first makes Ctrl-C quiet
(nothing has been written yet, so ``pcz: interrupted`` and exit status 130 is all
there is to do), then imports the command line, which takes a moment.
"""
import os
import signal

__all__ = ["cli", "entry", "main"]


def _interrupted_while_starting(signum, frame):
    os.write(2, b"\npcz: interrupted\n")     # a new line after the terminal's ^C, as click does
    os._exit(130)


def entry() -> None:
    """Console-script entry point."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _interrupted_while_starting)
    from pcz.cli import app
    app.entry()


def __getattr__(name: str):
    if name in ("cli", "main"):
        from pcz.cli import app
        return getattr(app, name)
    raise AttributeError(f"module 'pcz.cli' has no attribute {name!r}")
