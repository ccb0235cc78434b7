"""The trials of :func:`pcz.learn.auto.auto_train`'s step 3 (docs/HCLT.md, "Training with no
options"): each trains the first, small model a few mini-batch epochs one way, and the way
that validates best is kept: smoothing widths, tied parameters (step 3a), shifted copies
(step 3b).  ``run(...)`` trains (auto_train's closure over its data); none starts a further
optional trial once the time budget has run out.
"""
import math
import time

import numpy as np

from pcz.learn import augment
from pcz.learn.plan import can_double, plan

FIRST_MINI = 4            # mini-batch epochs of each trial
SIGMAS = (1.0, 2.0, 4.0)   # smoothing kernel widths tried at START_M (weight 1), narrowest first
NO_SMOOTHING = (0.0, 0.0)
TIE_MARGIN = 0.02         # step 3a keeps tied parameters if they validate this much (relatively) lower
SHIFT_SHARE = 1 / 3       # step 3b's trial is run when it takes at most this share of the time left


def best_bits(log: list[dict]) -> float:
    """The lowest validation bits per value of an epoch log (inf when it is empty).

    >>> best_bits([{"valid_bpd": 3.5}, {"valid_bpd": 3.4}]), best_bits([])
    (3.4, inf)
    """
    return min(e["valid_bpd"] for e in log) if log else math.inf


def epoch_seconds(log: list[dict], phase: str) -> float | None:
    """The median seconds of the log's epochs of ``phase`` (None when there are none).

    >>> epoch_seconds([{"phase": "full-batch EM", "seconds": 2.0}], "full-batch EM")
    2.0
    """
    times = [e["seconds"] for e in log if e["phase"] == phase]
    return float(np.median(times)) if times else None


def smoothing_trials(run, K: int, known: dict | None = None, late=lambda: False) -> list[tuple]:
    """(validation bits, (sigma, weight), params, log) of the first model trained without
    smoothing and with each width of ``SIGMAS`` (values with K > 2 only), stopping at the
    first width that does worse than the one before it, or once ``late()`` (the time budget
    has run out: no further trial starts); ``known`` maps a smoothing already run to its trial."""
    trials = []
    for sigma in (0.0,) + (SIGMAS if K > 2 else ()):
        smooth = (sigma, 1.0 if sigma else 0.0)
        if known and smooth in known:
            trials.append(known[smooth])
            continue
        if trials and late():
            break
        params, log = run(smooth)
        trials.append((best_bits(log), smooth, params, log))
        if sigma > SIGMAS[0] and trials[-1][0] >= trials[-2][0]:
            break
    return trials


def tie_trial(run, name: str, untied: float, say) -> tuple[tuple, bool]:
    """Step 3a: the first model trained tied on the residuals ``name`` (:mod:`pcz.learn.ties`,
    without smoothing: each emission row pools the counts of a whole group), as a trial
    (validation bits, smoothing, params, log), and whether it is kept: when it validates
    ``TIE_MARGIN`` lower than the best untied run (``untied``)."""
    params, log = run()
    kept = best_bits(log) < (1 - TIE_MARGIN) * untied
    say(f"tied parameters ({name}) {'kept' if kept else 'not kept'}: validation "
        f"{best_bits(log):.4f} against {untied:.4f} bits/value untied")
    return (best_bits(log), NO_SMOOTHING, params, log), kept


def shift_trial(run, say, data: dict, chosen: str, smooth: tuple, first_log: list, make, M: int, K: int, D: int,
                 max_latents: int, deadline: float, qbits: int) -> tuple | None:
    """Step 3b: the training entry with the shifted copies (``make()``) if they validate better than
    the records alone in the same work and leave time to double M; else None."""
    trial_s = 2 * augment.COPIES * FIRST_MINI * (epoch_seconds(first_log, "mini-batch EM") or 0.0)
    left = deadline - time.perf_counter()
    if trial_s > SHIFT_SHARE * left:
        say(f"shifted copies not tried: their trial would take about {trial_s:.0f} s of the {left:.0f} s left")
        return None
    data["shifted"] = make()
    try:
        plain = run(M, smooth, epochs=augment.COPIES * FIRST_MINI, full_epochs=0)
        moved = run(M, smooth, "shifted", epochs=FIRST_MINI, full_epochs=0)
    finally:
        entry = data.pop("shifted")
    kept = best_bits(moved[1]) < best_bits(plain[1])
    say(f"shifted copies {'kept' if kept else 'not kept'}: validation {best_bits(moved[1]):.4f} "
        f"against {best_bits(plain[1]):.4f} bits/value in the same work")
    t_epoch = epoch_seconds(moved[1], "mini-batch EM") or 0.0       # a full-batch epoch takes about as long
    if kept and plan([{"M": M, "mini_s": t_epoch, "full_s": t_epoch, "overhead_s": 0.0}], K, D, max_latents,
                      deadline, qbits) == M and can_double(D, M, K, max_latents, qbits):
        say("shifted copies not kept after all: with them the budget leaves no time to double M")
        return None
    return entry if kept else None
