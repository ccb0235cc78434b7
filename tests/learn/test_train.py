import numpy as np
import pytest

from hclt_helpers import brute_joint, random_model, sample
from pcz.errors import InputError
from pcz.models.hclt import HcltModel
from pcz.learn.train import grow, split, train


def test_growing_keeps_the_distribution():
    model = random_model(1, [-1, 0, 1, 0], 2, 3)
    want = brute_joint(model.parent, model.prior, model.transition, model.emission, 3)
    for latents in (2, 3, 5):
        prior, T, E = grow(model, latents, noise=0.0)
        np.testing.assert_allclose(brute_joint(model.parent, prior, T, E, 3), want, rtol=1e-12)


def test_split_is_disjoint_and_seeded():
    train_idx, valid_idx = split(1000, 0.1, seed=3)
    assert len(valid_idx) == 100 and not set(train_idx) & set(valid_idx)
    assert np.array_equal(split(1000, 0.1, seed=3)[1], valid_idx)
    with pytest.raises(ValueError):
        split(10, 1.0)


def test_training_from_a_smaller_model_starts_where_it_left_off():
    model = random_model(2, [-1, 0, 0, 1], 3, 4)
    X = sample(np.random.default_rng(0), model, 600).astype(np.uint8)
    small, log_small = train(X, 2, epochs=2, full_epochs=3, batch=100, progress=False)
    big, log_big = train(X, 4, epochs=0, full_epochs=2, init=small, progress=False)
    assert np.array_equal(big.parent, small.parent) and big.M == 4
    assert log_big["epochs"][0]["valid_bpd"] <= min(e["valid_bpd"] for e in log_small["epochs"]) + 0.01
    with pytest.raises(InputError, match="does not fit"):
        train(X[:, :3], 4, init=small, progress=False)


def test_training_a_model_of_the_same_size_continues_exactly_there():
    model = random_model(2, [-1, 0, 0, 1], 3, 4)
    X = sample(np.random.default_rng(0), model, 600).astype(np.uint8)
    small, _ = train(X, 3, epochs=2, full_epochs=1, batch=100, progress=False)
    same, log = train(X, 3, epochs=0, full_epochs=0, init=small, progress=False)
    assert log["epochs"] == []          # no growth noise; only a quantum or two of rounding
    for a, b in [(same.transition, small.transition), (same.emission, small.emission)]:
        assert np.abs(a - b).max() <= 2 ** -15


def test_bad_training_data_is_refused():
    with pytest.raises(InputError):
        train(np.zeros((0, 3), dtype=np.uint8), progress=False)
    with pytest.raises(InputError):
        train(np.zeros((5, 3), dtype=np.float32), progress=False)
    with pytest.raises(InputError, match="integer type"):
        train(np.zeros((5, 3), dtype=np.int64), progress=False)
    with pytest.raises(InputError, match="below K"):
        train(np.full((5, 3), 9, dtype=np.uint8), values=4, progress=False)
    with pytest.raises(InputError, match="qbits"):      # refused before training, not after
        train(np.zeros((5, 3), dtype=np.uint8), qbits=32, progress=False)


def test_checkpoints_hold_the_best_model_so_far(tmp_path):
    rng = np.random.default_rng(3)
    a = rng.integers(0, 4, 300)
    X = np.stack([a, (a + 1) % 4, a // 2], 1).astype(np.uint8)
    path = tmp_path / "ckpt.pczm"
    model, log = train(X, latents=3, epochs=0, full_epochs=5, batch=64, qbits=18,
                       checkpoint=str(path), progress=False)
    saved = HcltModel.from_bytes(path.read_bytes())    # written after epoch 5: the final best
    assert saved.qbits == 18 and saved.to_bytes() == model.to_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.pczm"]     # no temporary left
