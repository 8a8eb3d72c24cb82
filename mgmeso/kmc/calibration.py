"""Calibration of a replica: unit strains, temperature-dependent times, local equilibrium.

* **Unit strains and saturation stresses** (docs/model.md section 2, docs/kmc_elastic.md
  section 1): the beta, SMD and plastic unit strains make the ensemble reproduce the
  material's A_beta, A_an and A_vp, using the replica's actual number of QPD sites (with
  defect dynamics: a lattice at the analytical model's C_d, so that compliances follow the
  defect population as it ages or is rejuvenated): ``d = A sigma_sat N / n_ref``. With the
  linear bias law sigma_sat is one numerical stress (``setup.sig_sat_MPa``). With the
  physical law each process has its own, ``sigma_sat = k T/(d V)``, which with the
  calibration gives ``sigma_sat = sqrt((n_ref/N) k T/(A V))`` at the current temperature:
  both are recomputed whenever the temperature changes, so the linear compliances stay the
  model's temperature-independent A (docs/kmc_elastic.md section 1.5).
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
from .bias import BIAS_LAWS, LINEAR, p_plus, sigma_sat_MPa
from .stable import kanter

__all__ = ["UnitStrains", "unit_strains", "TemperatureTimes", "temperature_times",
           "set_local_chi", "Equilibrium", "classify", "drift_coefficient", "drift_allowed",
           "DRIFT_LINEAR_LIMIT"]

#: physical law: the plastic drift (linear in the stress) replaces annihilation events only
#: while the program's largest stress is at most this fraction of sigma_sat_p; the drift's
#: mean then differs from the exact tanh mean by less than (0.1)^2/3 = 0.33 %
DRIFT_LINEAR_LIMIT = 0.1


@dataclass(frozen=True)
class UnitStrains:
    """Strain of one beta, SMD and plastic unit (per site) and saturation stress of each.

    The saturation stresses (MPa) are those of each process's bias law; ``bias_law`` is its
    code (:data:`.bias.LINEAR` or ``PHYSICAL``).
    """

    d_beta: float
    d_an: float
    d_p: float
    sig_sat_beta: float
    sig_sat_an: float
    sig_sat_p: float
    bias_law: int = LINEAR


def _physical_scale(A: float, c: float, T: float, V: float) -> float:
    """sigma_sat of a process of compliance A (inf for A = 0: the process carries no strain)."""
    return float(sigma_sat_MPa(A, c, T, V)) if A > 0.0 else math.inf


def unit_strains(setup, N: int, n_qpd: int, Cd_ref: float, aging: bool,
                 T: float) -> UnitStrains:
    """Compute the unit strains and saturation stresses at temperature T.

    See the module docstring. The plastic units of the parallel rule are two-state units of
    their own with compliance A_vp: ``sigma_sat_p = sqrt((n_ref/N) k T/(A_vp V))``,
    ``d_p = A_vp sigma_sat_p N/n_ref``. Under the series rule the SMD's strain becomes
    plastic: ``d_p = d_an`` (no plastic draw).

    Parameters
    ----------
    setup : KmcSetup
        The run's setup (material, ``[simulation]`` table, linear-law ``sig_sat_MPa``).
    N : int
        Number of lattice sites.
    n_qpd : int
        Number of QPD sites of the replica.
    Cd_ref : float
        Defect fraction of the analytical model the compliances refer to (with defect
        dynamics).
    aging : bool
        Whether defect dynamics are on (then ``n_ref = Cd_ref N``, else ``n_qpd``).
    T : float
        Temperature (K).

    Returns
    -------
    UnitStrains
        Unit strains (per site) and saturation stresses (MPa) of the three processes.
    """
    mat = setup.material
    n_ref = Cd_ref * N if aging else n_qpd
    series = setup.sim.plasticity != "parallel"
    law = BIAS_LAWS[setup.sim.bias_law]
    if law == LINEAR:
        ss = setup.sig_sat_MPa
        scale = ss * N / n_ref
        d_p = (mat.A_an_per_MPa if series else mat.A_vp) * scale
        return UnitStrains(mat.A_beta_per_MPa * scale, mat.A_an_per_MPa * scale, d_p, ss, ss, ss,
                           law)
    c, V = n_ref / N, mat.site_volume_nm3
    ss_b = _physical_scale(mat.A_beta_per_MPa, c, T, V)
    ss_a = _physical_scale(mat.A_an_per_MPa, c, T, V)
    ss_p = ss_a if series else _physical_scale(mat.A_vp, c, T, V)

    def d(A, ss):
        return A * ss * N / n_ref if A > 0.0 else 0.0
    d_a = d(mat.A_an_per_MPa, ss_a)
    return UnitStrains(d(mat.A_beta_per_MPa, ss_b), d_a, d_a if series else d(mat.A_vp, ss_p),
                       ss_b, ss_a, ss_p, law)


def drift_allowed(calib: UnitStrains, peak_stress_MPa: float) -> bool:
    """Tell whether the mean plastic drift (linear in the stress) may replace annihilations.

    Always under the linear law, where it is exact in the mean. Under the physical law only
    while the largest stress of the program is within :data:`DRIFT_LINEAR_LIMIT` of
    ``sigma_sat_p`` (checked at every temperature, since sigma_sat_p follows T).

    Parameters
    ----------
    calib : UnitStrains
        Calibration at the current temperature.
    peak_stress_MPa : float
        Largest stress the loading program reaches (MPa).

    Returns
    -------
    bool
        True if the drift may be used.
    """
    return calib.bias_law == LINEAR or peak_stress_MPa <= DRIFT_LINEAR_LIMIT * calib.sig_sat_p


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
        """Field values by name (for a checkpoint).

        Returns
        -------
        dict
            ``{field: float}``.
        """
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, d: dict) -> TemperatureTimes:
        """Rebuild from :meth:`to_dict`'s output.

        Parameters
        ----------
        d : dict
            Field values by name (extra keys are ignored).

        Returns
        -------
        TemperatureTimes
            The times.
        """
        return cls(**{k: float(d[k]) for k in cls.__dataclass_fields__})


def temperature_times(setup, T: float, defect_fraction: float, aging: bool) -> TemperatureTimes:
    """Compute the lattice-wide times at T.

    With defect dynamics chi follows the defect population ([Hao2022] Eq. 10).

    Parameters
    ----------
    setup : KmcSetup
        The run's setup (material, chi law, disorder mode, reference temperature).
    T : float
        Temperature (K).
    defect_fraction : float
        Current defect fraction (used with defect dynamics only).
    aging : bool
        Whether defect dynamics are on.

    Returns
    -------
    TemperatureTimes
        ln <tau_beta>, chi, ln tau_max, ln tau_an and the energy-mode factor at T.
    """
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
    """Set chi_j and the stable factors ln S_j of every site at the current temperature.

    Parameters
    ----------
    S : Sites
        Per-site arrays; ``S.chi`` and ``S.log_S`` are written.
    setup : KmcSetup
        The run's setup (heterogeneity mode, material).
    times : TemperatureTimes
        Times at the current temperature (its chi).
    frac : ndarray, shape (N,)
        Local fraction f_j of each site (local heterogeneity).
    U, W : ndarray, shape (N,)
        Kanter's quenched uniform and exponential variables of each site
        (:func:`mgmeso.kmc.stable.kanter`).
    aging : bool
        Whether defect dynamics are on (then chi_j carries no temperature shift).
    """
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
        """Summarise the current classification ``S.elim``.

        Parameters
        ----------
        S : Sites
            Per-site arrays.
        n_qpd : int
            Number of QPD sites (0: chi_mean is 0).
        k_fast : float, optional
            Drift coefficient of the classification (1/(MPa s)).

        Returns
        -------
        Equilibrium
            The counts, the mean chi_j and ``k_fast``.
        """
        e = S.elim
        counts = (int(np.count_nonzero(e >= 1)), int(np.count_nonzero(e >= 2)))
        return cls(counts, float(S.chi[S.kind == 1].mean()) if n_qpd else 0.0, k_fast)


def classify(S, K, C, *, threshold: float, parallel: bool, drift: bool, elimination_factor: float,
             sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Set which units are in local equilibrium (``S.elim``).

    Newly dynamic units start from an equilibrium draw at stress ``sigma`` (from ``rng``; the
    bias law and the saturation stresses of ``C.calib``).

    Parameters
    ----------
    S : Sites
        Per-site arrays; ``S.elim``, ``S.beta`` and ``S.smd`` are written.
    K : Clock
        Kernel clock; its sums ``K.sums`` follow the states set here.
    C : Control
        Kernel control (rates and calibration at the current temperature).
    threshold : float
        Rate above which a unit is in equilibrium (1/s).
    parallel : bool
        Whether the plasticity rule is parallel (then SMD units may be eliminated too).
    drift : bool
        Whether the mean plastic drift may replace fast annihilations (elim = 3).
    elimination_factor : float
        Factor by which the annihilation threshold is lowered (at least 1).
    sigma : float
        Current stress (MPa).
    rng : numpy.random.Generator
        Generator of the equilibrium draws.

    Returns
    -------
    ndarray, shape (N,)
        Annihilation rates of the sites (1/s), for :func:`drift_coefficient`.
    """
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
    c = C.calib
    p_b = float(p_plus(sigma, c.sig_sat_beta, c.bias_law))
    p_a = float(p_plus(sigma, c.sig_sat_an, c.bias_law))
    to_dyn_b = qpd & (old >= 1) & (new == 0)
    to_dyn_a = qpd & (old >= 2) & (new < 2)
    for mask, arr, k, p in ((to_dyn_b, S.beta, kn.SUM_BETA, p_b),
                            (to_dyn_a, S.smd, kn.SUM_SMD, p_a)):
        m = int(mask.sum())
        if m:
            states = np.where(rng.random(m) < p, 1, -1).astype(np.int8)
            arr[mask] = states
            K.sums[k] += int(states.sum())
    S.elim[:] = new
    return ra


def drift_coefficient(S, r_ann: np.ndarray, d_p: float, sig_sat: float) -> float:
    """Compute k_fast (1/(MPa s)) of the mean plastic drift of the elim = 3 units.

    It is the sum of their annihilation rates x d_p / (N sigma_sat_p).

    Parameters
    ----------
    S : Sites
        Per-site arrays (``S.elim``).
    r_ann : ndarray, shape (N,)
        Annihilation rates of the sites (1/s), from :func:`classify`.
    d_p : float
        Plastic unit strain (per site).
    sig_sat : float
        Plastic saturation stress sigma_sat_p (MPa).

    Returns
    -------
    float
        The drift coefficient (0 when no unit has elim = 3).
    """
    fast = S.elim == 3
    if not fast.any():
        return 0.0
    return float(r_ann[fast].sum()) * d_p / (S.kind.size * sig_sat)
