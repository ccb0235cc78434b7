"""Peak memory and speed of ``pcz compress``/``decompress`` streaming stdin to stdout.

    python -m pcz.bench.experiments.stream_memory --mib 1024 [--threads 2] [--fast]

generates MIB MiB of order-0-compressible bytes, pipes them through
``pcz compress`` and the result through ``pcz decompress``, checks the round
trip by hash, and prints MB/s and the peak RSS of each process.

>>> code, rss = pump([sys.executable, "-c", "import sys; sys.stdout.write(sys.stdin.read())"],
...                  lambda: [b"abc"], lambda piece: None)
>>> code
0
"""
import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
import psutil


def _tree_rss(proc: "psutil.Process") -> int:
    total = 0
    for p in [proc] + proc.children(recursive=True):
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def pump(cmd, produce, consume):
    """Run cmd, feeding stdin from the chunks of produce() and passing stdout chunks to consume;
    returns (exit status, peak RSS in MiB of the child and its worker processes together,
    sampled every 20 ms; ru_maxrss is not used because Linux carries it across exec)."""
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    peak = [0]
    done = threading.Event()

    def sample():
        tree = psutil.Process(proc.pid)
        while not done.is_set():
            try:
                peak[0] = max(peak[0], _tree_rss(tree))
            except psutil.Error:
                return
            done.wait(0.02)
    sampler = threading.Thread(target=sample)
    sampler.start()

    def feed():
        for piece in produce():
            proc.stdin.write(piece)
        proc.stdin.close()
    writer = threading.Thread(target=feed)
    writer.start()
    while True:
        piece = proc.stdout.read(1 << 20)
        if not piece:
            break
        consume(piece)
    writer.join()
    status = proc.wait()
    done.set()
    sampler.join()
    return status, peak[0] / (1 << 20)


def sample_block(seed: int = 0) -> bytes:
    """1 MiB of skewed bytes (about 2.2 bits/byte under an order-0 model)."""
    rng = np.random.default_rng(seed)
    return rng.choice(8, size=1 << 20, p=[0.6] + [0.4 / 7] * 7).astype(np.uint8).tobytes()


def measure(mib: int, threads: int = 1, folder: str | None = None, fast: bool = False) -> dict:
    """Stream mib MiB through compress (``--fast`` if fast) and decompress; return sizes,
    speeds and peak RSS."""
    block = sample_block()
    cmd = [sys.executable, "-m", "pcz"]
    want = hashlib.sha256()
    for _ in range(mib):
        want.update(block)
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        path = os.path.join(tmp, "stream.pcz")
        t0 = time.perf_counter()
        with open(path, "wb") as f:
            c_code, c_rss = pump(cmd + ["compress", "-T", str(threads)] + ["--fast"] * fast, lambda: (block for _ in range(mib)), f.write)
        t1 = time.perf_counter()
        got = hashlib.sha256()
        with open(path, "rb") as f:
            d_code, d_rss = pump(cmd + ["decompress", "-T", str(threads)],
                                 lambda: iter(lambda: f.read(1 << 20), b""), got.update)
        t2 = time.perf_counter()
        size = os.path.getsize(path)
    mb = mib * (1 << 20) / 1e6
    return {"mib": mib, "threads": threads, "fast": fast, "ok": c_code == 0 and d_code == 0 and got.digest() == want.digest(),
            "compressed_bytes": size, "compress_MBps": mb / (t1 - t0), "decompress_MBps": mb / (t2 - t1),
            "compress_peak_rss_mib": c_rss, "decompress_peak_rss_mib": d_rss}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mib", type=int, default=1024)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--fast", action="store_true", help="pcz compress --fast")
    args = parser.parse_args()
    print(measure(args.mib, args.threads, fast=args.fast))


if __name__ == "__main__":
    main()
