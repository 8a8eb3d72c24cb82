"""The per-event steps of the interacting kMC loop (docs/kmc_elastic.md section 6). Pure numba kernels.

:func:`.elastic_loop.run_until_elastic` calls these with its arrays taken out of the groups once
(plain arrays: binding a group to a call, even an inlined one, counts a reference of each of its
arrays): the SMD event with its footprint growth and coalescence (:func:`.kernels.smd_event`
draw for draw, at the local stress), the series annihilation keeping the float64 sum of the
plastic store, the SMD's own-footprint stress, and the journal in which the steps leave the
thinning's records of an event, replayed in their order after it. The group forms
:func:`footprint_stress` and :func:`plastic_self` are for the Python layer and the tests.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from . import elastic_thinning as th
from .bias import draw_state_biased
from .elastic_state import _fine, _wrap
from .kernels import annihilate_smd
from .lattice import neighbour
from .layout import C_COAL, C_HIST, C_SMD, COAL_HIST, SUM_SMD
from .rng import uniform

__all__ = ["JOURNAL", "annihilate_flat", "footprint_stress", "footprint_stress_flat", "plastic_self",
           "replay_journal", "smd_event_flat"]

#: journal of the thinning's records within one event (site, eigenstrain change, plastic change)
JOURNAL = 512


@njit(cache=True, inline="always")
def footprint_stress_flat(j, share, fp_next, T, geom, basis_fine, coef):
    """:func:`footprint_stress` on plain arrays (``T`` the full propagator table).

    Parameters
    ----------
    j : int
        The SMD's site.
    share, fp_next, T, geom, basis_fine, coef : ndarray
        As in :func:`footprint_stress`, as plain arrays (``T`` the full propagator
        table).

    Returns
    -------
    float
        The footprint's contribution to the stress at ``j`` (MPa).
    """
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
    return footprint_stress_flat(j, share, S.fp_next, EF.full_table, EF.geom, EF.basis_fine, EF.coef)


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
def annihilate_flat(j, t, smd, fp_size, owner, fp_next, eps_p, last_smd, sums, d_an, ann_site, ann_old, tot,
                    thin, jn_site, jn_de, jn_dp, jn_n):
    """:func:`.kernels.annihilate_smd` (series rule), keeping ``tot[2]``.

    The footprint's share goes from the two-state part to the plastic part of the same sites:
    the eigenstrain is unchanged (nothing is recorded), the plastic self-term changes. The
    change of the float32 store is computed as :func:`.kernels.release_footprint` rounds it.
    With ``thin`` the plastic change of every footprint site enters its stress bound.

    Parameters
    ----------
    j : int
        The SMD's site.
    t : float
        The event time (s).
    smd, fp_size, owner, fp_next, eps_p, last_smd, sums, d_an : ndarray
        The site and footprint arrays of :func:`.kernels.annihilate_smd`.
    ann_site, ann_old : ndarray
        Buffers: the footprint's sites and their plastic strain before the event.
    tot : ndarray
        The field's running totals (``tot[2]`` kept).
    thin : int
        1: the plastic changes enter the thinning's journal.
    jn_site, jn_de, jn_dp, jn_n : ndarray
        The thinning's journal of the event (sites, eigenstrain and plastic changes,
        length).

    Returns
    -------
    int
        What :func:`.kernels.annihilate_smd` returns.
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
def _coalesce(j, k, t, smd, fp_size, owner, fp_next, eps_p, last_smd, sums, counts, d_an, ann_site, ann_old,
              tot, thin, jn_site, jn_de, jn_dp, jn_n):
    # rare (about 1e-4 per event in the mesoscale configuration): not inlined
    size = min(int(fp_size[j]) + int(fp_size[k]), COAL_HIST - 1)
    counts[C_HIST + size] += 1
    annihilate_flat(j, t, smd, fp_size, owner, fp_next, eps_p, last_smd, sums, d_an, ann_site, ann_old, tot,
                    thin, jn_site, jn_de, jn_dp, jn_n)
    annihilate_flat(k, t, smd, fp_size, owner, fp_next, eps_p, last_smd, sums, d_an, ann_site, ann_old, tot,
                    thin, jn_site, jn_de, jn_dp, jn_n)
    counts[C_COAL] += 1


@njit(cache=True, inline="always")
def _grow(j, t, smd, fp_size, owner, fp_next, eps_p, last_smd, offsets, rng, sums, counts, cal, rules, gm,
          ann_site, ann_old, tot, thin, jn_site, jn_de, jn_dp, jn_n):
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
            _coalesce(j, own, t, smd, fp_size, owner, fp_next, eps_p, last_smd, sums, counts, cal.d_an,
                      ann_site, ann_old, tot, thin, jn_site, jn_de, jn_dp, jn_n)
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
                _coalesce(j, o2, t, smd, fp_size, owner, fp_next, eps_p, last_smd, sums, counts, cal.d_an,
                          ann_site, ann_old, tot, thin, jn_site, jn_de, jn_dp, jn_n)
                return s
    return s


@njit(cache=True, inline="always")
def smd_event_flat(j, t, sig, smd, fp_size, owner, fp_next, eps_p, last_smd, offsets, rng, sums, work, counts,
                   cal, rules, gm, p_grow, fp_buf, ann_site, ann_old, tot, thin, jn_site, jn_de, jn_dp, jn_n):
    """:func:`.kernels.smd_event` at the SMD's stress ``sig`` (its own footprint's part
    removed by the caller), ``p_grow`` the growth probability. Leaves the footprint before
    growth in ``fp_buf`` and returns its size, the recruited site (-1: none), the change of
    each old footprint site's eigenstrain and the recruited site's; the caller records them.

    Parameters
    ----------
    j : int
        The SMD's site.
    t : float
        The event time (s).
    sig : float
        The SMD's stress (MPa), its own footprint's part removed.
    smd, fp_size, owner, fp_next, eps_p, last_smd, offsets : ndarray
        The site and footprint arrays of :func:`.kernels.smd_event`.
    rng : ndarray
        The kernels' generator state.
    sums, work, counts, cal, rules, gm : ndarray
        Running sums, anelastic work, event counters, calibration, rules and growth
        model of :func:`.kernels.smd_event`.
    p_grow : float
        The growth probability.
    fp_buf : ndarray
        Buffer: the footprint before growth.
    ann_site, ann_old, tot : ndarray
        As in :func:`annihilate_flat`.
    thin : int
        1: the changes enter the thinning's journal.
    jn_site, jn_de, jn_dp, jn_n : ndarray
        The thinning's journal of the event.

    Returns
    -------
    tuple of (int, int, float, float)
        The footprint's size before growth, the recruited site (-1: none), the change of
        each old footprint site's eigenstrain and the recruited site's.
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
            grown = _grow(j, t, smd, fp_size, owner, fp_next, eps_p, last_smd, offsets, rng, sums, counts,
                          cal, rules, gm, ann_site, ann_old, tot, thin, jn_site, jn_de, jn_dp, jn_n)
    if smd[j] != 0:
        m = j
        while m != -1:
            last_smd[m] = t
            m = fp_next[m]
    f1 = f0 + 1 if grown >= 0 else f0
    share1 = cal.d_an * new / f1
    return f0, grown, share1 - share0, share1


@njit(cache=True)
def replay_journal(jn_site, jn_de, jn_dp, jn_n, eps, eps_p, e_ref, p_ref, c, nacc, bnd, cnt, near_off,
                   near_abs, sgeom, kind, top, leaves, elim, log_tb, log_tb_hier, chi, log_S, times, rules,
                   st, sig_sat_p):
    """Replay the thinning's records of one event (:func:`.elastic_thinning.record_change_flat`)
    in the order the event made them, and empty the journal.

    Parameters
    ----------
    jn_site, jn_de, jn_dp, jn_n : ndarray
        The journal (sites, eigenstrain and plastic changes, length), emptied.
    eps, eps_p, e_ref, p_ref, c, nacc, bnd, cnt, near_off, near_abs, sgeom, kind : ndarray or float
        As in :func:`.elastic_thinning.record_change_flat`.
    top, leaves, elim, log_tb, log_tb_hier, chi, log_S, times, rules, st : ndarray or float
        As in :func:`.elastic_thinning.record_change_flat`.
    sig_sat_p : ndarray or float
        As in :func:`.elastic_thinning.record_change_flat`.
    """
    for i in range(jn_n[0]):
        th.record_change_flat(jn_site[i], jn_de[i], jn_dp[i], eps, eps_p, e_ref, p_ref, c, nacc, bnd, cnt,
                              near_off, near_abs, sgeom, kind, top, leaves, elim, log_tb, log_tb_hier, chi,
                              log_S, times, rules, st, sig_sat_p)
    jn_n[0] = 0
