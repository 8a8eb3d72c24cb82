"""The near stencil of the windowed field update (pure numba; docs/kmc_elastic.md section 3).

Every change ``de`` of the eigenstrain at site k adds ``K(r_t - r_k) de`` to the stored
interaction stress ``phi`` of every site t within the near radius (``geom[6]`` = M targets per
basis site; none in the exact mode, where the stencil would only add writes).
"""

from __future__ import annotations

from numba import njit

from .elastic_state import site_cell

__all__ = ["apply_stencil", "stencil_add"]


@njit(cache=True, inline="always")
def stencil_add(k, de, phi, geom, near_off, near_val, near_lin):
    """:func:`apply_stencil` on plain arrays (the per-event form: binding the state tuple to a
    call, even an inlined one, counts a reference of each of its arrays).

    Parameters
    ----------
    k : int
        The site whose eigenstrain changed.
    de : float
        The change.
    phi : ndarray
        The near-field stress, updated in place (MPa).
    geom, near_off, near_val, near_lin : ndarray
        As in :func:`apply_stencil`.
    """
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
    stencil_add(k, de, ES.phi, ES.geom, ES.near_off, ES.near_val, ES.near_lin)
