"""Everything a kMC run needs that is the same for all replicas, derived from a RunConfig."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import (Creep, CyclicTraining, Defects, DmaIsochronal, DmaIsothermal, HoldStrain,
                      HoldStress, Program, RampStrain, RunConfig, SteppedRelaxation,
                      StressRelaxation, Tension, Unload)
from ..config.material import Material
from ..config.tables import Simulation
from ..constants import R_J_PER_MOL_K
from ..errors import ConfigError
from ..program import (LoadingProgram, Oscillate, StrainStep, compile_dma, compile_protocol,
                       compile_stepped, compile_training, segment_sample_offsets)
from .lattice import Lattice, make_lattice

__all__ = ["KmcSetup", "make_setup", "auto_sigma_sat", "resolution_time"]

KMC_PROTOCOLS = (Creep, StressRelaxation, Tension, Program, DmaIsochronal, DmaIsothermal,
                 SteppedRelaxation, CyclicTraining)


@dataclass(frozen=True)
class KmcSetup:
    """Fixed inputs of a kMC run."""

    material: Material
    sim: Simulation
    lattice: Lattice
    programs: tuple[LoadingProgram, ...]    # one per case (e.g. per relaxation temperature)
    case_labels: tuple[str, ...]
    sig_sat_MPa: float
    elim_rates_per_s: tuple[float, ...]     # per case: units faster than this are in equilibrium
    T_ref_K: float                          # energy-mode reference temperature
    snapshot_times_s: tuple[float, ...]
    chi_law: str
    defects: Defects = Defects()            # defect dynamics (aging, rejuvenation), off by default

    @property
    def n_cases(self) -> int:
        return len(self.programs)

    @property
    def elim_rate_per_s(self) -> float:
        """The largest threshold over the cases (one number for summaries)."""
        return max(self.elim_rates_per_s)


def auto_sigma_sat(mat: Material, prog: LoadingProgram) -> float:
    """Twice the largest stress the program can reach (E_u |strain| under strain control), >= 1 MPa."""
    big = 0.0
    for seg in prog.segments:
        if isinstance(seg, HoldStress):
            big = max(big, abs(seg.stress_MPa))
        elif isinstance(seg, (HoldStrain, StrainStep)):
            big = max(big, mat.E_unrelaxed_MPa * abs(seg.strain))
        elif isinstance(seg, RampStrain):
            big = max(big, mat.E_unrelaxed_MPa * abs(seg.to_strain))
        elif isinstance(seg, Oscillate):
            big = max(big, mat.E_unrelaxed_MPa * abs(seg.strain_amplitude), abs(seg.stress_amplitude_MPa))
    return max(2.0 * big, 1.0)


def resolution_time(prog: LoadingProgram) -> float:
    """Shortest time the program resolves: its first sample offset or a ramp's sample spacing."""
    t_res = prog.t_first_s
    strain = 0.0
    for seg in prog.segments:
        if isinstance(seg, RampStrain):
            dur = abs(seg.to_strain - strain) / seg.rate_per_s
            t_res = min(t_res, dur / seg.samples)
            strain = seg.to_strain
        elif isinstance(seg, (HoldStrain, StrainStep)):
            offs = segment_sample_offsets(seg, seg.duration_s, prog.t_first_s)
            t_res = min(t_res, float(offs[0]))
            strain = seg.strain if isinstance(seg, HoldStrain) else strain + seg.strain
        elif isinstance(seg, HoldStress):
            offs = segment_sample_offsets(seg, seg.duration_s, prog.t_first_s)
            t_res = min(t_res, float(offs[0]))
        elif isinstance(seg, Oscillate):
            # the loading varies on 1/omega: faster units follow it in equilibrium
            t_res = min(t_res, 1.0 / (2.0 * np.pi * seg.frequency_Hz))
    return t_res


def beta_peak_temperature(mat: Material, f_Hz: float = 1.0) -> float:
    """Temperature where <tau_beta> = 1/(2 pi f) (Arrhenius, zero stress)."""
    return mat.U_beta_J_per_mol / (R_J_PER_MOL_K * np.log(1.0 / (2 * np.pi * f_Hz * mat.tau_beta0_s)))


def make_setup(cfg: RunConfig) -> KmcSetup:
    """Check that the kMC can run this config and derive the fixed inputs.

    Raises
    ------
    ConfigError
        For protocols or segments the kMC does not support (yet).
    """
    p = cfg.protocol
    if not isinstance(p, KMC_PROTOCOLS):
        raise ConfigError([
            f"[protocol] kind = '{p.kind}': the kMC engine runs "
            + ", ".join(c.kind for c in KMC_PROTOCOLS) + " protocols (use 'mgmeso theory')"],
            str(cfg.path))
    if isinstance(p, StressRelaxation):
        progs = tuple(compile_protocol(p, T) for T in p.temperatures_K)
        labels = tuple(f"{T:g} K" for T in p.temperatures_K)
    elif isinstance(p, (DmaIsochronal, DmaIsothermal, CyclicTraining)):
        cases = compile_training(p) if isinstance(p, CyclicTraining) else compile_dma(p)
        progs = tuple(pr for _, pr in cases)
        labels = tuple(lab for lab, _ in cases)
    elif isinstance(p, SteppedRelaxation):
        progs = (compile_stepped(p),)
        labels = (p.kind,)
    else:
        progs = (compile_protocol(p),)
        labels = (p.kind,)
    sim = cfg.simulation
    mat = cfg.material
    sig_sat = sim.bias_saturation_stress_MPa or max(auto_sigma_sat(mat, pr) for pr in progs)
    # each case resolves its own loading: a 1 Hz scan is not held to the threshold of a 16 Hz one
    elim = tuple(sim.elimination_factor / resolution_time(pr) if sim.elimination_factor > 0
                 else np.inf for pr in progs)
    T_ref = sim.energy_reference_T_K or beta_peak_temperature(mat)
    return KmcSetup(
        material=mat, sim=sim, lattice=make_lattice(sim.lattice, sim.L), programs=progs,
        case_labels=labels, sig_sat_MPa=float(sig_sat), elim_rates_per_s=tuple(float(e) for e in elim),
        T_ref_K=float(T_ref), snapshot_times_s=tuple(sorted(cfg.output.snapshot_times_s)),
        chi_law=cfg.theory.chi_law, defects=cfg.defects)


_ = Unload
