"""The bias law: how likely a two-state unit is to be in its +1 state at a given stress.

Every unit of the kMC (beta, SMD, plastic) is a two-state unit in resampling form: at its
event its state is redrawn with ``P(+1) = p_up(sigma)``. The same law gives the equilibrium
mean ``2 p_up - 1`` of the units in local equilibrium, which the Python layer uses when it
draws them at observations and snapshots, when units leave equilibrium, and for conditional
means. This is the one place where the law is written: kernels (:func:`draw_state`) and
the Python layer (:func:`p_up` called directly) both use it, so replacing it here (e.g. by
a tanh law, or a law of the local stress) changes every use at once.

Today's law (docs/model.md section 2): ``p_up = (1 + b)/2`` with ``b = clip(sigma/sigma_sat, -1, 1)``.
"""

from __future__ import annotations

from numba import njit

from .rng import uniform

__all__ = ["p_up", "draw_state"]


@njit(cache=True, inline="always")
def p_up(sigma, sig_sat):
    """Probability of the +1 state at stress ``sigma`` (MPa), saturation stress ``sig_sat``."""
    b = sigma / sig_sat
    if b > 1.0:
        b = 1.0
    elif b < -1.0:
        b = -1.0
    return 0.5 * (1.0 + b)


@njit(cache=True, inline="always")
def draw_state(rng, sigma, sig_sat):
    """+1 or -1 drawn from the bias law at stress ``sigma`` (advances ``rng``)."""
    return 1 if uniform(rng) < p_up(sigma, sig_sat) else -1
