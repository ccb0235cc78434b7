"""``pcz train``: learn a record model (HCLT) from a .npy or IDX file or a folder of images,
or, without loading it, from a zarr array or an HDF5 dataset (``FILE.h5:/PATH``); ``-T N`` or
``--scheduler`` streams any of these but a folder (:mod:`pcz.learn.train_streamed`; docs/SCALE.md).

With none of the tuning options, training chooses them itself on the validation split
within ``--time-budget`` (:mod:`pcz.learn.auto`; docs/HCLT.md, "Training with no
options"); any tuning option (``-M``, ``--epochs``, ``--smooth``...) trains exactly as told.

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
import re

import click

from pcz import models
from pcz.runtime import fileio
from pcz.cli.dataset import CLUSTER_OPTIONS
from pcz.cli.options import say
from pcz.format.fields import MAX_MODEL, model_id
from pcz.errors import InputError, ModelError
from pcz.models.hclt_caps import MAX_K, MAX_M, MAX_QBITS, MIN_QBITS
from pcz.models import short_id


_DURATION = re.compile(r"(\d+(?:\.\d*)?)|(?:(\d+(?:\.\d*)?)h)?(?:(\d+(?:\.\d*)?)m)?(?:(\d+(?:\.\d*)?)s)?")


def parse_duration(text: str) -> float:
    """``--time-budget``: seconds, or numbers with h, m and s in that order.

    >>> parse_duration("15m"), parse_duration("90"), parse_duration("1.5h"), parse_duration("2h15m")
    (900.0, 90.0, 5400.0, 8100.0)
    """
    text = text.strip().lower()
    match = _DURATION.fullmatch(text)
    parts = match.groups() if match else ()          # (seconds alone, hours, minutes, seconds)
    value = sum(float(p or 0) * scale for p, scale in zip(parts, (1, 3600, 60, 1))) if any(parts) else -1.0
    if not (value > 0 and value < float("inf")):
        raise click.BadParameter(f"{text!r}: expected a duration such as 15m, 90s, 1h or 2h30m",
                                 param_hint="--time-budget")
    return value


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


def streamed_source(data: str, streaming: bool):
    """The source to read in slices when DATA is a zarr array or an HDF5 dataset, or when
    workers or a scheduler are given; None to load DATA into memory."""
    path = data.rpartition(":")[0] if not os.path.exists(data) and ":" in data else data
    if not os.path.exists(path):
        raise InputError(f"{data}: no such file or folder")
    head = b""
    if os.path.isfile(path):
        with open(path, "rb") as f:
            head = f.read(8)
    hdf5 = os.path.isfile(path) and (path != data or head == b"\x89HDF\r\n\x1a\n")
    zarr = os.path.isdir(path) and any(os.path.exists(os.path.join(path, n)) for n in ("zarr.json", ".zarray"))
    if not (streaming or hdf5 or zarr):
        return None
    if os.path.isdir(path) and not zarr:
        raise InputError(f"{data}: a folder of images trains in memory (without -T or --scheduler)")
    if head[:2] == b"\x1f\x8b":
        raise InputError(f"{data}: a gzipped record file trains in memory (without -T or --scheduler)")
    from pcz.dataset.sources import open_source      # the dataset extra, only when streaming
    return open_source(data)


def _cluster(func):
    for option in reversed(CLUSTER_OPTIONS):
        func = option(func)
    return func


@click.command()
@click.argument("data")
@click.option("-o", "--output", required=True, type=click.Path(), help="Model file to write.")
@click.option("--time-budget", default="15m", show_default=True,
              help="With no tuning options: the time training may take (90s, 15m, 8h, 2h30m); the "
                   "largest model that fits (and still gains on validation) is kept.")
@click.option("--max-latents", type=click.IntRange(1, MAX_M), default=64, show_default=True,
              help="With no tuning options: the largest number of latents tried (sparse "
                   "cycles then give busy variables up to twice as many, in as many parameters).")
@click.option("-M", "--latents", type=click.IntRange(1, MAX_M),
              help="Latent states per variable (a tuning option; --init's, or 16 when another is given).")
@click.option("--epochs", type=click.IntRange(0, 10_000), help="Mini-batch EM epochs (tuning; 10).")
@click.option("--full-epochs", type=click.IntRange(0, 10_000),
              help="Full-batch EM iterations after the mini-batch epochs (tuning; 5).")
@click.option("--validation", type=click.FloatRange(0, 0.5),
              help="Fraction of the records held out for choosing and early stopping "
                   "[default: 5 %, at least min(1000 records, 20 %)].")
@click.option("--batch", type=click.IntRange(1, 1 << 16), default=512, show_default=True,
              help="Records per mini-batch.")
@click.option("--step", type=(click.FloatRange(0, 1), click.FloatRange(0, 1)),
              help="Mini-batch EM step size, first and last epoch (tuning; 0.5 0.05).")
@click.option("--pseudocount", type=click.FloatRange(0),
              help="Pseudocount per distribution, spread over its outcomes; at least 1e-6 (tuning; 1).")
@click.option("--smooth", type=(click.FloatRange(0), click.FloatRange(0, 1)), metavar="SIGMA WEIGHT",
              help="Smooth emission counts along the value axis (ordinal values such as pixel "
                   "levels): a Gaussian of SIGMA levels, mixed in with WEIGHT (tuning; 0 0: off).")
@click.option("--atoms", help="Values left out of the smoothing (comma-separated, 'none'; tuning); "
                              "default: the spikes of the training histogram.")
@click.option("--overrelax", type=click.FloatRange(1, 3),
              help="Over-relax full-batch EM: steps this many times as long in log space "
                   "(tuning; 1: off; 1.7 roughly halves the epochs needed).")
@click.option("--qbits", type=click.IntRange(MIN_QBITS, MAX_QBITS), default=20, show_default=True,
              help="Bits per stored probability (16: smaller file, ~0.003 bits/value worse).")
@click.option("--patience", type=click.IntRange(0),
              help="Epochs without validation gain before stopping (tuning; 2).")
@click.option("--mi-bits", type=click.IntRange(1, 8), default=3, show_default=True,
              help="Bit depth of values when estimating mutual information.")
@click.option("--mi-samples", type=click.IntRange(2), default=10_000, show_default=True,
              help="Records used to estimate mutual information.")
@click.option("--init", "init_path", type=click.Path(exists=True, dir_okay=False),
              help="Start from this HCLT model (its tree; states copied up to --latents; tuning).")
@click.option("--prune", type=click.FloatRange(0, 1, min_open=True),
              help="With --init (tuning): keep per variable the fewest latent states that carry "
                   "this share of the posterior flow (e.g. 0.995), then train the pruned model.")
@click.option("--widen", type=click.FloatRange(1, 16),
              help="With --init (tuning; after --prune): multiply each variable's latent states by this "
                   "factor, at most -M, copying its most used ones, then train.")
@click.option("--transform", type=click.Choice(["auto", "none", "med", "med-rgb"]), default="auto",
              show_default=True,
              help="Code image records as residuals against the MED predictor (med; med-rgb: colour "
                   "channels 0 and 2 relative to 1), as values (none), or choose on validation (auto; "
                   "with tuning options or streamed: none, or --init's).")
@click.option("--resume", type=click.Path(exists=True, dir_okay=False),
              help="With no tuning options: go on from the checkpoint a stopped run wrote (and its .json "
                   "settings) for --time-budget more, with the steps it had left.")
@click.option("--checkpoint", type=click.Path(dir_okay=False),
              help="Write the best model so far to this file while training (after each size and every "
                   "5 full-batch epochs), to continue a stopped run from with --init.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("-f", "--force", is_flag=True, help="Overwrite the output file (and the checkpoint).")
@click.option("-q", "--quiet", count=True, help="No progress bar or summary.")
@_cluster
def train(data, output, time_budget, max_latents, latents, epochs, full_epochs, validation, batch, step,
          pseudocount, smooth, atoms, overrelax, qbits, patience, mi_bits, mi_samples, init_path, prune, widen,
          transform, resume, checkpoint, seed, force, quiet, workers, scheduler, worker_memory):
    """Learn an HCLT model for the records of DATA (.npy or IDX, optionally gzipped, of
    uint8, int8, bool, 16- or 32-bit integers; or a folder of same-size images), or of a
    uint8 zarr array or HDF5 dataset (FILE.h5:/PATH), read in slices, never loaded whole.

    With no tuning option, smoothing, over-relaxation, epochs and the number of latents
    are chosen on the validation records within --time-budget (streamed: on a sample of
    50,000 records within half of it, then full-batch epochs over all of them).  -T N or
    --scheduler streams the records through Dask workers (the model is the same for
    every number of workers)."""
    from pcz.engine.folders import folder_array      # numpy: imported when the command runs
    from pcz.engine.record_files import load_array
    from pcz.models.hclt import HcltModel
    budget = parse_duration(time_budget)
    tuning = {"latents": latents, "epochs": epochs, "full_epochs": full_epochs, "step": step,
              "pseudocount": pseudocount, "smooth": smooth, "atoms": atoms, "overrelax": overrelax,
              "patience": patience, "init": init_path, "prune": prune, "widen": widen}
    manual = any(v is not None for v in tuning.values())
    atoms = parse_atoms(atoms if atoms is not None else "auto")
    fileio.check_writable(output, force)
    source = streamed_source(data, bool(workers or scheduler))
    array = None if source is not None else folder_array(data) if os.path.isdir(data) else load_array(data)
    cluster = {"workers": workers or os.cpu_count() or 1, "scheduler": scheduler, "worker_memory": worker_memory}
    init = None
    if init_path is not None:
        with open(init_path, "rb") as f:
            init = models.load(f.read(MAX_MODEL + 1))
        if not isinstance(init, HcltModel):
            raise ModelError(f"{init_path}: not an HCLT model")
    if source is not None and transform not in ("auto", "none"):
        raise InputError(f"--transform {transform} trains in memory (without -T, --scheduler or a store)")
    if (prune is not None or widen is not None) and (source is not None or init is None):
        raise InputError("--prune and --widen need --init MODEL and train in memory "
                         "(without -T, --scheduler or a store)")
    if resume is not None and (manual or source is not None):
        raise InputError("--resume goes on with training with no tuning options, in memory "
                         "(without them, -T, --scheduler or a store)")
    if checkpoint is not None:
        if source is not None:
            raise InputError("--checkpoint trains in memory (without -T, --scheduler or a store)")
        if os.path.abspath(checkpoint) == os.path.abspath(output):
            raise InputError("--checkpoint must name another file than -o")
        fileio.check_writable(checkpoint, force)
    if manual:
        if source is None:
            from pcz.learn.train import train as learn   # JAX: only the training command imports it
            records, where = array, {}
        else:
            from pcz.learn.train_streamed import train_streamed as learn
            records, where = source, cluster
        step = step or (0.5, 0.05)
        model, log = learn(records, latents, **where, epochs=10 if epochs is None else epochs,
                           full_epochs=5 if full_epochs is None else full_epochs,
                           validation=validation, batch=batch,
                           step=step[0], step_end=step[1], alpha=1.0 if pseudocount is None else pseudocount,
                           patience=2 if patience is None else patience, mi_bits=mi_bits,
                           mi_samples=mi_samples, init=init, seed=seed, smooth=smooth or (0.0, 0.0),
                           atoms=atoms, relax=overrelax or 1.0, qbits=qbits, progress=not quiet,
                           **({} if source is not None else {"checkpoint": checkpoint, "prune": prune, "widen": widen}),
                           **({} if source is not None or transform == "auto" else {"transform": transform}))
        how = ""
    elif source is not None:
        from pcz.learn.train_streamed import auto_streamed
        model, log = auto_streamed(source, time_budget=budget, max_latents=max_latents, validation=validation,
                                   seed=seed, qbits=qbits, batch=batch, mi_bits=mi_bits, mi_samples=mi_samples,
                                   progress=not quiet, **cluster)
    else:
        from pcz.learn.auto import auto_train
        model, log = auto_train(array, time_budget=budget, max_latents=max_latents, validation=validation,
                                seed=seed, qbits=qbits, batch=batch, mi_bits=mi_bits, mi_samples=mi_samples,
                                progress=not quiet, transform=transform, checkpoint=checkpoint, resume=resume)
    if not manual:
        chosen = log["chosen"]
        sigma, weight = chosen["smooth"]
        how = (f"; chosen on validation: smoothing {f'sigma {sigma:g}' if weight else 'off'}, "
               f"transform {chosen.get('transform', 'none')}, "
               + ("shifted copies, " if chosen.get("shifted") else "")
               + f"over-relaxation {chosen['relax']}, {len(log['epochs'])} epochs, "
               f"{log['seconds']:.0f} s of a {budget:.0f} s budget")
    blob = model.to_bytes()
    with fileio.AtomicOutput(output, force) as f:
        f.write(blob)
    best = log.get("valid_bpd", min((e["valid_bpd"] for e in log["epochs"]), default=None))
    stored = log["stored_valid_bpd"]
    say({"verbosity": 1 - quiet}, 1,
        f"{output}: HCLT M={model.M}" + (f" (pruned: {model.states.mean():.1f} on average)" if model.pruned else "")
        + f" over {model.D} values (K={model.K}), {len(blob)} bytes, "
        f"id {short_id(model_id(blob))}; {log['train']} training / {log['valid']} validation records"
        + (f", best validation {best:.4f} bits/dim" if best is not None else "")
        + (f" ({stored:.4f} as stored)" if stored is not None else "") + how)
    return 0
