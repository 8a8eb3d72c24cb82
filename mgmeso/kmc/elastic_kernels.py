"""Pure numba kernels of the elastic interactions (docs/model.md section 2a). No objects, no I/O, no RNG.

The local stress felt by the unit at site j (the stress that biases its two-state law) is

    sigma_loc(j) = sigma_applied + sum_{k != j} (K(r_j - r_k) + s) e_k

with K the lattice propagator of :mod:`.eshelby` (self-term K(0) excluded: a unit's own
back-stress is already in its two-state law) and the uniform shift ``s = K(0)/(N - 1)``,
which makes ``sum_{k != j} (K + s) = 0``: the mean of sigma_loc over the sites equals the
applied stress exactly, for any eigenstrain field, so the interactions add fluctuations
and no mean-field feedback (the measured compliances already contain it).

Field update ("refresh + near stencil + pending far part"; docs/kmc_elastic.md section 3):

* ``phi`` holds ``sum_{k != j} K(r_j - r_k) e_k`` exactly after a refresh (one FFT,
  Python layer, :meth:`.elastic.ElasticField.refresh`);
* :func:`record_event` updates ``phi`` at once on the sites within the near radius of the
  changed site (the stencil, exact) and appends the change to the pending list;
* :func:`local_stress_at` adds the far contributions of the changes since the refresh,
  either exactly (``exact = 1``: one table look-up per site changed since the refresh,
  with its net change; the pending list keeps one slot per changed site, so a fast unit
  flipping back and forth costs one term) or as their mean (``exact = 0``: O(1); the
  error is the zero-mean far field of the recent changes, i.e. beyond the near radius the
  field lags by at most one refresh; measured in docs/kmc_elastic.md). A run uses one mode
  between two refreshes.

State arrays travel in the namedtuple :data:`ElasticState`.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np
from numba import njit

from .bias import draw_state_biased

__all__ = [
    "GEOM_FIELDS",
    "ElasticState",
    "apply_stencil",
    "drive_two_state",
    "far_value",
    "finish_refresh",
    "fine_coords",
    "local_stress_at",
    "pack_coords",
    "pending_far_sum",
    "record_event",
    "site_cell",
]

ElasticState = namedtuple("ElasticState", [
    "eps",        # float64[N]: eigenstrain of each site (the engine's local strain)
    "phi",        # float64[N]: interaction stress from the other sites (MPa), exact at the
                  # last refresh, plus the near-stencil contributions of the events since
    "tot",        # float64[3]: [sum of eps, sum of the changes since the last refresh,
                  # sum of the plastic eigenstrain (the engine's loop; 0 elsewhere)]
    "pend_site",  # int32[K]: the sites changed since the last refresh (one slot each)
    "pend_xyz",   # int32[K]: their fine-grid coordinates, packed (pack_coords)
    "pend_de",    # float64[K]: their net eigenstrain changes since the refresh
    "pend_n",     # int64[2]: changes since the last refresh (beyond K: exact = 1 is void),
                  # slots in use
    "seen",       # int32[N]: slot of each site in the pending list plus one (0: none)
    "near_off",   # int32[nb, M, 4]: stencil cell shift (x, y, z) and target basis site
    "near_val",   # float64[nb, M]: K at the stencil displacements (MPa per strain)
    "near_lin",   # int64[nb, M]: site-index offset of the stencil targets away from the edges
    "far_table",  # float64 3D: K on the fine grid with the stencil and the origin set to 0
    "basis_fine", # int64[nb, 3]: fine-grid offset of each basis site
    "geom",       # int64[8]: see GEOM_FIELDS
    "coef",       # float64[4]: s (uniform shift), c_far (mean far kernel / N), K(0),
                  # K(0) N/(N - 1) (the plastic self-term, docs/kmc_elastic.md section 6.9)
])

GEOM_FIELDS = ("L", "dim", "nb", "hm", "n_fine", "fold", "M", "K_soft", "reach")


@njit(cache=True, inline="always")
def site_cell(j, L, dim, nb):
    """Cell coordinates (x, y, z) and basis index b of site j (z = 0 in 2D).

    Parameters
    ----------
    j : int
        Site index.
    L, dim, nb : int
        Cells per edge, dimension and sites per cell.

    Returns
    -------
    x, y, z, b : int
        Cell coordinates and basis index.
    """
    b = j % nb
    cell = j // nb
    if dim == 3:
        z = cell % L
        y = (cell // L) % L
        x = cell // (L * L)
        return x, y, z, b
    return cell // L, cell % L, 0, b


@njit(cache=True, inline="always")
def _fine(j, geom, basis_fine):
    # plain-array form: binding the state tuple to a call, even an inlined one, counts a
    # reference of each of its arrays (atomic); the per-event paths avoid it
    L, dim, nb, hm = geom[0], geom[1], geom[2], geom[3]
    x, y, z, b = site_cell(j, L, dim, nb)
    return hm * x + basis_fine[b, 0], hm * y + basis_fine[b, 1], hm * z + basis_fine[b, 2]


@njit(cache=True, inline="always")
def fine_coords(j, ES):
    """Fine-grid coordinates of site j.

    Parameters
    ----------
    j : int
        Site index.
    ES : ElasticState
        The replica's elastic arrays (:data:`ElasticState`).

    Returns
    -------
    fx, fy, fz : int
        Coordinates on the fine grid of the propagator table.
    """
    return _fine(j, ES.geom, ES.basis_fine)


@njit(cache=True, inline="always")
def _wrap(d, n, fold):
    """Reduce a fine-grid coordinate difference in (-n, n) to a table index."""
    if d < 0:
        d += n
    if fold:
        d = min(d, n - d)
    return d


@njit(cache=True, inline="always")
def far_value(dx, dy, dz, ES):
    """Far-table value at a fine-grid displacement with components in (-n, n).

    Parameters
    ----------
    dx, dy, dz : int
        Fine-grid displacement.
    ES : ElasticState
        The replica's elastic arrays (:data:`ElasticState`).

    Returns
    -------
    float
        K of the far (smooth) part at that displacement (MPa per unit eigenstrain).
    """
    n = ES.geom[4]
    fold = ES.geom[5] == 1
    return ES.far_table[_wrap(dx, n, fold), _wrap(dy, n, fold), _wrap(dz, n, fold)]


@njit(cache=True, inline="always")
def _stencil_add(k, de, phi, geom, near_off, near_val, near_lin):
    L, dim, nb, M, reach = geom[0], geom[1], geom[2], geom[6], geom[8]
    x, y, z, b = site_cell(k, L, dim, nb)
    hi = L - reach
    if reach <= x < hi and reach <= y < hi and (dim == 2 or reach <= z < hi):
        # away from the periodic edges the targets are fixed index offsets (no wrapping)
        for m in range(M):
            phi[k + near_lin[b, m]] += near_val[b, m] * de
        return
    for m in range(M):
        tx = x + near_off[b, m, 0]
        if tx >= L:
            tx -= L
        elif tx < 0:
            tx += L
        ty = y + near_off[b, m, 1]
        if ty >= L:
            ty -= L
        elif ty < 0:
            ty += L
        if dim == 3:
            tz = z + near_off[b, m, 2]
            if tz >= L:
                tz -= L
            elif tz < 0:
                tz += L
            t = ((tx * L + ty) * L + tz) * nb + near_off[b, m, 3]
        else:
            t = (tx * L + ty) * nb + near_off[b, m, 3]
        phi[t] += near_val[b, m] * de


@njit(cache=True, inline="always")
def apply_stencil(k, de, ES):
    """Add K(r_t - r_k) de to phi on every site t of the near stencil of site k.

    Parameters
    ----------
    k : int
        Site whose eigenstrain changed.
    de : float
        The change.
    ES : ElasticState
        The replica's elastic arrays (:data:`ElasticState`).
    """
    _stencil_add(k, de, ES.phi, ES.geom, ES.near_off, ES.near_val, ES.near_lin)


PACK_BITS = 10
"""Bits per coordinate of a packed fine-grid position (:func:`pack_coords`): grids of at most
``2**(PACK_BITS - 1)`` points per edge."""
_PMASK = (1 << PACK_BITS) - 1


@njit(cache=True, inline="always")
def pack_coords(fx, fy, fz):
    """One int32 holding fine-grid coordinates (each below ``2**(PACK_BITS - 1)``).

    The fields are wide enough that ``(pack(r_j) + pack(n, n, n)) - pack(r_k)`` holds
    ``r_j - r_k + n`` in each field without a borrow between them (:func:`pending_far_sum`).

    Parameters
    ----------
    fx, fy, fz : int
        Fine-grid coordinates.

    Returns
    -------
    int32
        The packed position.
    """
    return (fx << (2 * PACK_BITS)) | (fy << PACK_BITS) | fz


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
        The replica's elastic arrays (:data:`ElasticState`).

    Returns
    -------
    int
        1 when the changes since the refresh reach the soft capacity (the caller must
        refresh before the next query in exact mode, and should soon in any mode), else 0.
    """
    n = ES.pend_n[0]
    if de == 0.0:
        return 1 if n >= ES.geom[7] else 0
    geom = ES.geom
    ES.eps[k] += de
    tot = ES.tot
    tot[0] += de
    tot[1] += de
    if geom[6] > 0:
        _stencil_add(k, de, ES.phi, geom, ES.near_off, ES.near_val, ES.near_lin)
    pend_n = ES.pend_n
    if n < ES.pend_site.shape[0]:
        seen = ES.seen
        slot = seen[k] - 1
        if slot >= 0:
            ES.pend_de[slot] += de
        else:
            slot = pend_n[1]
            ES.pend_site[slot] = k
            fx, fy, fz = _fine(k, geom, ES.basis_fine)
            ES.pend_xyz[slot] = pack_coords(fx, fy, fz)
            ES.pend_de[slot] = de
            seen[k] = slot + 1
            pend_n[1] = slot + 1
    pend_n[0] = n + 1
    return 1 if n + 1 >= geom[7] else 0


@njit(cache=True)
def _far_sum_folded(pj, n, slots, pk, de, T, S1, S2):
    # branch-free, one packed load and one table load per slot (K even in each component)
    acc = 0.0
    m = _PMASK
    for i in range(slots):
        d = pj - pk[i]
        tx = abs(((d >> (2 * PACK_BITS)) & m) - n)
        ty = abs(((d >> PACK_BITS) & m) - n)
        tz = abs((d & m) - n)
        tx = min(tx, n - tx)
        ty = min(ty, n - ty)
        tz = min(tz, n - tz)
        acc += T[(tx * S1 + ty) * S2 + tz] * de[i]
    return acc


@njit(cache=True)
def _far_sum_periodic(pj, n, slots, pk, de, T, S1, S2):
    # the full (unfolded) table: displacement mod n in each component
    acc = 0.0
    m = _PMASK
    for i in range(slots):
        d = pj - pk[i]
        tx = ((d >> (2 * PACK_BITS)) & m) - n
        ty = ((d >> PACK_BITS) & m) - n
        tz = (d & m) - n
        tx += n & (tx >> 31)
        ty += n & (ty >> 31)
        tz += n & (tz >> 31)
        acc += T[(tx * S1 + ty) * S2 + tz] * de[i]
    return acc


@njit(cache=True, inline="always")
def _far_sum(j, geom, basis_fine, far_table, pend_xyz, pend_de, slots):
    fx, fy, fz = _fine(j, geom, basis_fine)
    n = np.int32(geom[4])
    pj = np.int32(pack_coords(fx, fy, fz) + pack_coords(n, n, n))
    flat = far_table.reshape(far_table.size)
    S1, S2 = np.int32(far_table.shape[1]), np.int32(far_table.shape[2])
    if geom[5] == 1:
        return _far_sum_folded(pj, n, slots, pend_xyz, pend_de, flat, S1, S2)
    return _far_sum_periodic(pj, n, slots, pend_xyz, pend_de, flat, S1, S2)


@njit(cache=True, inline="always")
def pending_far_sum(j, ES):
    """Far-field contribution at site j of the changes pending since the refresh.

    One term per slot of the pending list (a changed site and its net change).

    Parameters
    ----------
    j : int
        The site queried.
    ES : ElasticState
        The replica's elastic arrays (:data:`ElasticState`).

    Returns
    -------
    float
        The contribution (MPa).
    """
    return _far_sum(j, ES.geom, ES.basis_fine, ES.far_table, ES.pend_xyz, ES.pend_de,
                    ES.pend_n[1])


@njit(cache=True, inline="always")
def local_stress_at(j, sigma_applied, ES, exact):
    """Local stress (MPa) felt by the unit at site j: applied plus interactions.

    ``exact = 1`` adds the far field of every site changed since the refresh (exact; NaN
    if the pending list overflowed); ``exact = 0`` adds the mean far contribution of the
    changes since the refresh (O(1)). The mean over all sites equals ``sigma_applied``
    exactly in both modes. Neither mode changes the state.

    Parameters
    ----------
    j : int
        The site.
    sigma_applied : float
        Applied stress (MPa).
    ES : ElasticState
        The replica's elastic arrays (:data:`ElasticState`).
    exact : int
        1 for the exact mode, 0 for the O(1) mean-far mode.

    Returns
    -------
    float
        The local stress (MPa).
    """
    coef = ES.coef
    tot = ES.tot
    if exact:
        pend_n = ES.pend_n
        if pend_n[0] > ES.pend_site.shape[0]:
            return math.nan  # the list overflowed: the exact sum is no longer known
        far = 0.0
        if pend_n[1] > 0:
            far = _far_sum(j, ES.geom, ES.basis_fine, ES.far_table, ES.pend_xyz, ES.pend_de,
                           pend_n[1])
        return sigma_applied + (ES.phi[j] + far) + coef[0] * (tot[0] - ES.eps[j])
    return sigma_applied + ES.phi[j] + coef[0] * (tot[0] - ES.eps[j]) + coef[1] * tot[1]


@njit(cache=True)
def finish_refresh(field, K0, eps, phi, tot, seen, pend_site, pend_n):
    """Complete a refresh from the FFT result: interaction stress, sums, empty pending list.

    Parameters
    ----------
    field : numpy.ndarray
        float64 (N,): ``sum_k K(r_j - r_k) e_k`` from a fresh FFT (self-terms included).
    K0 : float
        The self-term ``K(0)``.
    eps, phi, tot, seen, pend_site, pend_n : numpy.ndarray
        The arrays of :data:`ElasticState` of those names (phi, tot, seen, pend_n updated).
    """
    acc = 0.0
    for j in range(field.shape[0]):
        phi[j] = field[j] - K0 * eps[j]
        acc += eps[j]
    tot[0] = acc
    tot[1] = 0.0
    for i in range(min(pend_n[1], pend_site.shape[0])):
        seen[pend_site[i]] = 0
    pend_n[0] = 0
    pend_n[1] = 0


@njit(cache=True)
def drive_two_state(sites, start, state, d, sigma_applied, sig_sat, mode, rng, ES, exact):
    """Run the reference event loop: two-state units resampled at their local stress.

    Processes the events ``sites[start:]`` in order (every site is a unit with state
    ``state[j] = +-1`` and eigenstrain ``d * state[j]``, which ``ES.eps`` must hold):
    local stress, new state from the bias law (:func:`.bias.draw_state_biased`), and
    :func:`record_event` for the change. Stops after the event that fills the pending
    buffer, so the caller refreshes and resumes -- the pattern the kMC engine follows.

    Parameters
    ----------
    sites : numpy.ndarray
        int (n_events,): site of each event.
    start : int
        First event to process.
    state : numpy.ndarray
        int8 (N,): unit states, updated in place.
    d : float
        Unit strain of a unit.
    sigma_applied : float
        Applied stress (MPa).
    sig_sat : float
        Saturation stress of the bias law (MPa).
    mode : int
        Bias-law code (:mod:`.bias`).
    rng : numpy.ndarray
        uint64 (4,): xoshiro state, advanced in place.
    ES : ElasticState
        The replica's elastic arrays (:data:`ElasticState`).
    exact : int
        Query mode of :func:`local_stress_at`.

    Returns
    -------
    int
        Index of the next event (``len(sites)`` when done).
    """
    for i in range(start, sites.shape[0]):
        j = sites[i]
        sig = local_stress_at(j, sigma_applied, ES, exact)
        new = draw_state_biased(rng, sig, sig_sat, mode)
        if new != state[j]:
            full = record_event(j, d * (new - state[j]), ES)
            state[j] = new
            if full:
                return i + 1
    return sites.shape[0]
