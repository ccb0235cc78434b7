"""What the CLI commands share: exit codes, sizes, messages, the compress/decompress options.

>>> parse_size("64K"), parse_size("1M"), parse_size("100")
(65536, 1048576, 100)
"""
import os

import click

from pcz import models
from pcz.errors import LimitError, PczError
from pcz.format.fields import DEFAULT_MEMORY, MAX_MODEL
from pcz.runtime.fileio import PathError

EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPT = 1, 2, 130


def parse_size(text: str) -> int:
    """'64K', '1M', '2G' or a plain number of bytes."""
    text = text.strip().upper().removesuffix("IB").removesuffix("B")
    scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:], 1)
    digits = text[:-1] if scale > 1 else text
    if not digits.isdigit():
        raise click.BadParameter(f"not a size: {text!r}")
    return int(digits) * scale


class Size(click.ParamType):
    name = "SIZE"

    def convert(self, value, param, ctx):
        return value if isinstance(value, int) else parse_size(value)


def say(ctx_opts: dict, level: int, message: str) -> None:
    """Print a status line to stderr when verbosity allows (0 quiet, 1 normal, 2 verbose)."""
    if ctx_opts["verbosity"] >= level:
        click.echo(message, err=True)


def read_model(path: str | None, memory: int = DEFAULT_MEMORY) -> bytes | None:
    """The bytes of the model file at path, checked by loading it within ``memory`` (a model
    file is untrusted input: its footprint is checked before anything is inflated);
    errors name the file."""
    if path is None:
        return None
    if os.path.getsize(path) > MAX_MODEL:
        raise LimitError(f"{path}: model file larger than {MAX_MODEL} bytes")
    with open(path, "rb") as f:
        data = f.read()
    try:
        models.load(data, budget=memory)
    except PczError as e:
        raise PathError(f"{path}: {e}") from None
    return data


def recursive(func):
    return click.option("-r", "--recursive", is_flag=True,
                        help="Run over the files inside the directories named (links inside are skipped).")(func)


def progress(func):
    return click.option("--progress/--no-progress", default=None,
                        help="Show progress on stderr [default: when stderr is a terminal].")(func)


def common(func):
    """Options shared by compress and decompress."""
    for option in reversed([
        click.argument("files", nargs=-1, type=click.Path(allow_dash=True, readable=False)),
        click.option("-o", "--output", type=click.Path(allow_dash=True), help="Write to this file (one input only)."),
        click.option("-c", "--stdout", "to_stdout", is_flag=True, help="Write to standard output."),
        click.option("-f", "--force", is_flag=True, help="Overwrite existing output files."),
        click.option("--rm", "remove", is_flag=True, help="Remove the source after success."),
        click.option("-k", "--keep", is_flag=True, help="Keep the source (the default)."),
        click.option("-q", "--quiet", count=True, help="Print nothing but errors."),
        click.option("-v", "--verbose", count=True, help="Print more."),
        click.option("-T", "--threads", type=click.IntRange(0, 256), default=1, show_default=True,
                     help="Worker processes over chunks (0: one per core); output is identical for every value."),
        click.option("--model", "model_path", type=click.Path(exists=True, dir_okay=False),
                     help="Model file to use."),
        recursive, progress,
    ]):
        func = option(func)
    return func


def options(kw: dict) -> dict:
    if kw["remove"] and kw["keep"]:
        raise click.UsageError("--rm and --keep contradict each other")
    if kw["output"] is not None and (len(kw["files"]) > 1 or kw["recursive"]):
        raise click.UsageError("-o takes a single input file")
    if kw["output"] is not None and kw["to_stdout"]:
        raise click.UsageError("-o and -c contradict each other")
    kw["verbosity"] = 1 + kw.pop("verbose") - kw.pop("quiet")
    kw["threads"] = kw["threads"] or os.cpu_count() or 1
    kw["files"] = list(kw["files"]) or ["-"]
    kw["model"] = read_model(kw.pop("model_path"), kw.get("memory", DEFAULT_MEMORY))
    return kw
