"""The constants, tables and configurations of the ``cm`` model (:mod:`pcz.coders.cm`),
in plain numpy, so that the pure-Python coder for short chunks (:mod:`pcz.coders.cm_small`)
and the decoder's memory bound use them without importing numba.

>>> sq, st, nxt, total, p0, step = tables()
>>> len(sq), len(st), N_MODELS
(4095, 4096, 6)
"""
import decimal
from functools import lru_cache

import numpy as np

M32 = 0xFFFFFFFF
WORD = 100            # pseudo-order: the current word (letters, case-folded)
MAX_TABLE_BITS = 22   # per context model: at most 2**22 bytes
MIN_TABLE_BITS = 17   # order 1 is direct: 256 x 17 slots of 16 bytes
MATCH_MAX_BITS = 22
APM_ROWS = 2048       # the APM's context: the partial byte and the previous byte's top 3 bits
N_MODELS = 6          # context models (a constant: the compiler unrolls their loops)
W_SETS = (N_MODELS + 1) * 4 * 8 * 4   # mixer weight sets: known contexts x match x bit x c1 >> 6

# Configurations by mode byte (part of the format: never change one, add a new mode).
# orders: the context models; match_min: bytes a match must share; rate, boost: the mixer's
# step (rate + boost * 65536 / (bytes so far + 4096), in 1/65536 of err * input); limit: the
# state maps' count limit; apm_rate: the APM's step (shift); apm_share: the APM's part of
# the final probability, out of 4; extra: table size, log2(chunk size) + extra bits;
# half: count states halve the other count above this.
CONFIGS = {1: dict(orders=(1, 2, 3, 4, 6, WORD), match_min=6, rate=12, boost=4, limit=255, apm_rate=6,
                   apm_share=3, extra=3, half=2)}
assert all(len(c["orders"]) == N_MODELS for c in CONFIGS.values())
PROBE = 1 << 16       # the encoder gives up when the first PROBE bytes of a larger chunk save nothing


def squash_table() -> np.ndarray:
    """``squash(d) = 65536 / (1 + exp(-d / 256))`` for d = -2047..2047, rounded and clamped
    to [1, 65535], from exact decimal arithmetic (the same on every machine).

    >>> sq = squash_table()
    >>> int(sq[0]), int(sq[2047]), int(sq[4094]), bool((np.diff(sq) >= 0).all())
    (22, 32768, 65514, True)
    """
    ctx = decimal.Context(prec=50)
    step = ctx.exp(decimal.Decimal(1) / 256)            # e^(1/256), correctly rounded
    out = np.zeros(4095, dtype=np.int64)
    e = ctx.power(step, 2047)                          # e^(2047/256) = exp(-d/256) at d = -2047
    for i in range(4095):
        p = ctx.divide(65536, ctx.add(1, e))
        out[i] = min(65535, max(1, int(p.to_integral_value(rounding=decimal.ROUND_HALF_EVEN))))
        e = ctx.divide(e, step)
    return out


def stretch_table(sq: np.ndarray) -> np.ndarray:
    """The inverse of ``sq`` on 12-bit probabilities: for p = 0..4095 the d (-2047..2047)
    whose squash is nearest above ``16 p + 8``.

    >>> st = stretch_table(squash_table())
    >>> int(st[0]), int(st[2048]), int(st[4095]), bool((np.diff(st) >= 0).all())
    (-2047, 1, 2047, True)
    """
    d = np.searchsorted(sq, 16 * np.arange(4096) + 8) - 2047
    return np.clip(d, -2047, 2047).astype(np.int64)


def state_tables(half: int = 2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(next state (256, 2), total count per state, initial 22-bit probability per state)
    for count states ``16 n0 + n1``.

    >>> nxt, total, p0 = state_tables()
    >>> int(nxt[0, 1]), int(nxt[16 * 5, 1]), int(total[16 * 5 + 1]), int(p0[0]) == 1 << 21
    (1, 49, 6, True)
    """
    nxt = np.zeros((256, 2), dtype=np.int64)
    total = np.zeros(256, dtype=np.int64)
    p0 = np.zeros(256, dtype=np.int64)
    for n0 in range(16):
        for n1 in range(16):
            s = 16 * n0 + n1
            total[s] = n0 + n1
            p0[s] = ((5 * n1 + 2) << 22) // (5 * (n0 + n1) + 4)
            for b in (0, 1):
                c = [n0, n1]
                c[b] = min(c[b] + 1, 15)
                if c[1 - b] > half:
                    c[1 - b] = (c[1 - b] + 1) // 2
                nxt[s, b] = 16 * c[0] + c[1]
    return nxt, total, p0


@lru_cache(maxsize=4)
def tables(half: int = 2) -> tuple:
    """The constant tables of the kernel, built once per process: squash, stretch, next
    state, total count and initial probability per state, and the state maps' step per count.

    >>> sq, st, nxt, total, p0, step = tables()
    >>> len(sq), len(st), nxt.shape, int(step[0]), int(step[255])
    (4095, 4096, (256, 2), 43690, 255)
    """
    sq = squash_table()
    nxt, total, p0 = state_tables(half)
    rate = np.array([(1 << 17) // (2 * n + 3) for n in range(1024)], dtype=np.int64)   # 2/(2n+3) in 1/65536
    return sq, stretch_table(sq), nxt, total, p0, rate


def bits(n: int, extra: int, low: int, high: int) -> int:
    """log2 of a table's size for a chunk of n bytes: its bit length + ``extra``, within [low, high].

    >>> bits(1000, 3, MIN_TABLE_BITS, MAX_TABLE_BITS), bits(1 << 30, 1, 10, MATCH_MAX_BITS)
    (17, 22)
    """
    return min(high, max(low, max(n, 1).bit_length() + extra))


def setup(n: int, mode: int) -> tuple:
    """The kernel's arguments after ``probe`` for a chunk of n bytes: tables start empty.

    >>> orders, params, T, sm, W, A, MT, *constant = setup(1000, 1)
    >>> T.shape, len(MT), len(W)
    ((6, 131072), 2048, 7168)
    """
    cfg = CONFIGS[mode]
    sq, st, nxt, total, p0, rate_t = tables(cfg["half"])
    orders = np.array(cfg["orders"], dtype=np.int64)
    params = np.array([cfg[k] for k in ("match_min", "rate", "boost", "limit", "apm_rate", "apm_share")],
                      dtype=np.int64)
    T = np.zeros((N_MODELS, 1 << bits(n, cfg["extra"], MIN_TABLE_BITS, MAX_TABLE_BITS)), dtype=np.uint8)
    sm = np.concatenate([np.tile(p0, N_MODELS), np.full(64, 1 << 21, dtype=np.int64)]) << 10
    W = np.full(W_SETS * (N_MODELS + 2), (1 << 16) * 3 // 10, dtype=np.int32)
    A = np.tile(sq[np.clip(np.arange(33) * 128 - 2048, -2047, 2047) + 2047].astype(np.int32), APM_ROWS)
    MT = np.zeros(1 << bits(n, 1, 10, MATCH_MAX_BITS), dtype=np.int32)
    return orders, params, T, sm, W, A, MT, sq, st, nxt, total, rate_t
