"""Pure numba kernels of the lattice kMC (MODEL.md section 2). No objects, no I/O, no hidden RNG.

Arguments are grouped in three namedtuples built by :mod:`.state`:

* ``S`` (:data:`Sites`): per-site arrays, quenched and dynamic, and the sum tree;
* ``K`` (:data:`Clock`): the mutable run scalars -- RNG state, time, integer strain sums
  and event counters;
* ``C`` (:data:`Control`): float64 scalars fixed during one kernel call -- temperature-
  dependent times, the loading law, the rules, the strain calibration.

Per QPD site j there are two channels (rates do not depend on the unit states):

* the *dynamic* channel: a beta event at ``1/tau_beta_j`` which carries an SMD event with
  probability ``q_j = tau_beta_j/tau_an_j``; or, when the beta unit is in local
  equilibrium (``elim = 1``), the SMD events directly at ``1/tau_an_j``; none when the
  SMD unit is also in equilibrium (``elim = 2``, parallel rule only);
* annihilation at ``1/tau_max_j``; none when it too is faster than the loading
  (``elim = 3``, parallel rule only): the plastic units it would deposit are replaced by
  their mean drift, ``d eps_p/dt = k_fast sigma(t)``, integrated exactly between events
  (:func:`drift_to`; under strain control a Maxwell element).

The per-event functions are ``inline='always'``: passing the site arrays through a function
call at every event cost about a quarter of the event time (docs/kmc.md section 6).

Every unit is a two-state unit in resampling form: at its event its state is
redrawn with ``P(+1) = (1 + b)/2``, ``b = clip(sigma/sigma_sat, -1, 1)``, at the
stress at that instant. Strains are integer sums of unit states times the
calibrated unit strains, so the bookkeeping is exact.
"""

from __future__ import annotations

import math
from collections import namedtuple

from numba import njit

from .bias import draw_state
from .lattice import neighbour
from .rng import uniform, uniform_open
from .sumtree import tree_find

__all__ = ["Sites", "Clock", "Control", "CONTROL_FIELDS", "run_until", "site_rates",
           "STATUS_TIME", "STATUS_EVENTS", "STATUS_UNLOADED", "STATUS_NO_EVENTS"]

Sites = namedtuple("Sites", [
    "kind",      # int8: 1 = QPD, 0 = matrix
    "elim",      # int8: 0 dynamic, 1 beta in equilibrium, 2 beta and SMD in equilibrium
    "beta",      # int8: beta state -1, 0, +1 (0 = unpolarised)
    "smd",       # int8: SMD state -1, 0, +1 (0 = unpolarised / no SMD)
    "fp_size",   # int8: size of the footprint of the SMD nucleated at the site
    "owner",     # int32: nucleus of the SMD whose footprint covers the site, -1 if none
    "fp_next",   # int32: next site of the owner's footprint list, -1 at the end
    "log_tb",    # float32: ln(tau_beta_j/<tau_beta>) at the reference temperature
    "log_tb_hier",  # float32: the same offset of the hierarchy's beta time, from which
                 # tau_max_j is built in 'local' mode: the site's own (log_tb) or the geometric
                 # mean over its chi neighbourhood ([simulation] hierarchy_beta_time)
    "log_S",     # float32: ln S_j, stable factor of the SMD rate at the current chi
    "chi",       # float32: local chi_j at the current temperature ('local' mode)
    "eps_p",     # float32: plastic strain deposited at the site (for maps)
    "last_smd",  # float32: time of the last SMD event the site took part in (-1 never)
    "leaves",    # float64: per-site total rate (leaves of the blocked sum tree)
    "event_probs",  # float32 (N, 2): per site, the probability that an event is an
                 # annihilation, r_ann/(r_dyn + r_ann), and the SMD thinning probability q_j;
                 # filled with the leaves (fill_rates) so that an event costs no exponential.
                 # Single precision keeps the relative error of tiny probabilities at 6e-8.
    "top",       # float64: block sums and their binary tree (see sumtree.py)
    "offsets",   # int32 (nb, z, dim + 1): neighbour offset table
])

Clock = namedtuple("Clock", [
    "rng",       # uint64[4]: xoshiro256** state
    "t",         # float64[1]: simulated time (s)
    "t_next",    # float64[1]: time of the drawn but not yet executed next event (NaN: none)
    "sums",      # int64[3]: sum of beta states, SMD states, plastic units (dynamic units only)
    "frozen",    # float64[1]: permanent strain outside the unit sums: frozen in by healed QPD
                 # sites (defect dynamics) plus the mean plastic drift of elim = 3 units
    "work",      # float64[1]: net anelastic work density, the sum of sigma d(eps_an) (MPa)
    "counts",    # int64[6 + COAL_HIST]: events beta, smd, annihilation, coalescence, null, total;
                 # then coalescences by merged footprint size (sites, last bin: that or more)
])

CONTROL_FIELDS = (
    "t_stop", "max_events",
    "control", "sigma_hold", "eps0", "eps_rate", "t_seg0", "amp", "omega", "k_fast",
    "log_tb_mean", "temp_factor", "log_tan", "log_tmax", "log_t0", "local",
    "series", "coalescence", "fp_max", "growth",
    "sig_sat", "d_beta", "d_an", "d_p", "inv_N", "J_inst",
    "L", "dim", "nb", "z",
)
Control = namedtuple("Control", CONTROL_FIELDS)

# control laws
STRESS, STRAIN, UNLOAD = 0.0, 1.0, 2.0
# return codes of run_until
STATUS_TIME, STATUS_EVENTS, STATUS_UNLOADED, STATUS_NO_EVENTS = 0, 1, 2, 3
# integer strain sums K.sums: beta states, SMD states, plastic units (dynamic units only)
SUM_BETA, SUM_SMD, SUM_PLASTIC = 0, 1, 2
N_SUMS = 3
# counters
C_BETA, C_SMD, C_ANN, C_COAL, C_NULL, C_ALL = 0, 1, 2, 3, 4, 5
# coalescence-size histogram: counts[C_HIST + s] for merged footprint size s (0 < s < COAL_HIST)
C_HIST, COAL_HIST = 6, 256


@njit(cache=True)
def site_log_times(j, S, C):
    """ln tau_beta_j, ln tau_max_j and ln tau_an (before the stable factor) of site j.

    In 'local' mode tau_max_j follows chi_j and the hierarchy's beta time (seed 004
    Eq. 11b, tau_max = tau_beta below t0): the site's own tau_beta_j, or the geometric mean
    over its neighbourhood (``S.log_tb_hier``), never below the site's own tau_beta_j; in
    'paper' mode it is the lattice's tau_max(T). Matrix sites get the times they would
    have as QPDs (used by the defect dynamics, whose local alpha time is tau_max_j).
    """
    ln_tb = C.log_tb_mean + S.log_tb[j] * C.temp_factor
    if C.local > 0.5:
        chi = float(S.chi[j])
        ln_th = C.log_tb_mean + S.log_tb_hier[j] * C.temp_factor
        if ln_th > C.log_t0:
            ln_tmax = C.log_t0 + (ln_th - C.log_t0) / chi
        else:
            ln_tmax = ln_th
        # a neighbourhood beta time can be shorter than the site's own: the alpha time of a
        # site is never shorter than its beta time
        if ln_tmax < ln_tb:
            ln_tmax = ln_tb
        return ln_tb, ln_tmax, math.log(chi) / chi + ln_tmax
    return ln_tb, C.log_tmax, C.log_tan


@njit(cache=True)
def site_rates(j, S, C):
    """Dynamic-channel rate, annihilation rate and SMD thinning probability of QPD site j."""
    r_dyn, r_ann, q, p_grow = site_rates_growth(j, S, C)
    return r_dyn, r_ann, q


@njit(cache=True)
def site_rates_growth(j, S, C):
    """:func:`site_rates` plus the footprint-growth probability per SMD event.

    ``growth = 0`` (MODEL.md): the footprint grows at every SMD event. ``growth = 1``
    ("alpha"): it grows with probability ``min(1, tau_an_j / tau_max_j)``, i.e. at
    most at the alpha rate ``1/tau_max_j`` -- SMDs expand on the annihilation time
    scale (seed 004 L443-461: tau_2 ~ tau_max), however fast they flip.
    """
    ln_tb, ln_tmax, ln_tan = site_log_times(j, S, C)
    ln_tan_j = ln_tan - S.log_S[j]
    if ln_tan_j < ln_tb:           # truncation: tau_an_j >= tau_beta_j, so q_j <= 1
        ln_tan_j = ln_tb
    r_ann = math.exp(-ln_tmax)
    p_grow = 1.0
    if C.growth > 0.5 and ln_tan_j < ln_tmax:
        p_grow = math.exp(ln_tan_j - ln_tmax)
    e = S.elim[j]
    if e == 0:
        return math.exp(-ln_tb), r_ann, math.exp(ln_tb - ln_tan_j), p_grow
    if e == 1:
        return math.exp(-ln_tan_j), r_ann, 1.0, p_grow
    if e == 2:
        return 0.0, r_ann, 0.0, p_grow
    return 0.0, 0.0, 0.0, p_grow


@njit(cache=True, inline='always')
def load_target(t, C):
    """The controlled quantity at time t: the stress (MPa) under stress control, else the
    total strain. ``amp`` adds an oscillation ``amp sin(omega (t - t_seg0))``."""
    osc = C.amp * math.sin(C.omega * (t - C.t_seg0)) if C.amp != 0.0 else 0.0
    if C.control == STRESS:
        return C.sigma_hold + osc
    return C.eps0 + C.eps_rate * (t - C.t_seg0) + osc


@njit(cache=True, inline='always')
def stress_now(t, C, K):
    """Macroscopic stress at time t (MPa). Under strain control it follows from the strain
    sums: sigma = (eps(t) - eps_inelastic) / J_inst, an O(1) update per event."""
    x = load_target(t, C)
    if C.control == STRESS:
        return x
    return (x - inelastic(C, K)) / C.J_inst


@njit(cache=True)
def stress_strain(t, C, K):
    """Macroscopic stress (MPa) and total strain at time t between events, with the units
    in local equilibrium at their mean (the instantaneous compliance ``J_inst``); the Python
    layer's view of :func:`stress_now`."""
    x = load_target(t, C)
    inel = inelastic(C, K)
    if C.control == STRESS:
        return x, x * C.J_inst + inel
    return (x - inel) / C.J_inst, x


@njit(cache=True, inline='always')
def inelastic(C, K):
    """Inelastic strain of the dynamic units plus the strain frozen in by healed sites."""
    return (C.d_beta * K.sums[0] + C.d_an * K.sums[1] + C.d_p * K.sums[2]) * C.inv_N + K.frozen[0]


@njit(cache=True)
def drift_to(t, C, K):
    """Advance the mean plastic drift of the elim = 3 units from ``K.t[0]`` to ``t``.

    Each such unit deposits plastic units at ``1/tau_max_j`` with mean ``sigma/sig_sat``,
    so together ``d eps_p/dt = k_fast sigma(t)``. Under stress control that is an integral
    of the known stress; under strain control ``J sigma' = eps'(t) - k_fast sigma`` (a
    Maxwell element with time ``J/k_fast``), solved in closed form for the ramp plus
    oscillation. The drift goes into ``K.frozen``; the caller then sets ``K.t[0] = t``.
    """
    if C.k_fast == 0.0:
        return
    ta = K.t[0]
    dt = t - ta
    if dt <= 0.0:
        return
    pa = C.omega * (ta - C.t_seg0)
    pt = C.omega * (t - C.t_seg0)
    if C.control == STRESS:
        integral = C.sigma_hold * dt
        if C.amp != 0.0:
            integral += C.amp * (math.cos(pa) - math.cos(pt)) / C.omega
        K.frozen[0] += C.k_fast * integral
        return
    lam = C.k_fast / C.J_inst
    decay = math.exp(-lam * dt)
    sig = stress_now(ta, C, K) * decay + C.eps_rate / C.k_fast * (1.0 - decay)
    osc = 0.0
    if C.amp != 0.0:
        w = C.omega
        sig += (C.amp * w / C.J_inst) * ((lam * math.cos(pt) + w * math.sin(pt))
                                         - decay * (lam * math.cos(pa) + w * math.sin(pa))) / (lam * lam + w * w)
        osc = C.amp * math.sin(pt)
    eps = C.eps0 + C.eps_rate * (t - C.t_seg0) + osc
    units = inelastic(C, K) - K.frozen[0]
    K.frozen[0] = eps - units - C.J_inst * sig


@njit(cache=True)
def release_footprint(j, t, S, C):
    """Dissolve the footprint of SMD j back to its nucleus, depositing its plastic strain."""
    a = S.smd[j]
    share = C.d_an * a / S.fp_size[j]
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


@njit(cache=True)
def annihilate_series(j, t, S, C, K):
    """Series rule: the SMD's strain becomes plastic and the unit restarts unpolarised."""
    a = S.smd[j]
    if a == 0:
        return False
    release_footprint(j, t, S, C)
    K.sums[2] += a
    K.sums[1] -= a
    S.smd[j] = 0
    return True


@njit(cache=True)
def coalesce(j, k, t, S, C, K):
    size = min(int(S.fp_size[j]) + int(S.fp_size[k]), COAL_HIST - 1)
    K.counts[C_HIST + size] += 1
    annihilate_series(j, t, S, C, K)
    annihilate_series(k, t, S, C, K)
    K.counts[C_COAL] += 1


@njit(cache=True)
def grow_footprint(j, t, S, C, K):
    """Recruit one neighbour into the footprint of SMD j; coalesce on contact.

    A random footprint site and a random direction are drawn. A free site is
    recruited; if it (or, once recruited, any of its neighbours) belongs to
    another polarised SMD, the two SMDs coalesce. A site held by an unpolarised
    nucleus blocks growth for this event.
    """
    if S.fp_size[j] >= C.fp_max:
        return
    L, dim, nb, z = int(C.L), int(C.dim), int(C.nb), int(C.z)
    r = int(uniform(K.rng) * S.fp_size[j])
    m = j
    for _ in range(r):
        m = S.fp_next[m]
    k = int(uniform(K.rng) * z)
    s = neighbour(m, k, L, dim, nb, S.offsets)
    own = S.owner[s]
    if own == j:
        return
    if own != -1:
        if C.coalescence > 0.5 and S.smd[own] != 0:
            coalesce(j, own, t, S, C, K)
        return
    S.owner[s] = j
    S.fp_next[s] = S.fp_next[j]
    S.fp_next[j] = s
    S.fp_size[j] += 1
    if C.coalescence > 0.5:
        for kk in range(z):
            s2 = neighbour(s, kk, L, dim, nb, S.offsets)
            o2 = S.owner[s2]
            if o2 != -1 and o2 != j and S.smd[o2] != 0:
                coalesce(j, o2, t, S, C, K)
                return


@njit(cache=True, inline='always')
def smd_event(j, t, sigma, S, C, K):
    new = draw_state(K.rng, sigma, C.sig_sat)
    K.work[0] += sigma * C.d_an * (new - S.smd[j]) * C.inv_N
    K.sums[1] += new - S.smd[j]
    S.smd[j] = new
    K.counts[C_SMD] += 1
    if C.series > 0.5 and C.fp_max > 1.5:
        p_grow = site_rates_growth(j, S, C)[3] if C.growth > 0.5 else 1.0
        if p_grow >= 1.0 or uniform(K.rng) < p_grow:
            grow_footprint(j, t, S, C, K)
    if S.smd[j] != 0:  # still an SMD (not annihilated by coalescence): mark its footprint
        m = j
        while m != -1:
            S.last_smd[m] = t
            m = S.fp_next[m]


@njit(cache=True, inline='always')
def annihilation_event(j, t, sigma, S, C, K):
    if C.series > 0.5:
        if annihilate_series(j, t, S, C, K):
            K.counts[C_ANN] += 1
        else:
            K.counts[C_NULL] += 1
    else:
        # parallel (mean-field) rule: a plastic unit drawn from the current bias
        new = draw_state(K.rng, sigma, C.sig_sat)
        K.sums[2] += new
        S.eps_p[j] = float(S.eps_p[j]) + C.d_p * new
        K.counts[C_ANN] += 1


@njit(cache=True, inline='always')
def do_event(j, t, S, C, K):
    """Process one event at QPD site j at time t (probabilities from :func:`fill_rates`)."""
    sigma = stress_now(t, C, K)
    if uniform(K.rng) < S.event_probs[j, 0]:
        annihilation_event(j, t, sigma, S, C, K)
    elif S.elim[j] == 0:
        new = draw_state(K.rng, sigma, C.sig_sat)
        K.sums[0] += new - S.beta[j]
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
    return C.t_seg0 + (inelastic(C, K) - C.eps0) / C.eps_rate


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
    n = 0
    while True:
        if n >= C.max_events:
            return STATUS_EVENTS
        total = S.top[1]
        if math.isnan(K.t_next[0]) and total > 0.0:
            K.t_next[0] = K.t[0] - math.log(uniform_open(K.rng)) / total
        t_new = K.t_next[0] if total > 0.0 else math.inf
        if C.control == UNLOAD:
            t_star = unload_crossing(C, K)
            if t_star <= t_new:
                K.t[0] = max(t_star, K.t[0])
                K.t_next[0] = math.nan
                return STATUS_UNLOADED
        if total <= 0.0:
            drift_to(C.t_stop, C, K)
            K.t[0] = C.t_stop
            return STATUS_NO_EVENTS
        if t_new >= C.t_stop:
            drift_to(C.t_stop, C, K)
            K.t[0] = C.t_stop
            return STATUS_TIME
        drift_to(t_new, C, K)
        K.t[0] = t_new
        K.t_next[0] = math.nan
        j = tree_find(S.top, S.leaves, uniform(K.rng) * total)
        do_event(j, t_new, S, C, K)
        n += 1


@njit(cache=True)
def fill_rates(S, C, leaves):
    """Total rate of every site (0 for matrix sites) into ``leaves`` (e.g. ``S.leaves``), and
    the per-event probabilities into ``S.event_probs``; call again whenever rates change."""
    for j in range(S.kind.size):
        S.event_probs[j, 0] = 0.0
        S.event_probs[j, 1] = 0.0
        leaves[j] = 0.0
        if S.kind[j] == 1:
            r_dyn, r_ann, q = site_rates(j, S, C)
            total = r_dyn + r_ann
            leaves[j] = total
            if total > 0.0:
                S.event_probs[j, 0] = r_ann / total
            S.event_probs[j, 1] = q


@njit(cache=True)
def channel_rates(S, C, r_beta, r_smd, r_ann):
    """Per-site beta, SMD and annihilation rates ignoring elimination (for classification)."""
    for j in range(S.kind.size):
        if S.kind[j] != 1:
            r_beta[j] = 0.0
            r_smd[j] = 0.0
            r_ann[j] = 0.0
            continue
        e = S.elim[j]
        S.elim[j] = 0
        rb, ra, q = site_rates(j, S, C)
        S.elim[j] = e
        r_beta[j] = rb
        r_smd[j] = rb * q
        r_ann[j] = ra

