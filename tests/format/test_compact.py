"""The compact framing (pcz/compact.py): layout, bound, and damage detection."""
import io
import random
import struct
import zlib

import pytest

import pcz
from pcz.format import compact
from pcz.format import container, fields
from pcz.engine import pipeline
from pcz.errors import ChecksumError, FormatError, PczError
from badfiles import chunked, parse


def test_layout_of_an_empty_file_is_as_documented():
    blob = pcz.compress(b"")
    assert blob[:6] == b"\x89PCZ\x02\x04" and blob[6] == 0xFF and len(blob) == 15
    assert blob[7:11] == bytes(4)                                 # CRC32 of no content
    assert struct.unpack("<I", blob[11:])[0] == zlib.crc32(blob[:11])


@pytest.mark.parametrize("size", [1, 127, 128, 16383, 16384, fields.COMPACT_LIMIT])
def test_incompressible_content_stays_within_the_bound(size):
    data = random.Random(size).randbytes(size)          # no model can win: stored raw
    blob = pcz.compress(data)
    assert blob[5] & fields.FLAG_COMPACT and pcz.decompress(blob) == data
    assert len(blob) == size + fields.overhead_bound(size, 1 << 20)     # raw: exactly the bound
    assert fields.overhead_bound(size, 1 << 20) <= 22


def small_files():
    return [pcz.compress(b"xyz"), pcz.compress(bytes(range(40)) * 3, chunk_size=50),
            pcz.compress(b"hello, hello, hello, hello")]


def test_every_truncation_and_every_bit_flip_is_rejected():
    for blob in small_files():
        for n in range(len(blob)):
            with pytest.raises(FormatError):
                pcz.decompress(blob[:n])
        for i in range(len(blob) * 8):
            bad = bytearray(blob)
            bad[i // 8] ^= 1 << (i % 8)
            with pytest.raises(PczError):
                pcz.decompress(bytes(bad))


def test_file_crc_is_checked_before_anything_is_decoded(monkeypatch):
    blob = bytearray(pcz.compress(b"hello, hello, hello, hello"))
    blob[-12] ^= 1                                   # in the payload

    def no_decoding(*args):
        raise AssertionError("decoded a damaged file")
    monkeypatch.setattr(pipeline, "decode_record", no_decoding)
    with pytest.raises(ChecksumError, match="file checksum"):
        pcz.decompress(bytes(blob))


def test_content_crc_is_checked_before_anything_is_yielded():
    data = bytes(range(100)) * 3
    p = parse(pcz.compress(data, chunk_size=100, level=1))
    p.records[-1][3] = bytes([p.records[-1][3][0] ^ 1]) + p.records[-1][3][1:]   # raw: decodes
    with pytest.raises(ChecksumError, match="content checksum"):
        next(pipeline.iter_decompress(io.BytesIO(p.build())))


class Endless:
    """The first bytes of a compact file, then ``fill`` repeated for ever."""

    def __init__(self, start: bytes, fill: bytes = b"\0"):
        self.start, self.fill, self.served = start, fill, 0

    def read(self, n: int) -> bytes:
        out = bytearray()
        while len(out) < n:
            at = self.served + len(out)
            if at < len(self.start):
                out += self.start[at:at + n - len(out)]
            else:
                k = (at - len(self.start)) % len(self.fill)
                out += self.fill[k:k + n - len(out)]
        self.served += len(out)
        return bytes(out)


# a one-byte raw chunk whose sizes are spelt with 10-byte LEB128 (allowed): 22 bytes per content byte
_LONG_RECORD = b"\x00" + b"\x81" + b"\x80" * 8 + b"\x00" + b"\x81" + b"\x80" * 8 + b"\x00" + b"A"


@pytest.mark.parametrize("fill", [b"\0", _LONG_RECORD])
def test_reading_is_capped_whatever_follows(fill):
    src = Endless(pcz.compress(b"")[:6], fill)
    with pytest.raises(FormatError):
        container.open_reader(src)
    assert src.served <= 6 + compact.MAX_BODY


def test_reading_stops_at_the_cap_of_the_framing():
    src = io.BytesIO(pcz.compress(b"")[:6] + _LONG_RECORD * (compact.MAX_BODY // len(_LONG_RECORD) + 2))
    with pytest.raises(FormatError, match="longer"):
        container.open_reader(src)
    assert src.tell() <= 6 + compact.MAX_BODY


def test_a_stream_is_read_to_its_last_byte_and_no_further():
    blob = pcz.compress(b"hello, hello, hello, hello")
    src = io.BytesIO(blob + b"more")
    reader = container.open_reader(src)
    list(reader.records())
    assert src.tell() == len(blob)


def test_pcz_open_writes_and_reads_the_compact_framing(tmp_path):
    path = tmp_path / "small.pcz"
    with pcz.open(path, "wb") as f:
        f.write(b"a small file\n")
    assert path.read_bytes()[5] & fields.FLAG_COMPACT
    with pcz.open(path) as f:
        assert f.read() == b"a small file\n"


def test_info_shows_the_compact_framing(run_cli, tmp_path):
    (tmp_path / "a").write_bytes(b"abc" * 10)
    assert run_cli("compress", "-q", str(tmp_path / "a")).code == 0
    r = run_cli("info", "-v", str(tmp_path / "a.pcz"))
    assert r.code == 0 and b"pcz v2, compact" in r.out and b"crc32 " + f"{zlib.crc32(b'abc' * 10):08x}".encode() in r.out


def test_one_default_chunk_is_framed_compactly_smaller_chunks_only_up_to_64_kib():
    data = bytes(range(256)) * 1024                                  # 256 KiB
    compact_of = lambda blob: bool(blob[5] & fields.FLAG_COMPACT)     # noqa: E731
    cases = [(data, {}, True), (data, {"chunk_size": 1 << 16}, False),   # small chunks: seekable
             (data[:1 << 16], {"chunk_size": 1 << 12}, True), (data * 4 + b"x", {}, False)]
    for content, options, expected in cases:
        blob = pcz.compress(content, fast=True, **options)
        assert compact_of(blob) == expected and pcz.decompress(blob) == content
    small = data[:4096]
    assert len(chunked(small)) - len(pcz.compress(small)) > 60         # what the compact framing saves


def test_a_record_file_of_one_default_chunk_is_compact():
    import numpy as np
    from hclt_helpers import random_model
    model = random_model(0, np.arange(16) - 1, 4, 256, shape=(16,))
    array = np.random.default_rng(0).integers(0, 256, (20_000, 16), dtype=np.uint8)   # 320 KB
    blob = pcz.compress_array(array, model)
    assert blob[5] & fields.FLAG_COMPACT and blob[5] & fields.FLAG_SHORT_ID
    assert (pcz.decompress_array(blob, model) == array).all()

