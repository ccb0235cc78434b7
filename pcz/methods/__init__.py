"""Chunk methods (how one chunk's bytes are coded, named by one byte in the file) and
:func:`choose`, the one place that decides which methods and model code an input.

>>> from pcz import methods
>>> methods.get(methods.ORDER0).name
'order0'
"""
from pcz.methods.registry import (CM, HCLT, HCLT_RANS, HCLT_TYPED, HMM, HMM_MIX, LONG, LZ_RANS, NPY_HEADER,
                                  NPY_HEADER_TYPED, ORDER0, ORDER0_RANS, RAW, WINDOWS, Method, check_payload, get,
                                  register)

__all__ = ["RAW", "ORDER0", "HCLT", "HMM", "WINDOWS", "HCLT_RANS", "HMM_MIX", "NPY_HEADER", "ORDER0_RANS", "CM",
           "HCLT_TYPED", "NPY_HEADER_TYPED", "LONG", "LZ_RANS", "Method", "check_payload", "get", "register"]
