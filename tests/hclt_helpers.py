"""Shared helpers for the tree-PC / HCLT tests: random models and brute-force joints."""
import itertools
import string

import numpy as np

from pcz.models.hclt import HcltModel


TREES = [
    [-1],
    [-1, 0, 1, 2, 3],            # chain
    [-1, 0, 0, 0, 0],            # star
    [-1, 0, 1, 0, 3, 3],         # branching
    [2, 2, -1, 1, 1, 0],         # root not first, unsorted ids
]


def random_params(rng, parent, M, K, concentration=0.5):
    """(prior, T, E) float arrays for a tree with these parent indices."""
    D = len(parent)
    prior = rng.dirichlet(np.ones(M))
    T = rng.dirichlet(np.ones(M), size=(D, M))
    E = rng.dirichlet(np.ones(K) * concentration, size=(D, M))
    return prior, T, E


def random_model(seed, parent, M, K, shape=None, layout=None, transform="none") -> HcltModel:
    """A quantised HCLT with random parameters (``layout``: the records' element layout,
    :class:`pcz.models.values.Layout`; uint8 if None; ``transform``: :mod:`pcz.models.predict`)."""
    from pcz.models.values import Layout
    rng = np.random.default_rng(seed)
    parent = np.asarray(parent)
    return HcltModel.from_float(parent, *random_params(rng, parent, M, K), shape=shape,
                                layout=layout or Layout(), transform=transform)


def brute_joint(parent, prior, T, E, K):
    """p(x) for every x (an array of shape (K,) * D) by summing over every latent assignment."""
    D, M = len(parent), len(prior)
    letters = string.ascii_letters[:D]
    joint = np.zeros((K,) * D)
    for z in itertools.product(range(M), repeat=D):
        pz = 1.0
        for v in range(D):
            pz *= prior[z[v]] if parent[v] < 0 else T[v, z[parent[v]], z[v]]
        if pz == 0:
            continue
        joint += pz * np.einsum(",".join(letters) + "->" + letters, *[E[v, z[v]] for v in range(D)])
    return joint


def sample(rng, model: HcltModel, n: int) -> np.ndarray:
    """n records drawn from the model (ancestral sampling in pre-order)."""
    X = np.zeros((n, model.D), dtype=np.uint8)
    Z = np.zeros((n, model.D), dtype=np.int64)
    for v in model.order:
        p = model.prior[None, :] if model.parent[v] < 0 else model.transition[v][Z[:, model.parent[v]]]
        Z[:, v] = (rng.random((n, 1)) > np.cumsum(p, axis=1)).sum(1).clip(0, model.M - 1)
        e = model.emission[v][Z[:, v]]
        X[:, v] = (rng.random((n, 1)) > np.cumsum(e, axis=1)).sum(1).clip(0, model.K - 1)
    return X


def smooth_images(n: int, size: int = 8, seed: int = 0) -> np.ndarray:
    """Random gradients plus a little noise: residuals are small, levels spread widely."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / size
    a, b = rng.uniform(-1, 1, (2, n, 1, 1))
    img = rng.uniform(60, 190, (n, 1, 1)) + 60 * a * xx + 60 * b * yy + rng.normal(0, 1.5, (n, size, size))
    return np.clip(np.round(img), 0, 255).astype(np.uint8)
