"""Training with no options: every setting chosen on the validation split, within a time budget.

What ``pcz train DATA -o M`` and ``pcz.train(array)`` do (docs/HCLT.md, "Training with no
options"):

1. **Validation split**: 5 % of the records, but at least min(1 000, 20 %) of them, so that
   small datasets still have enough held-out records to choose with.
2. **Structure**: the Chow-Liu tree of the training records, once per representation.
   The trials of steps 3 and 4 train on at most ``SELECT_RECORDS`` (10 000) training records,
   a random subset of larger sets, so that choosing costs the same on 60 000 or 600 000
   records and the budget goes to the model that is kept; the width they choose is then
   narrowed for all the records by (subset / all)^0.6 (``SET_EXPONENT``).
3. **Representation** (only for image-like records with more than two values, where the
   prediction transform applies: :func:`pcz.models.predict.candidates`): the first model
   (M = 8) is trained for 4 mini-batch EM epochs with smoothing (sigma 1, weight 1) on the
   records' values, on their MED residuals and, for 3 or more channels, on the residuals
   with channels 0 and 2 relative to 1 (:mod:`pcz.models.predict`); the best validation
   bits per value decides the representation (``log["chosen"]["transform"]``: ``"none"``,
   ``"med"`` or ``"med-rgb"``) for everything after.  ``transform`` other than ``"auto"`` forces it.
   **Smoothing** (only with more than two values): on the chosen representation, the same
   4 epochs without smoothing and with kernel widths sigma 1, 2, 4 (weight 1; sigma 1 is
   the run above; the ladder stops at the first width worse than the one before); the
   best validation bits per value decides.  So the representation costs one more short
   M = 8 run (two for colour).  Each doubling of M multiplies sigma by 2^0.4 (~1.32): an
   emission row then sees half the counts, and the best width measured over counts per
   row n went as n^-0.4 (docs/HCLT.md).
   **Tied parameters** (step 3a, where a prediction transform applies: residuals are alike
   at every position; :mod:`pcz.learn.ties`): on the residuals that did best above, the
   same 4 epochs with one emission table per channel and kind of position and one
   transition per kind of edge, from a tied start, without smoothing.  If that validates
   at least ``TIE_MARGIN`` (2 %) lower than every untied run above (a tied model learns
   faster, an untied one gains more from growth and epochs: docs/HCLT.md), those
   residuals, tied, are the representation from there on: the smoothing ladder and step
   3b are not run (the model is not smoothed, not trained on shifted copies), step 7
   neither (it is not pruned: step 6b instead), and its copies get noise per group
   (:func:`pcz.learn.train.grow`; ``log["chosen"]["tied"]``).
   **Shifted copies** (step 3b; untied images only, fewer than ``SELECT_RECORDS`` training records:
   :mod:`pcz.learn.augment`): the same 4 epochs on the training records and their 8 one-pixel
   shifts against 36 epochs (the same work) on the records alone; if the shifts give the
   lower validation bits per value, everything after trains on them too
   (``log["chosen"]["shifted"]``; the validation records are never shifted), unless with their
   epochs' seconds the plan of step 5 leaves no time to double M once.  The trial (twice 9 times
   the first run's 4 epochs, from the median epoch) is made only when it takes at most
   ``SHIFT_SHARE`` (a third) of the time left.
4. **Over-relaxation**: from there, 3 full-batch epochs with gamma 1 and with gamma 1.7;
   the better is kept for every later full-batch epoch (gamma is still halved whenever a
   step overshoots).
5. **Latents**: from the seconds per epoch measured at M = 8, scaled by M(M + K/8)
   (transitions and emissions), the largest M = 8 * 2^k (at most ``max_latents``, and
   small enough that files coded with the model decode within the decoder's default
   memory limit of 512 MiB: M = 64 for 28x28 images of 256 levels) is chosen whose
   growth fits in what is left of the budget: each doubling (its states
   copied, :func:`pcz.learn.train.grow`) 3 mini-batch epochs of step 0.2 to 0.05 and 3
   full-batch epochs, and room left for 10 full-batch epochs of the last size.  Each doubling runs
   its 3 + 3 epochs on all the training records and then the plan is made again with the
   measured ratio of the seconds per epoch of the last two sizes (so a size whose epochs
   are cheaper than the estimate leaves room for the next); growing stops early when a
   doubling gains under 0.001 bits per value on the validation records.
6. **Epochs**: the last size (or the best one, if growing stopped early) gets full-batch
   EM until the validation bits per value stop falling (patience 2, at most 200 epochs),
   gain under 0.0003 bits per value an epoch over 3 epochs (flat), or the budget is
   spent: no epoch starts after it, and ``PRUNE_FULL`` (6) epochs' time is kept for step 7
   (a tied model has no step 7: its epochs go on until the budget is spent or patience ends).
   **6b.** A tied model is then trained afresh from a tied start at the last size grown, as
   step 5 trains its doublings and then as here; the one of the lower validation bits per
   value is kept (``log["fresh_tied"]``: its validation; None if it had no epoch).  Copies of a tied model's states
   stay nearly alike, since EM pools their counts over whole groups: on photo patches the
   grown model gained nothing from M = 8, a fresh M = 32 did; on other sets the grown one
   went further (docs/HCLT.md).
7. **Sparse cycles** (:mod:`pcz.learn.sparse`; untied models) for the rest of the budget: prune each
   variable to the states that carry 99.5 % of its posterior flow; if at least 10 epochs
   are left, widen each variable's states by up to 1.3 (copies of its most used ones),
   as far as the model's parameters stay within the dense model's; train until flat.
   A cycle's model is kept if its validation bits per value are lower (the first one:
   at most 0.0005 above the dense model's, as it is smaller); cycling stops when one does
   not improve.  The model of the best validation bits per value is stored.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> a = rng.integers(0, 4, 800)
>>> X = np.stack([a, (a + 1) % 4, a // 2, rng.integers(0, 2, 800)], 1).astype(np.uint8)
>>> model, log = auto_train(X, time_budget=60, max_latents=8, progress=False)
>>> log["M"], model.M <= 2 * log["M"], sorted(log["chosen"])      # sparse cycles may widen variables
(8, True, ['M', 'relax', 'shifted', 'smooth', 'states', 'tied', 'transform'])
"""
import math
import sys
import time

import numpy as np

from pcz.errors import InputError
from pcz.format.fields import MAX_MODEL
from pcz.models import predict
from pcz.models.hclt import MAX_K, MAX_VALUES, HcltModel
from pcz.models.values import array_symbols
from pcz.learn.em import Trainer, fit
from pcz.learn.plan import GROW_MINI, SHORT_FULL, decodes_by_default, params_count, plan, widest
from pcz.learn import augment, resume as resumed_from, sparse
from pcz.learn.smoothing import Smoother, find_atoms
from pcz.learn.structure import chow_liu_tree
from pcz.learn.ties import image_ties
from pcz.learn.train import checked_transform, grow, split, store, validation_fraction
from pcz.learn.trials import (FIRST_MINI, NO_SMOOTHING, SIGMAS, best_bits, epoch_seconds, shift_trial,
                               smoothing_trials, tie_trial)
from pcz.runtime.fileio import AtomicOutput

START_M = 8
SIGMA_EXPONENT = 0.4      # the best width went as (records per emission row)^-0.4 ...
SIGMA_GROWTH = 2 ** SIGMA_EXPONENT   # ... so it grows by this factor each time M doubles
SET_EXPONENT = 0.6        # and as (training records)^-0.6 from 5 000 to 57 000 records (docs/HCLT.md)
RELAX = 1.7
RELAX_TRIAL, MAX_FULL = 3, 200
MIN_GAIN = 0.001          # bits per value a doubling of M must gain on validation to go on
DEFAULT_BUDGET = 15 * 60.0
SELECT_RECORDS = 10_000   # training records the START_M trials see (a random subset of larger sets)
PRUNE_FULL = 6            # full-batch epochs of the budget kept for step 7 (sparse cycles)


def _wider(smooth: tuple, counts: float = 0.5, exponent: float = SIGMA_EXPONENT) -> tuple:
    """The smoothing for emission rows that see ``counts`` times the records they saw: the
    best width goes as counts^-exponent, so twice the latent states (half the counts, the
    default) widen it by 2^0.4; a width chosen on a subset narrows for the whole set by
    (set / subset)^-SET_EXPONENT.

    >>> _wider((2.0, 1.0)), _wider((0.0, 0.0)), _wider((2.0, 1.0), 57_000 / 10_000, SET_EXPONENT)
    ((2.639, 1.0), (0.0, 0.0), (0.704, 1.0))
    """
    return (round(smooth[0] * counts ** -exponent, 3), smooth[1]) if smooth[1] else smooth


def _stage(M: int, smooth: tuple, log: list[dict], seconds: float, timed: list[dict], runs: int,
           scale: float = 1.0) -> dict:
    """A size tried: its smoothing, validation bits per value, epochs, and what its epochs cost
    (``scale``: the training records over those the timed epochs saw)."""
    mini, full = epoch_seconds(timed, "mini-batch EM"), epoch_seconds(timed, "full-batch EM")
    return {"M": M, "smooth": list(smooth), "valid_bpd": best_bits(log), "seconds": seconds, "epochs": log,
            "mini_s": mini and mini * scale, "full_s": full and full * scale,
            "full_epochs": sum(e["phase"] == "full-batch EM" for e in log),
            "overhead_s": max(0.0, (seconds - sum(e["seconds"] for e in timed)) / runs)}


def _shifted(array, train_idx, layout, shape, K: int, name: str, entry: tuple) -> tuple:
    """``entry`` (training symbols, validation symbols, tree, atoms) with the training records
    and their shifted copies (:func:`pcz.learn.augment.shifted`) in representation ``name``."""
    moved = augment.shifted(np.asarray(array)[train_idx])
    return (predict.code(array_symbols(moved, layout)[0], shape, K, name),) + tuple(entry[1:])


def _representations(transform: str, shape, planes: int, K: int) -> list[str]:
    """The transforms to try: where ``"auto"``, every one that applies (K > 2), else the one given.

    >>> _representations("auto", (8, 8), 1, 17), _representations("auto", (64,), 1, 17)
    (['none', 'med'], ['none'])
    >>> _representations("auto", (8, 8, 3), 1, 256), _representations("auto", (8, 8, 3), 1, 2)
    (['none', 'med', 'med-rgb'], ['none'])
    """
    if transform == "auto":
        return predict.candidates(shape, planes) if K > 2 else [predict.NONE]
    return [checked_transform(transform, shape, planes)]


def auto_train(array: np.ndarray, *, time_budget: float = DEFAULT_BUDGET, max_latents: int = 64,
               validation: float | None = None, seed: int = 0, qbits: int = 20, batch: int = 512,
               mi_bits: int = 3, mi_samples: int = 10_000, progress: bool = True,
               transform: str = "auto", checkpoint: str | None = None,
               resume: str | None = None, shifts: bool = True, ties: bool = True) -> tuple[HcltModel, dict]:
    """Learn an HCLT for the records ``array[i]`` choosing the representation (``transform``
    ``"auto"``; or ``"none"``, ``"med"``, ``"med-rgb"``), smoothing, over-relaxation, epochs and the number
    of latents on the validation split, within ``time_budget`` seconds.  ``checkpoint``: a path
    where the best model so far is written (replaced atomically) after each size and every 5
    epochs of the last full-batch EM, so a long run that is stopped leaves a model to continue
    from (``pcz train --init``), or to go on with what is left of these steps
    (``resume``: that path; :mod:`pcz.learn.resume`).  ``shifts``: whether step 3b may train
    on image records' shifted copies (off where the records trained on later are not these);
    ``ties``: whether step 3a may tie the parameters.
    Returns (model, log); log["chosen"] holds the choices, log["stages"] each size tried."""
    t_start = time.perf_counter()
    deadline = t_start + float(time_budget)
    array = np.asarray(array)
    if array.ndim < 1 or len(array) < 1:
        raise InputError("training data must be an array of at least 1 record")
    if not (math.isfinite(time_budget) and time_budget > 0) or max_latents < 1:
        raise InputError("the time budget and the largest number of latents must be positive")
    X, layout = array_symbols(array)
    K = max(2, int(X.max()) + 1)
    if K > MAX_K:
        raise InputError(f"values must be below K = {MAX_K}")
    N, D = X.shape
    train_idx, valid_idx = split(N, validation_fraction(N, validation), seed)
    shape = array.shape[1:] or (1,)
    resumed = None                  # (checkpoint model, its settings)
    if resume is not None:
        resumed = (resumed_from.model(resume, shape, D, K, MAX_MODEL),
                   resumed_from.settings(resume, records=N, valid=len(valid_idx), K=K))
    reps = [resumed[0].transform] if resumed else _representations(transform, shape, layout.planes, K)
    data = {}                       # representation -> (train, validation symbols, tree, atoms)
    for name in reps:
        Xc = predict.code(X, shape, K, name)
        tree = resumed[0].parent if resumed else chow_liu_tree(Xc[train_idx], K, mi_bits, mi_samples, seed)
        data[name] = (Xc[train_idx], Xc[valid_idx], tree, find_atoms(Xc[train_idx], K))
    t_structure = time.perf_counter() - t_start
    say = (lambda text: print(f"auto: {text}", file=sys.stderr, flush=True)) if progress else (lambda text: None)
    trainers: dict = {}
    n_train = len(train_idx)
    pick = None                     # the records of the START_M trials: a random subset of large sets
    if n_train > SELECT_RECORDS:
        pick = np.sort(np.random.default_rng(seed + 1).choice(n_train, SELECT_RECORDS, replace=False))
    n_pick = n_train if pick is None else SELECT_RECORDS

    def run(M, smooth, name=None, subset=False, until=None, states=None, tie=None, **options):
        name = name or chosen
        tie = tied if tie is None else tie
        Xt, Xv, parent, atoms = data[name]
        Xt = Xt[pick] if subset and pick is not None else Xt
        key = (name, tuple(smooth), None if states is None else states.tobytes(), tie)
        if key not in trainers and states is not None:     # a new cycle's states: the last cycle's
            for old in [k for k in trainers if k[2] is not None]:   # trainer is done with (its compiled
                del trainers[old]                                   # steps had piled up to LLVM's ENOMEM)
        if key not in trainers:           # one jitted trainer per smoothing (shapes retrace, not rebuild)
            trainers[key] = Trainer(parent, min(batch, max(1, len(Xt))), 1.0,
                                    smoother=Smoother(K, smooth[0], smooth[1], atoms), states=states,
                                    ties=image_ties(shape, parent) if tie else None)
        return fit(Xt, Xv, parent, K, M, batch=batch, seed=seed, progress=progress,
                   deadline=deadline if until is None else until, trainer=trainers[key], **options)

    def late():                         # past the budget: no optional trial starts
        return time.perf_counter() > deadline

    def save(params, states=None):
        if checkpoint:
            full_s = {st["M"]: st["full_s"] for st in stages}
            resumed_from.write(checkpoint, records=N, valid=len(valid_idx), K=K, transform=chosen, relax=relax,
                               smooth_of=smooth_of, full_s=full_s.get(best[2]), M=best[2], shifted=shifted,
                               tied=tied)
            with AtomicOutput(checkpoint, force=True) as f:
                f.write(store(data[chosen][2], params, shape, qbits, layout, X[valid_idx], chosen,
                              states).to_bytes())

    sparse_start = None                 # a resumed sparse model's states
    shifted = bool(resumed and resumed[1]["shifted"])     # training on shifted copies too (step 3b)
    tied = bool(resumed and resumed[1]["tied"])           # tied parameters (step 3a)
    tie_valid = None                                      # step 3a's validation bits per value
    if shifted:
        data[reps[0]] = _shifted(array, train_idx, layout, shape, K, reps[0], data[reps[0]])
    if resumed is None:                 # steps 3 to 5
        M = min(START_M, max_latents)
        t0 = time.perf_counter()
        smooth_first = (SIGMAS[0], 1.0) if K > 2 else (0.0, 0.0)
        first = [(best_bits(log), smooth_first, params, log, name) for name in reps
                 for params, log in [run(M, smooth_first, name, True, epochs=FIRST_MINI, full_epochs=0)]]
        chosen = min(first, key=lambda t: t[0])[4]
        if len(reps) > 1:
            say(f"transform {chosen}: validation " + ", ".join(f"{t[0]:.4f}" for t in first)
                + " bits/value with smoothing (" + ", ".join(reps) + ")")
        residuals = [t for t in first if t[4] != predict.NONE]
        if residuals and ties and not late():   # step 3a: residuals are alike everywhere: tie their parameters
            name = min(residuals, key=lambda t: t[0])[4]
            untied = min(t[0] for t in first)
            trial, tied = tie_trial(lambda: run(M, NO_SMOOTHING, name, subset=True, tie=True, epochs=FIRST_MINI,
                                                 full_epochs=0), name, untied, say)
            trials, tie_valid = [trial], trial[0]
            chosen = name if tied else chosen
        known = {smooth_first: next(t[:4] for t in first if t[4] == chosen)}
        if tied:                          # the tied model pools counts: it is neither shifted nor smoothed
            _, smooth, params, epochs_log = trials[0]
        else:
            if shifts and augment.applies(shape) and n_train < SELECT_RECORDS and augment.affordable(n_train, D):
                moved = shift_trial(run, say, data, chosen, smooth_first, known[smooth_first][3],
                                     lambda: _shifted(array, train_idx, layout, shape, K, chosen, data[chosen]),
                                     M, K, D, max_latents, deadline, qbits)
                if moved is not None:
                    shifted, data[chosen], known, n_train = True, moved, {}, len(moved[0])
                    if n_train > SELECT_RECORDS:
                        pick = np.sort(np.random.default_rng(seed + 2).choice(n_train, SELECT_RECORDS,
                                                                              replace=False))
                        n_pick = SELECT_RECORDS
            trials = smoothing_trials(lambda smooth: run(M, smooth, subset=True, epochs=FIRST_MINI,
                                                          full_epochs=0), K, known, late)
            _, smooth, params, epochs_log = min(trials, key=lambda t: t[0])
            say(f"smoothing {f'sigma {smooth[0]:g}' if smooth[1] else 'off'}: validation "
                + ", ".join(f"{t[0]:.4f}" for t in trials) + " bits/value ("
                + ", ".join(f"sigma {t[1][0]:g}" if t[1][1] else "off" for t in trials) + ")")
        parent = data[chosen][2]
        others = [t for t in first if t[4] != chosen]
        relax_trials = [] if late() else [
            (run(M, smooth, subset=True, epochs=0, full_epochs=RELAX_TRIAL, init=params, relax=g), g)
            for g in (1.0, RELAX)]
        if relax_trials:
            (params, log), relax = min(relax_trials, key=lambda t: best_bits(t[0][1]))
            say(f"over-relaxation {relax}: validation " + ", ".join(f"{best_bits(t[0][1]):.4f}" for t in relax_trials)
                + " bits/value (1, 1.7)")
        else:
            log, relax = [], RELAX
            say(f"over-relaxation {relax}, not tried: the time budget has run out")
        every = [e for t in trials + others for e in t[3]] + [e for t in relax_trials for e in t[0][1]]
        trial_smooth, smooth = smooth, _wider(smooth, n_train / n_pick, SET_EXPONENT)   # for all records
        if pick is not None:
            say(f"those trials saw {n_pick} of the {n_train} training records: sigma {smooth[0]:g} for all of them")
        stages = [_stage(M, smooth, epochs_log + log, time.perf_counter() - t0, every,
                         runs=len(trials) + len(others) + len(relax_trials), scale=n_train / n_pick)]
        best, smooth_of = (stages[0]["valid_bpd"], params, M), {M: smooth}

        save(params)
        target, stop = plan(stages, K, D, max_latents, deadline, qbits), None
        say(f"M={M}: validation {best[0]:.4f} bits/value; aiming at M={target} within the time budget")
        groups = image_ties(shape, parent) if tied else None      # a grown tied model's noise per group
        while M < target:
            if len(stages) > 1 and stages[-2]["valid_bpd"] - stages[-1]["valid_bpd"] < MIN_GAIN:
                stop = f"the last doubling gained under {MIN_GAIN} bits/value"
                break
            t0 = time.perf_counter()
            M *= 2
            smooth = smooth_of[M] = _wider(smooth)
            start = grow(HcltModel.from_float(parent, *best[1], shape, qbits, layout, chosen), M, seed, ties=groups)
            params, log = run(M, smooth, epochs=GROW_MINI, full_epochs=SHORT_FULL, step=0.2, step_end=0.05,
                              init=start, relax=relax)
            stages.append(_stage(M, smooth, log, time.perf_counter() - t0, log, runs=1))
            say(f"M={M}: validation {stages[-1]['valid_bpd']:.4f} bits/value ("
                + (f"smoothing sigma {smooth[0]:g}, " if smooth[1] else "") + f"{stages[-1]['seconds']:.0f} s)")
            if stages[-1]["valid_bpd"] < best[0]:
                best = (stages[-1]["valid_bpd"], params, M)
                save(params)
            target = max(M, plan(stages, K, D, max_latents, deadline, qbits))   # with this size's epoch times
        stop = stop or (f"the largest number of latents allowed ({max_latents})" if 2 * M > max_latents
                        else "the model file's size limit" if params_count(D, 2 * M, K) > MAX_VALUES
                        else "the decoder's default memory limit" if not decodes_by_default(D, 2 * M, K, qbits)
                        else "the time budget")
    else:                               # go on from a checkpoint: steps 6 and 7
        start, settings = resumed
        chosen, relax, smooth_of = start.transform, settings["relax"], settings["smooth_of"]
        dense = not start.pruned and start.M <= settings["M"]      # else pruned or widened: cycling
        M = start.M if dense else settings["M"]
        if M not in smooth_of:
            raise InputError(f"{resume}: its settings have no smoothing for M = {M}")
        sparse_start = None if dense else start.states
        first, trial_smooth, stop = [], smooth_of[M], "resumed from a checkpoint"
        best = (start.validation[1] if start.validation else math.inf,
                (start.prior, start.transition, start.emission), M)
        stages = [{"M": M, "smooth": list(smooth_of[M]), "valid_bpd": best[0], "seconds": 0.0, "epochs": [],
                   "mini_s": None, "full_s": settings["full_s"], "full_epochs": 0, "overhead_s": 0.0}]
        say(f"resumed from {resume}: M={M}, validation {best[0]:.4f} bits/value"
            + ("" if dense else f", {start.states.mean():.1f} states per variable"))
    parent = data[chosen][2]
    stage = stages[[s["M"] for s in stages].index(best[2])]
    # step 6: full-batch EM until flat, step 7's epochs kept aside; a tied model (no step 7)
    # goes on while it improves at all
    until = deadline if tied else deadline - PRUNE_FULL * (stage["full_s"] or 0.0)
    if sparse_start is None and time.perf_counter() < until:
        t0 = time.perf_counter()
        params, log = run(best[2], smooth_of[best[2]], epochs=0, full_epochs=MAX_FULL, init=best[1],
                          relax=relax, checkpoint=save if checkpoint else None, until=until,
                          min_gain=0.0 if tied else sparse.FLAT_GAIN)
        stage["epochs"] += log
        if best_bits(log) < best[0]:
            best = (best_bits(log), params, best[2])
        say(f"M={best[2]}: validation {best[0]:.4f} bits/value after {len(log)} more full-batch epochs "
            f"({time.perf_counter() - t0:.0f} s)")
    fresh, fresh_log = None, []         # step 6b (tied models): a fresh start at the last size
    if tied and first and time.perf_counter() < deadline:
        M_last = stages[-1]["M"]
        params, fresh_log = run(M_last, NO_SMOOTHING, epochs=GROW_MINI, full_epochs=MAX_FULL, step=0.2,
                                step_end=0.05, relax=relax, min_gain=0.0)
        fresh = best_bits(fresh_log) if fresh_log else None        # None: the budget ended before an epoch
        say(f"a fresh tied start at M={M_last}: " + ("no time left" if fresh is None else
            f"validation {fresh:.4f} bits/value ({'kept' if fresh < best[0] else 'not kept'}; {best[0]:.4f} grown)"))
        if fresh is not None and fresh < best[0]:
            best = (fresh, params, M_last)
            save(params)
    states, cycles = sparse_start, []
    if time.perf_counter() < deadline and not tied:                     # step 7: sparse cycles
        def run_sparse(M, states, **options):
            return run(M, smooth_of[best[2]], states=states, **options)

        best, states, cycles = sparse.cycles(
            best, run_sparse, parent, data[chosen][0], K, relax=relax, cap=widest(D, best[2], K, qbits),
            deadline=deadline, epoch_s=stage["full_s"] or 0.0, save=save, say=say, seed=seed, states=sparse_start)
    best_params, best_M = best[1], best[2]
    model = store(parent, best_params, shape, qbits, layout, X[valid_idx], chosen, states)
    log = {"records": N, "train": len(train_idx), "valid": len(valid_idx), "K": K, "M": best_M,
           "chosen": {"M": best_M, "smooth": list(smooth_of[best_M]), "relax": relax, "transform": chosen,
                      "shifted": shifted, "tied": tied,
                      "states": None if states is None else float(np.mean(states))},
           "transform_trials": {t[4]: t[0] for t in first} if len(reps) > 1 else {},
           "tie_trial": tie_valid, "fresh_tied": fresh,
           "selection": {"records": n_pick, "smooth": list(trial_smooth)},
           "stopped_growing": stop, "cycles": cycles,
           "stages": [{k: v for k, v in s.items() if k != "epochs"} for s in stages],
           "epochs": [e for s in stages for e in s["epochs"]] + fresh_log, "valid_bpd": best[0],
           "structure_s": t_structure,
           "seconds": time.perf_counter() - t_start, "time_budget": time_budget, "qbits": qbits,
           "stored_valid_bpd": None if model.validation is None else model.validation[1]}
    say(f"chose M={best_M}; stopped growing at {stop}")
    return model, log
