"""Folders on the command line: ``pcz compress DIR`` writes DIR.pcz (an image set:
:mod:`pcz.engine.folders`), ``pcz decompress DIR.pcz`` restores the folder file by file."""
import os
import sys

from pcz.cli.options import say
from pcz.cli.transfer import summary
from pcz.errors import PczError
from pcz.runtime import fileio


def is_folder(source: str) -> bool:
    return source != "-" and os.path.isdir(source)


def compress(source: str, opts: dict, windows) -> None:
    """Compress the folder ``source`` as the compress command's options say."""
    if opts["remove"]:
        raise PczError("--rm does not remove folders; remove the folder yourself once it is checked")
    if windows:
        raise PczError("--windows codes byte streams, not folders")
    from pcz.engine import folders
    from pcz.streams import compress_folder
    to_stdout = opts["to_stdout"] or opts["output"] == "-"
    target = "-" if to_stdout else opts["output"] or folders.compressed_name(source)

    def work(dst):
        return compress_folder(source, dst, model=opts["model"], threads=opts["threads"],
                               embed_model=opts["embed_model"], chunk_size=opts["chunk_size"],
                               fast=opts["fast"])
    if target == "-":
        if sys.stdout.buffer.isatty() and not opts["force"]:
            raise PczError("stdout is a terminal; refusing to write compressed data to it (use -o or redirect)")
        stats = work(sys.stdout.buffer)
        sys.stdout.buffer.flush()
    else:
        with fileio.AtomicOutput(target, opts["force"]) as dst:
            stats = work(dst)
    say(opts, 1, summary(source, target, stats.original, stats.compressed))
    say(opts, 2, f"  chunks: {stats.chunks} {stats.methods}")


def holds_folder(source: str, opts: dict) -> bool:
    """Whether ``source`` is a pcz file holding a folder that is to be restored as one
    (not when writing to standard output: that gets the image set's bytes)."""
    from pcz.engine import folders
    return (source != "-" and not opts["to_stdout"] and opts["output"] != "-"
            and folders.is_folder_stream(source))


def decompress(source: str, opts: dict) -> None:
    from pcz.streams import decompress_folder
    target = opts["output"] or fileio.decompressed_name(source)
    if opts["force"] and os.path.isdir(target):
        raise PczError(f"{target} is a folder that exists; remove it first (-f does not replace folders)")
    with open(source, "rb") as src:
        stats = decompress_folder(src, target, model=opts["model"], threads=opts["threads"],
                                  memory_limit=opts["memory"])
    say(opts, 2, f"{source}: {stats.original} bytes => folder {target}")
