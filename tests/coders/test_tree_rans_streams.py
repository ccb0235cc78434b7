"""One rANS stream per record, walked in lockstep: same words as coding each record alone."""
import numpy as np
import pytest

from hclt_helpers import TREES, random_params, sample
from pcz.coders.tree_rans import TreeCoder
from pcz.models.hclt import HcltModel


@pytest.mark.parametrize("parent", TREES)
def test_each_record_is_its_own_stream(parent):
    rng = np.random.default_rng(len(parent))
    prior, T, E = random_params(rng, np.array(parent), 3, 5)
    model = HcltModel.from_float(np.array(parent), prior, T, E)
    coder = TreeCoder(model.parent, model.prior, model.transition, model.emit_q / model.one)
    coder.group = 7                                  # several lockstep groups
    X = sample(rng, model, 30)
    words, lengths = coder.encode_each(X)
    ends = np.cumsum(lengths)
    for b in range(len(X)):
        assert np.array_equal(words[ends[b] - lengths[b]:ends[b]], coder.encode(X[b:b + 1]))
    assert np.array_equal(coder.decode_each(words, lengths), X)
    # any subset decodes on its own
    pick = [3, 17, 29]
    sub = np.concatenate([words[ends[b] - lengths[b]:ends[b]] for b in pick])
    assert np.array_equal(coder.decode_each(sub, lengths[pick]), X[pick])


def test_damaged_streams_are_refused():
    parent = np.array([-1, 0, 0])
    model = HcltModel.from_float(parent, *random_params(np.random.default_rng(0), parent, 2, 4))
    coder = TreeCoder(model.parent, model.prior, model.transition, model.emit_q / model.one)
    X = sample(np.random.default_rng(1), model, 5)
    words, lengths = coder.encode_each(X)
    with pytest.raises(ValueError):
        coder.decode_each(words[:-1], lengths)
    with pytest.raises(ValueError):
        coder.decode_each(words, np.array([1, *lengths[1:-1], lengths[-1] + lengths[0] - 1]))
    bad = words.copy()
    bad[1] = 0                                       # the first record's state below the rANS range
    with pytest.raises(ValueError):
        coder.decode_each(bad, lengths)
