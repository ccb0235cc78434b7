"""The chunk payload of the pcz codec: layout, partial reads, damage."""
import numpy as np
import pytest

from helpers import MODEL, records
from pcz.dataset import chunks
from pcz.errors import FormatError, InputError
from pcz.methods.hclt import encode_rans


@pytest.mark.parametrize("n", [1, 2, 7, 64])
def test_round_trip(n):
    X = records(n).reshape(n, -1)
    payload = chunks.encode(X, MODEL)
    assert np.array_equal(chunks.decode(payload, n, MODEL), X)


def test_one_record_is_the_bare_hclt_rans_payload():
    X = records(1).reshape(1, -1)
    assert chunks.encode(X, MODEL) == encode_rans(X.tobytes(), MODEL)


def test_the_head_costs_one_byte_per_record_when_records_are_short():
    X = records(50).reshape(50, -1)
    payload = chunks.encode(X, MODEL)
    assert payload[0] == 1
    assert len(payload) == 1 + 50 + 4 * int(np.sum(chunks.counts(payload[:51], 50)))


def test_plan_reads_only_the_records_asked_for():
    X = records(20).reshape(20, -1)
    payload = chunks.encode(X, MODEL)
    head = payload[:chunks.head_size(payload[0], 20)]
    for first, stop in [(0, 1), (5, 9), (19, 20), (0, 20)]:
        start, end, lengths = chunks.plan(head, 20, first, stop)
        assert np.array_equal(chunks.decode_words(payload[start:end], lengths, MODEL), X[first:stop])


def test_damage_is_a_format_error():
    X = records(5).reshape(5, -1)
    payload = chunks.encode(X, MODEL)
    for bad in (payload[:-4], payload[:3], bytes([9]) + payload[1:], b""):
        with pytest.raises(FormatError):
            chunks.decode(bad, 5, MODEL)
    with pytest.raises(FormatError):
        chunks.decode(payload[:-2], 1, MODEL)


def test_values_the_model_cannot_code_are_refused():
    X = records(3).reshape(3, -1).copy()
    X[1, 2] = 200
    with pytest.raises(InputError, match="out of range"):
        chunks.encode(X, MODEL)
