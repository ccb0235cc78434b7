"""The one interface every benchmarked codec implements, and the two plain kinds.

A codec codes one uint8 item (an image, a record, a file's bytes) to bytes and
back, and codes a whole set as one file.  ``decode`` is told the item's shape,
as a container would record it.  Learned codecs train in :meth:`Codec.prepare`
and report their model's size and theoretical rate through :meth:`Codec.model_info`
and :meth:`Codec.theoretical_bits`.

>>> import zlib
>>> c = ByteCodec("zlib", "zlib level 9", lambda b: zlib.compress(b, 9), zlib.decompress)
>>> item = np.arange(12, dtype=np.uint8).reshape(3, 4)
>>> bool((c.decode(c.encode(item), item.shape) == item).all())
True
>>> items = [item, item[:2]]
>>> [a.shape for a in c.decode_set(c.encode_set(items), [a.shape for a in items])]
[(3, 4), (2, 4)]
"""
from typing import Callable

import numpy as np


class Codec:
    """A named compressor of uint8 items; subclasses override encode/decode (and the set methods)."""
    name = "codec"
    description = ""
    family = "bytes"      # "bytes": any dataset; "image": image datasets; "records": equal-shape records

    def applies(self, dataset) -> str | None:
        """None if the codec can code this dataset, else the reason it cannot."""
        if self.family == "image" and dataset.kind != "image":
            return "image codec, the data are not images"
        if self.family == "records" and dataset.kind not in ("image", "records"):
            return "record codec, the data are not records of one shape"
        return None

    def prepare(self, dataset) -> None:
        """Train on ``dataset.train`` if the codec learns (never on the items it will code)."""

    def model_info(self) -> dict:
        """What a learned codec reports: model bytes, training items and seconds (empty if none)."""
        return {}

    def theoretical_bits(self, items: list, whole: bool) -> float | None:
        """Ideal code length in bits of the items under the codec's model, if it has one."""
        return None

    def encode(self, item: np.ndarray) -> bytes:
        raise NotImplementedError

    def decode(self, blob: bytes, shape: tuple) -> np.ndarray:
        raise NotImplementedError

    def encode_set(self, items: list) -> bytes:
        """The whole set as one file: by default the items' bytes concatenated."""
        return self.encode(np.concatenate([item.reshape(-1) for item in items]))

    def decode_set(self, blob: bytes, shapes: list) -> list:
        flat = self.decode(blob, (sum(int(np.prod(s)) for s in shapes),))
        return split_flat(flat, shapes)


def split_flat(flat: np.ndarray, shapes: list) -> list:
    """Cut a 1-D array into consecutive pieces of the given shapes.

    >>> [p.tolist() for p in split_flat(np.arange(5, dtype=np.uint8), [(2,), (1, 3)])]
    [[0, 1], [[2, 3, 4]]]
    """
    out, at = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        out.append(flat[at:at + size].reshape(shape))
        at += size
    return out


def from_bytes(data: bytes, shape: tuple) -> np.ndarray:
    """A decoder's bytes as an item of the expected shape (ValueError if the size is wrong)."""
    array = np.frombuffer(data, dtype=np.uint8)
    if array.size != int(np.prod(shape)):
        raise ValueError(f"decoded {array.size} bytes, expected {int(np.prod(shape))}")
    return array.reshape(shape)


class ByteCodec(Codec):
    """A general-purpose compressor of byte strings: ``compress(bytes) -> bytes`` and its inverse."""

    def __init__(self, name: str, description: str, compress: Callable[[bytes], bytes],
                 decompress: Callable[[bytes], bytes]):
        self.name, self.description = name, description
        self._compress, self._decompress = compress, decompress

    def encode(self, item: np.ndarray) -> bytes:
        return self._compress(item.tobytes())

    def decode(self, blob: bytes, shape: tuple) -> np.ndarray:
        return from_bytes(self._decompress(blob), shape)


def _grid(n: int) -> tuple[int, int]:
    cols = int(np.ceil(np.sqrt(n)))
    return -(-n // cols), cols


def mosaic_shape(shapes: list) -> tuple:
    """The shape of the :func:`mosaic` of items of these shapes.

    >>> mosaic_shape([(28, 28)] * 1000)
    (896, 896)
    """
    (rows, cols), shape = _grid(len(shapes)), tuple(shapes[0])
    return (rows * shape[0], cols * shape[1]) + shape[2:]


def mosaic(items: list) -> np.ndarray:
    """Equal-shape images tiled row-major on a grid ceil(sqrt(n)) wide, blank tiles after the last.

    >>> mosaic([np.full((2, 2), v, np.uint8) for v in (1, 2, 3)]).tolist()
    [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 0, 0], [3, 3, 0, 0]]
    """
    shape = items[0].shape
    if any(item.shape != shape for item in items):
        raise ValueError("a mosaic needs images of one shape")
    rows, cols = _grid(len(items))
    grid = np.zeros((rows * cols,) + shape, dtype=np.uint8)
    grid[:len(items)] = items
    grid = grid.reshape((rows, cols) + shape).swapaxes(1, 2)
    return grid.reshape(mosaic_shape([shape] * len(items)))


def unmosaic(image: np.ndarray, shapes: list) -> list:
    """Invert :func:`mosaic` for the given item shapes (ValueError if the image does not fit)."""
    (rows, cols), shape = _grid(len(shapes)), tuple(shapes[0])
    if image.shape != mosaic_shape(shapes):
        raise ValueError(f"decoded mosaic has shape {image.shape}, expected {mosaic_shape(shapes)}")
    grid = image.reshape((rows, shape[0], cols, shape[1]) + shape[2:]).swapaxes(1, 2)
    return list(grid.reshape((rows * cols,) + shape)[:len(shapes)])


class ImageCodec(Codec):
    """An image compressor; the whole set is coded as one mosaic image (see :func:`mosaic`)."""
    family = "image"

    def __init__(self, name: str, description: str, compress: Callable[[np.ndarray], bytes],
                 decompress: Callable[[bytes], np.ndarray]):
        self.name, self.description = name, description
        self._compress, self._decompress = compress, decompress

    def encode(self, item: np.ndarray) -> bytes:
        return self._compress(np.ascontiguousarray(item))

    def decode(self, blob: bytes, shape: tuple) -> np.ndarray:
        image = np.asarray(self._decompress(blob))
        if len(shape) == 2 and image.ndim == 3 and (image == image[..., :1]).all():
            image = image[..., 0]    # grey stored as equal RGB channels (WebP)
        return image

    def encode_set(self, items: list) -> bytes:
        return self.encode(mosaic(items))

    def decode_set(self, blob: bytes, shapes: list) -> list:
        return unmosaic(self.decode(blob, mosaic_shape(shapes)), shapes)
