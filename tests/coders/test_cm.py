import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from pcz.coders import cm
from pcz.coders.errors import CodingError

TEXT = b"It was the best of times, it was the worst of times, it was the age of wisdom.\n" * 20


def roundtrip(data: bytes, probe: bool = False) -> bytes | None:
    src = np.frombuffer(data, dtype=np.uint8)
    blob = cm.encode(src, 1, probe=probe)
    if blob is not None:
        assert cm.decode(blob, len(src), 1).tobytes() == data
    return blob


def coded_any(data: bytes) -> None:
    """Round trip through the kernel even when nothing is saved (the raw stream is kept)."""
    src = np.frombuffer(data, dtype=np.uint8)
    out = np.zeros(3 * len(src) + 16, dtype=np.uint8)
    n = cm._code(np.array(src), len(src), out, True, -1, *cm._setup(len(src), 1))
    assert cm.decode(out[:n].tobytes(), len(src), 1).tobytes() == data


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=4000))
def test_roundtrip_any_bytes(data):
    coded_any(data)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.sampled_from([b"the ", b"cat ", b"sat\n", b"\x00\x01", b"\xff" * 7, b"on a mat. "]),
                max_size=600), st.binary(max_size=40))
def test_roundtrip_structured_bytes(words, noise):
    data = b"".join(words) + noise + b"".join(words[:50])
    coded_any(data)
    roundtrip(data)


@pytest.mark.parametrize("data", [b"", b"a", b"\x00", b"\xff", b"a" * 100000, bytes(70000), bytes(range(256)) * 40])
def test_edge_inputs(data):
    coded_any(data)


def test_constant_input_codes_to_almost_nothing():
    blob = roundtrip(bytes(200000))
    assert blob is not None and len(blob) < 200


def test_text_compresses_well():
    blob = roundtrip(TEXT)
    assert len(blob) * 8 < 0.5 * len(TEXT)


def test_incompressible_input_is_given_up_early():
    rng = np.random.default_rng(0)
    data = rng.integers(0, 256, 3 * cm.PROBE, dtype=np.uint8).tobytes()
    assert roundtrip(data, probe=True) is None
    assert roundtrip(data, probe=False) is None         # coded in full: still not smaller
    tail = data[:cm.PROBE] + TEXT * 60                   # savings at the probe point
    assert roundtrip(TEXT[:1000] + tail, probe=True) is not None


def test_damage_is_reported():
    src = np.frombuffer(TEXT, dtype=np.uint8)
    blob = cm.encode(src, 1)
    for bad in (blob[:-1], blob[:-3], blob + b"\0", blob + b"\0\0\0\0\0", blob[:4]):
        with pytest.raises(CodingError):
            cm.decode(bad, len(src), 1)
    with pytest.raises(CodingError):
        cm.decode(blob, len(src), 7)                      # unknown mode


def test_tables():
    sq = cm.squash_table()
    st_ = cm.stretch_table(sq)
    assert (np.diff(sq) >= 0).all() and sq.min() >= 1 and sq.max() <= 65535
    assert (sq[::-1] + sq).min() >= 65535 and (sq[::-1] + sq).max() <= 65537      # symmetric up to rounding
    p = np.arange(1, 4095)
    assert np.abs(sq[st_[p] + 2047] - 16 * p - 8).max() < 200                      # stretch inverts squash
    nxt, total, p0 = cm.state_tables()
    assert nxt.min() >= 0 and nxt.max() < 256 and (total[nxt[:, 1]] >= 1).all()
    assert (p0 > 0).all() and (p0 < 1 << 22).all()


def test_memory_is_bounded():
    for n in (0, 1, 1000, 1 << 20, 1 << 26):
        args = cm._setup(n, 1)
        T, MT = args[2], args[6]
        assert T.shape[1] <= 1 << cm.MAX_TABLE_BITS and MT.shape[0] <= 1 << cm.MATCH_MAX_BITS
        assert T.shape[1] >= 1 << cm.MIN_TABLE_BITS
