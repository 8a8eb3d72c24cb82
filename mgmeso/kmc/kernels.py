"""Pure numba kernels of the lattice kMC (docs/model.md section 2). No objects, no I/O, no hidden RNG.

Arguments are the groups of :mod:`.layout`: ``S`` (per-site arrays, the sum tree and the
classes of composition-rejection selection), ``K`` (RNG state, time, strain sums, counters,
proposals drawn ahead) and ``C`` (scalars fixed during a call, in typed
groups: ``C.law``, ``C.times``, ``C.calib``, ``C.rules``, ``C.geom``).

Per QPD site j there are two channels (rates do not depend on the unit states):

* the *dynamic* channel: a beta event at ``1/tau_beta_j`` which carries an SMD event with
  probability ``q_j = tau_beta_j/tau_an_j``; or, when the beta unit is in local
  equilibrium (``elim = 1``), the SMD events directly at ``1/tau_an_j``; none when the
  SMD unit is also in equilibrium (``elim = 2``, parallel rule only);
* annihilation at ``1/tau_max_j``; none when it too is faster than the loading
  (``elim = 3``, parallel rule only): the plastic units it would deposit are replaced by
  their mean drift, ``d eps_p/dt = k_fast sigma(t)``, integrated exactly between events
  (:func:`drift_to`; under strain control a Maxwell element).

The per-event functions, footprint growth and coalescence included, are ``inline='always'``:
passing the site arrays (and the control groups) through a function call at every event cost
a quarter of the event time in the mean-field configuration and half of it in the mesoscale
one (docs/kmc.md section 6).

Every unit is a two-state unit in resampling form: at its event its state is
redrawn from the bias law (:mod:`.bias`) at the stress at that instant. Strains are
integer sums of unit states times the calibrated unit strains, so the bookkeeping is exact.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .bias import draw_state_biased, equilibrium_strain, stress_for_strain
from .lattice import neighbour
from .prefetch import prefetch
from .layout import (C_ALL, C_ANN, C_BETA, C_COAL, C_HIST, C_NULL, C_SMD, COAL_HIST, N_SUMS,
                     STATUS_EVENTS, STATUS_NO_EVENTS, STATUS_TIME, STATUS_UNLOADED, STRAIN,
                     STRESS, SUM_BETA, SUM_PLASTIC, SUM_SMD, UNLOAD, Calib, Clock, Control,
                     Geometry, Rules, Sites, Times)
from .rates import (channel_rates, fill_rates, growth_probability, growth_probability_of,
                    site_log_times, site_rates)
from .rng import uniform, uniform_open
from .composition import cr_find, cr_pop
from .sumtree import PREFETCH_BLOCKS, tree_find, tree_find_far

__all__ = ["Sites", "Clock", "Control", "Times", "Calib", "Rules", "Geometry", "run_until",
           "site_rates", "site_log_times", "growth_probability", "fill_rates", "channel_rates",
           "stress_now", "stress_strain", "inelastic", "STRESS", "STRAIN", "UNLOAD",
           "STATUS_TIME", "STATUS_EVENTS", "STATUS_UNLOADED", "STATUS_NO_EVENTS",
           "SUM_BETA", "SUM_SMD", "SUM_PLASTIC", "N_SUMS",
           "C_BETA", "C_SMD", "C_ANN", "C_COAL", "C_NULL", "C_ALL", "C_HIST", "COAL_HIST"]


@njit(cache=True, inline='always')
def load_target(t, law):
    """The controlled quantity at time t under ``law``: the stress (MPa) under stress
    control, else the total strain. ``amp`` adds an oscillation ``amp sin(omega (t - t0))``."""
    osc = law.amp * math.sin(law.omega * (t - law.t0)) if law.amp != 0.0 else 0.0
    if law.control == STRESS:
        return law.sigma_hold + osc
    return law.eps0 + law.eps_rate * (t - law.t0) + osc


@njit(cache=True, inline='always')
def inelastic_of(cal, sums, frozen):
    """Inelastic strain of the dynamic units plus the strain frozen in by healed sites."""
    return ((cal.d_beta * sums[SUM_BETA] + cal.d_an * sums[SUM_SMD] + cal.d_p * sums[SUM_PLASTIC])
            * cal.inv_N + frozen[0])


@njit(cache=True, inline='always')
def stress_at(t, law, cal, sums, frozen):
    """Macroscopic stress at time t (MPa). Under strain control it follows from the strain
    sums: the stress at which the matrix and the units in equilibrium carry
    eps(t) - eps_inelastic (linear law: that over J_inst), an O(1) update per event."""
    x = load_target(t, law)
    if law.control == STRESS:
        return x
    return stress_for_strain(x - inelastic_of(cal, sums, frozen), cal)


@njit(cache=True, inline='always')
def inelastic(C, K):
    """:func:`inelastic_of` on the groups (the Python layer's and the defect kernels' view)."""
    return inelastic_of(C.calib, K.sums, K.frozen)


@njit(cache=True, inline='always')
def stress_now(t, C, K):
    """:func:`stress_at` on the groups."""
    return stress_at(t, C.law, C.calib, K.sums, K.frozen)


@njit(cache=True)
def stress_strain(t, C, K):
    """Macroscopic stress (MPa) and total strain at time t between events, with the units
    in local equilibrium at their mean (the instantaneous compliance ``J_inst``); the Python
    layer's view of :func:`stress_at`."""
    x = load_target(t, C.law)
    inel = inelastic(C, K)
    if C.law.control == STRESS:
        return x, equilibrium_strain(x, C.calib) + inel
    return stress_for_strain(x - inel, C.calib), x


@njit(cache=True)
def drift_to(t, ta, law, cal, sums, frozen):
    """Advance the mean plastic drift of the elim = 3 units from ``ta`` (the clock) to ``t``.

    Each such unit deposits plastic units at ``1/tau_max_j`` with mean ``sigma/sig_sat_p``,
    so together ``d eps_p/dt = k_fast sigma(t)`` (the linear law; with the physical law the
    replica uses the drift only where the linearisation is accurate, :mod:`.calibration`). Under stress control that is an integral
    of the known stress; under strain control ``J sigma' = eps'(t) - k_fast sigma`` (a
    Maxwell element with time ``J/k_fast``), solved in closed form for the ramp plus
    oscillation. The drift goes into ``frozen[0]``; the caller then sets the clock to ``t``.
    """
    k_fast, J = cal.k_fast, cal.J_inst
    w = law
    if k_fast == 0.0:
        return
    dt = t - ta
    if dt <= 0.0:
        return
    pa = w.omega * (ta - w.t0)
    pt = w.omega * (t - w.t0)
    if w.control == STRESS:
        integral = w.sigma_hold * dt
        if w.amp != 0.0:
            integral += w.amp * (math.cos(pa) - math.cos(pt)) / w.omega
        frozen[0] += k_fast * integral
        return
    lam = k_fast / J
    decay = math.exp(-lam * dt)
    sig = stress_at(ta, law, cal, sums, frozen) * decay + w.eps_rate / k_fast * (1.0 - decay)
    osc = 0.0
    if w.amp != 0.0:
        om = w.omega
        sig += (w.amp * om / J) * ((lam * math.cos(pt) + om * math.sin(pt))
                                   - decay * (lam * math.cos(pa) + om * math.sin(pa))) / (lam * lam + om * om)
        osc = w.amp * math.sin(pt)
    eps = w.eps0 + w.eps_rate * (t - w.t0) + osc
    units = inelastic_of(cal, sums, frozen) - frozen[0]
    frozen[0] = eps - units - J * sig


@njit(cache=True, inline='always')
def release_footprint(j, t, smd, fp_size, owner, fp_next, eps_p, last_smd, d_an):
    """Dissolve the footprint of SMD j back to its nucleus, depositing its plastic strain."""
    a = smd[j]
    share = d_an * a / fp_size[j]
    m = j
    while m != -1:
        nxt = fp_next[m]
        eps_p[m] = float(eps_p[m]) + share  # float64 sum, one rounding to float32
        last_smd[m] = t
        if m != j:
            owner[m] = -1
            fp_next[m] = -1
        m = nxt
    fp_next[j] = -1
    fp_size[j] = 1


@njit(cache=True, inline='always')
def annihilate_smd(j, t, smd, fp_size, owner, fp_next, eps_p, last_smd, sums, d_an):
    """Series rule: the SMD's strain becomes plastic and the unit restarts unpolarised.
    Returns whether there was a polarised SMD."""
    a = smd[j]
    if a != 0:
        release_footprint(j, t, smd, fp_size, owner, fp_next, eps_p, last_smd, d_an)
        sums[SUM_PLASTIC] += a
        sums[SUM_SMD] -= a
        smd[j] = 0
    return a != 0


@njit(cache=True)
def annihilate_series(j, t, S, C, K):
    """:func:`annihilate_smd` on the groups (for the defect kernels)."""
    return annihilate_smd(j, t, S.smd, S.fp_size, S.owner, S.fp_next, S.eps_p, S.last_smd,
                          K.sums, C.calib.d_an)


# --- footprint growth and coalescence: one code for both loops (run_until and the interacting
# loop of elastic_loop.py, which passes a log of the plastic changes and a footprint buffer;
# run_until passes arrays of length 0: nothing is written). Owner of this hunk: h/elspeed3.

@njit(cache=True, inline='always')
def annihilate_logged(j, t, smd, fp_size, owner, fp_next, eps_p, last_smd, sums, d_an,
                      log_site, log_dp, log_n):
    """:func:`annihilate_smd`, writing the plastic change of every footprint site to a log.

    Entries ``(site, dp)`` in footprint order from ``log_n[0]`` on, then ``(-1, sum of the
    dp)``; ``dp`` is the change of the float32 store as :func:`release_footprint` rounds it,
    in float64. A log of length 0 writes nothing (the loop without interactions).

    Parameters
    ----------
    j : int
        The SMD's site.
    t : float
        The event time (s).
    smd, fp_size, owner, fp_next, eps_p, last_smd, sums, d_an : ndarray or float
        As in :func:`annihilate_smd`.
    log_site, log_dp, log_n : numpy.ndarray
        int32, float64 (at least two footprints and two sums long, or 0) and int64[1]: the
        log's sites, plastic changes and length (advanced).

    Returns
    -------
    bool
        What :func:`annihilate_smd` returns (there was a polarised SMD).
    """
    if log_site.shape[0] == 0 or smd[j] == 0:
        return annihilate_smd(j, t, smd, fp_size, owner, fp_next, eps_p, last_smd, sums, d_an)
    i0 = log_n[0]
    i = i0
    m = j
    while m != -1:      # the footprint and its plastic strain before the deposit
        log_site[i] = m
        log_dp[i] = np.float64(eps_p[m])
        i += 1
        m = fp_next[m]
    out = annihilate_smd(j, t, smd, fp_size, owner, fp_next, eps_p, last_smd, sums, d_an)
    acc = 0.0
    for q in range(i0, i):
        dp = np.float64(eps_p[log_site[q]]) - log_dp[q]
        log_dp[q] = dp
        acc += dp
    log_site[i] = -1
    log_dp[i] = acc
    log_n[0] = i + 1
    return out


@njit(cache=True)
def coalesce(j, k, t, smd, fp_size, owner, fp_next, eps_p, last_smd, sums, counts, d_an,
             log_site, log_dp, log_n):
    """Coalescence of SMDs j and k: both annihilate, their footprints turn plastic
    (:func:`annihilate_logged`: the log of their plastic changes when it has a length).

    Not inlined: it is rare (about 1e-4 per event in the mesoscale configuration), and its
    three call sites would each inline two annihilations (a third of ``run_until``'s compile
    time); the reference counts of the call are paid only on this branch.
    """
    size = min(int(fp_size[j]) + int(fp_size[k]), COAL_HIST - 1)
    counts[C_HIST + size] += 1
    annihilate_logged(j, t, smd, fp_size, owner, fp_next, eps_p, last_smd, sums, d_an, log_site,
                      log_dp, log_n)
    annihilate_logged(k, t, smd, fp_size, owner, fp_next, eps_p, last_smd, sums, d_an, log_site,
                      log_dp, log_n)
    counts[C_COAL] += 1


@njit(cache=True, inline='always')
def grow_footprint(j, t, smd, fp_size, owner, fp_next, eps_p, last_smd, offsets, rng, sums,
                   counts, d_an, rules, geom, log_site, log_dp, log_n):
    """Recruit one neighbour into the footprint of SMD j; coalesce on contact.

    A random footprint site and a random direction are drawn. A free site is
    recruited; if it (or, once recruited, any of its neighbours) belongs to
    another polarised SMD, the two SMDs coalesce. A site held by an unpolarised
    nucleus blocks growth for this event. Returns the recruited site (-1: none);
    ``log_*`` as in :func:`coalesce`.
    """
    if fp_size[j] >= rules.fp_max:
        return -1
    r = int(uniform(rng) * fp_size[j])
    m = j
    for _ in range(r):
        m = fp_next[m]
    k = int(uniform(rng) * geom.z)
    s = neighbour(m, k, geom.L, geom.dim, geom.nb, offsets)
    own = owner[s]
    if own == j:
        return -1
    if own != -1:
        if rules.coalescence and smd[own] != 0:
            coalesce(j, own, t, smd, fp_size, owner, fp_next, eps_p, last_smd, sums, counts, d_an,
                     log_site, log_dp, log_n)
        return -1
    owner[s] = j
    fp_next[s] = fp_next[j]
    fp_next[j] = s
    fp_size[j] += 1
    if rules.coalescence:
        for kk in range(geom.z):
            s2 = neighbour(s, kk, geom.L, geom.dim, geom.nb, offsets)
            o2 = owner[s2]
            if o2 != -1 and o2 != j and smd[o2] != 0:
                coalesce(j, o2, t, smd, fp_size, owner, fp_next, eps_p, last_smd, sums, counts,
                         d_an, log_site, log_dp, log_n)
                return s
    return s


@njit(cache=True, inline='always')
def smd_event(j, t, sigma, smd, fp_size, owner, fp_next, eps_p, last_smd, offsets, rng, sums,
              work, counts, p_grow, cal, rules, geom, fp_buf, log_site, log_dp, log_n):
    """SMD event of site j at stress ``sigma``; its footprint grows with probability
    ``p_grow`` (series rule with footprints larger than one site).

    Returns the new state and the recruited site (-1: none). With ``fp_buf`` of a length the
    footprint before growth is left in it (the interacting loop records its sites' changes);
    ``log_*`` as in :func:`coalesce`. Length 0: neither is written.
    """
    new = draw_state_biased(rng, sigma, cal.sig_sat_an, cal.bias_law)
    work[0] += sigma * cal.d_an * (new - smd[j]) * cal.inv_N
    sums[SUM_SMD] += new - smd[j]
    smd[j] = new
    counts[C_SMD] += 1
    if fp_buf.shape[0] > 0:
        m = j
        i = 0
        while m != -1:      # the footprint before growth
            fp_buf[i] = m
            i += 1
            m = fp_next[m]
    grown = -1
    if rules.series and rules.fp_max > 1:
        if p_grow >= 1.0 or uniform(rng) < p_grow:
            grown = grow_footprint(j, t, smd, fp_size, owner, fp_next, eps_p, last_smd, offsets,
                                   rng, sums, counts, cal.d_an, rules, geom, log_site, log_dp,
                                   log_n)
    if smd[j] != 0:  # still an SMD (not annihilated by coalescence): mark its footprint
        m = j
        while m != -1:
            last_smd[m] = t
            m = fp_next[m]
    return new, grown


@njit(cache=True, inline='always')
def annihilation_event(j, t, sigma, smd, fp_size, owner, fp_next, eps_p, last_smd, rng, sums,
                       counts, cal, rules):
    if rules.series:
        if annihilate_smd(j, t, smd, fp_size, owner, fp_next, eps_p, last_smd, sums, cal.d_an):
            counts[C_ANN] += 1
        else:
            counts[C_NULL] += 1
    else:
        # parallel (mean-field) rule: a plastic unit drawn from the current bias
        new = draw_state_biased(rng, sigma, cal.sig_sat_p, cal.bias_law)
        sums[SUM_PLASTIC] += new
        eps_p[j] = float(eps_p[j]) + cal.d_p * new
        counts[C_ANN] += 1


@njit(cache=True)
def unload_crossing(law, cal, sums, frozen):
    """Time at which the stress reaches zero during unloading if no event intervenes."""
    return law.t0 + (inelastic_of(cal, sums, frozen) - law.eps0) / law.eps_rate


@njit(cache=True, nogil=True)
def run_until(S, C, K):
    """Run events until ``C.t_stop``, ``C.max_events`` events, or (unloading) zero stress.

    Returns a status code: ``STATUS_TIME`` (reached t_stop), ``STATUS_EVENTS``
    (event budget used; call again), ``STATUS_UNLOADED`` (stress reached zero,
    time set to that instant) or ``STATUS_NO_EVENTS`` (total rate zero).

    The next event time, once drawn, is kept in ``K.t_next`` when a call stops
    before it (rates are constant within a call), so the trajectory does not
    depend on where calls stop: samples, snapshots and event budgets change
    nothing. The caller clears ``K.t_next`` when the rates change.

    The site of an event is drawn with probability ``leaves[j] / top[1]`` by the sum tree or,
    when ``S`` holds the classes of composition-rejection (``[simulation] event_selection``,
    :mod:`.composition`), by ``cr_find`` on lattices within the L2 cache and by the queued
    ``cr_pop`` beyond it. Its proposals wait in ``K.ahead`` across calls for the same reason as
    ``K.t_next``; the caller empties it when the rates change (``Replica._build_tree``).

    An event at site j (probabilities from :func:`.rates.fill_rates`) is an annihilation
    with probability ``event_probs[j, 0]``; otherwise a beta event carrying an SMD event
    with probability ``event_probs[j, 1]`` (``elim = 0``) or an SMD event (``elim = 1``).
    Its units are drawn at ``sigma``, the macroscopic stress at the event time (the one
    place to put a local stress).
    """
    # Every array is taken out of the groups once, here: the per-event functions receive
    # plain arrays. Binding a group of arrays to a function argument (even an inlined one)
    # counts a reference of each of its arrays; numba cannot prune those counts across the
    # branches of an event, and an atomic count costs more than the event's arithmetic.
    elim, beta, smd, fp_size, owner, fp_next = S.elim, S.beta, S.smd, S.fp_size, S.owner, S.fp_next
    eps_p, last_smd, probs, offsets = S.eps_p, S.last_smd, S.event_probs, S.offsets
    top, leaves = S.top, S.leaves
    members, cls_start, cls_cum = S.sel_members, S.sel_start, S.sel_cum
    log_tb, log_tb_hier, chi, log_S = S.log_tb, S.log_tb_hier, S.chi, S.log_S
    rng, clock, t_next, sums, frozen, work, counts = K.rng, K.t, K.t_next, K.sums, K.frozen, K.work, K.counts
    ahead = K.ahead
    law, cal, rules, geom, times = C.law, C.calib, C.rules, C.geom, C.times
    t_stop = C.t_stop
    drift = cal.k_fast != 0.0
    unload = law.control == UNLOAD
    footprints = rules.series and rules.fp_max > 1
    far = top.size // 2 >= PREFETCH_BLOCKS   # tree and site arrays beyond the L2 cache
    composition = members.size > 0      # composition-rejection selection (composition.py)
    probs_flat = probs.reshape(probs.size)
    # the interacting loop's footprint buffer and log of plastic changes: none here
    no_buf, no_log, no_n = np.empty(0, np.int32), np.empty(0), np.zeros(1, np.int64)
    n = 0
    while True:
        if n >= C.max_events:
            return STATUS_EVENTS
        total = top[1]
        if math.isnan(t_next[0]) and total > 0.0:
            t_next[0] = clock[0] - math.log(uniform_open(rng)) / total
        t_new = t_next[0] if total > 0.0 else math.inf
        if unload:
            t_star = unload_crossing(law, cal, sums, frozen)
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
        if composition and not far:      # site arrays in the L2 cache: nothing to fetch ahead
            j = cr_find(rng, leaves, members, cls_start, cls_cum)
        elif composition:
            # proposals run ahead of the events: prefetch the arrays of the one entering the
            # queue, so that they are in cache when it leaves it (composition.cr_pop)
            while True:
                j, jn, accepted = cr_pop(rng, ahead, leaves, members, cls_start, cls_cum)
                prefetch(probs_flat, 2 * jn)
                if footprints:
                    prefetch(smd, jn)
                    prefetch(fp_size, jn)
                    prefetch(fp_next, jn)
                    prefetch(last_smd, jn)
                    if rules.growth:
                        prefetch(log_S, jn)
                        prefetch(chi, jn)
                        prefetch(log_tb, jn)
                    prefetch(elim, jn)
                else:
                    prefetch(elim, jn)
                    prefetch(beta, jn)
                if accepted:
                    break
        else:
            u = uniform(rng) * total
            j = tree_find_far(top, leaves, u) if far else tree_find(top, leaves, u)
            # --- the event at site j. Its arrays are separate (structure of arrays): ask for
            # all the lines the event reads at once, so that their misses overlap (no effect on
            # the result)
            if not far:
                pass
            elif footprints:
                prefetch(smd, j)
                prefetch(fp_size, j)
                prefetch(fp_next, j)
                prefetch(last_smd, j)
                if rules.growth:
                    prefetch(log_S, j)
                    prefetch(chi, j)
                    prefetch(log_tb, j)
                prefetch(elim, j)
            else:
                prefetch(elim, j)
                prefetch(beta, j)
        sigma = stress_at(t_new, law, cal, sums, frozen)
        if uniform(rng) < probs[j, 0]:
            annihilation_event(j, t_new, sigma, smd, fp_size, owner, fp_next, eps_p, last_smd,
                               rng, sums, counts, cal, rules)
        else:
            smd_now = True
            if elim[j] == 0:
                new = draw_state_biased(rng, sigma, cal.sig_sat_beta, cal.bias_law)
                sums[SUM_BETA] += new - beta[j]
                beta[j] = new
                counts[C_BETA] += 1
                smd_now = uniform(rng) < probs[j, 1]
            if smd_now:
                p_grow = 1.0
                if footprints and rules.growth:
                    p_grow = growth_probability_of(j, log_tb, log_tb_hier, chi, log_S, times, rules)
                smd_event(j, t_new, sigma, smd, fp_size, owner, fp_next, eps_p, last_smd, offsets,
                          rng, sums, work, counts, p_grow, cal, rules, geom, no_buf, no_buf, no_log,
                          no_n)
        counts[C_ALL] += 1
        n += 1
