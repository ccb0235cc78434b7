import zlib

import numpy as np

from pcz.bench.codec import ByteCodec
from pcz.bench.datasets import Dataset
from pcz.bench.measure import measure


def _data(n=4):
    items = [np.frombuffer(f"item {i} ".encode() * (10 + i), dtype=np.uint8) for i in range(n)]
    return Dataset("tiny", "files", items, "char", "generated", "nothing learned",
                   names=[f"f{i}" for i in range(n)])


def _zlib(name="zlib", compress=None, decompress=None):
    return ByteCodec(name, "zlib 9", compress or (lambda b: zlib.compress(b, 9)), decompress or zlib.decompress)


def test_ok_result_counts_sizes_rates_and_speeds():
    data = _data()
    r = measure(_zlib(), data)
    assert r["status"] == "ok" and r["error"] is None
    p = r["per_item"]
    assert p["sizes"] == [len(zlib.compress(i.tobytes(), 9)) for i in data.items]
    assert p["bytes"] == sum(p["sizes"])
    assert p["rate"] == 8 * p["bytes"] / data.units
    assert r["whole"]["bytes"] == len(zlib.compress(b"".join(i.tobytes() for i in data.items), 9))
    for phase in ("per_item", "whole"):
        assert r[phase]["encode"]["items_per_s"] > 0 and r[phase]["decode"]["mb_per_s"] > 0


def test_a_decoder_that_changes_one_item_is_failed_and_not_counted():
    def damage(blob):
        out = bytearray(zlib.decompress(blob))
        if out.startswith(b"item 2"):
            out[-1] ^= 1
        return bytes(out)
    r = measure(_zlib(decompress=damage), _data())
    assert r["status"] == "failed"
    assert r["per_item"]["ok"] is False and r["per_item"]["bytes"] is None and r["per_item"]["rate"] is None
    assert "round trip failed on item 2 (f2)" in r["error"]
    assert r["whole"]["ok"] is True     # the whole set does not start with "item 2"


def test_a_decoder_that_raises_is_failed():
    def boom(blob):
        raise ValueError("Corrupted input data.")
    r = measure(_zlib(decompress=boom), _data())
    assert r["status"] == "failed"
    assert "decode failed on item 0 (f0): ValueError: Corrupted input data." in r["per_item"]["error"]
    assert r["whole"]["error"] == "decode failed: ValueError: Corrupted input data."


def test_an_encoder_that_raises_is_failed():
    def picky(data):
        if len(data) > 90:
            raise RuntimeError("too big")
        return zlib.compress(data)
    r = measure(_zlib(compress=picky), _data())
    assert r["status"] == "failed"
    assert "encode failed on item 3 (f3): RuntimeError: too big" in r["per_item"]["error"]


def test_a_wrong_length_is_failed():
    r = measure(_zlib(decompress=lambda blob: zlib.decompress(blob) + b"x"), _data())
    assert r["status"] == "failed" and r["per_item"]["rate"] is None and r["whole"]["rate"] is None


def test_image_codec_is_skipped_on_files():
    from pcz.bench.baselines import png
    r = measure(png(), _data())
    assert r["status"] == "skipped" and "not images" in r["error"] and "per_item" not in r
