"""Step 7 of training with no options: sparse cycles of prune, widen and train (as sparse PCs grow).

Once the dense model has flattened (full-batch EM gains under ``FLAT_GAIN`` bits per value
an epoch) or only the reserved end of the budget is left, each cycle

1. **prunes**: each variable keeps the fewest latent states that carry ``KEEP`` (99.5 %)
   of its posterior flow (:func:`pcz.learn.prune.prune`);
2. **widens** (if the budget leaves room for ``WIDEN_EPOCHS`` epochs): each variable's
   states times the largest factor up to ``WIDEN`` (1.3) that keeps the model's
   parameters (its size) and its transition products (its coding work: an edge costs
   m_parent m_v products each way, :func:`pcz.models.hclt_file.transition_entries`) within
   the dense model's (variables with much flow get most of the new states), copying the
   most used ones with noise
   (:func:`pcz.learn.prune.widen`), at most ``cap`` states per variable;
3. **trains** that model by full-batch EM until it too flattens or the budget ends.

A cycle's model replaces the best so far if its validation bits per value are lower (or, for
the first, at most ``SLACK`` above the dense model's: it is smaller); cycling stops when a
cycle does not improve or less than ``MIN_EPOCHS`` epochs' time is left.

>>> values(np.array([-1, 0, 0]), np.array([4, 2, 1]), 3), widened_states(np.array([4, 2, 1]), 1.3, 4).tolist()
(37, [4, 3, 2])
"""
import time

import numpy as np

from pcz.learn.prune import prune, widen
from pcz.models.hclt_file import transition_entries as products, used_values as values

KEEP = 0.995            # the share of each variable's state flow pruning keeps
WIDEN = 1.3             # the largest factor a cycle multiplies each variable's states by
WIDEN_EPOCHS = 10       # full-batch epochs the budget must leave for a widened model to pay off
MIN_EPOCHS = 2          # and for a cycle at all (so that pruning's flow and compiling do not overrun it)
FLAT_GAIN = 0.0003      # bits per value an epoch below which a model is trained no longer
SLACK = 0.0005          # validation bits per value a sparse model may lose to the dense one and be kept
MAX_FULL = 200


def widened_states(states: np.ndarray, factor: float, cap: int) -> np.ndarray:
    """Each variable's states times ``factor`` (rounded up, at least as many, at most ``cap``),
    as :func:`pcz.learn.prune.widen` makes them."""
    return np.minimum(np.maximum(states, np.ceil(states * factor).astype(np.int64)), cap)


def widen_factor(parent: np.ndarray, states: np.ndarray, K: int, budget: int, cap: int,
                 work: int | None = None) -> float:
    """The largest factor in [1, WIDEN] (in steps of 0.01) whose widened states keep the
    parameters within ``budget`` and the transition products within ``work`` (None: any);
    1.0 if none does.

    >>> parent = np.array([-1, 0, 0])
    >>> widen_factor(parent, np.array([4, 2, 1]), 3, 10**6, 8), widen_factor(parent, np.array([4, 2, 1]), 3, 37, 8)
    (1.3, 1.0)
    >>> widen_factor(parent, np.array([4, 2, 1]), 3, 10**6, 8, work=25)     # [5, 3, 2]: 5 x 3 + 5 x 2
    1.25
    """
    for factor in np.round(np.arange(WIDEN, 1.0, -0.01), 2):
        wide = widened_states(states, factor, cap)
        if values(parent, wide, K) <= budget and (work is None or products(parent, wide) <= work):
            return float(factor)
    return 1.0


def cycles(best: tuple, run, parent, Xt: np.ndarray, K: int, *, relax: float, cap: int, deadline: float,
           epoch_s: float, save, say, seed: int = 0, states=None) -> tuple[tuple, np.ndarray | None, list[dict]]:
    """Sparse cycles from ``best`` = (validation bits, dense params, M) until ``deadline``
    (the best returned keeps that M, the size it came from; its params are max(states) wide):
    ``run(M, states, **fit_options)`` trains a model with these states (returns (params,
    log)); ``epoch_s`` is the seconds of one full-batch epoch of the dense model; ``save(params,
    states)`` checkpoints.  Returns (best, its states or None if the dense one stays, the
    log of each cycle).  ``states``: those of ``best`` when it is already sparse (a resumed
    run goes on cycling from it)."""
    parent = np.asarray(parent)
    M = len(best[1][0])
    dense = np.full(len(parent), best[2])
    budget, work = values(parent, dense, K), products(parent, dense)     # the dense model's size and work
    current, best_states, done = best[1], states, []
    while deadline - time.perf_counter() > MIN_EPOCHS * epoch_s:      # else one could not pay off
        start, kept = prune(parent, current, Xt, KEEP, states)
        pruned, factor = float(kept.mean()), 1.0
        if deadline - time.perf_counter() > WIDEN_EPOCHS * epoch_s:
            factor = widen_factor(parent, kept, K, budget, cap, work)
        if factor > 1.0:
            start, kept = widen(parent, start, kept, factor, cap, seed + len(done))
        elif np.array_equal(kept, np.full(len(parent), M) if states is None else states):
            break                                                # nothing left to reshape
        t0 = time.perf_counter()
        params, log = run(int(kept.max()), kept, epochs=0, full_epochs=MAX_FULL, init=start, relax=relax,
                          until=deadline, min_gain=FLAT_GAIN, checkpoint=lambda p, s=kept: save(p, s))
        bits = min(e["valid_bpd"] for e in log)
        better = bits < best[0] or (best_states is None and bits <= best[0] + SLACK)
        done.append({"pruned": pruned, "widen": factor,
                     "states": float(kept.mean()), "max_states": int(kept.max()),
                     "values": values(parent, kept, K), "valid_bpd": bits, "epochs": len(log),
                     "seconds": time.perf_counter() - t0, "kept": bool(better)})
        say(f"cycle {len(done)}: pruned to {pruned:.1f}, widened x{factor:g} to {kept.mean():.1f} states per variable "
            f"(at most {kept.max()}): validation {bits:.4f} bits/value after {len(log)} full-batch epochs "
            f"({done[-1]['seconds']:.0f} s); " + ("kept" if better else f"{best[0]:.4f} kept"))
        if not better:
            break
        best, best_states = (bits, params, best[2]), kept          # best[2]: the dense size it came from
        save(params, kept)                  # fit checkpoints every few epochs: a short cycle may end first
        current, states = params, kept
    return best, best_states, done
