"""Text benchmark: pcz's default text mode and Equal-Info windows against classic codecs.

Benchmark files only (never used for training or tuning): the Canterbury texts
alice29.txt, asyoulik.txt, lcet10.txt, plrabn12.txt.  Run::

    python -m pcz.bench.experiments.text_canterbury [CANTERBURY_DIR] [--json OUT.json]

It prints, per file: bits per character of ``pcz.compress`` (the whole .pcz file:
container, model id and any adaptation; the shipped model is part of the
package, like brotli's dictionary, and its size is printed once), of the
previous default (the adaptive HMM alone, chunk method 3, whole file too), of the
same HMM without adaptation, and of gzip -9, bzip2 -9, xz -9e, zstd -19,
brotli -11 (Python bindings, same settings); then for each window size W the
windowed bpc, the share of windows that decode on their own to exactly their
bytes, and retention = unwindowed bpc / windowed bpc (the unwindowed figure is
the same model without adaptation, as in Lester et al. 2024), split into
the cost of restarting the model at every window and the packing waste; and the
throughput of compression and decompression in one process.

>>> row = codec_sizes(b"hello hello hello hello")
>>> sorted(row)
['brotli -11', 'bzip2 -9', 'gzip -9', 'xz -9e', 'zstd -19']
"""
import argparse
import bz2
import gzip
import io
import json
import lzma
import os
import sys
import time

import numpy as np

import pcz
from pcz import methods
from pcz.methods import text
from pcz.coders import hmm_chain

FILES = ("alice29.txt", "asyoulik.txt", "lcet10.txt", "plrabn12.txt")
WINDOWS = (16, 32, 64, 128)


def default_dir() -> str:
    """$PCZ_CANTERBURY, else the first shared/data/canterbury above this file."""
    if os.environ.get("PCZ_CANTERBURY"):
        return os.environ["PCZ_CANTERBURY"]
    folder = os.path.dirname(os.path.abspath(__file__))
    while os.path.dirname(folder) != folder:
        candidate = os.path.join(folder, "shared", "data", "canterbury")
        if os.path.isdir(candidate):
            return candidate
        folder = os.path.dirname(folder)
    return "canterbury"


def codec_sizes(data: bytes) -> dict[str, int]:
    """Compressed sizes of the classic codecs at their strongest usual settings."""
    import brotli
    import zstandard
    return {
        "gzip -9": len(gzip.compress(data, 9, mtime=0)),
        "bzip2 -9": len(bz2.compress(data, 9)),
        "xz -9e": len(lzma.compress(data, preset=9 | lzma.PRESET_EXTREME)),
        "zstd -19": len(zstandard.ZstdCompressor(level=19).compress(data)),
        "brotli -11": len(brotli.compress(data, quality=11)),
    }


def _timed(fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - start


def window_figures(data: bytes, model, W: int) -> dict:
    """Windowed bpc, per-window round-trip success, and coding speed for one W."""
    rows, t_enc = _timed(text.encode_windows, data, model, W)
    (back, ends), t_dec = _timed(text.decode_windows, rows, len(data), model)
    starts = np.r_[0, ends[:-1]]
    ok, ideal = 0, 0.0
    scratch = np.zeros(len(data), dtype=np.uint8)
    src = np.frombuffer(data, dtype=np.uint8)
    for i in range(len(rows)):
        end = hmm_chain.decode_window(rows[i], *model.kernel_args(), scratch, 0)
        ok += end == ends[i] - starts[i] and scratch[:end].tobytes() == data[starts[i]:ends[i]]
        piece = src[starts[i]:ends[i]]
        p = hmm_chain.predictive(piece, model.prior, model.T, model.E, model.cls)
        ideal -= np.log2(p[np.arange(len(piece)), piece]).sum()
    return {"bpc": len(rows) * W / len(data), "windows": len(rows), "roundtrip": ok / len(rows),
            "whole": back == data, "packing": ideal / (len(rows) * W),
            "reset_bpc": ideal / len(data), "compress_kBps": len(data) / t_enc / 1e3,
            "decompress_kBps": len(data) / t_dec / 1e3}


def chain_vs_treewalk(model, data: bytes) -> dict:
    """Seconds per byte of the fused chain kernel (model + coder) and of TreeWalk's
    conditionals alone (one probs/observe call pair per byte), same model and bytes."""
    from pcz.coders.tree_pc import TreeWalk
    src = np.frombuffer(data, dtype=np.uint8)
    slot = np.zeros(len(src), dtype=np.int32)
    slot[1:] = model.cls[src[:-1]]
    walk = TreeWalk(np.arange(-1, len(src) - 1), model.prior, model.T, model.E, batch=1, tidx=slot, eidx=slot)
    start = time.perf_counter()
    for i in range(len(src)):
        walk.probs(i)
        walk.observe(i, src[i:i + 1])
    t_walk = time.perf_counter() - start
    _, t_chain = _timed(text.encode_hmm, data, model, text.MODE_STATIC)
    return {"treewalk_us_per_byte": 1e6 * t_walk / len(src), "chain_us_per_byte": 1e6 * t_chain / len(src)}


def previous_default(data: bytes) -> bytes:
    """The whole file as the previous default wrote it: shipped model, order0 or the adaptive HMM per chunk."""
    out = io.BytesIO()
    pcz.compress_stream(io.BytesIO(data), out, model=text.default_model_bytes(),
                           candidates=(methods.ORDER0, methods.HMM))
    return out.getvalue()


def measure(path: str) -> dict:
    data = open(path, "rb").read()
    model = text.default_model()
    n = len(data)
    blob, t_c = _timed(pcz.compress, data)
    back, t_d = _timed(pcz.decompress, blob)
    static = text.encode_hmm(data, model, text.MODE_STATIC)
    row = {"file": os.path.basename(path), "bytes": n, "pcz": 8 * len(blob) / n,
           "pcz_roundtrip": back == data, "hmm_static": 8 * len(static) / n,
           "hmm_adaptive": 8 * len(previous_default(data)) / n,
           "compress_kBps": n / t_c / 1e3, "decompress_kBps": n / t_d / 1e3,
           "codecs": {k: 8 * v / n for k, v in codec_sizes(data).items()}, "windows": {}}
    for W in WINDOWS:
        fig = window_figures(data, model, W)
        fig["retention"] = row["hmm_static"] / fig["bpc"]
        fig["retention_vs_default"] = row["pcz"] / fig["bpc"]
        row["windows"][W] = fig
    return row


def report(rows: list[dict]) -> str:
    codecs = list(rows[0]["codecs"])
    head = f"{'file':14s} {'pcz':>6s} {'hmm':>6s} {'static':>6s} " + " ".join(f"{c:>10s}" for c in codecs)
    lines = ["bits per character (whole files; pcz = default: HMM + context models mixed, hmm = the previous default,"
             " the adaptive HMM alone; static = the HMM without adaptation)", head]
    for r in rows:
        lines.append(f"{r['file']:14s} {r['pcz']:6.3f} {r['hmm_adaptive']:6.3f} {r['hmm_static']:6.3f} "
                     + " ".join(f"{r['codecs'][c]:10.3f}" for c in codecs))
    lines.append("")
    lines.append("Equal-Info windows: bpc / windows decoding alone (%) / retention vs static, vs default")
    for W in WINDOWS:
        cells = [f"{r['windows'][W]['bpc']:.3f}/{100 * r['windows'][W]['roundtrip']:.0f}%/"
                 f"{100 * r['windows'][W]['retention']:.0f}%,{100 * r['windows'][W]['retention_vs_default']:.0f}%"
                 for r in rows]
        lines.append(f"W={W:<4d} " + "  ".join(cells))
    lines.append("")
    lines.append("where the windowed bits go: bpc of the bytes under a model reset at each window start"
                 " / packing efficiency (those bits / W)")
    for W in WINDOWS:
        cells = [f"{r['windows'][W]['reset_bpc']:.3f}/{100 * r['windows'][W]['packing']:.1f}%" for r in rows]
        lines.append(f"W={W:<4d} " + "  ".join(cells))
    lines.append("")
    lines.append("throughput kB/s (compress / decompress), one process")
    for r in rows:
        w = "  ".join(f"W{W} {r['windows'][W]['compress_kBps']:.0f}/{r['windows'][W]['decompress_kBps']:.0f}"
                      for W in WINDOWS)
        lines.append(f"{r['file']:14s} default {r['compress_kBps']:.0f}/{r['decompress_kBps']:.0f}  {w}")
    size = len(text.default_model_bytes())
    lines.append(f"\nshipped model: {text.DEFAULT_MODEL}, {size} bytes, H={text.default_model().hidden}, "
                 f"C={text.default_model().slots}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", nargs="?", default=default_dir())
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args(argv)
    pcz.decompress(pcz.compress(b"warm up the compiled kernels " * 8))
    rows = [measure(os.path.join(args.folder, f)) for f in FILES]
    print(report(rows))
    speed = chain_vs_treewalk(text.default_model(), open(os.path.join(args.folder, FILES[0]), "rb").read()[:20000])
    print(f"chain kernel (model + coder): {speed['chain_us_per_byte']:.2f} us/byte; TreeWalk conditionals "
          f"alone: {speed['treewalk_us_per_byte']:.2f} us/byte (first 20000 bytes of {FILES[0]})")
    rows.append({"speed": speed})
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 0 if all(r["pcz_roundtrip"] and all(w["roundtrip"] == 1 and w["whole"]
                                               for w in r["windows"].values()) for r in rows[:-1]) else 1


if __name__ == "__main__":
    sys.exit(main())
