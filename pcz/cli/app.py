"""The ``pcz`` command line (click), following zstd's conventions: the command group,
:func:`main` (which tests call directly) and the console-script entry point.

Commands live one group per module (:mod:`pcz.cli.coding`, :mod:`pcz.cli.info`,
:mod:`pcz.cli.train`, :mod:`pcz.cli.text`, :mod:`pcz.cli.bench`,
:mod:`pcz.cli.demo`, :mod:`pcz.cli.dataset`) and are added here; none imports this module.
zstd-style command lines (``pcz -dc F.pcz``) are rewritten into subcommands first
(:mod:`pcz.cli.conventions`).

>>> main(["--version"])
pcz, version 0.1.0
0
>>> main(["-V"])
pcz, version 0.1.0
0
"""
import os
import sys

import click

import pcz
from pcz.cli import bench, coding, conventions, dataset, demo, info, text, train
from pcz.cli.options import EXIT_ERROR, EXIT_INTERRUPT, EXIT_USAGE
from pcz.errors import PczError
from pcz.runtime import interrupts


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(pcz.__version__, "-V", "--version", prog_name="pcz")
def cli():
    """pcz: lossless compression with probabilistic circuits.

    \b
    As zstd and xz (without a command, compress is meant):
      pcz FILE...           compress each FILE to FILE.pcz (-z)
      pcz -d FILE.pcz...    decompress (--decompress, --uncompress)
      pcz -t FILE.pcz...    test integrity       pcz -l FILE.pcz   list (info)
      pcz < IN > OUT        stdin to stdout      pcz -dc F.pcz     to stdout
    Short options combine (-dcf, -kq, -T4): -c stdout, -k keep, -f force,
    -q quiet, -v verbose, -r recursive, -o FILE, -T N threads, -V version;
    long ones as the commands below (--rm, --model, --progress, ...).

    Exit status: 0 success, 1 error, 2 usage error, 130 interrupted.
    """


for command in (coding.compress, coding.decompress, coding.test_, info.info, demo.demo, train.train,
                bench.bench, text.tokenize, text.detokenize, text.train_text,
                dataset.pack, dataset.unpack, dataset.models):
    cli.add_command(command)


# The last interrupt's exception, kept so that its traceback's frames are never freed: they
# may hold objects the interrupt left half-built (llvmlite's, during a numba compile), whose
# finalisers can crash.  entry() then leaves through os._exit without finalising anything.
_INTERRUPTED: list = []


def _is_terminal(stream) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (ValueError, OSError):
        return False


def _stop_workers() -> None:
    """Stop the worker processes of :mod:`pcz.runtime.parallel`, if the command started any
    (a command that never imported it has none: importing it now would only cost time)."""
    parallel = sys.modules.get("pcz.runtime.parallel")
    if parallel is not None:
        parallel.stop_workers()


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit status (0 ok, 1 error, 2 usage, 130 interrupted).

    Without arguments pcz compresses standard input to standard output, as zstd
    does; when standard input is a terminal it prints its help instead (to stderr)
    and exits 1.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv and _is_terminal(sys.stdin):
        with click.Context(cli, info_name="pcz") as ctx:
            click.echo(cli.get_help(ctx), err=True)
        click.echo("pcz: stdin is a terminal; name files to compress, or pipe data in", err=True)
        return EXIT_ERROR
    commands = [coding.compress, coding.decompress, coding.test_, info.info]
    argv = conventions.translate(argv, conventions.valued_options(commands), cli.commands)
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
        _stop_workers()
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
            _stop_workers()
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
        # clean-up at interpreter exit could then fail noisily.  Leave now, once
        # multiprocessing has removed its semaphores (else its resource tracker
        # reports them as leaked).
        mp_util = sys.modules.get("multiprocessing.util")
        if mp_util is not None:
            mp_util._run_finalizers(0)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)
