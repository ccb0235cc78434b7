"""auto_train chooses the representation (values or MED residuals) on validation."""
import numpy as np
import pytest

import pcz
from pcz.errors import InputError
from pcz.learn.auto import auto_train
from pcz.learn.train import train

from hclt_helpers import smooth_images


def sparse_noise(n: int, size: int = 8, seed: int = 0) -> np.ndarray:
    """Independent pixels, 0 or 200: the values cost under half a bit, residuals mix neighbours."""
    return np.where(np.random.default_rng(seed).random((n, size, size)) < 0.1, 200, 0).astype(np.uint8)


@pytest.mark.parametrize("data,expected", [(smooth_images, "med"), (sparse_noise, "none")])
def test_the_better_representation_is_chosen_on_validation(data, expected):
    a = data(300)
    model, log = auto_train(a, time_budget=15, max_latents=8, progress=False)
    trials = log["transform_trials"]
    assert log["chosen"]["transform"] == expected == model.transform
    assert trials[expected] < trials["med" if expected == "none" else "none"]
    np.testing.assert_array_equal(pcz.decompress_array(pcz.compress_array(a, model), model), a)
    # the stored validation rate is that of the records through the model's transform
    valid = model.validation[1]
    assert 0 < valid < 8 and np.isfinite(valid)


def test_records_without_two_axes_or_two_values_are_not_tried():
    flat = smooth_images(100).reshape(100, -1)
    _, log = auto_train(flat, time_budget=5, max_latents=8, progress=False)
    assert log["chosen"]["transform"] == "none" and log["transform_trials"] == {}
    with pytest.raises(InputError, match="at least 2 axes"):
        auto_train(flat, time_budget=5, max_latents=8, progress=False, transform="med")


def test_the_transform_can_be_forced_and_the_manual_path_learns_it():
    a = sparse_noise(120)
    model, log = auto_train(a, time_budget=5, max_latents=8, progress=False, transform="med")
    assert model.transform == "med" and log["transform_trials"] == {}
    m2, log2 = train(a, 2, epochs=1, full_epochs=1, progress=False, transform="med")
    assert m2.transform == "med" and log2["transform"] == "med"
    bits = m2.nll_bits(a.reshape(len(a), -1)[:5])
    assert np.all(np.isfinite(bits))
    grown, _ = train(a, 4, epochs=1, full_epochs=0, progress=False, init=m2)    # keeps the init's
    assert grown.transform == "med"
    with pytest.raises(InputError, match="initial model codes with the med transform"):
        train(a, 4, epochs=1, full_epochs=0, progress=False, init=m2, transform="none")
    assert pcz.train(a, latents=2, epochs=1, full_epochs=1, progress=False, transform="auto").transform == "none"
