"""Rates of the kMC sites (docs/model.md section 2): pure numba kernels on the groups of :mod:`.layout`.

Rates depend on the temperature (``C.times``), the quenched disorder and chi_j of a site and
its equilibrium class, never on unit states, so within a segment the sum tree of
:func:`fill_rates` is static.
"""

from __future__ import annotations

import math

from numba import njit

__all__ = ["site_log_times", "site_log_rates", "site_rates", "site_rates_of", "growth_probability",
           "site_log_times_of", "site_log_rates_of", "growth_probability_of",
           "fill_rates", "channel_rates", "stress_log_gain", "site_rates_stressed_of",
           "hierarchy_log_tmax"]


@njit(cache=True, inline='always')
def hierarchy_log_tmax(ln_h, log_t0, chi):
    """ln tau_max from the hierarchy's beta time ``ln_h`` (log s): ``t0 (tau_h/t0)^(1/chi)``
    above t0, ``tau_h`` below ([Hao2022] Eq. 11b); one formula for the zero-stress and the
    stressed times, local and 'paper' mode.

    Parameters
    ----------
    ln_h : float
        ln of the hierarchy's beta time (log s).
    log_t0 : float
        ln t0 (log s).
    chi : float
        The correlation factor.

    Returns
    -------
    float
        ln tau_max (log s).
    """
    if ln_h > log_t0:
        return log_t0 + (ln_h - log_t0) / chi
    return ln_h


@njit(cache=True, inline='always')
def site_log_times_of(j, log_tb, log_tb_hier, chi, tm, rules):
    """ln tau_beta_j, ln tau_max_j and ln tau_an (before the stable factor) of site j, from
    the site arrays it reads and the times group ``tm``.

    In 'local' mode tau_max_j follows chi_j and the hierarchy's beta time ([Hao2022]
    Eq. 11b, tau_max = tau_beta below t0): the site's own tau_beta_j, or the geometric mean
    over its neighbourhood (``log_tb_hier``), never below the site's own tau_beta_j; in
    'paper' mode it is the lattice's tau_max(T). Matrix sites get the times they would
    have as QPDs (used by the defect dynamics, whose local alpha time is tau_max_j).
    """
    ln_tb = tm.log_tb_mean + log_tb[j] * tm.temp_factor
    if rules.local:
        chi_j = float(chi[j])
        ln_tmax = hierarchy_log_tmax(tm.log_tb_mean + log_tb_hier[j] * tm.temp_factor, tm.log_t0,
                                     chi_j)
        # a neighbourhood beta time can be shorter than the site's own: the alpha time of a
        # site is never shorter than its beta time
        if ln_tmax < ln_tb:
            ln_tmax = ln_tb
        return ln_tb, ln_tmax, math.log(chi_j) / chi_j + ln_tmax
    return ln_tb, tm.log_tmax, tm.log_tan


@njit(cache=True, inline='always')
def site_log_rates_of(j, log_tb, log_tb_hier, chi, log_S, tm, rules):
    """ln tau_beta_j, ln tau_max_j and ln tau_an_j (with the stable factor, truncated so
    that tau_an_j >= tau_beta_j, i.e. q_j <= 1) of site j."""
    ln_tb, ln_tmax, ln_tan = site_log_times_of(j, log_tb, log_tb_hier, chi, tm, rules)
    ln_tan_j = ln_tan - log_S[j]
    if ln_tan_j < ln_tb:
        ln_tan_j = ln_tb
    return ln_tb, ln_tmax, ln_tan_j


@njit(cache=True, inline='always')
def growth_probability_of(j, log_tb, log_tb_hier, chi, log_S, tm, rules):
    """Probability that an SMD event of site j grows its footprint.

    Every event (docs/model.md) by default; with "alpha" growth ``min(1, tau_an_j / tau_max_j)``,
    i.e. at most at the alpha rate ``1/tau_max_j`` -- SMDs expand on the annihilation time
    scale ([Hao2022] Sec. 3.3: tau_2 ~ tau_max), however fast they flip.
    """
    if not rules.growth:
        return 1.0
    _, ln_tmax, ln_tan_j = site_log_rates_of(j, log_tb, log_tb_hier, chi, log_S, tm, rules)
    if ln_tan_j < ln_tmax:
        return math.exp(ln_tan_j - ln_tmax)
    return 1.0


@njit(cache=True)
def site_log_times(j, S, C):
    """:func:`site_log_times_of` on the groups."""
    return site_log_times_of(j, S.log_tb, S.log_tb_hier, S.chi, C.times, C.rules)


@njit(cache=True)
def site_log_rates(j, S, C):
    """:func:`site_log_rates_of` on the groups."""
    return site_log_rates_of(j, S.log_tb, S.log_tb_hier, S.chi, S.log_S, C.times, C.rules)


@njit(cache=True, inline='always')
def class_rates(e, ln_tb, ln_tmax, ln_tan_j):
    """Dynamic-channel rate, annihilation rate and SMD thinning probability of a QPD site in
    equilibrium class ``e`` (0 dynamic, 1 beta in equilibrium, 2 both, else eliminated), from
    its log times ``ln tau_beta``, ``ln tau_max`` and ``ln tau_an`` (log s); shared by the
    zero-stress and the stressed rates so the two cannot diverge."""
    r_ann = math.exp(-ln_tmax)
    if e == 0:
        return math.exp(-ln_tb), r_ann, math.exp(ln_tb - ln_tan_j)
    if e == 1:
        return math.exp(-ln_tan_j), r_ann, 1.0
    if e == 2:
        return 0.0, r_ann, 0.0
    return 0.0, 0.0, 0.0


@njit(cache=True, inline='always')
def site_rates_of(j, e, log_tb, log_tb_hier, chi, log_S, tm, rules):
    """Dynamic-channel rate, annihilation rate and SMD thinning probability of QPD site j
    when its units are in equilibrium class ``e``, from the site arrays it reads."""
    ln_tb, ln_tmax, ln_tan_j = site_log_rates_of(j, log_tb, log_tb_hier, chi, log_S, tm, rules)
    return class_rates(e, ln_tb, ln_tmax, ln_tan_j)


@njit(cache=True)
def site_rates(j, e, S, C):
    """Dynamic-channel rate, annihilation rate and SMD thinning probability of QPD site j
    when its units are in equilibrium class ``e`` (``S.elim[j]``, or 0 to ignore it)."""
    return site_rates_of(j, e, S.log_tb, S.log_tb_hier, S.chi, S.log_S, C.times, C.rules)


@njit(cache=True)
def growth_probability(j, S, C):
    """:func:`growth_probability_of` on the groups."""
    return growth_probability_of(j, S.log_tb, S.log_tb_hier, S.chi, S.log_S, C.times, C.rules)


@njit(cache=True)
def fill_rates(S, C, leaves):
    """Total rate of every site (0 for matrix sites) into ``leaves`` (e.g. ``S.leaves``), and
    the per-event probabilities into ``S.event_probs``; call again whenever rates change."""
    kind, elim, probs = S.kind, S.elim, S.event_probs
    log_tb, log_tb_hier, chi, log_S = S.log_tb, S.log_tb_hier, S.chi, S.log_S
    tm, rules = C.times, C.rules
    for j in range(kind.size):
        probs[j, 0] = 0.0
        probs[j, 1] = 0.0
        leaves[j] = 0.0
        if kind[j] == 1:
            r_dyn, r_ann, q = site_rates_of(j, int(elim[j]), log_tb, log_tb_hier, chi, log_S,
                                            tm, rules)
            total = r_dyn + r_ann
            leaves[j] = total
            if total > 0.0:
                probs[j, 0] = r_ann / total
            probs[j, 1] = q


@njit(cache=True)
def channel_rates(S, C, r_beta, r_smd, r_ann):
    """Per-site beta, SMD and annihilation rates ignoring elimination (for classification)."""
    kind = S.kind
    log_tb, log_tb_hier, chi, log_S = S.log_tb, S.log_tb_hier, S.chi, S.log_S
    tm, rules = C.times, C.rules
    for j in range(kind.size):
        if kind[j] != 1:
            r_beta[j] = 0.0
            r_smd[j] = 0.0
            r_ann[j] = 0.0
            continue
        rb, ra, q = site_rates_of(j, 0, log_tb, log_tb_hier, chi, log_S, tm, rules)
        r_beta[j] = rb
        r_smd[j] = rb * q
        r_ann[j] = ra


@njit(cache=True, inline='always')
def stress_log_gain(sigma, u_rt, sigma1):
    """ln of the factor by which the stress shortens tau_beta ([Hao2022] Eqs. 8, 9).

    ``lng = (U_beta/(R T)) (1 - (1 - min(|sigma|/sigma1, 1))^(3/2))`` >= 0, non-decreasing in
    ``|sigma|`` (MPa); ``u_rt = U_beta/(R T)``, ``sigma1`` (MPa) the barrier-cancelling stress.
    """
    x = abs(sigma) / sigma1
    if x > 1.0:
        x = 1.0
    return u_rt * (1.0 - (1.0 - x) ** 1.5)


@njit(cache=True, inline='always')
def site_rates_stressed_of(j, e, lng, log_tb, log_tb_hier, chi, log_S, tm, rules, chi_paper):
    """:func:`site_rates_of` with tau_beta shortened by ``exp(-lng)`` (docs/kmc_elastic.md 6.10).

    The hierarchy carries the factor to tau_max and tau_an as the mean-field model's non-linear
    mode does: ``tau_max = t0 (tau_h/t0)^(1/chi)`` (tau_h the hierarchy's beta time, shifted by
    the same ``lng``; below t0 tau_max = tau_h; 'local' mode: never below tau_beta_j),
    ``tau_an_j = chi^(1/chi) tau_max / S_j`` (never below tau_beta_j). ``chi_paper`` is chi(T)
    of the 'paper' mode's lattice-wide tau_max. Every rate is non-decreasing in ``lng``.
    Returns the dynamic-channel rate, the annihilation rate and the SMD thinning probability.
    """
    ln_tb = tm.log_tb_mean + log_tb[j] * tm.temp_factor - lng
    if rules.local:
        chi_j = float(chi[j])
        ln_tmax = hierarchy_log_tmax(tm.log_tb_mean + log_tb_hier[j] * tm.temp_factor - lng,
                                     tm.log_t0, chi_j)
        if ln_tmax < ln_tb:
            ln_tmax = ln_tb
        ln_tan = math.log(chi_j) / chi_j + ln_tmax
    else:
        ln_tmax = hierarchy_log_tmax(tm.log_tb_mean - lng, tm.log_t0, chi_paper)
        # the paper mode's tau_an/tau_max = chi^(1/chi) is kept from the zero-stress times
        ln_tan = tm.log_tan + (ln_tmax - tm.log_tmax)
    ln_tan_j = ln_tan - log_S[j]
    if ln_tan_j < ln_tb:
        ln_tan_j = ln_tb
    return class_rates(e, ln_tb, ln_tmax, ln_tan_j)
