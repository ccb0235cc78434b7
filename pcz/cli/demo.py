"""``pcz demo``: compress the samples shipped with pcz and show the result.

>>> rows = run_demo()
>>> all(row["roundtrip"] for row in rows)
True
"""
import os
import time
from importlib import resources

import click

import pcz
from pcz.cli.options import EXIT_ERROR


def samples() -> dict[str, bytes]:
    """The built-in samples: a text shipped with pcz, plus generated binary data."""
    import numpy as np
    rng = np.random.default_rng(2026)
    return {
        "sample.txt": (resources.files("pcz") / "data" / "sample.txt").read_bytes(),
        "skewed.bin": rng.choice(16, 200_000, p=np.r_[[0.5], np.full(15, 0.5 / 15)]).astype(np.uint8).tobytes(),
        "random.bin": rng.integers(0, 256, 100_000, dtype=np.uint8).tobytes(),
    }


def run_demo() -> list[dict]:
    """Round-trip every sample; return one row of measurements per sample."""
    rows = []
    for name, data in samples().items():
        t0 = time.perf_counter()
        blob = pcz.compress(data)
        t1 = time.perf_counter()
        back = pcz.decompress(blob)
        t2 = time.perf_counter()
        rows.append({"name": name, "original": len(data), "compressed": len(blob),
                     "bits_per_byte": 8 * len(blob) / len(data), "roundtrip": back == data,
                     "compress_s": t1 - t0, "decompress_s": t2 - t1})
    return rows


def format_rows(rows: list[dict]) -> str:
    """A small table of :func:`run_demo` rows."""
    lines = [f"{'sample':12s} {'bytes':>8s} {'pcz':>8s} {'bits/byte':>9s}  round trip",
             "-" * 52]
    for r in rows:
        lines.append(f"{r['name']:12s} {r['original']:8d} {r['compressed']:8d} "
                     f"{r['bits_per_byte']:9.3f}  {'ok' if r['roundtrip'] else 'FAILED'}")
    return os.linesep.join(lines)


@click.command()
def demo():
    """Compress the samples shipped with pcz and show the rates."""
    rows = run_demo()
    click.echo(format_rows(rows))
    return 0 if all(r["roundtrip"] for r in rows) else EXIT_ERROR
