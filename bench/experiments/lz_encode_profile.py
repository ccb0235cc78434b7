"""Where lz-rans's encoding time goes: its kernels timed one by one, after a warm-up.

    python -m pcz.bench.experiments.lz_encode_profile [--repeats 7] [FILE ...]

Per file (default: the four Canterbury texts): the whole ``lz.encode`` and, called
directly, the parse (with the symbol counts), the mode estimate, the order-0 check, the
table normalisation, the rANS pass (with its table) and the extra bits' packing; median
wall-clock milliseconds of ``--repeats`` runs.  What is left of the whole is Python
and copies.  Results: bench/experiments/results/fast_level.md ("Speeds").

>>> row = profile(b"It was the best of times, it was the worst of times. " * 200, repeats=1)
>>> sorted(row) == sorted(["all", "parse", "costs", "order0", "normalise", "rans", "bits"])
True
"""
import argparse
import statistics
import time

import numpy as np

from pcz.methods import lz

TEXTS = ["alice29.txt", "asyoulik.txt", "lcet10.txt", "plrabn12.txt"]
CORPUS = "/work/shared/data/canterbury/"


def _ms(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times)


def profile(data: bytes, repeats: int = 7) -> dict:
    """Median milliseconds of ``lz.encode(data)`` and of each of its kernels."""
    from pcz.coders import lz_parse, lz_rans, lz_tables
    arr = np.frombuffer(data, dtype=np.uint8)
    syms, tabs, ev, en, counts = lz_parse.parse(arr, lz.CLASSES)
    freq = lz_tables.normalise_rows(counts, lz.ALPHABETS[1])
    return {"all": _ms(lambda: lz.encode(data), repeats),
            "parse": _ms(lambda: lz_parse.parse(arr, lz.CLASSES), repeats),
            "costs": _ms(lambda: lz_tables.mode_costs(counts, lz_parse.T_LIT), repeats),
            "order0": _ms(lambda: lz_tables.row_cost(lz_parse.byte_counts(arr)), repeats),
            "normalise": _ms(lambda: lz_tables.normalise_rows(counts, lz.ALPHABETS[1]), repeats),
            "rans": _ms(lambda: lz_rans.encode(syms, tabs, freq), repeats),
            "bits": _ms(lambda: lz_rans.pack_bits(ev, en), repeats)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="*", default=[CORPUS + name for name in TEXTS])
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    for path in args.files:
        with open(path, "rb") as f:
            data = f.read()
        row = profile(data, args.repeats)
        parts = " ".join(f"{k} {v:.2f}" for k, v in row.items() if k != "all")
        print(f"{path.rsplit('/', 1)[-1]}: {len(data) / 1e3 / row['all']:.1f} MB/s, all {row['all']:.2f} ms: {parts}")


if __name__ == "__main__":
    main()
