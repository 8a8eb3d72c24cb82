"""The rates of a site at a stress and the leaves of the thinning's sum tree
(docs/kmc_elastic.md 6.10): [Hao2022] Eqs. 8, 9 carried through the hierarchy, the Eyring
plastic law, and every leaf at its site's stress bound.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .elastic_thin_state import CHI_P, EYRING, MARGIN, SIGMA1, U_RT, bound_value
from .rates import site_rates_stressed_of, stress_log_gain
from .sumtree import tree_build

__all__ = ["rates_at", "rates_flat", "leaf_flat", "leaf_of", "bound_of", "fill_leaves"]

@njit(cache=True, inline="always")
def rates_at(j, sigma, S, C, TH):
    """Dynamic-channel rate, annihilation rate and SMD probability of site j at stress sigma.

    With the Eyring plastic rate law (``st[EYRING] = 1``, parallel rule) the annihilation rate
    is ``cosh(sigma/sigma_sat_p)/tau_max``: forward and backward rates ``exp(+-x)/(2 tau_max)``
    of the plastic two-level unit, whose draw at the event (+1 with probability
    ``(1 + tanh x)/2``) is the physical bias law's (docs/kmc_elastic.md section 6.10).

    Parameters
    ----------
    j : int
        The site.
    sigma : float
        Its stress (MPa).
    S, C : Sites, Control
        The kernels' groups.
    TH : ThinState
        The thinning state.

    Returns
    -------
    r_dyn, r_ann, q : float
        Rates (1/s) and probability.
    """
    return rates_flat(j, sigma, S.elim, S.log_tb, S.log_tb_hier, S.chi, S.log_S, C.times, C.rules,
                      TH.st, C.calib.sig_sat_p)


# The per-event forms on plain arrays (``*_flat``): the interacting loop takes the arrays out of
# its groups once; binding a group of arrays to a call counts a reference of each of its arrays
# (atomic), which cost more than the thinning's arithmetic. The group forms call them.
# ``R`` below stands for the rate arguments ``elim, log_tb, log_tb_hier, chi, log_S, times,
# rules, st, sig_sat_p``.


@njit(cache=True, inline="always")
def rates_flat(j, sigma, elim, log_tb, log_tb_hier, chi, log_S, times, rules, st, sig_sat_p):
    """:func:`rates_at` on plain arrays.

    Parameters
    ----------
    j : int
        The site.
    sigma : float
        Its local stress (MPa).
    elim, log_tb, log_tb_hier, chi, log_S, times, rules, st : ndarray
        As in :func:`rates_at`.
    sig_sat_p : float
        The Eyring stress scale of the plastic law (MPa).

    Returns
    -------
    tuple of (float, float, float)
        As :func:`rates_at`: the dynamic and annihilation rates (1/s) and the forward
        share.
    """
    lng = stress_log_gain(sigma, st[U_RT], st[SIGMA1])
    r_dyn, r_ann, q = site_rates_stressed_of(j, int(elim[j]), lng, log_tb, log_tb_hier, chi,
                                             log_S, times, rules, st[CHI_P])
    if st[EYRING] != 0.0:
        r_ann *= math.cosh(sigma / sig_sat_p)
    return r_dyn, r_ann, q


@njit(cache=True, inline="always")
def leaf_flat(j, kind, c, head, elim, log_tb, log_tb_hier, chi, log_S, times, rules, st,
              sig_sat_p):
    """:func:`leaf_of` on plain arrays.

    Parameters
    ----------
    j : int
        The site.
    kind, c, head : ndarray
        Site kinds and the bound's arrays (:func:`bound_value`).
    elim, log_tb, log_tb_hier, chi, log_S, times, rules, st : ndarray
        As in :func:`rates_at`.
    sig_sat_p : float
        The Eyring stress scale (MPa).

    Returns
    -------
    float
        The site's bounding rate (1/s), 0 for a site without a unit.
    """
    if kind[j] != 1:
        return 0.0
    r_dyn, r_ann, _ = rates_flat(j, bound_value(j, c, head, st), elim, log_tb, log_tb_hier, chi,
                                 log_S, times, rules, st, sig_sat_p)
    return r_dyn + r_ann


@njit(cache=True, inline="always")
def leaf_of(j, S, C, TH):
    """Return the total rate of site j at its bound ``b_j`` (0 for matrix sites).

    Parameters
    ----------
    j : int
        The site.
    S, C : Sites, Control
        The kernels' groups.
    TH : ThinState
        The thinning state.

    Returns
    -------
    float
        The rate (1/s).
    """
    return leaf_flat(j, S.kind, TH.c, TH.head, S.elim, S.log_tb, S.log_tb_hier, S.chi, S.log_S,
                     C.times, C.rules, TH.st, C.calib.sig_sat_p)


@njit(cache=True, inline="always")
def bound_of(j, TH):
    """Return the stress bound a leaf needs now, ``c_j + N_j + M``, and the one it is given.

    Parameters
    ----------
    j : int
        The site.
    TH : ThinState
        The thinning state.

    Returns
    -------
    need, give : float
        The bounds (MPa).
    """
    need = np.float64(TH.c[j]) + np.float64(TH.nacc[j]) + TH.st[MARGIN]
    return need, bound_value(j, TH.c, TH.head, TH.st)


@njit(cache=True)
def fill_leaves(S, C, TH):
    """Fill every leaf from its bound (:func:`leaf_of`) and the tree from the leaves.

    Parameters
    ----------
    S, C : Sites, Control
        The kernels' groups.
    TH : ThinState
        The thinning state.
    """
    kind, leaves, c, head, st = S.kind, S.leaves, TH.c, TH.head, TH.st
    elim, log_tb, log_tb_hier, chi, log_S = S.elim, S.log_tb, S.log_tb_hier, S.chi, S.log_S
    times, rules, sig_sat_p = C.times, C.rules, C.calib.sig_sat_p
    for j in range(kind.shape[0]):
        leaves[j] = leaf_flat(j, kind, c, head, elim, log_tb, log_tb_hier, chi, log_S, times,
                              rules, st, sig_sat_p)
    tree_build(S.top, leaves)


