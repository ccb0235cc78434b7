"""Text commands: ``pcz tokenize``, ``pcz detokenize`` and ``pcz train-text``.

>>> from pcz.cli import main
>>> main(["tokenize", "--help"]) == 0
Usage: pcz tokenize [OPTIONS] FILE
<BLANKLINE>
  Cut FILE into Equal-Info windows of W bits and write them as LLM tokens.
...
True
"""
import os
import sys
import time

import click

from pcz.cli.options import Size, read_model
from pcz.errors import InputError, PczError
from pcz.runtime.fileio import AtomicOutput

WINDOW_CHOICES = ("16", "32", "64", "128")


def _read_input(path: str, limit: int) -> bytes:
    src = sys.stdin.buffer if path == "-" else open(path, "rb")
    with src:
        data = src.read(limit + 1)
    if len(data) > limit:
        raise InputError(f"input larger than --max-size ({limit} bytes)")
    return data


def _model_or_default(path: str | None) -> bytes:
    from pcz.methods.text import default_model_bytes
    return read_model(path) if path else default_model_bytes()


def _fail(e: Exception) -> int:
    click.echo(f"pcz: {e}", err=True)
    return 1


@click.command()
@click.argument("file", type=click.Path(allow_dash=True))
@click.option("--window-bits", "-w", type=click.Choice(WINDOW_CHOICES), default="64", show_default=True,
              help="Bits per window (W).")
@click.option("--token-bits", type=click.Choice(["8", "16"]), default="16", show_default=True,
              help="Bits per token.")
@click.option("-o", "--output", required=True, type=click.Path(), help="TOKENS.npy to write (and TOKENS.npy.json).")
@click.option("--model", "model_path", type=click.Path(exists=True, dir_okay=False),
              help="Text model (default: the one shipped with pcz).")
@click.option("--max-size", type=Size(), default="1G", show_default=True, help="Refuse larger inputs.")
@click.option("-f", "--force", is_flag=True, help="Overwrite existing outputs.")
def tokenize(file, window_bits, token_bits, output, model_path, max_size, force):
    """Cut FILE into Equal-Info windows of W bits and write them as LLM tokens."""
    from pcz import tokens as tok                     # numpy and the text model: when the command runs
    try:
        data = _read_input(file, max_size)
        model_bytes = _model_or_default(model_path)
        tokens, meta = tok.tokenize(data, model_bytes, int(window_bits), int(token_bits))
        for path in (output, output + ".json"):
            if os.path.exists(path) and not force:
                raise PczError(f"{path} exists (use -f to overwrite)")
        tok.save(output, tokens, meta)
    except (PczError, OSError) as e:
        return _fail(e)
    bpc = 8 * len(tokens) * int(token_bits) / 8 / max(len(data), 1)
    click.echo(f"{file}: {len(data)} bytes => {meta['windows']} windows of {window_bits} bits, "
               f"{len(tokens)} tokens ({bpc:.3f} bits/byte)", err=True)
    return 0


@click.command()
@click.argument("tokens_path", metavar="TOKENS.npy", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(allow_dash=True), help="File to write ('-': stdout).")
@click.option("--model", "model_path", type=click.Path(exists=True, dir_okay=False),
              help="Text model (default: the built-in model the tokens name).")
@click.option("-f", "--force", is_flag=True, help="Overwrite an existing output.")
def detokenize(tokens_path, output, model_path, force):
    """Decode TOKENS.npy made by ``pcz tokenize`` back to the original bytes."""
    from pcz import tokens as tok
    try:
        tokens, meta = tok.load(tokens_path)
        data = tok.detokenize(tokens, meta, read_model(model_path))
        if output == "-":
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        else:
            with AtomicOutput(output, force) as f:
                f.write(data)
    except (PczError, OSError) as e:
        return _fail(e)
    return 0


@click.command("train-text")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(), help="Model file to write (.pczm).")
@click.option("--hidden", type=click.IntRange(1, 2048), default=128, show_default=True, help="Hidden states H.")
@click.option("--slots", type=click.IntRange(1, 256), default=32, show_default=True,
              help="Parameter slots chosen by the previous byte's class (1: a plain HMM).")
@click.option("--epochs", type=click.IntRange(1, 100), default=2, show_default=True)
@click.option("--seq-len", type=click.IntRange(2, 1 << 16), default=256, show_default=True)
@click.option("--batch", type=click.IntRange(1, 1 << 16), default=128, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--init", "init_path", type=click.Path(exists=True, dir_okay=False),
              help="Continue training this model (its H, C and byte classes are kept).")
@click.option("--step-offset", type=click.IntRange(0), default=0, show_default=True,
              help="With --init: EM steps the model already had (the step size continues from there).")
@click.option("-f", "--force", is_flag=True, help="Overwrite an existing output.")
def train_text(files, output, hidden, slots, epochs, seq_len, batch, seed, init_path, step_offset, force):
    """Train an HMM text model on FILES by stepwise EM (JAX); needs pcz[learn]."""
    import numpy as np
    try:
        from pcz.learn.hmm_em import Params, fit
    except ImportError as e:
        return _fail(PczError(f"training needs the learn extra: pip install 'pcz[learn]' ({e})"))
    from pcz.models.hmm import HMM
    data = np.concatenate([np.fromfile(f, dtype=np.uint8) for f in files])
    if len(data) < 2:
        return _fail(InputError("need at least two bytes of training text"))
    init = None
    if init_path:
        try:
            base = HMM.from_bytes(read_model(init_path))
        except PczError as e:
            return _fail(e)
        init = Params(base.prior, base.T, base.E, base.cls)
        hidden, slots = base.hidden, base.slots
    start = time.perf_counter()
    params = fit(data, hidden, slots=slots, epochs=epochs, seq_len=seq_len, batch=batch, seed=seed,
                 init=init, step_offset=step_offset if init else 0)
    model = HMM.from_probs(params.prior, params.T, params.E, params.cls)
    try:
        with AtomicOutput(output, force) as f:
            f.write(model.to_bytes())
    except (PczError, OSError) as e:
        return _fail(e)
    click.echo(f"{output}: H={hidden} C={slots}, {len(model.to_bytes())} bytes, "
               f"trained on {len(data)} bytes in {time.perf_counter() - start:.1f} s", err=True)
    return 0
