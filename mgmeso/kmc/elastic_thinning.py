"""Stress-dependent event rates of the interacting loop by thinning (docs/kmc_elastic.md 6.10).

Pure numba kernels and the state they share with :func:`.elastic_loop.run_until_elastic`.
The sum tree holds, for every QPD site, its total rate at a bound ``b_j`` of its local stress
``|sigma_j|`` (:func:`leaf_of`); a candidate drawn from the tree is accepted channel by channel
with the rates at its exact local stress, otherwise it is a null event (Lewis-Shedler thinning,
exact while every leaf bounds its site's rate at every instant).

The bound: within an epoch (from one field refresh to the next, where every stress is exact)

    |sigma_j(t)| <= c_j + N_j(t) + G(t)

with ``N_j`` the near-stencil part (``sum |K + s| |De_k|`` over the stencil of j, plus
``|kappa| |Dp_j|`` for the site's own plastic change), ``G = K_far Phi + |kappa| |sum Dp|/N +
|sigma_app - sigma_ref|`` the global part (``Phi = sum_k |De_k|``, the net eigenstrain changes
since the epoch start) and ``c_j`` the tightest of ``|sigma_j(0)|`` and ``|sigma_j(t1)| +
N_j(t1) + G(t1)`` over the instants t1 at which sigma_j was queried. A leaf is valid while
``c_j + N_j + M <= b_j`` and ``G <= M`` (``M`` the margin); the loop raises a leaf when the
first fails and ends the epoch (``STATUS_ELASTIC``: refresh) when the second would.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np
from numba import njit

from .elastic_state import site_cell
from .rates import site_rates_stressed_of, stress_log_gain
from .sumtree import tree_build, tree_update

__all__ = ["ThinState", "ST_FIELDS", "CNT_FIELDS", "leaf_of", "fill_leaves", "start_epoch",
           "global_part", "record_change", "app_rate_bound", "rates_at", "bound_of", "candidate",
           "THIN_CHECKPOINT", "rates_flat", "leaf_flat", "record_change_flat", "candidate_flat",
           "global_flat", "app_rate_flat", "far_flat", "fresh_stress"]

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
    """Return a float32 not below the float64 ``x`` (round to nearest, then a relative step of
    2.5e-7 > 2^-22 outward: the float32 rounding error is at most 2^-24 relative)."""
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


@njit(cache=True)
def start_epoch(S, C, TH, eps, tot2, sig_exact, sig_app):
    """Start an epoch from exact stresses: ``c = |sigma|``, ``N = 0``, bounds, leaves, tree.

    Parameters
    ----------
    S, C : Sites, Control
        The kernels' groups.
    TH : ThinState
        The thinning state.
    eps : numpy.ndarray
        float64 (N,): the eigenstrains now (the field's ``eps``).
    tot2 : float
        The float64 sum of the plastic strain store now.
    sig_exact : numpy.ndarray
        float64 (N,): the exact local stress of every site (MPa).
    sig_app : float
        The applied stress now (MPa).
    """
    c, nacc, head = TH.c, TH.nacc, TH.head
    for j in range(eps.shape[0]):
        c[j] = up32(abs(sig_exact[j]))
        nacc[j] = 0.0
        head[j] = 0
    TH.st[PHI] = 0.0
    TH.st[Q2] = 0.0
    TH.st[Q3] = 0.0
    TH.st[TOT2_REF] = tot2
    TH.st[SIG_REF] = sig_app
    TH.st[T_LIM] = math.nan
    TH.st[NEED] = 0.0
    TH.cnt[N_EPOCH] += 1
    fill_leaves(S, C, TH)


@njit(cache=True)
def fresh_stress(out, sig_app, phi, eps, tot, coef, eps_p):
    """The local stress of every site right after a refresh (no pending change), MPa.

    The arithmetic of the exact query (:func:`.elastic_pending.local_stress_flat` with an
    empty pending list) plus the plastic self-term, as the loop evaluates them.

    Parameters
    ----------
    out : numpy.ndarray
        float64 (N,), filled.
    sig_app : float
        The applied stress (MPa).
    phi, eps, tot, coef : numpy.ndarray
        The field's arrays of those names.
    eps_p : numpy.ndarray
        float32 (N,): the plastic strain store.
    """
    n = eps.shape[0]
    for j in range(n):
        out[j] = sig_app + (phi[j] + 0.0) + coef[0] * (tot[0] - eps[j]) \
            + coef[3] * (np.float64(eps_p[j]) - tot[2] / n)


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


@njit(cache=True)
def _raise_now(m, h, c, head, cnt, kind, top, leaves, elim, log_tb, log_tb_hier, chi, log_S, times,
               rules, st, sig_sat_p):
    # the rare part of a raise: a new headroom, leaf and tree path (not inlined)
    if h > _HMAX:
        end_epoch_now(st)       # the headroom does not fit: the epoch ends before any candidate
        h = _HMAX
    head[m] = h
    tree_update(top, leaves, m, leaf_flat(m, kind, c, head, elim, log_tb, log_tb_hier, chi, log_S,
                                          times, rules, st, sig_sat_p))
    cnt[N_RAISE] += 1


@njit(cache=True, inline="always")
def _raise(m, c, nacc, head, cnt, kind, top, leaves, elim, log_tb, log_tb_hier, chi, log_S, times,
           rules, st, sig_sat_p):
    # the leaf holds while N_m <= h_m quantum + M/4 (c_m + N_m + M <= b_m)
    n_m = np.float64(nacc[m])
    if n_m > (st[MARGIN] * _QUANT) * np.float64(head[m]) + 0.25 * st[MARGIN] and kind[m] == 1:
        _raise_now(m, head_for(n_m, st), c, head, cnt, kind, top, leaves, elim, log_tb,
                   log_tb_hier, chi, log_S, times, rules, st, sig_sat_p)


@njit(cache=True)
def record_change_flat(k, de, dp, eps, eps_p, pend_de, seen, c, nacc, head, cnt, near_off,
                       near_abs, sgeom, kind, top, leaves, elim, log_tb, log_tb_hier, chi, log_S,
                       times, rules, st, sig_sat_p):
    """:func:`record_change` on plain arrays (the arrays of :data:`ThinState`, of the field and
    of the sites of those names).

    Every epoch starts at a field refresh, so the net eigenstrain change of site k since the
    epoch start is the net change of its pending slot (``pend_de[seen[k] - 1]``, the field's
    record of this change already made); a plastic change enters the site's own near part by
    its absolute value (no per-site reference: a deposit and its reversal both count).

    Parameters
    ----------
    k : int
        The site whose strain changed.
    de, dp : float
        The changes of its eigenstrain and plastic strain.
    eps, eps_p : ndarray
        The field's eigenstrains and the sites' plastic strains.
    pend_de, seen : ndarray
        The field's pending net changes and slot index (+1) of every site.
    c, nacc, head, cnt, near_off, near_abs, sgeom, kind, top, leaves : ndarray
        The arrays of :data:`ThinState` and of the sites of those names.
    elim, log_tb, log_tb_hier, chi, log_S, times, rules, st : ndarray
        As in :func:`rates_at`.
    sig_sat_p : float
        The Eyring stress scale (MPa).
    """
    if de != 0.0:
        slot = seen[k] - 1
        if slot < 0:            # no slot (the pending list overflowed): end the epoch
            end_epoch_now(st)
            return
        new = pend_de[slot]
        d_abs = (abs(new) - abs(new - de)) * (1.0 + _REL) if abs(new) >= abs(new - de) else \
            (abs(new) - abs(new - de)) * (1.0 - _REL)
        st[PHI] += d_abs
        # the sums of De^2 and |De|^(3/2) of the far bound (far_flat): each increment rounded
        # up, plus the round-off of ``new - de`` against the value the last change left
        # (an absolute slack, so the sums stay upper bounds when they return to about zero)
        an, ao = abs(new), abs(new - de)
        slack = 8.9e-16 * (abs(eps[k]) + an + abs(de))
        # and the round-off of the powers themselves (the difference may cancel)
        a2n, a2o = an * an, ao * ao
        d2 = a2n - a2o
        st[Q2] += d2 * (1.0 + _REL if d2 >= 0.0 else 1.0 - _REL) + 2.0 * (an + ao) * slack \
            + 4.5e-16 * (a2n + a2o)
        a3n, a3o = an * math.sqrt(an), ao * math.sqrt(ao)
        d3 = a3n - a3o
        st[Q3] += d3 * (1.0 + _REL if d3 >= 0.0 else 1.0 - _REL) \
            + 1.5 * math.sqrt(max(an, ao) + slack) * slack + 6.7e-16 * (a3n + a3o)
        L, dim, nb, M, reach = sgeom[0], sgeom[1], sgeom[2], sgeom[3], sgeom[4]
        x, y, z, b = site_cell(k, L, dim, nb)
        hi = L - reach
        inner = reach <= x < hi and reach <= y < hi and (dim == 2 or reach <= z < hi)
        for m in range(M):
            if inner:       # away from the periodic edges: a fixed index offset
                t = k + near_off[b, m, 4]
            else:           # wrapped by a compare (an integer modulo costs more)
                tx = x + near_off[b, m, 0]
                tx += L if tx < 0 else (-L if tx >= L else 0)
                ty = y + near_off[b, m, 1]
                ty += L if ty < 0 else (-L if ty >= L else 0)
                if dim == 3:
                    tz = z + near_off[b, m, 2]
                    tz += L if tz < 0 else (-L if tz >= L else 0)
                    t = ((tx * L + ty) * L + tz) * nb + near_off[b, m, 3]
                else:
                    t = (tx * L + ty) * nb + near_off[b, m, 3]
            nacc[t] = up32(np.float64(nacc[t]) + near_abs[b, m] * d_abs)
            if d_abs > 0.0:
                _raise(t, c, nacc, head, cnt, kind, top, leaves, elim, log_tb, log_tb_hier, chi,
                       log_S, times, rules, st, sig_sat_p)
    if dp != 0.0:
        nacc[k] = up32(np.float64(nacc[k]) + st[KAPPA] * abs(dp) * (1.0 + _REL))
        _raise(k, c, nacc, head, cnt, kind, top, leaves, elim, log_tb, log_tb_hier, chi, log_S,
               times, rules, st, sig_sat_p)


@njit(cache=True)
def record_change(k, de, dp, S, C, TH, eps, pend_de, seen):
    """Account for a change of site k: eigenstrain by ``de`` (seen by the other sites) and
    plastic strain by ``dp`` (seen by k itself); both already applied to ``eps`` and
    ``S.eps_p``. Raises the leaves whose bound no longer holds.

    Parameters
    ----------
    k : int
        The site.
    de, dp : float
        Its eigenstrain and plastic-strain changes.
    S, C : Sites, Control
        The kernels' groups.
    TH : ThinState
        The thinning state.
    eps, pend_de, seen : numpy.ndarray
        The field's eigenstrains, pending net changes and slot indices (the change recorded).
    """
    record_change_flat(k, de, dp, eps, S.eps_p, pend_de, seen, TH.c, TH.nacc, TH.head, TH.cnt,
                       TH.near_off, TH.near_abs, TH.sgeom, S.kind, S.top, S.leaves, S.elim,
                       S.log_tb, S.log_tb_hier, S.chi, S.log_S, C.times, C.rules, TH.st,
                       C.calib.sig_sat_p)


@njit(cache=True)
def candidate(j, sig, g, S, C, TH):
    """Check and tighten the bound at a candidate event at site j (exact stress ``sig``).

    Checks the bound (a violation is counted, never expected), then tightens ``c_j`` and the
    leaf with what the query taught. Returns the rates at ``sig`` (dynamic, annihilation, SMD
    probability) and the leaf the candidate was drawn with.

    Parameters
    ----------
    j : int
        The site.
    sig : float
        Its exact local stress (MPa).
    g : float
        The global part of the bound now (MPa).
    S, C : Sites, Control
        The kernels' groups.
    TH : ThinState
        The thinning state.

    Returns
    -------
    r_dyn, r_ann, q, leaf : float
        Rates at ``sig`` (1/s), SMD probability, the leaf (1/s).
    """
    return candidate_flat(j, sig, g, TH.c, TH.nacc, TH.head, TH.cnt, S.kind, S.top, S.leaves, S.elim,
                          S.log_tb, S.log_tb_hier, S.chi, S.log_S, C.times, C.rules, TH.st,
                          C.calib.sig_sat_p)


@njit(cache=True)
def candidate_flat(j, sig, g, c, nacc, head, cnt, kind, top, leaves, elim, log_tb, log_tb_hier,
                   chi, log_S, times, rules, st, sig_sat_p):
    """:func:`candidate` on plain arrays.

    Parameters
    ----------
    j : int
        The candidate site.
    sig : float
        Its exact local stress (MPa).
    g : float
        The global part of the bound (MPa).
    c, nacc, head, cnt, kind, top, leaves : ndarray
        The arrays of :data:`ThinState` and of the sites of those names.
    elim, log_tb, log_tb_hier, chi, log_S, times, rules, st : ndarray
        As in :func:`rates_at`.
    sig_sat_p : float
        The Eyring stress scale (MPa).

    Returns
    -------
    tuple of (float, float, float, float)
        As :func:`candidate`: the exact rates (1/s), the forward share and the leaf's
        bounding rate.
    """
    cnt[N_CAND] += 1
    r_dyn, r_ann, q = rates_flat(j, sig, elim, log_tb, log_tb_hier, chi, log_S, times, rules, st,
                                 sig_sat_p)
    leaf = leaves[j]
    a = abs(sig)
    n_j = np.float64(nacc[j])
    if a > np.float64(c[j]) + n_j + g + _ABS or r_dyn + r_ann > leaf * (1.0 + 1e-12):
        cnt[N_VIOL] += 1
    c_new = up32(a + n_j + g)
    c_old, h_old = c[j], head[j]
    if c_new < c_old:
        c[j] = c_new
    h = head_for(n_j, st)
    if h > _HMAX:
        end_epoch_now(st)
        h = _HMAX
    head[j] = h
    if c[j] != c_old or head[j] != h_old:
        tree_update(top, leaves, j, leaf_flat(j, kind, c, head, elim, log_tb, log_tb_hier, chi,
                                              log_S, times, rules, st, sig_sat_p))
    return r_dyn, r_ann, q, leaf
