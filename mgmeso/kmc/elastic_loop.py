"""The kMC event loop with elastic interactions (docs/kmc_elastic.md section 6). Pure numba kernels.

:func:`run_until_elastic` is :func:`.kernels.run_until` with one difference: every unit
drawn at an event is biased by the **local stress** at the event site (applied stress plus
the interaction stress of the eigenstrains of all other sites, :mod:`.elastic_pending`),
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
from .elastic_pending import local_stress_flat, record_flat
from .elastic_state import ElasticState, _fine, _wrap
from .kernels import annihilate_smd, drift_to, stress_at, unload_crossing
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
from .rates import growth_probability_of
from .rng import uniform, uniform_open
from .sumtree import PREFETCH_BLOCKS, tree_find, tree_find_far

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


#: journal of the thinning's records within one event (site, eigenstrain change, plastic change)
_JOURNAL = 512


@njit(cache=True, inline="always")
def _fp_stress(j, share, fp_next, T, geom, basis_fine, coef):
    # footprint_stress on plain arrays
    n = geom[4]
    fold = geom[5] == 1
    jx, jy, jz = _fine(j, geom, basis_fine)
    acc = 0.0
    m = fp_next[j]
    while m != -1:
        mx, my, mz = _fine(m, geom, basis_fine)
        acc += (T[_wrap(jx - mx, n, fold), _wrap(jy - my, n, fold), _wrap(jz - mz, n, fold)]
                + coef[0]) * share
        m = fp_next[m]
    return acc


@njit(cache=True)
def footprint_stress(j, share, S, EF):
    """Stress (MPa) at nucleus j from the other sites of its own footprint, each carrying
    the eigenstrain ``share`` (propagator plus the uniform shift of :mod:`.elastic_pending`).

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
    return _fp_stress(j, share, S.fp_next, EF.full_table, EF.geom, EF.basis_fine, EF.coef)


@njit(cache=True)
def plastic_self(j, S, EF):
    """Plastic self-term (MPa) at site j: ``K(0) N/(N - 1) (p_j - mean p)``.

    The plastic (unbounded) eigenstrain keeps the Eshelby self-stress of its own site, as in
    elastoplastic models: a deposit of ``dp`` at j lowers the stress at j by ``|K(0)| dp``
    (the restoring force), while the two-state parts keep their self-term excluded (their
    own back-stress is in their two-state law). Added to :func:`.elastic_pending.local_stress_at`,
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
def _journal(k, de, dp, jn_site, jn_de, jn_dp, jn_n):
    # the thinning's record of a change, replayed in order after the event (the records touch
    # only the thinning state and the tree, which the rest of an event does not read)
    i = jn_n[0]
    jn_site[i] = k
    jn_de[i] = de
    jn_dp[i] = dp
    jn_n[0] = i + 1


@njit(cache=True, inline="always")
def _annihilate(j, t, smd, fp_size, owner, fp_next, eps_p, last_smd, sums, d_an, ann_site,
                ann_old, tot, thin, jn_site, jn_de, jn_dp, jn_n):
    """:func:`.kernels.annihilate_smd` (series rule), keeping ``tot[2]``.

    The footprint's share goes from the two-state part to the plastic part of the same sites:
    the eigenstrain is unchanged (nothing is recorded), the plastic self-term changes. The
    change of the float32 store is computed as :func:`.kernels.release_footprint` rounds it.
    With ``thin`` the plastic change of every footprint site enters its stress bound.
    """
    if smd[j] == 0:
        return annihilate_smd(j, t, smd, fp_size, owner, fp_next, eps_p, last_smd, sums, d_an)
    n = 0
    m = j
    while m != -1:      # the footprint and its plastic strain before the deposit
        ann_site[n] = m
        ann_old[n] = np.float64(eps_p[m])
        n += 1
        m = fp_next[m]
    out = annihilate_smd(j, t, smd, fp_size, owner, fp_next, eps_p, last_smd, sums, d_an)
    acc = 0.0
    for i in range(n):
        dp = np.float64(eps_p[ann_site[i]]) - ann_old[i]
        acc += dp
        if thin:
            _journal(ann_site[i], 0.0, dp, jn_site, jn_de, jn_dp, jn_n)
    tot[2] += acc
    return out


@njit(cache=True)
def _coalesce(j, k, t, smd, fp_size, owner, fp_next, eps_p, last_smd, sums, counts, d_an,
              ann_site, ann_old, tot, thin, jn_site, jn_de, jn_dp, jn_n):
    # rare (about 1e-4 per event in the mesoscale configuration): not inlined
    size = min(int(fp_size[j]) + int(fp_size[k]), COAL_HIST - 1)
    counts[C_HIST + size] += 1
    _annihilate(j, t, smd, fp_size, owner, fp_next, eps_p, last_smd, sums, d_an, ann_site,
                ann_old, tot, thin, jn_site, jn_de, jn_dp, jn_n)
    _annihilate(k, t, smd, fp_size, owner, fp_next, eps_p, last_smd, sums, d_an, ann_site,
                ann_old, tot, thin, jn_site, jn_de, jn_dp, jn_n)
    counts[C_COAL] += 1


@njit(cache=True, inline="always")
def _grow(j, t, smd, fp_size, owner, fp_next, eps_p, last_smd, offsets, rng, sums, counts,
          cal, rules, gm, ann_site, ann_old, tot, thin, jn_site, jn_de, jn_dp, jn_n):
    """:func:`.kernels.grow_footprint`, draw for draw, returning the recruited site (-1: none)."""
    if fp_size[j] >= rules.fp_max:
        return -1
    r = int(uniform(rng) * fp_size[j])
    m = j
    for _ in range(r):
        m = fp_next[m]
    k = int(uniform(rng) * gm.z)
    s = neighbour(m, k, gm.L, gm.dim, gm.nb, offsets)
    own = owner[s]
    if own == j:
        return -1
    if own != -1:
        if rules.coalescence and smd[own] != 0:
            _coalesce(j, own, t, smd, fp_size, owner, fp_next, eps_p, last_smd, sums, counts,
                      cal.d_an, ann_site, ann_old, tot, thin, jn_site, jn_de, jn_dp, jn_n)
        return -1
    owner[s] = j
    fp_next[s] = fp_next[j]
    fp_next[j] = s
    fp_size[j] += 1
    if rules.coalescence:
        for kk in range(gm.z):
            s2 = neighbour(s, kk, gm.L, gm.dim, gm.nb, offsets)
            o2 = owner[s2]
            if o2 != -1 and o2 != j and smd[o2] != 0:
                _coalesce(j, o2, t, smd, fp_size, owner, fp_next, eps_p, last_smd, sums,
                          counts, cal.d_an, ann_site, ann_old, tot, thin, jn_site, jn_de,
                          jn_dp, jn_n)
                return s
    return s


@njit(cache=True, inline="always")
def _smd_event(j, t, sig, smd, fp_size, owner, fp_next, eps_p, last_smd, offsets, rng, sums,
               work, counts, cal, rules, gm, p_grow, fp_buf, ann_site, ann_old, tot, thin,
               jn_site, jn_de, jn_dp, jn_n):
    """:func:`.kernels.smd_event` at the SMD's stress ``sig`` (its own footprint's part
    removed by the caller), ``p_grow`` the growth probability. Leaves the footprint before
    growth in ``fp_buf`` and returns its size, the recruited site (-1: none), the change of
    each old footprint site's eigenstrain and the recruited site's; the caller records them.
    """
    a0 = smd[j]
    f0 = int(fp_size[j])
    share0 = cal.d_an * a0 / f0
    new = draw_state_biased(rng, sig, cal.sig_sat_an, cal.bias_law)
    work[0] += sig * cal.d_an * (new - a0) * cal.inv_N
    sums[SUM_SMD] += new - a0
    smd[j] = new
    counts[C_SMD] += 1
    m = j
    i = 0
    while m != -1:      # the footprint before growth
        fp_buf[i] = m
        i += 1
        m = fp_next[m]
    grown = -1
    if rules.series and rules.fp_max > 1:
        if p_grow >= 1.0 or uniform(rng) < p_grow:
            grown = _grow(j, t, smd, fp_size, owner, fp_next, eps_p, last_smd, offsets, rng,
                          sums, counts, cal, rules, gm, ann_site, ann_old, tot, thin, jn_site,
                          jn_de, jn_dp, jn_n)
    if smd[j] != 0:
        m = j
        while m != -1:
            last_smd[m] = t
            m = fp_next[m]
    f1 = f0 + 1 if grown >= 0 else f0
    share1 = cal.d_an * new / f1
    return f0, grown, share1 - share0, share1


@njit(cache=True)
def _replay(jn_site, jn_de, jn_dp, jn_n, eps, eps_p, e_ref, p_ref, c, nacc, bnd, cnt, near_off,
            near_abs, sgeom, kind, top, leaves, elim, log_tb, log_tb_hier, chi, log_S, times, rules,
            st, sig_sat_p):
    # the thinning's records of one event, in the order the event made them
    for i in range(jn_n[0]):
        th.record_change_flat(jn_site[i], jn_de[i], jn_dp[i], eps, eps_p, e_ref, p_ref, c, nacc, bnd, cnt,
                              near_off, near_abs, sgeom, kind, top, leaves, elim, log_tb, log_tb_hier, chi,
                              log_S, times, rules, st, sig_sat_p)
    jn_n[0] = 0


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
        the last refresh is replaced by its mean (:func:`.elastic_pending.local_stress_at`).
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
    # Every array is taken out of the groups once, here (as in kernels.run_until): the
    # per-event functions receive plain arrays. Binding a group of arrays to a function
    # argument, even an inlined one, counts a reference of each of its arrays (atomic).
    elim, beta, smd, fp_size, owner, fp_next = S.elim, S.beta, S.smd, S.fp_size, S.owner, S.fp_next
    eps_p, last_smd, probs, offsets = S.eps_p, S.last_smd, S.event_probs, S.offsets
    top, leaves = S.top, S.leaves
    log_tb, log_tb_hier, chi, log_S = S.log_tb, S.log_tb_hier, S.chi, S.log_S
    rng, clock, t_next, sums, frozen, work, counts = K.rng, K.t, K.t_next, K.sums, K.frozen, K.work, K.counts
    law, cal, rules, gm, times = C.law, C.calib, C.rules, C.geom, C.times
    eps, phi, tot, pend_n, seen = EF.eps, EF.phi, EF.tot, EF.pend_n, EF.seen
    pend_site, pend_xyz, pend_de = EF.pend_site, EF.pend_xyz, EF.pend_de
    near_off, near_val, near_lin, geom, coef = EF.near_off, EF.near_val, EF.near_lin, EF.geom, EF.coef
    basis_fine, full_table, probe = EF.basis_fine, EF.full_table, EF.probe
    fp_buf, ann_site, ann_old = EF.fp_buf, EF.ann_site, EF.ann_old
    T = EF.far_table
    flat = T.reshape(T.size)
    S1, S2 = np.int32(T.shape[1]), np.int32(T.shape[2])
    n_hard = pend_site.shape[0]
    jn_site = np.zeros(_JOURNAL, np.int32)
    jn_de = np.zeros(_JOURNAL)
    jn_dp = np.zeros(_JOURNAL)
    jn_n = np.zeros(1, np.int64)
    kind = S.kind
    c_t, nacc_t, bnd_t, e_ref, p_ref = TH.c, TH.nacc, TH.bnd, TH.e_ref, TH.p_ref
    st_t, cnt_t, noff_t, nabs_t, sgeom_t = TH.st, TH.cnt, TH.near_off, TH.near_abs, TH.sgeom
    t_stop = C.t_stop
    drift = cal.k_fast != 0.0
    unload = law.control == UNLOAD
    n_sites = S.kind.shape[0]
    footprints = rules.series and rules.fp_max > 1
    far = top.size // 2 >= PREFETCH_BLOCKS   # the tree beyond the L2 cache (same leaf, faster)
    n = 0
    while True:
        if n >= C.max_events:
            return STATUS_EVENTS
        total = top[1]
        if math.isnan(t_next[0]) and total > 0.0:
            if thin:
                # the bounds hold while the global part stays below the margin: until T_lim
                g0 = th.global_flat(st_t, tot[2], n_sites, stress_at(clock[0], law, cal, sums, frozen))
                if g0 > st_t[th.MARGIN]:
                    st_t[th.NEED] = 1.0
                    return STATUS_ELASTIC
                rate = th.app_rate_flat(law, cal, st_t, law.control == STRESS)
                st_t[th.T_LIM] = clock[0] + (st_t[th.MARGIN] - g0) / rate if rate > 0.0 \
                    else math.inf
            t_next[0] = clock[0] - math.log(uniform_open(rng)) / total
        t_new = t_next[0] if total > 0.0 else math.inf
        t_star = math.inf
        if unload:
            t_star = unload_crossing(law, cal, sums, frozen)
        if thin:
            lim = st_t[th.T_LIM]
            if lim < t_new and lim < t_star and lim < t_stop:
                # the candidate lies beyond the time the bounds hold: discard it (memoryless)
                if drift:
                    drift_to(lim, clock[0], law, cal, sums, frozen)
                clock[0] = max(lim, clock[0])
                t_next[0] = math.nan
                st_t[th.NEED] = 1.0
                cnt_t[th.N_TLIM] += 1
                return STATUS_ELASTIC
        if unload:
            if t_star <= t_new:
                clock[0] = max(t_star, clock[0])
                t_next[0] = math.nan
                return STATUS_UNLOADED
        if total <= 0.0:
            if drift:
                drift_to(t_stop, clock[0], law, cal, sums, frozen)
            clock[0] = t_stop
            return STATUS_NO_EVENTS
        if t_new >= t_stop:
            if drift:
                drift_to(t_stop, clock[0], law, cal, sums, frozen)
            clock[0] = t_stop
            return STATUS_TIME
        if drift:
            drift_to(t_new, clock[0], law, cal, sums, frozen)
        clock[0] = t_new
        t_next[0] = math.nan
        u = uniform(rng) * total
        j = tree_find_far(top, leaves, u) if far else tree_find(top, leaves, u)
        # --- the event at site j, at the local stress (plus the plastic self-term)
        sig_app = stress_at(t_new, law, cal, sums, frozen)
        sig = local_stress_flat(j, sig_app, exact, phi, eps, tot, coef, pend_n, n_hard, geom,
                                basis_fine, flat, S1, S2, pend_xyz, pend_de) \
            + coef[3] * (np.float64(eps_p[j]) - tot[2] / n_sites)
        probe[0] = j
        probe[1] = sig
        probe[2] = math.nan
        probe[3] = sig_app
        full = 0
        if thin:
            g = th.global_flat(st_t, tot[2], n_sites, sig_app)
            r_dyn, r_ann, q, leaf = th.candidate_flat(j, sig, g, c_t, nacc_t, bnd_t, cnt_t, kind, top, leaves,
                                                      elim, log_tb, log_tb_hier, chi, log_S, times, rules,
                                                      st_t, cal.sig_sat_p)
            u = uniform(rng) * leaf
            ev = 0 if u < r_ann else (1 if u < r_ann + r_dyn else 2)
        else:
            ev = 0 if uniform(rng) < probs[j, 0] else 1
            q = probs[j, 1]
        if ev == 2:     # a null event of the thinning: only the time has moved
            cnt_t[th.N_NULL] += 1
            n += 1
            continue
        smd_now = False
        if ev == 0:
            if rules.series:
                if _annihilate(j, t_new, smd, fp_size, owner, fp_next, eps_p, last_smd, sums,
                               cal.d_an, ann_site, ann_old, tot, thin, jn_site, jn_de, jn_dp,
                               jn_n):
                    counts[C_ANN] += 1
                else:
                    counts[C_NULL] += 1
                if thin and jn_n[0] > 0:
                    _replay(jn_site, jn_de, jn_dp, jn_n, eps, eps_p, e_ref, p_ref, c_t, nacc_t, bnd_t, cnt_t,
                            noff_t, nabs_t, sgeom_t, kind, top, leaves, elim, log_tb, log_tb_hier, chi,
                            log_S, times, rules, st_t, cal.sig_sat_p)
            else:
                new = draw_state_biased(rng, sig, cal.sig_sat_p, cal.bias_law)
                sums[SUM_PLASTIC] += new
                # numba's float() of a float32 stays float32: widen explicitly (exact)
                old_p = np.float64(eps_p[j])
                eps_p[j] = old_p + cal.d_p * new
                dp = np.float64(eps_p[j]) - old_p
                tot[2] += dp
                counts[C_ANN] += 1
                full |= record_flat(j, cal.d_p * new, eps, tot, phi, pend_n, pend_site, pend_xyz,
                                    pend_de, seen, geom, basis_fine, near_off, near_val, near_lin)
                if thin:
                    th.record_change_flat(j, cal.d_p * new, dp, eps, eps_p, e_ref, p_ref, c_t, nacc_t, bnd_t,
                                          cnt_t, noff_t, nabs_t, sgeom_t, kind, top, leaves, elim, log_tb,
                                          log_tb_hier, chi, log_S, times, rules, st_t, cal.sig_sat_p)
        elif elim[j] == 0:
            new = draw_state_biased(rng, sig, cal.sig_sat_beta, cal.bias_law)
            old = beta[j]
            sums[SUM_BETA] += new - old
            beta[j] = new
            counts[C_BETA] += 1
            # a site's own change does not act on it: sig stays the stress at j
            de = cal.d_beta * (new - old)
            full |= record_flat(j, de, eps, tot, phi, pend_n, pend_site, pend_xyz, pend_de, seen,
                                geom, basis_fine, near_off, near_val, near_lin)
            if thin:
                th.record_change_flat(j, de, 0.0, eps, eps_p, e_ref, p_ref, c_t, nacc_t, bnd_t, cnt_t, noff_t,
                                      nabs_t, sgeom_t, kind, top, leaves, elim, log_tb, log_tb_hier, chi,
                                      log_S, times, rules, st_t, cal.sig_sat_p)
            smd_now = uniform(rng) < q
        else:
            smd_now = True
        if smd_now:
            # the SMD unit: the stress at its nucleus minus that of its own footprint
            sig_smd = sig
            f0 = int(fp_size[j])
            if smd[j] != 0 and f0 > 1:
                sig_smd -= _fp_stress(j, cal.d_an * smd[j] / f0, fp_next, full_table, geom,
                                      basis_fine, coef)
            probe[2] = sig_smd
            p_grow = 1.0
            if footprints and rules.growth:
                p_grow = growth_probability_of(j, log_tb, log_tb_hier, chi, log_S, times, rules)
            f0, grown, de, share1 = _smd_event(j, t_new, sig_smd, smd, fp_size, owner, fp_next,
                                               eps_p, last_smd, offsets, rng, sums, work, counts,
                                               cal, rules, gm, p_grow, fp_buf, ann_site, ann_old,
                                               tot, thin, jn_site, jn_de, jn_dp, jn_n)
            if thin and jn_n[0] > 0:     # the coalescence's plastic changes come first
                _replay(jn_site, jn_de, jn_dp, jn_n, eps, eps_p, e_ref, p_ref, c_t, nacc_t, bnd_t, cnt_t,
                        noff_t, nabs_t, sgeom_t, kind, top, leaves, elim, log_tb, log_tb_hier, chi,
                        log_S, times, rules, st_t, cal.sig_sat_p)
            for i in range(f0):
                k = fp_buf[i]
                full |= record_flat(k, de, eps, tot, phi, pend_n, pend_site, pend_xyz, pend_de,
                                    seen, geom, basis_fine, near_off, near_val, near_lin)
                if thin:
                    th.record_change_flat(k, de, 0.0, eps, eps_p, e_ref, p_ref, c_t, nacc_t, bnd_t, cnt_t,
                                          noff_t, nabs_t, sgeom_t, kind, top, leaves, elim, log_tb,
                                          log_tb_hier, chi, log_S, times, rules, st_t, cal.sig_sat_p)
            if grown >= 0:
                full |= record_flat(grown, share1, eps, tot, phi, pend_n, pend_site, pend_xyz,
                                    pend_de, seen, geom, basis_fine, near_off, near_val, near_lin)
                if thin:
                    th.record_change_flat(grown, share1, 0.0, eps, eps_p, e_ref, p_ref, c_t, nacc_t, bnd_t,
                                          cnt_t, noff_t, nabs_t, sgeom_t, kind, top, leaves, elim, log_tb,
                                          log_tb_hier, chi, log_S, times, rules, st_t, cal.sig_sat_p)
        counts[C_ALL] += 1
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
        Query mode (:func:`.elastic_pending.local_stress_at`).
    out : numpy.ndarray
        float64 (N,), filled.
    """
    eps_p, eps, phi, tot, coef, pend_n = S.eps_p, EF.eps, EF.phi, EF.tot, EF.coef, EF.pend_n
    T = EF.far_table
    flat = T.reshape(T.size)
    S1, S2 = np.int32(T.shape[1]), np.int32(T.shape[2])
    n_hard = EF.pend_site.shape[0]
    n_sites = eps_p.shape[0]
    for j in range(out.shape[0]):
        out[j] = local_stress_flat(j, sigma_applied, exact, phi, eps, tot, coef, pend_n, n_hard,
                                   EF.geom, EF.basis_fine, flat, S1, S2, EF.pend_xyz, EF.pend_de) \
            + coef[3] * (np.float64(eps_p[j]) - tot[2] / n_sites)
