"""Determinism: the same bytes out of every process, thread count and numba setting.

Each case is compressed in fresh processes under different environments and
-T values, and the results must be byte-identical; each is then decompressed
under every environment and must give the input back.
"""
import hashlib
import os

import pytest

from conftest import run_pcz

ENVIRONMENTS = {
    "default": {},
    "numba-1-thread": {"NUMBA_NUM_THREADS": "1"},
    "no-svml": {"NUMBA_DISABLE_INTEL_SVML": "1"},
}
TEXT = b"Determinism: encoder and decoder must agree to the last bit.\n" * 300


def cases(tmp_path):
    """(name, input path, extra compress args) for every coding mode."""
    path = tmp_path / "text.txt"
    path.write_bytes(TEXT + bytes(range(256)) + os.urandom(5000))
    return [("order0", path, ["--chunk-size", "4K"])]


def env_for(name):
    env = dict(os.environ)
    env.update(ENVIRONMENTS[name])
    return env


@pytest.mark.parametrize("case", [0])
def test_same_bytes_in_every_process_and_environment(tmp_path, case):
    name, path, args = cases(tmp_path)[case]
    outputs = {}
    for env_name in ENVIRONMENTS:
        for threads in ("1", "2"):
            r = run_pcz("compress", "-c", "-T", threads, *args, str(path), env=env_for(env_name))
            assert r.returncode == 0, r.stderr
            outputs[(env_name, threads)] = hashlib.sha256(r.stdout).hexdigest()
    assert len(set(outputs.values())) == 1, outputs
    blob = r.stdout
    original = path.read_bytes()
    for env_name in ENVIRONMENTS:
        for threads in ("1", "2"):
            d = run_pcz("decompress", "-c", "-T", threads, input=blob, env=env_for(env_name))
            assert d.returncode == 0 and d.stdout == original, (env_name, threads, d.stderr)


def test_compress_twice_in_one_process_gives_identical_bytes():
    """Also guards the model cache: coding must never modify a loaded model."""
    import pcz
    text = (TEXT.decode() + "Some more ordinary English prose, with words.\n" * 50).encode()
    first = pcz.compress(text)
    assert pcz.compress(text) == first
    assert pcz.decompress(first) == text and pcz.decompress(first) == text
