import struct
import zlib

import numpy as np
import pytest

from hclt_helpers import random_model
from pcz.models.values import Layout
from pcz import models
from pcz.format.fields import model_id
from pcz.errors import ModelError
from pcz.models.hclt import _HEAD, MAGIC, ONE, HcltModel, quantise_rows


def test_quantised_rows_sum_exactly_and_stay_close():
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(256) * 0.1, size=50)
    q = quantise_rows(p)
    assert np.all(q.sum(-1) == ONE) and q.min() >= 1
    assert np.abs(q / ONE - p).max() < 256 / ONE
    assert quantise_rows(np.array([1.0])).tolist() == [ONE]
    assert quantise_rows(np.zeros(4)).tolist() == [ONE // 4] * 4      # an empty row becomes uniform
    with pytest.raises(ValueError, match="finite"):                    # never silently uniform
        quantise_rows(np.array([0.5, np.nan]))


def test_bytes_roundtrip_exactly():
    model = random_model(1, [2, 2, -1, 1, 1, 0], 3, 5, shape=(2, 3))
    data = model.to_bytes()
    again = HcltModel.from_bytes(data)
    assert again.to_bytes() == data and again.shape == (2, 3)
    for a, b in [(model.prior, again.prior), (model.transition, again.transition),
                 (model.emission, again.emission)]:
        np.testing.assert_array_equal(a, b)
    assert np.all(again.emission * ONE == again.emit_q)       # dequantised values are exact
    assert isinstance(models.load(data), HcltModel)           # dispatch by magic
    assert model_id(data) != model_id(random_model(2, [2, 2, -1, 1, 1, 0], 3, 5).to_bytes())


def _reseal(body: bytes) -> bytes:
    """Recompute the CRC so that validation past the checksum is exercised."""
    return body + struct.pack("<I", zlib.crc32(body))


def _with_params(model: HcltModel, values: np.ndarray) -> bytes:
    data = model.to_bytes()
    head_len = _HEAD.size + 4 * len(model.shape) + 4 * model.D
    packed = zlib.compress(((values - 1) >> 8).astype(np.uint8).tobytes()
                           + ((values - 1) & 0xFF).astype(np.uint8).tobytes())
    return _reseal(data[:head_len] + struct.pack("<I", len(packed)) + packed)


def corruptions():
    model = random_model(3, [-1, 0, 0, 1], 2, 3)
    data = model.to_bytes()
    head, parent_at = data[:-4], _HEAD.size + 4
    values = np.concatenate([model.prior_q, model.trans_q[model.parent >= 0].ravel(), model.emit_q.ravel()])
    bad_sum = values.copy()
    bad_sum[0] += 1
    yield "truncated", data[:10], "truncated"
    yield "cut", data[:-9], "CRC"
    yield "magic", b"\x89PCZhcl_" + data[8:], "magic"
    yield "crc", data[:-1] + bytes([data[-1] ^ 1]), "CRC"
    yield "version", _reseal(head[:8] + b"\x09\x00" + head[10:]), "version"
    yield "flags", _reseal(head[:10] + b"\x08\x00" + head[12:]), "flags"      # bit 2: the transform
    yield "dtype flag, no type", _reseal(head[:10] + b"\x02\x00" + head[12:]), "type|size|shape"
    typed = random_model(1, [-1, 0], 2, 4, layout=Layout("u2", 0, 16)).to_bytes()[:-4]
    at = _HEAD.size + 4
    yield "unknown type", _reseal(typed[:at] + b"f\x04" + typed[at + 2:]), "element type"
    yield "type u1 flagged", _reseal(typed[:at] + b"u\x01" + typed[at + 2:]), "element type"
    yield "no bits", _reseal(typed[:at + 10] + b"\x00" + typed[at + 11:]), "value range"
    yield "range past the type", _reseal(typed[:at + 2] + struct.pack("<q", 9) + typed[at + 10:]), "value range"
    yield "planes do not match D", _reseal(typed[:at + 10] + b"\x08" + typed[at + 11:]), "shape"
    yield "validation flag, no record", _reseal(head[:10] + b"\x01\x00" + head[12:]), "size"
    trained = model.with_validation(10, 1.5).to_bytes()[:-4]
    yield "validation, bad bits", _reseal(trained[:-8] + struct.pack("<d", float("nan"))), "validation"
    yield "validation, no records", _reseal(trained[:-12] + struct.pack("<Id", 0, 1.5)), "validation"
    yield "huge D", _reseal(_HEAD.pack(MAGIC, 1, 0, 1 << 30, 3, 2, 16, 1) + head[_HEAD.size:]), "range"
    yield "huge M", _reseal(_HEAD.pack(MAGIC, 1, 0, 1 << 16, 256, 1024, 16, 1) + head[_HEAD.size:]), "large"
    cycle = head[:parent_at] + struct.pack("<4i", 1, 0, 0, 1) + head[parent_at + 16:]
    yield "cycle", _reseal(cycle), "tree"
    two_roots = head[:parent_at] + struct.pack("<4i", -1, -1, 0, 1) + head[parent_at + 16:]
    yield "two roots", _reseal(two_roots), "tree"
    yield "shape", _reseal(head[:_HEAD.size] + struct.pack("<I", 5) + head[_HEAD.size + 4:]), "shape"
    yield "row sum", _with_params(model, bad_sum), "sum"
    yield "short params", _with_params(model, values[:-1]), "size"
    yield "long params", _with_params(model, np.r_[values, 1]), "size"
    yield "trailing", _reseal(head + b"\0"), "size"


@pytest.mark.parametrize("name,data,message", list(corruptions()), ids=[c[0] for c in corruptions()])
def test_damaged_models_are_refused_clearly(name, data, message):
    with pytest.raises(ModelError, match=message):
        models.load(data)


def test_version_1_files_still_load():
    model = random_model(5, [-1, 0, 0], 2, 4)
    values = np.concatenate([model.prior_q, model.trans_q[1:].ravel(), model.emit_q.ravel()])
    head_len = _HEAD.size + 4 + 4 * 3
    v1 = bytearray(model.to_bytes()[:head_len])
    v1[8:10] = struct.pack("<H", 1)
    packed = zlib.compress((values - 1).astype("<u2").tobytes())
    old = HcltModel.from_bytes(_reseal(bytes(v1) + struct.pack("<I", len(packed)) + packed))
    np.testing.assert_array_equal(old.emit_q, model.emit_q)
    assert old.to_bytes() == model.to_bytes()          # written back as the current version


def test_describe_names_the_sizes():
    text = random_model(4, [-1, 0, 0], 4, 16, shape=(3,)).describe()
    assert "HCLT" in text and "latents:     4" in text and "values 0..15" in text
    assert "validation" not in text


def test_trained_models_hold_their_validation_bits():
    model = random_model(4, [-1, 0, 0], 4, 16, shape=(3,))
    trained = model.with_validation(300, 3.25)
    data = trained.to_bytes()
    assert data[10] == 1 and len(data) == len(model.to_bytes()) + 12    # flag bit 0, 12 bytes
    again = HcltModel.from_bytes(data)
    assert again.validation == (300, 3.25) and again.to_bytes() == data
    np.testing.assert_array_equal(again.emit_q, model.emit_q)
    assert "validation:  3.2500 bits per value on 300 held-out records" in again.describe()


@pytest.mark.parametrize("qbits", [17, 20, 24])
def test_higher_precision_models_roundtrip_and_code(qbits):
    from pcz.methods.hclt import decode_rans, encode_rans
    rng = np.random.default_rng(qbits)
    parent, M, K = np.array([-1, 0, 0, 1]), 3, 5
    args = (parent, rng.dirichlet(np.ones(M)), rng.dirichlet(np.ones(M), (4, M)),
            rng.dirichlet(np.ones(K) * 0.05, (4, M)))
    model = HcltModel.from_float(*args, qbits=qbits)
    again = HcltModel.from_bytes(model.to_bytes())
    assert again.qbits == qbits and again.one == 1 << qbits and again.to_bytes() == model.to_bytes()
    np.testing.assert_array_equal(again.emit_q, model.emit_q)
    assert np.all(again.emission * again.one == again.emit_q) and again.emit_q.min() >= 1
    coarse = HcltModel.from_float(*args)
    # finer rounding: the dequantised rows are closer to the float parameters
    exact = args[3] / args[3].sum(-1, keepdims=True)
    assert np.abs(again.emission - exact).max() < np.abs(coarse.emission - exact).max()
    data = rng.integers(0, K, (50, 4)).astype(np.uint8).tobytes()
    assert decode_rans(encode_rans(data, again), len(data), again) == data
    assert f"{qbits}-bit" in again.describe()


@pytest.mark.parametrize("qbits", [15, 25, 255])
def test_unknown_precisions_are_refused(qbits):
    data = bytearray(random_model(6, [-1, 0], 2, 3).to_bytes())
    data[_HEAD.size - 2] = qbits
    with pytest.raises(ModelError, match="precision"):
        models.load(_reseal(bytes(data[:-4])))


def test_precision_is_range_checked_when_quantising():
    with pytest.raises(ValueError, match="qbits"):
        HcltModel.from_float([-1], [1.0], np.ones((1, 1, 1)), [[[0.5, 0.5]]], qbits=12)
