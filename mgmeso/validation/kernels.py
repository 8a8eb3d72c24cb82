"""Numba kernels of the closed-form cases: two-state units in resampling form.

A unit has events at rate ``r`` (exponential waiting times from the kMC's own
xoshiro256** generator, :mod:`mgmeso.kmc.rng`); at each event its state is redrawn,
``+1`` with probability ``(1 + b)/2``, else ``-1`` -- the rule of every kMC unit
(docs/model.md section 2). Pure functions of arrays and scalars; the RNG state is an
argument (``uint64[4]``) advanced in place. Twins in ``tests/test_validate_kernels.py``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..kmc.rng import exponential, uniform

__all__ = ["exponential_samples", "two_state_ensemble", "two_state_events"]


@njit(cache=True)
def two_state_events(rng, rate, bias, n_events, waits, states):
    """One unit from its equilibrium state: ``n_events`` waiting times and post-event states.

    ``waits`` (float64) and ``states`` (int8) have length ``n_events``; filled in place.

    Parameters
    ----------
    rng : numpy.ndarray
        uint64 (4,): xoshiro state, advanced in place.
    rate : float
        Event rate (1/s).
    bias : float
        Mean state b in [-1, 1].
    n_events : int
        Number of events.
    waits : numpy.ndarray
        float64 (n_events,): waiting times (s), filled.
    states : numpy.ndarray
        int8 (n_events,): states after each event, filled.
    """
    for k in range(n_events):
        waits[k] = exponential(rng) / rate
        states[k] = 1 if uniform(rng) < 0.5 * (1.0 + bias) else -1


@njit(cache=True)
def two_state_ensemble(rng, n_units, rate, bias, times, s_sum, s2_sum, c_sum):
    """Ensemble of units, equilibrated at zero bias, switched to ``bias`` at t = 0.

    For each sample time ``times[k]`` (increasing) accumulates the sum and sum of
    squares of the unit states (``s_sum``, ``s2_sum``) and the sum of
    ``state(0) * state(t)`` of a second, unbiased copy driven by the same event
    times (``c_sum``, the equilibrium autocorrelation).

    Parameters
    ----------
    rng : numpy.ndarray
        uint64 (4,): xoshiro state, advanced in place.
    n_units : int
        Number of units.
    rate : float
        Event rate (1/s).
    bias : float
        Mean state b after t = 0.
    times : numpy.ndarray
        float64 (n_t,): sample times (s), increasing.
    s_sum, s2_sum, c_sum : numpy.ndarray
        float64 (n_t,): accumulators, added to.
    """
    n_t = times.size
    for _ in range(n_units):
        s = 1 if uniform(rng) < 0.5 else -1       # equilibrium at zero bias
        s0 = s
        c = s                                      # unbiased copy, same event times
        t = exponential(rng) / rate
        for k in range(n_t):
            while t <= times[k]:
                s = 1 if uniform(rng) < 0.5 * (1.0 + bias) else -1
                c = 1 if uniform(rng) < 0.5 else -1
                t += exponential(rng) / rate
            s_sum[k] += s
            s2_sum[k] += s * s
            c_sum[k] += s0 * c


@njit(cache=True)
def exponential_samples(rng, out):
    """Exp(1) variates from the kMC generator, in place.

    Parameters
    ----------
    rng : numpy.ndarray
        uint64 (4,): xoshiro state, advanced in place.
    out : numpy.ndarray
        float64: filled with the variates.
    """
    for k in range(out.size):
        out[k] = exponential(rng)


def seeded_state(seed: int) -> np.ndarray:
    """Return a xoshiro state from a fixed integer seed (numpy SeedSequence).

    Parameters
    ----------
    seed : int
        The seed.

    Returns
    -------
    numpy.ndarray
        uint64 (4,).
    """
    from ..kmc.rng import seed_state

    return seed_state(np.random.SeedSequence(seed))
