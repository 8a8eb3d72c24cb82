"""The bias law: how likely a two-state unit is to be in its +1 state at a given stress.

Every unit of the kMC (beta, SMD, plastic) is a two-state unit in resampling form: at its
event its state is redrawn from equilibrium at the stress it feels, ``P(+1) = (1 + b)/2``
with the mean state

* ``b = clip(sigma/sigma_sat, -1, 1)``: the linear law of docs/model.md section 2, the
  mean-field validation mode (:data:`LINEAR`);
* ``b = tanh(sigma/sigma_sat)``: the physical two-level law (:data:`PHYSICAL`), with
  ``sigma_sat = k T/(d V)`` because the states differ by the work ``2 sigma d V``
  (docs/kmc_elastic.md section 1 derives it).

Both laws have the same slope at zero stress, so a replica calibrated with
``d = A sigma_sat N / n_qpd`` has the compliance ``A`` in the linear regime whichever law
it uses. Requiring the physical law to have that slope fixes ``sigma_sat`` from the site
volume, the temperature and the compliance (:func:`sigma_sat_MPa`).

This is the one place where the law is written: the kernels and the Python layer (which
draws the units in local equilibrium at observations and snapshots, when units leave
equilibrium, and for conditional means) both call it, so a change here changes every use.
The engine draws with :func:`draw_state_biased` (``[simulation] bias_law``, the code
``C.calib.bias_law``; each process with its own saturation stress), and the units in local
equilibrium enter the macroscopic stress and strain through their mean,
:func:`equilibrium_strain` and its inverse :func:`stress_for_strain` (strain control).
:func:`p_up` is the linear law alone.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .rng import uniform

__all__ = [
    "p_up",
    "BIAS_LAWS",
    "K_B_J_PER_K",
    "LINEAR",
    "PHYSICAL",
    "bias_mean",
    "draw_state_biased",
    "p_plus",
    "equilibrium_strain",
    "sigma_sat_MPa",
    "stress_for_strain",
    "transformation_shear",
    "two_state_scales",
    "unit_strain",
]

#: mode codes for the kernels
LINEAR, PHYSICAL = 0, 1
BIAS_LAWS = {"linear": LINEAR, "physical": PHYSICAL}

K_B_J_PER_K = 1.380649e-23  # Boltzmann constant (exact, SI 2019)


@njit(cache=True, inline="always")
def bias_mean(sigma, sig_sat, mode):
    """Equilibrium mean state ``<s>`` of a unit at stress ``sigma`` (MPa).

    ``mode`` = :data:`LINEAR` (``clip(sigma/sig_sat, -1, 1)``) or :data:`PHYSICAL`
    (``tanh(sigma/sig_sat)``). ``sig_sat`` > 0 (MPa).
    """
    x = sigma / sig_sat
    if mode == PHYSICAL:
        return math.tanh(x)
    if x > 1.0:
        return 1.0
    if x < -1.0:
        return -1.0
    return x


@njit(cache=True, inline="always")
def p_plus(sigma, sig_sat, mode):
    """Equilibrium probability of the state +1: ``(1 + <s>)/2``."""
    return 0.5 * (1.0 + bias_mean(sigma, sig_sat, mode))


@njit(cache=True, inline="always")
def draw_state_biased(rng, sigma, sig_sat, mode):
    """+1 or -1 drawn from equilibrium at ``sigma``; advances the xoshiro state ``rng``.

    With ``mode = LINEAR`` the probability of +1 is ``(1 + clip(sigma/sig_sat, -1, 1))/2``.
    """
    return 1 if uniform(rng) < p_plus(sigma, sig_sat, mode) else -1


@njit(cache=True, inline="always")
def p_up(sigma, sig_sat):
    """Probability of the +1 state at stress ``sigma`` (MPa) under the linear law."""
    return p_plus(sigma, sig_sat, LINEAR)


@njit(cache=True, inline="always")
def equilibrium_strain(sigma, c):
    """Strain of the matrix and of the units in local equilibrium at stress ``sigma`` (MPa).

    ``c`` is the kernels' calibration group (:data:`.layout.Calib`): ``J_el sigma`` plus, per
    process, the strain of its equilibrium units at their mean state, ``eq_x <s>_x(sigma)``
    (``eq_x = d_x n_x / N``). Under the linear law this is ``sigma J_inst`` (the same
    arithmetic as before the physical law existed).
    """
    if c.bias_law == LINEAR:
        return sigma * c.J_inst
    return (sigma * c.J_el + c.eq_beta * bias_mean(sigma, c.sig_sat_beta, c.bias_law)
            + c.eq_an * bias_mean(sigma, c.sig_sat_an, c.bias_law))


@njit(cache=True, inline="always")
def stress_for_strain(r, c):
    """The stress (MPa) at which :func:`equilibrium_strain` equals ``r``.

    Under strain control ``r`` is the total strain minus the strain of the dynamic units.
    Linear law: ``r / J_inst``. Physical law: Newton's method from ``r / J_inst``; the strain
    is increasing and concave in ``|sigma|`` (tanh is), so the iterates approach the root
    monotonically from the side of zero and converge quadratically (3-5 steps).
    """
    if c.bias_law == LINEAR or (c.eq_beta == 0.0 and c.eq_an == 0.0):
        return r / c.J_inst
    s = r / c.J_inst
    for _ in range(60):
        tb = math.tanh(s / c.sig_sat_beta)
        ta = math.tanh(s / c.sig_sat_an)
        f = s * c.J_el + c.eq_beta * tb + c.eq_an * ta - r
        fp = c.J_el + c.eq_beta / c.sig_sat_beta * (1.0 - tb * tb) \
            + c.eq_an / c.sig_sat_an * (1.0 - ta * ta)
        ds = f / fp
        s -= ds
        if abs(ds) <= 1e-14 * abs(s):
            break
    return s


# ---- physical scales (Python layer) ---------------------------------------------------

def sigma_sat_MPa(A_per_MPa, Cd, T_K, V_nm3):
    """Stress scale of the physical law, ``sqrt(C_d k T / (A V))`` (MPa).

    From ``sigma_sat = k T/(d V)`` (two-level law) and ``d = A sigma_sat / C_d`` (the
    compliance ``A`` of the process carried by a fraction ``C_d`` of the sites).

    Parameters
    ----------
    A_per_MPa : array_like
        Compliance intensity of the process (1/MPa): ``A_beta`` or ``A_an``.
    Cd : array_like
        Fraction of sites that carry a unit (``n_qpd / N``).
    T_K : array_like
        Temperature (K).
    V_nm3 : array_like
        Site volume (nm^3).
    """
    A = np.asarray(A_per_MPa, dtype=float) * 1e-6          # 1/Pa
    kT = K_B_J_PER_K * np.asarray(T_K, dtype=float)        # J
    V = np.asarray(V_nm3, dtype=float) * 1e-27              # m^3
    return np.sqrt(np.asarray(Cd, dtype=float) * kT / (A * V)) * 1e-6


def unit_strain(A_per_MPa, Cd, T_K, V_nm3):
    """Strain per unit state ``d = A sigma_sat / C_d = sqrt(A k T / (C_d V))`` (loading measure)."""
    return np.asarray(A_per_MPa, dtype=float) * sigma_sat_MPa(A_per_MPa, Cd, T_K, V_nm3) / \
        np.asarray(Cd, dtype=float)


def transformation_shear(d):
    """Engineering shear strain between the two states of a unit, ``gamma0 = 4 d``.

    The unit's eigenstrain is a pure shear in the lattice x-y frame with tensor component
    ``eps*_xy = s d``; under uniaxial loading along [110] its strain along the axis is
    ``s d`` and its engineering shear ``2 s d``, so the two states differ by ``4 d``
    (docs/kmc_elastic.md section 1).
    """
    return 4.0 * np.asarray(d, dtype=float)


def two_state_scales(mat, T_K, V_nm3, Cd=None):
    """sigma_sat (MPa), unit strain d and gamma0 of the beta and SMD units of a material.

    ``Cd`` defaults to the model's defect concentration ``C_d(T)`` ([Hao2022] Eq. 1, frozen
    below Tg). Returns a dict of arrays broadcast over ``T_K``.
    """
    from ..theory import kinetics

    T = np.asarray(T_K, dtype=float)
    c = kinetics.defect_concentration(mat, T) if Cd is None else np.broadcast_to(Cd, T.shape)
    out = {"T_K": T, "Cd": np.asarray(c, dtype=float)}
    for name, A in (("beta", mat.A_beta_per_MPa), ("an", mat.A_an_per_MPa)):
        s = sigma_sat_MPa(A, c, T, V_nm3)
        d = unit_strain(A, c, T, V_nm3)
        out[f"sigma_sat_{name}_MPa"] = s
        out[f"d_{name}"] = d
        out[f"gamma0_{name}"] = transformation_shear(d)
    return out
