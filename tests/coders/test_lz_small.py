"""The pure-Python LZ kernels give the numba kernels' results exactly, and reject what they reject."""
import os

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from pcz.coders import lz_parse, lz_rans, lz_small, lz_tables, rans_order0
from pcz.coders.errors import CodingError
from pcz.methods.lz import ALPHABETS, CLASSES, CONTEXTS

CANTERBURY = os.environ.get("PCZ_CANTERBURY", "/work/shared/data/canterbury")
TEXT = b"It was the best of times, it was the worst of times, it was the age of wisdom. "


def _arrays_equal(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert np.array_equal(np.asarray(x), np.asarray(y))


def both(data: bytes, context=CLASSES):
    """Every kernel on data, in numba and in Python: the same results; returns the coded stream."""
    arr = np.frombuffer(data, dtype=np.uint8)
    parsed = lz_parse.parse(arr, context)
    small = lz_small.parse(arr, context)
    _arrays_equal(small, parsed)
    assert small[2:4] == parsed[2:4]     # the extra bits byte for byte (np.asarray drops a bytes' trailing zeros)
    syms, tabs, bits, nbits, counts = parsed
    assert np.array_equal(lz_small.byte_counts(arr), lz_parse.byte_counts(arr))
    assert lz_small.row_cost(lz_parse.byte_counts(arr)) == lz_tables.row_cost(lz_parse.byte_counts(arr))
    assert lz_small.mode_costs(counts, 3) == tuple(int(c) for c in lz_tables.mode_costs(counts, 3))
    counts[:3, 0] += ~counts[:3].any(axis=1)
    alphabets = np.array([44, 44, 33] + [256] * (len(counts) - 3))
    freq = lz_tables.normalise_rows(counts, alphabets)
    assert np.array_equal(lz_small.normalise_rows(counts, alphabets), freq)
    head, mine = (np.zeros(lz_tables.TABLE_BYTES * len(freq), np.uint8) for _ in range(2))
    n = lz_tables.write_tables(freq, head)
    assert lz_small.write_tables(freq, mine) == n and np.array_equal(mine[:n], head[:n])
    weights = lz_tables.compact_rows(freq)
    assert np.array_equal(lz_small.compact_rows(freq), weights)
    assert lz_small.code_cost(counts, freq) == lz_tables.code_cost(counts, freq)
    head[:], mine[:] = 0, 0
    n = lz_tables.write_compact(weights, alphabets, head)
    assert lz_small.write_compact(weights, alphabets, mine) == n and np.array_equal(mine[:n], head[:n])
    stream = lz_rans.encode(syms, tabs, freq)
    _arrays_equal(lz_small.encode(syms, tabs, freq), stream)
    assert bytes(lz_small.decode(*stream, bits, freq, context, len(data))) == data
    return stream, bits, freq


def test_the_constants_are_the_kernels():
    assert (lz_small.MIN_MATCH, lz_small.MAX_MATCH, lz_small.HASH_BITS, lz_small.FAR, lz_small.SKIP_SHIFT) == (
        lz_parse.MIN_MATCH, lz_parse.MAX_MATCH, lz_parse.HASH_BITS, lz_parse.FAR, lz_parse.SKIP_SHIFT)
    assert (lz_small.T_LL, lz_small.T_ML, lz_small.T_OF, lz_small.T_LIT, lz_parse.WAYS) == (0, 1, 2, 3, 2)
    assert (lz_small.PROB_BITS, lz_small.TOTAL, lz_small.RANS_L) == (
        rans_order0.PROB_BITS, rans_order0.TOTAL, rans_order0.RANS_L)
    assert (lz_small.FRAC, lz_small.TABLE_BYTES, lz_small.ERR_TABLE) == (
        lz_tables.FRAC, lz_tables.TABLE_BYTES, lz_tables.ERR_TABLE)
    assert lz_small.MESSAGES == lz_rans.MESSAGES
    for v in (0, 15, 16, 17, 1000, 65535, 1 << 16, (1 << 31) + 5):
        assert lz_small.length_code(v) == tuple(int(x) for x in lz_parse.length_code(v))
    for x in (1, 2, 3, 1000, 65536, 123456789, (1 << 40) + 3):
        assert lz_small.log2_fixed(x) == lz_tables.log2_fixed(x)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=3000))
def test_same_results_as_the_kernels_on_any_bytes(data):
    both(data)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from([b"the ", b"The cat ", b"sat\n", b"\x00\x01", b"\xff" * 7, b"on a mat. ",
                                 b"\x00" * 300]), max_size=400), st.binary(max_size=40), st.booleans())
def test_same_results_as_the_kernels_on_structured_bytes(words, noise, one_table):
    both(b"".join(words) + noise + b"".join(words[:60]), CONTEXTS[0] if one_table else CLASSES)


RNG = np.random.default_rng(11)
CASES = {"empty": b"", "one": b"x", "three": b"abc", "four": b"abab", "all-equal": b"\x00" * lz_small.LIMIT,
         "two-byte-run": b"ab" * (lz_small.LIMIT // 2),
         "text": TEXT * 800, "random": RNG.integers(0, 256, lz_small.LIMIT, dtype=np.uint8).tobytes(),
         "sparse": RNG.choice(4, lz_small.LIMIT - 1, p=[0.85, 0.05, 0.05, 0.05]).astype(np.uint8).tobytes(),
         "periods": b"".join(bytes([k % 7]) * (k % 40) + b"xyz" * (k % 5) for k in range(3000))[:lz_small.LIMIT],
         "far": bytes(RNG.integers(0, 256, 40_000, dtype=np.uint8)) + b"needle in a haystack!" * 3 + bytes(100)}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_results_as_the_kernels_on_edge_inputs(name):
    data = CASES[name]
    for n in {len(data), len(data) - 1, 63, 64, 65}:
        if 0 <= n <= len(data):
            both(data[:n])


@pytest.mark.skipif(not os.path.isdir(CANTERBURY), reason="no Canterbury corpus")
@pytest.mark.parametrize("name", sorted(os.listdir(CANTERBURY)) if os.path.isdir(CANTERBURY) else [])
def test_same_results_as_the_kernels_on_corpus_files(name):
    data = open(os.path.join(CANTERBURY, name), "rb").read()
    start = len(data) // 3
    for n in (5, 700, 4096, lz_small.LIMIT):
        both(data[start:start + n])


def _outcome(decoder, *args):
    try:
        return bytes(decoder(*args))
    except CodingError as e:
        assert "\n" not in str(e)
        return str(e)


def test_damaged_streams_give_the_kernels_outcome():
    data = TEXT * 40 + bytes(RNG.integers(0, 256, 300, dtype=np.uint8))
    (words, x0, x1), bits, freq = both(data)
    rng = np.random.default_rng(3)
    trials = [(words[:-1], x0, x1, bits), (words, x0, x1, bits[:-1]), (words, x0, x1, bits + b"\x00"),
              (np.r_[words, 7].astype(np.uint16), x0, x1, bits), (words, x0 + 1, x1, bits), (words, x0, x1 - 1, bits),
              (words[: len(words) // 2], x0, x1, bits), (words, x1, x0, bits), (words[:0], x0, x1, b"")]
    for _ in range(300):
        w, b = words.copy(), bytearray(bits)
        if rng.random() < 0.7:
            w[rng.integers(len(w))] ^= np.uint16(1 << int(rng.integers(16)))
        else:
            b[rng.integers(len(b))] ^= 1 << int(rng.integers(8))
        trials.append((w, x0, x1, bytes(b)))
    errors = 0
    for w, a, c, b in trials:
        for size in (len(data), len(data) - 1, len(data) + 9, 0, 40):
            expected = _outcome(lz_rans.decode, w, a, c, b, freq, CLASSES, size)
            assert _outcome(lz_small.decode, w, a, c, b, freq, CLASSES, size) == expected
            errors += isinstance(expected, str)
    assert errors > len(trials)


def test_bad_tables_and_states_give_the_kernels_error():
    (words, x0, x1), bits, freq = both(TEXT * 20)
    wrong_sum, too_big, no_offsets, negative = freq.copy(), np.zeros_like(freq), freq.copy(), freq.copy()
    wrong_sum[3, 32] += 1
    too_big[:, 0] = 4096
    no_offsets[2] = 0
    negative[3, 32] = -1
    cases = [(freq, x0, x1), (wrong_sum, x0, x1), (too_big, x0, x1), (no_offsets, x0, x1), (negative, x0, x1),
             (freq[:3], x0, x1), (freq[:, :100], x0, x1), (freq, 5, x1), (freq, x0, 1 << 32)]
    messages = set()
    for f, a, c in cases:
        expected = _outcome(lz_rans.decode, words, a, c, bits, f, CLASSES, len(TEXT) * 20)
        assert _outcome(lz_small.decode, words, a, c, bits, f, CLASSES, len(TEXT) * 20) == expected
        messages.add(expected)
    assert len(messages) >= 5


def _write_exact(freq, buf):
    return lz_tables.write_tables(freq, buf)


def _write_compact(freq, buf):
    return lz_tables.write_compact(lz_tables.compact_rows(freq), ALPHABETS[1], buf)


@pytest.mark.parametrize("write, read, seed", [(_write_exact, "read_tables", 4), (_write_compact, "read_compact", 5)])
def test_reading_damaged_tables_gives_the_kernels_result(write, read, seed):
    freq = lz_tables.normalise_rows(lz_parse.parse(np.frombuffer(TEXT * 9, np.uint8), CLASSES)[4], ALPHABETS[1])
    head = np.zeros(lz_tables.TABLE_BYTES * len(freq), np.uint8)
    good = head[:write(freq, head)]
    rng = np.random.default_rng(seed)
    blobs = [good, good[:-1], good[:5], good[:0]] + [rng.integers(0, 256, int(rng.integers(1, 200)), dtype=np.uint8)
                                                   for _ in range(200)]
    for _ in range(300):
        bad = good.copy()
        bad[rng.integers(len(bad))] ^= np.uint8(1 << int(rng.integers(8)))
        blobs.append(bad)
    refused = 0
    for blob in blobs:
        a, b = np.zeros((15, 256), np.int64), np.zeros((15, 256), np.int64)
        pos = getattr(lz_tables, read)(blob, 0, ALPHABETS[1], a)
        assert getattr(lz_small, read)(blob, 0, ALPHABETS[1], b) == pos and np.array_equal(a, b)
        refused += pos < 0
    assert refused > 50


def test_longer_than_the_limit_is_refused():
    with pytest.raises(ValueError, match="at most"):
        lz_small.parse(np.zeros(lz_small.LIMIT + 1, np.uint8), CLASSES)
    with pytest.raises(ValueError, match="at most"):
        lz_small.decode(np.zeros(4, np.uint16), 1 << 16, 1 << 16, b"", np.zeros((4, 256)), CONTEXTS[0],
                        lz_small.LIMIT + 1)


def test_a_symbol_without_frequency_is_refused_by_the_encoder():
    freq = np.zeros((4, 256), np.int64)
    freq[:, 0] = 4096
    with pytest.raises(ValueError, match="frequency 0"):
        lz_small.encode(np.array([1], np.uint8), np.array([0], np.uint8), freq)
