"""Where lz-rans's encoding time goes: its kernels timed one by one, after a warm-up.

    python -m pcz.bench.experiments.lz_encode_profile [--repeats 21] [FILE ...]

Per file (default: the four Canterbury texts): the whole ``lz.encode`` and, called
directly, the parse (with the symbol counts and the packed extra bits), the mode
estimate, the order-0 check, the table normalisation and the rANS pass (with its table);
median **process CPU time** in milliseconds of ``--repeats`` runs (time.process_time: on a
shared machine wall time counts the other jobs' turns, CPU time much less), and the
whole ``lz.decode`` for comparison.  What ``encode`` takes beyond its kernels ("rest") is
Python, copies and fresh memory.  Results: bench/experiments/results/fast_level.md
("Speeds").

>>> row = profile(b"It was the best of times, it was the worst of times. " * 200, repeats=1)
>>> sorted(row) == sorted(["all", "parse", "costs", "order0", "normalise", "rans", "decode"])
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
    """Median CPU milliseconds of ``fn()`` over ``repeats`` calls, after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return 1e3 * statistics.median(times)


def profile(data: bytes, repeats: int = 21) -> dict:
    """Median CPU milliseconds of ``lz.encode(data)``, of each of its kernels and of ``lz.decode``."""
    from pcz.coders import lz_parse, lz_rans, lz_tables
    arr = np.frombuffer(data, dtype=np.uint8)
    syms, tabs, bits, nbits, counts = lz_parse.parse(arr, lz.CLASSES)
    freq = lz_tables.normalise_rows(counts, lz.ALPHABETS[1])
    payload = lz.encode(data)
    return {"all": _ms(lambda: lz.encode(data), repeats),
            "parse": _ms(lambda: lz_parse.parse(arr, lz.CLASSES), repeats),
            "costs": _ms(lambda: lz_tables.mode_costs(counts, lz_parse.T_LIT), repeats),
            "order0": _ms(lambda: lz_tables.row_cost(lz_parse.byte_counts(arr)), repeats),
            "normalise": _ms(lambda: lz_tables.normalise_rows(counts, lz.ALPHABETS[1]), repeats),
            "rans": _ms(lambda: lz_rans.encode(syms, tabs, freq), repeats),
            "decode": _ms(lambda: lz.decode(payload, len(data)), repeats)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="*", default=[CORPUS + name for name in TEXTS])
    ap.add_argument("--repeats", type=int, default=21)
    args = ap.parse_args()
    for path in args.files:
        with open(path, "rb") as f:
            data = f.read()
        row = profile(data, args.repeats)
        kernels = ("parse", "costs", "order0", "normalise", "rans")
        parts = " ".join(f"{k} {row[k]:.3f}" for k in kernels)
        rest = row["all"] - sum(row[k] for k in kernels)
        print(f"{path.rsplit('/', 1)[-1]}: encode {len(data) / 1e3 / row['all']:.1f} MB/s, "
              f"decode {len(data) / 1e3 / row['decode']:.1f} MB/s (CPU time); encode {row['all']:.3f} ms: "
              f"{parts} rest {rest:.3f}")


if __name__ == "__main__":
    main()
