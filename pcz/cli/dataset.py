"""``pcz pack``, ``pcz unpack`` and ``pcz models``: data sets as pcz-coded zarr stores
(docs/SCALE.md).  These need the ``dataset`` extra; without it they say so in one line.

>>> import tempfile
>>> from pcz.cli import main
>>> from pcz.models.hclt import HcltModel
>>> folder = tempfile.mkdtemp()
>>> with open(f"{folder}/m.pczm", "wb") as f:
...     _ = f.write(HcltModel.from_float([-1], [1.0], [[[1.0]]], [[[0.5, 0.5]]]).to_bytes())
>>> main(["models", "add", "--store", f"{folder}/store", f"{folder}/m.pczm"])       # doctest: +ELLIPSIS
22650c0363b8...  .../m.pczm
0
>>> main(["models", "list", "--store", f"{folder}/store"])       # doctest: +ELLIPSIS
22650c0363b8...          56  .../store/22650c0363b8...pczm
0
"""
import os
import sys

import click

from pcz.cli.options import Size, say
from pcz.errors import PczError


class _Bar:
    """A progress bar on stderr, started by the first report (when the total is known)."""

    def __init__(self, verbosity: int, label: str):
        self.verbosity, self.label, self.bar = verbosity, label, None

    def __call__(self, n: int, total: int) -> None:
        if self.verbosity < 1:
            return
        if self.bar is None:
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr, show_pos=True)
            self.bar.__enter__()
        self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def _workers(workers: int) -> int:
    return workers or os.cpu_count() or 1


def _peak(stats: dict) -> str:
    peaks = stats["peak_rss_per_worker"].values()
    return f", peak {max(peaks) / 2**20:.0f} MiB per worker" if peaks else ""


CLUSTER_OPTIONS = [       # also pcz train's (streamed training)
    click.option("-T", "--workers", type=click.IntRange(0, 4096), default=0,
                 help="Dask worker processes on this machine (0: one per core)."),
    click.option("--scheduler", metavar="ADDRESS",
                 help="Use an existing Dask cluster (tcp://HOST:PORT; its workers must see the "
                      "same paths), or 'synchronous' to run in this process."),
    click.option("--worker-memory", type=Size(), help="Memory limit of each local worker (default: "
                                                      "the machine's memory shared out)."),
]


def _run_options(func):
    for option in reversed(CLUSTER_OPTIONS + [
        click.option("-f", "--force", is_flag=True, help="Replace an existing output."),
        click.option("-q", "--quiet", count=True, help="No progress bar or summary."),
    ]):
        func = option(func)
    return func


@click.command()
@click.argument("source")
@click.option("-o", "--output", required=True, type=click.Path(), help="The store folder to write (STORE.zarr).")
@click.option("-m", "--model", "model", required=True, metavar="MODEL",
              help="The record model: a model file or a model id in the model store.")
@click.option("--chunk-records", type=click.IntRange(1, 1 << 24),
              help="Records per chunk (default: about 1 MiB of records).")
@click.option("--shard-records", type=click.IntRange(1, 1 << 30),
              help="Group chunks into zarr shards of this many records (a multiple of --chunk-records).")
@click.option("--no-embed-model", is_flag=True,
              help="Leave the model out of the store (readers then find it in their model store).")
@_run_options
def pack(source, output, model, chunk_records, shard_records, no_embed_model, workers, scheduler, worker_memory,
         force, quiet):
    """Pack SOURCE into a zarr store of pcz-coded records.

    SOURCE: a .npy or IDX file, FILE.h5:/DATASET, a zarr array, or a folder of same-size
    PNG/PGM images.  The work is split into tasks over chunks of records, run on Dask.
    """
    from pcz.dataset.pack import pack as run
    verbosity = 1 - quiet
    bar = _Bar(verbosity, "packing")
    try:
        stats = run(source, output, model, workers=_workers(workers), scheduler=scheduler,
                    chunk_records=chunk_records, shard_records=shard_records, embed_model=not no_embed_model,
                    force=force,
                    progress=bar, worker_memory=worker_memory)
    finally:
        bar.close()
    say({"verbosity": verbosity}, 1,
        f"{output}: {stats['records']} records, {stats['raw_bytes']} -> {stats['records_bytes']} bytes "
        f"({stats['bits_per_value']:.4f} bits/value), {stats['seconds']:.1f} s, "
        f"{stats['mb_per_s']:.2f} MB/s on {stats['workers'] or 1} worker(s){_peak(stats)}"
        + (f"; {stats['verbatim_files']} files kept verbatim" if stats["verbatim_files"] else ""))
    return 0


@click.command()
@click.argument("store", type=click.Path(exists=True, file_okay=False))
@click.option("-o", "--output", required=True,
              help="Where to restore: a file, folder, zarr array or FILE.h5[:/DATASET], as packed.")
@_run_options
def unpack(store, output, workers, scheduler, worker_memory, force, quiet):
    """Restore what STORE holds (made by pcz pack), byte for byte."""
    from pcz.dataset.unpack import unpack as run
    verbosity = 1 - quiet
    bar = _Bar(verbosity, "unpacking")
    try:
        stats = run(store, output, workers=_workers(workers), scheduler=scheduler, force=force,
                    progress=bar, worker_memory=worker_memory)
    finally:
        bar.close()
    say({"verbosity": verbosity}, 1,
        f"{output}: {stats['records']} records ({stats['raw_bytes']} bytes), {stats['seconds']:.1f} s, "
        f"{stats['mb_per_s']:.2f} MB/s on {stats['workers'] or 1} worker(s){_peak(stats)}")
    return 0


@click.group()
def models():
    """The model store: models found by id (PCZ_MODEL_STORE, ~/.cache/pcz/models)."""


@models.command("add")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--store", "folder", type=click.Path(file_okay=False), help="The store folder to add to.")
def models_add(files, folder):
    """Copy model FILES into the model store; prints each one's id."""
    from pcz.format.fields import MAX_MODEL
    from pcz.models import store
    for path in files:
        with open(path, "rb") as f:
            data = f.read(MAX_MODEL + 1)
        try:
            click.echo(f"{store.add(data, folder)}  {path}")
        except PczError as e:
            raise PczError(f"{path}: {e}") from None
    return 0


@models.command("list")
@click.option("--store", "folder", type=click.Path(file_okay=False), help="List this folder only.")
def models_list(folder):
    """List the models in the model store folders: id, size, file."""
    from pcz.models import store
    for entry in store.entries(folder):
        click.echo(f"{entry.hex_id}  {entry.size:>10}  {entry.path}")
    return 0
