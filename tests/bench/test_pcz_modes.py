import io
import zlib

import numpy as np
import pytest

import pcz
from pcz import methods
from pcz.bench import pcz_modes
from pcz.bench.datasets import Dataset
from pcz.bench.measure import measure
from pcz.bench.pcz_modes import MODES, Mode, method_mode, order0_bits, register


def _images(n, seed):
    return np.random.default_rng(seed).integers(0, 4, (n, 4, 4), dtype=np.uint8) * 60


def _image_set():
    return Dataset("toy", "image", list(_images(6, 1)), "pixel", "generated",
                   "coded: 6 generated; learned codecs train on 20 others", train=_images(20, 2))


def test_order0_mode_round_trips_and_reports_its_theoretical_rate():
    data = _image_set()
    r = measure(MODES["pcz-order0"].build(), data)
    assert r["status"] == "ok"
    expected = sum(order0_bits(i.tobytes()) for i in data.items) / data.units
    assert r["per_item"]["theoretical_rate"] == pytest.approx(expected)
    assert r["per_item"]["rate"] > r["per_item"]["theoretical_rate"]   # tables and container cost bits
    default = measure(MODES["pcz"].build(), data)
    assert default["status"] == "ok" and default["per_item"]["theoretical_rate"] is None


def test_order0_bits_is_the_empirical_entropy_for_small_inputs():
    data = bytes([0] * 6 + [1] * 2)
    p = np.array([6, 2]) / 8
    assert order0_bits(data) == pytest.approx(-8 * (p * np.log2(p)).sum())


class FakeModel:
    """Stands in for an HCLT model: uniform over 4 levels, so -log2 p = 2 bits a value."""
    def to_bytes(self):
        return b"PCZFAKE1" + bytes(100)

    def nll_bits(self, array):
        return np.full(len(array), 2.0 * array[0].size)


def _fake_record_api(monkeypatch):
    trained = []

    def train(array, **options):
        trained.append(array.shape)
        return FakeModel()

    def compress_array(array, model):
        header = np.array(array.shape, dtype=np.uint32).tobytes()
        return bytes([array.ndim]) + header + zlib.compress(array.tobytes())

    def decompress_array(blob, model):
        shape = tuple(np.frombuffer(blob[1:1 + 4 * blob[0]], dtype=np.uint32))
        return np.frombuffer(zlib.decompress(blob[1 + 4 * blob[0]:]), dtype=np.uint8).reshape(shape)
    for name, f in [("train", train), ("compress_array", compress_array), ("decompress_array", decompress_array)]:
        monkeypatch.setattr(pcz, name, f, raising=False)
    return trained


def test_record_mode_is_unavailable_until_pcz_has_the_api(monkeypatch):
    for name in ("train", "compress_array", "decompress_array"):
        monkeypatch.delattr(pcz, name, raising=False)
        monkeypatch.delitem(pcz._API, name)          # the lazy loader would find it again
    assert "pcz.train" in MODES["pcz-hclt"].available()


def test_record_mode_trains_on_the_train_split_and_reports_model_and_theory(monkeypatch):
    trained = _fake_record_api(monkeypatch)
    assert MODES["pcz-hclt"].available() is None
    data = _image_set()
    r = measure(MODES["pcz-hclt"].build(), data)
    assert r["status"] == "ok", r["error"]
    assert trained == [(20, 4, 4)]
    assert r["model"]["model_bytes"] == 108 and r["model"]["train_items"] == 20
    assert r["model"]["train_s"] >= 0 and "train_peak_memory_bytes" in r["model"]
    assert r["per_item"]["theoretical_rate"] == pytest.approx(2.0)
    assert r["whole"]["theoretical_rate"] == pytest.approx(2.0)


def test_record_mode_results_follow_the_schema_and_show_training(monkeypatch):
    import json
    from importlib import resources

    import jsonschema

    from pcz.bench.report import markdown
    from pcz.bench.runner import run
    _fake_record_api(monkeypatch)
    doc = run([_image_set()], ["pcz-hclt"], progress=False)
    schema = json.loads((resources.files("pcz.bench") / "schema.json").read_text())
    jsonschema.validate(json.loads(json.dumps(doc)), schema)
    assert "- pcz-hclt: trained on 20 records in" in markdown(doc)


def test_record_mode_is_skipped_without_a_training_split(monkeypatch):
    _fake_record_api(monkeypatch)
    data = _image_set()
    data.train = None
    r = measure(MODES["pcz-hclt"].build(), data)
    assert r["status"] == "skipped" and "training split" in r["error"]


@pytest.fixture
def xor_method():
    """A chunk method registered under an unused id, removed afterwards."""
    method_id = 251
    flip = lambda data: bytes(b ^ 0x55 for b in data)   # noqa: E731
    methods.register(methods.Method(method_id, "xor-test", lambda data, model: flip(data)[:-1] if
                                    len(data) > 1 else None, lambda payload, size, model: flip(payload) + b"?"))
    yield method_id
    methods.registry._REGISTRY.pop(method_id)


def test_a_method_mode_uses_only_its_method_and_failures_are_caught(xor_method):
    mode = method_mode(xor_method, "pcz-xor", "test method")
    assert mode.available() is None and method_mode(252, "x", "y").available() is not None
    codec = mode.build()
    blob = codec.encode(np.frombuffer(b"hello", dtype=np.uint8))
    out = io.BytesIO()
    pcz.compress_stream(io.BytesIO(b"hello"), out, candidates=(xor_method,))
    assert blob == out.getvalue()
    r = measure(codec, Dataset("t", "files", [np.frombuffer(b"hello", np.uint8)], "char", "g", "none"))
    assert r["status"] == "failed" and "ChecksumError" in r["error"]   # the lossy test method is caught


def test_register_adds_a_mode(monkeypatch):
    monkeypatch.setattr(pcz_modes, "MODES", dict(MODES))
    register(Mode("pcz-new", "a new mode", lambda: None, MODES["pcz"].build))
    assert "pcz-new" in pcz_modes.MODES and "pcz-new" not in MODES


def test_record_mode_uses_a_shipped_model_without_training():
    import sys, os
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import badmodels
    rng = np.random.default_rng(3)
    items = list(rng.integers(0, 4, (5, 2, 2)).astype(np.uint8))
    data = Dataset("tiny", "image", items, "pixel", "generated", "shipped model", model=badmodels.tiny_hclt())
    r = measure(MODES["pcz-hclt"].build(), data)
    assert r["status"] == "ok", r["error"]
    assert r["model"]["shipped"] and r["model"]["train_items"] is None
    assert r["whole"]["theoretical_rate"] > 0
