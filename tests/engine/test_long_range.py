"""Long-range matching across chunks: round trips, the same bytes for every -T, seeking,
and hostile long chunks refused in one line."""
import io
import struct
import sys
import zlib

import numpy as np
import pytest

import pcz
from pcz import methods
from pcz.coders import long_match
from pcz.engine import long_range
from pcz.engine.encode import compress
from pcz.engine.seeking import Index
from pcz.errors import FormatError, LimitError

sys.path.insert(0, __import__("os").path.dirname(__import__("os").path.dirname(__file__)))
import badfiles  # noqa: E402

RNG = np.random.default_rng(11)


def noise(n: int) -> bytes:
    """Bytes order-0 codes to about 5 bits each, with no repeats of their own."""
    return RNG.integers(0, 40, n, dtype=np.uint8).tobytes()


def pack(data: bytes, **options) -> bytes:
    options.setdefault("candidates", (methods.ORDER0,))
    options.setdefault("long", True)
    out = io.BytesIO()
    compress(io.BytesIO(data), out, **options)
    return out.getvalue()


def long_chunks(blob: bytes) -> int:
    return sum(method == methods.LONG for method, _, _ in badfiles.parse(blob).chunks())


X = noise(1_300_000)
TWICE = X + noise(500_000) + X          # the repeat starts 1.8 MB after its source


def test_a_repeat_more_than_a_chunk_back_costs_a_few_bytes_and_round_trips():
    blob = pack(TWICE)
    once = pack(X + noise(500_000), long=False)
    assert long_chunks(blob) >= 1 and len(blob) < len(once) + 200
    assert pcz.decompress(blob) == TWICE
    assert len(pack(TWICE, long=False)) > len(once) + 800_000


def test_a_file_followed_by_a_copy_of_itself_costs_at_most_1_01_times_one_copy():
    one = pack(X)
    assert len(pack(X + X)) <= 1.01 * len(one)


def test_matches_cross_chunk_boundaries_and_may_overlap_their_destination():
    period = noise(3000)
    data = noise(200_000) + period * 500 + noise(50_000)        # a run of 1.5 MB with period 3000
    blob = pack(data, chunk_size=100_000)
    assert long_chunks(blob) >= 13 and pcz.decompress(blob) == data
    finder = long_range.Finder(21)
    rows = [finder.matches(data[i:i + 100_000]) for i in range(0, len(data), 100_000)]
    assert any(((r[:, 1] < r[:, 2]).any()) for r in rows if len(r))          # distance < length: overlap
    # the noise, and chunk 2 (where the period first comes: repeats within a chunk are the chunk
    # model's) coded by order-0, at about 5.32 bits a byte; the other 1.4 MB in matches
    assert len(blob) < (250_000 + 100_000) * 5.4 / 8 + 10_000


def test_the_output_is_the_same_for_every_thread_count_and_decodes_with_workers():
    blob = pack(TWICE, chunk_size=300_000)
    assert pack(TWICE, chunk_size=300_000, threads=2) == blob
    assert pcz.decompress(blob, threads=2) == TWICE


def test_inputs_up_to_1_mib_keep_exactly_the_bytes_they_had():
    data = X[:500_000] * 2
    assert pack(data, long=True, chunk_size=100_000) == pack(data, long=False, chunk_size=100_000)


def test_levels_2_to_9_match_by_default_and_level_1_does_not():
    data = noise(700_000) * 2
    assert long_chunks(pcz.compress(data, level=2)) >= 1
    assert long_chunks(pcz.compress(data, fast=True)) == 0
    assert long_chunks(pcz.compress(data, level=2, long=False)) == 0


@pytest.mark.parametrize("position", [0, 5, 299_999, 300_000, 1_300_123, 2_000_000, len(TWICE) - 1])
def test_seeking_into_a_stream_with_matches_returns_the_right_bytes(position):
    blob = pack(TWICE, chunk_size=300_000) + pcz.compress(b"tail" * 10)
    whole = TWICE + b"tail" * 10
    with pcz.open(io.BytesIO(blob)) as f:
        f.seek(position)
        assert f.read(70_000) == whole[position:position + 70_000]


def test_seeking_restarts_where_every_long_chunk_has_its_window():
    y = noise(20_000)
    data = noise(1_950_000) + y + noise(30_000) + y + noise(1_000_000)     # one long chunk: at 2,000,000
    blob = pack(data, chunk_size=250_000)
    index = Index(io.BytesIO(blob))
    assert index.streams[0].header.window_log == 22
    longs = [u.long for u in index.units]
    k = 8
    assert longs == [i == k for i in range(len(longs))]
    for position, first in ((index.units[k].start + 5, 0),                  # its 4 MiB window: from the start
                            (index.units[k + 1].start + 7, index.units[k + 1].start)):   # after it: at once
        start, chunks = index.read_from(io.BytesIO(blob), position)
        assert start == first and b"".join(chunks) == data[start:]


# ---- hostile long chunks ------------------------------------------------------------------

def _forge(blob: bytes, k: int, payload: bytes | None = None, window_log: int | None = None,
           crc: int | None = None) -> bytes:
    """``blob`` with chunk k's payload and the header's window replaced, every CRC made right."""
    p = badfiles.parse(blob)
    if window_log is not None:
        p.reserved = window_log
    if payload is not None:
        record = p.records[k]
        record[3], record[5] = len(payload), payload
        p.table[k][1] = len(payload)
    if crc is not None:
        p.records[k][4] = p.table[k][2] = crc
    return p.build()


def _long_payload(rows, literals: bytes) -> bytes:
    return bytes([methods.RAW]) + bytes([len(rows)]) + long_match.pack(np.array(rows, dtype=np.int64)) + literals


@pytest.fixture(scope="module")
def small():
    """A stream of two 600,000-byte chunks, the second long."""
    data = noise(600_000)
    data += data[:300_000] + noise(300_000)
    blob = pack(data, chunk_size=600_000)
    assert [m for m, _, _ in badfiles.parse(blob).chunks()] == [methods.ORDER0, methods.LONG]
    return data, blob


def _refused(blob: bytes, error, match: str, **options) -> None:
    with pytest.raises(error, match=match) as info:
        pcz.decompress(blob, **options)
    assert "\n" not in str(info.value)


def test_a_match_reaching_before_the_start_of_the_stream_is_refused(small):
    data, blob = small
    forged = _forge(blob, 1, _long_payload([[0, 700_000, 600_000]], b""), crc=zlib.crc32(data[600_000:]))
    _refused(forged, FormatError, "reaches before")


def test_a_match_further_back_than_the_window_is_refused(small):
    data, blob = small
    forged = _forge(blob, 1, _long_payload([[0, 599_000, 600_000]], b""), window_log=19)
    _refused(forged, FormatError, "further back than the stream's window")


def test_a_huge_match_length_is_refused(small):
    data, blob = small
    _refused(_forge(blob, 1, _long_payload([[0, 10, 1 << 40]], b"")), FormatError, "overrun")
    _refused(_forge(blob, 1, _long_payload([[0, 10, 599_999]], b"")), FormatError, "do not match")


def test_a_window_larger_than_the_memory_limit_is_refused_before_decoding(small):
    data, blob = small
    _refused(_forge(blob, 1, window_log=30), LimitError, "long-range window", memory_limit=64 << 20)
    _refused(_forge(blob, 1, window_log=31), FormatError, "out of range")
    with pytest.raises(LimitError, match="long-range window"):
        Index(io.BytesIO(_forge(blob, 1, window_log=30)), memory_limit=64 << 20).read_from(
            io.BytesIO(_forge(blob, 1, window_log=30)), 700_000)[1].__next__()


def test_a_long_chunk_in_a_stream_without_a_window_is_refused(small):
    data, blob = small
    _refused(_forge(blob, 1, window_log=0), FormatError, "keeps no window")


def test_a_wrong_match_is_caught_by_the_chunk_checksum(small):
    data, blob = small
    _refused(_forge(blob, 1, _long_payload([[0, 599_999, 300_000]], data[900_000:1_200_000])),
             FormatError, "checksum")


def test_decompressobj_and_pcz_info_read_streams_with_matches(run_cli, tmp_path):
    blob = pack(TWICE, chunk_size=300_000)
    d = pcz.decompressobj()
    out = b"".join(d.decompress(blob[i:i + 50_000]) for i in range(0, len(blob), 50_000))
    assert out == TWICE and d.eof
    path = tmp_path / "twice.pcz"
    path.write_bytes(blob)
    r = run_cli("info", "-v", str(path))
    assert r.code == 0 and "long" in r.out.decode() + r.err
