"""Pure numba kernels of the lattice kMC (docs/model.md section 2). No objects, no I/O, no hidden RNG.

Arguments are the groups of :mod:`.layout`: ``S`` (per-site arrays and the sum tree), ``K``
(RNG state, time, strain sums, counters) and ``C`` (scalars fixed during a call, in typed
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

from numba import njit

from .bias import draw_state_biased, equilibrium_strain, stress_for_strain
from .lattice import neighbour
from .layout import (C_ALL, C_ANN, C_BETA, C_COAL, C_HIST, C_NULL, C_SMD, COAL_HIST, N_SUMS,
                     STATUS_EVENTS, STATUS_NO_EVENTS, STATUS_TIME, STATUS_UNLOADED, STRAIN,
                     STRESS, SUM_BETA, SUM_PLASTIC, SUM_SMD, UNLOAD, Calib, Clock, Control,
                     Geometry, Rules, Sites, Times)
from .rates import channel_rates, fill_rates, growth_probability, site_log_times, site_rates
from .rng import uniform, uniform_open
from .sumtree import tree_find

__all__ = ["Sites", "Clock", "Control", "Times", "Calib", "Rules", "Geometry", "run_until",
           "site_rates", "site_log_times", "growth_probability", "fill_rates", "channel_rates",
           "stress_now", "stress_strain", "inelastic", "STRESS", "STRAIN", "UNLOAD",
           "STATUS_TIME", "STATUS_EVENTS", "STATUS_UNLOADED", "STATUS_NO_EVENTS",
           "SUM_BETA", "SUM_SMD", "SUM_PLASTIC", "N_SUMS",
           "C_BETA", "C_SMD", "C_ANN", "C_COAL", "C_NULL", "C_ALL", "C_HIST", "COAL_HIST"]


@njit(cache=True, inline='always')
def load_target(t, C):
    """The controlled quantity at time t: the stress (MPa) under stress control, else the
    total strain. ``amp`` adds an oscillation ``amp sin(omega (t - t_seg0))``."""
    w = C.law
    osc = w.amp * math.sin(w.omega * (t - w.t0)) if w.amp != 0.0 else 0.0
    if w.control == STRESS:
        return w.sigma_hold + osc
    return w.eps0 + w.eps_rate * (t - w.t0) + osc


@njit(cache=True, inline='always')
def stress_now(t, C, K):
    """Macroscopic stress at time t (MPa). Under strain control it follows from the strain
    sums: the stress at which the matrix and the units in equilibrium carry
    eps(t) - eps_inelastic (linear law: that over J_inst), an O(1) update per event."""
    x = load_target(t, C)
    if C.law.control == STRESS:
        return x
    return stress_for_strain(x - inelastic(C, K), C.calib)


@njit(cache=True)
def stress_strain(t, C, K):
    """Macroscopic stress (MPa) and total strain at time t between events, with the units
    in local equilibrium at their mean (the instantaneous compliance ``J_inst``); the Python
    layer's view of :func:`stress_now`."""
    x = load_target(t, C)
    inel = inelastic(C, K)
    if C.law.control == STRESS:
        return x, equilibrium_strain(x, C.calib) + inel
    return stress_for_strain(x - inel, C.calib), x


@njit(cache=True, inline='always')
def inelastic(C, K):
    """Inelastic strain of the dynamic units plus the strain frozen in by healed sites."""
    c = C.calib
    return ((c.d_beta * K.sums[SUM_BETA] + c.d_an * K.sums[SUM_SMD] + c.d_p * K.sums[SUM_PLASTIC])
            * c.inv_N + K.frozen[0])


@njit(cache=True)
def drift_to(t, C, K):
    """Advance the mean plastic drift of the elim = 3 units from ``K.t[0]`` to ``t``.

    Each such unit deposits plastic units at ``1/tau_max_j`` with mean ``sigma/sig_sat_p``,
    so together ``d eps_p/dt = k_fast sigma(t)`` (the linear law; with the physical law the
    replica uses the drift only where the linearisation is accurate, :mod:`.calibration`). Under stress control that is an integral
    of the known stress; under strain control ``J sigma' = eps'(t) - k_fast sigma`` (a
    Maxwell element with time ``J/k_fast``), solved in closed form for the ramp plus
    oscillation. The drift goes into ``K.frozen``; the caller then sets ``K.t[0] = t``.
    """
    k_fast, J = C.calib.k_fast, C.calib.J_inst
    w = C.law
    if k_fast == 0.0:
        return
    ta = K.t[0]
    dt = t - ta
    if dt <= 0.0:
        return
    pa = w.omega * (ta - w.t0)
    pt = w.omega * (t - w.t0)
    if w.control == STRESS:
        integral = w.sigma_hold * dt
        if w.amp != 0.0:
            integral += w.amp * (math.cos(pa) - math.cos(pt)) / w.omega
        K.frozen[0] += k_fast * integral
        return
    lam = k_fast / J
    decay = math.exp(-lam * dt)
    sig = stress_now(ta, C, K) * decay + w.eps_rate / k_fast * (1.0 - decay)
    osc = 0.0
    if w.amp != 0.0:
        om = w.omega
        sig += (w.amp * om / J) * ((lam * math.cos(pt) + om * math.sin(pt))
                                   - decay * (lam * math.cos(pa) + om * math.sin(pa))) / (lam * lam + om * om)
        osc = w.amp * math.sin(pt)
    eps = w.eps0 + w.eps_rate * (t - w.t0) + osc
    units = inelastic(C, K) - K.frozen[0]
    K.frozen[0] = eps - units - J * sig


@njit(cache=True, inline='always')
def release_footprint(j, t, S, C):
    """Dissolve the footprint of SMD j back to its nucleus, depositing its plastic strain."""
    a = S.smd[j]
    share = C.calib.d_an * a / S.fp_size[j]
    m = j
    while m != -1:
        nxt = S.fp_next[m]
        S.eps_p[m] = float(S.eps_p[m]) + share  # float64 sum, one rounding to float32
        S.last_smd[m] = t
        if m != j:
            S.owner[m] = -1
            S.fp_next[m] = -1
        m = nxt
    S.fp_next[j] = -1
    S.fp_size[j] = 1


@njit(cache=True, inline='always')
def annihilate_series(j, t, S, C, K):
    """Series rule: the SMD's strain becomes plastic and the unit restarts unpolarised."""
    a = S.smd[j]
    if a == 0:
        return False
    release_footprint(j, t, S, C)
    K.sums[SUM_PLASTIC] += a
    K.sums[SUM_SMD] -= a
    S.smd[j] = 0
    return True


@njit(cache=True, inline='always')
def coalesce(j, k, t, S, C, K):
    size = min(int(S.fp_size[j]) + int(S.fp_size[k]), COAL_HIST - 1)
    K.counts[C_HIST + size] += 1
    annihilate_series(j, t, S, C, K)
    annihilate_series(k, t, S, C, K)
    K.counts[C_COAL] += 1


@njit(cache=True, inline='always')
def grow_footprint(j, t, S, C, K):
    """Recruit one neighbour into the footprint of SMD j; coalesce on contact.

    A random footprint site and a random direction are drawn. A free site is
    recruited; if it (or, once recruited, any of its neighbours) belongs to
    another polarised SMD, the two SMDs coalesce. A site held by an unpolarised
    nucleus blocks growth for this event.
    """
    if S.fp_size[j] >= C.rules.fp_max:
        return
    g = C.geom
    r = int(uniform(K.rng) * S.fp_size[j])
    m = j
    for _ in range(r):
        m = S.fp_next[m]
    k = int(uniform(K.rng) * g.z)
    s = neighbour(m, k, g.L, g.dim, g.nb, S.offsets)
    own = S.owner[s]
    if own == j:
        return
    if own != -1:
        if C.rules.coalescence and S.smd[own] != 0:
            coalesce(j, own, t, S, C, K)
        return
    S.owner[s] = j
    S.fp_next[s] = S.fp_next[j]
    S.fp_next[j] = s
    S.fp_size[j] += 1
    if C.rules.coalescence:
        for kk in range(g.z):
            s2 = neighbour(s, kk, g.L, g.dim, g.nb, S.offsets)
            o2 = S.owner[s2]
            if o2 != -1 and o2 != j and S.smd[o2] != 0:
                coalesce(j, o2, t, S, C, K)
                return


@njit(cache=True, inline='always')
def smd_event(j, t, sigma, S, C, K):
    new = draw_state_biased(K.rng, sigma, C.calib.sig_sat_an, C.calib.bias_law)
    K.work[0] += sigma * C.calib.d_an * (new - S.smd[j]) * C.calib.inv_N
    K.sums[SUM_SMD] += new - S.smd[j]
    S.smd[j] = new
    K.counts[C_SMD] += 1
    if C.rules.series and C.rules.fp_max > 1:
        # (a call that passes the site arrays costs their reference counts: only when needed)
        p_grow = growth_probability(j, S, C) if C.rules.growth else 1.0
        if p_grow >= 1.0 or uniform(K.rng) < p_grow:
            grow_footprint(j, t, S, C, K)
    if S.smd[j] != 0:  # still an SMD (not annihilated by coalescence): mark its footprint
        m = j
        while m != -1:
            S.last_smd[m] = t
            m = S.fp_next[m]


@njit(cache=True, inline='always')
def annihilation_event(j, t, sigma, S, C, K):
    if C.rules.series:
        if annihilate_series(j, t, S, C, K):
            K.counts[C_ANN] += 1
        else:
            K.counts[C_NULL] += 1
    else:
        # parallel (mean-field) rule: a plastic unit drawn from the current bias
        new = draw_state_biased(K.rng, sigma, C.calib.sig_sat_p, C.calib.bias_law)
        K.sums[SUM_PLASTIC] += new
        S.eps_p[j] = float(S.eps_p[j]) + C.calib.d_p * new
        K.counts[C_ANN] += 1


@njit(cache=True, inline='always')
def do_event(j, t, S, C, K):
    """Process one event at QPD site j at time t (probabilities from :func:`fill_rates`)."""
    sigma = stress_now(t, C, K)
    if uniform(K.rng) < S.event_probs[j, 0]:
        annihilation_event(j, t, sigma, S, C, K)
    elif S.elim[j] == 0:
        new = draw_state_biased(K.rng, sigma, C.calib.sig_sat_beta, C.calib.bias_law)
        K.sums[SUM_BETA] += new - S.beta[j]
        S.beta[j] = new
        K.counts[C_BETA] += 1
        if uniform(K.rng) < S.event_probs[j, 1]:
            smd_event(j, t, sigma, S, C, K)
    else:
        smd_event(j, t, sigma, S, C, K)
    K.counts[C_ALL] += 1


@njit(cache=True)
def unload_crossing(C, K):
    """Time at which the stress reaches zero during unloading if no event intervenes."""
    w = C.law
    return w.t0 + (inelastic(C, K) - w.eps0) / w.eps_rate


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
    """
    t_stop = C.t_stop
    drift = C.calib.k_fast != 0.0
    n = 0
    while True:
        if n >= C.max_events:
            return STATUS_EVENTS
        total = S.top[1]
        if math.isnan(K.t_next[0]) and total > 0.0:
            K.t_next[0] = K.t[0] - math.log(uniform_open(K.rng)) / total
        t_new = K.t_next[0] if total > 0.0 else math.inf
        if C.law.control == UNLOAD:
            t_star = unload_crossing(C, K)
            if t_star <= t_new:
                K.t[0] = max(t_star, K.t[0])
                K.t_next[0] = math.nan
                return STATUS_UNLOADED
        if total <= 0.0:
            if drift:
                drift_to(t_stop, C, K)
            K.t[0] = t_stop
            return STATUS_NO_EVENTS
        if t_new >= t_stop:
            if drift:
                drift_to(t_stop, C, K)
            K.t[0] = t_stop
            return STATUS_TIME
        if drift:
            drift_to(t_new, C, K)
        K.t[0] = t_new
        K.t_next[0] = math.nan
        j = tree_find(S.top, S.leaves, uniform(K.rng) * total)
        do_event(j, t_new, S, C, K)
        n += 1
