"""``pcz compress --long/--no-long``: long-range matching across chunks from the command line."""
import numpy as np

import pcz
from pcz import methods

import badfiles

PART = np.random.default_rng(3).integers(0, 50, 700_000, dtype=np.uint8).tobytes()


def _methods(path) -> set[int]:
    return {m for m, _, _ in badfiles.parse(path.read_bytes()).chunks()}


def test_long_adds_matching_to_the_fastest_level_and_the_file_round_trips(run_cli, tmp_path):
    src = tmp_path / "twice.bin"
    src.write_bytes(PART + PART)
    assert run_cli("compress", "-q", "--fast", str(src)).code == 0
    plain = src.with_name("twice.bin.pcz")
    assert methods.LONG not in _methods(plain)
    r = run_cli("compress", "-q", "--fast", "--long", "-o", str(tmp_path / "long.pcz"), str(src))
    assert r.code == 0, r.err
    assert methods.LONG in _methods(tmp_path / "long.pcz")
    # the copy in chunk 0 (700,000..1 MiB) is within a chunk: the order-0 model pays it, not matches
    assert (tmp_path / "long.pcz").stat().st_size < 0.76 * plain.stat().st_size
    r = run_cli("decompress", "-c", "--memory", "16M", str(tmp_path / "long.pcz"))
    assert r.code == 0 and r.out == PART + PART


def test_long_with_windows_is_a_usage_error(run_cli, tmp_path):
    src = tmp_path / "a.txt"
    src.write_bytes(b"text " * 100)
    r = run_cli("compress", "--long", "--windows", "32", str(src))
    assert r.code != 0 and "--long" in r.err and "Traceback" not in r.err
    assert pcz.decompress(pcz.compress(b"x" * 10, long=False)) == b"x" * 10
