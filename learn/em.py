"""HCLT parameter learning in JAX: expected counts by an upward and a downward pass, EM.

The log-likelihood of a batch is one upward pass over the tree, nodes of
equal height at once (a tree of height h takes h batched steps, whatever
its size); messages are node-major (D, B, M), rescaled after every child's
message is multiplied in and renormalised at every node (one log per edge and
per node and sample: nothing underflows float32, however many children a node
has).  Expected counts (the E step) come from an
explicit downward pass, root first, also one batched step per height group:
for every edge the pairwise posterior of (Z_parent, Z_v), for every node the
posterior of Z_v.  (They equal theta * d log p / d theta, which the tests
check against ``jax.grad``; the explicit pass is ~5x faster on the CPU.)
The M step normalises counts plus a pseudocount (``alpha`` per row, at least
``MIN_ALPHA``, spread evenly over the row: no probability is ever 0); emission
counts may first be smoothed along the value axis (:mod:`pcz.learn.smoothing`).
Non-finite parameters or likelihoods stop training with a ModelError.

Mini-batch EM moves the parameters a step of size eta (annealed linearly
from ``step`` to ``step_end``) towards each batch's M-step estimate; full-batch
EM then accumulates counts over the whole training set.  After every epoch
the validation split is scored; the best parameters are kept, and training
stops after ``patience`` epochs without improvement.

Full-batch EM may be over-relaxed (``relax`` = gamma > 1): the new rows are
old^(1 - gamma) * em^gamma, renormalised (a step gamma times as long in log
space); gamma 1.7 halves the epochs a smoothed M = 64 Fashion-MNIST model
needs.  Whenever the training likelihood falls or the validation bpd rises
from one full-batch epoch to the next (a step overshot), gamma - 1 is halved.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> a = rng.integers(0, 2, 400)
>>> X = np.stack([a, a, 1 - a], 1)
>>> params, log = fit(X[:300], X[300:], np.array([-1, 0, 0]), K=2, M=2, epochs=3, full_epochs=3,
...                   batch=32, progress=False)
>>> round(log[-1]["valid_bpd"], 2)      # three copies of one fair bit: 1/3 bit per variable
0.34
"""
import itertools
import math
import time

import numpy as np
import jax
import jax.numpy as jnp

from pcz.errors import ModelError
from pcz.learn.partition import InMemory
from pcz.learn.states import masks, within
from pcz.learn.ties import pool, tied_init
from pcz.learn.tree_layout import UNROLL, Layout

LN2 = math.log(2.0)


def _times_children(beta, ups, table):
    """(beta (n, B, M) times the messages ``ups`` of the children ``table`` (c, n), log of the
    scales (B,)): rescaled after every child, as a product of many messages underflows float32
    (constant columns tie at zero mutual information and all hang on one node)."""
    def times(carry, row):
        b, logs = carry
        b = b * ups[row]
        s = b.max(-1, keepdims=True)
        return (b / s, logs + jnp.log(s).sum((0, 2))), None

    carry = (beta, jnp.zeros(beta.shape[1], beta.dtype))
    if len(table) > UNROLL:
        return jax.lax.scan(times, carry, jnp.asarray(table))[0]
    for row in table:
        carry = times(carry, row)[0]
    return carry


def _upward(groups, params, xt):
    """Normalised inside messages: betas (D, B, M), ups (D + 1, B, M), log p(x) (B,)."""
    prior, trans, emit = params
    D, B = xt.shape
    M = prior.shape[0]
    ev = jnp.swapaxes(emit, 1, 2)[jnp.arange(D)[:, None], xt]          # (D, B, M)
    ups = jnp.ones((D + 1, B, M), ev.dtype)
    betas = jnp.zeros((D, B, M), ev.dtype)
    total = jnp.zeros(B, ev.dtype)
    for start, stop, segments in groups:
        parts = []
        for a, b, table in segments:
            beta, logs = _times_children(ev[a:b], ups, table)
            parts.append(beta)
            total = total + logs
        beta = parts[0] if len(parts) == 1 else jnp.concatenate(parts)
        z = beta.sum(-1, keepdims=True)
        total = total + jnp.log(z).sum((0, 2))
        beta = beta / z
        betas = betas.at[start:stop].set(beta)
        if stop < D:
            ups = ups.at[start:stop].set(jnp.einsum("nbj,nij->nbi", beta, trans[start:stop]))
    return betas, ups, total + jnp.log(betas[D - 1] @ prior)


def make_loglik(layout: Layout):
    """A jitted ``f(params, xt) -> (B,)`` natural-log likelihoods.

    ``params = (prior (M,), trans (D, M, M), emit (D, M, K))`` are probabilities with nodes
    in ``layout.perm`` order; ``xt`` is the (D, B) int32 batch, transposed, in that order.
    Messages are node-major (D, B, M), rescaled per child and renormalised per node.
    """
    return jax.jit(lambda params, xt: _upward(layout.groups, params, xt)[2])


def make_counts(layout: Layout):
    """A jitted ``f(params, xt, w) -> (expected counts like params, sum of w * log p(x))``.

    An upward pass, then a downward pass (root first) computing for every edge the
    pairwise posterior of (Z_parent, Z_v) and for every node the posterior of Z_v;
    counts are their sums over the batch weighted by w.
    """
    groups, parent = layout.groups, layout.parent

    def counts(params, xt, w):
        prior, trans, emit = params
        D, B = xt.shape
        betas, ups, ll = _upward(groups, params, xt)
        outs = jnp.zeros((D, B, prior.shape[0]), betas.dtype).at[D - 1].set(prior)
        post = jnp.zeros_like(betas)
        c_trans = jnp.zeros_like(trans)
        for start, stop, _ in reversed(groups[:-1]):
            par = parent[start:stop]
            beta, up = betas[start:stop], ups[start:stop]
            g = outs[par] * betas[par] / jnp.maximum(up, 1e-30)   # parent without this subtree
            g = g / g.sum(-1, keepdims=True)
            z = (g * up).sum(-1, keepdims=True)
            scaled = g * (w[None, :, None] / z)
            c_trans = c_trans.at[start:stop].set(
                trans[start:stop] * jnp.einsum("nbi,nbj->nij", scaled, beta))
            out = jnp.einsum("nbi,nij->nbj", g, trans[start:stop])
            outs = outs.at[start:stop].set(out / out.sum(-1, keepdims=True))
        post = outs * betas
        post = post / post.sum(-1, keepdims=True) * w[None, :, None]
        c_emit = jnp.zeros((D, emit.shape[2], emit.shape[1]), post.dtype)
        c_emit = c_emit.at[jnp.arange(D)[:, None], xt].add(post)
        return (post[D - 1].sum(0), c_trans, jnp.swapaxes(c_emit, 1, 2)), jnp.sum(w * ll)

    return jax.jit(counts)


MIN_ALPHA = 1e-6        # smallest pseudocount per row: no probability is ever exactly 0
LOG_FLOOR = math.log(1e-30)   # over-relaxed rows: smallest probability relative to the row's largest


def _normalise(counts, alpha):
    """M step: counts plus ``alpha`` (at least ``MIN_ALPHA``) pseudo-counts spread evenly over
    the row.  Without them a row with no counts (a state no record reaches) would be 0 / 0, and
    a value no training record has would get probability 0: a record that has it, impossible.

    >>> p = _normalise(jnp.array([[3.0, 1.0, 0.0], [0.0, 0.0, 0.0]]), 0.0)
    >>> np.asarray(p, float).round(3).tolist()
    [[0.75, 0.25, 0.0], [0.333, 0.333, 0.333]]
    """
    c = counts + max(alpha, MIN_ALPHA) / counts.shape[-1]
    return c / c.sum(-1, keepdims=True)


def _init(rng: np.random.Generator, hist: np.ndarray, M: int):
    """Random transitions; emissions = each variable's add-one smoothed histogram ``hist``
    (D, K), perturbed per state."""
    D, K = hist.shape
    prior = np.full(M, 1.0 / M)
    trans = rng.dirichlet(np.ones(M), size=(D, M))
    marg = (hist + 1.0) / (hist + 1.0).sum(-1, keepdims=True)
    emit = marg[:, None, :] * rng.lognormal(0.0, 1.0, size=(D, M, K))
    emit /= emit.sum(-1, keepdims=True)
    return prior, trans, emit


_E_STEPS: dict = {}          # tree -> its jitted E steps, shared by the trainers of that tree
E_STEPS_KEPT = 4


def _e_steps(parent: np.ndarray):
    """(layout, loglik, counts, stacked_counts) of the tree ``parent``: the jitted upward and
    downward passes depend on the tree and the shapes alone, so every :class:`Trainer` of a
    tree (one per smoothing, tied or not, pruned states) shares them and XLA compiles them
    once per shape, not once per trainer (each compile took 10-40 s on the CPU and about as
    long on a GPU, where it dwarfed the epochs).  The last ``E_STEPS_KEPT`` trees are kept."""
    key = np.asarray(parent, dtype=np.int64).tobytes()
    if key not in _E_STEPS:
        while len(_E_STEPS) >= E_STEPS_KEPT:
            _E_STEPS.pop(next(iter(_E_STEPS)))
        layout = Layout(parent)
        counts = make_counts(layout)

        def stacked_counts(params, xts, ws):
            def add(acc, batch):
                c, batch_ll = counts(params, *batch)
                return tuple(a + b for a, b in zip(acc, c)), batch_ll

            return jax.lax.scan(add, tuple(jnp.zeros_like(p) for p in params), (xts, ws))

        _E_STEPS[key] = (layout, make_loglik(layout), counts, jax.jit(stacked_counts))
    return _E_STEPS[key]


class Trainer:
    """The jitted E and M steps for one tree and batch size (``states``: the latent states each
    variable uses, for a pruned model; :mod:`pcz.learn.states`).

    Parameters live on the device as probabilities, nodes in ``layout.perm``
    order; :meth:`to_device` and :meth:`to_host` convert.  Expected counts are
    ``theta * d(sum log p)/d theta``.
    """

    def __init__(self, parent: np.ndarray, batch: int, alpha: float, dtype=jnp.float32,
                 smoother=None, states=None, ties=None):
        self.layout, self.loglik, counts, self.stacked_counts = _e_steps(parent)
        self.batch, self.alpha, self.dtype, self.ties = batch, alpha, dtype, ties
        smooth = (lambda c: c) if smoother is None else smoother
        keep = None if states is None else tuple(     # a pruned model: :mod:`pcz.learn.states`
            jnp.asarray(k, dtype) for k in masks(parent, states, int(np.max(states)), self.layout.perm))
        if ties is not None:                          # tied parameters: :mod:`pcz.learn.ties`
            n_emit, n_trans = ties.groups
            emit_groups, trans_groups = (jnp.asarray(g[self.layout.perm]) for g in (ties.emit, ties.trans))

        def m_step(c):
            prior, trans, emit = c
            if ties is not None:
                trans, emit = pool(trans, trans_groups, n_trans), pool(emit, emit_groups, n_emit)
            return within((_normalise(prior, alpha), _normalise(trans, alpha), _normalise(smooth(emit), alpha)),
                          keep)

        def step(params, xt, w, eta):
            c, ll = counts(params, xt, w)
            return tuple((1 - eta) * p + eta * n for p, n in zip(params, m_step(c))), ll

        def steps(params, xts, ws, eta):
            return jax.lax.scan(lambda p, batch: step(p, *batch, eta), params, (xts, ws))

        self.counts = counts
        self.steps = jax.jit(steps)

        def relaxed(c, old, gamma):
            new = m_step(c)
            out = []
            for o, n in zip(old, new):
                lo = (1 - gamma) * jnp.log(jnp.maximum(o, 1e-30)) + gamma * jnp.log(jnp.maximum(n, 1e-30))
                p = jnp.exp(jnp.maximum(lo - lo.max(-1, keepdims=True), LOG_FLOOR))   # never 0
                out.append(p / p.sum(-1, keepdims=True))
            return within(tuple(out), keep)

        self.m_step = jax.jit(m_step)
        self.relaxed = jax.jit(relaxed)

    def to_device(self, prior, trans, emit):
        perm = self.layout.perm
        return tuple(jnp.asarray(a, self.dtype) for a in (prior, trans[perm], emit[perm]))

    def to_host(self, params):
        inv = np.argsort(self.layout.perm)
        prior, trans, emit = (np.asarray(p, dtype=np.float64) for p in params)
        return prior, trans[inv], emit[inv]

    def _host_batches(self, X: np.ndarray, order: np.ndarray | None = None):
        """(xt, w, count) as numpy arrays: the rows of X (in ``order``) padded, transposed and
        relabelled, batch by batch; weight 0 on padding."""
        order = np.arange(len(X)) if order is None else order
        for start in range(0, len(X), self.batch):
            idx = order[start:start + self.batch]
            xt = np.zeros((X.shape[1], self.batch), dtype=np.int32)
            xt[:, :len(idx)] = X[idx][:, self.layout.perm].T
            w = np.zeros(self.batch, dtype=np.float32)
            w[:len(idx)] = 1.0
            yield xt, w, len(idx)

    def batches(self, X: np.ndarray, order: np.ndarray | None = None):
        """(xt, w, count): padded, transposed, relabelled batches; weight 0 on padding."""
        for xt, w, count in self._host_batches(X, order):
            yield jnp.asarray(xt), jnp.asarray(w), count

    def sum_counts(self, params, X: np.ndarray):
        """(expected counts, log-likelihoods per batch) of the rows of X: batch by batch, summed
        in float32 in batch order, in one call (its buffers are allocated once, not per batch:
        fresh pages cost as much as the arithmetic at M = 64)."""
        xts, ws, _ = zip(*self._host_batches(X))
        return self.stacked_counts(params, jnp.asarray(np.stack(xts)), jnp.asarray(np.stack(ws)))

    def bpd(self, params, X: np.ndarray) -> float:
        """Mean -log2 p(x) / D over the rows of X."""
        total = 0.0
        for xt, w, _ in self.batches(X):
            total += float(jnp.sum(w * self.loglik(params, xt)))
        return -total / (len(X) * X.shape[1] * LN2)


def check_finite(params, train_bpd: float, valid_bpd: float, where: str) -> None:
    """ModelError unless the parameters and both bits per dimension are finite: training
    stops there rather than carry on (or store) a broken model.

    >>> check_finite((np.ones(2),), 1.0, float("nan"), "epoch 1")
    Traceback (most recent call last):
    ...
    pcz.errors.ModelError: training failed at epoch 1: the validation likelihood is not finite (nan bits/dim)
    """
    bad = [f"the {name} likelihood is not finite ({bpd} bits/dim)"
           for name, bpd in (("training", train_bpd), ("validation", valid_bpd))
           if not math.isfinite(bpd)]
    if not all(bool(jnp.all(jnp.isfinite(p))) for p in params):
        bad.append("the parameters are not finite")
    if bad:
        raise ModelError(f"training failed at {where}: {'; '.join(bad)}")


def _bar(total: int, desc: str, enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm
    return tqdm(total=total, desc=desc, unit="rec", unit_scale=True, leave=True, dynamic_ncols=True)


RUN = 8     # mini-batches per call: buffers allocated once per run, not per batch


def _runs(batches, size: int = RUN):
    """Consecutive (xt, w, count) batches stacked in runs of ``size`` (the last may be shorter):
    (xts, ws, records)."""
    batches = iter(batches)
    while run := list(itertools.islice(batches, size)):
        xts, ws, counts = zip(*run)
        yield jnp.stack(xts), jnp.stack(ws), sum(counts)


GAIN_EPOCHS = 3   # full-batch epochs over which ``fit(min_gain=...)`` measures the gain


def _flat(log: list[dict], phase: str, min_gain: float) -> bool:
    """Whether the last GAIN_EPOCHS epochs of ``phase`` lowered the validation bits by less
    than ``min_gain`` each on average (over-relaxed steps zigzag, so one epoch says little).

    >>> log = [{"phase": "full-batch EM", "valid_bpd": b} for b in (3.0, 2.9, 2.8995, 2.899, 2.8985)]
    >>> _flat(log[:4], "full-batch EM", 0.001), _flat(log, "full-batch EM", 0.001)
    (False, True)
    """
    runs = [e["valid_bpd"] for e in log if e["phase"] == phase]
    return len(runs) > GAIN_EPOCHS and runs[-1 - GAIN_EPOCHS] - runs[-1] < GAIN_EPOCHS * min_gain


def fit(X_train: np.ndarray, X_valid: np.ndarray, parent: np.ndarray, K: int, M: int, *,
        epochs: int = 10, full_epochs: int = 5, batch: int = 512, step: float = 0.5,
        step_end: float = 0.05, alpha: float = 1.0, patience: int = 2, seed: int = 0,
        progress: bool = True, init=None, smoother=None, relax: float = 1.0,
        checkpoint=None, checkpoint_every: int = 5, deadline: float | None = None,
        trainer: "Trainer | None" = None, states=None, min_gain: float = 0.0, ties=None):
    """EM on X_train (N, D) with early stopping on X_valid.

    X_train may also be an object with the interface of
    :class:`pcz.learn.partition.InMemory` (records read from a store, the full-batch
    counts computed on Dask workers: :mod:`pcz.learn.streamed`); full-batch counts are
    always summed over the same fixed partitions (:mod:`pcz.learn.partition`), so the
    result does not depend on where they are computed.

    Returns ``((prior, trans, emit) float64 arrays of the best epoch, log)``;
    log is a list of dicts per epoch (phase, train_bpd, valid_bpd, seconds).
    ``init`` optionally gives starting (prior, trans, emit); ``smoother``
    (a :class:`pcz.learn.smoothing.Smoother`) smooths the emission counts;
    ``relax`` over-relaxes the full-batch steps.  ``checkpoint(params)``, if
    given, receives the best parameters so far every ``checkpoint_every`` epochs.
    ``deadline`` (a :func:`time.perf_counter` value): no epoch starts after it.
    ``trainer``: a :class:`Trainer` for this tree to reuse (its jitted steps; it then
    decides the batch size, pseudocount and smoothing) instead of building one.
    ``states``: train a pruned model, variable v using its first ``states[v]`` latent states
    (``init`` then gives parameters M = max(states) wide).  Non-finite parameters or
    likelihoods stop training with a ModelError.  ``min_gain`` (bits per value): full-batch
    EM also stops once its last ``GAIN_EPOCHS`` epochs lowered the validation bits by less
    than that much per epoch (the model has flattened; :mod:`pcz.learn.sparse` then reshapes it).
    ``ties`` (a :class:`pcz.learn.ties.Ties`): train a tied model, from a tied start unless ``init``.
    """
    rng = np.random.default_rng(seed)
    data = X_train if hasattr(X_train, "full_counts") else InMemory(X_train)
    X_valid = np.asarray(X_valid)
    n, D = data.n, data.D
    if trainer is None:
        trainer = Trainer(parent, min(batch, max(1, n)), alpha, smoother=smoother, states=states, ties=ties)
    if init is None:
        hist = data.histogram(K)
        init = _init(rng, hist, M) if trainer.ties is None else tied_init(rng, hist, M, trainer.ties)
    params = trainer.to_device(*init)
    best, best_bpd, bad, log, gamma = params, math.inf, 0, [], relax
    d_ln2 = D * LN2
    phases = [("mini-batch EM", e, epochs) for e in range(epochs)]
    phases += [("full-batch EM", e, full_epochs) for e in range(full_epochs)]
    for phase, e, of in phases:
        t0 = time.perf_counter()
        if deadline is not None and t0 > deadline and log:
            break
        bar = _bar(n, f"{phase} {e + 1}/{of}", progress)
        ll_sum, seen = 0.0, 0
        mini = phase.startswith("mini")
        eta = step + (step_end - step) * (e / max(1, epochs - 1))
        if mini:
            for xts, ws, count in _runs(data.mini_batches(trainer, rng)):
                params, lls = trainer.steps(params, xts, ws, jnp.asarray(eta, trainer.dtype))
                for ll in np.asarray(lls, dtype=np.float64):
                    ll_sum += float(ll)
                seen += count
                if bar is not None:
                    bar.update(count)
                    bar.set_postfix(train_bpd=f"{-ll_sum / (seen * d_ln2):.4f}")
        else:
            part = data.full_counts(trainer, params)
            acc = tuple(jnp.asarray(c, trainer.dtype) for c in part.floats())
            ll_sum, seen = part.loglik(), part.n
            if bar is not None:
                bar.update(seen)
            params = (trainer.m_step(acc) if gamma == 1.0 else
                      trainer.relaxed(acc, params, jnp.asarray(gamma, trainer.dtype)))
        train_bpd = -ll_sum / (seen * d_ln2)
        valid_bpd = trainer.bpd(params, X_valid) if len(X_valid) else train_bpd
        log.append({"phase": phase, "epoch": e + 1, "train_bpd": train_bpd, "valid_bpd": valid_bpd,
                    "seconds": time.perf_counter() - t0, "started": t0, "train_ll": ll_sum, "relax": gamma})
        if bar is not None:
            bar.set_postfix(train_bpd=f"{train_bpd:.4f}", valid_bpd=f"{valid_bpd:.4f}")
            bar.close()
        check_finite(params, train_bpd, valid_bpd, f"{phase} epoch {e + 1}")
        last = log[-2] if len(log) > 1 and log[-2]["phase"] == phase else None
        if not mini and last and (ll_sum < last["train_ll"] or valid_bpd > last["valid_bpd"]):
            gamma = 1.0 + (gamma - 1.0) / 2           # a step overshot: shorten the next ones
        if valid_bpd < best_bpd - 1e-5:
            best, best_bpd, bad = params, valid_bpd, 0
        else:
            bad += 1
            if bad > patience:
                break
        if not mini and min_gain > 0 and _flat(log, phase, min_gain):
            break
        if checkpoint is not None and len(log) % checkpoint_every == 0:
            checkpoint(trainer.to_host(best))
    return trainer.to_host(best), log
