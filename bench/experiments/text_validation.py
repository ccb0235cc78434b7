"""Bits per byte of the text methods on validation files (the text the mixture was tuned on).

Run::

    python -m pcz.bench.experiments.text_validation FILE [FILE ...]

It prints, per file, the bits per byte of the coded chunk (no container) of
``hmm-mix`` (the default) and of the adaptive HMM alone (method 3), and the
speed of hmm-mix in one process.  docs/TEXT.md says which validation files were
used and how to rebuild them; never pass benchmark files to tune on.

>>> row = measure_bytes(b"It was the best of times, it was the worst of times. " * 20)
>>> row["hmm-mix"] < row["hmm"] < 8
True
"""
import argparse
import sys
import time

from pcz.methods import text


def measure_bytes(data: bytes) -> dict:
    """Bits per byte of hmm-mix and of the adaptive HMM, and hmm-mix's kB/s both ways."""
    model = text.default_model()
    start = time.perf_counter()
    mix = text.encode_mix(data, model)
    middle = time.perf_counter()
    ok = text.decode_mix(mix, len(data), model) == data
    end = time.perf_counter()
    hmm = text.encode_hmm(data, model)
    return {"hmm-mix": 8 * len(mix) / len(data), "hmm": 8 * len(hmm) / len(data), "roundtrip": ok,
            "compress_kBps": len(data) / (middle - start) / 1e3, "decompress_kBps": len(data) / (end - middle) / 1e3}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="+")
    args = parser.parse_args(argv)
    text.decode_mix(text.encode_mix(b"warm up the compiled kernels " * 8, text.default_model()), 232,
                    text.default_model())
    ok = True
    for path in args.files:
        row = measure_bytes(open(path, "rb").read())
        ok &= row["roundtrip"]
        print(f"{path}: hmm-mix {row['hmm-mix']:.4f}  hmm {row['hmm']:.4f}  "
              f"{row['compress_kBps']:.0f}/{row['decompress_kBps']:.0f} kB/s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
