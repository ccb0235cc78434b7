"""The HCLT model file (pcz.models.hclt_file): byte planes assembled exactly, files read back
as written, the names it moved still importable from pcz.models.hclt."""
import numpy as np
import pytest

from pcz.models import hclt, hclt_file
from pcz.models.hclt import HcltModel


@pytest.mark.parametrize("planes", [2, 3])
def test_values_assemble_the_planes_high_byte_first(planes):
    rng = np.random.default_rng(planes)
    n = 1001
    stored = rng.integers(0, 1 << (8 * planes), n)
    stored[:3] = [0, (1 << (8 * planes)) - 1, 1 << 8]
    body = b"".join(((stored >> (8 * i)) & 0xFF).astype(np.uint8).tobytes() for i in reversed(range(planes)))
    values = hclt_file._values(body, n, 2)
    assert values.dtype == np.int32 and values.flags.writeable
    np.testing.assert_array_equal(values, stored + 1)


def test_read_returns_what_write_wrote():
    rng = np.random.default_rng(0)
    D, M, K = 5, 3, 7
    model = HcltModel.from_float([-1, 0, 0, 1, 1], rng.random(M), rng.random((D, M, M)), rng.random((D, M, K)),
                                 qbits=20).with_validation(10, 2.5)
    fields = hclt_file.read(hclt_file.write(model))
    for name in ("parent", "values", "states"):
        np.testing.assert_array_equal(fields[name], getattr(model, name))
    assert fields["validation"] == (10, 2.5) and fields["qbits"] == 20 and fields["_bytes"] == model.to_bytes()
    back = HcltModel(**fields)                               # the M-wide arrays, built from the values
    for name in ("prior_q", "trans_q", "emit_q"):
        np.testing.assert_array_equal(getattr(back, name), getattr(model, name))
    assert back.trans_q.shape == (D, M, M) and back.emit_q.shape == (D, M, K) and fields["K"] == K


def test_the_stored_values_are_the_used_blocks_in_file_order():
    rng = np.random.default_rng(1)
    parent, states = np.array([-1, 0, 0, 1]), np.array([3, 1, 2, 3])
    model = HcltModel.from_float(parent, rng.random(3), rng.random((4, 3, 3)), rng.random((4, 3, 5)), states=states)
    prior, T, E = hclt_file.split(model.values, parent, states, 5)
    assert len(model.values) == hclt_file.used_values(parent, states, 5) and T[0] is None
    np.testing.assert_array_equal(prior, model.prior_q[:3])
    for v in range(1, 4):
        np.testing.assert_array_equal(T[v], model.trans_q[v, :states[parent[v]], :states[v]])
    for v in range(4):
        np.testing.assert_array_equal(E[v], model.emit_q[v, :states[v]])
        assert np.all(E[v].sum(-1) == model.one)


def test_the_file_names_are_still_importable_from_the_model_module():
    for name in ("MAGIC", "VERSION", "QBITS", "ONE", "MIN_QBITS", "MAX_QBITS", "MAX_K", "MAX_M", "MAX_VALUES",
                 "_HEAD", "FLAG_TRANSFORM", "footprint", "working_bytes", "quantise_rows", "preorder"):
        assert hasattr(hclt, name), name
