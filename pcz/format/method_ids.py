"""Chunk method ids: the byte that names how a chunk is coded (docs/FORMAT.md).

Ids are part of the file format and never reused; the methods themselves live
in :mod:`pcz.methods`.
"""
RAW, ORDER0, HCLT, HMM, WINDOWS, HCLT_RANS, HMM_MIX, NPY_HEADER, ORDER0_RANS, CM = 0, 1, 2, 3, 4, 5, 6, 7, 8, 9
HCLT_TYPED, NPY_HEADER_TYPED = 10, 11      # records of any integer type
LONG = 12                                  # long-range matches into earlier content + an inner method's literals
LZ_RANS = 13                               # LZ77 + rANS tables: the fast level (pcz/methods/lz.py)
