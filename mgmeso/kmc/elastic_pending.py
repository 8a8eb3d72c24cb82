"""The pending list and the local-stress query of the elastic field (pure numba; docs/kmc_elastic.md 3).

Between two refreshes (:mod:`.elastic_refresh`) every change of a site's eigenstrain is
recorded (:func:`record_event`): ``eps`` and the sums at once, the near stencil
(:mod:`.elastic_stencil`) when there is one, and the pending list, which keeps one slot per
site changed since the refresh with its net change. The query (:func:`local_stress_at`) adds
to the stored stress the far field of every slot (``exact = 1``: one table look-up each, the
positions packed in one int32 and the displacement folded without branches) or the mean far
field of the changes (``exact = 0``: O(1)).

Each per-event function comes in two forms: on the state tuple :data:`.elastic_state.ElasticState`
(``record_event``, ``local_stress_at``) and on plain arrays (``record_flat``,
``local_stress_flat``), which the event loop calls with its arrays unpacked once (numba counts
a reference of every array of a tuple bound to a call, even an inlined one). The tuple forms
call the plain ones: one code path, the same arithmetic.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .elastic_state import _PMASK, PACK_BITS, Q_MAX, _fine, pack_coords
from .elastic_stencil import stencil_add

__all__ = ["exact_far_flat", "far_sum_flat", "local_stress_at", "local_stress_flat", "pending_far_sum",
           "record_event", "record_flat"]


@njit(cache=True, inline="always")
def record_flat(k, de, eps, tot, phi, pend_n, pend_site, pend_xyz, pend_de, seen, geom,
                basis_fine, near_off, near_val, near_lin, chg_xyz, chg_de):
    """:func:`record_event` on the arrays of :data:`.elastic_state.ElasticState` of those names.

    Parameters
    ----------
    k : int
        The site whose eigenstrain changed.
    de : float
        The change of its eigenstrain.
    eps, tot, phi, pend_n, pend_site, pend_xyz, pend_de, seen, geom, basis_fine, near_off : ndarray
        The arrays of :data:`.elastic_state.ElasticState` of those names.
    near_val, near_lin, chg_xyz, chg_de : ndarray
        The arrays of :data:`.elastic_state.ElasticState` of those names (the journal of the
        changes, which the exact query folds at a site queried recently).

    Returns
    -------
    int
        1 when the pending list is full (a refresh is due), else 0.
    """
    n = pend_n[0]
    if de == 0.0:
        return 1 if n >= geom[7] else 0
    eps[k] += de
    tot[0] += de
    tot[1] += de
    if geom[6] > 0:
        stencil_add(k, de, phi, geom, near_off, near_val, near_lin)
    if n < pend_site.shape[0]:
        slot = seen[k] - 1
        if slot >= 0:
            pend_de[slot] += de
        else:
            slot = pend_n[1]
            pend_site[slot] = k
            fx, fy, fz = _fine(k, geom, basis_fine)
            pend_xyz[slot] = pack_coords(fx, fy, fz)
            pend_de[slot] = de
            seen[k] = slot + 1
            pend_n[1] = slot + 1
        chg_xyz[n] = pend_xyz[slot]
        chg_de[n] = de
    pend_n[0] = n + 1
    return 1 if n + 1 >= geom[7] else 0


@njit(cache=True, inline="always")
def record_event(k, de, ES):
    """Record that the eigenstrain of site k changed by ``de``: update the field bookkeeping.

    The pending list holds one slot per site changed since the last refresh (its net
    change), so an exact query sums over the distinct changed sites, however often each
    changed (fast units flip back and forth). ``ES.seen[k]`` is the slot of site k plus one
    (0: unchanged since the refresh). The refresh is due after a number of changes (not of
    slots), so refreshes depend on the events only.

    Parameters
    ----------
    k : int
        The site.
    de : float
        Change of its eigenstrain.
    ES : ElasticState
        The replica's elastic arrays (:data:`.elastic_state.ElasticState`).

    Returns
    -------
    int
        1 when the changes since the refresh reach the soft capacity (the caller must
        refresh before the next query in exact mode, and should soon in any mode), else 0.
    """
    return record_flat(k, de, ES.eps, ES.tot, ES.phi, ES.pend_n, ES.pend_site, ES.pend_xyz,
                       ES.pend_de, ES.seen, ES.geom, ES.basis_fine, ES.near_off, ES.near_val,
                       ES.near_lin, ES.chg_xyz, ES.chg_de)


@njit(cache=True)
def _far_sum_folded(pj, n, slots, pk, de, T, S1, S2, idx):
    # two passes: the table indices first (integer work without branches, which the compiler
    # vectorises), then the sum in slot order (the same additions in the same order as one
    # pass, so the same bits; 2-3 times faster per term, docs/kmc_elastic.md 6.7). K is even in
    # each component: the folded displacement.
    m = _PMASK
    for i in range(slots):
        d = pj - pk[i]
        tx = abs(((d >> (2 * PACK_BITS)) & m) - n)
        ty = abs(((d >> PACK_BITS) & m) - n)
        tz = abs((d & m) - n)
        tx = min(tx, n - tx)
        ty = min(ty, n - ty)
        tz = min(tz, n - tz)
        idx[i] = (tx * S1 + ty) * S2 + tz
    acc = 0.0
    for i in range(slots):
        acc += T[idx[i]] * de[i]
    return acc


@njit(cache=True)
def _far_sum_periodic(pj, n, slots, pk, de, T, S1, S2, idx):
    # the full (unfolded) table: displacement mod n in each component; two passes as above
    m = _PMASK
    for i in range(slots):
        d = pj - pk[i]
        tx = ((d >> (2 * PACK_BITS)) & m) - n
        ty = ((d >> PACK_BITS) & m) - n
        tz = (d & m) - n
        tx += n & (tx >> 31)
        ty += n & (ty >> 31)
        tz += n & (tz >> 31)
        idx[i] = (tx * S1 + ty) * S2 + tz
    acc = 0.0
    for i in range(slots):
        acc += T[idx[i]] * de[i]
    return acc


@njit(cache=True, inline="always")
def _packed_query(j, geom, basis_fine):
    # the packed position of j plus (n, n, n): r_j - r_k + n in each field after a subtraction
    fx, fy, fz = _fine(j, geom, basis_fine)
    n = np.int32(geom[4])
    return np.int32(pack_coords(fx, fy, fz) + pack_coords(n, n, n)), n


@njit(cache=True, inline="always")
def far_sum_flat(j, geom, basis_fine, flat, S1, S2, pend_xyz, pend_de, slots, idx):
    """Far field (MPa) at site j of the first ``slots`` pending slots.

    Parameters
    ----------
    j : int
        The site queried.
    geom, basis_fine : numpy.ndarray
        The arrays of :data:`.elastic_state.ElasticState` of those names.
    flat : numpy.ndarray
        The far table, flattened (``far_table.reshape(far_table.size)``).
    S1, S2 : int32
        ``far_table.shape[1]``, ``far_table.shape[2]``.
    pend_xyz, pend_de : numpy.ndarray
        The packed positions and net changes of the slots.
    slots : int
        Slots in use.
    idx : numpy.ndarray
        int32, at least ``slots`` long: scratch for the table indices.

    Returns
    -------
    float
        The contribution (MPa).
    """
    pj, n = _packed_query(j, geom, basis_fine)
    if geom[5] == 1:
        return _far_sum_folded(pj, n, slots, pend_xyz, pend_de, flat, S1, S2, idx)
    return _far_sum_periodic(pj, n, slots, pend_xyz, pend_de, flat, S1, S2, idx)


@njit(cache=True, inline="always")
def exact_far_flat(j, geom, basis_fine, flat, S1, S2, pend_xyz, pend_de, pend_n, q_far, q_pos,
                   chg_xyz, chg_de, idx):
    """Far field (MPa) at site j of the changes since the refresh, exact, by the cheaper of two
    sums, and the site's query cache updated.

    The slots (one term per site changed since the refresh, :func:`far_sum_flat`) or, when j
    was queried since the refresh after ``p`` of the ``n`` changes and ``n - p`` is fewer than
    the slots, its cached far field plus the changes of the journal since then (one term
    each). The engine's events come back to the same fast sites: at 64^3 (mean-field
    configuration) 24 terms per query against 178 slots (docs/kmc_elastic.md 6.7). Both sums
    are exact to rounding; they differ only in the order of the additions.

    Parameters
    ----------
    j : int
        The site queried.
    geom, basis_fine, flat, S1, S2, pend_xyz, pend_de, idx : ndarray or int
        As in :func:`far_sum_flat`.
    pend_n, q_far, q_pos, chg_xyz, chg_de : numpy.ndarray
        The arrays of :data:`.elastic_state.ElasticState` of those names (``q_far[j]`` and
        ``q_pos[j]`` updated).

    Returns
    -------
    float
        The far field (MPa).
    """
    n = pend_n[0]
    slots = pend_n[1]
    p = np.int64(q_pos[j]) - 1
    if p >= 0 and n - p < slots:
        far = q_far[j]
        if n > p:
            pj, nf = _packed_query(j, geom, basis_fine)
            if geom[5] == 1:
                far += _far_sum_folded(pj, nf, n - p, chg_xyz[p:], chg_de[p:], flat, S1, S2, idx)
            else:
                far += _far_sum_periodic(pj, nf, n - p, chg_xyz[p:], chg_de[p:], flat, S1, S2, idx)
    elif slots > 0:
        far = far_sum_flat(j, geom, basis_fine, flat, S1, S2, pend_xyz, pend_de, slots, idx)
    else:
        far = 0.0
    q_far[j] = far
    q_pos[j] = n + 1 if n < Q_MAX else 0
    return far


@njit(cache=True, inline="always")
def _far_sum(j, geom, basis_fine, far_table, pend_xyz, pend_de, slots):
    flat = far_table.reshape(far_table.size)
    S1, S2 = np.int32(far_table.shape[1]), np.int32(far_table.shape[2])
    return far_sum_flat(j, geom, basis_fine, flat, S1, S2, pend_xyz, pend_de, slots,
                        np.empty(slots, np.int32))


@njit(cache=True, inline="always")
def pending_far_sum(j, ES):
    """Far-field contribution at site j of the changes pending since the refresh.

    One term per slot of the pending list (a changed site and its net change).

    Parameters
    ----------
    j : int
        The site queried.
    ES : ElasticState
        The replica's elastic arrays (:data:`.elastic_state.ElasticState`).

    Returns
    -------
    float
        The contribution (MPa).
    """
    return _far_sum(j, ES.geom, ES.basis_fine, ES.far_table, ES.pend_xyz, ES.pend_de,
                    ES.pend_n[1])


@njit(cache=True, inline="always")
def local_stress_flat(j, sigma_applied, exact, phi, eps, tot, coef, pend_n, n_hard, geom,
                      basis_fine, flat, S1, S2, pend_xyz, pend_de, idx, q_far, q_pos, chg_xyz,
                      chg_de):
    """:func:`local_stress_at` on plain arrays (``n_hard`` the length of the pending list;
    ``flat``, ``S1``, ``S2`` and ``idx``, at least ``n_hard`` long, as in :func:`far_sum_flat`).

    Parameters
    ----------
    j : int
        The site.
    sigma_applied : float
        The applied (macroscopic) stress (MPa).
    exact : int
        1: the exact mode (pending changes summed), 0: windowed.
    phi, eps, tot, coef, pend_n : ndarray
        The arrays of :data:`.elastic_state.ElasticState` of those names.
    n_hard : int
        The length of the pending list.
    geom, basis_fine : ndarray
        Grid geometry and basis.
    flat, S1, S2, idx : ndarray
        Work arrays at least ``n_hard`` long, as in :func:`far_sum_flat`.
    pend_xyz, pend_de : ndarray
        The pending changes' coordinates and sizes.
    q_far, q_pos, chg_xyz, chg_de : ndarray
        The query cache and the journal (:func:`exact_far_flat`; exact mode, updated).

    Returns
    -------
    float
        The local stress at ``j`` (MPa); NaN when the query is not possible.
    """
    if exact:
        if pend_n[0] > n_hard:
            return math.nan  # the list overflowed: the exact sum is no longer known
        far = exact_far_flat(j, geom, basis_fine, flat, S1, S2, pend_xyz, pend_de, pend_n, q_far,
                             q_pos, chg_xyz, chg_de, idx)
        return sigma_applied + (phi[j] + far) + coef[0] * (tot[0] - eps[j])
    return sigma_applied + phi[j] + coef[0] * (tot[0] - eps[j]) + coef[1] * tot[1]


@njit(cache=True, inline="always")
def local_stress_at(j, sigma_applied, ES, exact):
    """Local stress (MPa) felt by the unit at site j: applied plus interactions.

    ``exact = 1`` adds the far field of every site changed since the refresh (exact; NaN
    if the pending list overflowed); ``exact = 0`` adds the mean far contribution of the
    changes since the refresh (O(1)). The mean over all sites equals ``sigma_applied``
    exactly in both modes. The exact mode updates the site's query cache (``q_far``,
    ``q_pos``: what the next query at j starts from), nothing else.

    Parameters
    ----------
    j : int
        The site.
    sigma_applied : float
        Applied stress (MPa).
    ES : ElasticState
        The replica's elastic arrays (:data:`.elastic_state.ElasticState`).
    exact : int
        1 for the exact mode, 0 for the O(1) mean-far mode.

    Returns
    -------
    float
        The local stress (MPa).
    """
    T = ES.far_table
    return local_stress_flat(j, sigma_applied, exact, ES.phi, ES.eps, ES.tot, ES.coef, ES.pend_n,
                             ES.pend_site.shape[0], ES.geom, ES.basis_fine, T.reshape(T.size),
                             np.int32(T.shape[1]), np.int32(T.shape[2]), ES.pend_xyz, ES.pend_de,
                             np.empty(ES.pend_site.shape[0], np.int32), ES.q_far, ES.q_pos,
                             ES.chg_xyz, ES.chg_de)
