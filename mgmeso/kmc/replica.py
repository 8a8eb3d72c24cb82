"""One kMC replica: owns the lattice state, runs the loading program, observes, checkpoints.

This is the Python layer around :mod:`.kernels`; its parts are

* :mod:`.calibration`: unit strains (from the replica's actual number of QPD sites), the
  temperature-dependent times and which units are in local equilibrium (rate above
  ``setup.elim_rates_per_s[case]``);
* :mod:`.loading`: the current segment's law, temperature ramp and sample plan;
* :mod:`.observables`: the registry of recorded variables and snapshot fields;
* :mod:`.replica_driver`: the order of the program's steps (segment starts, temperature
  slices, kernel chunks up to each sample or snapshot), bound to the replica as its methods;
* :mod:`.checkpoint`: the whole state (both RNG states, the position in the program) as
  named arrays, from which a replica is rebuilt bit for bit.

The driver here starts each segment, sets the temperature (rebuilding the sum tree), and
calls :func:`.kernels.run_until` up to each sample time (in bounded chunks, so that
progress can be shown and checkpoints written), recording observables at the samples.

Units in local equilibrium enter the strain with their equilibrium mean when the
stress is computed between events (an instantaneous compliance), and with a
fresh equilibrium draw of their states at every observation.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError
from ..segments import Law
from ..theory import kinetics
from . import checkpoint
from . import kernels as kn
from . import replica_driver as driver
from .bias import LINEAR
from .calibration import (
    Equilibrium,
    TemperatureTimes,
    UnitStrains,
    classify,
    drift_allowed,
    drift_coefficient,
    set_local_chi,
    temperature_times,
    unit_strains,
)
from .composition import cr_arrays, cr_build, cr_queue
from .defects import DefectDynamics
from .disorder import draw_disorder, neighbourhood_mean
from .elastic_replica import ReplicaField
from .fastcall import Entries
from .layout import geometry_group, law_group, rules_group, times_group
from .loading import SegmentRun
from .observables import SNAPSHOT_FIELDS, TIME_SERIES, TS_INDEX, observe, snapshot
from .replica_driver import CHUNK_EVENTS
from .rng import seed_state
from .setup import KmcSetup, peak_stress
from .sumtree import tree_build, tree_size

__all__ = ["Replica", "TIME_SERIES", "TS_INDEX", "SNAPSHOT_FIELDS", "CHUNK_EVENTS"]

#: kernel times before the first segment has set a temperature (no rates are computed then)
_NO_TIMES = kn.Times(0.0, 1.0, 0.0, 0.0, 0.0)


def _selection_arrays(N: int, composition: bool) -> dict:
    """Return the class arrays of composition-rejection selection (:mod:`.composition`), or
    empty ones with the sum tree (the event loop tells the two apart by their size).
    """
    if composition:
        m, p, st, cum = cr_arrays(N, positions=False)
    else:
        m, p, st, cum = (np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.int64),
                         np.zeros(0))
    return dict(sel_members=m, sel_pos=p, sel_start=st, sel_cum=cum)


def _lattice_state(dis, nbr, sim, lat, rng_seq) -> tuple[kn.Sites, kn.Clock]:
    """Kernel arrays of a fresh lattice: every QPD unpolarised with a one-site footprint."""
    N = lat.n_sites
    qpd = dis.kind == 1
    owner = np.where(qpd, np.arange(N), -1).astype(np.int32)
    # the hierarchy's beta time ('local' mode): the site's own, or the geometric mean over
    # the neighbourhood chi_j is averaged over (quenched: matrix sites carry theirs too)
    log_tb_hier = (neighbourhood_mean(dis.log_tb, nbr, sim.chi_radius, include_self=True)
                   if sim.hierarchy_beta_time == "neighbourhood" else dis.log_tb)
    S = kn.Sites(
        kind=dis.kind, elim=np.zeros(N, np.int8), beta=np.zeros(N, np.int8),
        smd=np.zeros(N, np.int8), fp_size=np.where(qpd, 1, 0).astype(np.int8),
        owner=owner, fp_next=np.full(N, -1, np.int32), log_tb=dis.log_tb,
        log_tb_hier=log_tb_hier,
        log_S=np.zeros(N, np.float32), chi=np.zeros(N, np.float32),
        eps_p=np.zeros(N, np.float32), last_smd=np.full(N, -1.0, np.float32),
        leaves=np.zeros(N), event_probs=np.zeros((N, 2), np.float32), top=np.zeros(tree_size(N)),
        offsets=lat.offsets,
        **_selection_arrays(N, sim.selection_for(N) == "composition"),
    )
    K = kn.Clock(rng=seed_state(rng_seq), t=np.zeros(1), t_next=np.full(1, np.nan),
                 sums=np.zeros(kn.N_SUMS, np.int64), frozen=np.zeros(1), work=np.zeros(1),
                 counts=np.zeros(kn.C_HIST + kn.COAL_HIST, np.int64), ahead=cr_queue())
    return S, K


class Replica:
    """State and driver of one replica of one case."""

    def __init__(self, setup: KmcSetup, case: int, seed_seq: np.random.SeedSequence):
        self.setup = setup
        self.case = case
        mat, sim, lat = setup.material, setup.sim, setup.lattice
        prog = setup.programs[case]
        self.program = prog
        ss_dis, ss_dyn, ss_obs, ss_snap, ss_def = seed_seq.spawn(5)
        Cd = float(kinetics.defect_concentration(mat, prog.temperature_K))
        #: defect fraction the unit strains are calibrated at (the analytical model's C_d)
        self.Cd_ref = Cd
        dcfg = setup.defects
        nbr = lat.neighbour_table()
        self.dyn = DefectDynamics(dcfg, mat, nbr, ss_def) if dcfg.enabled else None
        if self.dyn is not None and dcfg.fictive_temperature_K is not None:
            Cd = float(kinetics.equilibrium_defect_concentration(mat, dcfg.fictive_temperature_K))
        dis = draw_disorder(lat, nbr, Cd, mat.B_beta,
                            np.random.default_rng(ss_dis), sim.defect_correlation_length,
                            sim.chi_radius)
        self.N = lat.n_sites
        self.n_qpd = int(dis.kind.sum())
        if self.n_qpd == 0:
            raise ConfigError([f"[simulation] L = {sim.L}: the lattice drew no QPD site at "
                               f"C_d = {Cd:.3g}; use a larger lattice"])
        self.U, self.W, self.frac = dis.U, dis.W, dis.frac
        self.S, self.K = _lattice_state(dis, nbr, sim, lat, ss_dyn)
        self.obs_rng = np.random.default_rng(ss_obs)
        self.snap_rng = np.random.default_rng(ss_snap)  # snapshots never change the time series
        self.T = prog.temperature_K
        self.calib: UnitStrains
        self.recalibrate()
        #: largest stress of the program (MPa): where the physical law allows the plastic drift
        self.peak_stress_MPa = peak_stress(mat, prog)
        # the annihilation channel may be replaced by its mean drift (parallel rule only, and not
        # with unloading segments, whose zero-stress crossing assumes piecewise-constant strain)
        self.alpha_elimination = (sim.plasticity == "parallel" and sim.plastic_drift and
                                  not any(sg.ends_on_event for sg in prog.segments))
        self.equilibrium = Equilibrium.of(self.S, self.n_qpd)
        #: elastic interactions ([simulation] elastic_interactions), None when off; without
        #: them, stress_dependent_rates runs the same loop with a zero field (the local stress
        #: is the applied one, docs/kmc_elastic.md section 6.10)
        self.field = ReplicaField(setup) if (sim.elastic_interactions or
                                             sim.stress_dependent_rates) else None
        # position in the program and the temperature
        self.seg_index = 0
        self.seg: SegmentRun | None = None
        self.snap_index = 0
        self.sample_pos = 0
        self.times = None
        self._rules = rules_group(sim)
        self._geom = geometry_group(lat)
        self._ctl_key: tuple = ()       # what the cached groups of control() were built from
        self._ctl_groups: tuple = ()
        self._entries = Entries()       # kernels called without per-call type dispatch
        self.records: list[np.ndarray] = []
        self.snapshots: list[dict] = []
        self.done = False

    # ------------------------------------------------------------------ state
    @property
    def t(self) -> float:
        """Current time of the replica (s)."""
        return float(self.K.t[0])

    @property
    def law(self) -> Law:
        """Loading law of the current segment (zero stress before the first one)."""
        return Law() if self.seg is None else self.seg.law

    @property
    def d_beta(self) -> float:
        """Strain of one beta unit (per site) at the current temperature."""
        return self.calib.d_beta

    @property
    def d_an(self) -> float:
        """Strain of one SMD unit (per site) at the current temperature."""
        return self.calib.d_an

    @property
    def d_p(self) -> float:
        """Strain of one plastic unit (per site) at the current temperature."""
        return self.calib.d_p

    @property
    def k_fast(self) -> float:
        """Coefficient of the mean plastic drift of the current classification (1/(MPa s))."""
        return self.equilibrium.k_fast

    def recalibrate(self) -> None:
        """Count the QPD sites and recalibrate the unit strains and saturation stresses at the
        current temperature (after the kinds were set, and at every temperature change: with
        the physical law both follow T, docs/kmc_elastic.md section 1.5).
        """
        self.n_qpd = int(np.count_nonzero(self.S.kind))
        self.calib = unit_strains(self.setup, self.N, self.n_qpd, self.Cd_ref, self.dyn is not None,
                                  self.T)

    def _n_elim(self) -> tuple[int, int]:
        """Units in equilibrium: (beta units, SMD units)."""
        return self.equilibrium.counts

    def _J_inst(self) -> float:
        """Compliance at zero stress of the matrix and the units in local equilibrium (1/MPa)."""
        nb, na = self.equilibrium.counts
        c = self.calib
        if c.bias_law == LINEAR:
            return self.setup.material.J_el_per_MPa + (self.d_beta * nb + self.d_an * na) / (
                self.N * c.sig_sat_beta)
        return (self.setup.material.J_el_per_MPa + self.d_beta * nb / (self.N * c.sig_sat_beta)
                + self.d_an * na / (self.N * c.sig_sat_an))

    def _inelastic_dynamic(self) -> float:
        """Inelastic strain of the dynamic units plus the frozen-in strain (the kernels')."""
        return float(kn.inelastic(self.control(0.0, 0), self.K))

    def _macro(self, t: float) -> tuple[float, float]:
        """Mean-field stress and total strain at time t under the current segment's law
        (the kernels' formula, :func:`.kernels.stress_strain`).
        """
        self._entries.check(self.S, self.K)
        sigma, eps = self._entries.call(kn.stress_strain, float(t), self.control(t, 0), self.K)
        return float(sigma), float(eps)

    def temperature_at(self, t: float) -> float:
        """Temperature at time t.

        The ramp's exact value during a ramp (the rates use the slice midpoint), else the
        segment temperature.

        Parameters
        ----------
        t : float
            Time (s).

        Returns
        -------
        float
            Temperature (K).
        """
        return self.T if self.seg is None else self.seg.temperature_at(t, self.T)

    def control(self, t_stop: float, max_events: int) -> kn.Control:
        """Kernel scalars for the current segment (rates only, if no segment has started).

        Parameters
        ----------
        t_stop : float
            Time at which the kernel is to stop (s).
        max_events : int
            Largest number of events of the kernel call.

        Returns
        -------
        Control
            The typed groups of :mod:`.layout`.
        """
        law = self.law
        key = self._ctl_key
        # the law, times and calibration groups change only with the objects they are built
        # from (all immutable), so they are rebuilt only when one of those was replaced
        if not key or (key[0] is not self.calib or key[1] is not self.equilibrium
                       or key[2] is not law or key[3] is not self._times):
            c = self.calib
            nb, na = self.equilibrium.counts
            calib = kn.Calib(float(c.sig_sat_beta), float(c.d_beta), float(c.d_an),
                             float(c.d_p), 1.0 / self.N, float(self._J_inst()), float(self.k_fast),
                             float(c.sig_sat_an), float(c.sig_sat_p), int(c.bias_law),
                             float(self.setup.material.J_el_per_MPa), float(c.d_beta * nb / self.N),
                             float(c.d_an * na / self.N))
            self._ctl_key = (c, self.equilibrium, law, self._times)
            self._ctl_groups = (law_group(law), self._times, calib, self._rules, self._geom)
        return kn.Control(float(t_stop), int(max_events), *self._ctl_groups)

    # ------------------------------------------------------------ temperature
    @property
    def times(self) -> TemperatureTimes | None:
        """Lattice-wide times at the current temperature (None before the first segment)."""
        return self._tt

    @times.setter
    def times(self, tt: TemperatureTimes | None) -> None:
        self._tt = tt
        self._times = _NO_TIMES if tt is None else times_group(tt, self.setup.material.t0_s)

    def _set_temperature(self, T: float, sigma: float) -> None:
        """Set the times, local chi, stable factors and the equilibrium classification at T."""
        aging = self.dyn is not None
        self.T = T
        self.times = temperature_times(self.setup, T, self.n_qpd / self.N, aging)
        set_local_chi(self.S, self.setup, self.times, self.frac, self.U, self.W, aging)
        self.recalibrate()
        self._classify(sigma)
        if self.field is not None:   # unit strains and states changed outside the kernels
            self.field.rebuild(self.S, self.calib)

    def _classify(self, sigma: float) -> None:
        """Which units are in local equilibrium; newly dynamic units start from equilibrium."""
        setup = self.setup
        drift = self.alpha_elimination and drift_allowed(self.calib, self.peak_stress_MPa)
        ra = classify(self.S, self.K, self.control(0.0, 0),
                      threshold=setup.elim_rates_per_s[self.case],
                      parallel=setup.sim.plasticity == "parallel", drift=drift,
                      elimination_factor=setup.sim.elimination_factor, sigma=sigma,
                      rng=self.obs_rng)
        self.equilibrium = Equilibrium.of(self.S, self.n_qpd, drift_coefficient(
            self.S, ra, self.d_p, self.calib.sig_sat_p))

    def restore_rates(self) -> None:
        """Equilibrium summary, drift and sum tree of a restored state (classification kept)."""
        self.recalibrate()      # at the restored temperature
        n = self.N
        rb, rs, ra = np.zeros(n), np.zeros(n), np.zeros(n)
        kn.channel_rates(self.S, self.control(0.0, 0), rb, rs, ra)
        self.equilibrium = Equilibrium.of(self.S, self.n_qpd, drift_coefficient(
            self.S, ra, self.d_p, self.calib.sig_sat_p))
        ahead = self.K.ahead.copy()     # the checkpointed proposals: the rebuild gives the
        self._build_tree()              # same classes, so they stay valid
        self.K.ahead[:] = ahead

    def run_kernel(self, C: kn.Control) -> int:
        """Call the event loop once (:func:`.kernels.run_until`, or with interactions
        :func:`.elastic_loop.run_until_elastic` through the replica's field).

        Parameters
        ----------
        C : kernels.Control
            The loading law, times, calibration, rules and geometry of this call.

        Returns
        -------
        int
            The loop's status code (``kernels.STATUS_*``: why it returned).
        """
        if self.field is None:
            self._entries.check(self.S, self.K)
            return self._entries.call(kn.run_until, self.S, C, self.K)
        return self.field.run(self.S, C, self.K)

    def _build_tree(self) -> None:
        """Rates of every site, the sum tree (its root is the total rate) and, with
        composition-rejection selection, the rate classes.
        """
        S = self.S
        kn.fill_rates(S, self.control(0.0, 0), S.leaves)
        tree_build(S.top, S.leaves)
        if S.sel_members.size:
            cr_build(S.leaves, S.sel_members, S.sel_pos, S.sel_start, S.sel_cum)
            self.K.ahead[0] = 0         # proposals drawn from the old rates are void

    # ------------------------------------------------------------- observation
    def observe(self) -> np.ndarray:
        """One row of the registered observables (:data:`TIME_SERIES`) at the current time.

        Returns
        -------
        ndarray, shape (len(TIME_SERIES),)
            The observables' values, in registry order.
        """
        return observe(self)

    def snapshot(self) -> dict:
        """Site fields at the current time (units in equilibrium drawn now).

        Returns
        -------
        dict
            Field name to array of shape (N,) (:data:`.observables.SNAPSHOT_FIELDS`).
        """
        return snapshot(self)

    def _record(self) -> None:
        self.records.append(self.observe())

    # ------------------------------------------- the program (:mod:`.replica_driver`)
    _defect_update = driver._defect_update
    _begin_segment = driver._begin_segment
    _next_slice = driver._next_slice
    _end_segment = driver._end_segment
    advance = driver.advance
    run = driver.run

    def table(self) -> np.ndarray:
        """Return the recorded time series.

        Returns
        -------
        ndarray, shape (n_samples, len(TIME_SERIES))
            One row per sample, in registry order.
        """
        if not self.records:
            return np.zeros((0, len(TIME_SERIES)))
        return np.vstack(self.records)

    # ------------------------------------------------------------- checkpoint
    def state_dict(self) -> dict:
        """Everything needed to continue this replica bit for bit (:mod:`.checkpoint`).

        Returns
        -------
        dict
            Arrays and scalars by name (RNG states included).
        """
        return checkpoint.state_dict(self)

    def load_state_dict(self, d) -> None:
        """Restore from :meth:`state_dict` (the quenched arrays are overwritten too).

        Parameters
        ----------
        d : dict or mapping
            What :meth:`state_dict` returned (possibly read back from a checkpoint).
        """
        checkpoint.load_state_dict(self, d)
