"""Payload floors (``Method.min_bits``): each is derived from its coder's probability floor,
and no payload an encoder writes is ever below it, not even for the most probable inputs
(constants, coded with the most confident models).  The golden fixtures and every other
test file still decode, so real files meet the check too (pcz.engine.pipeline.decode_record)."""
import math

import numba
import numpy as np
import pytest

from pcz import methods
from pcz.coders import binary_coder, range_coder, tree_rans
from pcz.coders.window_coder import HALF, max_window_bytes, split, start_range
from pcz.errors import FormatError
from pcz.methods import hclt, npy_header, order0, text
from pcz.methods.registry import SLACK_BITS, least_payload_bits
from pcz.models.hclt import HcltModel


def _meets_floor(method, size, payload, model=None):
    assert payload is not None, method.name
    assert 8 * len(payload) >= least_payload_bits(method, size, model), (method.name, size, len(payload))
    methods.check_payload(method, size, len(payload), model)


def test_the_figures_are_the_coders_floors():
    assert 0.9999 * 8 * binary_coder.LEAST_BITS < text.BYTE_MIN_BITS <= 8 * binary_coder.LEAST_BITS
    windows = min(W / max_window_bytes(W) for W in range(16, 129, 8))
    assert 0.9999 * windows < text.WINDOW_MIN_BITS <= windows
    assert order0.MIN_BITS == range_coder.least_bits(256)
    assert methods.get(methods.HCLT_RANS).min_bits == tree_rans.least_bits(2) > 0
    assert methods.get(methods.HCLT).min_bits == range_coder.least_bits(2) > 0
    assert methods.get(methods.RAW).min_bits == 8 and npy_header.MIN_BITS == 1 / 16
    assert SLACK_BITS == range_coder.STATE_BITS


@pytest.mark.parametrize("bit, p1", [(1, binary_coder.PROB_ONE - 1), (0, 1)])
def test_binary_coder_at_its_clamps_spends_at_least_its_floor(bit, p1):
    for n in (8, 80_000, 8_000_000):
        blob = binary_coder.encode_bits(np.full(n, bit, dtype=np.uint8), np.full(n, p1))
        assert 8 * len(blob) >= binary_coder.least_stream_bits(n) > n * binary_coder.LEAST_BITS


@numba.njit(cache=False)
def _random_window(W, seed, eps):
    """Bytes a W-bit window decodes when its decisions stray from the most favourable at random."""
    np.random.seed(seed)
    R, e = start_range(W)
    count = 0
    while True:
        if count:
            if R < 2:
                return count
            R -= 1
        for level in range(8):
            if np.random.random() < eps:
                r1 = split(R, np.random.randint(1, 65536), count == 0, level)
                R = r1 if (np.random.random() < 0.5 and r1 > 0) or R - r1 == 0 else R - r1
            else:
                R = max(split(R, 65535, count == 0, level), R - split(R, 1, count == 0, level))
            while R < HALF and e > 0:
                R <<= 1
                e -= 1
        count += 1


@pytest.mark.parametrize("W", [16, 40, 128])
def test_no_window_holds_more_than_the_bound(W):
    most = max_window_bytes(W)
    assert max(_random_window(W, seed, eps) for seed in range(40) for eps in (1e-6, 1e-4, 1e-2)) <= most


def test_order0_constants():
    method = methods.get(methods.ORDER0)
    for data in (bytes(4 << 20), b"\xff" * 100_000, b"ab" * 50_000):
        _meets_floor(method, len(data), order0.encode(data))


def test_order0_rans_constants():
    method = methods.get(methods.ORDER0_RANS)
    for data in (bytes(4 << 20), b"\xff" * 100_000, b"a" * 99_999 + b"b"):
        _meets_floor(method, len(data), order0.encode_rans(data))


def test_lz_rans_constants():
    from pcz.methods import lz
    method = methods.get(methods.LZ_RANS)
    assert method.min_bits == lz.MIN_BITS > 0
    for data in (bytes(4 << 20), b"\xff" * 100_000, b"ab" * 200_000):
        _meets_floor(method, len(data), lz.encode(data))


@pytest.mark.parametrize("name", ["hmm", "hmm-mix"])
def test_text_methods_on_constants(name):
    model = text.default_model()
    encode = {"hmm": text.encode_hmm, "hmm-mix": text.encode_mix}[name]
    method = methods.get({"hmm": methods.HMM, "hmm-mix": methods.HMM_MIX}[name])
    for data in (bytes(1 << 17), b"e" * 50_000, b"the " * 20_000):
        _meets_floor(method, len(data), encode(data, model))


@pytest.mark.parametrize("W", [16, 32, 64, 128])
def test_windows_on_constants(W):
    model = text.default_model()
    method = text.windows_method(W)
    for data in (bytes(1 << 16), b" " * 20_000):
        _meets_floor(method, len(data), method.encode(data, model))


def _peaked(K, qbits):
    """One latent state, a chain of 8 values, value 0 as probable as the precision allows."""
    emission = np.zeros((8, 1, K))
    emission[:, :, 0] = 1.0
    return HcltModel.from_float(np.arange(-1, 7), [1.0], np.ones((8, 1, 1)), emission, qbits=qbits)


@pytest.mark.parametrize("K, qbits", [(2, 16), (2, 20), (2, 24), (256, 16)])
def test_hclt_methods_on_constants_with_the_most_confident_models(K, qbits):
    model = _peaked(K, qbits)
    assert hclt.min_bits(model) >= methods.get(methods.HCLT_RANS).min_bits
    data = bytes(1 << 23)
    payload = hclt.encode_rans(data, model)
    _meets_floor(methods.get(methods.HCLT_RANS), len(data), payload, model)
    if (K, qbits) == (2, 16):               # not vacuous: the coder spends about the floor
        assert 8 * len(payload) < 1.2 * len(data) * hclt.min_bits(model) + 96
    small = bytes(1 << 16)
    _meets_floor(methods.get(methods.HCLT), len(small), hclt.encode(small, model), model)


def test_npy_headers():
    method = methods.get(methods.NPY_HEADER)
    for shape in [(), (0,), (1,), (127,), (1 << 62,), (3, 28, 28), tuple(range(1, 65)), (1 << 40,) * 64,
                  (5,) * 64]:
        head = npy_header.header(shape)
        _meets_floor(method, len(head), npy_header.encode(head, None))


def test_a_chunk_one_bit_short_is_refused_before_decoding():
    method = methods.get(methods.HMM_MIX)
    size = 1 << 26
    least = math.ceil(least_payload_bits(method, size) / 8)
    methods.check_payload(method, size, least)
    with pytest.raises(FormatError, match="too short"):
        methods.check_payload(method, size, least - 1)


def test_cm_constants():
    from pcz.methods import cm
    method = methods.get(methods.CM)
    for data in (bytes(1 << 20), b"\xff" * 100_000, b"ab" * 50_000):
        _meets_floor(method, len(data), cm.encode(data))
