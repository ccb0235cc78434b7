"""The ``pcz`` command line; :func:`main` runs it in-process (tests call it), :func:`entry`
is the console script."""
from pcz.cli.app import cli, entry, main

__all__ = ["cli", "entry", "main"]
