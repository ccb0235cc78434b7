"""The fastest level measured: pcz level 1 (lz-rans, method 13) against order0-rans (the
level-1 method before it), zstd -1, zstd -3 and lz4 -1 on the Canterbury corpus.

    python -m pcz.bench.experiments.fast_level [--repeats 7] [--cpu] [--cli] [--threads-check MIB]

Per file: bits per byte (the whole .pcz for level 1, payloads for the methods), and
compress/decompress MB/s in process (median of ``--repeats`` runs, wall clock, or with
``--cpu`` this process's CPU time, which other jobs on a shared machine inflate far less;
after a warm-up): ``pcz -1`` is ``pcz.compress(level=1)``/``pcz.decompress`` end to end,
``lz-rans`` and ``order0-rans`` the chunk methods alone, zstd through ``zstandard`` in
the same process (a yardstick of how contended the machine is).  ``--cli`` adds the
command line (``pcz compress --fast -c``, start-up included, median of 3) and
``zstd -1``/``lz4 -1``; ``--threads-check`` times ``-T1``/``-T2``/``-T0`` on MIB MiB
made of the corpus and checks that the outputs are identical.

>>> row = measure(b"abracadabra " * 2000, "lz-rans", lambda b: b[:10], lambda b: b"x", repeats=1)
>>> row["codec"], row["bpb"] < 1
('lz-rans', True)
"""
import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import pcz
from pcz.methods import lz, order0

TEXTS = {"alice29.txt", "asyoulik.txt", "lcet10.txt", "plrabn12.txt"}


def measure(data: bytes, name: str, enc, dec, repeats: int = 7, clock=time.perf_counter) -> dict:
    """Bits per byte and median compress/decompress MB/s over ``repeats`` runs, timed by ``clock``."""
    blob = enc(data)
    dec(blob)
    tc, td = [], []
    for _ in range(repeats):
        t0 = clock()
        blob = enc(data)
        t1 = clock()
        dec(blob)
        t2 = clock()
        tc.append(t1 - t0)
        td.append(t2 - t1)
    mb = len(data) / 1e6
    return {"codec": name, "bpb": 8 * len(blob) / len(data), "c": mb / statistics.median(tc),
            "d": mb / statistics.median(td)}


def codecs() -> dict:
    import zstandard
    out = {"pcz -1": (lambda b: pcz.compress(b, level=1), pcz.decompress)}
    out["lz-rans"] = (lz.encode, None)
    out["order0-rans"] = (order0.encode_rans, None)
    for level in (1, 3):
        out[f"zstd -{level}"] = (lambda b, level=level: zstandard.ZstdCompressor(level=level).compress(b),
                                 lambda b: zstandard.ZstdDecompressor().decompress(b))
    return out


def _cli_time(cmd: list, src: str, repeats: int = 3) -> tuple[float, bytes]:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        r = subprocess.run(cmd + [src], stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), r.stdout


def cli_rows(path: str) -> list:
    """(codec, bits per byte, compress MB/s, decompress MB/s) through the command lines."""
    size = os.path.getsize(path)
    rows = []
    pcz_cmd = [sys.executable, "-m", "pcz"]
    tools = [("pcz --fast", pcz_cmd + ["compress", "--fast", "-c"], pcz_cmd + ["decompress", "-c"])]
    for tool, flag in (("zstd", "-1"), ("lz4", "-1")):
        if shutil.which(tool):
            tools.append((f"{tool} {flag} (CLI)", [tool, flag, "-c"], [tool, "-d", "-c"]))
    with tempfile.TemporaryDirectory() as tmp:
        for name, comp, decomp in tools:
            tc, blob = _cli_time(comp, path)
            packed = os.path.join(tmp, "packed")
            with open(packed, "wb") as f:
                f.write(blob)
            td, back = _cli_time(decomp, packed)
            assert back == open(path, "rb").read(), name
            rows.append((name, 8 * len(blob) / size, size / 1e6 / tc, size / 1e6 / td))
    return rows


def threads_check(folder: str, mib: int) -> None:
    """-T1, -T2 and -T0 (all cores) on ``mib`` MiB of the corpus: wall time and identical output."""
    corpus = b"".join(open(os.path.join(folder, n), "rb").read() for n in sorted(os.listdir(folder)))
    data = (corpus * (mib * (1 << 20) // len(corpus) + 1))[:mib << 20]
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "big")
        with open(src, "wb") as f:
            f.write(data)
        print(f"\n{mib} MiB of the corpus repeated, `pcz compress --fast -c -T N` (median of 3, start-up "
              f"included; os.cpu_count() = {os.cpu_count()}):\n")
        print("| -T | compress MB/s | decompress MB/s | output SHA-256 |\n|---|---|---|---|")
        for t in ("1", "2", "0"):
            cmd = [sys.executable, "-m", "pcz"]
            tc, blob = _cli_time(cmd + ["compress", "--fast", "-c", "-T", t], src)
            packed = os.path.join(tmp, "packed")
            with open(packed, "wb") as f:
                f.write(blob)
            td, back = _cli_time(cmd + ["decompress", "-c", "-T", t], packed)
            assert back == data
            print(f"| {t} | {len(data) / 1e6 / tc:.1f} | {len(data) / 1e6 / td:.1f} | "
                  f"{hashlib.sha256(blob).hexdigest()[:16]} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--cpu", action="store_true", help="time in process CPU time, not wall clock")
    parser.add_argument("--cli", action="store_true", help="also time the command lines")
    parser.add_argument("--threads-check", type=int, default=0, metavar="MIB")
    args = parser.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    folder = os.environ.get("PCZ_CANTERBURY", os.path.join(here, "..", "..", "..", "shared", "data", "canterbury"))
    files = args.files or [os.path.join(folder, n) for n in sorted(os.listdir(folder))]
    print(f"load average at start: {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores); in-process speeds in "
          f"{'CPU time' if args.cpu else 'wall time'}\n")
    print("| file | codec | bits/byte | compress MB/s | decompress MB/s |\n|---|---|---|---|---|")
    for path in files:
        data = open(path, "rb").read()
        name = os.path.basename(path) + (" (text)" if os.path.basename(path) in TEXTS else "")
        for codec, (enc, dec) in codecs().items():
            if codec == "lz-rans":
                dec = lambda b: lz.decode(b, len(data))           # noqa: E731
            elif codec == "order0-rans":
                dec = lambda b: order0.decode_rans(b, len(data))  # noqa: E731
            r = measure(data, codec, enc, dec, args.repeats, time.process_time if args.cpu else time.perf_counter)
            print(f"| {name} | {codec} | {r['bpb']:.3f} | {r['c']:.1f} | {r['d']:.1f} |")
            sys.stdout.flush()
        if args.cli:
            for codec, bpb, c, d in cli_rows(path):
                print(f"| {name} | {codec} | {bpb:.3f} | {c:.1f} | {d:.1f} |")
    if args.threads_check:
        threads_check(folder, args.threads_check)
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
