"""How many latent states each variable of a trained HCLT uses: the validation cost of
keeping, per variable, only the states that carry a fraction q of its posterior mass
(no retraining), and what that would save in the coder's M x M products.

    python -m pcz.bench.experiments.hclt_prune MODEL.pczm --data TRAIN.idx.gz [--q 0.999 0.99 ...]

The training records are split as ``pcz train`` split them (the same validation records:
:func:`pcz.learn.train.split` with the default fraction and seed 0).  Each state's mass is
its expected count (the posterior flow) over the first ``--flow-records`` training records;
a pruned state's column of its variable's transition matrix (and its share of the prior) is
set to 0 and the rows renormalised, so the pruned model is a proper distribution; the
validation bits per value are then those of that model.  "products" is
sum over edges of kept(parent) x kept(child) over (D - 1) M^2: the share of the
multiply-adds of the coder's transitions a per-variable number of states would keep.

>>> import numpy as np
>>> keep = kept_states(np.array([[0.6, 0.3, 0.1], [0.98, 0.01, 0.01]]), 0.85)
>>> keep.tolist()
[[True, True, False], [True, False, False]]
"""
import argparse
import gzip

import numpy as np


def kept_states(flow: np.ndarray, q: float) -> np.ndarray:
    """(D, M) bool: per row of ``flow`` (each summing to 1), the fewest largest states whose
    mass reaches q."""
    from pcz.learn.prune import n_kept
    order = np.argsort(-flow, 1, kind="stable")
    n = n_kept(flow, q)
    keep = np.zeros(flow.shape, bool)
    for v in range(len(flow)):
        keep[v, order[v, :n[v]]] = True
    return keep


def measure(model_path: str, data_path: str, qs, flow_records: int = 4096) -> list[dict]:
    from pcz.learn.em import Trainer
    from pcz.learn.prune import state_flow
    from pcz.learn.train import split, validation_fraction
    from pcz.models.hclt import HcltModel
    with open(model_path, "rb") as f:
        model = HcltModel.from_bytes(f.read())
    raw = gzip.open(data_path).read()
    X = np.frombuffer(raw, np.uint8, offset=16).reshape(-1, model.D)
    X = np.asarray(model.coded(X)).astype(np.int64)
    train, valid = split(len(X), validation_fraction(len(X), None), 0)
    trainer = Trainer(model.parent, 512, 1.0)
    prior, T, E = model.prior, model.transition, model.emission
    flow = state_flow(model.parent, (prior, T, E), X[train[:flow_records]])
    root = int(np.flatnonzero(model.parent < 0)[0])
    edges = [(int(model.parent[v]), v) for v in range(model.D) if model.parent[v] >= 0]
    rows = [{"q": 1.0, "states": float(model.M), "products": 1.0,
             "valid_bpd": trainer.bpd(trainer.to_device(prior, T, E), X[valid])}]
    for q in qs:
        keep = kept_states(flow, q)
        T2 = T * keep[:, None, :]
        T2 /= T2.sum(-1, keepdims=True)
        p2 = prior * keep[root]
        p2 /= p2.sum()
        kept = keep.sum(1)
        products = sum(kept[p] * kept[v] for p, v in edges) / (len(edges) * model.M ** 2)
        rows.append({"q": q, "states": float(kept.mean()), "products": float(products),
                     "valid_bpd": trainer.bpd(trainer.to_device(p2, T2, E), X[valid])})
    return rows


def main(argv=None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model")
    ap.add_argument("--data", required=True, help="the training IDX file the model was trained on")
    ap.add_argument("--q", type=float, nargs="+", default=[0.999, 0.995, 0.99, 0.98, 0.95])
    ap.add_argument("--flow-records", type=int, default=4096)
    args = ap.parse_args(argv)
    rows = measure(args.model, args.data, args.q, args.flow_records)
    print("| mass kept q | states per variable (mean) | products | validation bits/value |")
    print("|---|---|---|---|")
    for r in rows:
        print(f"| {r['q']:g} | {r['states']:.1f} | {r['products']:.2f} | {r['valid_bpd']:.4f} |")
    return rows


if __name__ == "__main__":
    main()
