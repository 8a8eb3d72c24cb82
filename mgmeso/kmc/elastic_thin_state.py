"""The thinning's state: arrays, scalars, counters and the bound's representation
(docs/kmc_elastic.md 6.10; the kernels are in :mod:`.elastic_thinning`).

Per QPD site the bound of ``|sigma_j|`` is kept in 10 bytes: ``c_j`` and the near part
``N_j`` as float32 rounded up (:func:`up32`: still upper bounds), and the leaf's bound
``b_j = c_j + h_j M/1024 + 1.25 M`` as a uint16 headroom ``h_j`` (:func:`bound_value`).
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np
from numba import njit

__all__ = ["ThinState", "ST_FIELDS", "CNT_FIELDS", "THIN_CHECKPOINT", "up32", "bound_value",
           "head_for", "end_epoch_now"]

ThinState = namedtuple("ThinState", [
    "c",         # float32[N]: c_j (MPa), rounded up
    "nacc",      # float32[N]: N_j, the near part of the bound (MPa), rounded up
    "head",      # uint16[N]: h_j, the leaf's bound b_j = c_j + h_j M/1024 + 1.25 M (bound_value)
    "st",        # float64[len(ST_FIELDS)]: see ST_FIELDS
    "cnt",       # int64[len(CNT_FIELDS)]: see CNT_FIELDS
    "near_off",  # int32[nb, M, 5]: stencil cell shift, target basis site, linear index offset
    "near_abs",  # float64[nb, M]: |K + s| at the stencil displacements, inflated
    "sgeom",     # int64[5]: L, dim, nb, M, reach (the largest cell shift of the stencil)
])

#: scalars of :data:`ThinState.st`
ST_FIELDS = ("phi", "tot2_ref", "sig_ref", "t_lim", "margin", "k_far", "kappa_abs", "u_rt",
             "sigma1", "chi_paper", "need_epoch", "eyring", "q2", "c2", "q3", "c3")
PHI, TOT2_REF, SIG_REF, T_LIM, MARGIN, K_FAR, KAPPA, U_RT, SIGMA1, CHI_P, NEED, EYRING, \
    Q2, C2, Q3, C3 = range(16)

#: counters of :data:`ThinState.cnt`
CNT_FIELDS = ("candidates", "null_events", "leaf_raises", "bound_violations", "epochs",
              "time_limit_stops")
N_CAND, N_NULL, N_RAISE, N_VIOL, N_EPOCH, N_TLIM = range(6)

#: dynamic arrays of the checkpoint
THIN_CHECKPOINT = ("c", "nacc", "head", "st", "cnt")

#: the quantum of the headroom h_j: M / 1024 (a power of two: exact)
_QUANT = 1.0 / 1024.0
_HMAX = 65535

_REL = 1e-9     # relative inflation of every accumulated bound
_ABS = 1e-6     # absolute slack of the bound checks (MPa)


@njit(cache=True, inline="always")
def up32(x):
    """Return a float32 not below the float64 ``x``.

    Round to nearest after a relative step of 2.5e-7 > 2^-22 outward: the float32 rounding
    error is at most 2^-24 relative.

    Parameters
    ----------
    x : float
        Value to bound (MPa or a rate).

    Returns
    -------
    numpy.float32
        The upper bound.
    """
    return np.float32(x * (1.0 + 2.5e-7)) if x >= 0.0 else np.float32(x * (1.0 - 2.5e-7))


@njit(cache=True, inline="always")
def bound_value(j, c, head, st):
    """Return the stress bound ``b_j = c_j + h_j M/1024 + 1.25 M`` of site j's leaf (MPa).

    Parameters
    ----------
    j : int
        The site.
    c, head : numpy.ndarray
        The arrays of :data:`ThinState` of those names.
    st : numpy.ndarray
        The scalars of :data:`ThinState`.

    Returns
    -------
    float
        The bound (MPa).
    """
    return np.float64(c[j]) + (st[MARGIN] * _QUANT) * np.float64(head[j]) + 1.25 * st[MARGIN]


@njit(cache=True, inline="always")
def head_for(n_j, st):
    """Return the headroom quanta that cover a near part ``n_j`` (MPa): ``ceil(n_j/quantum)``,
    ``_HMAX + 1`` when it does not fit (the caller then ends the epoch).

    Parameters
    ----------
    n_j : float
        The near part (MPa).
    st : numpy.ndarray
        The scalars of :data:`ThinState`.

    Returns
    -------
    int
        The quanta.
    """
    if n_j <= 0.0:
        return 0
    h = math.ceil(n_j / (st[MARGIN] * _QUANT))
    return h if h <= _HMAX else _HMAX + 1


@njit(cache=True, inline="always")
def end_epoch_now(st):
    """Make the far bound infinite: the loop ends the epoch before its next candidate.

    Parameters
    ----------
    st : numpy.ndarray
        The scalars of :data:`ThinState`.
    """
    st[PHI] = math.inf
    st[Q2] = math.inf
    st[Q3] = math.inf

