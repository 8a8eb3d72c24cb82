"""J(t) and J*(iw): closed-form limits (Debye, Maxwell, chi = 1) and Kramers-Kronig consistency."""

import dataclasses

import numpy as np
import pytest

from mgmeso.theory.compliance import complex_compliance, creep_compliance, state_point
from mgmeso.theory.gumbel import gumbel_grid

ONE = gumbel_grid(1.0, 1)


def test_creep_compliance_limits(la60):
    g = gumbel_grid(la60.B_beta, 241)
    sp = state_point(la60, 400.0)
    J0 = creep_compliance(la60, 0.0, sp, g)
    assert J0["total"] == pytest.approx(la60.J_el_per_MPa, rel=1e-15)
    # without flow, J(inf) = J_el + A_beta + A_an
    m = dataclasses.replace(la60, A_vp_per_MPa=0.0)
    Jinf = creep_compliance(m, 1e30, sp, g)["total"]
    assert Jinf == pytest.approx(m.J_el_per_MPa + m.A_beta_per_MPa + m.A_an_per_MPa, rel=1e-12)
    # the plastic part is exactly A_vp t / tau_max (Eq. 19)
    t = np.array([1.0, 10.0, 1e3])
    assert np.allclose(creep_compliance(la60, t, sp, g)["plastic"], la60.A_vp * t / sp.tau_max_s)


def test_debye_element(debye_material):
    """A standard linear solid: E* = E_r + dE i w tau_R / (1 + i w tau_R)."""
    m = debye_material
    sp = state_point(m, 350.0)
    w = np.logspace(-6, 6, 200) / sp.tau_beta_s
    J = complex_compliance(m, w, sp, ONE)["total"]
    Ju, A = m.J_el_per_MPa, m.A_beta_per_MPa
    Er, Eu = 1 / (Ju + A), 1 / Ju
    tR = sp.tau_beta_s * Ju / (Ju + A)
    E_exact = Er + (Eu - Er) * 1j * w * tR / (1 + 1j * w * tR)
    assert np.allclose(1 / J, E_exact, rtol=1e-12)
    # loss peak at w tau_R = 1 with height (Eu - Er)/2
    assert np.max((1 / J).imag) == pytest.approx((Eu - Er) / 2, rel=1e-3)


def test_maxwell_element(maxwell_material):
    """Elastic + viscous flow: E* = i w eta E/(E + i w eta), eta = tau_max / A_vp."""
    m = maxwell_material
    sp = state_point(m, 450.0)
    w = np.logspace(-8, 4, 200)
    E = 1 / complex_compliance(m, w, sp, ONE)["total"]
    eta = sp.tau_max_s / m.A_vp
    Eu = m.E_unrelaxed_MPa
    exact = 1j * w * eta * Eu / (Eu + 1j * w * eta)
    assert np.allclose(E, exact, rtol=1e-9)


def test_chi_one_reduces_anelastic_term_to_debye(la60):
    m = dataclasses.replace(la60, chi_g=1.0, a1_per_K=0.0)
    sp = state_point(m, 430.0)
    assert sp.tau_an_s == pytest.approx(sp.tau_max_s)
    w = np.logspace(-6, 6, 100) / sp.tau_an_s
    Jan = complex_compliance(m, w, sp, ONE, "exact")["anelastic"]
    assert np.allclose(Jan, m.A_an_per_MPa / (1 + 1j * w * sp.tau_an_s), rtol=1e-13)
    t = np.logspace(-3, 3, 30) * sp.tau_an_s
    Jt = creep_compliance(m, t, sp, ONE)["anelastic"]
    assert np.allclose(Jt, m.A_an_per_MPa * (1 - np.exp(-t / sp.tau_an_s)), rtol=1e-13)


def test_paper_form_differs_only_in_anelastic_term(la60):
    g = gumbel_grid(la60.B_beta, 61)
    sp = state_point(la60, np.array([350.0, 480.0]))
    w = 2 * np.pi
    ex = complex_compliance(la60, w, sp, g, "exact")
    pa = complex_compliance(la60, w, sp, g, "paper")
    for k in ("elastic", "beta", "plastic"):
        assert np.allclose(ex[k], pa[k])
    assert not np.allclose(ex["anelastic"], pa["anelastic"])
    with pytest.raises(ValueError):
        complex_compliance(la60, w, sp, g, "other")


def kk_storage_from_loss(omega, loss_fn, E_inf):
    """E'(w) from E''(x) by Kramers-Kronig (e^{-i w t} convention, E* = E' + i E'').

    E'(w) - E_inf = -(2/pi) PV Int_0^inf x E''(x) / (x^2 - w^2) dx, with the
    singular part subtracted (PV Int dx/(x^2 - w^2) = 0) and the rest
    integrated on a log grid.
    """
    u = np.linspace(np.log(omega) - 60, np.log(omega) + 60, 24001)
    u = u + 0.5 * (u[1] - u[0])  # keep x = omega off the grid
    x = np.exp(u)
    L = loss_fn(x)
    Lw = loss_fn(np.array([omega]))[0]
    f = (x * L - omega * Lw) * x / (x**2 - omega**2)
    integral = np.sum(0.5 * (f[1:] + f[:-1]) * np.diff(u))
    return E_inf - 2 / np.pi * integral


@pytest.mark.parametrize("T", [360.0, 440.0, 470.0])
def test_kramers_kronig_exact_form(la60, T):
    """E' and E'' of the exact form are a Kramers-Kronig pair (causality)."""
    g = gumbel_grid(la60.B_beta, 41)
    sp = state_point(la60, T)

    def E_of(w):
        return 1 / complex_compliance(la60, w, sp, g, "exact")["total"]

    for f in (0.1, 1.0, 10.0):
        w = 2 * np.pi * f
        Ep_kk = kk_storage_from_loss(w, lambda x: E_of(x).imag, la60.E_unrelaxed_MPa)
        assert Ep_kk == pytest.approx(E_of(np.array([w]))[0].real, rel=2e-5)
