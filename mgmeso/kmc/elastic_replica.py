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
import math

import numpy as np

from . import elastic_thinning as th
from .elastic import ElasticField, ElasticOptions, _stencil, nn_distance, shear_modulus_MPa
from .elastic_loop import STATUS_ELASTIC, EngineField, query_all, run_until_elastic
from .elastic_refresh import refresh_interval
from .eshelby import make_propagator
from .fastcall import Entries
from .kernels import stress_strain
from .layout import C_ALL, STATUS_EVENTS

__all__ = ["ReplicaField", "eigenstrain_of_state", "CHECKPOINT_FIELDS", "field_options",
           "make_thin_state", "paper_chi"]

#: dynamic field arrays a checkpoint holds (the rest is rebuilt from the configuration)
CHECKPOINT_FIELDS = ("eps", "phi", "tot", "pend_site", "pend_xyz", "pend_de", "pend_n", "seen",
                     "q_far", "q_pos", "chg_xyz", "chg_de")

_PROPAGATORS: dict = {}


def field_options(sim, n_sites: int) -> ElasticOptions:
    """Return the field-update options of a ``[simulation]`` table.

    Parameters
    ----------
    sim : Simulation
        The table.
    n_sites : int
        Sites of the lattice (the default refresh interval depends on it,
        :func:`.elastic_refresh.refresh_interval`).

    Returns
    -------
    ElasticOptions
        Near radius (default 0 for 'exact', 3 for 'windowed'), capacity, mode.
    """
    exact = sim.elastic_update == "exact"
    R = sim.elastic_near_radius
    if R is None:
        R = 0.0 if exact else 3.0
    per_site = refresh_interval(n_sites, exact, sim.elastic_refresh_per_site)
    return ElasticOptions(near_radius=float(R), capacity_per_site=per_site, exact=exact)


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

    Notes
    -----
    With ``[simulation] elastic_interactions = false`` (the replica builds a field only for
    ``stress_dependent_rates = true``) the propagator is zero whatever ``mu_MPa``: the local
    stress of every site is the applied (macroscopic) stress exactly, and the loop's thinning
    applies the stress-dependent rates at it (docs/kmc_elastic.md section 6.10). The update is
    then 'exact' with no stencil, whatever ``elastic_update`` says (nothing to approximate).
    """

    def __init__(self, setup, mu_MPa: float | None = None):
        mat, lat = setup.material, setup.lattice
        nu = float(mat.poisson_ratio)
        #: False: a zero field that only carries the thinning (no interactions)
        self.interacting = bool(setup.sim.elastic_interactions)
        if not self.interacting:
            mu_MPa = 0.0
        mu = shear_modulus_MPa(float(mat.E_unrelaxed_MPa), nu) if mu_MPa is None else float(mu_MPa)
        self.options = field_options(setup.sim, lat.n_sites) if self.interacting else \
            ElasticOptions(near_radius=0.0, exact=True, capacity_per_site=refresh_interval(
                lat.n_sites, True, setup.sim.elastic_refresh_per_site))
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
                                 fp_buf=np.zeros(128, np.int32), probe=np.zeros(4))
        self.exact = 1 if self.options.exact else 0
        self.n_refresh = 0
        self._eps_p = np.zeros(lat.n_sites, np.float32)   # the replica's S.eps_p once rebuilt
        sim = setup.sim
        self.thin = 1 if getattr(sim, "stress_dependent_rates", False) else 0
        self.thin_state = make_thin_state(prop, self.state, lat, mat, sim, self.thin)
        self._tau0 = float(mat.tau_beta0_s)
        self._leaves_seen: np.ndarray | None = None   # the leaves the loop last left
        self._entries = Entries()   # the loop called without per-call type dispatch (fastcall)

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
        self.thin_state.st[th.NEED] = 1.0     # every stress changed: the bounds start again

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
        TH = self.thin_state
        if self.thin:
            self._thin_call_start(S, C, K)
        while True:
            n0 = int(K.counts[C_ALL]) + int(TH.cnt[th.N_NULL])
            self._entries.check(S, K, self.state, TH)
            status = self._entries.call(run_until_elastic, S, C, K, self.state, self.exact, TH,
                                        self.thin)
            if status != STATUS_ELASTIC:
                break
            self.field.refresh()
            self._sum_plastic()
            self.n_refresh += 1
            if self.thin:
                self._start_epoch(S, C, K)
            # the call's event budget (events and null events) is the caller's
            budget -= int(K.counts[C_ALL]) + int(TH.cnt[th.N_NULL]) - n0
            if budget <= 0:
                status = STATUS_EVENTS
                break
            C = C._replace(max_events=int(budget))
        if self.thin:
            self._leaves_seen = S.leaves.copy()
        return status

    # ---- stress-dependent rates (docs/kmc_elastic.md section 6.10) --------------------
    def _thin_call_start(self, S, C, K) -> None:
        TH = self.thin_state
        tm = C.times
        TH.st[th.U_RT] = tm.log_tb_mean - math.log(self._tau0)   # U_beta/(R T)
        TH.st[th.CHI_P] = paper_chi(tm)
        if TH.st[th.NEED] != 0.0:
            self.field.refresh()
            self._sum_plastic()
            self._start_epoch(S, C, K)
        elif self._leaves_seen is None or not np.array_equal(S.leaves, self._leaves_seen):
            # the replica rebuilt the tree from its zero-stress rates (segment start,
            # temperature slice, restore): the leaves again from the bounds, which still hold
            th.fill_leaves(S, C, TH)

    def _start_epoch(self, S, C, K) -> None:
        sig_app = float(stress_strain(float(K.t[0]), C, K)[0])
        sig = np.empty(S.kind.shape[0])
        query_all(S, self.state, sig_app, self.exact, sig)
        th.start_epoch(S, C, self.thin_state, self.state.eps, float(self.state.tot[2]), sig,
                       sig_app)

    def thinning_counts(self) -> dict[str, int]:
        """Counters of the thinning (candidates, null events, leaf raises, bound violations,
        epochs, time-limit stops).

        Returns
        -------
        dict
            Name -> count.
        """
        return {k: int(v) for k, v in zip(th.CNT_FIELDS, self.thin_state.cnt)}

    def stress_bounds(self, sigma_applied: float) -> np.ndarray:
        """Return the bound ``c_j + N_j + G`` of every site's ``|sigma_j|`` now (MPa).

        Parameters
        ----------
        sigma_applied : float
            The applied stress now (MPa).

        Returns
        -------
        numpy.ndarray
            float64 (N,).
        """
        TH = self.thin_state
        g = th.global_part(TH, float(self.state.tot[2]), TH.c.shape[0], float(sigma_applied))
        return TH.c + TH.nacc + g

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
        d = {f"E_{k}": np.asarray(getattr(self.state, k)) for k in CHECKPOINT_FIELDS}
        if self.thin:
            d.update({f"E_thin_{k}": np.asarray(getattr(self.thin_state, k))
                      for k in th.THIN_CHECKPOINT})
        return d

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
        if self.thin:
            for k in th.THIN_CHECKPOINT:
                getattr(self.thin_state, k)[...] = d[f"E_thin_{k}"]
        self._leaves_seen = None    # the replica rebuilt its tree: the leaves from the bounds


def paper_chi(tm) -> float:
    """chi(T) of the 'paper' mode's lattice-wide tau_max, from the kernels' times.

    ``ln tau_max = ln t0 + (ln <tau_beta> - ln t0)/chi`` above t0 (tau_max = tau_beta below,
    where chi does not enter). Returns 1 where it cannot be recovered (it is not needed there).

    Parameters
    ----------
    tm : Times
        The kernels' times group.

    Returns
    -------
    float
        chi.
    """
    a = tm.log_tb_mean - tm.log_t0
    b = tm.log_tmax - tm.log_t0
    if a > 0.0 and b > a:
        return float(a / b)
    return 1.0


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
        z = np.zeros(0)
        return th.ThinState(z, z, z, z, np.zeros(0, np.float32), st, cnt,
                            np.zeros((1, 1, 4), np.int32), np.zeros((1, 1)),
                            np.zeros(4, np.int64))
    N = lat.n_sites
    nn = nn_distance(lat)
    # a zero propagator has a zero stencil: no writes per change (the bounds are the same)
    R = min(3.0, 0.499 * lat.L / nn) if float(prop.mu_MPa) != 0.0 else 0.0
    M, off, val, _lin, _reach, fines = _stencil(prop, R)
    s = float(ES.coef[0])
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
    return th.ThinState(c=np.zeros(N), nacc=np.zeros(N), bnd=np.zeros(N), e_ref=np.zeros(N),
                        p_ref=np.zeros(N, np.float32), st=st, cnt=cnt, near_off=off,
                        near_abs=near_abs,
                        sgeom=np.array([lat.L, lat.dim, lat.nb, M], np.int64))
