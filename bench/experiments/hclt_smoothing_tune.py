"""Tune HCLT emission smoothing and the pseudocount on Fashion-MNIST validation data.

Cheap proxy runs: a small model (``--latents``) trained on a subset of the
train split, scored on the validation split that ``pcz.train`` holds out
(5 % of the 60k train images, seed 0: the images the full-size models never
saw). The test split is never read. One Chow-Liu tree serves every setting;
each setting is ``SIGMA,WEIGHT,ALPHA`` (``0,0,1`` is the default: no smoothing,
pseudocount 1). ``--init`` starts every setting from a trained model
instead (one trained on the same train part, e.g. by ``pcz.train`` with its
default split). Results are appended to ``--out`` (JSON lines) as each run ends.

    python -m pcz.bench.experiments.hclt_smoothing_tune --latents 16 --train 20000 \
        --settings 0,0,1 2,0.6,1 --out runs/tune.jsonl

>>> parse_setting("2,0.6,1")
(2.0, 0.6, 1.0)
"""
import argparse
import json
import time

import numpy as np

from pcz.bench.experiments.hclt_fmnist import TRAIN
from pcz.models.hclt import HcltModel
from pcz.engine.record_files import load_array


def parse_setting(text: str) -> tuple[float, float, float]:
    """``"SIGMA,WEIGHT,ALPHA"`` -> floats."""
    sigma, weight, alpha = (float(v) for v in text.split(","))
    return sigma, weight, alpha


def main(argv=None) -> list[dict]:
    from pcz.learn.em import Trainer, fit
    from pcz.learn.smoothing import Smoother, find_atoms
    from pcz.learn.structure import chow_liu_tree
    from pcz.learn.train import grow, split
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--latents", type=int, default=16)
    p.add_argument("--train", type=int, default=20000, help="first N images of the train part")
    p.add_argument("--init", help="start from this model (its tree; states grown to --latents)")
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--full-epochs", type=int, default=5)
    p.add_argument("--step", type=float, nargs=2, default=[0.5, 0.05], help="first, last epoch")
    p.add_argument("--settings", nargs="+", default=["0,0,1"], help="SIGMA,WEIGHT,ALPHA each")
    p.add_argument("--out", required=True, help="JSON lines file to append to")
    args = p.parse_args(argv)
    X = load_array(TRAIN).reshape(60000, -1)
    train_idx, valid_idx = split(len(X), 0.05, seed=0)
    Xt, Xv = X[train_idx[:args.train]], X[valid_idx]
    K = 256
    init = None
    if args.init:
        with open(args.init, "rb") as f:
            model = HcltModel.from_bytes(f.read())
        parent, init = model.parent, grow(model, args.latents)    # same size: exactly there
    else:
        parent = chow_liu_tree(Xt, K)
    atoms = find_atoms(Xt, K)
    scorer = Trainer(parent, 512, 1.0)
    rows = []
    for text in args.settings:
        sigma, weight, alpha = parse_setting(text)
        t0 = time.perf_counter()
        params, log = fit(Xt, Xv, parent, K, args.latents, epochs=args.epochs,
                          full_epochs=args.full_epochs, step=args.step[0], step_end=args.step[1],
                          alpha=alpha, progress=False, init=init,
                          smoother=Smoother(K, sigma, weight, atoms))
        seconds = time.perf_counter() - t0
        device = scorer.to_device(*params)
        row = {"M": args.latents, "train_images": len(Xt), "valid_images": len(Xv),
               "epochs": args.epochs, "step": args.step, "full_epochs": args.full_epochs,
               "sigma": sigma, "weight": weight, "alpha": alpha, "atoms": atoms, "init": args.init,
               "train_bpd": scorer.bpd(device, Xt), "valid_bpd": scorer.bpd(device, Xv),
               "seconds": seconds, "epochs_log": log}
        rows.append(row)
        with open(args.out, "a") as f:
            f.write(json.dumps(row) + "\n")
        print(f"sigma={sigma} weight={weight} alpha={alpha}: train {row['train_bpd']:.4f} "
              f"valid {row['valid_bpd']:.4f} ({seconds:.0f} s)", flush=True)
    return rows


if __name__ == "__main__":
    main()
