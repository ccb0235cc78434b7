"""Method lz-rans (13): payloads round trip, level 1 uses it (for chunks under 64 KiB in plain
Python, the same payloads, without numba), it is never much larger than order0-rans, and
hostile payloads give one FormatError."""
import io
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import pcz
from pcz import methods
from pcz.errors import FormatError
from pcz.coders import lz_small
from pcz.methods import choose, lz, order0

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


def _methods_of(blob: bytes) -> list[int]:
    from pcz.format.container import open_reader
    return [record.method for record, _ in open_reader(io.BytesIO(blob)).records()]


def test_level_1_codes_large_and_small_chunks_with_lz_rans_and_order0_where_smaller():
    data = TEXT * 40 + b"A tail unlike the text."       # 3 chunks: 64K, 64K, the rest (under 64K)
    blob = pcz.compress(data, level=1, chunk_size=(1 << 16))
    assert pcz.decompress(blob) == data
    assert _methods_of(blob) == [methods.LZ_RANS] * 3
    rng = np.random.default_rng(1)           # short chunks of independent bytes: order-0 is often smaller
    pieces = [bytes(rng.choice(rng.choice(256, 33, replace=False), size=4000, p=rng.dirichlet(np.full(33, a)))
                    .astype(np.uint8)) for a in (0.05, 0.3, 1, 5) for _ in range(3)]
    chosen = []
    for piece in pieces:
        blob = pcz.compress(piece, level=1)
        assert pcz.decompress(blob) == piece
        sizes = {methods.ORDER0: len(order0.encode(piece)), methods.LZ_RANS: len(lz.encode(piece))}
        [method] = _methods_of(blob)
        assert sizes[method] == min(sizes.values())
        chosen.append(method)
    assert set(chosen) == {methods.ORDER0, methods.LZ_RANS}


def _paths(monkeypatch, run):
    """run() with the chunk coded in Python, then by the numba kernels."""
    results = []
    for in_python in (True, False):
        monkeypatch.setattr(lz, "_in_python", lambda size, flag=in_python: flag)
        results.append(run())
    return results


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=3000))
def test_python_and_numba_paths_write_the_same_payload(data):
    with pytest.MonkeyPatch.context() as monkeypatch:
        in_python, in_numba = _paths(monkeypatch, lambda: lz.encode(data))
        assert in_python == in_numba
        assert _paths(monkeypatch, lambda: lz.decode(in_python, len(data))) == [data, data]


@pytest.mark.parametrize("data", [b"", b"x", b"\0" * (lz.SMALL - 1), TEXT * 10, bytes(range(256)) * 255,
                                  bytes(np.random.default_rng(0).integers(0, 256, lz.SMALL - 1, dtype=np.uint8))])
def test_python_and_numba_paths_agree_on_degenerate_inputs(data, monkeypatch):
    in_python, in_numba = _paths(monkeypatch, lambda: lz.encode(data))
    assert in_python == in_numba
    assert _paths(monkeypatch, lambda: lz.decode(in_python, len(data))) == [data, data]


def test_python_path_is_used_only_for_short_chunks_before_numba_loads(monkeypatch):
    assert lz.SMALL == lz_small.LIMIT == choose.SMALL
    monkeypatch.setattr(lz, "_python_bytes", 0)
    monkeypatch.delitem(sys.modules, "pcz.coders.lz_rans", raising=False)
    assert lz._in_python(lz.SMALL - 1) and not lz._in_python(lz.SMALL)
    assert lz._kernels(1000) == (lz_small,) * 3 and lz._python_bytes == 1000
    monkeypatch.setattr(lz, "_python_bytes", lz.PYTHON_BUDGET - 10)   # a long stream of short chunks
    assert lz._in_python(10) and not lz._in_python(11)
    from pcz.coders import lz_parse, lz_rans, lz_tables
    assert lz._kernels(11) == (lz_parse, lz_tables, lz_rans)
    monkeypatch.setattr(lz, "_python_bytes", 0)
    monkeypatch.setitem(sys.modules, "pcz.coders.lz_rans", lz_rans)          # once loaded, always numba
    assert not lz._in_python(1)


def test_a_small_file_at_level_1_is_coded_and_decoded_without_numba(tmp_path):
    sample = os.path.join(os.path.dirname(pcz.__file__), "data", "sample.txt")
    loaded = "print(sorted(m for m in sys.modules if m.split('.')[0] in ('numba', 'scipy')))"
    code = ("import sys, pcz; data = open(sys.argv[1], 'rb').read(); blob = pcz.compress(data, level=1); "
            f"open(sys.argv[2], 'wb').write(blob); {loaded}")
    out = subprocess.run([sys.executable, "-c", code, sample, tmp_path / "s.pcz"], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
    blob = (tmp_path / "s.pcz").read_bytes()
    assert _methods_of(blob) == [methods.LZ_RANS]
    code = f"import sys, pcz; data = pcz.decompress(open(sys.argv[1], 'rb').read()); {loaded}; print(len(data))"
    out = subprocess.run([sys.executable, "-c", code, tmp_path / "s.pcz"], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["[]", str(os.path.getsize(sample))]
    assert pcz.decompress(blob) == open(sample, "rb").read()


@pytest.mark.skipif(not os.path.isdir(CANTERBURY), reason="no Canterbury corpus")
def test_text_is_coded_in_class_tables_and_beats_order0():
    prose = open(os.path.join(CANTERBURY, "alice29.txt"), "rb").read()
    payload = lz.encode(prose)
    assert payload[0] & 1 and len(payload) < 0.7 * len(order0.encode_rans(prose))


def test_repetitive_text_is_coded_in_one_literal_table():
    payload = lz.encode(TEXT * 30)                 # few literals: one literal table is cheaper
    assert payload[0] & 1 == 0 and len(payload) < len(order0.encode_rans(TEXT * 30)) / 10


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


def _hostile(payload: bytes) -> list[bytes]:
    """Truncations, bit flips and random bytes around ``payload``."""
    bad = [b"", b"\x04" + payload[1:], bytes([payload[0] ^ 2]) + payload[1:],     # unknown mode; other tables
           b"\xff", payload[:1], payload + b"\0\0", payload[:-1]]
    bad += [payload[:cut] for cut in range(1, len(payload), max(1, len(payload) // 97))]
    rng = np.random.default_rng(6)
    for _ in range(300):
        flipped = bytearray(payload)
        for at in rng.integers(0, len(payload), rng.integers(1, 4)):
            flipped[at] ^= 1 << int(rng.integers(8))
        bad.append(bytes(flipped))
    bad += [bytes(rng.integers(0, 256, int(rng.integers(1, 400)), dtype=np.uint8)) for _ in range(200)]
    return bad


def _outcome(blob: bytes, size: int):
    try:
        return lz.decode(blob, size)
    except FormatError as e:
        assert "\n" not in str(e)
        return str(e)


def test_hostile_payloads_give_one_line_format_errors():
    data = TEXT * 10
    payload = lz.encode(data)
    for blob in _hostile(payload):
        for size in (len(data), 10, 0):
            try:
                out = lz.decode(blob, size)
            except FormatError as e:
                assert "\n" not in str(e)
            else:
                assert len(out) == size          # a flip that still decodes; the chunk CRC catches it


@pytest.mark.parametrize("data", [TEXT * 10, bytes(range(256)) * 3 + TEXT, b"ab" * 40 + bytes(300)])
def test_hostile_payloads_give_the_same_outcome_in_python_and_numba(data, monkeypatch):
    refused = 0
    for blob in _hostile(lz.encode(data)):
        for size in (len(data), len(data) + 3, 10, 0):
            in_python, in_numba = _paths(monkeypatch, lambda: _outcome(blob, size))
            assert in_python == in_numba
            refused += isinstance(in_python, str)
    assert refused > 2000


def _exact_payloads() -> list[tuple[bytes, int]]:
    """lz-rans payloads with exact tables (modes 0 and 1), from the golden files made before
    compact tables, with their sizes."""
    import json
    from pcz.format.container import open_reader
    with open(os.path.join(os.path.dirname(__file__), "..", "golden", "core-v2-lz-exact.json")) as f:
        blobs = [bytes.fromhex(v) for v in json.load(f).values()]
    return [(payload, record.size) for blob in blobs for record, payload in open_reader(io.BytesIO(blob)).records()
            if record.method == methods.LZ_RANS and record.size < 20_000]


def test_hostile_exact_table_payloads_give_the_same_outcome_in_python_and_numba(monkeypatch):
    payloads = _exact_payloads()
    assert payloads and {payload[0] for payload, _ in payloads} <= {0, 1}
    refused = 0
    for payload, size in payloads:
        assert isinstance(_outcome(payload, size), bytes)      # the undamaged payload decodes
        for blob in _hostile(payload):
            in_python, in_numba = _paths(monkeypatch, lambda: _outcome(blob, size))
            assert in_python == in_numba
            refused += isinstance(in_python, str)
    assert refused > 300


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
