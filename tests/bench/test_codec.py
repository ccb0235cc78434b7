import numpy as np
import pytest

from pcz.bench.codec import mosaic, mosaic_shape, split_flat, unmosaic


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 10, 17])
def test_mosaic_inverts(n):
    rng = np.random.default_rng(n)
    items = [rng.integers(0, 256, (3, 5), dtype=np.uint8) for _ in range(n)]
    image = mosaic(items)
    assert image.shape == mosaic_shape([(3, 5)] * n)
    assert all(np.array_equal(a, b) for a, b in zip(unmosaic(image, [(3, 5)] * n), items))


def test_mosaic_of_colour_images():
    items = [np.full((2, 3, 3), v, np.uint8) for v in range(3)]
    assert mosaic(items).shape == (4, 6, 3)
    assert all(np.array_equal(a, b) for a, b in zip(unmosaic(mosaic(items), [(2, 3, 3)] * 3), items))


def test_unmosaic_rejects_a_wrong_shape():
    with pytest.raises(ValueError):
        unmosaic(np.zeros((5, 5), np.uint8), [(2, 2)] * 4)


def test_split_flat():
    pieces = split_flat(np.arange(10, dtype=np.uint8), [(2, 2), (0,), (6,)])
    assert [p.shape for p in pieces] == [(2, 2), (0,), (6,)]
