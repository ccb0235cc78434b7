"""The pure-Python cm coder writes the numba kernel's stream bit for bit, and reads it back."""
import os

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from pcz.coders import cm, cm_small
from pcz.coders.errors import CodingError

CANTERBURY = os.environ.get("PCZ_CANTERBURY", "/work/shared/data/canterbury")


def both(data: bytes) -> bytes:
    """The kernel's stream for data (even when it saves nothing), checked against cm_small's."""
    n = len(data)
    out = np.zeros(3 * n + 16, dtype=np.uint8)
    m = cm._code(np.frombuffer(data, dtype=np.uint8).copy(), n, out, True, -1, *cm._setup(n, 1))
    mine = bytearray(3 * n + 16)
    assert cm_small._code(bytearray(data), n, mine, True, 1) == m
    assert bytes(mine[:m]) == out[:m].tobytes()
    assert cm_small.decode(out[:m].tobytes(), n, 1) == data
    return out[:m].tobytes()


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=1500))
def test_same_stream_as_the_kernel_on_any_bytes(data):
    both(data)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from([b"the ", b"The cat ", b"sat\n", b"\x00\x01", b"\xff" * 7, b"on a mat. "]),
                max_size=300), st.binary(max_size=40))
def test_same_stream_as_the_kernel_on_structured_bytes(words, noise):
    both(b"".join(words) + noise + b"".join(words[:40]))     # repeats exercise the match model


@pytest.mark.skipif(not os.path.isdir(CANTERBURY), reason="no Canterbury corpus")
@pytest.mark.parametrize("name", ["alice29.txt", "cp.html", "kennedy.xls", "ptt5", "sum"])
def test_same_stream_as_the_kernel_on_corpus_files(name):
    data = open(os.path.join(CANTERBURY, name), "rb").read()
    for n in (1, 63, 700, cm_small.LIMIT):
        start = len(data) // 3
        piece = data[start:start + n]
        assert cm_small.encode(piece, 1) == cm.encode(np.frombuffer(piece, dtype=np.uint8), 1)


def test_damaged_streams_fail_with_coding_error():
    text = b"to be or not to be, that is the question; " * 20
    blob = cm_small.encode(text, 1)
    for bad in (blob[:-1], blob + b"\x00", b""):
        with pytest.raises(CodingError):
            cm_small.decode(bad, len(text), 1)
    with pytest.raises(CodingError, match="unknown cm mode"):
        cm_small.decode(blob, len(text), 9)


def test_longer_than_the_limit_is_refused():
    with pytest.raises(ValueError, match="at most"):
        cm_small.encode(bytes(cm_small.LIMIT + 1), 1)
    with pytest.raises(ValueError, match="at most"):
        cm_small.decode(b"\x00" * 8, cm_small.LIMIT + 1, 1)
