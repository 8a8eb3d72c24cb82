"""Numba kernels of the defect dynamics (aging and rejuvenation, docs/model.md section 2).

The Python layer (:mod:`.defects`) decides which sites heal (QPD -> matrix) and
which form (matrix -> QPD); these kernels apply the decisions to the lattice
state with exact strain bookkeeping:

* a healed site freezes its strain: the beta and SMD unit strains it carries
  become permanent (``K.frozen``; units in local equilibrium are drawn from the
  bias at the current stress first). Under the series rule the SMD's strain turns
  plastic and its footprint dissolves, exactly as at an annihilation;
* a formed site starts as an unpolarised QPD with its own one-site footprint.
  Its quenched variables (ln tau_beta offset, Kanter U, W) were drawn for every
  site at the start, so a site that heals and forms again is the same unit.
"""

from __future__ import annotations

from numba import njit

from .bias import draw_state_biased
from .kernels import annihilate_series
from .layout import SUM_BETA, SUM_SMD
from .rates import site_log_times

__all__ = ["log_alpha_times", "heal_sites", "form_sites"]


@njit(cache=True)
def log_alpha_times(S, C, out):
    """Write ln tau_max_j of every site (QPD or matrix) into ``out``.

    Parameters
    ----------
    S : Sites
        Per-site arrays.
    C : Control
        Kernel control (times at the current temperature).
    out : ndarray, float64[N]
        Receives ln tau_max_j (ln s).
    """
    for j in range(S.kind.size):
        out[j] = site_log_times(j, S, C)[1]


@njit(cache=True)
def heal_sites(idx, sigma, t, S, C, K):
    """Turn the QPD sites ``idx`` into matrix, freezing their strain at stress sigma.

    Parameters
    ----------
    idx : ndarray, int64[n]
        The QPD sites to heal.
    sigma : float
        Current stress (MPa): units in equilibrium are drawn at it before they freeze.
    t : float
        Current time (s).
    S : Sites
        Per-site arrays (written).
    C : Control
        Kernel control (calibration, rules).
    K : Clock
        Kernel clock (sums, frozen strain, RNG; written).
    """
    c = C.calib
    for i in range(idx.size):
        j = idx[i]
        e = S.elim[j]
        if e >= 1:
            b = draw_state_biased(K.rng, sigma, c.sig_sat_beta, c.bias_law)
        else:
            b = S.beta[j]
            K.sums[SUM_BETA] -= b
        frozen = c.d_beta * b
        if e >= 2:
            frozen += c.d_an * draw_state_biased(K.rng, sigma, c.sig_sat_an, c.bias_law)
        elif C.rules.series:
            annihilate_series(j, t, S, C, K)       # SMD strain -> plastic, footprint dissolved
        else:
            a = S.smd[j]
            K.sums[SUM_SMD] -= a
            frozen += c.d_an * a
        K.frozen[0] += frozen * c.inv_N
        S.eps_p[j] = float(S.eps_p[j]) + frozen
        S.kind[j] = 0
        S.elim[j] = 0
        S.beta[j] = 0
        S.smd[j] = 0
        S.owner[j] = -1
        S.fp_next[j] = -1
        S.fp_size[j] = 0
        S.leaves[j] = 0.0


@njit(cache=True)
def form_sites(idx, S):
    """Turn the free matrix sites ``idx`` into unpolarised QPDs.

    Parameters
    ----------
    idx : ndarray, int64[n]
        Matrix sites not in any footprint.
    S : Sites
        Per-site arrays (written).
    """
    for i in range(idx.size):
        j = idx[i]
        S.kind[j] = 1
        S.elim[j] = 0
        S.beta[j] = 0
        S.smd[j] = 0
        S.owner[j] = j
        S.fp_next[j] = -1
        S.fp_size[j] = 1
