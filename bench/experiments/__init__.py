"""Experiments: the HCLT and text tuning scripts, corpus builders and memory probes, with their results in results/."""
