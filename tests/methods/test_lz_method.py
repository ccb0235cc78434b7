"""Method lz-rans (13): payloads round trip, level 1 uses it for chunks of 64 KiB and more,
it is never much larger than order0-rans, and hostile payloads give one FormatError."""
import os

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import pcz
from pcz import methods
from pcz.errors import FormatError
from pcz.methods import lz, order0

CANTERBURY = os.environ.get("PCZ_CANTERBURY", "/work/shared/data/canterbury")
TEXT = b"It was the best of times, it was the worst of times, it was the age of wisdom. " * 50


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=4000))
def test_roundtrip_any_bytes(data):
    assert lz.decode(lz.encode(data), len(data)) == data


@pytest.mark.parametrize("data", [b"", b"x", b"\0" * 70_000, TEXT * 20, bytes(range(256)) * 400,
                                  bytes(np.random.default_rng(0).integers(0, 256, 80_000, dtype=np.uint8))])
def test_roundtrip_degenerate_inputs(data):
    assert lz.decode(lz.encode(data), len(data)) == data


def test_level_1_codes_large_chunks_with_lz_rans_and_small_ones_with_order0():
    from pcz.format.container import open_reader
    import io
    data = TEXT * 40                                           # 3 chunks: 64K, 64K, the rest
    blob = pcz.compress(data, level=1, chunk_size=1 << 16)
    assert pcz.decompress(blob) == data
    reader = open_reader(io.BytesIO(blob))
    ids = [record.method for record, _ in reader.records()]
    assert ids[:2] == [methods.LZ_RANS] * 2 and ids[2] == methods.ORDER0


@pytest.mark.skipif(not os.path.isdir(CANTERBURY), reason="no Canterbury corpus")
def test_text_is_coded_in_class_tables_and_beats_order0():
    prose = open(os.path.join(CANTERBURY, "alice29.txt"), "rb").read()
    payload = lz.encode(prose)
    assert payload[0] == 1 and len(payload) < 0.7 * len(order0.encode_rans(prose))


def test_repetitive_text_is_coded_in_one_literal_table():
    payload = lz.encode(TEXT * 30)                 # few literals: one literal table is cheaper
    assert payload[0] == 0 and len(payload) < len(order0.encode_rans(TEXT * 30)) / 10


def test_data_without_matches_is_one_literal_run_close_to_order0():
    rng = np.random.default_rng(5)
    data = bytes(rng.choice(16, 100_000, p=np.r_[[0.5], np.full(15, 0.5 / 15)]).astype(np.uint8))
    payload = lz.encode(data)
    assert len(payload) < len(order0.encode_rans(data)) * 1.01 + 64


@pytest.mark.skipif(not os.path.isdir(CANTERBURY), reason="no Canterbury corpus")
@pytest.mark.parametrize("name", sorted(os.listdir(CANTERBURY)) if os.path.isdir(CANTERBURY) else [])
def test_canterbury_never_much_larger_than_order0_rans(name):
    data = open(os.path.join(CANTERBURY, name), "rb").read()
    payload = lz.encode(data)
    assert lz.decode(payload, len(data)) == data
    assert len(payload) <= len(order0.encode_rans(data)) * 1.01 + 64


def test_hostile_payloads_give_one_line_format_errors():
    data = TEXT * 10
    payload = lz.encode(data)
    bad = [b"", b"\x02" + payload[1:], b"\xff", payload[:1], payload + b"\0\0", payload[:-1]]
    bad += [payload[:cut] for cut in range(1, len(payload), max(1, len(payload) // 97))]
    rng = np.random.default_rng(6)
    for _ in range(300):
        flipped = bytearray(payload)
        for at in rng.integers(0, len(payload), rng.integers(1, 4)):
            flipped[at] ^= 1 << int(rng.integers(8))
        bad.append(bytes(flipped))
    bad += [bytes(rng.integers(0, 256, int(rng.integers(1, 400)), dtype=np.uint8)) for _ in range(200)]
    for blob in bad:
        for size in (len(data), 10, 0):
            try:
                out = lz.decode(blob, size)
            except FormatError as e:
                assert "\n" not in str(e)
            else:
                assert len(out) == size          # a flip that still decodes; the chunk CRC catches it


def test_damaged_files_are_refused_by_the_container():
    data = TEXT * 30
    blob = bytearray(pcz.compress(data, level=1))
    blob[len(blob) // 2] ^= 0x10
    with pytest.raises(pcz.FormatError):
        pcz.decompress(bytes(blob))


def test_memory_states_what_decoding_allocates():
    method = methods.get(methods.LZ_RANS)
    assert method.memory(1 << 20, 1000) == 2 * (1 << 20) + 2000 + lz.TABLE_MEMORY
    # per table: the symbol lookup, the frequencies as int64 and uint32, the cumulative ones
    assert max(lz.NTABLES.values()) * (4096 + 256 * 8 + 256 * 4 + 257 * 4) <= lz.TABLE_MEMORY
