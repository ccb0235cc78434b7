"""``pcz compress``, ``pcz decompress`` and ``pcz test``.

The coding pipeline (:mod:`pcz.streams`) is imported by the commands when they run, so
``--help`` and the option checks load no numpy.
"""
import os

import click

from pcz.cli import folder
from pcz.cli.options import Size, common, options, progress, read_model, recursive, say
from pcz.cli.transfer import Discard, meter, open_input, run_each, summary, transfer
from pcz import models
from pcz.errors import PczError
from pcz.format.fields import DEFAULT_CHUNK, DEFAULT_MEMORY, MAX_CHUNK
from pcz.runtime import fileio


@click.command()
@common
@click.option("--chunk-size", type=Size(), default=DEFAULT_CHUNK, show_default=True,
              help=f"Bytes per independently coded chunk (at most {MAX_CHUNK}).")
@click.option("--embed-model", is_flag=True, help="Store the model inside the output.")
@click.option("--windows", type=click.Choice(["16", "32", "64", "128"]),
              help="Equal-Info windows of this many bits (text model; every window decodes on its own).")
@click.option("-L", "--level", type=click.IntRange(1, 9), metavar="1..9",
              help="Compression level like zstd's -1..-9 (also written -1 .. -9): 1 fastest, 9 smallest; "
                   "default 3 (see README's table).")
@click.option("--fast", is_flag=True,
              help="Level 1: LZ77 with rANS tables (lz-rans; decodes over 100 MB/s), larger output.")
@click.option("--long/--no-long", "long_range", default=None,
              help="Long-range matching across chunks: repeats up to 64 MiB back cost a few bytes "
                   "(default: on at levels 2-9, for inputs over 1 MiB).")
def compress(**kw):
    """Compress FILES (each FILE to FILE.pcz; '-' or none: stdin to stdout).

    Files already ending in .pcz are skipped unless -c or -o names the output.
    With an HCLT model (--model), FILES are .npy or IDX files of records
    (FILE.gz: the file inside is compressed, to FILE.pcz), or folders of same-size
    images (DIR to DIR.pcz; every file is restored byte for byte).
    """
    opts = options(kw)
    if not 1 <= opts["chunk_size"] <= MAX_CHUNK:
        raise click.BadParameter(f"must be between 1 and {MAX_CHUNK}", param_hint="--chunk-size")
    if opts["embed_model"] and opts["model"] is None:
        raise click.UsageError("--embed-model needs --model")
    if opts["fast"] and (opts["windows"] or opts["model"]):
        raise click.UsageError("--fast takes neither --windows nor --model")
    if opts["fast"] and opts["level"] not in (None, 1):
        raise click.UsageError("--fast is level 1; give one or the other")
    windows = int(opts["windows"]) if opts["windows"] else None
    kind = models.kind_of(opts["model"])     # a model file is checked by read_model
    records = kind is not None and kind.records and not windows   # .npy / IDX record files
    if opts["long_range"] and (windows or records):
        raise click.UsageError("--long matches byte streams: not with --windows or a record model")
    from pcz.streams import compress_stream
    if records:
        from pcz.engine.records import compressed_name as name_for   # record files: loaded only then
    else:
        name_for = fileio.compressed_name

    def job(source, opts):
        if records and folder.is_folder(source):      # without a record model: refused below
            return folder.compress(source, opts, windows)

        def work(src, dst):
            return compress_stream(src, dst, chunk_size=opts["chunk_size"], threads=opts["threads"],
                                   model=opts["model"], embed_model=opts["embed_model"],
                                   fast=opts["fast"], windows=windows, level=opts["level"],
                                   long=opts["long_range"])
        target, stats = transfer(source, opts, name_for, work, compressing=True, verify=_verify_compressed)
        say(opts, 1 if target != "-" else 2, summary(source, target, stats.original, stats.compressed))
        say(opts, 2, f"  chunks: {stats.chunks} {stats.methods}")
    return run_each(opts, job, compressing=True)


def _verify_compressed(target: str, stats) -> None:
    """Decode the written file and check it holds exactly what was read (``stats``: the
    :class:`pcz.streams.Stats` of compressing it)."""
    from pcz.streams import decompress_stream
    with open(target, "rb") as f:
        check = decompress_stream(f, Discard(), model=stats.model)
    if check.digest != stats.digest or check.original != stats.original:
        raise PczError(f"verification of {target} failed; source kept")


def _decompress_options(func):
    return click.option("--memory", type=Size(), default=DEFAULT_MEMORY, show_default=True,
                        help="Refuse files whose decoding needs more memory than this.")(func)


@click.command()
@common
@_decompress_options
def decompress(**kw):
    """Decompress FILES (each FILE.pcz to FILE; '-' or none: stdin to stdout; a
    compressed folder to a folder)."""
    opts = options(kw)
    from pcz.streams import decompress_stream

    def job(source, opts):
        if folder.holds_folder(source, opts):
            return folder.decompress(source, opts)

        def work(src, dst):
            return decompress_stream(src, dst, model=opts["model"], threads=opts["threads"],
                                            memory_limit=opts["memory"])
        target, stats = transfer(source, opts, fileio.decompressed_name, work, compressing=False)
        say(opts, 2, f"{source}: {stats.original} bytes => {target if target != '-' else 'stdout'}")
    return run_each(opts, job, compressing=False)


@click.command("test")
@click.argument("files", nargs=-1, required=True, type=click.Path(allow_dash=True, readable=False))
@click.option("--model", "model_path", type=click.Path(exists=True, dir_okay=False), help="Model file to use.")
@click.option("-T", "--threads", type=click.IntRange(0, 256), default=1, show_default=True)
@click.option("-q", "--quiet", count=True)
@click.option("-v", "--verbose", count=True)
@recursive
@progress
@_decompress_options
def test_(files, model_path, threads, quiet, verbose, memory, recursive, progress):
    """Check the integrity of pcz FILES (decode fully, write nothing)."""
    opts = {"files": list(files), "verbosity": 1 + verbose - quiet, "model": read_model(model_path, memory),
            "recursive": recursive, "progress": progress}
    from pcz.streams import decompress_stream

    def job(source, opts):
        src, _, size = open_input(source, opts, special=True)
        shown = meter(source, size, opts)
        with src:
            try:
                stats = decompress_stream(src if shown is None else shown.reader(src), Discard(),
                                          model=opts["model"], threads=threads or os.cpu_count() or 1,
                                          memory_limit=memory)
            finally:
                if shown is not None:
                    shown.clear()
        say(opts, 1, f"{source}: OK ({stats.original} bytes)")
    return run_each(opts, job, compressing=False)
