"""Running a command over its inputs: safe opening of source and target, per-file errors,
progress, the summary line."""
import os
import stat
import sys

import click

from pcz.cli import inputs
from pcz.cli.options import EXIT_ERROR, say
from pcz.cli.progress import Progress
from pcz.errors import PczError
from pcz.runtime import fileio, interrupts


def run_each(opts: dict, job, compressing: bool | None = None) -> int:
    """Run job(source, opts) for every input; report errors per file (the others are
    still done, as zstd does), return the exit status.

    With ``compressing`` set (True: compress, False: decompress or test) and
    ``opts["recursive"]``, folders stand for the files inside them
    (:func:`pcz.cli.inputs.expand`).
    """
    status = 0

    def report(message: str) -> None:
        nonlocal status
        click.echo(f"pcz: {message}", err=True)
        status = EXIT_ERROR

    sources = opts["files"]
    if compressing is not None:
        opts["walked"] = {}
        sources = inputs.expand(sources, opts.get("recursive", False), compressing, opts["walked"], report)
    for source in sources:
        try:
            job(source, opts)
        except (PczError, OSError) as e:
            report(_message(e, source))
    return status


def _message(e: Exception, source: str) -> str:
    if isinstance(e, OSError) and e.strerror:
        return f"{e.filename or source}: {e.strerror}"
    if isinstance(e, fileio.PathError):
        return str(e)
    return f"{'stdin' if source == '-' else source}: {e}"


def _target(source: str, opts: dict, name_for) -> str:
    """'-' for standard output, else the output path."""
    if opts["to_stdout"] or opts["output"] == "-" or (source == "-" and opts["output"] is None):
        return "-"
    return opts["output"] or name_for(source)


def open_input(source: str, opts: dict, special: bool = False):
    """(binary file, its stat or None, its size or None) of an input; '-' is stdin.

    ``special``: a FIFO or character device is accepted.  A file found by walking a
    folder is opened only while it is the file the walk found, never through a link.
    """
    if source == "-":
        if sys.stdin.isatty():               # as zstd: "stdin is a console, aborting"
            raise fileio.PathError("stdin is a terminal; refusing to read data from it (pipe data in or name files)")
        try:
            st = os.fstat(sys.stdin.fileno())
        except (OSError, ValueError):
            st = None
        size = st.st_size if st is not None and stat.S_ISREG(st.st_mode) else None
        return sys.stdin.buffer, None, size
    walked = opts.get("walked", {}).get(source)
    src, st = fileio.open_source(source, special=special, follow=walked is None,
                                 expect=walked[0] if walked else None)
    return src, st, (st.st_size if stat.S_ISREG(st.st_mode) else None)


def meter(source: str, size: int | None, opts: dict) -> Progress | None:
    """The progress display for this input, when asked for (--progress) or when stderr is
    a terminal (unless --no-progress or -q)."""
    wanted = opts.get("progress")
    if wanted is None:
        wanted = opts["verbosity"] >= 1 and sys.stderr.isatty()
    return Progress("stdin" if source == "-" else source, size, sys.stderr) if wanted else None


def transfer(source: str, opts: dict, name_for, work, compressing: bool, verify=None) -> tuple:
    """Open source and target safely and run work(src, dst) between them.

    With --rm the source is removed only after success and, if given,
    verify(target, stats) has checked the written output.  Returns (target, stats).
    """
    explicit = opts["to_stdout"] or opts["output"] is not None
    if compressing and source != "-" and source.endswith(fileio.SUFFIX) and not explicit:
        raise fileio.PathError(f"{source}: already has the {fileio.SUFFIX} suffix; skipped "
                               f"(-c or -o compresses it anyway)")
    src, src_stat, size = open_input(source, opts, special=explicit)
    special = src_stat is not None and fileio.is_special(src_stat)
    progress = meter(source, size, opts)
    with src:
        reader = src if progress is None else progress.reader(src)
        target = _target(source, opts, name_for)
        try:
            if target == "-":
                out = sys.stdout.buffer
                if compressing and out.isatty() and not opts["force"]:
                    raise PczError("stdout is a terminal; refusing to write compressed data to it "
                                   "(use -o or redirect)")
                stats = work(reader, fileio.NamedWriter(out, "stdout"))
                fileio.NamedWriter(out, "stdout").flush()
            else:
                if source != "-" and fileio.same_file(source, target):
                    raise PczError("input and output are the same file")
                walked = opts.get("walked", {}).get(source)
                output = fileio.AtomicOutput(target, opts["force"], None if special else src_stat,
                                             folder=walked[1] if walked else None)
                with output as dst:
                    stats = work(reader, dst)
                if output.note:         # setuid/setgid/sticky bits are never copied
                    say(opts, 2, f"{target}: {output.note}")
        finally:
            if progress is not None:
                progress.clear()
    if opts["remove"] and source != "-" and target != "-" and not special:
        if verify is not None:
            verify(target, stats)
        interrupts.check()
        fileio.remove_source(source, src_stat)
    return target, stats


def summary(source: str, target: str, original: int, compressed: int) -> str:
    ratio = 100.0 * compressed / original if original else 100.0
    bpb = 8.0 * compressed / original if original else 0.0
    return (f"{source if source != '-' else 'stdin'}: {ratio:.2f}% ({original} => {compressed} bytes, "
            f"{bpb:.3f} bits/byte, {target if target != '-' else 'stdout'})")


class Discard:
    """A sink for decoded bytes that only checks them (``pcz test``, verification)."""

    def write(self, data: bytes) -> int:
        return len(data)
