"""Benchmarks: datasets, baseline codecs, the runner, results."""
