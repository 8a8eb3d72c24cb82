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

State arrays travel in the namedtuple :data:`ElasticState`. The kernels live in modules of one
concept each, re-exported here for the callers: :mod:`.elastic_state` (the state tuple, grid
coordinates, packed positions), :mod:`.elastic_stencil` (the near stencil of the windowed mode),
:mod:`.elastic_pending` (the pending list and the query), :mod:`.elastic_refresh` (the refresh);
this module keeps the reference event loop :func:`drive_two_state`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .bias import draw_state_biased
from .elastic_pending import (
    local_stress_at,
    local_stress_flat,
    pending_far_sum,
    record_event,
    record_flat,
)
from .elastic_refresh import finish_refresh
from .elastic_state import (
    GEOM_FIELDS,
    PACK_BITS,
    ElasticState,
    far_value,
    fine_coords,
    pack_coords,
    site_cell,
)
from .elastic_stencil import apply_stencil

__all__ = [
    "GEOM_FIELDS",
    "PACK_BITS",
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
    # the arrays out of the state tuple once (the per-event forms on plain arrays)
    eps, phi, tot, coef, pend_n, geom = ES.eps, ES.phi, ES.tot, ES.coef, ES.pend_n, ES.geom
    pend_site, pend_xyz, pend_de, seen, basis_fine = ES.pend_site, ES.pend_xyz, ES.pend_de, ES.seen, \
        ES.basis_fine
    near_off, near_val, near_lin = ES.near_off, ES.near_val, ES.near_lin
    q_far, q_pos, chg_xyz, chg_de = ES.q_far, ES.q_pos, ES.chg_xyz, ES.chg_de
    T = ES.far_table
    flat = T.reshape(T.size)
    S1, S2 = np.int32(T.shape[1]), np.int32(T.shape[2])
    n_hard = pend_site.shape[0]
    idx = np.empty(n_hard, np.int32)
    for i in range(start, sites.shape[0]):
        j = sites[i]
        sig = local_stress_flat(j, sigma_applied, exact, phi, eps, tot, coef, pend_n, n_hard, geom,
                                basis_fine, flat, S1, S2, pend_xyz, pend_de, idx, q_far, q_pos, chg_xyz,
                                chg_de)
        new = draw_state_biased(rng, sig, sig_sat, mode)
        if new != state[j]:
            full = record_flat(j, d * (new - state[j]), eps, tot, phi, pend_n, pend_site, pend_xyz,
                               pend_de, seen, geom, basis_fine, near_off, near_val, near_lin, chg_xyz,
                               chg_de)
            state[j] = new
            if full:
                return i + 1
    return sites.shape[0]
