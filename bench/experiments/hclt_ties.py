"""Tied parameters (:mod:`pcz.learn.ties`) against one table per variable, and the tied start.

On a generality dataset's training split (its test split is never read) with ``pcz train``'s
validation rule (:func:`pcz.learn.train.split`, seed 0), in the representation the auto
rule chose for it (``med-rgb`` for colour patches, ``med`` for grey ones), from the
same Chow-Liu tree, each setting is trained for MINI mini-batch epochs (step 0.5 -> 0.05)
and FULL full-batch epochs (gamma 1.7, patience 2) at each M given; printed (and written
as JSON lines to ``--out``): the validation bits per value after the mini-batch epochs
and at the end.  Settings:

- ``untied``: one emission table per variable, smoothing sigma 1 (the first run of step 3);
- ``untied-off``: the same without smoothing;
- ``tied``: :func:`pcz.learn.ties.image_ties`, the tied start of :func:`pcz.learn.ties.tied_init`;
- ``tied-random``: tied, from a random tied start (each group's rows its histogram times
  lognormal(0, 1) noise, transitions uniform Dirichlet rows), the start before the ladder;
- ``tied-emit``: only the emissions tied (transitions one per edge), the tied start.

    python -m pcz.bench.experiments.hclt_ties photo-patches 4 3 8 16 --out bench/experiments/results/hclt_ties.jsonl
"""
import argparse
import json
import time

import numpy as np

SETTINGS = ("untied", "untied-off", "tied", "tied-random", "tied-emit")


def _random_tied(rng, hist, M, ties):
    """The tied start before the activity ladder: rows drawn at random."""
    from pcz.learn.ties import group_sums
    G, T = ties.groups
    K = hist.shape[1]
    group_hist = group_sums(hist, ties.emit)
    marg = (group_hist + 1.0) / (group_hist + 1.0).sum(-1, keepdims=True)
    emit = marg[:, None, :] * rng.lognormal(0.0, 1.0, size=(G, M, K))
    emit /= emit.sum(-1, keepdims=True)
    trans = rng.dirichlet(np.ones(M), size=(T, M))
    return np.full(M, 1.0 / M), trans[ties.trans], emit[ties.emit]


def main(argv=None) -> list[dict]:
    from pcz.bench.experiments.generality import datasets
    from pcz.learn.em import fit
    from pcz.learn.smoothing import Smoother, find_atoms
    from pcz.learn.structure import chow_liu_tree
    from pcz.learn.ties import Ties, image_ties
    from pcz.learn.train import split, validation_fraction
    from pcz.models import predict
    from pcz.models.values import array_symbols

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("dataset")
    p.add_argument("mini", type=int)
    p.add_argument("full", type=int)
    p.add_argument("M", type=int, nargs="+")
    p.add_argument("--settings", nargs="+", default=list(SETTINGS), choices=SETTINGS)
    p.add_argument("--out")
    args = p.parse_args(argv)
    train = datasets()[args.dataset]()[0]
    shape = train.shape[1:]
    transform = predict.MED_RGB if len(shape) == 3 and shape[-1] >= 3 else predict.MED
    X, _ = array_symbols(train)
    K = 256
    Z = predict.code(X, shape, K, transform)
    t_idx, v_idx = split(len(Z), validation_fraction(len(Z), None), 0)
    Zt, Zv = Z[t_idx], Z[v_idx]
    parent = chow_liu_tree(Zt, K)
    ties = image_ties(shape, parent)
    emit_only = Ties(ties.emit, np.arange(len(parent)))
    hist = np.stack([np.bincount(Zt[:, v], minlength=K) for v in range(Zt.shape[1])])
    rows = []
    for M in args.M:
        for name in args.settings:
            rng = np.random.default_rng(0)
            tie = None if name.startswith("untied") else emit_only if name == "tied-emit" else ties
            init = _random_tied(rng, hist, M, ties) if name == "tied-random" else None
            smoother = Smoother(K, 1.0, 1.0, find_atoms(Zt, K)) if name == "untied" else None
            t0 = time.perf_counter()
            _, log = fit(Zt, Zv, parent, K, M, epochs=args.mini, full_epochs=args.full, relax=1.7,
                         progress=False, smoother=smoother, ties=tie, init=init)
            mini = [e["valid_bpd"] for e in log if e["phase"] == "mini-batch EM"]
            row = {"dataset": args.dataset, "transform": transform, "train": len(t_idx), "valid": len(v_idx),
                   "M": M, "setting": name, "mini": args.mini, "full": args.full,
                   "valid_after_mini": min(mini) if mini else None,
                   "valid_best": min(e["valid_bpd"] for e in log), "epochs": len(log),
                   "seconds": round(time.perf_counter() - t0, 1)}
            rows.append(row)
            print(json.dumps(row), flush=True)
            if args.out:
                with open(args.out, "a") as f:
                    f.write(json.dumps(row) + "\n")
    return rows


if __name__ == "__main__":
    main()
