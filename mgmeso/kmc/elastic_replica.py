"""The elastic interactions of one replica (Python layer of :mod:`.elastic_loop`).

:class:`ReplicaField` owns the replica's :class:`.elastic.ElasticField` (the propagator is
shared by the replicas of one lattice and material), builds the eigenstrain of every site
from the unit states (:func:`eigenstrain_of_state`) whenever the states or the unit strains
change outside the kernels (a temperature change, a new classification), drives
:func:`.elastic_loop.run_until_elastic` with a refresh at every ``STATUS_ELASTIC``, and
gives the checkpoint its arrays (docs/kmc_elastic.md section 6).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .elastic import ElasticField, ElasticOptions, shear_modulus_MPa
from .elastic_loop import STATUS_ELASTIC, EngineField, run_until_elastic
from .eshelby import make_propagator
from .layout import C_ALL, STATUS_EVENTS

__all__ = ["ReplicaField", "eigenstrain_of_state", "CHECKPOINT_FIELDS", "field_options"]

#: dynamic field arrays a checkpoint holds (the rest is rebuilt from the configuration)
CHECKPOINT_FIELDS = ("eps", "phi", "tot", "pend_site", "pend_xyz", "pend_de", "pend_n", "seen")

_PROPAGATORS: dict = {}


def field_options(sim) -> ElasticOptions:
    """Return the field-update options of a ``[simulation]`` table.

    Parameters
    ----------
    sim : Simulation
        The table.

    Returns
    -------
    ElasticOptions
        Near radius (default 0 for 'exact', 3 for 'windowed'), capacity, mode.
    """
    exact = sim.elastic_update == "exact"
    R = sim.elastic_near_radius
    if R is None:
        R = 0.0 if exact else 3.0
    return ElasticOptions(near_radius=float(R), capacity_per_site=float(sim.elastic_refresh_per_site),
                          exact=exact)


def eigenstrain_of_state(S, calib) -> np.ndarray:
    """Eigenstrain of every site from the unit states (the engine's local inelastic strain).

    Parameters
    ----------
    S : Sites
        The site arrays: beta and SMD states (0 for units in equilibrium), footprints,
        deposited plastic strain.
    calib : UnitStrains
        Unit strains ``d_beta``, ``d_an``.

    Returns
    -------
    numpy.ndarray
        float64 (N,): ``d_beta beta + d_an a_owner / f_owner + eps_p``.
    """
    e = calib.d_beta * S.beta.astype(np.float64) + S.eps_p.astype(np.float64)
    own = S.owner
    cov = own >= 0
    o = own[cov]
    e[cov] += calib.d_an * S.smd[o].astype(np.float64) / S.fp_size[o].astype(np.float64)
    return e


class ReplicaField:
    """Interaction field of one replica.

    Parameters
    ----------
    setup : KmcSetup
        Lattice, material (E_u, poisson_ratio) and ``[simulation]`` options.
    mu_MPa : float, optional
        Shear modulus of the propagator (MPa); default ``E_u/(2 (1 + nu))``. Zero gives a
        field that is identically zero (the tests' "zero interaction strength").
    """

    def __init__(self, setup, mu_MPa: float | None = None):
        mat, lat = setup.material, setup.lattice
        nu = float(mat.poisson_ratio)
        mu = shear_modulus_MPa(float(mat.E_unrelaxed_MPa), nu) if mu_MPa is None else float(mu_MPa)
        self.options = field_options(setup.sim)
        key = (lat.name, lat.L, mu, nu)
        prop = _PROPAGATORS.get(key)
        if prop is None:
            if mu == 0.0:   # K is proportional to mu: the field of a unit modulus times 0
                unit = make_propagator(lat, 1.0, nu)
                prop = dataclasses.replace(unit, mu_MPa=0.0, spectrum=0.0 * unit.spectrum,
                                           table=0.0 * unit.table, self_term=0.0,
                                           alias_constant=0.0)
            else:
                prop = make_propagator(lat, mu, nu)
            _PROPAGATORS[key] = prop
        try:
            self.field = ElasticField(lat, mu, nu, self.options, prop=prop)
        except ValueError as exc:
            from ..errors import ConfigError
            raise ConfigError([f"[simulation] elastic_near_radius: {exc}"]) from None
        ES = self.field.state
        # one array layout whatever the propagator (numba compiles one specialisation per type)
        self.state = EngineField(*ES, full_table=np.ascontiguousarray(prop.table, np.float64),
                                 fp_buf=np.zeros(128, np.int32), ann_site=np.zeros(128, np.int32),
                                 ann_old=np.zeros(128), probe=np.zeros(4))
        self.exact = 1 if self.options.exact else 0
        self.n_refresh = 0
        self._eps_p = np.zeros(lat.n_sites, np.float32)   # the replica's S.eps_p once rebuilt

    def rebuild(self, S, calib) -> None:
        """Eigenstrains from the unit states, and a refresh (states or unit strains changed).

        Parameters
        ----------
        S : Sites
            The site arrays.
        calib : UnitStrains
            The unit strains now.
        """
        self._eps_p = S.eps_p
        self.field.set_eigenstrain(eigenstrain_of_state(S, calib))
        self._sum_plastic()

    def _sum_plastic(self) -> None:
        # float64 sum of the float32 plastic store: the mean of the plastic self-term
        self.state.tot[2] = float(np.sum(self._eps_p, dtype=np.float64))

    def plastic_self_term(self) -> np.ndarray:
        """Plastic self-term of every site, ``K(0) N/(N - 1) (p_j - mean p)`` (MPa).

        Returns
        -------
        numpy.ndarray
            float64 (N,).
        """
        p = self._eps_p.astype(np.float64)
        return self.state.coef[3] * (p - self.state.tot[2] / p.size)

    def run(self, S, C, K) -> int:
        """:func:`.kernels.run_until` with interactions: refresh at every ``STATUS_ELASTIC``.

        Parameters
        ----------
        S, C, K : Sites, Control, Clock
            The kernels' groups.

        Returns
        -------
        int
            The status of :func:`.kernels.run_until`.
        """
        budget = int(C.max_events)
        self._eps_p = S.eps_p
        while True:
            n0 = int(K.counts[C_ALL])
            status = run_until_elastic(S, C, K, self.state, self.exact)
            if status != STATUS_ELASTIC:
                return status
            self.field.refresh()
            self._sum_plastic()
            self.n_refresh += 1
            budget -= int(K.counts[C_ALL]) - n0     # the call's event budget is the caller's
            if budget <= 0:
                return STATUS_EVENTS
            C = C._replace(max_events=budget)

    def local_stress(self, sigma_applied: float) -> np.ndarray:
        """Local stress felt by a unit at every site, from a fresh FFT plus the plastic
        self-term (MPa).

        Parameters
        ----------
        sigma_applied : float
            The applied (macroscopic) stress (MPa).

        Returns
        -------
        numpy.ndarray
            float64 (N,).
        """
        return self.field.exact_local_stress(sigma_applied) + self.plastic_self_term()

    def arrays(self) -> dict[str, np.ndarray]:
        """Return the dynamic arrays a checkpoint holds (``E_*``).

        Returns
        -------
        dict
            Name -> array.
        """
        return {f"E_{k}": np.asarray(getattr(self.state, k)) for k in CHECKPOINT_FIELDS}

    def load(self, d, S) -> None:
        """Restore the arrays of :meth:`arrays`.

        Parameters
        ----------
        d : mapping
            Name -> array, as written by :meth:`arrays`.
        S : Sites
            The replica's restored site arrays (the plastic strain of the self-term).
        """
        self._eps_p = S.eps_p
        for k in CHECKPOINT_FIELDS:
            getattr(self.state, k)[...] = d[f"E_{k}"]
