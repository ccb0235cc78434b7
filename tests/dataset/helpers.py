"""Shared pieces of the data set tests: a small record model, records it codes, sources."""
import numpy as np

from hclt_helpers import random_model, sample

SHAPE = (3, 4)                       # records: 3x4 images, values < 16
PARENT = [-1, 0, 1, 2, 0, 4, 5, 6, 0, 8, 9, 10]
MODEL = random_model(7, PARENT, 3, 16, shape=SHAPE)


def records(n: int, seed: int = 0) -> np.ndarray:
    return sample(np.random.default_rng(seed), MODEL, n).reshape(n, *SHAPE)
