"""Elastic interactions of the lattice kMC: state, refresh and checks (Python layer).

:class:`ElasticField` owns the arrays of :data:`.elastic_kernels.ElasticState` for one
replica and the lattice propagator (:mod:`.eshelby`). The event loop calls the kernels
directly (docs/kmc_elastic.md section 5):

* ``local_stress_at(j, sigma_applied, ES, exact)`` when an event happens at site j;
* ``record_event(k, de, ES)`` for every site whose eigenstrain the event changed; a
  return value of 1 asks for a refresh;
* :meth:`ElasticField.refresh` (one FFT) every ``capacity`` changes, from Python.

Units: stresses in MPa, eigenstrains in the loading's strain measure (the engine's local
strain), moduli in MPa.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from .elastic_kernels import GEOM_FIELDS, PACK_BITS, ElasticState, finish_refresh
from .eshelby import FINE, Propagator, lattice_field, make_propagator
from .lattice import Lattice

__all__ = ["ElasticField", "ElasticOptions", "nn_distance", "shear_modulus_MPa"]


def shear_modulus_MPa(E_MPa: float, nu: float) -> float:
    """Isotropic shear modulus ``E / (2 (1 + nu))``.

    Parameters
    ----------
    E_MPa : float
        Young's modulus (MPa).
    nu : float
        Poisson ratio.

    Returns
    -------
    float
        Shear modulus (MPa).
    """
    return E_MPa / (2.0 * (1.0 + nu))


def nn_distance(lat: Lattice) -> float:
    """Nearest-neighbour distance in cell units.

    Parameters
    ----------
    lat : Lattice
        One of the lattices with an elastic propagator.

    Returns
    -------
    float
        The distance (cell edges).
    """
    return {"square": 1.0, "triangular": 1.0, "sc": 1.0, "bcc": np.sqrt(3.0) / 2.0,
            "fcc": 1.0 / np.sqrt(2.0)}[lat.name]


@dataclass(frozen=True)
class ElasticOptions:
    """Parameters of the field-update method (see docs/kmc_elastic.md section 3).

    near_radius : float
        Radius of the near stencil in nearest-neighbour distances; the field on the sites
        within it is updated at every change (0: none).
    capacity_per_site : float
        Changes between two refreshes, per site (the pending list holds
        ``max(64, capacity_per_site * N)`` changes).
    exact : bool
        Add the far field of every site changed since the refresh (one slot per site, its
        net change) at every query (exact; cost = the slots in use) instead of the mean far
        field of the changes (O(1), the far field lags by up to one refresh).
    single_precision : bool
        Keep the propagator spectrum in single precision (half its memory).
    """

    near_radius: float = 2.0
    capacity_per_site: float = 0.25
    exact: bool = False
    single_precision: bool = False


def _stencil(prop: Propagator, radius_nn: float):
    lat = prop.lattice
    R = radius_nn * nn_distance(lat)
    c = int(np.ceil(R + 1.0))
    if 2 * R >= lat.L:
        # the stencil would reach a site and its periodic image
        raise ValueError(f"near_radius = {radius_nn} nearest-neighbour distances is {R:.3g} cells: "
                         f"it must be below L/2 = {lat.L / 2:g}")
    hm = FINE[lat.name]
    per_b = []
    for b in range(lat.nb):
        rows = []
        if R > 0:
            for shift in itertools.product(range(-c, c + 1), repeat=lat.dim):
                for bp in range(lat.nb):
                    d = (np.array(shift) + lat.basis[bp] - lat.basis[b]) @ lat.vectors
                    r = float(np.linalg.norm(d))
                    if 1e-9 < r <= R + 1e-9:
                        fine = np.zeros(3, dtype=np.int64)
                        fine[: lat.dim] = hm * np.array(shift)
                        fine += prop.basis_fine[bp] - prop.basis_fine[b]
                        rows.append((r, tuple(shift) + (0,) * (3 - lat.dim), bp, fine))
        rows.sort(key=lambda t: t[0])
        per_b.append(rows)
    M = len(per_b[0])
    off = np.zeros((lat.nb, max(M, 1), 4), dtype=np.int32)
    val = np.zeros((lat.nb, max(M, 1)))
    lin = np.zeros((lat.nb, max(M, 1)), dtype=np.int64)
    fines = []
    for b, rows in enumerate(per_b):
        if len(rows) != M:
            raise AssertionError("every site of a Bravais lattice has the same stencil")
        for m, (_, shift, bp, fine) in enumerate(rows):
            off[b, m, :3] = shift
            off[b, m, 3] = bp
            val[b, m] = float(prop.lookup(fine))
            cell = 0
            for a in range(lat.dim):
                cell = cell * lat.L + shift[a]
            lin[b, m] = cell * lat.nb + bp - b
            fines.append(fine)
    reach = int(np.abs(off[..., :3]).max()) if M else 0
    return M, off, val, lin, reach, fines


class ElasticField:
    """Interaction field of one replica: eigenstrains, stresses, pending changes.

    Parameters
    ----------
    lat : Lattice
    mu_MPa, nu : float
        Shear modulus (MPa) and Poisson ratio.
    options : ElasticOptions
    prop : Propagator, optional
        A propagator already built for this lattice and material (shared by replicas).
    """

    def __init__(self, lat: Lattice, mu_MPa: float, nu: float,
                 options: ElasticOptions = ElasticOptions(), prop: Propagator | None = None):
        self.lattice = lat
        self.options = options
        n_fine, most = FINE[lat.name] * lat.L, 2 ** (PACK_BITS - 1)
        if n_fine > most:
            # the pending list packs fine-grid positions in int32 (elastic_kernels.pack_coords)
            raise ValueError(f"L = {lat.L} gives {n_fine} propagator grid points per edge; the "
                             f"field packs positions for at most {most} (L <= "
                             f"{most // FINE[lat.name]} on {lat.name})")
        self.prop = prop if prop is not None else make_propagator(
            lat, mu_MPa, nu, single_precision=options.single_precision)
        N = lat.n_sites
        M, off, val, lin, reach, fines = _stencil(self.prop, options.near_radius)
        far = self.prop.table.copy()
        far[0, 0, 0] = 0.0
        for f in fines:
            d = np.asarray(f) % self.prop.n_fine
            if self.prop.fold:
                d = np.minimum(d, self.prop.n_fine - d)
            far[tuple(d)] = 0.0
        K0 = self.prop.self_term
        # sum over all r of K is 0, so the far part sums to -K(0) - (near part)
        sum_near = float(val[0, :M].sum()) if M else 0.0
        c_far = (-K0 - sum_near) / N
        cap = int(max(64, np.ceil(options.capacity_per_site * N)))
        margin = 128  # room for the changes of one event (footprints) after the soft limit
        geom = np.array([lat.L, lat.dim, lat.nb, FINE[lat.name], self.prop.n_fine,
                         1 if self.prop.fold else 0, M, cap, reach], dtype=np.int64)
        assert len(geom) == len(GEOM_FIELDS)
        self.state = ElasticState(
            eps=np.zeros(N), phi=np.zeros(N), tot=np.zeros(3),
            pend_site=np.zeros(cap + margin, dtype=np.int32),
            pend_xyz=np.zeros(cap + margin, dtype=np.int32),
            pend_de=np.zeros(cap + margin), pend_n=np.zeros(2, dtype=np.int64),
            seen=np.zeros(N, dtype=np.int32),
            near_off=off, near_val=val, near_lin=lin, far_table=far, basis_fine=self.prop.basis_fine,
            geom=geom, coef=np.array([K0 / (N - 1), c_far, K0, K0 * N / (N - 1)]),
            # the query cache of the exact mode (none in the windowed one)
            q_far=np.zeros(N if options.exact else 0),
            q_pos=np.zeros(N if options.exact else 0, dtype=np.uint16),
            chg_xyz=np.zeros(cap + margin, dtype=np.int32), chg_de=np.zeros(cap + margin))
        self.n_refresh = 0

    # ---- field ---------------------------------------------------------------------
    def refresh(self) -> None:
        """Recompute the interaction stress from all eigenstrains (one FFT); clear pending."""
        ES = self.state
        finish_refresh(lattice_field(self.prop, ES.eps), self.prop.self_term, ES.eps, ES.phi, ES.tot,
                       ES.seen, ES.pend_site, ES.pend_n, ES.q_pos)
        self.n_refresh += 1

    def set_eigenstrain(self, eps: np.ndarray) -> None:
        """Replace all eigenstrains (e.g. at the start or after a resume) and refresh.

        Parameters
        ----------
        eps : numpy.ndarray
            float (N,): eigenstrain of every site.
        """
        self.state.eps[:] = eps
        self.refresh()

    def exact_local_stress(self, sigma_applied: float = 0.0) -> np.ndarray:
        """Local stress at every site from a fresh FFT of the current eigenstrains (MPa).

        Parameters
        ----------
        sigma_applied : float
            Applied stress (MPa).

        Returns
        -------
        numpy.ndarray
            float64 (N,): what :func:`.elastic_kernels.local_stress_at` returns in exact mode
            (own self-term excluded), MPa.
        """
        ES = self.state
        phi = lattice_field(self.prop, ES.eps) - self.prop.self_term * ES.eps
        return sigma_applied + phi + ES.coef[0] * (ES.eps.sum() - ES.eps)

    def physical_stress(self, sigma_applied: float = 0.0) -> np.ndarray:
        """Return the stress field itself (self-terms included), ``sigma_eq`` at every site (MPa).

        Parameters
        ----------
        sigma_applied : float
            Applied stress (MPa).

        Returns
        -------
        numpy.ndarray
            float64 (N,): the stress (MPa).
        """
        return sigma_applied + lattice_field(self.prop, self.state.eps)

    # ---- bookkeeping ---------------------------------------------------------------
    @property
    def pending(self) -> int:
        """Changes recorded since the last refresh."""
        return int(self.state.pend_n[0])

    @property
    def nbytes(self) -> int:
        """Persistent bytes of the field (state arrays plus propagator)."""
        ES = self.state
        own = sum(getattr(ES, f).nbytes for f in ES._fields if f != "basis_fine")
        return int(own + self.prop.nbytes)

    def refresh_peak_bytes(self) -> int:
        """Extra bytes allocated during a refresh (FFT work arrays, float64/complex128).

        Returns
        -------
        int
            The bytes.
        """
        lat = self.lattice
        cells = lat.L ** lat.dim
        half = cells // lat.L * (lat.L // 2 + 1)
        spectra = lat.nb * half * 16           # one transform per sublattice
        return int(spectra + 2 * lat.n_sites * 8)
