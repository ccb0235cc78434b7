import itertools

import jax.numpy as jnp
import numpy as np

from pcz.learn import hmm_em


def tiny(seed=0, H=2, C=2):
    rng = np.random.default_rng(seed)
    T = rng.random((C, H, H)) + 0.2
    E = rng.random((C, H, 256)) + 0.2
    return (rng.random(H) + 0.2) / 1.0, T / T.sum(-1, keepdims=True), E / E.sum(-1, keepdims=True)


def test_expected_counts_match_brute_force():
    prior, T, E = tiny()
    prior = prior / prior.sum()
    cls = np.zeros(256, dtype=np.int64)
    cls[ord("b")] = 1
    x = np.frombuffer(b"abba", dtype=np.uint8)
    slots = hmm_em.slots_of(x, cls)
    H, L = len(prior), len(x)
    want_T = np.zeros_like(T)
    want_E = np.zeros_like(E)
    total = 0.0
    for path in itertools.product(range(H), repeat=L):
        p = prior[path[0]] * E[slots[0], path[0], x[0]]
        for t in range(1, L):
            p *= T[slots[t], path[t - 1], path[t]] * E[slots[t], path[t], x[t]]
        total += p
        for t in range(L):
            want_E[slots[t], path[t], x[t]] += p
            if t:
                want_T[slots[t], path[t - 1], path[t]] += p
    theta = tuple(jnp.asarray(a, dtype=jnp.float32) for a in (prior, T, E))
    ll, (c_prior, c_T, c_E) = hmm_em._counts(theta, jnp.asarray(x[None], dtype=jnp.int32),
                                              jnp.asarray(slots[None]))
    np.testing.assert_allclose(float(ll), np.log(total), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(c_T), want_T / total, atol=2e-5)
    np.testing.assert_allclose(np.asarray(c_E), want_E / total, atol=2e-5)
    assert abs(float(c_prior.sum()) - 1) < 1e-5


def test_fit_with_slots_learns_a_pattern():
    data = np.frombuffer(b"the cat sat on the mat. " * 300, dtype=np.uint8)
    params = hmm_em.fit(data, hidden=4, slots=8, seq_len=32, batch=16, epochs=2, progress=False)
    assert params.T.shape == (8, 4, 4) and params.E.shape == (8, 4, 256)
    assert hmm_em.bits_per_byte(params, data[:2000]) < 1.0
