import numpy as np
import pytest

from pcz.coders import text_mix as tm

from test_hmm_chain import TEXT, adversarial, random_model


def round_trip(model, data, mode=0):
    src = np.array(list(data), dtype=np.uint8)
    config = tm.config_args(mode, len(src))
    out = np.zeros(3 * len(src) + 16, dtype=np.uint8)
    n = tm.encode_stream(src, *model.mix_args(), out, *config)
    back = np.zeros(len(src), dtype=np.uint8)
    tm.decode_stream(out[:n].copy(), *model.mix_args(), back, *config)
    return back.tobytes(), n


@pytest.mark.parametrize("name", sorted(adversarial()))
@pytest.mark.parametrize("slots", [1, 3])
def test_round_trip(name, slots):
    data = adversarial()[name]
    back, _ = round_trip(random_model(C=slots), data)
    assert back == data


def test_context_models_learn_what_the_hmm_cannot():
    """A random model knows nothing of this text; the context models and the match model
    must still bring repeated text far below 1 bit per byte."""
    data = TEXT * 40
    _, n = round_trip(random_model(C=3), data)
    assert 8 * n / len(data) < 0.5


def test_overflow_is_reported():
    src = np.array(list(bytes(range(256)) * 4), dtype=np.uint8)
    out = np.zeros(10, dtype=np.uint8)
    n = tm.encode_stream(src, *random_model().mix_args(), out, *tm.config_args(0, len(src)))
    assert n > len(out)


def test_tables_grow_with_the_chunk_and_stay_bounded():
    bits = [tm.config_args(0, size)[2] for size in (1, 1000, 150_000, 1 << 26)]
    assert bits == sorted(bits) and bits[0] == 12 and bits[-1] == tm.MAX_TABLE_BITS


def test_count_states_stay_in_range_and_halve_the_other_count():
    nxt, p0 = tm.count_states()
    assert nxt.min() >= 0 and nxt.max() < 256
    assert np.all((p0 > 0) & (p0 < 1))
    n0, n1 = divmod(int(nxt[16 * 8 + 0, 1]), 16)     # n0 = 8, n1 = 0, then a 1
    assert (n0, n1) == (4, 1)
    assert int(nxt[16 * 0 + 15, 1]) == 15              # capped
