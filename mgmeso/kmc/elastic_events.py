"""The per-event steps of the interacting kMC loop (docs/kmc_elastic.md section 6). Pure numba kernels.

:func:`.elastic_loop.run_until_elastic` calls these with its arrays taken out of the groups once
(plain arrays: binding a group to a call, even an inlined one, counts a reference of each of its
arrays): the SMD event with its footprint growth and coalescence (:func:`.kernels.smd_event`
itself, at the local stress, with a footprint buffer and a log of the plastic changes that the
loop without interactions passes empty), the float64 sum of the plastic store kept from that
log (:func:`settle_log`), the SMD's own-footprint stress, and the journal in which the steps
leave the thinning's records of an event, replayed in their order after it. The group forms
:func:`footprint_stress` and :func:`plastic_self` are for the Python layer and the tests.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from . import elastic_thinning as th
from .elastic_state import _fine, _wrap
from .kernels import smd_event

__all__ = ["JOURNAL", "footprint_stress", "footprint_stress_flat", "plastic_self", "replay_journal",
           "settle_log", "smd_event_flat"]

#: journal of one event's records for the thinning (site, eigenstrain change, plastic change) and
#: log of its plastic changes (:func:`.kernels.annihilate_logged`): two footprints and their sums
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
def settle_log(jn_site, jn_de, jn_dp, jn_n, tot, thin):
    """Take the log of an event's plastic changes (:func:`.kernels.annihilate_logged`) into the
    field: ``tot[2]`` gains each annihilation's sum, in the order they happened; with ``thin``
    the entries stay as the thinning's journal (eigenstrain change 0: the strain only turned
    plastic), replayed by :func:`replay_journal`, else the log is emptied.

    Parameters
    ----------
    jn_site, jn_de, jn_dp, jn_n : ndarray
        The journal: sites (-1: the sum of one annihilation), eigenstrain and plastic
        changes, length.
    tot : ndarray
        The field's running totals (``tot[2]`` kept).
    thin : int
        1: keep the entries for the thinning.
    """
    for i in range(jn_n[0]):
        if jn_site[i] < 0:
            tot[2] += jn_dp[i]
        else:
            jn_de[i] = 0.0
    if not thin:
        jn_n[0] = 0


@njit(cache=True, inline="always")
def smd_event_flat(j, t, sig, smd, fp_size, owner, fp_next, eps_p, last_smd, offsets, rng, sums, work, counts,
                   cal, rules, gm, p_grow, fp_buf, tot, thin, jn_site, jn_de, jn_dp, jn_n):
    """:func:`.kernels.smd_event` (the same code) at the SMD's stress ``sig`` (its own
    footprint's part removed by the caller), ``p_grow`` the growth probability, and what the
    field needs of it: the footprint before growth in ``fp_buf``, its size, the recruited
    site (-1: none), the change of each old footprint site's eigenstrain and the recruited
    site's; the caller records them. The plastic changes of a coalescence are settled
    (:func:`settle_log`).

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
    tot : ndarray
        The field's running totals (``tot[2]`` kept).
    thin : int
        1: the changes stay in the thinning's journal.
    jn_site, jn_de, jn_dp, jn_n : ndarray
        The thinning's journal of the event (the log of :func:`.kernels.annihilate_logged`).

    Returns
    -------
    tuple of (int, int, float, float)
        The footprint's size before growth, the recruited site (-1: none), the change of
        each old footprint site's eigenstrain and the recruited site's.
    """
    f0 = int(fp_size[j])
    share0 = cal.d_an * smd[j] / f0
    new, grown = smd_event(j, t, sig, smd, fp_size, owner, fp_next, eps_p, last_smd, offsets, rng, sums,
                           work, counts, p_grow, cal, rules, gm, fp_buf, jn_site, jn_dp, jn_n)
    if jn_n[0] > 0:
        settle_log(jn_site, jn_de, jn_dp, jn_n, tot, thin)
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
        if jn_site[i] >= 0:     # -1: the sum of one annihilation (settle_log)
            th.record_change_flat(jn_site[i], jn_de[i], jn_dp[i], eps, eps_p, e_ref, p_ref, c, nacc, bnd,
                                  cnt, near_off, near_abs, sgeom, kind, top, leaves, elim, log_tb,
                                  log_tb_hier, chi, log_S, times, rules, st, sig_sat_p)
    jn_n[0] = 0
