"""Running a command over its inputs: safe opening of source and target, per-file errors,
the summary line."""
import sys

import click

from pcz.cli.options import EXIT_ERROR, say
from pcz.errors import PczError
from pcz.runtime import fileio, interrupts


def run_each(opts: dict, job) -> int:
    """Run job(source, opts) for every input; report errors per file, return the exit status."""
    status = 0
    for source in opts["files"]:
        try:
            job(source, opts)
        except (PczError, OSError) as e:
            click.echo(f"pcz: {_message(e, source)}", err=True)
            status = EXIT_ERROR
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


def transfer(source: str, opts: dict, name_for, work, compressing: bool, verify=None) -> tuple:
    """Open source and target safely and run work(src, dst) between them.

    With --rm the source is removed only after success and, if given,
    verify(target, stats) has checked the written output.  Returns (target, stats).
    """
    if source == "-":
        if sys.stdin.isatty() and compressing:
            raise PczError("stdin is a terminal; refusing to read data to compress from it")
        src, src_stat = sys.stdin.buffer, None
    else:       # metadata from the opened file itself (fileio.open_source), never a second look-up
        src, src_stat = fileio.open_source(source)
    with src:
        target = _target(source, opts, name_for)
        if target == "-":
            out = sys.stdout.buffer
            if compressing and out.isatty() and not opts["force"]:
                raise PczError("stdout is a terminal; refusing to write compressed data to it (use -o or redirect)")
            stats = work(src, out)
            out.flush()
        else:
            if source != "-" and fileio.same_file(source, target):
                raise PczError("input and output are the same file")
            output = fileio.AtomicOutput(target, opts["force"], src_stat)
            with output as dst:
                stats = work(src, dst)
            if output.note:         # setuid/setgid/sticky bits are never copied
                say(opts, 2, f"{target}: {output.note}")
    if opts["remove"] and source != "-" and target != "-":
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
