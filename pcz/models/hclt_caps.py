"""The sizes and precisions an HCLT model file may state (:mod:`pcz.models.hclt_file` checks
a file's header against them before allocating anything; training asks for no more).

Plain numbers in a module of their own, so that the command line's option ranges
(``pcz train --help``) are known without loading numpy.

>>> MIN_QBITS, MAX_QBITS, MAX_M, MAX_K
(16, 24, 1024, 256)
>>> 1 << QBITS == ONE
True
"""
QBITS = 16               # default precision (the shipped models use it)
ONE = 1 << QBITS
MIN_QBITS, MAX_QBITS = 16, 24
MAX_D = 1 << 20
MAX_K = 256
MAX_M = 1024
MAX_VALUES = 1 << 27     # quantised parameters in one model (256 MiB as uint16)
