"""The global part of the thinning's bound (docs/kmc_elastic.md 6.10): the far field of the
net changes since the epoch start (Hoelder's inequality, :func:`far_flat`), the mean plastic
self-term and the applied stress's change, and the bound of the applied stress's rate that
sets the time limit of an epoch.
"""

from __future__ import annotations

import math

from numba import njit

from .elastic_thin_state import (
    _ABS,
    _REL,
    C2,
    C3,
    K_FAR,
    KAPPA,
    MARGIN,
    PHI,
    Q2,
    Q3,
    SIG_REF,
    TOT2_REF,
)

__all__ = ["global_part", "global_flat", "far_flat", "app_rate_bound", "app_rate_flat"]

@njit(cache=True, inline="always")
def global_part(TH, tot2, n, sig_app):
    """Return ``G = K_far Phi + |kappa| |sum Dp|/N + |sigma_app - sigma_ref|`` (MPa), inflated.

    Parameters
    ----------
    TH : ThinState
        The thinning state.
    tot2 : float
        The float64 sum of the plastic strain store now.
    n : int
        Number of sites.
    sig_app : float
        The applied stress now (MPa).

    Returns
    -------
    float
        G (MPa).
    """
    return global_flat(TH.st, tot2, n, sig_app)


@njit(cache=True, inline="always")
def global_flat(st, tot2, n, sig_app):
    """:func:`global_part` on the scalars ``st`` of :data:`ThinState`.

    Parameters
    ----------
    st : ndarray
        The scalars of :data:`ThinState`.
    tot2 : float
        The field's running total of net changes.
    n : int
        The number of sites.
    sig_app : float
        The applied stress (MPa).

    Returns
    -------
    float
        The global part of every site's stress bound (MPa).
    """
    return far_flat(st) + (st[KAPPA] * abs(tot2 - st[TOT2_REF]) / n) * (1.0 + _REL) \
        + abs(sig_app - st[SIG_REF]) + _ABS


@njit(cache=True, inline="always")
def far_flat(st):
    """Bound of the far field of the net changes since the epoch start at any site (MPa).

    Hoelder's inequality for the sum ``sum_k a_jk De_k`` over the sources k outside the
    stencil of j, with three pairs of norms: ``max|a| sum|De|`` (``K_far Phi``),
    ``||a||_2 (sum De^2)^(1/2)`` and ``||a||_3 (sum |De|^(3/2))^(2/3)``; the least of the
    three, inflated (docs/kmc_elastic.md 6.10).

    Parameters
    ----------
    st : ndarray
        The scalars of :data:`ThinState`.

    Returns
    -------
    float
        The bound (MPa).
    """
    g = st[K_FAR] * st[PHI]
    g2 = st[C2] * math.sqrt(max(st[Q2], 0.0))
    if g2 < g:
        g = g2
    g3 = st[C3] * max(st[Q3], 0.0) ** (2.0 / 3.0)
    if g3 < g:
        g = g3
    return g * (1.0 + 4.0 * _REL)


@njit(cache=True, inline="always")
def app_rate_bound(law, cal, TH, stress_control):
    """Return a bound of ``|d sigma_app/dt|`` (MPa/s) between events under ``law``.

    Parameters
    ----------
    law : Law
        The loading law.
    cal : Calib
        The calibration group (``J_el``, ``k_fast``).
    TH : ThinState
        The thinning state (``sig_ref``, the margin).
    stress_control : bool
        Whether the law controls the stress.

    Returns
    -------
    float
        The bound (MPa/s).
    """
    return app_rate_flat(law, cal, TH.st, stress_control)


@njit(cache=True, inline="always")
def app_rate_flat(law, cal, st, stress_control):
    """:func:`app_rate_bound` on the scalars ``st`` of :data:`ThinState`.

    Parameters
    ----------
    law : object
        The loading law of the segment.
    cal : object
        The calibration.
    st : ndarray
        The scalars of :data:`ThinState`.
    stress_control : bool
        Whether the segment is stress controlled.

    Returns
    -------
    float
        A bound on the rate of change of the applied stress (MPa/s).
    """
    osc = abs(law.amp * law.omega)
    if stress_control:
        return osc
    drift = cal.k_fast * (abs(st[SIG_REF]) + st[MARGIN])
    return (abs(law.eps_rate) + osc + drift) / cal.J_el


