"""Everything a kMC run needs that is the same for all replicas, derived from a RunConfig."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import PROTOCOLS, Defects, RunConfig
from ..config.material import Material
from ..config.tables import Simulation
from ..constants import R_J_PER_MOL_K
from ..errors import ConfigError
from ..program import LoadingProgram
from .lattice import Lattice, make_lattice

__all__ = ["KmcSetup", "make_setup", "auto_sigma_sat", "peak_stress", "resolution_time"]



@dataclass(frozen=True)
class KmcSetup:
    """Fixed inputs of a kMC run."""

    material: Material
    sim: Simulation
    lattice: Lattice
    programs: tuple[LoadingProgram, ...]    # one per case (e.g. per relaxation temperature)
    case_labels: tuple[str, ...]
    sig_sat_MPa: float                      # the linear law's saturation stress (NaN: physical law)
    elim_rates_per_s: tuple[float, ...]     # per case: units faster than this are in equilibrium
    T_ref_K: float                          # energy-mode reference temperature
    snapshot_times_s: tuple[float, ...]
    chi_law: str
    defects: Defects = Defects()            # defect dynamics (aging, rejuvenation), off by default

    @property
    def n_cases(self) -> int:
        """Number of kMC cases (one loading program each)."""
        return len(self.programs)

    @property
    def elim_rate_per_s(self) -> float:
        """The largest threshold over the cases (one number for summaries)."""
        return max(self.elim_rates_per_s)


def peak_stress(mat: Material, prog: LoadingProgram) -> float:
    """Largest stress the program can reach (E_u |strain| under strain control).

    Parameters
    ----------
    mat : Material
        The material (its unrelaxed modulus).
    prog : LoadingProgram
        The program.

    Returns
    -------
    float
        The stress (MPa).
    """
    big = 0.0
    for seg in prog.segments:
        big = max(big, seg.peak_stress_MPa(mat.E_unrelaxed_MPa))
    return big


def auto_sigma_sat(mat: Material, prog: LoadingProgram) -> float:
    """Twice the largest stress the program can reach (E_u |strain| under strain control), >= 1 MPa.

    Parameters
    ----------
    mat : Material
        The glass (its unrelaxed modulus E_u).
    prog : LoadingProgram
        The program.

    Returns
    -------
    float
        The linear law's saturation stress (MPa).
    """
    return max(2.0 * peak_stress(mat, prog), 1.0)


def resolution_time(prog: LoadingProgram) -> float:
    """Shortest time the program resolves: its first sample offset or a ramp's sample spacing.

    Parameters
    ----------
    prog : LoadingProgram
        The program.

    Returns
    -------
    float
        The time (s).
    """
    t_res = prog.t_first_s
    strain = 0.0
    for seg in prog.segments:
        t_res = min(t_res, seg.resolution_time(strain, prog.t_first_s))
        strain = seg.end_strain(strain)
    return t_res


def beta_peak_temperature(mat: Material, f_Hz: float = 1.0) -> float:
    """Temperature where <tau_beta> = 1/(2 pi f) (Arrhenius, zero stress).

    Parameters
    ----------
    mat : Material
        The material (U_beta, tau_beta0).
    f_Hz : float
        Frequency (Hz).

    Returns
    -------
    float
        Temperature (K).
    """
    return mat.U_beta_J_per_mol / (R_J_PER_MOL_K * np.log(1.0 / (2 * np.pi * f_Hz * mat.tau_beta0_s)))


def make_setup(cfg: RunConfig) -> KmcSetup:
    """Check that the kMC can run this config and derive the fixed inputs.

    Parameters
    ----------
    cfg : RunConfig
        The validated config.

    Returns
    -------
    KmcSetup
        Lattice, programs, bias saturation stress and local-equilibrium thresholds.

    Raises
    ------
    ConfigError
        For protocols or segments the kMC does not support (yet).
    """
    p = cfg.protocol
    if not p.runs_in_kmc:
        raise ConfigError([f"[protocol] kind = '{p.kind}': the kMC engine runs "
                           + ", ".join(k for k, c in PROTOCOLS.items() if c.runs_in_kmc)
                           + " protocols (use 'mgmeso theory')"], str(cfg.path))
    cases = p.kmc_cases()
    progs = tuple(pr for _, pr in cases)
    labels = tuple(lab for lab, _ in cases)
    sim = cfg.simulation
    mat = cfg.material
    # the linear law's one saturation stress; the physical law's follow from the site volume,
    # T and the compliances in each replica (calibration.unit_strains)
    sig_sat = (sim.bias_saturation_stress_MPa or max(auto_sigma_sat(mat, pr) for pr in progs)
               if sim.bias_law == "linear" else float("nan"))
    # each case resolves its own loading: a 1 Hz scan is not held to the threshold of a 16 Hz one
    elim = tuple(sim.elimination_factor / resolution_time(pr) if sim.elimination_factor > 0
                 else np.inf for pr in progs)
    T_ref = sim.energy_reference_T_K or beta_peak_temperature(mat)
    return KmcSetup(
        material=mat, sim=sim, lattice=make_lattice(sim.lattice, sim.L), programs=progs,
        case_labels=labels, sig_sat_MPa=float(sig_sat), elim_rates_per_s=tuple(float(e) for e in elim),
        T_ref_K=float(T_ref), snapshot_times_s=tuple(sorted(cfg.output.snapshot_times_s)),
        chi_law=cfg.theory.chi_law, defects=cfg.defects)


