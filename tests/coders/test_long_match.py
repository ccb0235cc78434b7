"""The long-range match kernels: finding repeats in earlier chunks, the stored match list,
and rebuilding a chunk (overlapping copies included)."""
import numpy as np
import pytest

from pcz.coders import long_match
from pcz.coders.errors import CodingError

RNG = np.random.default_rng(7)


def _find(history: bytes, chunk: bytes, min_len=64, window=1 << 24):
    buf = np.frombuffer(history + chunk, dtype=np.uint8)
    bits = long_match.table_bits(window)
    table = np.full(1 << bits, -1, dtype=np.int64)
    long_match.insert(buf, 0, len(history), 0, table, 64 - bits)
    return long_match.find(buf, len(history), len(buf), 0, table, 64 - bits, min_len, window)


def test_a_repeat_of_an_earlier_chunk_is_found_whole_with_its_exact_source():
    history = RNG.integers(0, 256, 300_000, dtype=np.uint8).tobytes()
    chunk = RNG.integers(0, 256, 1000, dtype=np.uint8).tobytes() + history[12_345:12_345 + 5000] + b"\0" * 7
    found = _find(history, chunk)
    assert found.tolist() == [[1000, 12_345, 5000]]


def test_repeats_shorter_than_the_minimum_or_beyond_the_window_are_left():
    history = RNG.integers(0, 256, 200_000, dtype=np.uint8).tobytes()
    chunk = RNG.integers(0, 256, 500, dtype=np.uint8).tobytes()
    assert len(_find(history, chunk + history[100:160] + chunk)) == 0          # 60 bytes < 64
    assert len(_find(history, chunk + history[100:400] + chunk)) == 1
    assert len(_find(history, chunk + history[100:400] + chunk, window=1000)) == 0   # 199,900+ back


def test_pack_and_parse_round_trip_and_refuse_bad_lists():
    rows = np.array([[0, 1, 1], [127, 128, 300], [1 << 20, 1 << 26, 5]], dtype=np.int64)
    blob = long_match.pack(rows)
    out, used = long_match.parse(np.frombuffer(blob + b"xyz", dtype=np.uint8), 3, (1 << 20) + 433)
    assert out.tolist() == rows.tolist() and used == len(blob)
    with pytest.raises(CodingError, match="overrun"):
        long_match.parse(np.frombuffer(blob, dtype=np.uint8), 3, 1 << 20)
    with pytest.raises(CodingError, match="cut short"):
        long_match.parse(np.frombuffer(blob[:-1], dtype=np.uint8), 3, 1 << 22)
    with pytest.raises(CodingError, match="out of range"):
        long_match.parse(np.frombuffer(b"\xff" * 30, dtype=np.uint8), 1, 1 << 22)
    with pytest.raises(CodingError, match="longer than"):
        long_match.parse(np.frombuffer(b"\0" * 5, dtype=np.uint8), 2, 100)


def test_overlapping_copies_repeat_the_pattern_like_lz77():
    buf = np.zeros(3 + 20, dtype=np.uint8)
    buf[:3] = (1, 2, 3)
    long_match.apply(buf, 3, 20, np.array([[0, 3, 20]], dtype=np.int64), np.zeros(0, dtype=np.uint8), 0)
    assert buf.tolist() == [1, 2, 3] * 7 + [1, 2]


def test_apply_refuses_sources_before_the_kept_content_and_sizes_that_do_not_add_up():
    buf = np.zeros(100, dtype=np.uint8)
    with pytest.raises(CodingError, match="reaches before"):
        long_match.apply(buf, 50, 10, np.array([[0, 51, 10]], dtype=np.int64), np.zeros(0, dtype=np.uint8), 0)
    with pytest.raises(CodingError, match="reaches before"):
        long_match.apply(buf, 50, 10, np.array([[0, 20, 10]], dtype=np.int64), np.zeros(0, dtype=np.uint8), 40)
    with pytest.raises(CodingError, match="add up"):
        long_match.apply(buf, 50, 10, np.array([[0, 20, 5]], dtype=np.int64), np.zeros(2, dtype=np.uint8), 0)
    with pytest.raises(CodingError, match="add up"):
        long_match.apply(buf, 95, 10, np.zeros((0, 3), dtype=np.int64), np.zeros(10, dtype=np.uint8), 0)
