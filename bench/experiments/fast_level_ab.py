"""Level 1 before and after a change: CPU-time speeds measured by two checkouts in turn.

    python -m pcz.bench.experiments.fast_level_ab [--repeats 31] [FILE ...] > run.json
    python -m pcz.bench.experiments.fast_level_ab --table before_*.json --after after_*.json

The first form measures, per file (default: the Canterbury corpus), ``lz.encode``/
``lz.decode`` (the lz-rans method) and ``pcz.compress(level=1)``/``pcz.decompress``: the
median **process CPU time** of ``--repeats`` runs after a warm-up (on a shared machine
wall time counts the other jobs' turns, CPU time much less), and the sizes; it prints one
JSON object; with them, the speed of the two checksums the container computes over the
whole content (BLAKE2b-128 and CRC32, hashlib and zlib: what ``pcz -1`` pays beyond the
method).  It uses only calls every checkout has, so this file can be run by path with
the Python of an older checkout (``/old/.venv/bin/python bench/experiments/fast_level_ab.py``):
run it alternately before and after a change, a few rounds each, and the second form prints
a markdown table of the medians over the rounds (and checks that the sizes agree).  Results:
bench/experiments/results/fast_level.md ("Speeds").

>>> row = measure(b"It was the best of times, it was the worst of times. " * 200, repeats=1)
>>> sorted(row) == ["b2", "crc", "lz_bytes", "lz_c", "lz_d", "n", "pcz_bytes", "pcz_c", "pcz_d"]
True
>>> table([{"a": dict(row, lz_c=50.0)}], [{"a": dict(row, lz_c=100.0)}]).splitlines()[2].startswith(
...     "| a | 50.0 → **100.0** |")
True
"""
import argparse
import hashlib
import json
import os
import statistics
import sys
import time
import zlib

import pcz
from pcz.methods import lz

CORPUS = os.environ.get("PCZ_CANTERBURY", "/work/shared/data/canterbury")


def _mbps(fn, n: int, repeats: int) -> float:
    # not lz_encode_profile._ms: run by path with an older checkout, this file must time
    # with its own code (older checkouts' helpers timed wall clock)
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return n / 1e6 / max(statistics.median(times), 1e-9)


def measure(data: bytes, repeats: int = 31) -> dict:
    """CPU-time MB/s of lz-rans and of ``pcz -1`` both ways, and their sizes, for ``data``."""
    n = len(data)
    payload, blob = lz.encode(data), pcz.compress(data, level=1)
    assert lz.decode(payload, n) == data and pcz.decompress(blob) == data
    return {"n": n, "lz_bytes": len(payload), "pcz_bytes": len(blob),
            "lz_c": _mbps(lambda: lz.encode(data), n, repeats),
            "lz_d": _mbps(lambda: lz.decode(payload, n), n, repeats),
            "pcz_c": _mbps(lambda: pcz.compress(data, level=1), n, repeats),
            "pcz_d": _mbps(lambda: pcz.decompress(blob), n, repeats),
            "b2": _mbps(lambda: hashlib.blake2b(data, digest_size=16).digest(), n, repeats),
            "crc": _mbps(lambda: zlib.crc32(data), n, repeats)}


def table(before: list, after: list) -> str:
    """Markdown rows: the medians over the rounds before → after, per file."""
    lines = ["| file | lz-rans compress | lz-rans decompress | pcz -1 compress | pcz -1 decompress "
             "| pcz -1 bits/byte | BLAKE2b-128 / CRC32 |", "|---|---|---|---|---|---|---|"]
    for name in before[0]:
        rounds = before + after
        if len({(r[name]["lz_bytes"], r[name]["pcz_bytes"]) for r in rounds}) != 1:
            raise ValueError(f"{name}: the sizes differ between the runs")

        def cell(key, bold=False):
            a, b = (statistics.median(r[name][key] for r in runs) for runs in (before, after))
            return f"{a:.1f} → **{b:.1f}**" if bold else f"{a:.1f} → {b:.1f}"
        row = before[0][name]
        sums = " / ".join(f"{statistics.median(r[name].get(k, 0) for r in rounds):.0f}" for k in ("b2", "crc"))
        lines.append(f"| {name} | {cell('lz_c', True)} | {cell('lz_d')} | {cell('pcz_c', True)} | "
                     f"{cell('pcz_d', True)} | {8 * row['pcz_bytes'] / row['n']:.3f} | {sums} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="*")
    ap.add_argument("--repeats", type=int, default=31)
    ap.add_argument("--table", nargs="+", metavar="BEFORE_JSON", help="print the table of these runs ...")
    ap.add_argument("--after", nargs="+", metavar="AFTER_JSON", help="... against these")
    args = ap.parse_args()
    if args.table:
        print(table([json.load(open(p)) for p in args.table], [json.load(open(p)) for p in args.after]))
        return
    files = args.files or [os.path.join(CORPUS, name) for name in sorted(os.listdir(CORPUS))]
    out = {}
    for path in files:
        with open(path, "rb") as f:
            out[os.path.basename(path)] = measure(f.read(), args.repeats)
        print(f"{os.path.basename(path)} done", file=sys.stderr)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
