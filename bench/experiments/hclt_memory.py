"""What an HCLT model costs in memory to decode with: its footprint (what the decoder's memory
limit is charged, from the header and a pruned model's states) beside the peak resident memory
of loading it and decoding test records with method 5, and the decode rate beside the transition
products of one record's walk (sum of m_parent m_v), one process per model (so each starts from
the same state), e.g.::

    python -m pcz.bench.experiments.hclt_memory m64.pczm w96.pczm --records 2000

Records: the first ``--records`` Fashion-MNIST test images (the models must be trained on the
train split only).

>>> row = {"model": "a.pczm", "M": 8, "states": 6.5, "products": 1200, "footprint_mib": 30.0, "peak_mib": 12.0,
...        "decode_img_s": 100.0, "bpd": 4.1}
>>> markdown([row]).splitlines()[2]
'| a.pczm | 8 | 6.5 | 1,200 | 30 | 12 | 100 | 4.1000 |'
"""
import argparse
import gzip
import json
import subprocess
import sys
import time

TEST = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"


def measure(path: str, records: int) -> dict:
    """Footprint, peak resident memory of loading the model and decoding, decode rate."""
    import numpy as np

    from pcz import methods, models
    from pcz.bench.memory import PeakMemory
    from pcz.models.hclt import HcltModel
    from pcz.models.hclt_file import transition_entries
    data = open(path, "rb").read()
    raw = gzip.open(TEST).read()
    X = np.frombuffer(raw, np.uint8, offset=16).reshape(-1, 784)[:records].tobytes()
    rans = methods.get(methods.HCLT_RANS)
    payload = rans.encode(X, HcltModel.from_bytes(data))     # compiles the kernels; its coder is dropped
    with PeakMemory() as mem:
        model = HcltModel.from_bytes(data)
        assert rans.decode(payload, len(X), model) == X
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        rans.decode(payload, len(X), model)
        best = min(best, time.perf_counter() - t0)
    return {"model": path, "M": model.M, "states": round(float(model.states.mean()), 1),
            "products": transition_entries(model.parent, model.states),
            "footprint_mib": models.footprint(data) / 2 ** 20,
            "peak_mib": None if mem.extra is None else mem.extra / 2 ** 20,
            "decode_img_s": records / best, "bpd": 8 * len(payload) / len(X)}


def markdown(rows: list[dict]) -> str:
    lines = ["| model | M | states (mean) | transition products | footprint MiB | peak RSS MiB (load + decode) "
             "| decode img/s | bpd |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        peak = "n/a" if r["peak_mib"] is None else f"{r['peak_mib']:.0f}"
        lines.append(f"| {r['model']} | {r['M']} | {r['states']} | {r['products']:,} | {r['footprint_mib']:.0f} "
                     f"| {peak} | {r['decode_img_s']:.0f} | {r['bpd']:.4f} |")
    return "\n".join(lines)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models", nargs="+")
    ap.add_argument("--records", type=int, default=2000)
    ap.add_argument("--one", action="store_true", help=argparse.SUPPRESS)    # a child: one model, JSON out
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(measure(args.models[0], args.records)))
        return
    rows = [json.loads(subprocess.run([sys.executable, "-m", __spec__.name, path, "--records", str(args.records),
                                       "--one"], check=True, capture_output=True, text=True).stdout)
            for path in args.models]
    print(markdown(rows))


if __name__ == "__main__":
    main()
