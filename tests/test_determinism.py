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
    "generic-cpu": {"NUMBA_CPU_NAME": "generic"},     # kernels compiled for no particular CPU
}
# every environment with one process, and two worker processes in the default one
RUNS = [(env, "1") for env in ENVIRONMENTS] + [("default", "2")]
TEXT = b"Determinism: encoder and decoder must agree to the last bit.\n" * 300


PROSE = ("The model is named by the hash of its bytes, and the decoder must reach the same "
         "numbers as the encoder, to the last bit, on every machine.\n" * 80).encode()


def cases(tmp_path):
    """(name, input path, extra compress/decompress args, method expected in the output)."""
    import numpy as np
    binary = tmp_path / "mixed.bin"
    binary.write_bytes(bytes(range(256)) * 4 + os.urandom(5000) + b"\x00\x01" * 30000)
    prose = tmp_path / "prose.txt"
    prose.write_bytes(PROSE)
    from hclt_helpers import random_model
    model = tmp_path / "m6.pczm"      # M = 6: the batched products' four-term steps and their remainder
    model.write_bytes(random_model(3, [-1, 0, 0, 1, 2, 2, 3, 0], 6, 16, shape=(2, 4)).to_bytes())
    records = tmp_path / "records.npy"
    np.save(records, np.random.default_rng(0).integers(0, 16, (3000, 2, 4)).astype(np.uint8))
    skewed = tmp_path / "skewed.bin"      # independent symbols: the mixture does not pay, order0 codes it
    skewed.write_bytes(np.random.default_rng(1).choice(16, 70000, p=[0.5] + [0.5 / 15] * 15).astype(np.uint8))
    twice = tmp_path / "twice.bin"      # over 1 MiB, its second half a copy of its first: long chunks
    half = np.random.default_rng(2).choice(16, 600_000, p=[0.5] + [0.5 / 15] * 15).astype(np.uint8).tobytes()
    twice.write_bytes(half + half)
    return [("order0", skewed, ["--level", "7", "--chunk-size", "4K"], "order0"),
            ("lz-rans", binary, ["--fast", "--chunk-size", "64K"], "lz-rans"),
            ("hmm-mix", prose, ["--level", "7", "--chunk-size", "2K"], "hmm-mix"),
            ("cm", prose, ["--chunk-size", "2K"], "cm"),
            ("windows", prose, ["--windows", "32", "--chunk-size", "2K"], "windows"),
            ("hclt-rans", records, ["--model", str(model), "--chunk-size", "4K"], "hclt-rans"),
            ("long", twice, ["--fast", "--long", "--chunk-size", "256K"], "long")]


CASE_NAMES = ["order0", "lz-rans", "hmm-mix", "cm", "windows", "hclt-rans", "long"]


def env_for(name):
    env = dict(os.environ)
    env.update(ENVIRONMENTS[name])
    return env


@pytest.mark.parametrize("case", CASE_NAMES)
def test_same_bytes_in_every_process_and_environment(tmp_path, case):
    name, path, args, method = cases(tmp_path)[CASE_NAMES.index(case)]
    model_args = args[args.index("--model"):args.index("--model") + 2] if "--model" in args else []
    outputs = {}
    for env_name, threads in RUNS:
        r = run_pcz("compress", "-c", "-T", threads, *args, str(path), env=env_for(env_name))
        assert r.returncode == 0, r.stderr
        outputs[(env_name, threads)] = hashlib.sha256(r.stdout).hexdigest()
    assert len(set(outputs.values())) == 1, outputs
    blob = r.stdout
    (tmp_path / "out.pcz").write_bytes(blob)
    info = run_pcz("info", str(tmp_path / "out.pcz"))
    assert f"{method}:" in info.stdout.decode(), info.stdout      # the mode under test was used
    original = path.read_bytes()
    for env_name, threads in RUNS:
        d = run_pcz("decompress", "-c", "-T", threads, *model_args, input=blob, env=env_for(env_name))
        assert d.returncode == 0 and d.stdout == original, (env_name, threads, d.stderr)


def test_compress_twice_in_one_process_gives_identical_bytes():
    """Also guards the model cache: coding must never modify a loaded model."""
    import pcz
    text = (TEXT.decode() + "Some more ordinary English prose, with words.\n" * 50).encode()
    first = pcz.compress(text)
    assert pcz.compress(text) == first
    assert pcz.decompress(first) == text and pcz.decompress(first) == text
