"""``pcz train``: learn a record model (HCLT) from a .npy or IDX file.

>>> import os, tempfile, numpy as np
>>> from pcz.cli import main
>>> folder = tempfile.mkdtemp()
>>> data = os.path.join(folder, "x.npy")
>>> np.save(data, np.random.default_rng(0).integers(0, 2, (300, 4)).astype(np.uint8))
>>> main(["train", data, "-o", os.path.join(folder, "x.pczm"), "--latents", "2", "--epochs", "1",
...       "--full-epochs", "1", "-q"])
0
"""
import os

import click

from pcz import models
from pcz.runtime import fileio
from pcz.cli.options import say
from pcz.format.fields import MAX_MODEL, model_id
from pcz.errors import ModelError
from pcz.models.hclt import MAX_K, MAX_M, MAX_QBITS, MIN_QBITS, HcltModel
from pcz.models import short_id
from pcz.engine.folders import folder_array
from pcz.engine.record_files import load_array


def parse_atoms(text: str) -> list[int] | None:
    """``--atoms``: None for auto, else the listed values.

    >>> parse_atoms("auto"), parse_atoms("none"), parse_atoms("0, 255")
    (None, [], [0, 255])
    """
    text = text.strip().lower()
    if text == "auto":
        return None
    if text == "none":
        return []
    try:
        values = [int(v) for v in text.split(",")]
    except ValueError:
        values = None
    if values is None or not all(0 <= v < MAX_K for v in values):
        raise click.BadParameter(f"{text!r}: expected 'auto', 'none' or values in 0..{MAX_K - 1} "
                                 "like 0,255", param_hint="--atoms")
    return values


@click.command()
@click.argument("data", type=click.Path(exists=True))
@click.option("-o", "--output", required=True, type=click.Path(), help="Model file to write.")
@click.option("-M", "--latents", type=click.IntRange(1, MAX_M), default=16, show_default=True,
              help="Latent states per variable.")
@click.option("--epochs", type=click.IntRange(0, 10_000), default=10, show_default=True,
              help="Mini-batch EM epochs.")
@click.option("--full-epochs", type=click.IntRange(0, 10_000), default=5, show_default=True,
              help="Full-batch EM iterations after the mini-batch epochs.")
@click.option("--validation", type=click.FloatRange(0, 0.5), default=0.05, show_default=True,
              help="Fraction of the records held out for early stopping.")
@click.option("--batch", type=click.IntRange(1, 1 << 16), default=512, show_default=True,
              help="Records per mini-batch.")
@click.option("--step", type=(click.FloatRange(0, 1), click.FloatRange(0, 1)), default=(0.5, 0.05),
              show_default=True, help="Mini-batch EM step size, first and last epoch.")
@click.option("--pseudocount", type=click.FloatRange(0), default=1.0, show_default=True,
              help="Pseudocount per distribution (spread over its outcomes; at least 1e-6).")
@click.option("--smooth", type=(click.FloatRange(0), click.FloatRange(0, 1)), default=(0.0, 0.0),
              show_default=True, metavar="SIGMA WEIGHT",
              help="Smooth emission counts along the value axis (ordinal values such as pixel "
                   "levels): a Gaussian of SIGMA levels, mixed in with WEIGHT; 0 0: off.")
@click.option("--atoms", default="auto", show_default=True,
              help="Values left out of the smoothing (comma-separated, 'none'); auto: the spikes "
                   "of the training histogram.")
@click.option("--overrelax", type=click.FloatRange(1, 3), default=1.0, show_default=True,
              help="Over-relax full-batch EM: steps this many times as long in log space "
                   "(1.7 roughly halves the epochs needed).")
@click.option("--qbits", type=click.IntRange(MIN_QBITS, MAX_QBITS), default=20, show_default=True,
              help="Bits per stored probability (16: smaller file, ~0.003 bits/value worse).")
@click.option("--patience", type=click.IntRange(0), default=2, show_default=True,
              help="Epochs without validation gain before stopping.")
@click.option("--mi-bits", type=click.IntRange(1, 8), default=3, show_default=True,
              help="Bit depth of values when estimating mutual information.")
@click.option("--mi-samples", type=click.IntRange(2), default=10_000, show_default=True,
              help="Records used to estimate mutual information.")
@click.option("--init", "init_path", type=click.Path(exists=True, dir_okay=False),
              help="Start from this HCLT model (its tree; states copied up to --latents).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("-f", "--force", is_flag=True, help="Overwrite the output file.")
@click.option("-q", "--quiet", count=True, help="No progress bar or summary.")
def train(data, output, latents, epochs, full_epochs, validation, batch, step, pseudocount,
          smooth, atoms, overrelax, qbits, patience, mi_bits, mi_samples, init_path, seed, force, quiet):
    """Learn an HCLT model for the records of DATA (.npy or IDX, optionally gzipped, of
    uint8, int8, bool, 16- or 32-bit integers; or a folder of same-size images)."""
    atoms = parse_atoms(atoms)
    fileio.check_writable(output, force)
    array = folder_array(data) if os.path.isdir(data) else load_array(data)
    init = None
    if init_path is not None:
        with open(init_path, "rb") as f:
            init = models.load(f.read(MAX_MODEL + 1))
        if not isinstance(init, HcltModel):
            raise ModelError(f"{init_path}: not an HCLT model")
    from pcz.learn.train import train as learn   # JAX: only the training command imports it
    model, log = learn(array, latents, epochs=epochs, full_epochs=full_epochs, validation=validation,
                       batch=batch, step=step[0], step_end=step[1], alpha=pseudocount,
                       patience=patience, mi_bits=mi_bits, mi_samples=mi_samples, init=init,
                       seed=seed, smooth=smooth, atoms=atoms, relax=overrelax, qbits=qbits,
                       progress=not quiet)
    blob = model.to_bytes()
    with fileio.AtomicOutput(output, force) as f:
        f.write(blob)
    best = min(log["epochs"], key=lambda e: e["valid_bpd"]) if log["epochs"] else None
    stored = log["stored_valid_bpd"]
    say({"verbosity": 1 - quiet}, 1,
        f"{output}: HCLT M={latents} over {model.D} values (K={model.K}), {len(blob)} bytes, "
        f"id {short_id(model_id(blob))}; {log['train']} training / {log['valid']} validation records"
        + (f", best validation {best['valid_bpd']:.4f} bits/dim" if best else "")
        + (f" ({stored:.4f} as stored)" if stored is not None else ""))
    return 0
