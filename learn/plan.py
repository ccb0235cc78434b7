"""How big a model the time and the decoder's memory allow (:mod:`pcz.learn.auto`, step 5).

Each doubling of M costs ``GROW_MINI`` mini-batch and ``SHORT_FULL`` full-batch epochs,
the last size ``FINAL_FULL`` more; a model is only grown as far as its file stays within
the size limit and files coded with it decode within the default memory limit.
"""
import time

from pcz.engine.pipeline import DEFAULT_MEMORY
from pcz.models.hclt import MAX_VALUES, working_bytes

GROW_MINI, SHORT_FULL, FINAL_FULL = 3, 3, 10


def params_count(D: int, M: int, K: int) -> int:
    return M + (D - 1) * M * M + D * M * K


def decodes_by_default(D: int, M: int, K: int, qbits: int) -> bool:
    """Whether files coded with such a model decode within the decoder's default memory
    limit (``--memory``, 512 MiB): the coding tables, the model file (at most qbits/8
    bytes a parameter) and 32 MiB for the reader and a chunk.

    >>> decodes_by_default(784, 64, 256, 20), decodes_by_default(784, 128, 256, 20)
    (True, False)
    """
    return working_bytes(D, K, M, qbits) + -(-qbits // 8) * params_count(D, M, K) + (32 << 20) <= DEFAULT_MEMORY


def may_grow(D: int, M: int, K: int, qbits: int) -> bool:
    return params_count(D, M, K) <= MAX_VALUES and decodes_by_default(D, M, K, qbits)


def widest(D: int, M: int, K: int, qbits: int) -> int:
    """The most latent states a sparse cycle gives a variable: up to 2M, as far as a model that
    wide stays within the file's size limit and decodes within the default memory limit.

    >>> widest(784, 64, 256, 20), widest(64, 8, 17, 20)
    (96, 16)
    """
    return max([M] + [m for m in range(M + 1, 2 * M + 1) if may_grow(D, m, K, qbits)])


def plan(stages: list[dict], K: int, D: int, max_latents: int, deadline: float, qbits: int = 20) -> int:
    """The largest M (the last size tried times a power of 2) whose growth fits before the
    deadline: each doubling 3 mini-batch and 3 full-batch epochs, the last one 10 full-batch
    epochs; seconds per epoch scaled from the last size tried by M(M + K/8), or by the
    ratio measured between the last two sizes."""
    last = stages[-1]
    M, t_mini, t_full = last["M"], last["mini_s"], last["full_s"]
    t_mini = t_mini if t_mini is not None else t_full
    if t_full is None:
        return M
    measured = None
    if len(stages) > 1 and stages[-2]["full_s"]:
        measured = min(4.0, max(1.0, t_full / stages[-2]["full_s"]))
    remaining, spent, best = deadline - time.perf_counter(), 0.0, M
    while can_double(D, M, K, max_latents, qbits):
        ratio = measured or (2 * M * (2 * M + K / 8)) / (M * (M + K / 8))
        t_mini, t_full = t_mini * ratio, t_full * ratio
        if spent + last["overhead_s"] + GROW_MINI * t_mini + FINAL_FULL * t_full > remaining:
            break
        spent += last["overhead_s"] + GROW_MINI * t_mini + SHORT_FULL * t_full
        M, best = 2 * M, 2 * M
    return best


def can_double(D: int, M: int, K: int, max_latents: int, qbits: int) -> bool:
    """Whether M may be doubled, time aside: allowed, a valid model, decodable by default."""
    return 2 * M <= max_latents and may_grow(D, 2 * M, K, qbits)
