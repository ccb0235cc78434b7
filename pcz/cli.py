"""The ``pcz`` command line (click), following zstd's conventions.

Every command is reachable through :func:`main`, which tests call directly:

>>> main(["--version"])
pcz, version 0.1.0
0
"""
import os
import sys

import click

import pcz
from pcz import arrays, container, fileio, interrupts, methods, stream
from pcz.errors import LimitError, PczError
from pcz.info import describe

EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPT = 1, 2, 130


def parse_size(text: str) -> int:
    """'64K', '1M', '2G' or a plain number of bytes.

    >>> parse_size("64K"), parse_size("1M"), parse_size("100")
    (65536, 1048576, 100)
    """
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


def _read_model(path: str | None) -> bytes | None:
    if path is None:
        return None
    if os.path.getsize(path) > container.MAX_MODEL:
        raise LimitError(f"{path}: model file larger than {container.MAX_MODEL} bytes")
    with open(path, "rb") as f:
        return f.read()


def common(func):
    """Options shared by compress and decompress."""
    for option in reversed([
        click.argument("files", nargs=-1, type=click.Path(allow_dash=True)),
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
    ]):
        func = option(func)
    return func


def _options(kw: dict) -> dict:
    if kw["remove"] and kw["keep"]:
        raise click.UsageError("--rm and --keep contradict each other")
    if kw["output"] is not None and len(kw["files"]) > 1:
        raise click.UsageError("-o takes a single input file")
    if kw["output"] is not None and kw["to_stdout"]:
        raise click.UsageError("-o and -c contradict each other")
    kw["verbosity"] = 1 + kw.pop("verbose") - kw.pop("quiet")
    kw["threads"] = kw["threads"] or os.cpu_count() or 1
    kw["files"] = list(kw["files"]) or ["-"]
    kw["model"] = _read_model(kw.pop("model_path"))
    return kw


def _run_each(opts: dict, job) -> int:
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


def _transfer(source: str, opts: dict, name_for, work, compressing: bool, verify=None) -> tuple:
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


def _summary(source: str, target: str, original: int, compressed: int) -> str:
    ratio = 100.0 * compressed / original if original else 100.0
    bpb = 8.0 * compressed / original if original else 0.0
    return (f"{source if source != '-' else 'stdin'}: {ratio:.2f}% ({original} => {compressed} bytes, "
            f"{bpb:.3f} bits/byte, {target if target != '-' else 'stdout'})")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(pcz.__version__, prog_name="pcz")
def cli():
    """pcz: lossless compression with probabilistic circuits.

    Exit status: 0 success, 1 error, 2 usage error, 130 interrupted.
    """


@cli.command()
@common
@click.option("--chunk-size", type=Size(), default=stream.DEFAULT_CHUNK, show_default=True,
              help=f"Bytes per independently coded chunk (at most {container.MAX_CHUNK}).")
@click.option("--embed-model", is_flag=True, help="Store the model inside the output.")
@click.option("--windows", type=click.Choice(["16", "32", "64", "128"]),
              help="Equal-Info windows of this many bits (text model; every window decodes on its own).")
@click.option("--fast", is_flag=True,
              help="Only the core order-0 byte model: ~90 MB/s instead of ~150 kB/s, larger output.")
def compress(**kw):
    """Compress FILES (each FILE to FILE.pcz; '-' or none: stdin to stdout).

    With an HCLT model (--model), FILES are .npy or IDX files of records
    (FILE.gz: the file inside is compressed, to FILE.pcz).
    """
    opts = _options(kw)
    if not 1 <= opts["chunk_size"] <= container.MAX_CHUNK:
        raise click.BadParameter(f"must be between 1 and {container.MAX_CHUNK}", param_hint="--chunk-size")
    if opts["embed_model"] and opts["model"] is None:
        raise click.UsageError("--embed-model needs --model")
    candidates = None
    if opts["fast"] and (opts["windows"] or opts["model"]):
        raise click.UsageError("--fast takes neither --windows nor --model")
    if opts["fast"]:
        candidates = (methods.ORDER0,)
    if opts["windows"]:
        from pcz.text import default_model_bytes, windows_method
        candidates = (windows_method(int(opts["windows"])),)
        opts["model"] = opts["model"] or default_model_bytes()

    records = arrays.is_record_model(opts["model"])   # an HCLT model: .npy / IDX records

    def job(source, opts):
        def work(src, dst):
            if records:
                return arrays.compress_records(src, dst, opts["model"], threads=opts["threads"],
                                               embed_model=opts["embed_model"],
                                               chunk_size=opts["chunk_size"])
            return stream.compress_stream(src, dst, chunk_size=opts["chunk_size"], threads=opts["threads"],
                                          model=opts["model"], embed_model=opts["embed_model"],
                                          candidates=candidates)
        name_for = arrays.compressed_name if records else fileio.compressed_name
        target, stats = _transfer(source, opts, name_for, work, compressing=True,
                                  verify=_verify_compressed)
        say(opts, 1, _summary(source, target, stats.original, stats.compressed))
        say(opts, 2, f"  chunks: {stats.chunks} {stats.methods}")
    return _run_each(opts, job)


def _verify_compressed(target: str, stats: stream.Stats) -> None:
    """Decode the written file and check it holds exactly what was read."""
    with open(target, "rb") as f:
        check = stream.decompress_stream(f, _Discard(), model=stats.model)
    if check.digest != stats.digest or check.original != stats.original:
        raise PczError(f"verification of {target} failed; source kept")


def _decompress_options(func):
    return click.option("--memory", type=Size(), default=stream.DEFAULT_MEMORY, show_default=True,
                        help="Refuse files whose decoding needs more memory than this.")(func)


@cli.command()
@common
@_decompress_options
def decompress(**kw):
    """Decompress FILES (each FILE.pcz to FILE; '-' or none: stdin to stdout)."""
    opts = _options(kw)

    def job(source, opts):
        def work(src, dst):
            return stream.decompress_stream(src, dst, model=opts["model"], threads=opts["threads"],
                                            memory_limit=opts["memory"])
        target, stats = _transfer(source, opts, fileio.decompressed_name, work, compressing=False)
        say(opts, 2, f"{source}: {stats.original} bytes => {target if target != '-' else 'stdout'}")
    return _run_each(opts, job)


@cli.command("test")
@click.argument("files", nargs=-1, required=True, type=click.Path(allow_dash=True))
@click.option("--model", "model_path", type=click.Path(exists=True, dir_okay=False), help="Model file to use.")
@click.option("-T", "--threads", type=click.IntRange(0, 256), default=1, show_default=True)
@click.option("-q", "--quiet", count=True)
@click.option("-v", "--verbose", count=True)
@_decompress_options
def test_(files, model_path, threads, quiet, verbose, memory):
    """Check the integrity of pcz FILES (decode fully, write nothing)."""
    opts = {"files": list(files), "verbosity": 1 + verbose - quiet, "model": _read_model(model_path)}

    def job(source, opts):
        src = sys.stdin.buffer if source == "-" else open(source, "rb")
        with src:
            stats = stream.decompress_stream(src, _Discard(), model=opts["model"],
                                             threads=threads or os.cpu_count() or 1, memory_limit=memory)
        say(opts, 1, f"{source}: OK ({stats.original} bytes)")
    return _run_each(opts, job)


class _Discard:
    def write(self, data: bytes) -> int:
        return len(data)


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("-v", "--verbose", count=True, help="List every chunk.")
def info(files, verbose):
    """Show sizes, ratio, model and chunks of pcz FILES, or describe model files."""
    opts = {"files": list(files)}

    def job(source, opts):
        click.echo(describe(source, verbose=verbose > 0))
    return _run_each(opts, job)


@cli.command()
def demo():
    """Compress the samples shipped with pcz and show the rates."""
    from pcz.demo import format_rows, run_demo
    rows = run_demo()
    click.echo(format_rows(rows))
    return 0 if all(r["roundtrip"] for r in rows) else EXIT_ERROR


# The last interrupt's exception, kept so that its traceback's frames are never freed: they
# may hold objects the interrupt left half-built (llvmlite's, during a numba compile), whose
# finalisers can crash.  entry() then leaves through os._exit without finalising anything.
_INTERRUPTED: list = []


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit status (0 ok, 1 error, 2 usage, 130 interrupted)."""
    restore = interrupts.install()
    _INTERRUPTED.clear()
    try:
        result = cli.main(args=argv, prog_name="pcz", standalone_mode=False)
        interrupts.check()      # an interrupt that library code swallowed still counts
        return result if isinstance(result, int) else 0
    except click.exceptions.Exit as e:
        return e.exit_code
    except click.ClickException as e:
        e.show()
        return EXIT_USAGE if isinstance(e, click.UsageError) else EXIT_ERROR
    except (click.exceptions.Abort, KeyboardInterrupt) as e:
        _INTERRUPTED.append(e)
        click.echo("pcz: interrupted", err=True)
        return EXIT_INTERRUPT
    except BrokenPipeError:
        sys.stderr.close()   # the reader went away (e.g. `| head`): stop quietly
        return EXIT_ERROR
    except (PczError, OSError) as e:
        click.echo(f"pcz: {e}", err=True)
        return EXIT_ERROR
    except Exception as e:
        if interrupts.requested():      # e.g. numba failing after an interrupted compile
            _INTERRUPTED.append(e)
            click.echo("pcz: interrupted", err=True)
            return EXIT_INTERRUPT
        if os.environ.get("PCZ_DEBUG"):
            raise
        click.echo(f"pcz: internal error: {type(e).__name__}: {e} (set PCZ_DEBUG=1 for details)", err=True)
        return EXIT_ERROR
    finally:
        restore()


def entry() -> None:
    """Console-script entry point."""
    code = main()
    if code == EXIT_INTERRUPT:
        # An interrupt may have cut a library's import or compile short; its
        # clean-up at interpreter exit could then fail noisily.  Leave now.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


from pcz import cli_bench  # noqa: E402,F401  (registers `pcz bench`)
from pcz import cli_text  # noqa: E402,F401  (registers tokenize, detokenize, train-text)
from pcz import cli_train  # noqa: E402,F401  (registers `pcz train`)
