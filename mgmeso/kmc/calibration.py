"""Calibration of a replica: unit strains, temperature-dependent times, local equilibrium.

* **Unit strains** (docs/model.md section 2): the beta, SMD and plastic unit strains make the
  ensemble reproduce the material's A_beta, A_an and A_vp, using the replica's actual
  number of QPD sites (with defect dynamics: a lattice at the analytical model's C_d, so
  that compliances follow the defect population as it ages or is rejuvenated).
* **Times at a temperature**: ln <tau_beta>, chi, ln tau_max, ln tau_an and the energy-mode
  factor of the quenched beta offsets; in 'local' mode also chi_j and the stable factors.
* **Local equilibrium**: units faster than the case's threshold (``setup.elim_rates_per_s``)
  are in equilibrium with the stress (``S.elim``); units leaving equilibrium start from an
  equilibrium draw; the annihilations of the fastest units may be replaced by their mean
  drift (``k_fast``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..constants import R_J_PER_MOL_K
from ..theory import kinetics
from . import kernels as kn
from .bias import p_up
from .stable import kanter

__all__ = ["UnitStrains", "unit_strains", "TemperatureTimes", "temperature_times",
           "set_local_chi", "Equilibrium", "classify", "drift_coefficient"]


@dataclass(frozen=True)
class UnitStrains:
    """Strain of one beta, SMD and plastic unit, per site and per MPa of sigma_sat."""

    d_beta: float
    d_an: float
    d_p: float


def unit_strains(setup, N: int, n_qpd: int, Cd_ref: float, aging: bool) -> UnitStrains:
    """Unit strains calibrated to the material's compliances (see the module docstring)."""
    mat = setup.material
    n_ref = Cd_ref * N if aging else n_qpd
    scale = setup.sig_sat_MPa * N / n_ref
    d_p = (mat.A_vp if setup.sim.plasticity == "parallel" else mat.A_an_per_MPa) * scale
    return UnitStrains(mat.A_beta_per_MPa * scale, mat.A_an_per_MPa * scale, d_p)


@dataclass(frozen=True)
class TemperatureTimes:
    """Lattice-wide times at temperature T (the kernels' times group, plus chi)."""

    T: float
    log_tb_mean: float
    chi: float
    log_tmax: float
    log_tan: float
    temp_factor: float

    def to_dict(self) -> dict:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, d: dict) -> TemperatureTimes:
        return cls(**{k: float(d[k]) for k in cls.__dataclass_fields__})


def temperature_times(setup, T: float, defect_fraction: float, aging: bool) -> TemperatureTimes:
    """Times at T; with defect dynamics chi follows the defect population ([Hao2022] Eq. 10)."""
    mat = setup.material
    ln_tb = math.log(mat.tau_beta0_s) + mat.U_beta_J_per_mol / (R_J_PER_MOL_K * T)
    if aging:
        chi = float(kinetics.chi_from_defects(mat, defect_fraction))
    else:
        chi = float(kinetics.chi(mat, T, law=setup.chi_law))
    tmax = float(kinetics.tau_max(mat, math.exp(ln_tb), chi))
    tan = float(kinetics.tau_an(tmax, chi))
    energy = setup.sim.disorder == "energy"
    return TemperatureTimes(T=T, log_tb_mean=ln_tb, chi=chi, log_tmax=math.log(tmax),
                            log_tan=math.log(tan),
                            temp_factor=setup.T_ref_K / T if energy else 1.0)


def set_local_chi(S, setup, times: TemperatureTimes, frac, U, W, aging: bool) -> None:
    """chi_j and the stable factors ln S_j of every site at the current temperature."""
    mat = setup.material
    if setup.sim.heterogeneity == "local":
        # chi_j = kappa f_j, shifted by the temperature term of chi(T) above Tg (without
        # defect dynamics; with them f_j itself follows T)
        shift = 0.0 if aging else times.chi - mat.chi_g
        chij = np.clip(mat.kappa * frac + shift, kinetics.CHI_MIN, 1.0)
        S.chi[:] = chij
        S.log_S[:] = kanter(U, W, chij)
    else:
        S.chi[:] = times.chi
        S.log_S[:] = kanter(U, W, times.chi)


@dataclass(frozen=True)
class Equilibrium:
    """Summary of the local-equilibrium classification, read at every sample."""

    counts: tuple[int, int]     # units in equilibrium: (beta units, SMD units)
    chi_mean: float             # mean chi_j over QPD sites
    k_fast: float = 0.0         # 1/(MPa s), mean plastic drift of the elim = 3 units

    @classmethod
    def of(cls, S, n_qpd: int, k_fast: float = 0.0) -> Equilibrium:
        e = S.elim
        counts = (int(np.count_nonzero(e >= 1)), int(np.count_nonzero(e >= 2)))
        return cls(counts, float(S.chi[S.kind == 1].mean()) if n_qpd else 0.0, k_fast)


def classify(S, K, C, *, threshold: float, parallel: bool, drift: bool, elimination_factor: float,
             sigma: float, sig_sat: float, rng: np.random.Generator) -> np.ndarray:
    """Set which units are in local equilibrium (``S.elim``); newly dynamic units start from
    an equilibrium draw at stress ``sigma`` (from ``rng``). Returns the annihilation rates
    (for :func:`drift_coefficient`)."""
    n = S.kind.size
    rb, rs, ra = np.zeros(n), np.zeros(n), np.zeros(n)
    kn.channel_rates(S, C, rb, rs, ra)
    thr = threshold
    qpd = S.kind == 1
    new = np.zeros(n, np.int8)
    new[qpd & (rb > thr)] = 1
    if parallel:
        new[qpd & (rb > thr) & (rs > thr)] = 2
        if drift:
            # the drift equals the mean of the annihilation deposits at any rate (they are
            # memoryless draws from the current bias), so only their noise is lost: it is
            # used as soon as annihilations outpace the loading itself (factor 1)
            thr_a = thr / max(elimination_factor, 1.0)
            new[qpd & (rb > thr) & (rs > thr) & (ra > thr_a)] = 3
    old = S.elim.copy()
    to_eq_b = qpd & (old == 0) & (new >= 1)
    to_eq_a = qpd & (old < 2) & (new >= 2)
    K.sums[kn.SUM_BETA] -= int(S.beta[to_eq_b].sum())
    S.beta[to_eq_b] = 0
    K.sums[kn.SUM_SMD] -= int(S.smd[to_eq_a].sum())
    S.smd[to_eq_a] = 0
    p = float(p_up(sigma, sig_sat))
    to_dyn_b = qpd & (old >= 1) & (new == 0)
    to_dyn_a = qpd & (old >= 2) & (new < 2)
    for mask, arr, k in ((to_dyn_b, S.beta, kn.SUM_BETA), (to_dyn_a, S.smd, kn.SUM_SMD)):
        m = int(mask.sum())
        if m:
            states = np.where(rng.random(m) < p, 1, -1).astype(np.int8)
            arr[mask] = states
            K.sums[k] += int(states.sum())
    S.elim[:] = new
    return ra


def drift_coefficient(S, r_ann: np.ndarray, d_p: float, sig_sat: float) -> float:
    """k_fast (1/(MPa s)) of the mean plastic drift of the elim = 3 units:
    sum of their annihilation rates x d_p / (N sigma_sat)."""
    fast = S.elim == 3
    if not fast.any():
        return 0.0
    return float(r_ann[fast].sum()) * d_p / (S.kind.size * sig_sat)
