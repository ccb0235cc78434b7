"""Entropy coding and the numba conditional kernels (numpy, numba, constriction only)."""
