"""HCLT coding speed with per-node numbers of latent states (``TreeCoder(..., states=...)``)
against the dense coder: a random D = 784, K = 256, M = 64 model on a random tree, the
same model pruned (each node keeps its first states[v] states, prior and transition rows
renormalised over the kept block), records sampled from each; encode and decode rates in
records per second of process CPU time (the best of ``--repeat`` decodes), as a shared
machine's wall time drifts.

    python -m pcz.bench.experiments.hclt_states_speed [--records 2000] [--profile sine|uniform]
        [--emissions random|smooth] [--modes dense,pruned]

``--profile sine``: states 45 + 20 sin(6 pi v / D) plus noise in -3..3 (mean about 45, nearby
nodes alike, about 0.53 of the products, as a trained model pruned at 99.5 % of the mass keeps
0.55, bench/experiments/results/hclt_prune.md); ``uniform``: states uniform in 24..64 (about
0.47).  ``--emissions smooth``: an image-like model (children follow their parents, peaked
emissions), cheaper searches than the spread ``random`` emissions.

>>> states = node_states(np.random.default_rng(0), 784, 64, "sine")
>>> bool(40 < states.mean() < 50), int(states.min()) >= 1, int(states.max()) <= 64
(True, True, True)
"""
import argparse
import time

import numpy as np

D, K, M, QBITS = 784, 256, 64, 20


def node_states(rng, D: int, M: int, profile: str) -> np.ndarray:
    """Latent states per node for the pruned model."""
    if profile == "uniform":
        return rng.integers(24, M + 1, size=D)
    wave = 45 + 20 * np.sin(6 * np.pi * np.arange(D) / D) + rng.integers(-3, 4, D)
    return np.clip(np.round(wave), 1, M).astype(np.int64)


def random_model(rng, emissions: str):
    """(parent, prior, T, quantised E rows of 2^QBITS)."""
    parent = np.r_[-1, [rng.integers(max(0, v - 30), v) for v in range(1, D)]]
    prior = rng.dirichlet(np.ones(M))
    T = rng.dirichlet(np.ones(M) * 0.3, size=(D, M))
    if emissions == "smooth":
        T = 0.85 * np.eye(M)[None] + 0.15 * T
        centre = 256 * (rng.permutation(M)[None, :, None] + 0.5) / M
        E = np.exp(-0.5 * ((np.arange(K)[None, None] - centre) / 4) ** 2)[[0] * D] + 1e-6
        E /= E.sum(-1, keepdims=True)
    else:
        E = rng.dirichlet(np.ones(K) * 0.05, size=(D, M))
    Eq = np.maximum(1, np.round(E * (1 << QBITS))).astype(np.int64)
    top = Eq.argmax(-1)[..., None]          # the rounding error on each row's largest entry
    np.put_along_axis(Eq, top, np.take_along_axis(Eq, top, -1) + ((1 << QBITS) - Eq.sum(-1))[..., None], -1)
    return parent, prior, T, Eq.astype(np.int32)


def prune(parent, prior, T, states):
    """The prior and transitions with states past states[v] at 0, rows renormalised."""
    prior, T = prior.copy(), T.copy()
    prior[states[0]:] = 0
    prior /= prior.sum()
    for v in range(1, len(parent)):
        T[v, :, states[v]:] = 0
        T[v, :states[parent[v]]] /= T[v, :states[parent[v]]].sum(1, keepdims=True)
    return prior, T


def sample(rng, parent, prior, T, Eq, n: int) -> np.ndarray:
    from pcz.coders.tree_pc import preorder
    order, _ = preorder(parent)
    X, Z = np.zeros((n, D), np.uint8), np.zeros((n, D), np.int64)
    cE = np.cumsum(Eq / (1 << QBITS), axis=2)
    for v in order:
        p = prior[None, :] if parent[v] < 0 else T[v][Z[:, parent[v]]]
        Z[:, v] = (rng.random((n, 1)) > np.cumsum(p, axis=1)).sum(1).clip(0, M - 1)
        X[:, v] = (rng.random((n, 1)) > cE[v][Z[:, v]]).sum(1).clip(0, K - 1)
    return X


def measure(records: int, profile: str, emissions: str, modes, repeat: int = 2) -> list[dict]:
    from pcz.coders.tree_rans import TreeCoder
    rng = np.random.default_rng(0)
    parent, prior, T, Eq = random_model(rng, emissions)
    states = node_states(rng, D, M, profile)
    rows = []
    for mode in modes:
        pr, Tm, kw = (prior, T, {}) if mode == "dense" else (*prune(parent, prior, T, states), {"states": states})
        X = sample(rng, parent, pr, Tm, Eq, records)
        coder = TreeCoder(parent, pr, Tm, Eq, scale=2.0 ** -QBITS, **kw)
        coder.decode(coder.encode(X[:50]), 50)                 # compile
        t = time.process_time()
        words = coder.encode(X)
        encode = time.process_time() - t
        decode = float("inf")
        for _ in range(repeat):
            t = time.process_time()
            Y = coder.decode(words, records)
            decode = min(decode, time.process_time() - t)
        assert np.array_equal(X, Y)
        s = states if mode == "pruned" else np.full(D, M)
        rows.append({"mode": mode, "states": float(s.mean()),
                     "products": sum(int(s[parent[v]] * s[v]) for v in range(1, D)) / ((D - 1) * M * M),
                     "decode": records / decode, "encode": records / encode,
                     "bits": 32 * len(words) / X.size})
    return rows


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", type=int, default=2000)
    ap.add_argument("--profile", choices=("sine", "uniform"), default="sine")
    ap.add_argument("--emissions", choices=("random", "smooth"), default="random")
    ap.add_argument("--modes", default="dense,pruned")
    args = ap.parse_args(argv)
    for r in measure(args.records, args.profile, args.emissions, args.modes.split(",")):
        print(f"{r['mode']}: states {r['states']:.1f}, products {r['products']:.3f}, decode {r['decode']:.0f} "
              f"records/s, encode {r['encode']:.0f} records/s (CPU time), {r['bits']:.4f} bits/value", flush=True)


if __name__ == "__main__":
    main()
