import io
import json
import os

import numpy as np
import pytest

import pcz
from pcz import methods, models
from pcz.engine import pipeline
from pcz.methods import text
from pcz.coders import hmm_chain
from pcz.errors import FormatError, ModelError
from pcz.models.hmm import HMM

GOLDEN = os.path.join(os.path.dirname(os.path.dirname(__file__)), "golden", "text.json")
TEXT = b"It was the best of times, it was the worst of times.\n" * 3


def golden_model() -> HMM:
    """A fixed model built from integer patterns only (no random generator, no libm)."""
    H, C = 4, 3
    i = np.arange(H)[:, None]
    qT = ((37 * i + 11 * np.arange(H)[None, :]) % 200 + 56).astype(np.uint8)
    qE = ((7 * i + 13 * np.arange(256)[None, :]) % 256).astype(np.uint8)
    qE[:, 32:123] = np.maximum(qE[:, 32:123], 200)
    cls = (np.arange(256) % C).astype(np.uint8)
    return HMM(np.array([255, 200, 230, 180], dtype=np.uint8),
               np.stack([np.roll(qT, c, axis=1) for c in range(C)]),
               np.stack([np.roll(qE, 5 * c, axis=1) for c in range(C)]), cls)


def hmm_stream(data, model):
    out = np.zeros(3 * len(data) + 16, dtype=np.uint8)
    n = hmm_chain.encode_stream(np.frombuffer(data, dtype=np.uint8), *model.kernel_args(), out, 0.0)
    return out[:n].tobytes()


CASES = {
    "mix-text": lambda m: text.encode_mix(TEXT, m, mode=0),
    "mix-all-bytes": lambda m: text.encode_mix(bytes(range(256)) * 4 + TEXT, m, mode=0),
    "mix1-text": lambda m: text.encode_mix(TEXT, m, mode=1),
    "mix1-all-bytes": lambda m: text.encode_mix(bytes(range(256)) * 4 + TEXT, m, mode=1),
    "hmm-text": lambda m: hmm_stream(TEXT, m),
    "hmm-all-bytes": lambda m: hmm_stream(bytes(range(256)) * 4, m),
    "windows-16": lambda m: text.windows_method(16).encode(TEXT, m),
    "windows-128": lambda m: text.windows_method(128).encode(TEXT, m),
}


def test_golden_bitstreams():
    model = golden_model()
    got = {name: make(model).hex() for name, make in CASES.items()}
    if os.environ.get("PCZ_REGEN_GOLDEN"):
        with open(GOLDEN, "w") as f:
            json.dump(got, f, indent=1)
    with open(GOLDEN) as f:
        assert got == json.load(f)


def test_every_mixture_mode_decodes_its_golden_stream():
    with open(GOLDEN) as f:
        golden = json.load(f)
    for name, data in (("text", TEXT), ("all-bytes", bytes(range(256)) * 4 + TEXT)):
        assert text.decode_mix(bytes.fromhex(golden[f"mix-{name}"]), len(data), golden_model()) == data
        assert text.decode_mix(bytes.fromhex(golden[f"mix1-{name}"]), len(data), golden_model()) == data


def test_old_hmm_streams_still_decode():
    """Method 3 stays decodable: the golden stream of a static hmm chunk decodes to its text."""
    with open(GOLDEN) as f:
        stream_hex = json.load(f)["hmm-text"]
    payload = bytes([text.MODE_STATIC]) + bytes.fromhex(stream_hex)
    assert methods.get(methods.HMM).decode(payload, len(TEXT), golden_model()) == TEXT


def test_default_model_is_used_for_text_and_pays():
    data = TEXT * 40
    blob = pcz.compress(data, level=7)
    assert pcz.decompress(blob) == data
    assert len(blob) < len(data) // 2
    assert blob[5] & 1                       # the header names the shipped model
    # binary data, and text too short to pay for the model id, do not name it
    binary = bytes(np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8))
    for other in (binary, b"hi there\n"):
        assert pcz.compress(other, level=7)[5] & 1 == 0


@pytest.mark.parametrize("data", [
    bytes(np.random.default_rng(1).choice(4, 4000, p=[0.7, 0.1, 0.1, 0.1]).astype(np.uint8) + 200),
    bytes(np.random.default_rng(2).integers(0, 256, 3000, dtype=np.uint8)),
    TEXT * 10,
])
def test_each_chunk_takes_the_smallest_of_order0_mix_and_raw(data):
    from pcz.methods import order0
    model = text.default_model()
    record, payload = pipeline.encode_segment((data, models.kind_of(model).methods), model)
    sizes = {methods.RAW: len(data), methods.ORDER0: len(order0.encode(data))}
    mix = text.encode_mix(data, model)
    if mix is not None:
        sizes[methods.HMM_MIX] = len(mix)
    assert record.method == min(sizes, key=lambda k: (sizes[k], k)) and len(payload) == min(sizes.values())


@pytest.mark.parametrize("W", [16, 32, 64, 128])
def test_windows_through_the_container(W):
    data = TEXT * 5 + b"\x00\xff"
    out = io.BytesIO()
    stats = pcz.compress_stream(io.BytesIO(data), out, windows=W, chunk_size=100)
    assert stats.methods.get("windows", 0) >= 1
    assert pcz.decompress(out.getvalue()) == data


def test_bad_payloads():
    model = golden_model()
    for method_id in (methods.HMM, methods.HMM_MIX):
        method = methods.get(method_id)
        with pytest.raises(FormatError):
            method.decode(b"\x07abc", 3, model)
        with pytest.raises(ModelError):
            method.decode(b"\x00abc", 3, None)
    win = methods.get(methods.WINDOWS)
    good = text.windows_method(32).encode(TEXT, model)
    for bad in (b"", b"\x03" + good[1:], good[:-1], good[:1] + b"\xff" * 4 * 200):
        with pytest.raises(FormatError):
            win.decode(bad, len(TEXT), model)
    with pytest.raises(FormatError):
        win.decode(good, len(TEXT) + 1, model)


def test_a_short_input_is_coded_by_the_mixture_once(monkeypatch):
    from pcz.coders import text_mix
    calls = []
    real = text_mix.encode_stream
    monkeypatch.setattr(text_mix, "encode_stream", lambda *a: calls.append(1) or real(*a))
    data = b"A short note, coded once to choose the model and reused as its chunk. " * 3
    blob = pcz.compress(data, level=7)
    assert len(calls) == 1 and pcz.decompress(blob) == data
    # the decision's payload serves one chunk only, of the same model, mode and bytes
    model = text.default_model()
    assert pcz.decompress(pcz.compress(data, level=7)) == data and len(calls) == 2
    text.encode_mix(data, model)
    text.encode_mix(data, model)
    assert len(calls) == 4                      # coding the same bytes again is timed honestly
    assert text.text_model_pays(data, model)
    mode0 = text.encode_mix(data, model, mode=0)
    assert mode0[0] == 0 and len(calls) == 6 and text.decode_mix(mode0, len(data), model) == data
    assert text.text_model_pays(data, model)
    other = data[:-1] + b"!"
    assert text.decode_mix(text.encode_mix(other, model), len(other), model) == other
    assert len(calls) == 8
