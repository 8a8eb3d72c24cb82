"""The state of the elastic field and its grid coordinates (pure numba; docs/kmc_elastic.md section 5).

:data:`ElasticState` is the namedtuple of arrays a replica's field keeps (built by
:class:`.elastic.ElasticField`); the functions here map a site to its cell, to its position on
the fine grid of the propagator table (:mod:`.eshelby`) and to one packed int32, and fold a
displacement into a table index. Used by the near stencil (:mod:`.elastic_stencil`), the
pending list and query (:mod:`.elastic_pending`) and the thinning (:mod:`.elastic_thinning`).
"""

from __future__ import annotations

from collections import namedtuple

from numba import njit

__all__ = ["GEOM_FIELDS", "PACK_BITS", "Q_MAX", "ElasticState", "far_value", "fine_coords", "pack_coords",
           "site_cell"]

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
    "q_far",      # float64[N]: exact mode: the far field of the pending changes at each site
                  # when it was last queried (valid while q_pos > 0); windowed: length 0
    "q_pos",      # uint16[N]: changes folded into q_far plus one (0: not queried since the
                  # refresh, or more than Q_MAX changes); reset by the refresh
    "chg_xyz",    # int32[K]: the journal of the changes since the refresh, in order: packed
                  # position of each change (pack_coords)
    "chg_de",     # float64[K]: ... and its eigenstrain change
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


#: the most changes since a refresh that the query cache (``q_pos``, uint16) can hold; beyond
#: them a query sums the slots
Q_MAX = 65534

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
