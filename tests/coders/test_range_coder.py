import numpy as np
import pytest

from pcz.coders.range_coder import Decoder, Encoder, encode
from pcz.coders.errors import CodingError


def test_batch_and_stepwise_agree():
    rng = np.random.default_rng(0)
    probs = rng.random((500, 17))
    symbols = rng.integers(0, 17, 500)
    blob = encode(symbols, probs)
    dec = Decoder(blob)
    stepwise = [int(dec.decode(probs[i:i + 1])[0]) for i in range(500)]
    assert stepwise == symbols.tolist()


def test_iid_roundtrip_and_zero_probability_symbols_still_code():
    probs = np.array([0.7, 0.3, 0.0])
    symbols = np.array([0, 1, 2, 2, 0])
    enc = Encoder()
    enc.encode_iid(symbols, probs)
    assert Decoder(enc.finish()).decode_iid(probs, 5).tolist() == symbols.tolist()


def test_rate_close_to_entropy():
    rng = np.random.default_rng(1)
    p = np.array([0.5, 0.25, 0.125, 0.125])
    symbols = rng.choice(4, size=20000, p=p)
    enc = Encoder()
    enc.encode_iid(symbols, p)
    bits = 8 * len(enc.finish())
    assert bits / 20000 < 1.75 * 1.01


def test_float32_input_is_coded_as_float64():
    p32 = np.array([[0.3, 0.7]], dtype=np.float32)
    assert encode(np.array([1]), p32) == encode(np.array([1]), p32.astype(np.float64))


def test_rejects_bad_shapes_and_lengths():
    with pytest.raises(ValueError):
        encode(np.array([0, 1]), np.ones((3, 2)))
    with pytest.raises(CodingError):
        Decoder(b"abc")
