"""The LZ coder (pcz.coders.lz_parse, lz_rans, lz_tables): round trips through the parse and
the multi-table rANS, the table code, and damaged streams reported, never out of bounds."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from pcz.coders import lz_parse, lz_rans, lz_tables
from pcz.coders.errors import CodingError

CONTEXT = np.zeros(256, dtype=np.uint8)
ALPHABETS = np.array([44, 44, 33, 256])


def _code(data: bytes, context=CONTEXT):
    a = np.frombuffer(data, dtype=np.uint8)
    syms, tabs, bits, nbits, counts = lz_parse.parse(a, context)
    assert 8 * len(bits) - 8 < nbits <= 8 * len(bits) or nbits == len(bits) == 0
    counts[:3, 0] += ~counts[:3].any(axis=1)
    alphabets = np.array([44, 44, 33] + [256] * (len(counts) - 3))
    freq = lz_tables.normalise_rows(counts, alphabets)
    words, x0, x1 = lz_rans.encode(syms, tabs, freq)
    return words, x0, x1, bits, freq


def _roundtrip(data: bytes, context=CONTEXT) -> bytes:
    words, x0, x1, bits, freq = _code(data, context)
    return lz_rans.decode(words, x0, x1, bits, freq, context, len(data)).tobytes()


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=3000))
def test_roundtrip_any_bytes(data):
    assert _roundtrip(data) == data


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from([b"ab", b"abc", b"the ", b"\0" * 7, b"xyzzy", b"\xff"]), max_size=400))
def test_roundtrip_repetitive_bytes_with_literal_contexts(parts):
    data = b"".join(parts)
    context = (np.arange(256) % 5).astype(np.uint8)
    assert _roundtrip(data, context) == data


@pytest.mark.parametrize("data", [
    b"", b"a", b"ab", b"abcd", b"\0" * 5, b"\0" * 100_000,                 # empty, tiny, one long run
    bytes(range(256)) * 300,                                              # offsets of 256
    b"ab" * 70_000,                                                       # matches overlapping their copy
    bytes(np.random.default_rng(0).integers(0, 256, 50_000, dtype=np.uint8)),   # incompressible
])
def test_roundtrip_degenerate_inputs(data):
    assert _roundtrip(data) == data


def test_the_longest_matches_and_the_farthest_offsets():
    rng = np.random.default_rng(1)
    block = rng.integers(0, 256, 300_000, dtype=np.uint8).tobytes()
    data = block + b"\1" * 200_000 + block         # offset 500 000, matches capped at MAX_MATCH
    syms, tabs, *_ = lz_parse.parse(np.frombuffer(data, dtype=np.uint8), CONTEXT)
    lengths = syms[tabs == lz_parse.T_ML]
    assert lengths.max() == lz_parse.length_code(lz_parse.MAX_MATCH - lz_parse.MIN_MATCH)[0]
    assert _roundtrip(data) == data


def test_far_short_matches_are_left_as_literals():
    data = b"wxyz" + bytes(np.random.default_rng(2).integers(0, 256, 40_000, dtype=np.uint8)) + b"wxyz"
    syms, tabs, *_ = lz_parse.parse(np.frombuffer(data, dtype=np.uint8), CONTEXT)
    assert (tabs == lz_parse.T_ML).sum() == 0        # a 4-byte match 40 000 bytes back costs more


def test_log2_fixed_is_exact_on_powers_and_monotone():
    values = [lz_tables.log2_fixed(x) for x in range(1, 5000)]
    assert all(a <= b for a, b in zip(values, values[1:]))
    for k in range(40):
        assert lz_tables.log2_fixed(1 << k) == k << lz_tables.FRAC
    assert abs(lz_tables.log2_fixed(3) / (1 << lz_tables.FRAC) - np.log2(3)) < 1e-4


def test_normalised_rows_sum_exactly_and_keep_every_present_symbol():
    rng = np.random.default_rng(3)
    for _ in range(50):
        counts = rng.integers(0, 5000, (4, 256)) * (rng.random((4, 256)) < 0.2)
        counts[1] = 0
        counts[2, :] = 0
        counts[2, 32] = 7                                          # a lone symbol at the alphabet's end
        freq = lz_tables.normalise_rows(counts, ALPHABETS)
        assert freq[1].sum() == 0 and freq[2, 32] == lz_tables.TOTAL - 1 and freq[2, 31] == 1
        for t in (0, 3):
            if counts[t].any():
                assert freq[t].sum() == lz_tables.TOTAL and ((freq[t] > 0) == (counts[t] > 0)).all()
                assert freq[t].max() < lz_tables.TOTAL


def _random_tables(seed: int, most: int) -> np.ndarray:
    """Four normalised tables of random counts below ``most``, about half the symbols present."""
    rng = np.random.default_rng(seed)
    counts = rng.integers(0, most, (4, 256)) * (rng.random((4, 256)) < 0.5)
    counts[:3, 44:] = 0
    counts[2, 33:] = 0
    return lz_tables.normalise_rows(counts, ALPHABETS)


def test_tables_read_back_and_damaged_ones_are_refused():
    freq = _random_tables(4, 50)
    buf = np.zeros(2000, dtype=np.uint8)
    n = lz_tables.write_tables(freq, buf)
    back = np.zeros((4, 256), dtype=np.int64)
    assert lz_tables.read_tables(buf[:n], 0, ALPHABETS, back) == n and (back == freq).all()
    for cut in range(n):                                   # truncated anywhere
        assert lz_tables.read_tables(buf[:cut], 0, ALPHABETS, np.zeros((4, 256), dtype=np.int64)) < 0
    wide = np.zeros(8, dtype=np.uint8)
    wide[0] = 45                                           # 45 symbols in a 44-symbol table
    assert lz_tables.read_tables(wide, 0, ALPHABETS, np.zeros((4, 256), dtype=np.int64)) < 0


def test_compact_tables_read_back_and_damaged_ones_are_refused():
    freq = _random_tables(6, 5000)
    weights = lz_tables.compact_rows(freq)
    assert set(np.unique(weights)) <= {0, *lz_tables.WEIGHTS} and ((weights > 0) == (freq > 0)).all()
    ratio = weights[freq > 0] / freq[freq > 0]                # the nearest weight on a log scale
    assert ratio.max() <= 2 ** 0.45 and ratio.min() >= 2 ** -0.45
    buf = np.zeros(2000, dtype=np.uint8)
    n = lz_tables.write_compact(weights, ALPHABETS, buf)
    back = np.zeros((4, 256), dtype=np.int64)
    assert lz_tables.read_compact(buf[:n + 5], 0, ALPHABETS, back) == n and (back == weights).all()
    for cut in range(n):                                   # truncated anywhere
        assert lz_tables.read_compact(buf[:cut], 0, ALPHABETS, np.zeros((4, 256), dtype=np.int64)) < 0
    wide = np.zeros(8, dtype=np.uint8)
    wide[0] = 45                                           # 45 symbols in a 44-symbol table
    assert lz_tables.read_compact(wide, 0, ALPHABETS, np.zeros((4, 256), dtype=np.int64)) < 0
    one = np.zeros(8, dtype=np.uint8)
    one[0] = 2 | 1 << 6          # m = 2: symbol 0 at level 0, symbol 1 absent; 3 empty tables: 33 bits
    assert lz_tables.read_compact(one, 0, ALPHABETS, np.zeros((4, 256), dtype=np.int64)) == 5
    one[4] = 2                                             # a nonzero padding bit
    assert lz_tables.read_compact(one, 0, ALPHABETS, np.zeros((4, 256), dtype=np.int64)) < 0


def test_damage_is_reported():
    data = b"the quick brown fox jumps over the lazy dog, " * 200 + bytes(range(256))
    words, x0, x1, bits, freq = _code(data)
    n = len(data)
    cases = [
        (words[:-1], x0, x1, bits, freq, n),                # truncated words
        (np.concatenate([words, [0]]), x0, x1, bits, freq, n),   # words left over
        (words, x0, x1, bits[:-1], freq, n),                # truncated extra bits
        (words, x0, x1, bits + b"\1", freq, n),             # bits left over
        (words, x0 ^ 0x5555, x1, bits, freq, n),            # another start state
        (words, x0, x1, bits, freq, n - 1),                 # a size the stream does not fill exactly
        (words, x0, x1, bits, freq, n + 1),
    ]
    for w, a, b, bb, f, size in cases:
        with pytest.raises(CodingError):
            lz_rans.decode(np.asarray(w, dtype=np.uint16), a, b, bb, f, CONTEXT, size)
    bad = freq.copy()
    bad[0, 0] += 1                                          # not summing to 4096
    with pytest.raises(CodingError):
        lz_rans.decode(words, x0, x1, bits, bad, CONTEXT, n)
    with pytest.raises(CodingError):                        # a start state out of range
        lz_rans.decode(words, 5, x1, bits, freq, CONTEXT, n)


@settings(max_examples=150, deadline=None)
@given(st.binary(min_size=0, max_size=600), st.integers(0, 5000))
def test_random_streams_never_crash(noise, size):
    data = b"abracadabra, abracadabra! " * 40
    words, x0, x1, bits, freq = _code(data)
    rng = np.random.default_rng(len(noise))
    garbage = np.frombuffer(noise[: len(noise) // 2 * 2], dtype=np.uint16)
    for w, b in ((garbage, bits), (words, noise), (garbage, noise)):
        try:
            out = lz_rans.decode(w, x0, x1, b, freq, CONTEXT, size)
            assert len(out) == size
        except CodingError:
            pass
    shuffled = freq[rng.permutation(len(freq))]             # tables in the wrong places
    try:
        lz_rans.decode(words, x0, x1, bits, shuffled, CONTEXT, len(data))
    except CodingError:
        pass


def test_the_widest_tables_fit_their_stated_size():
    counts = np.ones((4, 256), dtype=np.int64)
    counts[:, :32] = 10_000                   # 32 frequencies of 128 or more, 224 small ones
    freq = lz_tables.normalise_rows(counts, np.full(4, 256))
    assert ((freq >= 128).sum(axis=1) <= lz_tables.TOTAL // 128).all()
    buf = np.zeros(4 * lz_tables.TABLE_BYTES + 64, dtype=np.uint8)
    n = lz_tables.write_tables(freq, buf)
    assert n <= 4 * lz_tables.TABLE_BYTES and not buf[n:].any()


def test_the_encoders_reciprocals_divide_exactly_at_the_edges():
    f = np.arange(1, lz_rans.TOTAL, dtype=np.uint64)[:, None]
    r = (np.uint64(1 << lz_rans.RCP_SHIFT) // f) + np.uint64(1)
    k = np.array([0, 1, 2, 3, 1000, (1 << 20) - 2, (1 << 20) - 1, 1 << 20], dtype=np.uint64)[None, :]
    for x in (f * k - np.uint64(1), f * k, f * k + f - np.uint64(1)):     # around every multiple
        x = np.minimum(x, f * np.uint64(1 << 20) - np.uint64(1))          # states stay below f * 2**20
        q = (x * r) >> np.uint64(lz_rans.RCP_SHIFT)
        assert (q == x // f).all()


def test_a_parse_does_not_depend_on_the_chunks_parsed_before_or_beside_it():
    # each thread keeps its hash table and padded copy between chunks (lz_parse._Workspace)
    import threading
    rng = np.random.default_rng(5)
    words = [bytes(rng.integers(97, 123, int(rng.integers(2, 9)), dtype=np.uint8)) for _ in range(300)]
    chunks = [b" ".join(words[int(j)] for j in rng.integers(0, 300, size)) for size in (20_000, 3_000, 60_000, 10)]
    alone = [lz_parse.parse(np.frombuffer(c, dtype=np.uint8), CONTEXT) for c in chunks]
    fresh = lz_parse.parse(np.frombuffer(chunks[1], dtype=np.uint8), CONTEXT)
    for c, ref in zip(chunks[::-1] + chunks, alone[::-1] + alone):     # after bigger and smaller ones
        got = lz_parse.parse(np.frombuffer(c, dtype=np.uint8), CONTEXT)
        assert all(np.array_equal(np.asarray(a), np.asarray(b)) for a, b in zip(got, ref)) and got[2] == ref[2]
    assert fresh[2] == alone[1][2]
    results = {}

    def work(k):
        results[k] = [lz_parse.parse(np.frombuffer(c, dtype=np.uint8), CONTEXT)[2] for c in chunks * 3]
    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert all(results[k] == [r[2] for r in alone] * 3 for k in range(4))


def test_the_bit_writer_packs_values_of_up_to_31_bits_like_pack_bits():
    from pcz.coders import lz_small
    rng = np.random.default_rng(6)
    en = rng.integers(0, 32, 2000).astype(np.uint8)
    en[:40] = 31
    ev = (rng.integers(0, 1 << 31, 2000, dtype=np.uint64) & ((np.uint64(1) << en.astype(np.uint64)) - np.uint64(1)))
    ev[:40] = (1 << 31) - 1                   # the widest values, all ones
    bits = np.zeros(4 * len(en) + 16, dtype=np.uint8)
    at, acc, held = np.uint64(0), np.uint64(0), np.uint64(0)
    for v, k in zip(ev, en):
        at, acc, held = lz_parse._put_bits(bits, at, acc, held, np.uint64(v), np.uint64(k))
    packed = lz_small.pack_bits(ev, en)
    assert bits[:int(at) + bool(held)].tobytes() == packed and len(packed) == (int(en.sum()) + 7) // 8
