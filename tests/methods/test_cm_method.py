"""Method 9 ``cm``: round trips through the method and the container, damaged payloads,
the exact bitstream (golden fixture) and the same bytes in every numba setting."""
import hashlib
import io
import json
import os
import subprocess
import sys

import pytest
from hypothesis import given, settings, strategies as st

import pcz
from pcz import methods
from pcz.errors import FormatError
from pcz.methods import cm

GOLDEN = os.path.join(os.path.dirname(os.path.dirname(__file__)), "golden", "cm.json")
TEXT = b"It was the best of times, it was the worst of times, it was the age of wisdom.\n" * 3
CASES = {     # name: input; the fixture holds the method payload and the whole .pcz file
    "text": TEXT,
    "short": b"abracadabra abracadabra",
    "all-bytes": bytes(range(256)) * 3 + TEXT,
    "zeros": bytes(5000),
    "binary": bytes((i * i + 7 * (i >> 5)) & 255 for i in range(3000)),
}


def compress_cm(data: bytes, **options) -> bytes:
    dst = io.BytesIO()
    pcz.compress_stream(io.BytesIO(data), dst, candidates=(methods.CM,), **options)
    return dst.getvalue()


def test_registered_without_a_model():
    method = methods.get(methods.CM)
    assert method.name == "cm" and method.id == 9 and not method.needs_model


@settings(max_examples=30, deadline=None)
@given(st.binary(max_size=3000))
def test_roundtrip_any_bytes(data):
    blob = cm.encode(data)
    if blob is not None:
        assert len(blob) < len(data) and cm.decode(blob, len(data)) == data


@settings(max_examples=15, deadline=None)
@given(st.lists(st.sampled_from([b"the ", b"cat ", b"sat\n", b"\x00\x00\x01", b"on a mat. "]), max_size=500))
def test_roundtrip_structured_through_the_container(words):
    data = b"".join(words)
    assert pcz.decompress(compress_cm(data, chunk_size=700)) == data


@pytest.mark.parametrize("data", [b"", b"a", b"aa", bytes(100), b"\xff" * 100000])
def test_empty_short_and_constant_inputs(data):
    blob = cm.encode(data)
    assert (blob is None) == (len(data) < 3)
    if blob is not None:
        assert cm.decode(blob, len(data)) == data
    assert pcz.decompress(compress_cm(data)) == data


def test_compress_stream_with_cm_only():
    data = TEXT * 50 + bytes(range(256)) * 10
    blob = compress_cm(data, chunk_size=2000)
    assert pcz.decompress(blob) == data and len(blob) < len(data) / 4


def test_damaged_payloads_raise_format_error():
    blob = cm.encode(TEXT)
    bad = [b"", bytes([0]) + blob[1:], bytes([200]) + blob[1:], blob[:-1], blob[:1], blob + b"\x00", blob[:5]]
    for payload in bad:
        with pytest.raises(FormatError):
            cm.decode(payload, len(TEXT))
    with pytest.raises(FormatError):
        methods.get(methods.CM).decode(blob[:-2], len(TEXT), None)


def test_golden_bitstreams():
    """The exact bytes: a change is deliberate (a new mode byte, old modes still decode).
    Regenerate with ``PCZ_REGEN_GOLDEN=1 pytest tests/methods/test_cm_method.py``."""
    got = {name: {"payload": cm.encode(data).hex(), "file": compress_cm(data).hex()} for name, data in CASES.items()}
    if os.environ.get("PCZ_REGEN_GOLDEN"):
        with open(GOLDEN, "w") as f:
            json.dump(got, f, indent=1)
    with open(GOLDEN) as f:
        expected = json.load(f)
    assert got == expected
    for name, data in CASES.items():
        assert cm.decode(bytes.fromhex(expected[name]["payload"]), len(data)) == data
        assert pcz.decompress(bytes.fromhex(expected[name]["file"])) == data


SCRIPT = """
import hashlib, sys
from pcz.methods import cm
data = bytes(range(256)) * 8 + open(sys.argv[1], "rb").read()
blob = cm.encode(data)
assert cm.decode(blob, len(data)) == data
print(hashlib.sha256(blob).hexdigest())
"""


def test_same_bytes_in_every_numba_setting(tmp_path):
    """Integers only: the bitstream cannot depend on threads, SVML or the optimisation level
    (NUMBA_OPT=0 compiles afresh in its own cache)."""
    envs = [{}, {"NUMBA_NUM_THREADS": "1"}, {"NUMBA_DISABLE_INTEL_SVML": "1"},
            {"NUMBA_OPT": "0", "NUMBA_CACHE_DIR": str(tmp_path / "cache")}]
    digests = set()
    for extra in envs:
        env = dict(os.environ, **extra)
        r = subprocess.run([sys.executable, "-c", SCRIPT, __file__], capture_output=True, env=env, timeout=600)
        assert r.returncode == 0, r.stderr.decode()
        digests.add(r.stdout.strip())
    assert len(digests) == 1
    assert digests == {hashlib.sha256(cm.encode(bytes(range(256)) * 8 + open(__file__, "rb").read()))
                       .hexdigest().encode()}


@pytest.mark.parametrize("name", sorted(CASES))
def test_python_and_numba_paths_write_and_read_the_same_payload(name, monkeypatch):
    data = CASES[name][:cm.SMALL - 1]
    monkeypatch.setattr(cm, "_in_python", lambda size: True)
    in_python = cm.encode(data)
    monkeypatch.setattr(cm, "_in_python", lambda size: False)
    assert cm.encode(data) == in_python
    if in_python is not None:
        assert cm.decode(in_python, len(data)) == data
        monkeypatch.setattr(cm, "_in_python", lambda size: True)
        assert cm.decode(in_python, len(data)) == data


def test_a_short_file_is_coded_without_numba():
    # cm codes it (order-0 alone would take over 900 bytes), in Python: numba is never imported
    code = ("import sys, pcz; data = open(sys.argv[1], 'rb').read()[:1500]; blob = pcz.compress(data); "
            "assert pcz.decompress(blob) == data and len(blob) < 800, len(blob); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('numba', 'scipy')))")
    sample = os.path.join(os.path.dirname(pcz.__file__), "data", "sample.txt")
    out = subprocess.run([sys.executable, "-c", code, sample], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
