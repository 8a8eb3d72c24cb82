"""Fitting helpers recover known parameters, with honest standard errors."""

import numpy as np
import pytest

from mgmeso.constants import R_J_PER_MOL_K
from mgmeso.theory import analysis


def test_kww_fit_recovers_parameters_within_errors():
    rng = np.random.default_rng(1)
    t = np.geomspace(0.5, 1800, 200)
    true = dict(sigma0_MPa=150.0, tau_c_s=400.0, beta_KWW=0.45)
    hits = 0
    for _ in range(40):
        s = true["sigma0_MPa"] * np.exp(-(t / true["tau_c_s"]) ** true["beta_KWW"])
        s = s + rng.normal(0, 0.5, t.size)
        fit = analysis.kww_fit(t, s)
        z = [(fit[k] - v) / fit.stderr[k] for k, v in true.items()]
        hits += all(abs(zz) < 3 for zz in z)
    assert hits >= 37  # 3-sigma coverage of three parameters over 40 replicas


def test_arrhenius_fit_exact_and_errors():
    T = np.array([359.0, 368.5, 378.5, 389.2, 400.7])
    U, tau0 = 83.12e3, 1.86e-13
    tau = tau0 * np.exp(U / (R_J_PER_MOL_K * T))
    fit = analysis.arrhenius_fit(T, tau)
    assert fit["U_kJ_per_mol"] == pytest.approx(83.12, rel=1e-10)
    assert fit["tau0_s"] == pytest.approx(tau0, rel=1e-8)
    with pytest.raises(ValueError):
        analysis.arrhenius_fit([400.0], [1.0])


def test_chi_from_power_law_tan_delta():
    w = np.logspace(-2, 2, 30)
    fit = analysis.chi_from_tan_delta(w, 0.65 * (w * 30.0) ** -0.42)
    assert fit["chi"] == pytest.approx(0.42, abs=1e-12)


def test_tts_shifts_recover_known_shifts():
    logf = np.linspace(-2, 0.3, 25)
    shifts_true = np.array([1.7, 0.9, 0.0, -1.1])
    curves = [logf.copy() for _ in shifts_true]
    vals = [np.log10(1 / np.cosh(2.0 * (logf + d + 0.5))) for d in shifts_true]
    got = analysis.tts_shifts(curves, vals, ref_index=2)
    assert np.allclose(got, shifts_true, atol=1e-4)


def test_relaxation_steps_counts_two_steps():
    t = np.geomspace(1e-3, 1e5, 400)
    s = 0.06 * np.exp(-t / 1.0) + 0.94 * np.exp(-t / 1e3)
    assert len(analysis.relaxation_steps(t, s)) == 2
    assert len(analysis.relaxation_steps(t, np.exp(-t / 10.0))) == 1
    # a decay still accelerating at the window end counts as a step there
    s2 = 0.06 * np.exp(-t / 1.0) + 0.94 * np.exp(-t / 1e7)
    steps = analysis.relaxation_steps(t, s2)
    assert len(steps) == 2 and steps[-1] == t[-1]


def test_loss_features_on_synthetic_curves():
    T = np.linspace(300, 550, 1001)
    alpha = 1e4 * np.exp(-((T - 480) / 15) ** 2)
    beta = 400 * np.exp(-((T - 360) / 30) ** 2)
    f = analysis.loss_features(T, alpha + beta + 10)
    assert f["beta_kind"] == "peak" and f["beta_T_K"] == pytest.approx(360, abs=2)
    assert f["alpha_T_K"] == pytest.approx(480, abs=0.5)
    f = analysis.loss_features(T, alpha + 10)
    assert f["beta_kind"] == "none"


def test_kww_fit_at_bound_is_no_fit_with_reason():
    """A small decay spread over decades drives beta_KWW to its bound: no fit, and why."""
    t = np.geomspace(0.5, 1800, 60)
    s = 100.0 * (1 - 0.07 * np.log(t / 0.25) / np.log(1800 / 0.25))   # log-linear 7 % decay
    with pytest.raises(analysis.FitNotDetermined, match="beta_KWW ended at its lower bound"):
        analysis.kww_fit(t, s)
    fit, why = analysis.kww_fit_or_reason(t, s, 0.02, 100.0)
    assert fit is None and "lower bound 0.01" in why
    fit, why = analysis.kww_fit_or_reason(t, 100 * np.exp(-(t / 300.0) ** 0.5), 0.02, 100.0)
    assert why == "" and fit["beta_KWW"] == pytest.approx(0.5, rel=1e-6)
    fit, why = analysis.kww_fit_or_reason(t, np.full(t.size, 5.0), 0.02, 100.0)
    assert fit is None and "nothing to fit" in why
