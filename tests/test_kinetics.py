"""Characteristic times, chi(T), C_d(T) and the Gumbel grid against seed numbers and identities."""

import dataclasses

import numpy as np
import pytest

from mgmeso.constants import R_J_PER_MOL_K
from mgmeso.theory import kinetics
from mgmeso.theory.gumbel import gumbel_grid


def test_tau_beta_is_arrhenius_with_83_kJ(la60):
    T = np.linspace(280, 550, 50)
    tb = kinetics.tau_beta(la60, T)
    slope = np.polyfit(1 / (R_J_PER_MOL_K * T), np.log(tb), 1)[0]
    assert slope / 1e3 == pytest.approx(83.12, rel=1e-12)
    assert kinetics.tau_beta(la60, 1e9) == pytest.approx(la60.tau_beta0_s, rel=1e-6)


@pytest.mark.parametrize("T,tau", [(280, 597), (290, 174), (315, 11.3), (360, 0.21), (380, 0.050),
                                   (429, 2.5e-3), (453, 7.2e-4), (466, 3.9e-4)])
def test_tau_beta_catalog_values(la60, T, tau):
    """docs/model.md section 7 (DERIVED from [Hao2022] Table 1)."""
    assert kinetics.tau_beta(la60, T) == pytest.approx(tau, rel=0.03)


def test_beta_peak_condition_1Hz(la60):
    """tau_beta = 1/(2 pi 1 Hz) at 363.9 K (docs/model.md section 7; [Hao2022] Sec. 5.1.1 'around 360 K')."""
    from scipy.optimize import brentq
    T = brentq(lambda T: kinetics.tau_beta(la60, T) - 1 / (2 * np.pi), 300, 450)
    assert T == pytest.approx(363.9, abs=0.1)


@pytest.mark.parametrize("T,tmax", [(429, 6.4e2), (443, 1.0e2), (453, 29.0)])
def test_tau_max_catalog_values(la60, T, tmax):
    tb = kinetics.tau_beta(la60, T)
    c = kinetics.chi(la60, T)
    assert kinetics.tau_max(la60, tb, c) == pytest.approx(tmax, rel=0.05)


def test_tau_an_ratio_and_F1_identity(la60):
    """tau_an = chi^(1/chi) tau_max (0.101 at chi = 0.4) and the [Hao2023] form equals [Hao2022]'s."""
    assert kinetics.tau_an(1.0, 0.4) == pytest.approx(0.4 ** 2.5)
    assert kinetics.tau_an(1.0, 0.4) == pytest.approx(0.101, abs=5e-4)
    t = np.logspace(-3, 5, 50)
    tmax, chi = 560.0, 0.4
    f004 = np.exp(-(t / kinetics.tau_an(tmax, chi)) ** chi)
    f002 = np.exp(-(1 / chi) * (t / tmax) ** chi)
    assert np.allclose(f004, f002, rtol=1e-12)


def test_stress_lowers_barrier(la60):
    T = 430.0
    t0 = kinetics.tau_beta(la60, T)
    t1 = kinetics.tau_beta(la60, T, 1000.0)
    expected = np.exp(la60.U_beta_J_per_mol * ((1 - 1000 / 28000) ** 1.5 - 1) / (R_J_PER_MOL_K * T))
    assert t1 / t0 == pytest.approx(expected, rel=1e-12)
    assert kinetics.tau_beta(la60, T, -1000.0) == pytest.approx(t1)  # magnitude only


def test_chi_laws(la60):
    T = np.array([300, 400, 453, 470, 500])
    c = kinetics.chi(la60, T)
    assert np.allclose(c[:3], 0.4)
    assert c[3] == pytest.approx(0.4 + 0.00231 * 17)
    # the C_d-based law has the same value and slope at Tg (docs/model.md section 1)
    cd = kinetics.chi(la60, T, law="defects")
    assert np.allclose(cd[:3], 0.4)
    h = 1e-3
    slope = (kinetics.chi(la60, 453 + 2 * h, law="defects")
             - kinetics.chi(la60, 453 + h, law="defects")) / h
    assert slope == pytest.approx(la60.a1_per_K, rel=1e-3)
    # optional strain terms
    assert kinetics.chi(la60, 400, eps_an=0.01) == pytest.approx(0.4 + 1.8 * 0.01)
    m = dataclasses.replace(la60, b_vp=2.0)
    assert kinetics.chi(m, 400, eps_vp=0.01) == pytest.approx(0.4 - 0.02)
    # clipped to (0, 1]
    assert kinetics.chi(la60, 2000) == 1.0


def test_defect_concentration(la60):
    assert kinetics.defect_concentration(la60, la60.Tg_K) == pytest.approx(0.25)
    assert kinetics.defect_concentration(la60, 300) == pytest.approx(0.25)  # frozen below Tg
    assert kinetics.defect_concentration(la60, 500) > 0.25
    # derived kappa, dH_F, dS_F reproduce chi_g and a1
    assert la60.kappa * 0.25 == pytest.approx(0.4)
    assert la60.dH_F_J_per_mol == pytest.approx(13137.76, rel=1e-5)


def test_hierarchy_collapses_when_tau_beta_below_t0(la60):
    """Where tau_beta < t0 the hierarchy has no levels: tau_max = tau_beta (documented choice)."""
    tb = np.array([1e-9, 1e-8])
    assert np.allclose(kinetics.tau_max(la60, tb, 0.4), tb)


def test_gumbel_grid_properties():
    for B in (0.35, 1.0, 3.0):
        g = gumbel_grid(B, 241)
        assert g.w.sum() == pytest.approx(1.0, abs=1e-14)
        # mode at y = 0 ([Hao2022]: <tau_beta> is the most probable value)
        assert abs(g.y[np.argmax(g.w)]) < (g.y[1] - g.y[0])
        # mean of ln(tau/<tau>) = -gamma_Euler/B (law of ln(E)/B with E ~ Exp(1))
        assert np.dot(g.w, g.y) == pytest.approx(-np.euler_gamma / B, rel=1e-6)
        # variance (pi^2/6)/B^2
        mean = np.dot(g.w, g.y)
        assert np.dot(g.w, (g.y - mean) ** 2) == pytest.approx(np.pi**2 / 6 / B**2, rel=1e-6)
    one = gumbel_grid(1.0, 1)
    assert one.y.tolist() == [0.0] and one.w.tolist() == [1.0]
