"""pcz: lossless compression with probabilistic circuits.

>>> import pcz
>>> pcz.decompress(pcz.compress(b"hello")) == b"hello"
True
"""
from pcz.errors import ChecksumError, FormatError, InputError, LimitError, ModelError, PczError
from pcz.api import compress, decompress
from pcz.arrays import compress_array, decompress_array, train
from pcz.pczfile import open
from pcz.stream import compress_stream, decompress_stream

__version__ = "0.1.0"
__all__ = ["compress", "decompress", "compress_stream", "decompress_stream", "open",
           "train", "compress_array", "decompress_array",
           "PczError", "FormatError", "ChecksumError", "ModelError", "LimitError", "InputError"]
