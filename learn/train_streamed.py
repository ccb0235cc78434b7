"""Training an HCLT on records that stay in their store (zarr, HDF5, .npy/IDX): beyond memory.

:func:`train_streamed` does what :func:`pcz.learn.train.train` does, reading the records
in slices (:mod:`pcz.learn.streamed`) on Dask workers or in this process:

1. **Validation records**: the same rule as in memory (a seeded random ``validation``
   fraction of the records, never all), but at most ``MAX_VALID`` (50 000) records: they
   are held in memory to score every epoch.
2. **One scan** of the store: per-column histograms of the training records (the initial
   emissions, the smoothing's atoms), the largest value (K), and the rows of the
   validation records and of the structure sample: ``mi_samples`` training records
   drawn exactly as :func:`pcz.learn.structure.mutual_information` draws them in memory.
3. **Structure**: the Chow-Liu tree of that sample.
4. **EM**: mini-batch epochs here, partition by partition in a seeded order; full-batch
   epochs as a map-reduce on the workers (:mod:`pcz.learn.partition`: fixed partitions,
   exact fixed-point sums).

With the same options, full-batch EM gives the model :func:`pcz.learn.train.train` gives
in memory, byte for byte, and mini-batch EM the same model on any number of workers (its
order of records is per partition, not the in-memory one's).  :func:`auto_streamed`
chooses the settings on an in-memory sample (:func:`pcz.learn.auto.auto_train`) and
then runs full-batch epochs over the whole store.

>>> import numpy as np
>>> from pcz.learn.streamed import ArraySource
>>> rng = np.random.default_rng(0)
>>> a = rng.integers(0, 4, 600)
>>> X = np.stack([a, (a + 1) % 4, a // 2], 1).astype(np.uint8)
>>> model, log = train_streamed(ArraySource(X), 4, epochs=1, full_epochs=2, batch=64,
...                             scheduler="synchronous", progress=False)
>>> model.D, model.K, model.M, log["valid"]
(3, 4, 4, 120)
"""
import math
import sys
import time

import numpy as np

from pcz.dataset.jobs import Runner
from pcz.errors import InputError
from pcz.models.hclt import MAX_K, MAX_QBITS, MIN_QBITS, HcltModel
from pcz.models.values import array_symbols
from pcz.learn.em import fit
from pcz.learn.smoothing import Smoother, atoms_of
from pcz.learn.streamed import Streamed, scan
from pcz.learn.structure import chow_liu_tree
from pcz.learn.train import default_latents, grow, init_states, store, validation_fraction

MAX_VALID = 50_000        # validation records at most (held in memory)
AUTO_SAMPLE = 50_000      # training records auto_streamed chooses its settings on


def held_out(N: int, validation: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(training, validation) positions: :func:`pcz.learn.train.split`'s rule, with at most
    ``MAX_VALID`` validation records.

    >>> [len(i) for i in held_out(100, 0.05)], len(held_out(2_000_000, 0.05)[1])
    ([95, 5], 50000)
    """
    if not 0 <= validation < 1:
        raise InputError("validation fraction must be in [0, 1)")
    perm = np.random.default_rng(seed).permutation(N)
    n_valid = min(int(round(N * validation)), N - 1, MAX_VALID)
    return np.sort(perm[n_valid:]), np.sort(perm[:n_valid])


def structure_sample(train_pos: np.ndarray, samples: int, seed: int) -> np.ndarray:
    """Positions of the records the structure is learnt on: those
    :func:`pcz.learn.structure.mutual_information` picks from the training records."""
    n = len(train_pos)
    if n <= samples:
        return train_pos
    return train_pos[np.sort(np.random.default_rng(seed).choice(n, samples, replace=False))]


def _widen(params, K: int):
    """Parameters whose emissions cover K values: values above the model's get a small
    probability (1e-6 of the row; the model chosen on a sample may not have seen them)."""
    prior, trans, emit = params
    if emit.shape[2] < K:
        emit = np.concatenate([emit, np.full((*emit.shape[:2], K - emit.shape[2]), 1e-6)], axis=2)
        emit = emit / emit.sum(-1, keepdims=True)
    return prior, trans, emit


def _say(progress: bool):
    return (lambda text: print(f"train: {text}", file=sys.stderr, flush=True)) if progress else (lambda text: None)


def train_streamed(source, latents: int | None = None, *, epochs: int = 10, full_epochs: int = 5,
                   validation: float | None = None, batch: int = 512, step: float = 0.5,
                   step_end: float = 0.05, alpha: float = 1.0, patience: int = 2, mi_bits: int = 3,
                   mi_samples: int = 10_000, init: HcltModel | None = None, seed: int = 0, smooth=(0.0, 0.0), atoms=None,
                   relax: float = 1.0, qbits: int = 20, progress: bool = True, workers: int | None = None,
                   scheduler=None, worker_memory=None, deadline: float | None = None) -> tuple[HcltModel, dict]:
    """Learn an HCLT for the uint8 records of ``source`` (a :class:`pcz.dataset.sources.Source`
    or :class:`pcz.learn.streamed.ArraySource`) without loading them: the options of
    :func:`pcz.learn.train.train`; ``workers``/``scheduler``/``worker_memory`` as for
    :func:`pcz.pack` (:class:`pcz.dataset.jobs.Runner`); ``deadline`` (a
    :func:`time.perf_counter` value): no epoch starts after it.  Returns (model, log)."""
    t0 = time.perf_counter()
    N = source.shape[0]
    if N < 1:
        raise InputError("training data must be an array of at least 1 record")
    validation = validation_fraction(N, validation)       # the default: as in memory
    latents = default_latents(latents, init)
    if not all(math.isfinite(v) for v in (validation, step, step_end, alpha, relax, *smooth)):
        raise InputError("training options must be finite")
    if not MIN_QBITS <= qbits <= MAX_QBITS:
        raise InputError(f"qbits must be {MIN_QBITS} to {MAX_QBITS}")
    say = _say(progress)
    train_pos, valid_pos = held_out(N, validation, seed)
    shape = tuple(source.shape[1:]) or (1,)
    layout = array_symbols(np.zeros((1, *source.shape[1:]), np.uint8))[1]
    sample = structure_sample(train_pos, mi_samples, seed) if init is None else train_pos[:0]
    wanted = np.union1d(valid_pos, sample)
    with Runner(workers, scheduler, worker_memory) as run:
        say(f"scanning {N} records on {run.workers} worker(s)")
        stats = scan(source, run, valid_pos, wanted)
        K = max(2, stats.max + 1, init.K if init is not None else 2)
        if K > MAX_K:
            raise InputError(f"values must be below K = {MAX_K}")
        at = np.searchsorted(wanted, valid_pos)
        X_valid = stats.rows[at]
        D = stats.rows.shape[1]
        states = init_states(init, latents)                 # a pruned model stays pruned
        if init is None:
            parent, start = chow_liu_tree(stats.rows[np.searchsorted(wanted, sample)], K, mi_bits,
                                          mi_samples, seed), None
        else:
            if init.transform != "none":
                raise InputError(f"the initial model codes with the {init.transform} transform; "
                                 "streamed training learns values only (train in memory)")
            if init.D != D or init.M > latents or init.layout != layout:
                raise InputError(f"the initial model (D={init.D}, K={init.K}, M={init.M}) does not fit "
                                 f"these records (D={D}, K={K}) and {latents} latents")
            parent, start = init.parent, _widen(grow(init, latents, seed), K)
        hist = stats.hist[:, :K]
        smoother = Smoother(K, smooth[0], smooth[1], atoms_of(hist.sum(0)) if atoms is None else atoms)
        data = Streamed(source, valid_pos, hist, run, parent, batch)
        t1 = time.perf_counter()
        say(f"structure from {len(sample)} records, {time.perf_counter() - t0:.1f} s; EM over "
            f"{data.n} training records in {len(data.ranges)} partitions")
        params, epochs_log = fit(data, X_valid, parent, K, latents, epochs=epochs, full_epochs=full_epochs,
                                 batch=batch, step=step, step_end=step_end, alpha=alpha, patience=patience,
                                 seed=seed, progress=progress, init=start, smoother=smoother, relax=relax,
                                 deadline=deadline, states=states)
        t2 = time.perf_counter()
        workers_used = run.workers
    model = store(parent, params, shape, qbits, layout, X_valid, states=states)
    peaks = {pid: max(stats.peak_rss.get(pid, 0), data.peak_rss.get(pid, 0))
             for pid in set(stats.peak_rss) | set(data.peak_rss)}
    log = {"records": N, "train": data.n, "valid": len(valid_pos), "K": K, "M": latents,
           "smooth": list(smooth), "atoms": smoother.atoms, "relax": relax, "qbits": qbits,
           "structure_s": t1 - t0, "em_s": t2 - t1, "epochs": epochs_log, "workers": workers_used,
           "partitions": len(data.ranges), "tasks": data.tasks, "peak_rss_per_worker": peaks,
           "e_step_cpu_s": data.epoch_cpu,
           "stored_valid_bpd": None if model.validation is None else model.validation[1]}
    return model, log


def auto_streamed(source, *, time_budget: float, max_latents: int = 64, validation: float | None = None,
                  seed: int = 0, qbits: int = 20, batch: int = 512, mi_bits: int = 3, mi_samples: int = 10_000,
                  progress: bool = True, workers: int | None = None, scheduler=None,
                  worker_memory=None) -> tuple[HcltModel, dict]:
    """:func:`pcz.learn.auto.auto_train` on ``AUTO_SAMPLE`` seeded training records read from
    the store, within half of ``time_budget``; then, from its model (tree, M, smoothing,
    over-relaxation), full-batch EM over all the training records until the validation
    bits stop falling (patience 2, at most 30 epochs) or the budget is spent."""
    from pcz.learn.auto import MAX_FULL, auto_train
    t0 = time.perf_counter()
    N = source.shape[0]
    if not (math.isfinite(time_budget) and time_budget > 0):
        raise InputError("the time budget must be positive")
    fraction = 0.05 if validation is None else validation
    train_pos, _ = held_out(N, fraction, seed)
    sample = structure_sample(train_pos, AUTO_SAMPLE, seed + 1)
    with Runner(workers, scheduler, worker_memory) as run:     # one cluster for both passes
        rows = scan(source, run, np.zeros(0, np.int64), sample).rows
        records = rows.reshape(len(rows), *source.shape[1:])
        _say(progress)(f"choosing the settings on {len(rows)} records within {time_budget / 2:.0f} s")
        # streamed EM reads the values as stored: no residuals, no shifted copies
        chosen_model, auto_log = auto_train(records, time_budget=time_budget / 2, max_latents=max_latents,
                                            seed=seed, qbits=qbits, batch=batch, mi_bits=mi_bits,
                                            mi_samples=mi_samples, progress=progress,
                                            transform="none", shifts=False)
        chosen = auto_log["chosen"]
        model, log = train_streamed(source, chosen_model.M, epochs=0, full_epochs=MAX_FULL,
                                    validation=fraction, batch=batch, init=chosen_model, seed=seed,
                                    smooth=tuple(chosen["smooth"]), relax=chosen["relax"], qbits=qbits,
                                    progress=progress, scheduler=run.client or "synchronous",
                                    deadline=t0 + time_budget)
    log |= {"chosen": chosen, "sample": len(rows), "auto": {k: v for k, v in auto_log.items() if k != "epochs"},
            "epochs": auto_log["epochs"] + log["epochs"], "seconds": time.perf_counter() - t0,
            "time_budget": time_budget}
    return model, log
