"""The numba kernels of the closed-form cases against obvious Python twins on the same RNG stream."""

import numpy as np

from mgmeso.kmc.rng import exponential, uniform
from mgmeso.validation import kernels


def twin_events(rng, rate, bias, n):
    waits, states = [], []
    for _ in range(n):
        waits.append(exponential(rng) / rate)
        states.append(1 if uniform(rng) < 0.5 * (1 + bias) else -1)
    return np.array(waits), np.array(states)


def twin_ensemble(rng, n_units, rate, bias, times):
    s_sum, s2_sum, c_sum = (np.zeros(times.size) for _ in range(3))
    for _ in range(n_units):
        s = 1 if uniform(rng) < 0.5 else -1
        s0, c = s, s
        t = exponential(rng) / rate
        for k, tk in enumerate(times):
            while t <= tk:
                s = 1 if uniform(rng) < 0.5 * (1 + bias) else -1
                c = 1 if uniform(rng) < 0.5 else -1
                t += exponential(rng) / rate
            s_sum[k] += s
            s2_sum[k] += s * s
            c_sum[k] += s0 * c
    return s_sum, s2_sum, c_sum


def test_two_state_events_equal_twin():
    a, b = kernels.seeded_state(3), kernels.seeded_state(3)
    w = np.empty(50)
    s = np.empty(50, dtype=np.int8)
    kernels.two_state_events(a, 2.0, 0.3, 50, w, s)
    tw, ts = twin_events(b, 2.0, 0.3, 50)
    assert np.array_equal(w, tw) and np.array_equal(s, ts)
    assert np.array_equal(a, b)


def test_two_state_ensemble_equals_twin():
    times = np.array([0.1, 0.5, 2.0])
    a, b = kernels.seeded_state(4), kernels.seeded_state(4)
    out = [np.zeros(3) for _ in range(3)]
    kernels.two_state_ensemble(a, 40, 1.5, -0.2, times, *out)
    for x, y in zip(out, twin_ensemble(b, 40, 1.5, -0.2, times)):
        assert np.array_equal(x, y)


def test_exponential_samples_equal_twin():
    a, b = kernels.seeded_state(5), kernels.seeded_state(5)
    x = np.empty(20)
    kernels.exponential_samples(a, x)
    assert np.array_equal(x, [exponential(b) for _ in range(20)])
