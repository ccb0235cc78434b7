"""The coding pipeline: inputs cut into segments, each coded by its chosen method,
written through the container; and the way back.  Record files (.npy, IDX) are
read here too."""
