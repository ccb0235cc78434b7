"""HCLT encode and decode rates of models on N images of an IDX file, in process CPU time, one
thread, no JPEG-XL: the quick A/B of models against each other, or of a coder change against
a git revision (``--against REV``: REV's coder takes turns with the working tree's, in the same
process, on the same tables, and must give the same words).  The models take turns, round after
round, and each reports its best and its median round and its rate relative to the first model:
on a shared machine whose speed drifts by 5-10 % from minute to minute, one model timed after
the other is not a comparison (a best of three taken model after model once showed 0.93-0.97x
where twenty turns showed 0.86-0.87x), and neither are two processes run one after the other.
The words must decode to the images (checked).  Default images: the last 3 000 of the
Fashion-MNIST train split (not the test split: nothing is tuned here, but the test split is
read once per model).

    python -m pcz.bench.experiments.hclt_decode_rate --model A=a.pczm --model B=b.pczm [--images 3000] [--rounds 10]
    python -m pcz.bench.experiments.hclt_decode_rate --model A=a.pczm --against HEAD

>>> last_images(_tiny_idx(5), 2).shape
(2, 2, 3)
"""
import argparse
import gzip
import importlib
import os
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np

from pcz.bench.experiments.hclt_speed import parse_model_arg

TRAIN = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_FOLDERS: list = []      # where the coders of other revisions are, removed at exit


def coder_at(rev: str, repo: str = ROOT) -> type:
    """The TreeCoder class of git revision ``rev``: its coders/tree_*.py, read with ``git show``,
    become a package of their own in a temporary folder (imports renamed), so that it and the
    working tree's coder run in one process.

    >>> coder_at("HEAD").__module__.endswith(".tree_rans")
    True
    """
    sha = subprocess.run(["git", "-C", repo, "rev-parse", rev], check=True, capture_output=True,
                         text=True).stdout.strip()
    name = f"coders_{sha[:12]}"
    if name not in sys.modules:
        _FOLDERS.append(tempfile.TemporaryDirectory())
        folder = os.path.join(_FOLDERS[-1].name, name)
        os.mkdir(folder)
        files = subprocess.run(["git", "-C", repo, "ls-tree", "--name-only", sha, "coders/"], check=True,
                               capture_output=True, text=True).stdout.split()
        for path in ["__init__.py"] + [f for f in files if os.path.basename(f).startswith("tree_")]:
            text = "" if path == "__init__.py" else subprocess.run(
                ["git", "-C", repo, "show", f"{sha}:{path}"], check=True, capture_output=True, text=True).stdout
            with open(os.path.join(folder, os.path.basename(path)), "w") as f:
                f.write(text.replace("pcz.coders.", f"{name}."))
        sys.path.insert(0, _FOLDERS[-1].name)
    return importlib.import_module(f"{name}.tree_rans").TreeCoder


def last_images(raw: bytes, n: int) -> np.ndarray:
    """The last n images of an IDX3 file's bytes, (n, rows, cols) uint8."""
    count, rows, cols = struct.unpack(">III", raw[4:16])
    return np.frombuffer(raw, np.uint8, count * rows * cols, 16).reshape(count, rows, cols)[-n:]


def _tiny_idx(count: int) -> bytes:
    return struct.pack(">IIII", 0x803, count, 2, 3) + bytes(range(count * 6))


class _Coded:
    """One model's records, coded once (after a first call that compiles), by the coder of
    pcz.methods.hclt or, given ``coder``, by that class on the same tables."""

    def __init__(self, model_bytes: bytes, images: np.ndarray, coder: type | None = None):
        from pcz.methods.hclt import _coder
        from pcz.models.hclt import HcltModel
        self.model = HcltModel.from_bytes(model_bytes)
        self.coder = _coder(self.model)
        if coder is not None:
            self.coder, tables = coder.__new__(coder), self.coder
            self.coder.__dict__.update(tables.__dict__)
        self.data = images.reshape(len(images), -1)
        self.coder.decode(self.coder.encode(self.data[:2]), 2)
        self.payload = self.coder.encode(self.data)
        self.times = {"encode": [], "decode": []}

    def round(self) -> None:
        """Encode and decode once, in process CPU time; the words must decode to the records."""
        t = time.process_time()
        self.coder.encode(self.data)
        self.times["encode"].append(time.process_time() - t)
        t = time.process_time()
        out = self.coder.decode(self.payload, len(self.data))
        self.times["decode"].append(time.process_time() - t)
        if not np.array_equal(out, self.data):
            raise AssertionError("the words did not decode to the records")


def rates(models: dict, images: np.ndarray, rounds: int, against: str | None = None) -> dict:
    """Encode and decode images/s of each model (name: file bytes), the models taking turns
    round after round (the order reversed every other round, so drifts of the machine's speed
    fall on all alike): the best and the median round, and bits per value.  With ``against``
    (a git revision) each model is also coded by that revision's coder, as "name@rev", whose
    words must be the same.

    >>> from pcz.models.hclt import HcltModel
    >>> m = HcltModel.from_float([-1, 0], [0.5, 0.5], np.full((2, 2, 2), 0.5), np.full((2, 2, 4), 0.25))
    >>> images = np.arange(1200, dtype=np.uint8).reshape(600, 1, 2) % 4
    >>> r = rates({"a": m.to_bytes(), "b": m.to_bytes()}, images, 2)     # 2 bits per value, and the final state
    >>> round(r["a"]["bits_per_value"], 2), sorted(r["b"])[:3]
    (2.05, ['bits_per_value', 'decode_img_s', 'decode_img_s_median'])
    """
    coded = {name: _Coded(data, images) for name, data in models.items()}
    if against is not None:
        for name, data in models.items():
            coded[f"{name}@{against}"] = _Coded(data, images, coder_at(against))
            if not np.array_equal(coded[name].payload, coded[f"{name}@{against}"].payload):
                raise AssertionError(f"{against}'s coder gives other words for {name}")
    order = list(coded)
    for r in range(rounds):
        for name in order if r % 2 == 0 else order[::-1]:
            coded[name].round()
    out = {}
    for name, c in coded.items():
        out[name] = {"bits_per_value": 32 * len(c.payload) / c.data.size, "mean_states": float(c.model.states.mean()),
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
    ap.add_argument("--against", help="a git revision whose coder takes turns with the working tree's")
    args = ap.parse_args(argv)
    with open(args.idx, "rb") as f:
        raw = f.read()
    images = last_images(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw, args.images)
    models = {}
    for name, path in args.model:
        with open(path, "rb") as f:
            models[name] = f.read()
    out = rates(models, images, args.rounds, args.against)
    for name, r in out.items():
        base = name.split("@")[0] if args.against else args.model[0][0]
        first = out[f"{base}@{args.against}"] if args.against else out[base]
        print(f"{name}: {r['mean_states']:.1f} states on average (at most {r['max_states']}), "
              f"{r['bits_per_value']:.4f} bits per value, encode {r['encode_img_s']:.0f} images/s "
              f"(median {r['encode_img_s_median']:.0f}), decode {r['decode_img_s']:.0f} "
              f"(median {r['decode_img_s_median']:.0f}) images/s, CPU time; decode "
              f"{r['decode_img_s'] / first['decode_img_s']:.3f}x (median "
              f"{r['decode_img_s_median'] / first['decode_img_s_median']:.3f}x) of "
              f"{base}@{args.against if args.against else ''}".rstrip("@"), flush=True)
    return out


if __name__ == "__main__":
    main()
