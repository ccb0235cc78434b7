"""The HMM byte model: a chain-shaped latent PC, its file format and its coding tables.

H hidden states, 256 byte symbols: ``prior[m]``, transitions ``T[c, m, m']``,
emissions ``E[c, m, k]`` in C parameter slots.  The slot used for step t (the
move into z_t and the emission of x_t) is ``cls[x_{t-1}]``, slot 0 for the first
byte.  C = 1 is a plain HMM.  C > 1 is still an HMM, over the H * 256 states
(z_t, x_t) with block-tied transitions ``T[cls[x], z, z'] E[cls[x], z', x']``;
since x_t is observed only H of those states are ever live, so the forward
recursion costs the same per byte as a plain H-state HMM.

Probabilities are stored as 8-bit logarithms: ``q = 255 + round(16 log2(p / max
row))`` clipped at 0, i.e. steps of 1/16 bit (relative error under 2.2 %, a
negligible loss) down to 2**-16 of the row's largest entry.  Loading turns q
back into ``2**-(d // 16) * F[d % 16]`` (d = 255 - q, F a table of exact
constants) and divides each row by its correctly rounded sum (math.fsum), so
the coding path reads exactly the same float64 numbers on every machine.

File layout (little-endian): magic ``PCZHMM\\x00\\x01`` (8 bytes), u32 H, u32 K (=256),
u32 C, u8 cls[256], u8 prior[H], u8 T[C*H*H], u8 E[C*H*K], u32 CRC32 of
everything before it.  Files are untrusted: sizes, CRC, classes and every row
are checked before use.

>>> import numpy as np
>>> model = HMM.from_probs(np.full(2, 0.5), np.array([[0.9, 0.1], [0.2, 0.8]]), np.full((2, 256), 1 / 256))
>>> model.T.shape, model.E.shape
((1, 2, 2), (1, 2, 256))
>>> HMM.from_bytes(model.to_bytes()).hidden
2
"""
import math
import struct
import zlib
from functools import cached_property

import numpy as np

from pcz.errors import ModelError

MAGIC = b"PCZHMM\x00\x01"
K = 256
MAX_HIDDEN = 2048
MAX_SLOTS = 256
MAX_FLOATS = 1 << 26     # float64 numbers a loaded model may occupy (512 MiB), checked before allocating
QMAX = 255
STEPS = 16          # quantisation steps per bit
_HEAD = struct.Struct("<III")
# 2 ** (-j / 16) for j = 0..15, written exactly so that no libm is involved.
_FRACTIONS = np.array([float.fromhex(h) for h in (
    "0x1.0000000000000p+0", "0x1.ea4afa2a490dap-1", "0x1.d5818dcfba487p-1", "0x1.c199bdd85529cp-1",
    "0x1.ae89f995ad3adp-1", "0x1.9c49182a3f090p-1", "0x1.8ace5422aa0dbp-1", "0x1.7a11473eb0187p-1",
    "0x1.6a09e667f3bcdp-1", "0x1.5ab07dd485429p-1", "0x1.4bfdad5362a27p-1", "0x1.3dea64c123422p-1",
    "0x1.306fe0a31b715p-1", "0x1.2387a6e756238p-1", "0x1.172b83c7d517bp-1", "0x1.0b5586cf9890fp-1")])


def quantise_log_rows(p: np.ndarray) -> np.ndarray:
    """Probability rows as 8-bit logarithms relative to each row's largest entry.

    >>> quantise_log_rows(np.array([[0.5, 0.25, 0.25, 0.0]])).tolist()
    [[255, 239, 239, 0]]
    """
    p = np.asarray(p, dtype=np.float64)
    if np.any(~np.isfinite(p)) or np.any(p < 0) or np.any(p.max(axis=-1) <= 0):
        raise ValueError("probability rows must be finite, non-negative and not all zero")
    with np.errstate(divide="ignore"):
        level = STEPS * np.log2(p / p.max(axis=-1, keepdims=True))
    return np.clip(np.rint(QMAX + level), 0, QMAX).astype(np.uint8)


def dequantise_log_rows(q: np.ndarray) -> np.ndarray:
    """8-bit logarithms to float64 rows summing to 1, identically on every machine.

    >>> dequantise_log_rows(np.array([[255, 239, 239]], dtype=np.uint8)).tolist()
    [[0.5, 0.25, 0.25]]
    """
    d = QMAX - q.astype(np.int64)
    w = np.ldexp(_FRACTIONS[d % STEPS], -(d // STEPS))
    rows = w.reshape(-1, w.shape[-1])
    sums = np.array([math.fsum(r) for r in rows]).reshape(w.shape[:-1] + (1,))
    return w / sums


def bit_tree(E: np.ndarray) -> np.ndarray:
    """Emission masses of the binary tree over byte values, shape (C, 512, H) for E (C, H, 256).

    Row 256 + k is E[:, k]; row n < 256 is the sum of rows 2n and 2n + 1, so row n
    is the mass of the bytes whose leading bits spell the path to node n (root 1).
    Each row is computed by one elementwise addition, identically everywhere.
    """
    S = np.zeros((E.shape[0], 2 * K, E.shape[1]), dtype=np.float64)
    S[:, K:] = np.swapaxes(E, 1, 2)
    for n in range(K - 1, 0, -1):
        S[:, n] = S[:, 2 * n] + S[:, 2 * n + 1]
    return S


class HMM:
    """A quantised HMM over bytes; ``prior``, ``T``, ``E`` are the dequantised float64 arrays."""
    MAGIC = MAGIC

    def __init__(self, qprior: np.ndarray, qT: np.ndarray, qE: np.ndarray, cls: np.ndarray):
        self.qprior, self.qT, self.qE = qprior, qT, qE
        self.cls = np.ascontiguousarray(cls, dtype=np.uint8)
        self.prior = dequantise_log_rows(qprior)
        self.T = dequantise_log_rows(qT)
        self.E = dequantise_log_rows(qE)

    @property
    def hidden(self) -> int:
        return self.prior.shape[0]

    @property
    def slots(self) -> int:
        return self.E.shape[0]

    @classmethod
    def from_probs(cls, prior, T, E, classes=None) -> "HMM":
        """Quantise float probabilities (e.g. from EM) into a model; T and E are (H, H) and
        (H, 256), or (C, H, H) and (C, H, 256) with ``classes`` mapping bytes to slots."""
        prior, T, E = (np.asarray(a, dtype=np.float64) for a in (prior, T, E))
        T = T[None] if T.ndim == 2 else T
        E = E[None] if E.ndim == 2 else E
        classes = np.zeros(K, dtype=np.uint8) if classes is None else np.asarray(classes)
        H, C = prior.shape[0], E.shape[0]
        if not 1 <= H <= MAX_HIDDEN or T.shape != (C, H, H) or E.shape[1:] != (H, K):
            raise ValueError("shapes must be prior (H,), T (C, H, H), E (C, H, 256)")
        if not 1 <= C <= MAX_SLOTS or classes.shape != (K,) or classes.min() < 0 or classes.max() >= C:
            raise ValueError("classes must map the 256 byte values to slots 0..C-1")
        return cls(quantise_log_rows(prior), quantise_log_rows(T), quantise_log_rows(E), classes.astype(np.uint8))

    def to_bytes(self) -> bytes:
        body = MAGIC + _HEAD.pack(self.hidden, K, self.slots) + self.cls.tobytes() + b"".join(
            a.astype(np.uint8).tobytes() for a in (self.qprior, self.qT, self.qE))
        return body + struct.pack("<I", zlib.crc32(body))

    @classmethod
    def from_bytes(cls, data: bytes) -> "HMM":
        """Parse and validate a model file (raises ModelError)."""
        data = bytes(data)
        if len(data) < 8 + _HEAD.size + 4 and data[:8] == MAGIC:
            raise ModelError("truncated HMM model file")
        H, C = _sizes(data)
        n = H + C * H * H + C * H * K
        start = 8 + _HEAD.size + K
        if len(data) != start + n + 4:
            raise ModelError("HMM model file has the wrong size")
        if zlib.crc32(data[:-4]) != struct.unpack("<I", data[-4:])[0]:
            raise ModelError("HMM model file checksum mismatch")
        classes = np.frombuffer(data, dtype=np.uint8, count=K, offset=8 + _HEAD.size).copy()
        if classes.max() >= C:
            raise ModelError("HMM model maps a byte to a missing emission slot")
        q = np.frombuffer(data, dtype=np.uint8, count=n, offset=start)
        qprior = q[:H]
        qT = q[H:H + C * H * H].reshape(C, H, H)
        qE = q[H + C * H * H:].reshape(C, H, K)
        return cls(qprior, qT, qE, classes)

    @cached_property
    def tree(self) -> np.ndarray:
        """Bit-tree emission masses (see :func:`bit_tree`)."""
        return bit_tree(self.E)

    def kernel_args(self) -> tuple:
        """(prior, T, S, cls) as the numba kernels take them."""
        return self.prior, self.T, self.tree, self.cls

    @cached_property
    def T32(self) -> np.ndarray:
        """The transitions rounded to float32 (IEEE round to nearest, the same everywhere): half
        the memory traffic of the O(H^2) step, which dominates the time per byte."""
        return self.T.astype(np.float32)

    def mix_args(self) -> tuple:
        """(prior, T32, S, cls) as :mod:`pcz.coders.text_mix` takes them."""
        return self.prior, self.T32, self.tree, self.cls

    def describe(self) -> str:
        """A few lines for ``pcz info``."""
        return "\n".join([
            "  kind:        HMM over bytes (a chain-shaped latent PC)",
            f"  hidden:      {self.hidden} states",
            f"  slots:       {self.slots} (byte classes, each with its own transitions and emissions)",
            f"  parameters:  {self.prior.size + self.T.size + self.E.size} (8-bit log-quantised)",
        ])


def footprint(data: bytes) -> int:
    """The most bytes loading this model and coding with it take, from H and C in its header
    alone: the file, the dequantised prior, T and E with the temporaries of
    :func:`dequantise_log_rows`, the bit tree, the float32 transitions, and the kernels' copy
    of the bit tree that adapts while coding.  ModelError when the header is invalid.

    >>> m = HMM.from_probs(np.full(2, 0.5), np.array([[0.9, 0.1], [0.2, 0.8]]), np.full((2, 256), 1 / 256))
    >>> footprint(m.to_bytes()) < 1 << 20
    True
    """
    H, C = _sizes(bytes(data[:8 + _HEAD.size]))
    trans, emit, tree = C * H * H, C * H * K, C * 2 * K * H
    kept = 8 * (H + trans + emit)                   # prior, T, E (the quantised ones are views)
    loading = 32 * max(trans, emit)                 # temporaries of one dequantisation
    coding = 2 * 8 * tree + 4 * trans               # the bit tree, the kernels' copy, T in float32
    return len(data) + kept + max(loading, coding)


def _sizes(data: bytes) -> tuple[int, int]:
    """(H, C) from the header, checked against the caps."""
    if data[:8] != MAGIC:
        raise ModelError("not an HMM model file")
    if len(data) < 8 + _HEAD.size:
        raise ModelError("truncated HMM model file")
    H, k, C = _HEAD.unpack_from(data, 8)
    if k != K or not 1 <= C <= MAX_SLOTS or not 1 <= H <= MAX_HIDDEN:
        raise ModelError(f"unsupported HMM model (H={H}, K={k}, C={C})")
    if C * H * (H + 3 * K) > MAX_FLOATS:     # T, E and the bit tree (2K rows) in float64
        raise ModelError(f"HMM model too large to load (H={H}, C={C})")
    return H, C


def load(data: bytes) -> HMM:
    """Parse and validate a model file (the registry's loader for this kind)."""
    return HMM.from_bytes(data)
