"""The coders' own error: raised on a coded stream that cannot be decoded.

The coders depend on numpy, numba and constriction only; pcz's chunk methods
turn this error into :class:`pcz.FormatError` at their boundary.
"""


class CodingError(ValueError):
    """A coded stream is malformed (wrong length, or rejected by the decoder)."""
