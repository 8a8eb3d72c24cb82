"""Creep compliance J(t) and complex compliance J*(iw) of the QPD model.

[Hao2022] Eq. 25a::

    J(t) = J_el + A_beta sum_i W_i (1 - exp(-t/tau_i))
                + A_an (1 - exp(-(t/tau_an)^chi)) + A_vp t / tau_max

and its Laplace-Carson transform J*(iw) = J' - i J'' in two forms: "exact"
(the anelastic term by :func:`~mgmeso.theory.kww.kww_carson`) and "paper"
(Eq. 25b, ``A_an/(i w tau_an)^chi``). Component keys are ``elastic``,
``beta``, ``anelastic``, ``plastic`` and ``total``; values in 1/MPa.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gamma, gammainc

from ..config.material import Material
from . import kinetics
from .gumbel import GumbelGrid
from .kww import kww_carson, kww_carson_paper

__all__ = ["StatePoint", "state_point", "creep_compliance", "creep_recovery_strain",
           "creep_compliance_integral", "complex_compliance", "COMPONENTS"]

COMPONENTS = ("elastic", "beta", "anelastic", "plastic")


@dataclass(frozen=True)
class StatePoint:
    """Characteristic times at a (T, sigma, strain) state; arrays broadcast together."""

    T_K: np.ndarray
    tau_beta_s: np.ndarray
    chi: np.ndarray
    tau_max_s: np.ndarray
    tau_an_s: np.ndarray


def state_point(mat: Material, T_K, stress_MPa=0.0, eps_an=0.0, eps_vp=0.0,
                chi_law: str = "linear") -> StatePoint:
    """tau_beta, chi, tau_max and tau_an at the given temperature(s) and stress(es).

    Parameters
    ----------
    mat : Material
        The material parameters.
    T_K : array_like
        Temperature(s) (K).
    stress_MPa : array_like
        Stress(es) (MPa) in the beta barrier (Eq. 9).
    eps_an, eps_vp : array_like
        Anelastic and viscoplastic strains of the optional chi terms.
    chi_law : {'linear', 'defects'}
        Law of chi(T).

    Returns
    -------
    StatePoint
        Arrays broadcast from the inputs.
    """
    T = np.asarray(T_K, dtype=float)
    tb = kinetics.tau_beta(mat, T, stress_MPa)
    c = kinetics.chi(mat, T, eps_an, eps_vp, law=chi_law)
    tm = kinetics.tau_max(mat, tb, c)
    return StatePoint(T, tb, c, tm, kinetics.tau_an(tm, c))


def _beta_times(sp: StatePoint, grid: GumbelGrid) -> np.ndarray:
    return np.asarray(sp.tau_beta_s)[..., None] * np.exp(grid.y)


def creep_compliance(mat: Material, t_s, sp: StatePoint, grid: GumbelGrid) -> dict[str, np.ndarray]:
    """Creep compliance components J_k(t) (1/MPa), [Hao2022] Eq. 25a.

    ``t_s`` broadcasts against the arrays of ``sp``.

    Parameters
    ----------
    mat : Material
        The material parameters.
    t_s : array_like
        Times (s).
    sp : StatePoint
        tau_beta, chi, tau_max, tau_an of the state (see :func:`state_point`).
    grid : GumbelGrid
        The discrete distribution of beta times.

    Returns
    -------
    dict of str to numpy.ndarray
        Components ``elastic``, ``beta``, ``anelastic``, ``plastic`` and ``total``, each of the
        broadcast shape of the times and the state point.
    """
    t = np.asarray(t_s, dtype=float)
    taus = _beta_times(sp, grid)
    beta = mat.A_beta_per_MPa * np.sum(grid.w * -np.expm1(-t[..., None] / taus), axis=-1)
    an = mat.A_an_per_MPa * -np.expm1(-np.power(t / sp.tau_an_s, sp.chi))
    vp = mat.A_vp * t / sp.tau_max_s
    el = np.full(np.broadcast(t, sp.tau_beta_s).shape, mat.J_el_per_MPa)
    out = {"elastic": el, "beta": beta + 0 * el, "anelastic": an + 0 * el, "plastic": vp + 0 * el}
    out["total"] = out["elastic"] + out["beta"] + out["anelastic"] + out["plastic"]
    return out


def creep_recovery_strain(mat: Material, t_s, sp: StatePoint, grid: GumbelGrid, stress_MPa: float,
                          t_unload_s: float | None = None) -> np.ndarray:
    """Strain of creep at ``stress_MPa`` from t = 0, unloaded at ``t_unload_s`` (linear superposition).

    ``eps(t) = sigma J(t) - sigma J(t - t_unload)`` for ``t >= t_unload``, with ``J`` the total
    of :func:`creep_compliance`; without ``t_unload_s``, creep only.

    Parameters
    ----------
    mat : Material
        Parameters of the model.
    t_s : numpy.ndarray
        Times since loading (s), 1-D.
    sp : StatePoint
        The state point (temperature).
    grid : GumbelGrid
        The beta-time grid.
    stress_MPa : float
        The creep stress (MPa).
    t_unload_s : float, optional
        The time of unloading (s).

    Returns
    -------
    numpy.ndarray
        The strain at ``t_s``.
    """
    t = np.asarray(t_s, dtype=float)
    eps = stress_MPa * creep_compliance(mat, t, sp, grid)["total"]
    if t_unload_s is not None:
        after = t >= t_unload_s
        eps = eps.copy()
        eps[after] -= stress_MPa * creep_compliance(mat, t[after] - t_unload_s, sp, grid)["total"]
    return eps


def creep_compliance_integral(mat: Material, t_s, sp: StatePoint,
                              grid: GumbelGrid) -> dict[str, np.ndarray]:
    """Components of ``Int_0^t J(u) du`` (s/MPa), in closed form.

    Used by the product-integration (Volterra) solver. The KWW part is
    ``t - (tau/chi) gamma_lower(1/chi, (t/tau)^chi)``.

    Parameters
    ----------
    mat : Material
        The material parameters.
    t_s : array_like
        Upper limits of the integral (s).
    sp : StatePoint
        tau_beta, chi, tau_max, tau_an of the state (see :func:`state_point`).
    grid : GumbelGrid
        The discrete distribution of beta times.

    Returns
    -------
    dict of str to numpy.ndarray
        In s/MPa.
        Components ``elastic``, ``beta``, ``anelastic``, ``plastic`` and ``total``, each of the
        broadcast shape of the times and the state point.
    """
    t = np.asarray(t_s, dtype=float)
    taus = _beta_times(sp, grid)
    x = t[..., None] / taus
    # t - tau (1 - e^{-t/tau}), written to keep precision when t << tau
    beta = mat.A_beta_per_MPa * np.sum(grid.w * taus * (x + np.expm1(-x)), axis=-1)
    c = sp.chi
    ta = sp.tau_an_s
    z = np.power(t / ta, c)
    an = mat.A_an_per_MPa * (t - (ta / c) * gamma(1.0 / c) * gammainc(1.0 / c, z))
    vp = mat.A_vp * t * t / (2.0 * sp.tau_max_s)
    el = mat.J_el_per_MPa * t
    out = {"elastic": el + 0 * beta, "beta": beta, "anelastic": an + 0 * beta,
           "plastic": vp + 0 * beta}
    out["total"] = out["elastic"] + out["beta"] + out["anelastic"] + out["plastic"]
    return out


def complex_compliance(mat: Material, omega_rad_s, sp: StatePoint, grid: GumbelGrid,
                       form: str = "exact") -> dict[str, np.ndarray]:
    """Complex compliance components ``J* = J' - i J''`` (1/MPa).

    Parameters
    ----------
    omega_rad_s : array_like
        Angular frequency 2 pi f (rad/s), broadcast against ``sp``.
    form : {'exact', 'paper'}
        Anelastic term: exact Laplace-Carson transform of the KWW creep term,
        or the asymptotic ``(i w tau_an)^-chi`` of [Hao2022] Eq. 25b.
    mat : Material
        The material parameters.
    sp : StatePoint
        tau_beta, chi, tau_max, tau_an of the state (see :func:`state_point`).
    grid : GumbelGrid
        The discrete distribution of beta times.

    Returns
    -------
    dict of str to numpy.ndarray
        complex128 components ``elastic``, ``beta``, ``anelastic``, ``plastic`` and ``total``
        (1/MPa), of the broadcast shape of ``omega_rad_s`` and ``sp``.

    Raises
    ------
    ValueError
        For an unknown ``form``.
    """
    w = np.asarray(omega_rad_s, dtype=float)
    taus = _beta_times(sp, grid)
    beta = mat.A_beta_per_MPa * np.sum(grid.w / (1.0 + 1j * w[..., None] * taus), axis=-1)
    x = w * sp.tau_an_s
    if form == "exact":
        an = mat.A_an_per_MPa * kww_carson(x, np.broadcast_to(sp.chi, np.shape(x)))
    elif form == "paper":
        an = mat.A_an_per_MPa * kww_carson_paper(x, sp.chi)
    else:
        raise ValueError(f"unknown form {form!r}")
    vp = mat.A_vp / (1j * w * sp.tau_max_s)
    el = np.full(np.shape(beta), mat.J_el_per_MPa, dtype=complex)
    out = {"elastic": el, "beta": beta, "anelastic": an + 0 * el, "plastic": vp + 0 * el}
    out["total"] = out["elastic"] + out["beta"] + out["anelastic"] + out["plastic"]
    return out
