"""How to model 16-bit records: planes cut from the top of the value range (the chosen
design), the bytes of the value, or one variable of K = 4096 values, on 12-bit data
(validation bits per element, theoretical, float model).

Two datasets, each value = 12-bit level with 4 bits of uniform noise in the low bits:

- ``digits12``: scikit-learn's ``load_digits`` (8x8, levels 0..16) as ``v * 240 + U[0, 16)``;
  images in a seeded random order, the first 1 400 train, the other 397 validate.
- ``fmnist12``: Fashion-MNIST train images as ``x * 16 + U[0, 16)``; images 0..2999 train,
  3000..3999 validate (the test split is not read).

Settings (M latents, the same EM schedule for all):

- ``planes``: each element ``v - min`` cut from the top: its 8 high bits and its 4 low
  bits as two variables of one Chow-Liu tree, K = 256 (:mod:`pcz.models.values`, the
  layout ``pcz train`` fits);
- ``planes+smooth``: the same with emission smoothing sigma 1, weight 1;
- ``bytes``: each element its two bytes (high byte, low byte: ``Layout("u2", 0, 16)``);
- ``bytes+smooth``: the same with emission smoothing sigma 1, weight 1;
- ``K4096``: one variable per element with K = 4096 emission rows (no smoothing);
- ``K4096+smooth``: the same, smoothed with sigma 16 levels (one 8-bit level), weight 1.

    python -m pcz.bench.experiments.records_16bit --latents 8 --out bench/experiments/results/records_16bit.md

>>> x = twelve_bit(np.array([[0, 255]], np.uint8), 16, np.random.default_rng(0))
>>> bool(x.dtype == np.uint16 and x[0, 0] < 16 and 255 * 16 <= x[0, 1] < 4096)
True
"""
import argparse
import json
import time

import numpy as np

from pcz.bench.experiments.hclt_fmnist import TRAIN
from pcz.engine.record_files import load_array
from pcz.models.values import Layout, array_symbols


def twelve_bit(levels: np.ndarray, scale: int, rng) -> np.ndarray:
    """levels * scale + 4 bits of uniform noise, as uint16."""
    return (levels.astype(np.int64) * scale + rng.integers(0, 16, levels.shape)).astype(np.uint16)


def datasets(rng) -> dict:
    from sklearn.datasets import load_digits
    digits = load_digits().images.astype(np.uint8)
    digits = twelve_bit(digits[rng.permutation(len(digits))], 240, rng)
    fmnist = twelve_bit(load_array(TRAIN)[:4000], 16, rng)
    return {"digits12": (digits[:1400], digits[1400:]), "fmnist12": (fmnist[:3000], fmnist[3000:])}


def run(name: str, train: np.ndarray, valid: np.ndarray, setting: str, M: int, epochs: int,
        full_epochs: int) -> dict:
    from pcz.learn.em import fit
    from pcz.learn.smoothing import Smoother
    from pcz.learn.structure import chow_liu_tree
    t0 = time.perf_counter()
    if setting.startswith(("bytes", "planes")):
        layout = Layout("u2", 0, 16) if setting.startswith("bytes") else Layout.fit(train)
        (Xt, _), (Xv, _) = array_symbols(train, layout), array_symbols(valid, layout)
        K, per_element, sigma = 256, layout.planes, 1.0
    else:
        Xt, Xv = train.reshape(len(train), -1), valid.reshape(len(valid), -1)
        K, per_element, sigma = 4096, 1, 16.0
    smoother = Smoother(K, sigma, 1.0, []) if setting.endswith("smooth") else None
    parent = chow_liu_tree(Xt, K)
    params, log = fit(Xt, Xv, parent, K, M, epochs=epochs, full_epochs=full_epochs, batch=256,
                      smoother=smoother, progress=False)
    best = min(e["valid_bpd"] for e in log)
    D = Xt.shape[1]
    return {"dataset": name, "setting": setting, "M": M, "K": K, "variables": D,
            "valid_bits_per_element": best * per_element,
            "parameters": M + (D - 1) * M * M + D * M * K, "seconds": time.perf_counter() - t0}


def markdown(rows: list[dict], args) -> str:
    out = [f"# 16-bit records: planes, bytes or K = 4096 ({args.epochs} mini-batch "
           f"+ {args.full_epochs} full-batch EM epochs)", "",
           "Written by `python -m pcz.bench.experiments.records_16bit` (its docstring has the data and "
           "the splits). Validation bits per 12-bit element, theoretical (float model); the 4 noise "
           "bits are incompressible, so 4.0 is the floor above the image content.", "",
           "| dataset | setting | M | K | variables | parameters | validation bits/element | seconds |",
           "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        out.append(f"| {r['dataset']} | {r['setting']} | {r['M']} | {r['K']} | {r['variables']} | {r['parameters']:,} | "
                   f"{r['valid_bits_per_element']:.4f} | {r['seconds']:.0f} |")
    return "\n".join(out) + "\n"


def main(argv=None) -> list[dict]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--latents", type=int, default=8)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--full-epochs", type=int, default=3)
    p.add_argument("--datasets", nargs="+", default=["digits12", "fmnist12"])
    p.add_argument("--settings", nargs="+",
                   default=["planes", "planes+smooth", "bytes", "bytes+smooth", "K4096", "K4096+smooth"])
    p.add_argument("--out", required=True, help="markdown file; JSON lines go next to it (.jsonl)")
    args = p.parse_args(argv)
    data = datasets(np.random.default_rng(0))
    rows, log = [], args.out.rsplit(".", 1)[0] + ".jsonl"
    for name in args.datasets:
        train, valid = data[name]
        for setting in args.settings:
            rows.append(run(name, train, valid, setting, args.latents, args.epochs, args.full_epochs))
            print(json.dumps(rows[-1]), flush=True)
            with open(log, "a") as f:
                f.write(json.dumps(rows[-1]) + "\n")
            with open(log) as f:         # every run so far, earlier invocations included
                every = [json.loads(line) for line in f if line.strip()]
            with open(args.out, "w") as f:
                f.write(markdown(sorted(every, key=lambda r: (r["dataset"], r["M"])), args))
    return rows


if __name__ == "__main__":
    main()
