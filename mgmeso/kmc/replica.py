"""One kMC replica: owns the lattice state, runs the loading program, observes, checkpoints.

This is the Python layer around :mod:`.kernels`. It

* draws the quenched disorder and calibrates unit strains so that the ensemble
  reproduces A_beta, A_an and A_vp of the material (using the replica's actual
  number of QPD sites);
* at every segment start sets the temperature-dependent times, the control law
  and which units are in local equilibrium (rate above ``setup.elim_rates_per_s[case]``),
  then rebuilds the sum tree;
* calls :func:`.kernels.run_until` up to each sample time (in bounded chunks, so
  that progress can be shown and checkpoints written) and records observables;
* can dump its whole state (including both RNG states and its position in the
  program) and be rebuilt from it bit for bit.

Units in local equilibrium enter the strain with their equilibrium mean when the
stress is computed between events (an instantaneous compliance), and with a
fresh equilibrium draw of their states at every observation.
"""

from __future__ import annotations

import json
import math

import numpy as np

from ..constants import R_J_PER_MOL_K
from ..errors import ConfigError
from ..segments import STRESS, Law, Start
from ..theory import kinetics
from . import kernels as kn
from .defects import DefectDynamics
from .disorder import draw_disorder, local_defect_fraction, neighbourhood_mean
from .loading import SegmentRun, plan_ramp, plan_samples
from .rng import seed_state
from .setup import KmcSetup
from .stable import kanter
from .sumtree import tree_build, tree_size

__all__ = ["Replica", "TIME_SERIES", "SNAPSHOT_FIELDS"]

#: time-series variables: name, unit, description
TIME_SERIES = (
    ("time_s", "s", "time since the start of the loading program"),
    ("stress_MPa", "MPa", "macroscopic stress"),
    ("temperature_K", "K", "temperature"),
    ("strain", "1", "total strain"),
    ("strain_elastic", "1", "elastic strain sigma/E_u"),
    ("strain_beta", "1", "strain of the beta units"),
    ("strain_anelastic", "1", "strain of the SMD (anelastic) units"),
    ("strain_plastic", "1", "permanent (viscoplastic) strain"),
    ("defect_fraction", "1", "fraction of sites that are QPDs"),
    ("active_smd", "1", "number of polarised SMDs"),
    ("chi_mean", "1", "mean correlation factor chi over QPD sites"),
    ("events_beta", "1", "cumulative beta events"),
    ("events_smd", "1", "cumulative SMD (anelastic) events"),
    ("events_annihilation", "1", "cumulative SMD annihilations at rate 1/tau_max"),
    ("events_coalescence", "1", "cumulative coalescences (footprint contacts)"),
    ("events_total", "1", "cumulative events of all kinds"),
    ("segment", "1", "index of the loading segment"),
    ("strain_expected", "1", "total strain with the units in local equilibrium at their "
     "conditional mean (same expectation as strain, no observation noise)"),
    ("stress_MPa_expected", "MPa", "stress with the units in local equilibrium at their "
     "conditional mean (the stress that drives the events)"),
    ("strain_beta_expected", "1", "beta strain with the units in local equilibrium at their "
     "conditional mean"),
    ("strain_anelastic_expected", "1", "anelastic strain with the units in local equilibrium at "
     "their conditional mean"),
)
TS_INDEX = {name: i for i, (name, _, _) in enumerate(TIME_SERIES)}

#: snapshot fields: name, dtype, unit, description
SNAPSHOT_FIELDS = (
    ("kind", "i1", "1", "1 = QPD site, 0 = elastic matrix"),
    ("beta_state", "i1", "1", "beta unit state -1/0/+1 (units in equilibrium drawn at the snapshot)"),
    ("smd_state", "i1", "1", "SMD unit state -1/0/+1"),
    ("footprint", "i4", "1", "nucleus site of the SMD footprint covering the site, -1 if none"),
    ("chi", "f4", "1", "local correlation factor chi_j"),
    ("local_strain", "f4", "1", "local inelastic strain: beta + SMD unit strain + deposited plastic"),
    ("plastic_strain", "f4", "1", "plastic strain deposited at the site"),
    ("last_smd_time", "f4", "s", "time of the last SMD event the site took part in (-1 never)"),
)

CHUNK_EVENTS = 2_000_000


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
        N = lat.n_sites
        self.N = N
        self.n_qpd = int(dis.kind.sum())
        if self.n_qpd == 0:
            raise ConfigError([f"[simulation] L = {sim.L}: the lattice drew no QPD site at "
                               f"C_d = {Cd:.3g}; use a larger lattice"])
        self.U, self.W, self.frac = dis.U, dis.W, dis.frac
        qpd = dis.kind == 1
        owner = np.where(qpd, np.arange(N), -1).astype(np.int32)
        # the hierarchy's beta time ('local' mode): the site's own, or the geometric mean over
        # the neighbourhood chi_j is averaged over (quenched: matrix sites carry theirs too)
        log_tb_hier = (neighbourhood_mean(dis.log_tb, nbr, sim.chi_radius, include_self=True)
                       if sim.hierarchy_beta_time == "neighbourhood" else dis.log_tb)
        self.S = kn.Sites(
            kind=dis.kind, elim=np.zeros(N, np.int8), beta=np.zeros(N, np.int8),
            smd=np.zeros(N, np.int8), fp_size=np.where(qpd, 1, 0).astype(np.int8),
            owner=owner, fp_next=np.full(N, -1, np.int32), log_tb=dis.log_tb,
            log_tb_hier=log_tb_hier,
            log_S=np.zeros(N, np.float32), chi=np.zeros(N, np.float32),
            eps_p=np.zeros(N, np.float32), last_smd=np.full(N, -1.0, np.float32),
            leaves=np.zeros(N), event_probs=np.zeros((N, 2), np.float32), top=np.zeros(tree_size(N)),
            offsets=lat.offsets,
        )
        self.K = kn.Clock(rng=seed_state(ss_dyn), t=np.zeros(1), t_next=np.full(1, np.nan),
                          sums=np.zeros(3, np.int64), frozen=np.zeros(1), work=np.zeros(1),
                          counts=np.zeros(kn.C_HIST + kn.COAL_HIST, np.int64))
        self.obs_rng = np.random.default_rng(ss_obs)
        self.snap_rng = np.random.default_rng(ss_snap)  # snapshots never change the time series
        self._calibrate()
        # the annihilation channel may be replaced by its mean drift (parallel rule only, and not
        # with unloading segments, whose zero-stress crossing assumes piecewise-constant strain)
        self.alpha_elimination = (sim.plasticity == "parallel" and sim.plastic_drift and
                                  not any(sg.ends_on_event for sg in prog.segments))
        self.k_fast = 0.0
        self._count_elim()
        # position in the program and segment runtime values
        self.seg_index = 0
        self.seg: SegmentRun | None = None
        self.snap_index = 0
        self.sample_pos = 0
        self.T = prog.temperature_K
        self.tpar: dict = {}
        self.records: list[np.ndarray] = []
        self.snapshots: list[dict] = []
        self.done = False

    # ------------------------------------------------------------------ helpers
    def _calibrate(self) -> None:
        """Unit strains calibrated to the material's compliances (MODEL.md section 2), using
        this replica's actual number of QPD sites. With defect dynamics the unit strains are
        those of a lattice at the analytical model's C_d, so that compliances follow the
        defect population as it ages or is rejuvenated."""
        setup, mat = self.setup, self.setup.material
        self.n_qpd = int(np.count_nonzero(self.S.kind))
        n_ref = self.Cd_ref * self.N if self.dyn is not None else self.n_qpd
        scale = setup.sig_sat_MPa * self.N / n_ref
        self.d_beta = mat.A_beta_per_MPa * scale
        self.d_an = mat.A_an_per_MPa * scale
        self.d_p = (mat.A_vp if setup.sim.plasticity == "parallel" else mat.A_an_per_MPa) * scale

    @property
    def t(self) -> float:
        return float(self.K.t[0])

    def _n_elim(self) -> tuple[int, int]:
        """Units in equilibrium: (beta units, SMD units); counted when the classification
        changes (:meth:`_count_elim`), read at every sample."""
        return self._elim_counts

    def _count_elim(self) -> None:
        e = self.S.elim
        self._elim_counts = (int(np.count_nonzero(e >= 1)), int(np.count_nonzero(e >= 2)))
        self._chi_mean = float(self.S.chi[self.S.kind == 1].mean()) if self.n_qpd else 0.0

    def _J_inst(self) -> float:
        nb, na = self._n_elim()
        return self.setup.material.J_el_per_MPa + (self.d_beta * nb + self.d_an * na) / (
            self.N * self.setup.sig_sat_MPa)

    def _inelastic_dynamic(self) -> float:
        s = self.K.sums
        return (self.d_beta * s[0] + self.d_an * s[1] + self.d_p * s[2]) / self.N + float(self.K.frozen[0])

    def _macro(self, t: float) -> tuple[float, float]:
        """Mean-field stress and total strain at time t under the current segment's law."""
        law = self.law
        inel = self._inelastic_dynamic()
        J = self._J_inst()
        osc = 0.0
        if law.amp != 0.0:
            osc = law.amp * math.sin(law.omega * (t - law.t0))
        if law.control == STRESS:
            sigma = law.sigma_hold + osc
            return sigma, sigma * J + inel
        eps = law.eps0 + law.eps_rate * (t - law.t0) + osc
        return (eps - inel) / J, eps

    @property
    def law(self) -> Law:
        """Loading law of the current segment (zero stress before the first one)."""
        return Law() if self.seg is None else self.seg.law

    def _T_at(self, t: float) -> float:
        """Temperature at time t: the ramp's exact value during a ramp (the rates use the
        slice midpoint), else the segment temperature."""
        return self.T if self.seg is None else self.seg.temperature_at(t, self.T)

    def control(self, t_stop: float, max_events: int) -> kn.Control:
        """Kernel scalars for the current segment (rates only, if no segment has started)."""
        law = self.law
        tp, setup = self.tpar, self.setup
        sim = setup.sim
        lat = setup.lattice
        return kn.Control(
            t_stop=float(t_stop), max_events=float(max_events),
            control=float(law.control), sigma_hold=law.sigma_hold, eps0=law.eps0,
            eps_rate=law.eps_rate, t_seg0=law.t0, amp=law.amp, omega=law.omega,
            k_fast=self.k_fast,
            log_tb_mean=tp["log_tb_mean"], temp_factor=tp["temp_factor"], log_tan=tp["log_tan"],
            log_tmax=tp["log_tmax"], log_t0=math.log(setup.material.t0_s),
            local=1.0 if sim.heterogeneity == "local" else 0.0,
            series=1.0 if sim.plasticity == "series" else 0.0,
            coalescence=1.0 if sim.coalescence else 0.0, fp_max=float(sim.footprint_max_sites),
            growth=1.0 if sim.footprint_growth == "alpha" else 0.0,
            sig_sat=setup.sig_sat_MPa, d_beta=self.d_beta, d_an=self.d_an, d_p=self.d_p,
            inv_N=1.0 / self.N, J_inst=self._J_inst(),
            L=float(lat.L), dim=float(lat.dim), nb=float(lat.nb), z=float(lat.z),
        )

    # ------------------------------------------------------------- temperature
    def _temperature_parameters(self, T: float) -> dict:
        mat, setup = self.setup.material, self.setup
        ln_tb = math.log(mat.tau_beta0_s) + mat.U_beta_J_per_mol / (R_J_PER_MOL_K * T)
        if self.dyn is not None:   # chi follows the defect population (seed 004 Eq. 10)
            chi = float(kinetics.chi_from_defects(mat, self.n_qpd / self.N))
        else:
            chi = float(kinetics.chi(mat, T, law=setup.chi_law))
        tmax = float(kinetics.tau_max(mat, math.exp(ln_tb), chi))
        tan = float(kinetics.tau_an(tmax, chi))
        energy = setup.sim.disorder == "energy"
        return {"T": T, "log_tb_mean": ln_tb, "chi": chi, "log_tmax": math.log(tmax),
                "log_tan": math.log(tan), "temp_factor": setup.T_ref_K / T if energy else 1.0}

    def _set_temperature(self, T: float, sigma: float) -> None:
        """Times, local chi, stable factors and the equilibrium classification at T."""
        S, setup, mat = self.S, self.setup, self.setup.material
        self.T = T
        self.tpar = self._temperature_parameters(T)
        chi = self.tpar["chi"]
        if setup.sim.heterogeneity == "local":
            # chi_j = kappa f_j, shifted by the temperature term of chi(T) above Tg (without
            # defect dynamics; with them f_j itself follows T)
            shift = 0.0 if self.dyn is not None else chi - mat.chi_g
            chij = np.clip(mat.kappa * self.frac + shift, kinetics.CHI_MIN, 1.0)
            S.chi[:] = chij
            S.log_S[:] = kanter(self.U, self.W, chij)
        else:
            S.chi[:] = chi
            S.log_S[:] = kanter(self.U, self.W, chi)
        self._classify(sigma)

    def _classify(self, sigma: float) -> None:
        """Which units are in local equilibrium; newly dynamic units start from equilibrium."""
        S, K, setup = self.S, self.K, self.setup
        n = self.N
        rb, rs, ra = np.zeros(n), np.zeros(n), np.zeros(n)
        kn.channel_rates(S, self.control(0.0, 0), rb, rs, ra)
        thr = setup.elim_rates_per_s[self.case]
        qpd = S.kind == 1
        new = np.zeros(n, np.int8)
        new[qpd & (rb > thr)] = 1
        if setup.sim.plasticity == "parallel":
            new[qpd & (rb > thr) & (rs > thr)] = 2
            if self.alpha_elimination:
                # the drift equals the mean of the annihilation deposits at any rate (they are
                # memoryless draws from the current bias), so only their noise is lost: it is
                # used as soon as annihilations outpace the loading itself (factor 1)
                thr_a = thr / max(setup.sim.elimination_factor, 1.0)
                new[qpd & (rb > thr) & (rs > thr) & (ra > thr_a)] = 3
        old = S.elim.copy()
        to_eq_b = qpd & (old == 0) & (new >= 1)
        to_eq_a = qpd & (old < 2) & (new >= 2)
        K.sums[0] -= int(S.beta[to_eq_b].sum())
        S.beta[to_eq_b] = 0
        K.sums[1] -= int(S.smd[to_eq_a].sum())
        S.smd[to_eq_a] = 0
        p = 0.5 * (1.0 + float(np.clip(sigma / setup.sig_sat_MPa, -1.0, 1.0)))
        to_dyn_b = qpd & (old >= 1) & (new == 0)
        to_dyn_a = qpd & (old >= 2) & (new < 2)
        for mask, arr, k in ((to_dyn_b, S.beta, 0), (to_dyn_a, S.smd, 1)):
            m = int(mask.sum())
            if m:
                states = np.where(self.obs_rng.random(m) < p, 1, -1).astype(np.int8)
                arr[mask] = states
                K.sums[k] += int(states.sum())
        S.elim[:] = new
        self._count_elim()
        self.k_fast = self._drift_coefficient(ra)

    def _drift_coefficient(self, r_ann: np.ndarray) -> float:
        """k_fast (1/(MPa s)) of the mean plastic drift of the elim = 3 units:
        sum of their annihilation rates x d_p / (N sigma_sat)."""
        fast = self.S.elim == 3
        if not fast.any():
            return 0.0
        return float(r_ann[fast].sum()) * self.d_p / (self.N * self.setup.sig_sat_MPa)

    # ---------------------------------------------------------------- segments
    def _defect_update(self) -> None:
        """Advance the defect dynamics to now (a no-op when they are off)."""
        if self.dyn is None or self.t <= self.dyn.t_last:
            return
        sigma, _ = self._macro(self.t)
        if self.dyn.step(self.S, self.control(self.t, 0), self.K, self.T, sigma, self.t):
            # kinds changed: local fractions, chi_j, stable factors, classification, rates
            self.frac = local_defect_fraction(self.S.kind, self.dyn.nbr, self.setup.sim.chi_radius)
            self.n_qpd = int(np.count_nonzero(self.S.kind))
            self._set_temperature(self.T, sigma)
            self.K.t_next[0] = np.nan
            self._build_tree()

    def _begin_segment(self) -> None:
        """Start the next segment: its law, temperature (ramp) and sample plan."""
        self._defect_update()
        prog = self.program
        seg = prog.segments[self.seg_index]
        t = self.t
        sigma, eps = self._macro(t)
        prev = self.seg
        start = Start(t, sigma, eps, self.T, STRESS if prev is None else prev.law.control)
        dur = seg.duration(eps, self.T)
        ramp = plan_ramp(seg, start, self.setup.sim.temperature_slice_K)
        T_new = seg.held_temperature_K(self.T) if ramp is None else ramp.first_slice_temperature(t)
        if prev is None or T_new != self.T:
            self._set_temperature(T_new, sigma)
        samples, t_end, spacing = plan_samples(seg, t, dur, prog.t_first_s, sigma, self._J_inst())
        self.seg = SegmentRun(seg.law(start), ramp, samples, t_end, spacing, not samples)
        self.sample_pos = 0
        self.K.t_next[0] = np.nan  # rates change at a segment start: redraw the next event
        self._build_tree()

    def _next_slice(self) -> None:
        """Move the temperature to the midpoint of the next ramp slice (to the final
        temperature at the end of the ramp)."""
        self._defect_update()
        T = self.seg.ramp.next_slice(self.seg.law.t0)
        sigma, _ = self._macro(self.t)
        self._set_temperature(T, sigma)
        self.K.t_next[0] = np.nan   # rates changed: redraw the next event
        self._build_tree()

    def _build_tree(self) -> None:
        kn.fill_rates(self.S, self.control(0.0, 0), self.S.leaves)
        tree_build(self.S.top, self.S.leaves)

    def _end_segment(self) -> None:
        self.seg_index += 1
        if self.seg_index >= len(self.program.segments):
            self.done = True

    # ------------------------------------------------------------- observation
    def observe(self) -> np.ndarray:
        """One row of :data:`TIME_SERIES` at the current time."""
        S, K, setup, mat = self.S, self.K, self.setup, self.setup.material
        t = self.t
        sigma, eps = self._macro(t)
        p = 0.5 * (1.0 + float(np.clip(sigma / setup.sig_sat_MPa, -1.0, 1.0)))
        nb, na = self._n_elim()
        xb = 2 * int(self.obs_rng.binomial(nb, p)) - nb if nb else 0
        xa = 2 * int(self.obs_rng.binomial(na, p)) - na if na else 0
        e_b = self.d_beta * (K.sums[0] + xb) / self.N
        e_a = self.d_an * (K.sums[1] + xa) / self.N
        e_p = self.d_p * K.sums[2] / self.N + float(K.frozen[0])
        # conditional means of the equilibrium units (Rao-Blackwell: same mean, less noise)
        eb_x = self.d_beta * (K.sums[0] + nb * (2 * p - 1)) / self.N
        ea_x = self.d_an * (K.sums[1] + na * (2 * p - 1)) / self.N
        if self.law.control == STRESS:
            s_obs = s_x = sigma
            e_el = s_obs * mat.J_el_per_MPa
            eps = e_el + e_b + e_a + e_p
            eps_x = e_el + eb_x + ea_x + e_p
        else:
            e_el = eps - e_b - e_a - e_p
            s_obs = e_el / mat.J_el_per_MPa
            eps_x = eps
            s_x = (eps - eb_x - ea_x - e_p) / mat.J_el_per_MPa
        c = K.counts
        row = np.array([
            t, s_obs, self._T_at(t), eps, e_el, e_b, e_a, e_p, self.n_qpd / self.N,
            np.count_nonzero(S.smd), self._chi_mean,
            c[kn.C_BETA], c[kn.C_SMD], c[kn.C_ANN], c[kn.C_COAL], c[kn.C_ALL], self.seg_index,
            eps_x, s_x, eb_x, ea_x,
        ], dtype=float)
        return row

    def snapshot(self) -> dict:
        """Site fields at the current time (units in equilibrium drawn now)."""
        S, setup = self.S, self.setup
        sigma, _ = self._macro(self.t)
        p = 0.5 * (1.0 + float(np.clip(sigma / setup.sig_sat_MPa, -1.0, 1.0)))
        beta = S.beta.copy()
        eq_b = S.elim >= 1
        beta[eq_b] = np.where(self.snap_rng.random(int(eq_b.sum())) < p, 1, -1)
        smd = S.smd.copy()
        eq_a = S.elim >= 2
        smd[eq_a] = np.where(self.snap_rng.random(int(eq_a.sum())) < p, 1, -1)
        local = (self.d_beta * beta + self.d_an * smd).astype(np.float32) + S.eps_p
        return {"time_s": self.t, "kind": S.kind.copy(), "beta_state": beta.astype(np.int8),
                "smd_state": smd.astype(np.int8), "footprint": S.owner.copy(),
                "chi": S.chi.copy(), "local_strain": local, "plastic_strain": S.eps_p.copy(),
                "last_smd_time": S.last_smd.copy()}

    # -------------------------------------------------------------------- run
    def advance(self, max_events: int = CHUNK_EVENTS) -> None:
        """Run to the next stop (sample, snapshot, segment end) or for ``max_events`` events."""
        if self.done:
            return
        if self.seg is None or self.seg.finished:
            if self.seg is not None:
                self._end_segment()
                if self.done:
                    return
            self._begin_segment()
            if self.seg.finished:
                return
        seg = self.seg
        snaps = self.setup.snapshot_times_s
        t_sample = seg.samples[self.sample_pos]
        t_stop, is_snap = t_sample, False
        if self.snap_index < len(snaps) and snaps[self.snap_index] <= t_sample:
            t_stop, is_snap = max(snaps[self.snap_index], self.t), True
        edge = seg.slice_edge
        if self.dyn is not None and self.dyn.next_update_s < min(edge, t_stop):
            status = kn.run_until(self.S, self.control(self.dyn.next_update_s, max_events), self.K)
            if status != kn.STATUS_EVENTS:
                self._defect_update()
            if status == kn.STATUS_UNLOADED:
                self.records.append(self.observe())
                seg.finished = True
            return
        if edge <= t_stop:
            status = kn.run_until(self.S, self.control(edge, max_events), self.K)
            if status != kn.STATUS_EVENTS:
                self._next_slice()
            return
        status = kn.run_until(self.S, self.control(t_stop, max_events), self.K)
        if status == kn.STATUS_EVENTS:
            return
        if status == kn.STATUS_UNLOADED:
            self._defect_update()
            self.records.append(self.observe())
            seg.finished = True
            return
        if is_snap:   # snapshots change nothing: no defect update at a snapshot alone
            self.snapshots.append(self.snapshot())
            self.snap_index += 1
            if t_stop < t_sample:
                return
        self._defect_update()
        self.records.append(self.observe())
        self.sample_pos += 1
        if self.sample_pos >= len(seg.samples):
            if seg.ends_on_event:
                seg.samples.append(self.t + seg.spacing)  # not at zero stress yet
            else:
                seg.finished = True

    def run(self, on_chunk=None) -> None:
        """Run the whole program; ``on_chunk(replica)`` is called after every kernel call."""
        while not self.done:
            self.advance()
            if on_chunk is not None:
                on_chunk(self)

    def table(self) -> np.ndarray:
        """Recorded time series, shape (n_samples, len(TIME_SERIES))."""
        if not self.records:
            return np.zeros((0, len(TIME_SERIES)))
        return np.vstack(self.records)

    # ------------------------------------------------------------- checkpoint
    def state_dict(self) -> dict:
        """Everything needed to continue this replica bit for bit."""
        # log_tb_hier is rebuilt from the quenched log_tb when the replica is constructed; the
        # rates (leaves, tree, event probabilities) when a segment is restored
        d = {f"S_{k}": np.asarray(v) for k, v in self.S._asdict().items()
             if k not in ("leaves", "event_probs", "top", "offsets", "log_tb_hier")}
        d.update({f"K_{k}": np.asarray(v) for k, v in self.K._asdict().items()})
        # quenched Kanter variables and local defect fractions: needed at every temperature change
        d.update({"Q_U": self.U, "Q_W": self.W, "Q_frac": self.frac})
        d["records"] = self.table()
        meta = {
            "seg_index": self.seg_index, "seg": None if self.seg is None else self.seg.to_dict(),
            "snap_index": self.snap_index,
            "sample_pos": self.sample_pos, "T": self.T, "tpar": self.tpar,
            "done": self.done, "obs_rng": self.obs_rng.bit_generator.state,
            "snap_rng": self.snap_rng.bit_generator.state,
            "n_snapshots": len(self.snapshots),
            "defects": self.dyn.state() if self.dyn is not None else None,
        }
        d["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
        for i, snap in enumerate(self.snapshots):
            for k, v in snap.items():
                d[f"snap{i}_{k}"] = np.asarray(v)
        return d

    def load_state_dict(self, d) -> None:
        """Restore from :meth:`state_dict` (the quenched arrays are overwritten too)."""
        for k in self.S._fields:
            if f"S_{k}" in d:
                getattr(self.S, k)[...] = d[f"S_{k}"]
        for k in self.K._fields:
            if f"K_{k}" in d:
                getattr(self.K, k)[...] = d[f"K_{k}"]
        if "Q_U" in d:
            self.U, self.W, self.frac = (np.array(d[k]) for k in ("Q_U", "Q_W", "Q_frac"))
        self._calibrate()
        meta = json.loads(bytes(d["meta"]).decode())
        self.seg_index = meta["seg_index"]
        self.seg = None if meta["seg"] is None else SegmentRun.from_dict(meta["seg"])
        self.snap_index = meta["snap_index"]
        self.sample_pos = meta["sample_pos"]
        self.T = meta["T"]
        self.tpar = meta["tpar"]
        self.done = meta["done"]
        self.obs_rng.bit_generator.state = meta["obs_rng"]
        self.snap_rng.bit_generator.state = meta["snap_rng"]
        if self.dyn is not None and meta.get("defects"):
            self.dyn.load(meta["defects"])
        rec = d["records"]
        self.records = [row for row in rec]
        self.snapshots = []
        for i in range(meta["n_snapshots"]):
            snap = {}
            for name in ("time_s",) + tuple(f[0] for f in SNAPSHOT_FIELDS):
                v = d[f"snap{i}_{name}"]
                snap[name] = float(v) if name == "time_s" else v
            self.snapshots.append(snap)
        if self.seg is not None:
            rb, rs, ra = np.zeros(self.N), np.zeros(self.N), np.zeros(self.N)
            kn.channel_rates(self.S, self.control(0.0, 0), rb, rs, ra)
            self.k_fast = self._drift_coefficient(ra)
            self._count_elim()
            self._build_tree()
