"""Golden tests: exact compressed bytes of small inputs, and old files that must still decode.

A failure means the bitstream changed.  If that is deliberate, bump the
format version, keep the old fixtures as decode-only ones, and regenerate with
``PCZ_REGEN_GOLDEN=1 pytest tests/test_golden.py``.
"""
import os

import pytest

import pcz
from golden_helpers import load_streams
from pcz.format.fields import COMPACT_LIMIT, DEFAULT_CHUNK, compact_limit

HERE = os.path.join(os.path.dirname(__file__), "golden")
GOLDEN = os.path.join(HERE, "core-v2.json")
GOLDEN_V1 = os.path.join(HERE, "core.json")      # format version 1: decode-only, never regenerated
GOLDEN_MIX0 = os.path.join(HERE, "core-v2-mix-mode0.json")   # hmm-mix mode 0 (no APMs): decode-only
GOLDEN_LEVEL7 = os.path.join(HERE, "core-v2-level7.json")    # made when level 7 was the default: decode-only
GOLDEN_ORDER0_RANS = os.path.join(HERE, "core-v2-order0-rans.json")  # when --fast was order0-rans: decode-only
GOLDEN_LONG_ID = os.path.join(HERE, "core-v2-long-id.json")  # compact files naming their model in 32 bytes: decode-only
# made when --fast coded chunks under 64 KiB with order-0 alone: decode-only
GOLDEN_FAST_ORDER0 = os.path.join(HERE, "core-v2-fast-order0.json")
# made when lz-rans wrote every table exactly (mode byte 0 or 1, no compact tables): decode-only
GOLDEN_LZ_EXACT = os.path.join(HERE, "core-v2-lz-exact.json")
# made when the compact framing ended at 64 KiB (these contents were then chunked): decode-only
GOLDEN_CHUNKED_64K = os.path.join(HERE, "core-v2-chunked-64k.json")
TEXT = b"the quick brown fox jumps over the lazy dog\n" * 4


def _prose(n_words: int) -> bytes:
    """Words picked by a fixed linear congruential generator: text with literals, near and
    far matches, for the lz-rans cases."""
    words = (b"the of and to a in that it was he for on with as his at by had not be but from "
             b"they this which she all you her were there been one so an my when what more no if "
             b"Alice Queen little said very would could time again thought herself Rabbit,").split()
    out, x = [], 12345
    for i in range(n_words):
        x = (x * 1103515245 + 12345) % (1 << 31)
        out.append(words[(x >> 16) % len(words)] + (b".\n" if x % 13 == 0 else b" "))
    return b"".join(out)


PROSE = _prose(14_600)                       # just over 64 KiB: one lz-rans chunk
OVER_COMPACT = bytes(range(256)) * 4200      # just over 1 MiB: the chunked framing
CASES = {
    "empty": (b"", {}),
    "one-byte": (b"a", {}),
    "all-bytes": (bytes(range(256)), {}),
    "text": (TEXT, {}),
    "text-chunked": (TEXT, {"chunk_size": 64}),
    "large": (bytes(70000), {}),
    "large-chunked": (bytes(70000), {"chunk_size": 30000}),
    "fast-small": (TEXT * 8, {"fast": True}),             # lz-rans in plain Python (chunks under 64 KiB)
    "fast-large-lz": (TEXT * 400, {"fast": True}),         # lz-rans (method 13), one literal table
    "fast-prose-lz": (PROSE, {"fast": True}),              # lz-rans, literal tables by class
    "text-level7": (TEXT, {"level": 7}),                    # the text mixture (hmm-mix)
    "text-level9": (TEXT * 3, {"level": 9}),
    "over-compact": (OVER_COMPACT, {"fast": True}),       # over the compact limit
}
V1_CASES = ["empty", "one-byte", "all-bytes", "text", "text-chunked"]
MIX0_CASES = V1_CASES + ["large", "large-chunked"]


def load(path=GOLDEN):
    return load_streams(path, CASES if path == GOLDEN else None)


@pytest.mark.parametrize("name", sorted(CASES))
def test_compressed_bytes_are_exactly_the_golden_ones(name):
    data, options = CASES[name]
    expected = load()[name]
    limit = compact_limit(options.get("chunk_size", DEFAULT_CHUNK))
    assert expected[4] == 2 and bool(expected[5] & 4) == (len(data) <= limit)   # v2, compact when small
    assert pcz.compress(data, **options) == expected
    assert pcz.decompress(expected) == data


@pytest.mark.parametrize("name", V1_CASES)
def test_version_1_files_still_decode(name):
    blob = load(GOLDEN_V1)[name]
    assert blob[4] == 1
    assert pcz.decompress(blob) == CASES[name][0]


@pytest.mark.parametrize("name", MIX0_CASES)
def test_files_of_the_first_mixture_mode_still_decode(name):
    blob = load(GOLDEN_MIX0)[name]
    assert pcz.decompress(blob) == CASES[name][0]


@pytest.mark.parametrize("name", sorted(load(GOLDEN_LEVEL7)))
def test_files_made_when_level_7_was_the_default_still_decode(name):
    data = TEXT * 400 if name == "fast-large" else CASES[name][0]     # fast-large: the case before lz-rans
    assert pcz.decompress(load(GOLDEN_LEVEL7)[name]) == data


def test_files_made_when_fast_was_order0_rans_still_decode():
    blob = load(GOLDEN_ORDER0_RANS)["fast-large"]
    assert blob[4] == 2
    assert pcz.decompress(blob) == TEXT * 400


def test_files_made_when_fast_coded_small_chunks_with_order0_still_decode():
    blob = load(GOLDEN_FAST_ORDER0)["fast-small"]
    assert blob[4] == 2 and blob[6] == 1          # one order-0 chunk (method id after the flags)
    assert pcz.decompress(blob) == TEXT * 8


@pytest.mark.parametrize("name", sorted(load(GOLDEN_LONG_ID)))
def test_compact_files_with_a_32_byte_model_id_still_decode(name):
    blob = load(GOLDEN_LONG_ID)[name]
    assert blob[5] == 0x05                       # MODEL | COMPACT, no short id
    assert pcz.decompress(blob) == CASES[name][0]
    assert len(load()[name]) == len(blob) - 24    # the same file now names it in 8 bytes


def _lz_modes(blob: bytes) -> list[int]:
    import io
    from pcz.format.container import open_reader
    return [payload[0] for record, payload in open_reader(io.BytesIO(blob)).records() if record.method == 13]


@pytest.mark.parametrize("name", sorted(load(GOLDEN_LZ_EXACT)))
def test_files_made_before_compact_lz_tables_still_decode(name):
    blob = load(GOLDEN_LZ_EXACT)[name]
    assert _lz_modes(blob) and all(mode in (0, 1) for mode in _lz_modes(blob))
    assert pcz.decompress(blob) == CASES[name][0]


@pytest.mark.parametrize("name", sorted(load(GOLDEN_CHUNKED_64K)))
def test_files_made_when_the_compact_framing_ended_at_64_kib_still_decode(name):
    blob = load(GOLDEN_CHUNKED_64K)[name]
    assert not blob[5] & 4 and 1 << 16 < len(CASES[name][0]) <= COMPACT_LIMIT
    assert pcz.decompress(blob) == CASES[name][0]
    assert len(load()[name]) < len(blob)          # compact now


def test_the_fast_cases_pin_compact_lz_tables():
    # the exact ones: pinned by the decode-only fixtures above (their writer is unchanged)
    modes = [mode for name in CASES if name.startswith("fast") for mode in _lz_modes(load()[name])]
    assert modes and all(mode & 2 for mode in modes)
