import numpy as np
import pytest

from pcz.bench.baselines import FACTORIES
from pcz.bench.codec import mosaic_shape


def _image(h, w, seed, channels=None):
    rng = np.random.default_rng(seed)
    base = np.add.outer(np.arange(h), np.arange(w)) * 3
    image = (base + rng.integers(0, 8, (h, w))) % 256
    if channels:
        image = np.stack([image, image[::-1], 255 - image], axis=-1)
    return image.astype(np.uint8)


def _codec(name):
    try:
        return FACTORIES[name]()
    except ImportError as e:
        pytest.skip(f"{name} not installed here: {e}")


@pytest.mark.parametrize("name", list(FACTORIES))
def test_round_trip_of_every_baseline(name):
    codec = _codec(name)
    if codec.family == "image":
        items = [_image(12, 9, seed) for seed in range(5)]
    else:
        items = [np.frombuffer(b"the cat sat on the mat " * 20, dtype=np.uint8),
                 np.arange(256, dtype=np.uint8), np.zeros(0, dtype=np.uint8)]
    for item in items:
        blob = codec.encode(item)
        assert isinstance(blob, bytes)
        assert np.array_equal(codec.decode(blob, item.shape), item)
    back = codec.decode_set(codec.encode_set(items), [i.shape for i in items])
    assert len(back) == len(items) and all(np.array_equal(a, b) for a, b in zip(back, items))


@pytest.mark.parametrize("name", [n for n in FACTORIES if n in ("png", "webp", "jxl-e7", "jpeg-ls", "jpeg2000")])
def test_image_codecs_take_colour_images(name):
    codec = _codec(name)
    item = _image(10, 7, 1, channels=3)
    assert np.array_equal(codec.decode(codec.encode(item), item.shape), item)


def test_whole_set_of_images_is_one_mosaic():
    codec = _codec("png")
    items = [_image(4, 4, s) for s in range(5)]
    from PIL import Image
    import io
    blob = codec.encode_set(items)
    assert Image.open(io.BytesIO(blob)).size[::-1] == mosaic_shape([(4, 4)] * 5) == (8, 12)


def test_descriptions_name_the_library_version():
    for name in FACTORIES:
        try:
            codec = FACTORIES[name]()
        except ImportError:
            continue
        assert codec.name == name
        assert any(ch.isdigit() for ch in codec.description.split(":")[-1]), codec.description
