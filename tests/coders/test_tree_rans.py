import numpy as np
import pytest

from hclt_helpers import TREES, brute_joint, random_model, sample
from pcz.coders.tree_rans import ONE, TreeCoder, _rans_encode, cumulative
from pcz.models.hclt_file import quantise_rows

def coder(model):
    return TreeCoder(model.parent, model.prior, model.transition, model.emission)


@pytest.mark.parametrize("parent", TREES)
@pytest.mark.parametrize("M,K", [(1, 2), (3, 4), (5, 7), (8, 256)])
def test_roundtrip_any_tree_and_size(parent, M, K):
    model = random_model(len(parent) * 1000 + M * 10 + K, parent, M, K)
    rng = np.random.default_rng(M + K)
    for X in (rng.integers(0, K, (37, len(parent))), sample(rng, model, 50), np.zeros((1, len(parent)))):
        c = coder(model)
        words = c.encode(X)
        assert words.dtype == np.uint32
        np.testing.assert_array_equal(c.decode(words, len(X)), X)
        np.testing.assert_array_equal(coder(model).encode(X), words)     # deterministic


def test_code_length_matches_the_exact_likelihood():
    parent = [-1, 0, 1, 0, 3, 3]
    model = random_model(7, parent, 3, 4)
    joint = brute_joint(model.parent, model.prior, model.transition, model.emission, 4)
    X = sample(np.random.default_rng(1), model, 3000)
    ideal = -np.log2(joint[tuple(X.T)]).sum()
    actual = 32 * len(coder(model).encode(X))
    # rANS with 24-bit CDFs: a few bytes of flush plus a tiny per-symbol quantisation loss
    assert ideal <= actual <= ideal * (1 + 1e-3) + 96


def test_every_symbol_gets_a_nonzero_interval():
    # an emission with (quantised) near-zero mass must still code every value
    parent = [-1, 0]
    E = np.zeros((2, 2, 256))
    E[:, :, 0] = 1.0
    from pcz.models.hclt import HcltModel
    model = HcltModel.from_float(parent, [0.5, 0.5], np.full((2, 2, 2), 0.5), E)
    X = np.array([[255, 254], [0, 0], [128, 1]])
    c = coder(model)
    np.testing.assert_array_equal(c.decode(c.encode(X), 3), X)


def test_truncated_or_extended_streams_are_refused():
    model = random_model(3, [-1, 0, 0], 2, 16)
    X = np.random.default_rng(0).integers(0, 16, (200, 3))
    words = coder(model).encode(X)
    with pytest.raises(ValueError):
        coder(model).decode(words[:-1], 200)
    with pytest.raises(ValueError):
        coder(model).decode(np.append(words, np.uint32(7)), 200)
    with pytest.raises(ValueError):
        coder(model).decode(words[:1], 200)
    for state in ((0, 0), (0xFFFFFFFF, 0xFFFFFFFF)):           # below 2^31, above 2^63
        with pytest.raises(ValueError, match="invalid coder state"):
            coder(model).decode(np.r_[np.array(state, dtype=np.uint32), words[2:]], 200)


def test_rans_encoder_bounds_its_output():
    # one symbol of width 1 out of 2**24 costs 24 bits: at most one word per symbol plus the state
    starts = np.full(10, 5, dtype=np.int64)
    widths = np.ones(10, dtype=np.int64)
    assert len(_rans_encode(starts, widths)) <= 12
    assert ONE == 1 << 24


@pytest.mark.parametrize("parent", TREES)
@pytest.mark.parametrize("M,K", [(1, 2), (3, 2), (5, 7), (8, 256)])
def test_batched_products_give_the_bits_of_record_by_record_products(parent, M, K):
    # _matmul takes records four at a time: groups of 1, 2, 5 and 7 records leave
    # remainders of every size; both ways must give the same words, each decodes the other's
    model = random_model(M * 100 + K, parent, M, K)
    rng = np.random.default_rng(K)
    for n, group in ((1, 7), (2, 7), (5, 5), (37, 7), (40, 4096)):
        X = sample(rng, model, n)
        batched, single = coder(model), coder(model)
        batched.group = single.group = group
        single.tile = 1
        words = batched.encode(X)
        np.testing.assert_array_equal(single.encode(X), words)
        np.testing.assert_array_equal(single.decode(words, n), X)
        np.testing.assert_array_equal(batched.decode(words, n), X)
        each, lengths = batched.encode_each(X)
        np.testing.assert_array_equal(single.encode_each(X)[0], each)
        np.testing.assert_array_equal(single.decode_each(each, lengths), X)


@pytest.mark.parametrize("qbits", [16, 20, 24])
def test_integer_rows_give_the_table_of_their_float64_sums(qbits):
    # the int32 path of cumulative: the same float32 bits as summing the rows in float64
    rng = np.random.default_rng(qbits)
    weights = rng.gamma(0.05, size=(3, 4, 256)) + 1e-12
    E = quantise_rows(weights, qbits).astype(np.int32)
    for scale in (2.0 ** -qbits, 0.1, 1.0):
        fast, slow = cumulative(E, scale)[0], cumulative(E.astype(np.float64), scale)[0]
        np.testing.assert_array_equal(fast.view(np.uint32), slow.view(np.uint32))
    huge = np.full((1, 2, 300), 1 << 24, dtype=np.int32)     # sums past int32: summed in float64
    np.testing.assert_array_equal(cumulative(huge, 2.0 ** -33)[0],
                                  cumulative(huge.astype(np.float64), 2.0 ** -33)[0])
