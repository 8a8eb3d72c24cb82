"""Characteristic times and the correlation factor of the QPD model.

All functions are vectorised over numpy arrays (broadcasting) and take a
:class:`~mgmeso.config.Material`. Equations are those of [Hao2022] as corrected
in docs/model.md section 6 (the model: docs/model.md section 1):

* ``tau_beta(T, sigma) = tau_beta0 exp(U_beta (1 - sigma/sigma1)^(3/2) / (R T))``  (Eqs. 8, 9)
* ``chi(T) = chi_g`` below Tg, ``chi_g + a1 (T - Tg)`` above (Eq. 22a,b), optionally
  ``+ a2 eps_an`` (Eq. 22c) and ``- b_vp eps_vp`` ([Zhang2023] Eq. 21)
* ``tau_max = t0 (tau_beta/t0)^(1/chi)`` (Eq. 11b), ``tau_an = chi^(1/chi) tau_max`` (Eq. 17b)
* ``C_d(T) = 1 / (1 + exp(-dS_F/R) exp(dH_F/(R T)))`` above Tg, frozen below (Eq. 1)
"""

from __future__ import annotations

import numpy as np

from ..config.material import Material
from ..constants import R_J_PER_MOL_K

__all__ = [
    "tau_beta", "chi", "tau_max", "tau_an", "defect_concentration", "equilibrium_defect_concentration",
    "chi_from_defects",
    "CHI_MIN", "CHI_MAX", "LOG_TAU_CAP",
]

#: Characteristic times are capped at 1e300 s: a unit that slow is frozen for every
#: experiment, and the cap keeps exp() finite for any accepted input.
LOG_TAU_CAP = float(np.log(1e300))

#: chi is clipped to [CHI_MIN, CHI_MAX]: chi = 1 is the Debye (uncorrelated) limit, and
#: chi -> 0 would make tau_max = t0 (tau_beta/t0)^(1/chi) overflow.
CHI_MIN = 0.02
CHI_MAX = 1.0


def tau_beta(mat: Material, T_K, stress_MPa=0.0):
    """Mean (most probable) beta relaxation time, [Hao2022] Eqs. 8-9.

    Parameters
    ----------
    mat : Material
    T_K : array_like
        Temperature (K).
    stress_MPa : array_like, optional
        Applied stress (MPa); its magnitude lowers the barrier as
        ``(1 - |sigma|/sigma1)^(3/2)``.

    Returns
    -------
    ndarray
        tau_beta in s, broadcast shape of the inputs.
    """
    T = np.asarray(T_K, dtype=float)
    s = np.abs(np.asarray(stress_MPa, dtype=float)) / mat.sigma1_MPa
    barrier = mat.U_beta_J_per_mol * np.power(np.clip(1.0 - s, 0.0, None), 1.5)
    log_tau = np.log(mat.tau_beta0_s) + barrier / (R_J_PER_MOL_K * T)
    return np.exp(np.minimum(log_tau, LOG_TAU_CAP))


def defect_concentration(mat: Material, T_K):
    """QPD concentration C_d(T), [Hao2022] Eq. 1: equilibrium above Tg, frozen below.

    dH_F and dS_F are derived from ``Cd_at_Tg`` and ``a1`` (see
    :attr:`Material.dH_F_J_per_mol`).

    Parameters
    ----------
    mat : Material
        The material parameters.
    T_K : array_like
        Temperature(s) (K).

    Returns
    -------
    numpy.ndarray
        C_d, the fraction of sites that are QPDs, of the shape of ``T_K``.
    """
    return equilibrium_defect_concentration(mat, np.maximum(np.asarray(T_K, dtype=float), mat.Tg_K))


def equilibrium_defect_concentration(mat: Material, T_K):
    """Equilibrium QPD concentration of [Hao2022] Eq. 1 at every temperature (not frozen).

    Below Tg this is the state an infinitely slow aging would reach; the kMC's
    defect dynamics relax the lattice toward it (docs/model.md section 2).

    Parameters
    ----------
    mat : Material
        The material parameters.
    T_K : array_like
        Temperature(s) (K).

    Returns
    -------
    numpy.ndarray
        C_d, of the shape of ``T_K``.
    """
    T = np.asarray(T_K, dtype=float)
    x = -mat.dS_F_J_per_mol_K / R_J_PER_MOL_K + mat.dH_F_J_per_mol / (R_J_PER_MOL_K * T)
    return 1.0 / (1.0 + np.exp(x))


def chi_from_defects(mat: Material, Cd):
    """chi = kappa * C_d ([Hao2022] Eq. 10), clipped to (0, 1].

    Parameters
    ----------
    mat : Material
        The material parameters.
    Cd : array_like
        QPD concentration(s).

    Returns
    -------
    numpy.ndarray
        chi, of the shape of ``Cd``.
    """
    return np.clip(mat.kappa * np.asarray(Cd, dtype=float), CHI_MIN, CHI_MAX)


def chi(mat: Material, T_K, eps_an=0.0, eps_vp=0.0, law: str = "linear"):
    """Correlation factor chi(T, eps_an, eps_vp).

    Parameters
    ----------
    mat : Material
        The material parameters.
    T_K : array_like
        Temperature (K).
    eps_an, eps_vp : array_like, optional
        Anelastic and viscoplastic strain for the optional terms
        ``+ a2 |eps_an|`` ([Hao2022] Eq. 22c) and ``- b_vp |eps_vp|`` ([Zhang2023] Eq. 21).
    law : {'linear', 'defects'}
        ``'linear'``: chi_g + a1 (T - Tg) above Tg (Eq. 22b). ``'defects'``:
        kappa C_d(T) (Eqs. 1, 10), which has the same value and slope at Tg
        and saturates at high T.

    Returns
    -------
    ndarray
        chi, clipped to [CHI_MIN, 1].
    """
    T = np.asarray(T_K, dtype=float)
    if law == "linear":
        c = mat.chi_g + mat.a1_per_K * np.maximum(T - mat.Tg_K, 0.0)
    elif law == "defects":
        c = mat.kappa * defect_concentration(mat, T)
    else:
        raise ValueError(f"unknown chi law {law!r}")
    c = c + mat.a2 * np.abs(np.asarray(eps_an, dtype=float)) \
        - mat.b_vp * np.abs(np.asarray(eps_vp, dtype=float))
    return np.clip(c, CHI_MIN, CHI_MAX)


def tau_max(mat: Material, tau_beta_s, chi_):
    """Longest (alpha) time of the hierarchy, [Hao2022] Eq. 11b.

    ``tau_max = t0 (tau_beta/t0)^(1/chi)``. Where tau_beta < t0 (far above
    the alpha-beta merging) the hierarchy has no levels left and
    tau_max = tau_beta.

    Parameters
    ----------
    mat : Material
        The material parameters.
    tau_beta_s : array_like
        Mean beta time(s) (s).
    chi_ : array_like
        Correlation factor(s).

    Returns
    -------
    numpy.ndarray
        tau_max (s), capped at ``exp(LOG_TAU_CAP)``, of the broadcast shape.
    """
    tb = np.asarray(tau_beta_s, dtype=float)
    c = np.asarray(chi_, dtype=float)
    t0 = mat.t0_s
    log_ratio = np.log(np.maximum(tb / t0, 1.0))
    log_tm = np.minimum(np.log(t0) + log_ratio / c, LOG_TAU_CAP)
    return np.where(tb > t0, np.exp(log_tm), tb)


def tau_an(tau_max_s, chi_):
    """Anelastic KWW time ``chi^(1/chi) tau_max`` ([Hao2022] Eq. 17b; docs/model.md E1).

    Parameters
    ----------
    tau_max_s : array_like
        Longest time(s) of the hierarchy (s).
    chi_ : array_like
        Correlation factor(s).

    Returns
    -------
    numpy.ndarray
        tau_an (s), of the broadcast shape.
    """
    c = np.asarray(chi_, dtype=float)
    return np.exp(np.log(c) / c) * np.asarray(tau_max_s, dtype=float)
