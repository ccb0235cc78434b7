"""EM for a hidden Markov model over bytes, in JAX (learning only; coding never imports this).

The E-step is forward-backward with scaling: the forward pass renormalises
alpha at every step and sums the log scale factors into log P(x); the
backward pass is that computation's reverse-mode derivative, which is the
scaled backward recursion.  Expected counts come from the classic identity
``count(theta) = theta * d log P / d theta`` for each transition, emission and
initial probability, accumulated over a batch of sequences at once.

Slots: with a byte-class map ``cls`` (C classes), the transition into z_t and
the emission of x_t use slot ``cls[x_{t-1}]`` (slot 0 for the first byte):
``T`` is (C, H, H) and ``E`` is (C, H, 256).  C = 1 is a plain HMM.

Updates are stepwise (online) EM (Cappé & Moulines 2009; Liang & Klein 2009):
sufficient statistics are a running average of minibatch counts with step
``(k + 2) ** -decay``, which converges in a few passes over the corpus
instead of dozens of full-batch iterations.

>>> import numpy as np
>>> data = np.frombuffer(b"abababababababab" * 64, dtype=np.uint8)
>>> params = fit(data, hidden=2, seq_len=16, batch=8, epochs=3, progress=False)
>>> bool(bits_per_byte(params, data[:256]) < 0.5)
True
>>> params.T.shape, params.E.shape
((1, 2, 2), (1, 2, 256))
"""
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

K = 256


@dataclass
class Params:
    """HMM probabilities: prior (H,), transitions T (C, H, H) rows sum to 1, emissions
    E (C, H, K), byte classes cls (256,) in 0..C-1."""
    prior: np.ndarray
    T: np.ndarray
    E: np.ndarray
    cls: np.ndarray


def _loglik(params, x, c):
    """Total log P of the rows of x (B, L) under the HMM, by the scaled forward pass;
    c (B, L) holds the slot of each byte (the class of the byte before it)."""
    prior, T, E = params
    a0 = prior[None, :] * E[c[:, 0], :, x[:, 0]]
    c0 = a0.sum(-1)

    @jax.checkpoint
    def step(carry, inp):
        alpha, ll = carry
        xt, ct = inp
        if T.shape[0] == 1:
            moved = alpha @ T[0]
        else:
            moved = jnp.einsum("bh,bhk->bk", alpha, T[ct])
        a = moved * E[ct, :, xt]
        s = a.sum(-1)
        return (a / s[:, None], ll + jnp.log(s).sum()), None

    (_, ll), _ = jax.lax.scan(step, (a0 / c0[:, None], jnp.log(c0).sum()), (x[:, 1:].T, c[:, 1:].T))
    return ll


@jax.jit
def _counts(params, x, c):
    ll, grads = jax.value_and_grad(_loglik)(params, x, c)
    return ll, tuple(p * g for p, g in zip(params, grads))


_loglik_jit = jax.jit(_loglik)


def slots_of(x: np.ndarray, cls: np.ndarray) -> np.ndarray:
    """Slot of every byte in the rows of x: the class of the previous byte, 0 at a row start."""
    c = np.zeros(x.shape, dtype=np.int32)
    c[..., 1:] = cls[x[..., :-1]]
    return c


def frequency_classes(data: np.ndarray, slots: int) -> np.ndarray:
    """Byte classes: the slots - 1 most frequent bytes get classes 1.., the rest class 0."""
    freq = np.bincount(np.asarray(data, dtype=np.uint8), minlength=K)
    cls = np.zeros(K, dtype=np.uint8)
    order = np.argsort(-freq, kind="stable")[:slots - 1]
    cls[order] = np.arange(1, len(order) + 1)
    return cls


def _normalise(counts, floor):
    c = counts + floor
    return c / c.sum(-1, keepdims=True)


def init_params(data: np.ndarray, hidden: int, slots: int = 1, seed: int = 0) -> Params:
    """Random transitions near uniform; emissions the byte frequencies, perturbed per state.
    Every slot starts as a slightly perturbed copy of one HMM, so that a state means
    much the same in every slot (independent random slots train far more slowly)."""
    rng = np.random.default_rng(seed)
    freq = np.bincount(data, minlength=K).astype(np.float64) + 0.1
    freq /= freq.sum()
    T = (rng.gamma(1.0, size=(hidden, hidden)) + 1.0) * np.exp(0.1 * rng.standard_normal((slots, hidden, hidden)))
    E = (freq * rng.gamma(0.5, size=(hidden, K)) + 1e-3 * freq) * np.exp(0.1 * rng.standard_normal((slots, hidden, K)))
    return Params(np.full(hidden, 1.0 / hidden), T / T.sum(-1, keepdims=True),
                  E / E.sum(-1, keepdims=True), frequency_classes(data, slots))


def _batches(data: np.ndarray, seq_len: int, batch: int, rng) -> np.ndarray:
    """One epoch of (batch, seq_len) windows at random offsets, in random order."""
    n = (len(data) - 1) // seq_len
    shift = int(rng.integers(0, seq_len))
    starts = shift + seq_len * rng.permutation(max(n - 1, 1))
    starts = starts[starts + seq_len <= len(data)]
    for i in range(0, len(starts) - batch + 1 if len(starts) >= batch else 1, batch):
        idx = starts[i:i + batch, None] + np.arange(seq_len)[None, :]
        yield data[idx]


def fit(data: np.ndarray, hidden: int, *, slots: int = 1, seq_len: int = 256, batch: int = 128,
        epochs: int = 2, decay: float = 0.6, seed: int = 0, init: Params | None = None,
        step_offset: int = 0, progress: bool = True, log=None) -> Params:
    """Stepwise EM over random windows of data (uint8); returns float64 :class:`Params`.

    To continue training a model, pass it as ``init`` with ``step_offset`` = the
    number of steps it had: the running statistics then start from its expected
    counts on a few batches, and the step size continues from there.
    """
    from tqdm import tqdm

    data = np.asarray(data, dtype=np.uint8)
    if len(data) < 2:
        raise ValueError("need at least two bytes of training data")
    seq_len = min(seq_len, len(data))
    params = init or init_params(data, hidden, slots, seed)
    theta = tuple(jnp.asarray(p, dtype=jnp.float32) for p in (params.prior, params.T, params.E))
    stats = None
    floors = (1e-3, 1e-3, 1e-4)
    rng = np.random.default_rng(seed)
    k = step_offset
    if step_offset:
        warm = list(_batches(data, seq_len, batch, np.random.default_rng(seed + 1)))[:16]
        parts = [_counts(theta, jnp.asarray(x, dtype=jnp.int32), jnp.asarray(slots_of(x, params.cls)))[1]
                 for x in warm]
        stats = tuple(sum(p[i] for p in parts) / sum(x.size for x in warm) for i in range(3))
    for epoch in range(epochs):
        bar = tqdm(list(_batches(data, seq_len, batch, rng)), disable=not progress,
                   desc=f"EM epoch {epoch + 1}/{epochs}", unit="batch")
        for x in bar:
            ll, counts = _counts(theta, jnp.asarray(x, dtype=jnp.int32),
                                 jnp.asarray(slots_of(x, params.cls)))
            counts = tuple(c / x.size for c in counts)
            eta = (k + 2.0) ** -decay
            stats = counts if stats is None else tuple((1 - eta) * s + eta * c
                                                       for s, c in zip(stats, counts))
            theta = tuple(_normalise(s, f * s.sum() / s.size) for s, f in zip(stats, floors))
            k += 1
            bpb = -float(ll) / x.size / np.log(2)
            bar.set_postfix(bpb=f"{bpb:.3f}")
            if log is not None:
                log(epoch, k, bpb)
    prior, T, E = (np.asarray(p, dtype=np.float64) for p in theta)
    return Params(prior, T, E, params.cls)


def bits_per_byte(params: Params, data: np.ndarray, seq_len: int = 4096) -> float:
    """Cross-entropy of data under the HMM (pieces of seq_len bytes, each from the prior)."""
    data = np.asarray(data, dtype=np.uint8)
    theta = tuple(jnp.asarray(p, dtype=jnp.float32) for p in (params.prior, params.T, params.E))
    n = len(data) // seq_len * seq_len
    pieces = [data[:n].reshape(-1, seq_len)[i:i + 16] for i in range(0, n // seq_len, 16)]
    if len(data) > n:
        pieces.append(data[None, n:])
    total = 0.0
    for rows in pieces:
        total += float(_loglik_jit(theta, jnp.asarray(rows, dtype=jnp.int32),
                                   jnp.asarray(slots_of(rows, params.cls))))
    return -total / len(data) / np.log(2)
