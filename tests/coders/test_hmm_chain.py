import numpy as np
import pytest

from pcz.coders import hmm_chain as hc
from pcz.coders.tree_pc import TreeWalk
from pcz.models.hmm import HMM

TEXT = b"It was the best of times, it was the worst of times.\n"


def random_model(H=6, C=3, seed=0, sharp=3.0):
    rng = np.random.default_rng(seed)
    return HMM.from_probs(rng.random(H) + 0.1, rng.random((C, H, H)) ** sharp,
                          rng.random((C, H, 256)) ** (3 * sharp), rng.integers(0, C, 256))


def adversarial():
    rng = np.random.default_rng(7)
    return {
        "all-bytes": bytes(range(256)) + bytes(range(255, -1, -1)),
        "zeros": bytes(3000),
        "ff-run": b"\xff" * 2000,
        "single": b"\x00",
        "single-high": b"\xfe",
        "random": rng.integers(0, 256, 3000, dtype=np.uint8).tobytes(),
        "text": TEXT * 20,
        "text-zero-end": TEXT + b"\x00\x00",
        "text-ff-end": TEXT + b"\xff",
        "ends-mid-run": b"a" * 100 + b"b",
    }


@pytest.mark.parametrize("slots", [1, 3])
def test_agrees_with_treewalk(slots):
    model = random_model(C=slots, sharp=1.0)
    data = np.frombuffer(TEXT, dtype=np.uint8)
    n = len(data)
    slot = np.zeros(n, dtype=np.int32)
    slot[1:] = model.cls[data[:-1]]
    walk = TreeWalk(np.arange(-1, n - 1), model.prior, model.T, model.E, batch=1, tidx=slot, eidx=slot)
    ours = hc.predictive(data, model.prior, model.T, model.E, model.cls)
    for i in range(n):
        np.testing.assert_allclose(ours[i], walk.probs(i)[0], rtol=1e-10, atol=1e-15)
        walk.observe(i, data[i:i + 1])


def stream_round_trip(model, data, rate=0.0):
    src = np.frombuffer(data, dtype=np.uint8)
    out = np.zeros(3 * len(data) + 16, dtype=np.uint8)
    n = hc.encode_stream(src, *model.kernel_args(), out, rate)
    back = np.zeros(len(src), dtype=np.uint8)
    hc.decode_stream(out[:n], *model.kernel_args(), back, rate)
    return back.tobytes(), n


def windows_round_trip(model, data, W):
    src = np.frombuffer(data, dtype=np.uint8)
    rows = np.zeros((len(src), W // 8), dtype=np.uint8)
    count = hc.encode_windows(src, W, *model.kernel_args(), rows)
    rows = rows[:count]
    back = np.zeros(len(src), dtype=np.uint8)
    ends = np.zeros(count, dtype=np.int64)
    total = hc.decode_windows(rows, *model.kernel_args(), back, ends)
    assert total == len(src)
    # every window decodes on its own to its own bytes
    starts = np.r_[0, ends[:-1]]
    for i in range(0, count, max(1, count // 7)):
        alone = np.zeros(len(src), dtype=np.uint8)
        end = hc.decode_window(rows[i], *model.kernel_args(), alone, 0)
        assert alone[:end].tobytes() == data[starts[i]:ends[i]]
    return back.tobytes(), count


@pytest.mark.parametrize("name", sorted(adversarial()))
def test_stream_round_trips(name):
    data = adversarial()[name]
    for model in (random_model(), random_model(H=1, C=1, seed=3)):
        for rate in (0.0, 1 / 16, 1.0):
            assert stream_round_trip(model, data, rate)[0] == data


@pytest.mark.parametrize("W", [16, 24, 32, 64, 128])
@pytest.mark.parametrize("name", sorted(adversarial()))
def test_windows_round_trips(name, W):
    data = adversarial()[name]
    assert windows_round_trip(random_model(), data, W)[0] == data


@pytest.mark.parametrize("W", [16, 32])
def test_window_boundaries_at_every_position(W):
    # every prefix of a short text, and a sharp model whose windows end in many places
    model = random_model(sharp=6.0, seed=11)
    data = TEXT + b"\x00\xff"
    boundaries = set()
    for n in range(1, len(data) + 1):
        back, _ = windows_round_trip(model, data[:n], W)
        assert back == data[:n]
        src = np.frombuffer(data[:n], dtype=np.uint8)
        rows = np.zeros((n, W // 8), dtype=np.uint8)
        count = hc.encode_windows(src, W, *model.kernel_args(), rows)
        ends = np.zeros(count, dtype=np.int64)
        hc.decode_windows(rows[:count], *model.kernel_args(), np.zeros(n, dtype=np.uint8), ends)
        boundaries.update(ends[:-1].tolist())
    assert len(boundaries) > len(data) // 4


def test_decoder_refuses_short_output():
    model = random_model()
    src = np.frombuffer(TEXT, dtype=np.uint8)
    rows = np.zeros((len(src), 4), dtype=np.uint8)
    count = hc.encode_windows(src, 32, *model.kernel_args(), rows)
    out = np.zeros(len(src) - 1, dtype=np.uint8)
    assert hc.decode_windows(rows[:count], *model.kernel_args(), out, np.zeros(count, dtype=np.int64)) == -1


def test_stream_reports_overflow():
    model = random_model(sharp=6.0)
    src = np.random.default_rng(0).integers(0, 256, 500, dtype=np.uint8)
    out = np.zeros(100, dtype=np.uint8)
    assert hc.encode_stream(src, *model.kernel_args(), out, 0.0) > len(out)
