"""``pcz info``: describe a pcz file (sizes, ratio, model, chunk table) without decoding it,
or a model file (kind, sizes, id).

>>> import io, pcz
>>> print(describe_stream(io.BytesIO(pcz.compress(bytes(3) * 100)), "x.pcz"))  # doctest: +ELLIPSIS
x.pcz
  original:    300 bytes
  compressed:  ... bytes (... bits/byte)
  chunks:      1 (cm: 1)
  format:      pcz v2, compact
  model:       none
  checksum:    crc32 ...
"""
from typing import BinaryIO

import click

from pcz import models
from pcz.format import container, fields
from pcz.format.fields import DEFAULT_MEMORY, model_id
from pcz.models import short_id
from pcz.runtime import fileio
from pcz.cli.options import Size
from pcz.cli.transfer import run_each


def _model_line(header) -> str:
    if header.model_id is None:
        return "none"
    if header.model_bytes is not None:
        return f"{short_id(header.model_id)} (embedded, {len(header.model_bytes)} bytes)"
    return f"{short_id(header.model_id)} (referenced; needed to decompress)"


def _readers(src: BinaryIO):
    """The reader of each pcz stream in src (concatenated files hold several), each read through."""
    reader = container.open_reader(src)
    while reader is not None:
        for _ in reader.records():
            pass
        yield reader
        reader = container.next_reader(src)


def describe_stream(src: BinaryIO, name: str, verbose: bool = False) -> str:
    """A human-readable description of the pcz stream src (of each stream, when several
    are concatenated); validates all framing and CRCs."""
    from pcz import methods                           # the methods' names (loads numpy): not for --help
    from pcz.runtime.parallel import describe_bytes
    readers = list(_readers(src))
    size, total = src.tell(), sum(r.total for r in readers)
    table = [record for r in readers for record in r.table]
    counts: dict[str, int] = {}
    for record in table:
        name_ = methods.get(record.method).name
        counts[name_] = counts.get(name_, 0) + 1
    bpb = 8.0 * size / total if total else 0.0
    lines = [name]
    if len(readers) > 1:
        lines.append(f"  streams:     {len(readers)} (concatenated; each decodes in turn)")
    lines += [
        f"  original:    {total} bytes",
        f"  compressed:  {size} bytes ({bpb:.3f} bits/byte)",
        f"  chunks:      {len(table)} ({', '.join(f'{k}: {v}' for k, v in counts.items()) or 'none'})",
    ]
    pad = "  " if len(readers) > 1 else ""
    for i, reader in enumerate(readers):
        if pad:
            lines.append(f"  stream {i + 1}:    {reader.total} bytes, {len(reader.table)} chunks")
        checksum = (f"crc32 {reader.content_crc:08x}" if reader.compact
                    else f"blake2b-128 {reader.footer_digest.hex()}")
        log = reader.header.window_log
        window = f", long-range window {describe_bytes(1 << log)}" if log else ""
        lines += [f"{pad}  format:      pcz v{reader.version}{', compact' if reader.compact else ''}{window}",
                  f"{pad}  model:       {_model_line(reader.header)}",
                  f"{pad}  checksum:    {checksum}"]
        if verbose:
            lines.append(f"{pad}  chunk  method    original    stored  crc32")
            for j, r in enumerate(reader.table):
                crc = "-" if r.crc is None else f"{r.crc:08x}"
                lines.append(f"{pad}  {j:5d}  {methods.get(r.method).name:8s} {r.size:9d} {r.stored:9d}  {crc}")
    return "\n".join(lines)


def describe_model(data: bytes, name: str, memory: int = DEFAULT_MEMORY) -> str:
    """A human-readable description of a model file (validated by loading it, within the
    memory limit, as decoding would: a model file is untrusted input too)."""
    model = models.load(data, budget=memory)
    lines = [name, f"  {models.kind_of(data).summary}", f"  model id:    {model_id(data).hex()}",
             f"  size:        {len(data)} bytes",
             f"  memory:      {-(-models.footprint(data) >> 20)} MiB at most to load it and code with it "
             f"(counted against --memory, {DEFAULT_MEMORY >> 20} MiB by default)"]
    return "\n".join(lines + [model.describe()])


def describe(path: str, verbose: bool = False, memory: int = DEFAULT_MEMORY) -> str:
    """Describe the pcz file or model file at path."""
    with fileio.open_source(path)[0] as f:
        if models.is_model(f.read(models.MAGIC_SIZE)):
            f.seek(0)
            return describe_model(f.read(fields.MAX_MODEL + 1), path, memory)
        f.seek(0)
        return describe_stream(f, path, verbose)


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(readable=False))
@click.option("-v", "--verbose", count=True, help="List every chunk.")
@click.option("--memory", type=Size(), default=DEFAULT_MEMORY, show_default=True,
              help="Refuse model files whose loading needs more memory than this.")
def info(files, verbose, memory):
    """Show sizes, ratio, model and chunks of pcz FILES, or describe model files."""
    opts = {"files": list(files)}

    def job(source, opts):
        click.echo(describe(source, verbose=verbose > 0, memory=memory))
    return run_each(opts, job)
