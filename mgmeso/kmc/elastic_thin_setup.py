"""Construction of the thinning's state for one replica (docs/kmc_elastic.md 6.10): the near
stencil's radius and values, the far bound's constants (:func:`far_norms`) and the scalars.
"""

from __future__ import annotations

import numpy as np

from . import elastic_thinning as th
from .elastic import _stencil, nn_distance

__all__ = ["THIN_RADIUS_NN", "far_norms", "make_thin_state"]


#: radius of the thinning's near stencil (nearest-neighbour distances; below L/2): the sources
#: within it enter a site's bound one by one, the rest through the far bound (section 6.10)
THIN_RADIUS_NN = 3.0


def far_norms(prop, lat, s: float, off: np.ndarray) -> tuple[float, float]:
    """Return the 2- and 3-norms of the far part of the interaction row of a site, the largest over
    the basis sites, rounded up (the constants of :func:`.elastic_thinning.far_flat`).

    The row of a target t is ``a_tk = K(r_t - r_k) + s`` over every source k other than t
    whose stencil does not cover t (the sources the near part ``N_t`` does not hold); the
    loop's query uses the same ``K`` (the propagator's table) and the same shift ``s``.

    Parameters
    ----------
    prop : Propagator
        The lattice propagator.
    lat : Lattice
        The lattice.
    s : float
        The uniform shift (MPa per unit eigenstrain).
    off : numpy.ndarray
        int32 (nb, M, 4): the thinning's stencil (cell shift and target basis per source basis).

    Returns
    -------
    c2, c3 : float
        The norms (MPa per unit eigenstrain).
    """
    fine = prop.fine_coords()
    L, nb, dim = lat.L, lat.nb, lat.dim
    c2 = c3 = 0.0
    for bt in range(nb):            # the target: cell 0, basis bt (site index bt)
        a = np.abs(prop.lookup(fine[bt] - fine) + s)
        a[bt] = 0.0
        for b in range(nb):         # sources of basis b whose stencil covers the target
            for m in range(off.shape[1]):
                if off[b, m, 3] != bt:
                    continue
                cell = (-off[b, m, :dim].astype(np.int64)) % L
                lin = 0
                for ax in range(dim):
                    lin = lin * L + int(cell[ax])
                a[lin * nb + b] = 0.0
        c2 = max(c2, float(np.sqrt(np.sum(a * a))))
        c3 = max(c3, float(np.sum(a ** 3) ** (1.0 / 3.0)))
    return c2 * (1.0 + 1e-9), c3 * (1.0 + 1e-9)


def make_thin_state(prop, ES, lat, mat, sim, on: int):
    """Build the thinning state of one replica (:data:`.elastic_thinning.ThinState`).

    Off, a state of empty arrays (the loop's argument types are the same either way).

    Parameters
    ----------
    prop : Propagator
        The lattice propagator (the stencil values and the far maximum).
    ES : EngineField
        The field (the uniform shift and the plastic self-term).
    lat : Lattice
        The lattice.
    mat : Material
        The material (``sigma1_MPa``).
    sim : Simulation
        The ``[simulation]`` table (``rate_bound_margin_MPa``).
    on : int
        Whether the rates depend on the stress.

    Returns
    -------
    ThinState
        The state.
    """
    st = np.zeros(len(th.ST_FIELDS))
    cnt = np.zeros(len(th.CNT_FIELDS), np.int64)
    if not on:
        z32 = np.zeros(0, np.float32)
        return th.ThinState(z32, z32, np.zeros(0, np.uint16), st, cnt,
                            np.zeros((1, 1, 5), np.int32), np.zeros((1, 1)),
                            np.zeros(5, np.int64))
    N = lat.n_sites
    nn = nn_distance(lat)
    # a zero propagator has a zero stencil: no writes per change (the bounds are the same)
    R = min(THIN_RADIUS_NN, 0.499 * lat.L / nn) if float(prop.mu_MPa) != 0.0 else 0.0
    M, off, val, _lin, _reach, fines = _stencil(prop, R)
    s = float(ES.coef[0])
    st[th.C2], st[th.C3] = far_norms(prop, lat, s, off if M else off[:, :0])
    far = prop.table.copy()
    far[0, 0, 0] = 0.0
    for f in fines:
        d = np.asarray(f) % prop.n_fine
        if prop.fold:
            d = np.minimum(d, prop.n_fine - d)
        far[tuple(d)] = 0.0
    st[th.MARGIN] = float(sim.rate_bound_margin_MPa)
    st[th.K_FAR] = (float(np.abs(far).max()) + abs(s)) * (1.0 + 1e-9)
    st[th.KAPPA] = abs(float(ES.coef[3])) * (1.0 + 1e-9)
    st[th.SIGMA1] = float(mat.sigma1_MPa)
    st[th.NEED] = 1.0
    st[th.EYRING] = 1.0 if getattr(sim, "plastic_rate_law", "resampling") == "eyring" else 0.0
    near_abs = (np.abs(val + s) * (1.0 + 1e-9)) if M else np.zeros((lat.nb, 1))
    off5 = np.zeros(off.shape[:2] + (5,), np.int32)
    off5[..., :4] = off
    if M:
        off5[..., 4] = _lin
    reach = int(np.abs(off[..., :3]).max()) if M else 0
    return th.ThinState(c=np.zeros(N, np.float32), nacc=np.zeros(N, np.float32),
                        head=np.zeros(N, np.uint16), st=st, cnt=cnt, near_off=off5,
                        near_abs=near_abs,
                        sgeom=np.array([lat.L, lat.dim, lat.nb, M, reach], np.int64))
