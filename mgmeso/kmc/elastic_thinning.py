"""Stress-dependent event rates of the interacting loop by thinning (docs/kmc_elastic.md 6.10).

Pure numba kernels and the state they share with :func:`.elastic_loop.run_until_elastic`.
The sum tree holds, for every QPD site, its total rate at a bound ``b_j`` of its local stress
``|sigma_j|`` (:func:`leaf_of`); a candidate drawn from the tree is accepted channel by channel
with the rates at its exact local stress, otherwise it is a null event (Lewis-Shedler thinning,
exact while every leaf bounds its site's rate at every instant).

The bound: within an epoch (from one field refresh to the next, where every stress is exact)

    |sigma_j(t)| <= c_j + N_j(t) + G(t)

with ``N_j`` the near-stencil part (``sum |K + s| |De_k|`` over the stencil of j, plus
``|kappa|`` times the site's own plastic changes), ``G = F + |kappa| |sum Dp|/N +
|sigma_app - sigma_ref|`` the global part (``F`` the far field's bound by Hoelder's
inequality, the least of ``K_far sum|De|``, ``||a||_2 (sum De^2)^(1/2)`` and ``||a||_3
(sum |De|^(3/2))^(2/3)`` over the net eigenstrain changes De since the epoch start,
:mod:`.elastic_thin_global`) and ``c_j`` the tightest of ``|sigma_j(0)|`` and
``|sigma_j(t1)| + N_j(t1) + G(t1)`` over the instants t1 at which sigma_j was queried. A leaf
is valid while ``c_j + N_j + M <= b_j`` and ``G <= M`` (``M`` the margin); the loop raises a
leaf when the first fails and ends the epoch (``STATUS_ELASTIC``: refresh) when the second
would. Modules: :mod:`.elastic_thin_state` (arrays, scalars, the bound's float32/uint16
representation), :mod:`.elastic_thin_rates` (rates and leaves), :mod:`.elastic_thin_global`
(the global part), this one (epochs, the per-change and per-candidate bookkeeping; every
name of the four, for the callers).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .elastic_state import site_cell
from .elastic_thin_global import (  # noqa: F401  (the loop's names, kept here)
    app_rate_bound,
    app_rate_flat,
    far_flat,
    global_flat,
    global_part,
)
from .elastic_thin_rates import (  # noqa: F401
    bound_of,
    fill_leaves,
    leaf_flat,
    leaf_of,
    rates_at,
    rates_flat,
)
from .elastic_thin_state import (  # noqa: F401
    _ABS,
    _HMAX,
    _QUANT,
    _REL,
    C2,
    C3,
    CHI_P,
    CNT_FIELDS,
    EYRING,
    K_FAR,
    KAPPA,
    MARGIN,
    N_CAND,
    N_EPOCH,
    N_NULL,
    N_RAISE,
    N_TLIM,
    N_VIOL,
    NEED,
    PHI,
    Q2,
    Q3,
    SIG_REF,
    SIGMA1,
    ST_FIELDS,
    T_LIM,
    THIN_CHECKPOINT,
    TOT2_REF,
    U_RT,
    ThinState,
    bound_value,
    end_epoch_now,
    head_for,
    up32,
)
from .sumtree import tree_update

__all__ = ["ThinState", "ST_FIELDS", "CNT_FIELDS", "leaf_of", "fill_leaves", "start_epoch",
           "global_part", "record_change", "app_rate_bound", "rates_at", "bound_of", "candidate",
           "THIN_CHECKPOINT", "rates_flat", "leaf_flat", "record_change_flat", "candidate_flat",
           "global_flat", "app_rate_flat", "far_flat", "fresh_stress", "up32", "bound_value",
           "head_for", "end_epoch_now"]


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
    """Fill ``out`` with the local stress of every site right after a refresh (MPa).

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
