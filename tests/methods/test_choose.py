"""pcz.methods.choose: the one decision point, and the level ladder."""
import pytest

import pcz
from pcz.methods import CM, HMM_MIX, LZ_RANS, ORDER0
from pcz.methods.choose import DEFAULT_LEVEL, check_level, choose

TEXT = b"It was the best of times, it was the worst of times, it was the age of wisdom. " * 60


@pytest.mark.parametrize("level", range(1, 10))
def test_every_level_round_trips_text_and_binary(level):
    binary = bytes(range(256)) * 40 + bytes(5000)
    for data in (TEXT, binary, b"", b"x"):
        assert pcz.decompress(pcz.compress(data, level=level)) == data


def test_the_ladder():
    sample = lambda: TEXT       # noqa: E731
    assert choose(level=1).candidates == (LZ_RANS,)
    assert choose(level=3, sample=sample).candidates == (ORDER0, CM) and choose(level=3).model is None
    assert HMM_MIX in choose(level=7, sample=sample).candidates
    nine = choose(level=9, sample=sample).candidates
    assert HMM_MIX in nine and CM in nine
    assert choose(fast=True) == choose(level=1)


def test_higher_levels_are_never_larger_on_text():
    sizes = {level: len(pcz.compress(TEXT, level=level)) for level in (1, 3, 7, 9)}
    assert sizes[9] <= sizes[7] and sizes[3] < sizes[1]


def test_levels_are_checked():
    assert check_level(None) == DEFAULT_LEVEL
    for bad in (0, 10, "3", 2.0):
        with pytest.raises(ValueError):
            check_level(bad)
    with pytest.raises(ValueError):
        check_level(5, fast=True)


def test_tiny_inputs_do_not_load_the_context_model():
    plan = choose(level=3, sample=lambda: b"tiny")
    assert list(plan.segments([b"tiny"]))[0][1] == (ORDER0,)


def test_cli_levels(run_cli, tmp_path):
    src = tmp_path / "t.txt"
    src.write_bytes(TEXT)
    sizes = {}
    for flag in ("-1", "-3", "-9"):
        r = run_cli(flag, "-c", str(src))
        assert r.code == 0
        sizes[flag] = len(r.out)
        assert pcz.decompress(r.out) == TEXT
    assert sizes["-3"] < sizes["-1"]
    assert run_cli("compress", "--level", "3", "-c", str(src)).out == pcz.compress(TEXT, level=3)
    assert run_cli("compress", "--fast", "--level", "3", "-c", str(src)).code == 2
