"""The pcz file format: the container's two framings and their binary fields (docs/FORMAT.md).

Depends on nothing in pcz but :mod:`pcz.errors`; knows chunk methods and models
only as numbers and bytes.
"""
