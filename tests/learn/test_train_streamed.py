"""Training from records read in slices (a store), compared with training in memory."""
import numpy as np
import pytest

from pcz.learn.streamed import ArraySource
from pcz.learn.train import train
from pcz.learn.train_streamed import MAX_VALID, auto_streamed, held_out, train_streamed

h5py = pytest.importorskip("h5py")
zarr = pytest.importorskip("zarr")
from pcz.dataset.sources import open_source  # noqa: E402

N = 5000


def records(n=N, seed=1):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 8, n)
    cols = [a, (a + rng.integers(0, 2, n)) % 8, a // 2, rng.integers(0, 5, n), a % 3, (a * 3) % 8]
    return np.stack(cols, 1).astype(np.uint8).reshape(n, 2, 3)


class Spy(ArraySource):
    """An array read like a store, remembering the largest slice read."""

    def __init__(self, array):
        super().__init__(array)
        self.largest = 0

    def read(self, start, stop):
        self.largest = max(self.largest, stop - start)
        return super().read(start, stop)


OPTIONS = dict(batch=128, mi_samples=1000, progress=False, validation=0.05)


def test_full_batch_training_streamed_is_training_in_memory_byte_for_byte():
    X = records()
    spy = Spy(X)
    streamed, log = train_streamed(spy, 3, epochs=0, full_epochs=3, scheduler="synchronous", **OPTIONS)
    in_memory, _ = train(X, 3, epochs=0, full_epochs=3, **OPTIONS)
    assert streamed.to_bytes() == in_memory.to_bytes()
    assert log["partitions"] == 2 and log["train"] == N - 250 and len(log["epochs"]) == 3
    assert spy.largest <= 4096 + 250 < N           # never read whole


def test_a_pruned_model_streams_on_with_its_states_as_in_memory():
    X = records()
    big, _ = train(X, 6, epochs=1, full_epochs=1, **OPTIONS)
    pruned, _ = train(X, epochs=0, full_epochs=1, init=big, prune=0.9, **OPTIONS)
    assert pruned.pruned
    streamed, _ = train_streamed(ArraySource(X), epochs=0, full_epochs=2, init=pruned, scheduler="synchronous",
                                 **OPTIONS)
    in_memory, _ = train(X, epochs=0, full_epochs=2, init=pruned, **OPTIONS)
    assert streamed.to_bytes() == in_memory.to_bytes() and np.array_equal(streamed.states, pruned.states)


def test_an_hdf5_dataset_streams_and_gives_the_same_model(tmp_path):
    X = records()
    with h5py.File(tmp_path / "x.h5", "w") as f:
        f.create_dataset("g/x", data=X, chunks=(500, 2, 3))
    source = open_source(f"{tmp_path / 'x.h5'}:/g/x")
    from_file, log = train_streamed(source, 3, epochs=1, full_epochs=2, scheduler="synchronous", **OPTIONS)
    from_memory, _ = train_streamed(ArraySource(X), 3, epochs=1, full_epochs=2, scheduler="synchronous",
                                    **OPTIONS)
    assert from_file.to_bytes() == from_memory.to_bytes()
    assert from_file.shape == (2, 3) and [e["phase"] for e in log["epochs"]][0] == "mini-batch EM"


def test_validation_is_capped_and_disjoint():
    train_pos, valid_pos = held_out(3 * MAX_VALID, 0.5, seed=2)
    assert len(valid_pos) == MAX_VALID and len(train_pos) == 2 * MAX_VALID
    assert not np.intersect1d(train_pos, valid_pos).size


def test_a_model_chosen_on_a_sample_is_widened_to_the_stores_values():
    X = records(2000)
    X[held_out(2000, 0.05)[1][0], 0, 0] = 200      # in a validation record: the sample never sees it
    model, log = auto_streamed(ArraySource(X), time_budget=8, max_latents=2, scheduler="synchronous",
                               progress=False)
    assert log["auto"]["K"] == 8 and model.K == 201
    assert model.M <= 2 and set(log["chosen"]) == {"M", "smooth", "relax", "shifted", "states", "tied", "transform"}
    assert log["chosen"]["transform"] == "none" == model.transform     # streamed EM learns values
    assert log["epochs"] and log["valid"] == 100
