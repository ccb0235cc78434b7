"""Method 9 ``cm`` (the lean context-mixing model) against xz -9e and zstd -19: ratio and speed.

Run::

    python -m pcz.bench.experiments.cm_speed [CANTERBURY_DIR] [--repeat 3] [--random-mb 10] [--json OUT]
    python -m pcz.bench.experiments.cm_speed --files A.txt B.txt      # any files (tuning: never Canterbury)

For each file it prints the bits per byte of the method's payload (mode byte and
coder stream; files over 1 MiB are cut into 1 MiB chunks like the container does,
each coded alone), compression and decompression in MB/s (wall clock, one
process, one thread: one core; the best of ``--repeat`` runs), and the bits per
byte of xz -9e and zstd -19 measured in the same run (python ``lzma`` preset
9 | PRESET_EXTREME, ``zstandard`` level 19), with their compression MB/s.  Then
the speed on ``--random-mb`` MB of random bytes: with the probe the encoder gives
up after 64 KiB of each chunk (the container stores such chunks raw); without it,
the kernel codes everything (and decodes it).

>>> row = measure(b"the cat sat on the mat. " * 200, repeat=1)
>>> row["cm"] < row["xz -9e"] < 8
True
"""
import argparse
import json
import lzma
import os
import sys
import time

import numpy as np

from pcz.bench.experiments.text_canterbury import default_dir
from pcz.coders import cm as kernel
from pcz.methods import cm

FILES = ("alice29.txt", "asyoulik.txt", "lcet10.txt", "plrabn12.txt", "kennedy.xls", "ptt5", "sum")
CHUNK = 1 << 20


def _best(func, repeat: int) -> tuple[tuple[float, float], object]:
    """((best CPU seconds of this process, best wall seconds), the last result)."""
    cpu, wall, out = float("inf"), float("inf"), None
    for _ in range(repeat):
        c, w = time.process_time(), time.perf_counter()
        out = func()
        cpu, wall = min(cpu, time.process_time() - c), min(wall, time.perf_counter() - w)
    return (cpu, wall), out


def _rate(mb: float, seconds: tuple[float, float]) -> tuple[float, float]:
    return mb / max(seconds[0], 1e-9), mb / max(seconds[1], 1e-9)


def measure(data: bytes, repeat: int = 3) -> dict:
    """Bits per byte of cm, xz -9e and zstd -19, and MB/s of each (cm both ways)."""
    import zstandard
    chunks = [data[i:i + CHUNK] for i in range(0, len(data), CHUNK)] or [b""]
    enc_s, payloads = _best(lambda: [cm.encode(c) for c in chunks], repeat)
    if any(p is None for p in payloads):
        raise ValueError("cm did not compress a chunk of this file")
    dec_s, back = _best(lambda: b"".join(cm.decode(p, len(c)) for p, c in zip(payloads, chunks)), repeat)
    if back != data:
        raise AssertionError("cm round trip failed")
    xz_s, xz = _best(lambda: lzma.compress(data, preset=9 | lzma.PRESET_EXTREME), repeat)
    zs_s, zs = _best(lambda: zstandard.ZstdCompressor(level=19).compress(data), repeat)
    n, mb = len(data), len(data) / 1e6
    return {"bytes": n, "cm": 8 * sum(map(len, payloads)) / n, "xz -9e": 8 * len(xz) / n,
            "zstd -19": 8 * len(zs) / n, "cm_enc_MBps": _rate(mb, enc_s), "cm_dec_MBps": _rate(mb, dec_s),
            "xz_enc_MBps": _rate(mb, xz_s), "zstd_enc_MBps": _rate(mb, zs_s)}


def measure_random(megabytes: float, repeat: int = 3) -> dict:
    """MB/s on random bytes: the method (the probe gives up), and the kernel coding everything.

    >>> row = measure_random(0.3, repeat=1)
    >>> 8 < row["full_bpb"] < 8.1
    True
    """
    data = np.random.default_rng(0).integers(0, 256, int(megabytes * 10**6), dtype=np.uint8).tobytes()
    chunks = [np.frombuffer(data[i:i + CHUNK], dtype=np.uint8) for i in range(0, len(data), CHUNK)]
    probe_s, _ = _best(lambda: [cm.encode(c.tobytes()) for c in chunks], repeat)
    full = [(c, np.zeros(len(c) + len(c) // 8 + 64, dtype=np.uint8)) for c in chunks]

    def code_all():
        return [out[:kernel._code(np.array(c), len(c), out, True, -1, *kernel._setup(len(c), 1))].tobytes()
                for c, out in full]
    full_s, streams = _best(code_all, repeat)
    dec_s, back = _best(lambda: [kernel.decode(s, len(c), 1) for s, (c, _) in zip(streams, full)], repeat)
    if any(b.tobytes() != c.tobytes() for b, (c, _) in zip(back, full)):
        raise AssertionError("cm round trip failed on random bytes")
    mb = len(data) / 1e6
    return {"MB": mb, "method_enc_MBps": _rate(mb, probe_s), "full_enc_MBps": _rate(mb, full_s),
            "full_dec_MBps": _rate(mb, dec_s),
            "full_bpb": 8 * sum(map(len, streams)) / len(data)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", nargs="?", default=None, help="Canterbury folder (default: shared/data)")
    parser.add_argument("--files", nargs="+", help="these files instead of the Canterbury ones")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--random-mb", type=int, default=10, help="0: skip the random-bytes row")
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args(argv)
    paths = args.files or [os.path.join(args.folder or default_dir(), f) for f in FILES]
    cm.decode(cm.encode(b"warm up the compiled kernel " * 8), 224)
    print("MB/s: CPU time of this process / wall clock, each the best of the runs\n")
    print("| file | cm bpb | xz -9e | zstd -19 | cm compress MB/s | cm decompress MB/s | xz -9e MB/s | zstd -19 MB/s |")
    print("|---|---|---|---|---|---|---|---|")
    pair = "{0[0]:.2f} / {0[1]:.2f}".format
    rows = {}
    for path in paths:
        r = rows[os.path.basename(path)] = measure(open(path, "rb").read(), args.repeat)
        print(f"| {os.path.basename(path)} | **{r['cm']:.3f}** | {r['xz -9e']:.3f} | {r['zstd -19']:.3f} | "
              f"{pair(r['cm_enc_MBps'])} | {pair(r['cm_dec_MBps'])} | {pair(r['xz_enc_MBps'])} | "
              f"{pair(r['zstd_enc_MBps'])} |",
              flush=True)
    if args.random_mb:
        r = rows["random"] = measure_random(args.random_mb, args.repeat)
        print(f"\nrandom bytes, {r['MB']:.0f} MB: the method {pair(r['method_enc_MBps'])} MB/s (gives up after "
              f"{kernel.PROBE // 1024} KiB of each 1 MiB chunk); coding everything {pair(r['full_enc_MBps'])} MB/s, "
              f"decoding {pair(r['full_dec_MBps'])} MB/s, {r['full_bpb']:.4f} bits per byte")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
