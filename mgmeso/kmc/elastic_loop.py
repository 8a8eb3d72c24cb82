"""The kMC event loop with elastic interactions (docs/kmc_elastic.md section 6). Pure numba kernels.

:func:`run_until_elastic` is :func:`.kernels.run_until` with one difference: every unit
drawn at an event is biased by the **local stress** at the event site (applied stress plus
the interaction stress of the eigenstrains of all other sites, :mod:`.elastic_kernels`),
and every change of a site's inelastic strain is recorded in the field. Events, rates and
random draws are otherwise the same, in the same order, so with a zero propagator the loop
is :func:`.kernels.run_until` bit for bit (tested).

The eigenstrain of a site is its local inelastic strain in the engine's measure:
``d_beta beta_m`` (a dynamic beta unit), the share ``d_an a / f`` of the SMD whose
footprint of ``f`` sites covers it, and the plastic strain deposited there. Units in local
equilibrium carry none (their mean follows the applied stress uniformly: no internal
stress, docs/kmc_elastic.md section 6.2). What an event changes:

* a beta flip at j: ``d_beta (new - old)`` at j;
* an SMD event at nucleus j (footprint F before, F' after a possible growth): every site
  of F changes by ``d_an (new/|F'| - old/|F|)``, a recruited site by ``d_an new/|F'|``;
  the SMD's strain turning plastic at the same sites (series annihilation, coalescence)
  changes nothing;
* a parallel-rule annihilation: ``d_p new`` at j.

The SMD unit is biased by the stress at its nucleus minus the stress of its own footprint
there (an SMD's own field, like a site's self-term, is the same in both of its states and
does not bias it).

A call returns ``STATUS_ELASTIC`` after the event at which the pending list of the field
reached its capacity; the Python layer refreshes the field (one FFT) and calls again. The
trajectory depends on events only, never on where calls stop.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np
from numba import njit

from . import elastic_thinning as th
from .bias import draw_state_biased
from .elastic_kernels import ElasticState, _wrap, fine_coords, local_stress_at, record_event
from .kernels import annihilate_smd, drift_to, stress_now, unload_crossing
from .lattice import neighbour
from .layout import (
    C_ALL,
    C_ANN,
    C_BETA,
    C_COAL,
    C_HIST,
    C_NULL,
    C_SMD,
    COAL_HIST,
    STATUS_EVENTS,
    STATUS_NO_EVENTS,
    STATUS_TIME,
    STATUS_UNLOADED,
    STRESS,
    SUM_BETA,
    SUM_PLASTIC,
    SUM_SMD,
    UNLOAD,
)
from .rates import growth_probability
from .rng import uniform, uniform_open
from .sumtree import tree_find

__all__ = ["EngineField", "STATUS_ELASTIC", "run_until_elastic", "footprint_stress",
           "PROBE_FIELDS", "plastic_self", "query_all"]

#: return code of :func:`run_until_elastic`: the field needs a refresh before the next event
STATUS_ELASTIC = 4

#: the field of the engine: :data:`.elastic_kernels.ElasticState` plus the full propagator
#: table (for the SMD's own-footprint term), a scratch list and the probe of the last event
EngineField = namedtuple("EngineField", [
    "eps", "phi", "tot", "pend_site", "pend_xyz", "pend_de", "pend_n", "seen", "near_off",
    "near_val", "near_lin", "far_table", "basis_fine", "geom", "coef",   # as ElasticState
    "full_table",  # float 3D: K on the fine grid, self-term included (eshelby.Propagator.table)
    "fp_buf",      # int32[128]: the footprint of the SMD before its event
    "ann_site",    # int32[128]: the footprint of an SMD being annihilated (series rule)
    "ann_old",     # float64[128]: the plastic strain of those sites before the deposit
    "probe",       # float64[4]: last event: site, local stress, SMD stress, applied stress
])
assert EngineField._fields[:len(ElasticState._fields)] == ElasticState._fields

PROBE_FIELDS = ("site", "local_stress_MPa", "smd_stress_MPa", "applied_stress_MPa")


@njit(cache=True, inline="always")
def footprint_stress(j, share, S, EF):
    """Stress (MPa) at nucleus j from the other sites of its own footprint, each carrying
    the eigenstrain ``share`` (propagator plus the uniform shift of :mod:`.elastic_kernels`).

    Parameters
    ----------
    j : int
        Nucleus of the SMD.
    share : float
        Eigenstrain of each footprint site from this SMD.
    S : Sites
        The site arrays (footprint lists).
    EF : EngineField
        The field.

    Returns
    -------
    float
        The stress (MPa).
    """
    n = EF.geom[4]
    fold = EF.geom[5] == 1
    T = EF.full_table
    jx, jy, jz = fine_coords(j, EF)
    acc = 0.0
    m = S.fp_next[j]
    while m != -1:
        mx, my, mz = fine_coords(m, EF)
        acc += (T[_wrap(jx - mx, n, fold), _wrap(jy - my, n, fold), _wrap(jz - mz, n, fold)]
                + EF.coef[0]) * share
        m = S.fp_next[m]
    return acc


@njit(cache=True, inline="always")
def plastic_self(j, S, EF):
    """Plastic self-term (MPa) at site j: ``K(0) N/(N - 1) (p_j - mean p)``.

    The plastic (unbounded) eigenstrain keeps the Eshelby self-stress of its own site, as in
    elastoplastic models: a deposit of ``dp`` at j lowers the stress at j by ``|K(0)| dp``
    (the restoring force), while the two-state parts keep their self-term excluded (their
    own back-stress is in their two-state law). Added to :func:`.elastic_kernels.local_stress_at`,
    it turns the plastic part of the field from ``sum_{k != j} (K + s) p_k`` into the physical
    ``sum_k K(r_j - r_k) p_k``, whose mean over the sites is 0 (K(q = 0) = 0): the mean local
    stress stays the applied stress. ``p_j`` is the engine's float32 store ``S.eps_p`` (exact in
    float64); ``EF.tot[2]`` holds the float64 sum of those values (docs/kmc_elastic.md 6.9).

    Parameters
    ----------
    j : int
        The site.
    S : Sites
        The site arrays (``eps_p``).
    EF : EngineField
        The field (``coef[3] = K(0) N/(N - 1)``, ``tot[2]``).

    Returns
    -------
    float
        The stress (MPa).
    """
    return EF.coef[3] * (np.float64(S.eps_p[j]) - EF.tot[2] / S.eps_p.shape[0])


@njit(cache=True, inline="always")
def _annihilate(j, t, S, C, K, EF, TH, thin):
    """:func:`.kernels.annihilate_smd` on the groups (series rule), keeping ``EF.tot[2]``.

    The footprint's share goes from the two-state part to the plastic part of the same sites:
    the eigenstrain is unchanged (nothing is recorded), the plastic self-term changes. The
    change of the float32 store is computed as :func:`.kernels.release_footprint` rounds it.
    With ``thin`` the plastic change of every footprint site enters its stress bound.
    """
    if S.smd[j] == 0:
        return annihilate_smd(j, t, S.smd, S.fp_size, S.owner, S.fp_next, S.eps_p, S.last_smd,
                              K.sums, C.calib.d_an)
    n = 0
    m = j
    while m != -1:      # the footprint and its plastic strain before the deposit
        EF.ann_site[n] = m
        EF.ann_old[n] = np.float64(S.eps_p[m])
        n += 1
        m = S.fp_next[m]
    out = annihilate_smd(j, t, S.smd, S.fp_size, S.owner, S.fp_next, S.eps_p, S.last_smd,
                         K.sums, C.calib.d_an)
    acc = 0.0
    for i in range(n):
        dp = np.float64(S.eps_p[EF.ann_site[i]]) - EF.ann_old[i]
        acc += dp
        if thin:
            th.record_change(EF.ann_site[i], 0.0, dp, S, C, TH, EF.eps)
    EF.tot[2] += acc
    return out


@njit(cache=True, inline="always")
def _coalesce(j, k, t, S, C, K, EF, TH, thin):
    size = min(int(S.fp_size[j]) + int(S.fp_size[k]), COAL_HIST - 1)
    K.counts[C_HIST + size] += 1
    _annihilate(j, t, S, C, K, EF, TH, thin)
    _annihilate(k, t, S, C, K, EF, TH, thin)
    K.counts[C_COAL] += 1


@njit(cache=True, inline="always")
def _grow(j, t, S, C, K, EF, TH, thin):
    """:func:`.kernels.grow_footprint`, draw for draw, returning the recruited site (-1: none)."""
    if S.fp_size[j] >= C.rules.fp_max:
        return -1
    g = C.geom
    r = int(uniform(K.rng) * S.fp_size[j])
    m = j
    for _ in range(r):
        m = S.fp_next[m]
    k = int(uniform(K.rng) * g.z)
    s = neighbour(m, k, g.L, g.dim, g.nb, S.offsets)
    own = S.owner[s]
    if own == j:
        return -1
    if own != -1:
        if C.rules.coalescence and S.smd[own] != 0:
            _coalesce(j, own, t, S, C, K, EF, TH, thin)
        return -1
    S.owner[s] = j
    S.fp_next[s] = S.fp_next[j]
    S.fp_next[j] = s
    S.fp_size[j] += 1
    if C.rules.coalescence:
        for kk in range(g.z):
            s2 = neighbour(s, kk, g.L, g.dim, g.nb, S.offsets)
            o2 = S.owner[s2]
            if o2 != -1 and o2 != j and S.smd[o2] != 0:
                _coalesce(j, o2, t, S, C, K, EF, TH, thin)
                return s
    return s


@njit(cache=True, inline="always")
def _smd_event(j, t, sig_site, S, C, K, EF, TH, thin):
    """:func:`.kernels.smd_event` at the SMD's local stress, recording the eigenstrain changes.
    Returns 1 if the field asks for a refresh.
    """
    cal = C.calib
    a0 = S.smd[j]
    f0 = int(S.fp_size[j])
    share0 = cal.d_an * a0 / f0
    sig = sig_site
    if a0 != 0 and f0 > 1:
        sig -= footprint_stress(j, share0, S, EF)
    EF.probe[2] = sig
    new = draw_state_biased(K.rng, sig, cal.sig_sat_an, cal.bias_law)
    K.work[0] += sig * cal.d_an * (new - a0) * cal.inv_N
    K.sums[SUM_SMD] += new - a0
    S.smd[j] = new
    K.counts[C_SMD] += 1
    m = j
    i = 0
    while m != -1:      # the footprint before growth
        EF.fp_buf[i] = m
        i += 1
        m = S.fp_next[m]
    grown = -1
    if C.rules.series and C.rules.fp_max > 1:
        p_grow = growth_probability(j, S, C) if C.rules.growth else 1.0
        if p_grow >= 1.0 or uniform(K.rng) < p_grow:
            grown = _grow(j, t, S, C, K, EF, TH, thin)
    if S.smd[j] != 0:
        m = j
        while m != -1:
            S.last_smd[m] = t
            m = S.fp_next[m]
    f1 = f0 + 1 if grown >= 0 else f0
    share1 = cal.d_an * new / f1
    de = share1 - share0
    full = 0
    for i in range(f0):
        full |= record_event(EF.fp_buf[i], de, EF)
        if thin:
            th.record_change(EF.fp_buf[i], de, 0.0, S, C, TH, EF.eps)
    if grown >= 0:
        full |= record_event(grown, share1, EF)
        if thin:
            th.record_change(grown, share1, 0.0, S, C, TH, EF.eps)
    return full


@njit(cache=True, nogil=True)
def run_until_elastic(S, C, K, EF, exact, TH, thin):
    """:func:`.kernels.run_until` with every unit biased by the local stress at its site.

    Parameters
    ----------
    S, C, K : Sites, Control, Clock
        The kernels' groups (:mod:`.layout`).
    EF : EngineField
        The interaction field (eigenstrains, interaction stress, pending changes).
    exact : int
        1: the local stress is exact at every event; 0: the far field of the changes since
        the last refresh is replaced by its mean (:func:`.elastic_kernels.local_stress_at`).
    TH : ThinState
        The thinning state (:mod:`.elastic_thinning`); unused when ``thin`` is 0.
    thin : int
        1: stress-dependent rates by thinning (the leaves of the sum tree are bounds, a
        candidate is accepted with the rates at its exact local stress, docs/kmc_elastic.md
        6.10); 0: the rates of :func:`.kernels.run_until`, the same bytes as before.

    Returns
    -------
    int
        A status of :func:`.kernels.run_until`, or ``STATUS_ELASTIC`` (refresh, then call
        again; with ``thin`` also when the epoch of the bounds has ended).
    """
    t_stop = C.t_stop
    drift = C.calib.k_fast != 0.0
    cal = C.calib
    unload = C.law.control == UNLOAD
    n_sites = S.kind.shape[0]
    n = 0
    while True:
        if n >= C.max_events:
            return STATUS_EVENTS
        total = S.top[1]
        if math.isnan(K.t_next[0]) and total > 0.0:
            if thin:
                # the bounds hold while the global part stays below the margin: until T_lim
                g0 = th.global_part(TH, EF.tot[2], n_sites, stress_now(K.t[0], C, K))
                if g0 > TH.st[th.MARGIN]:
                    TH.st[th.NEED] = 1.0
                    return STATUS_ELASTIC
                rate = th.app_rate_bound(C.law, cal, TH, C.law.control == STRESS)
                TH.st[th.T_LIM] = K.t[0] + (TH.st[th.MARGIN] - g0) / rate if rate > 0.0 \
                    else math.inf
            K.t_next[0] = K.t[0] - math.log(uniform_open(K.rng)) / total
        t_new = K.t_next[0] if total > 0.0 else math.inf
        t_star = math.inf
        if unload:
            t_star = unload_crossing(C.law, C.calib, K.sums, K.frozen)
        if thin:
            lim = TH.st[th.T_LIM]
            if lim < t_new and lim < t_star and lim < t_stop:
                # the candidate lies beyond the time the bounds hold: discard it (memoryless)
                if drift:
                    drift_to(lim, K.t[0], C.law, C.calib, K.sums, K.frozen)
                K.t[0] = max(lim, K.t[0])
                K.t_next[0] = math.nan
                TH.st[th.NEED] = 1.0
                TH.cnt[th.N_TLIM] += 1
                return STATUS_ELASTIC
        if unload:
            if t_star <= t_new:
                K.t[0] = max(t_star, K.t[0])
                K.t_next[0] = math.nan
                return STATUS_UNLOADED
        if total <= 0.0:
            if drift:
                drift_to(t_stop, K.t[0], C.law, C.calib, K.sums, K.frozen)
            K.t[0] = t_stop
            return STATUS_NO_EVENTS
        if t_new >= t_stop:
            if drift:
                drift_to(t_stop, K.t[0], C.law, C.calib, K.sums, K.frozen)
            K.t[0] = t_stop
            return STATUS_TIME
        if drift:
            drift_to(t_new, K.t[0], C.law, C.calib, K.sums, K.frozen)
        K.t[0] = t_new
        K.t_next[0] = math.nan
        j = tree_find(S.top, S.leaves, uniform(K.rng) * total)
        # --- the event at site j, at the local stress
        sig_app = stress_now(t_new, C, K)
        sig = local_stress_at(j, sig_app, EF, exact) + plastic_self(j, S, EF)
        EF.probe[0] = j
        EF.probe[1] = sig
        EF.probe[2] = math.nan
        EF.probe[3] = sig_app
        full = 0
        if thin:
            g = th.global_part(TH, EF.tot[2], n_sites, sig_app)
            r_dyn, r_ann, q, leaf = th.candidate(j, sig, g, S, C, TH)
            u = uniform(K.rng) * leaf
            ev = 0 if u < r_ann else (1 if u < r_ann + r_dyn else 2)
        else:
            ev = 0 if uniform(K.rng) < S.event_probs[j, 0] else 1
            q = S.event_probs[j, 1]
        if ev == 2:     # a null event of the thinning: only the time has moved
            TH.cnt[th.N_NULL] += 1
            n += 1
            continue
        if ev == 0:
            if C.rules.series:
                if _annihilate(j, t_new, S, C, K, EF, TH, thin):
                    K.counts[C_ANN] += 1
                else:
                    K.counts[C_NULL] += 1
            else:
                new = draw_state_biased(K.rng, sig, cal.sig_sat_p, cal.bias_law)
                K.sums[SUM_PLASTIC] += new
                # numba's float() of a float32 stays float32: widen explicitly (exact)
                old_p = np.float64(S.eps_p[j])
                S.eps_p[j] = old_p + cal.d_p * new
                dp = np.float64(S.eps_p[j]) - old_p
                EF.tot[2] += dp
                K.counts[C_ANN] += 1
                full |= record_event(j, cal.d_p * new, EF)
                if thin:
                    th.record_change(j, cal.d_p * new, dp, S, C, TH, EF.eps)
        elif S.elim[j] == 0:
            new = draw_state_biased(K.rng, sig, cal.sig_sat_beta, cal.bias_law)
            old = S.beta[j]
            K.sums[SUM_BETA] += new - old
            S.beta[j] = new
            K.counts[C_BETA] += 1
            # a site's own change does not act on it: sig stays the stress at j
            de = cal.d_beta * (new - old)
            full |= record_event(j, de, EF)
            if thin:
                th.record_change(j, de, 0.0, S, C, TH, EF.eps)
            if uniform(K.rng) < q:
                full |= _smd_event(j, t_new, sig, S, C, K, EF, TH, thin)
        else:
            full |= _smd_event(j, t_new, sig, S, C, K, EF, TH, thin)
        K.counts[C_ALL] += 1
        n += 1
        if full:
            return STATUS_ELASTIC


@njit(cache=True)
def query_all(S, EF, sigma_applied, exact, out):
    """Fill ``out`` with the local stress the loop would use at every site now (MPa).

    In exact mode this folds every site's pending far field into its stress, as a query
    at an event does (the state stays exact; tests compare it with a fresh FFT).

    Parameters
    ----------
    S : Sites
        The site arrays (the plastic strain of the self-term, :func:`plastic_self`).
    EF : EngineField
        The field.
    sigma_applied : float
        Applied stress (MPa).
    exact : int
        Query mode (:func:`.elastic_kernels.local_stress_at`).
    out : numpy.ndarray
        float64 (N,), filled.
    """
    for j in range(out.shape[0]):
        out[j] = local_stress_at(j, sigma_applied, EF, exact) + plastic_self(j, S, EF)
