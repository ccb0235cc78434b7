"""Typed errors raised by pcz.

Every error pcz raises on bad input derives from :class:`PczError`, so a
caller can catch one type; the CLI prints ``pcz: <message>`` and exits 1.

>>> import pcz
>>> try:
...     pcz.decompress(b"not a pcz file")
... except pcz.FormatError as e:
...     print(type(e).__name__)
FormatError
"""


class PczError(Exception):
    """Base class of every error pcz raises on bad input or bad use."""


class FormatError(PczError):
    """The compressed data is not a valid pcz stream (bad magic, truncated, inconsistent)."""


class ChecksumError(FormatError):
    """A checksum did not match: the data is damaged."""


class ModelError(PczError):
    """A model file is invalid, missing, or not the one the data was compressed with."""


class LimitError(PczError):
    """Decoding would exceed a resource limit (memory cap, size caps)."""


class InputError(PczError):
    """The input to compress is not acceptable (wrong shape, values out of range...)."""
