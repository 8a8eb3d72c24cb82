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
from .elastic_events import (
    JOURNAL,
    footprint_stress,
    footprint_stress_flat,
    plastic_self,
    replay_journal,
    settle_log,
    smd_event_flat,
)
from .elastic_pending import local_stress_flat, record_flat
from .elastic_state import ElasticState
from .kernels import annihilate_logged, drift_to, stress_at, unload_crossing
from .layout import (
    C_ALL,
    C_ANN,
    C_BETA,
    C_NULL,
    STATUS_EVENTS,
    STATUS_NO_EVENTS,
    STATUS_TIME,
    STATUS_UNLOADED,
    STRESS,
    SUM_BETA,
    SUM_PLASTIC,
    UNLOAD,
)
from .prefetch import prefetch
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
    "q_far", "q_pos", "chg_xyz", "chg_de",                               # as ElasticState
    "full_table",  # float 3D: K on the fine grid, self-term included (eshelby.Propagator.table)
    "fp_buf",      # int32[128]: the footprint of the SMD before its event
    "probe",       # float64[4]: last event: site, local stress, SMD stress, applied stress
])
assert EngineField._fields[:len(ElasticState._fields)] == ElasticState._fields

PROBE_FIELDS = ("site", "local_stress_MPa", "smd_stress_MPa", "applied_stress_MPa")


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
    fp_buf = EF.fp_buf
    q_far, q_pos, chg_xyz, chg_de = EF.q_far, EF.q_pos, EF.chg_xyz, EF.chg_de
    T = EF.far_table
    flat = T.reshape(T.size)
    S1, S2 = np.int32(T.shape[1]), np.int32(T.shape[2])
    n_hard = pend_site.shape[0]
    idx = np.empty(n_hard, np.int32)     # scratch of the exact query's table indices
    jn_site = np.zeros(JOURNAL, np.int32)
    jn_de = np.zeros(JOURNAL)
    jn_dp = np.zeros(JOURNAL)
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
        # --- the event at site j, at the local stress (plus the plastic self-term). Ask for the
        # lines of j in the field's and the site's arrays at once, so that their misses overlap
        # (a hint: no effect on the result)
        prefetch(phi, j)
        prefetch(eps, j)
        prefetch(eps_p, j)
        if exact:
            prefetch(q_pos, j)
            prefetch(q_far, j)
        prefetch(seen, j)
        prefetch(elim, j)
        if footprints:
            prefetch(smd, j)
            prefetch(fp_size, j)
            prefetch(fp_next, j)
        else:
            prefetch(beta, j)
        sig_app = stress_at(t_new, law, cal, sums, frozen)
        sig = local_stress_flat(j, sig_app, exact, phi, eps, tot, coef, pend_n, n_hard, geom,
                                basis_fine, flat, S1, S2, pend_xyz, pend_de, idx, q_far, q_pos, chg_xyz,
                                chg_de) \
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
                if annihilate_logged(j, t_new, smd, fp_size, owner, fp_next, eps_p, last_smd, sums, cal.d_an,
                                     jn_site, jn_dp, jn_n):
                    counts[C_ANN] += 1
                else:
                    counts[C_NULL] += 1
                if jn_n[0] > 0:
                    settle_log(jn_site, jn_de, jn_dp, jn_n, tot, thin)
                if thin and jn_n[0] > 0:
                    replay_journal(jn_site, jn_de, jn_dp, jn_n, eps, eps_p, e_ref, p_ref, c_t, nacc_t, bnd_t,
                                   cnt_t, noff_t, nabs_t, sgeom_t, kind, top, leaves, elim, log_tb,
                                   log_tb_hier, chi, log_S, times, rules, st_t, cal.sig_sat_p)
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
                                    pend_de, seen, geom, basis_fine, near_off, near_val, near_lin,
                                    chg_xyz, chg_de)
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
                                geom, basis_fine, near_off, near_val, near_lin, chg_xyz, chg_de)
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
                sig_smd -= footprint_stress_flat(j, cal.d_an * smd[j] / f0, fp_next, full_table, geom,
                                                 basis_fine, coef)
            probe[2] = sig_smd
            p_grow = 1.0
            if footprints and rules.growth:
                p_grow = growth_probability_of(j, log_tb, log_tb_hier, chi, log_S, times, rules)
            f0, grown, de, share1 = smd_event_flat(j, t_new, sig_smd, smd, fp_size, owner, fp_next, eps_p,
                                                   last_smd, offsets, rng, sums, work, counts, cal, rules, gm,
                                                   p_grow, fp_buf, tot, thin, jn_site, jn_de, jn_dp, jn_n)
            if thin and jn_n[0] > 0:     # the coalescence's plastic changes come first
                replay_journal(jn_site, jn_de, jn_dp, jn_n, eps, eps_p, e_ref, p_ref, c_t, nacc_t, bnd_t,
                               cnt_t, noff_t, nabs_t, sgeom_t, kind, top, leaves, elim, log_tb, log_tb_hier,
                               chi, log_S, times, rules, st_t, cal.sig_sat_p)
            for i in range(f0):
                k = fp_buf[i]
                full |= record_flat(k, de, eps, tot, phi, pend_n, pend_site, pend_xyz, pend_de,
                                    seen, geom, basis_fine, near_off, near_val, near_lin,
                                    chg_xyz, chg_de)
                if thin:
                    th.record_change_flat(k, de, 0.0, eps, eps_p, e_ref, p_ref, c_t, nacc_t, bnd_t, cnt_t,
                                          noff_t, nabs_t, sgeom_t, kind, top, leaves, elim, log_tb,
                                          log_tb_hier, chi, log_S, times, rules, st_t, cal.sig_sat_p)
            if grown >= 0:
                full |= record_flat(grown, share1, eps, tot, phi, pend_n, pend_site, pend_xyz,
                                    pend_de, seen, geom, basis_fine, near_off, near_val, near_lin,
                                    chg_xyz, chg_de)
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
    idx = np.empty(n_hard, np.int32)
    n_sites = eps_p.shape[0]
    for j in range(out.shape[0]):
        out[j] = local_stress_flat(j, sigma_applied, exact, phi, eps, tot, coef, pend_n, n_hard,
                                   EF.geom, EF.basis_fine, flat, S1, S2, EF.pend_xyz, EF.pend_de,
                                   idx, EF.q_far, EF.q_pos, EF.chg_xyz, EF.chg_de) \
            + coef[3] * (np.float64(eps_p[j]) - tot[2] / n_sites)
