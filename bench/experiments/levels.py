"""The level ladder measured: bits per byte and MB/s (compress, decompress; one process)
of pcz levels 1, 3, 7, 9 against xz -9e, xz -6, zstd -19 and zstd -3 in the same run.

    python -m pcz.bench.experiments.levels [FILES ...]    # default: the Canterbury texts

>>> row = measure_one(b"hello hello hello " * 50, "pcz -1", lambda b: __import__("pcz").compress(b, level=1),
...                   __import__("pcz").decompress)
>>> row["codec"], row["bpb"] < 8
('pcz -1', True)
"""
import argparse
import lzma
import os
import sys
import time

import pcz

TEXTS = ["alice29.txt", "asyoulik.txt", "lcet10.txt", "plrabn12.txt"]


def codecs() -> dict:
    import zstandard
    out = {f"pcz -{level}": (lambda b, level=level: pcz.compress(b, level=level), pcz.decompress)
           for level in (1, 3, 7, 9)}
    out["xz -9e"] = (lambda b: lzma.compress(b, preset=9 | lzma.PRESET_EXTREME), lzma.decompress)
    out["xz -6"] = (lambda b: lzma.compress(b, preset=6), lzma.decompress)
    for level in (19, 3):
        out[f"zstd -{level}"] = (lambda b, level=level: zstandard.ZstdCompressor(level=level).compress(b),
                                 lambda b: zstandard.ZstdDecompressor().decompress(b))
    return out


def measure_one(data: bytes, name: str, enc, dec, repeats: int = 1) -> dict:
    """Bits per byte and the best compress/decompress MB/s of ``repeats`` runs."""
    best_c = best_d = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        blob = enc(data)
        t1 = time.perf_counter()
        back = dec(blob)
        t2 = time.perf_counter()
        assert back == data, name
        best_c, best_d = min(best_c, t1 - t0), min(best_d, t2 - t1)
    mb = len(data) / 1e6
    return {"codec": name, "bpb": 8 * len(blob) / len(data), "c_MBps": mb / best_c, "d_MBps": mb / best_d}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    folder = os.environ.get("PCZ_CANTERBURY", os.path.join(here, "..", "..", "..", "shared", "data", "canterbury"))
    files = args.files or [os.path.join(folder, name) for name in TEXTS]
    pcz.compress(b"warm up the kernels " * 100, level=3)
    pcz.compress(b"warm up the kernels " * 100, level=9)
    print("| file | codec | bits/byte | compress MB/s | decompress MB/s |\n|---|---|---|---|---|")
    for path in files:
        data = open(path, "rb").read()
        for name, (enc, dec) in codecs().items():
            r = measure_one(data, name, enc, dec, args.repeats)
            print(f"| {os.path.basename(path)} | {name} | {r['bpb']:.3f} | {r['c_MBps']:.2f} | {r['d_MBps']:.2f} |")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
