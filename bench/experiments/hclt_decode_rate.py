"""HCLT encode and decode rates of models on N images of an IDX file, in process CPU time, one
thread, no JPEG-XL: the quick A/B of models against each other (or of a coder change: run it at
both commits, alternating).  The models take turns, round after round, and each reports its best
and its median round and its rate relative to the first model: on a shared machine whose speed
drifts by 5-10 % from minute to minute, one model timed after the other is not a comparison
(a best of three taken model after model once showed 0.93-0.97x where twenty turns showed
0.86-0.87x).  The words must decode to the images (checked).  Default images: the last 3 000
of the Fashion-MNIST train split (not the test split: nothing is tuned here, but the test
split is read once per model).

    python -m pcz.bench.experiments.hclt_decode_rate --model A=a.pczm --model B=b.pczm [--images 3000] [--rounds 10]

>>> last_images(_tiny_idx(5), 2).shape
(2, 2, 3)
"""
import argparse
import gzip
import struct
import time
from functools import partial

import numpy as np

from pcz.bench.experiments.hclt_speed import parse_model_arg

TRAIN = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"


def last_images(raw: bytes, n: int) -> np.ndarray:
    """The last n images of an IDX3 file's bytes, (n, rows, cols) uint8."""
    count, rows, cols = struct.unpack(">III", raw[4:16])
    return np.frombuffer(raw, np.uint8, count * rows * cols, 16).reshape(count, rows, cols)[-n:]


def _tiny_idx(count: int) -> bytes:
    return struct.pack(">IIII", 0x803, count, 2, 3) + bytes(range(count * 6))


class _Coded:
    """One model's records, coded once (after a first call that compiles and builds the tables)."""

    def __init__(self, model_bytes: bytes, images: np.ndarray):
        from pcz.methods.hclt import decode_rans, encode_rans
        from pcz.models.hclt import HcltModel
        self.model = HcltModel.from_bytes(model_bytes)
        self.data = images.reshape(len(images), -1).tobytes()
        self.encode, self.decode = partial(encode_rans, model=self.model), partial(decode_rans, model=self.model)
        self.decode(self.encode(self.data[:self.model.D]), self.model.D)
        self.payload = self.encode(self.data)
        self.times = {"encode": [], "decode": []}

    def round(self) -> None:
        """Encode and decode once, in process CPU time; the words must decode to the records."""
        t = time.process_time()
        self.encode(self.data)
        self.times["encode"].append(time.process_time() - t)
        t = time.process_time()
        out = self.decode(self.payload, len(self.data))
        self.times["decode"].append(time.process_time() - t)
        if out != self.data:
            raise AssertionError("the words did not decode to the records")


def rates(models: dict, images: np.ndarray, rounds: int) -> dict:
    """Encode and decode images/s of each model (name: file bytes), the models taking turns
    round after round (the order reversed every other round, so drifts of the machine's speed
    fall on all alike): the best and the median round, and bits per value.

    >>> from pcz.models.hclt import HcltModel
    >>> m = HcltModel.from_float([-1, 0], [0.5, 0.5], np.full((2, 2, 2), 0.5), np.full((2, 2, 4), 0.25))
    >>> images = np.arange(1200, dtype=np.uint8).reshape(600, 1, 2) % 4
    >>> r = rates({"a": m.to_bytes(), "b": m.to_bytes()}, images, 2)     # 2 bits per value, and the final state
    >>> round(r["a"]["bits_per_value"], 2), sorted(r["b"])[:3]
    (2.05, ['bits_per_value', 'decode_img_s', 'decode_img_s_median'])
    """
    coded = {name: _Coded(data, images) for name, data in models.items()}
    order = list(coded)
    for r in range(rounds):
        for name in order if r % 2 == 0 else order[::-1]:
            coded[name].round()
    out = {}
    for name, c in coded.items():
        out[name] = {"bits_per_value": 8 * len(c.payload) / len(c.data), "mean_states": float(c.model.states.mean()),
                     "max_states": c.model.M}
        for what, times in c.times.items():
            out[name][f"{what}_img_s"] = len(images) / min(times)
            out[name][f"{what}_img_s_median"] = len(images) / float(np.median(times))
    return out


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=parse_model_arg, action="append", required=True)
    ap.add_argument("--idx", default=TRAIN, help="an IDX3 file of images (gzip or not)")
    ap.add_argument("--images", type=int, default=3000)
    ap.add_argument("--rounds", type=int, default=10, help="rounds of the models taking turns")
    args = ap.parse_args(argv)
    with open(args.idx, "rb") as f:
        raw = f.read()
    images = last_images(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw, args.images)
    models = {}
    for name, path in args.model:
        with open(path, "rb") as f:
            models[name] = f.read()
    out = rates(models, images, args.rounds)
    first = out[args.model[0][0]]
    for name, r in out.items():
        print(f"{name}: {r['mean_states']:.1f} states on average (at most {r['max_states']}), "
              f"{r['bits_per_value']:.4f} bits per value, encode {r['encode_img_s']:.0f} images/s "
              f"(median {r['encode_img_s_median']:.0f}), decode {r['decode_img_s']:.0f} "
              f"(median {r['decode_img_s_median']:.0f}) images/s, CPU time; decode "
              f"{r['decode_img_s'] / first['decode_img_s']:.3f}x (median "
              f"{r['decode_img_s_median'] / first['decode_img_s_median']:.3f}x) of {args.model[0][0]}", flush=True)
    return out


if __name__ == "__main__":
    main()
