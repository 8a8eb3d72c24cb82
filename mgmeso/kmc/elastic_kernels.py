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
  either exactly and lazily (``exact = 1``: site j folds into ``phi[j]`` the changes
  appended since its own last query, so a site queried often pays little) or as their
  mean (``exact = 0``: O(1); the error is the zero-mean far field of the recent changes,
  i.e. beyond the near radius the field lags by at most one refresh; measured in
  docs/kmc_elastic.md). A run uses one mode between two refreshes.

State arrays travel in the namedtuple :data:`ElasticState`.
"""

from __future__ import annotations

import math
from collections import namedtuple

from numba import njit

from .bias import draw_state_biased

__all__ = [
    "GEOM_FIELDS",
    "ElasticState",
    "apply_stencil",
    "drive_two_state",
    "far_value",
    "fine_coords",
    "local_stress_at",
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
    "pend_site",  # int32[K]: sites changed since the last refresh, in order
    "pend_xyz",   # int32[K, 3]: their fine-grid coordinates
    "pend_de",    # float64[K]: their eigenstrain changes
    "pend_n",     # int64[1]: changes since the last refresh (beyond K: exact = 1 is void)
    "seen",       # int32[N]: pending changes already folded into phi[j] (exact mode)
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
    g = ES.geom
    L, dim, nb, hm = g[0], g[1], g[2], g[3]
    x, y, z, b = site_cell(j, L, dim, nb)
    return (hm * x + ES.basis_fine[b, 0], hm * y + ES.basis_fine[b, 1],
            hm * z + ES.basis_fine[b, 2])


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
    g = ES.geom
    L, dim, nb, M, reach = g[0], g[1], g[2], g[6], g[8]
    x, y, z, b = site_cell(k, L, dim, nb)
    hi = L - reach
    phi = ES.phi
    if reach <= x < hi and reach <= y < hi and (dim == 2 or reach <= z < hi):
        # away from the periodic edges the targets are fixed index offsets (no wrapping)
        lin = ES.near_lin[b]
        val = ES.near_val[b]
        for m in range(M):
            phi[k + lin[m]] += val[m] * de
        return
    for m in range(M):
        tx = x + ES.near_off[b, m, 0]
        if tx >= L:
            tx -= L
        elif tx < 0:
            tx += L
        ty = y + ES.near_off[b, m, 1]
        if ty >= L:
            ty -= L
        elif ty < 0:
            ty += L
        if dim == 3:
            tz = z + ES.near_off[b, m, 2]
            if tz >= L:
                tz -= L
            elif tz < 0:
                tz += L
            t = ((tx * L + ty) * L + tz) * nb + ES.near_off[b, m, 3]
        else:
            t = (tx * L + ty) * nb + ES.near_off[b, m, 3]
        ES.phi[t] += ES.near_val[b, m] * de


@njit(cache=True, inline="always")
def record_event(k, de, ES):
    """Record that the eigenstrain of site k changed by ``de``: update the field bookkeeping.

    Returns 1 when the pending list holds its soft capacity (the caller must refresh before
    the next query in exact mode, and should soon in any mode), else 0.

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
        1 when the pending list holds its soft capacity (the caller must refresh before the
        next query in exact mode, and should soon in any mode), else 0.
    """
    n = ES.pend_n[0]
    if de == 0.0:
        return 1 if n >= ES.geom[7] else 0
    ES.eps[k] += de
    ES.tot[0] += de
    ES.tot[1] += de
    apply_stencil(k, de, ES)
    if n < ES.pend_site.shape[0]:
        ES.pend_site[n] = k
        fx, fy, fz = fine_coords(k, ES)
        ES.pend_xyz[n, 0] = fx
        ES.pend_xyz[n, 1] = fy
        ES.pend_xyz[n, 2] = fz
        ES.pend_de[n] = de
    ES.pend_n[0] = n + 1
    return 1 if n + 1 >= ES.geom[7] else 0


@njit(cache=True, inline="always")
def pending_far_sum(j, first, ES):
    """Far-field contribution at site j of the pending changes ``first, first + 1, ...``.

    Parameters
    ----------
    j : int
        The site queried.
    first : int
        Index of the first pending change not yet folded into ``phi[j]``.
    ES : ElasticState
        The replica's elastic arrays (:data:`ElasticState`).

    Returns
    -------
    float
        The contribution (MPa).
    """
    fx, fy, fz = fine_coords(j, ES)
    n = ES.geom[4]
    fold = ES.geom[5] == 1
    T = ES.far_table
    xyz = ES.pend_xyz
    de = ES.pend_de
    acc = 0.0
    for i in range(first, ES.pend_n[0]):
        acc += T[_wrap(fx - xyz[i, 0], n, fold), _wrap(fy - xyz[i, 1], n, fold),
                 _wrap(fz - xyz[i, 2], n, fold)] * de[i]
    return acc


@njit(cache=True, inline="always")
def local_stress_at(j, sigma_applied, ES, exact):
    """Local stress (MPa) felt by the unit at site j: applied plus interactions.

    ``exact = 1`` folds the far contributions of the changes since site j's last query
    into ``phi[j]`` (exact; NaN if the pending list overflowed); ``exact = 0`` adds the
    mean far contribution of the changes since the refresh (O(1)). The mean over all sites
    equals ``sigma_applied`` exactly in both modes.

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
    if exact:
        n = ES.pend_n[0]
        if n > ES.pend_site.shape[0]:
            return math.nan  # the list overflowed: the exact sum is no longer known
        first = ES.seen[j]
        if first < n:
            ES.phi[j] += pending_far_sum(j, first, ES)
            ES.seen[j] = n
        return sigma_applied + ES.phi[j] + ES.coef[0] * (ES.tot[0] - ES.eps[j])
    return sigma_applied + ES.phi[j] + ES.coef[0] * (ES.tot[0] - ES.eps[j]) + \
        ES.coef[1] * ES.tot[1]


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
