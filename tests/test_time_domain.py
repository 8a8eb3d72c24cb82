"""Stress relaxation (Volterra inversion) and the hereditary integrator against closed forms."""

import dataclasses

import numpy as np
import pytest

from mgmeso.config import Creep, HoldStrain, HoldStress, RampStrain, Temperature, Tension, Unload
from mgmeso.program import LoadingProgram, compile_protocol
from mgmeso.theory import kinetics
from mgmeso.theory.compliance import creep_compliance, state_point
from mgmeso.theory.gumbel import gumbel_grid
from mgmeso.theory.hereditary import HereditaryOptions, prony_rates, prony_weights, run_program
from mgmeso.theory.volterra import relax_stress

ONE = gumbel_grid(1.0, 1)


def step(eps):
    return lambda t: np.full_like(t, eps)


def test_relaxation_debye_closed_form(debye_material):
    m = debye_material
    sp = state_point(m, 340.0)
    tau = float(sp.tau_beta_s)
    t = np.geomspace(1e-3 * tau, 100 * tau, 60)
    r = relax_stress(m, sp, ONE, step(0.01), t, points_per_decade=40)
    Ju, A = m.J_el_per_MPa, m.A_beta_per_MPa
    Eu, Er = 1 / Ju, 1 / (Ju + A)
    exact = 0.01 * (Er + (Eu - Er) * np.exp(-t / (tau * Ju / (Ju + A))))
    assert np.max(np.abs(r["stress_MPa"] - exact) / exact) < 1e-6


def test_relaxation_maxwell_closed_form_and_second_order(maxwell_material):
    m = maxwell_material
    sp = state_point(m, 440.0)
    tR = float(sp.tau_max_s) / m.A_vp / m.E_unrelaxed_MPa
    t = np.geomspace(1e-4 * tR, 5 * tR, 50)
    exact = 0.01 * m.E_unrelaxed_MPa * np.exp(-t / tR)
    errs = []
    for ppd in (20, 40, 80):
        r = relax_stress(m, sp, ONE, step(0.01), t, points_per_decade=ppd)
        errs.append(np.max(np.abs(r["stress_MPa"] - exact)) / exact[0])
    assert errs[-1] < 5e-5
    # doubling the node density divides the error by about 4 (second order)
    assert errs[0] / errs[1] > 3 and errs[1] / errs[2] > 3


def test_relaxation_strain_parts_add_up_and_invert_creep(la60):
    """sigma(t) from the solver, fed back through Boltzmann superposition, gives the strain."""
    g = gumbel_grid(la60.B_beta, 121)
    sp = state_point(la60, 420.0)
    t = np.geomspace(1e-3, 1e4, 40)
    r = relax_stress(la60, sp, g, step(0.005), t)
    total = r["strain_elastic"] + r["strain_beta"] + r["strain_anelastic"] + r["strain_plastic"]
    assert np.allclose(total, 0.005, rtol=0, atol=1e-12)
    assert np.all(np.diff(r["stress_MPa"]) <= 1e-12)  # monotone decay
    assert np.all(r["strain_plastic"] >= 0) and np.all(np.diff(r["strain_plastic"]) >= -1e-15)


def test_relaxation_ramp_equals_hereditary_linear_tension(la60):
    te = Tension(temperature_K=430.0, strain_rate_per_s=3e-4, max_strain=0.03, unload=False)
    d = run_program(la60, compile_protocol(te), HereditaryOptions(nonlinear=False))
    sp = state_point(la60, 430.0)
    v = relax_stress(la60, sp, gumbel_grid(la60.B_beta, 241), lambda t: 3e-4 * t, d["time_s"])
    assert np.max(np.abs(v["stress_MPa"] - d["stress_MPa"])) < 1e-3 * d["stress_MPa"].max()


def test_prony_weights_represent_stretched_exponential():
    r = prony_rates(6)
    u = np.geomspace(1e-8, 1e4, 400)
    for chi in (0.3, 0.4, 0.55, 0.7, 0.8):
        g = prony_weights(chi, 6)
        assert np.all(g >= 0)
        assert g.sum() == pytest.approx(1.0, abs=1e-6)
        err = np.max(np.abs(np.exp(-np.outer(u, r)) @ g - np.exp(-u**chi)))
        assert err < 2e-4
    # interpolation in chi is continuous
    a, b = prony_weights(0.4000, 6), prony_weights(0.4005, 6)
    assert np.max(np.abs(a - b)) < 0.05


def test_hereditary_creep_recovery_equals_boltzmann(la60):
    cr = Creep(temperature_K=430.0, stress_MPa=25.0, creep_time_s=330.0, recovery_time_s=1000.0)
    d = run_program(la60, compile_protocol(cr), HereditaryOptions())
    sp = state_point(la60, 430.0)
    g = gumbel_grid(la60.B_beta, 241)
    t = d["time_s"]
    on = creep_compliance(la60, t, sp, g)["total"]
    off = creep_compliance(la60, np.clip(t - 330.0, 0, None), sp, g)["total"] * (t > 330.0)
    exact = 25.0 * (on - off)
    assert np.max(np.abs(d["strain"] - exact)) / exact.max() < 1e-4


def test_hereditary_nonlinear_terms(la60):
    te = Tension(temperature_K=430.0, strain_rate_per_s=3e-4, max_strain=0.03, unload=True,
                 recovery_time_s=500.0)
    prog = compile_protocol(te)
    lin = run_program(la60, prog, HereditaryOptions(nonlinear=False))
    non = run_program(la60, prog, HereditaryOptions(nonlinear=True))
    # stress-assisted beta (Eq. 9) and chi(eps_an) (Eq. 22c) both soften the response
    assert non["stress_MPa"].max() < lin["stress_MPa"].max()
    # chi follows Eq. 22c exactly along the run
    expected = np.clip(0.4 + la60.a2 * np.abs(non["strain_anelastic"]), 0, 1)
    assert np.allclose(non["chi"], expected, atol=2e-4)
    # unloading ends at zero stress, then recovery at zero stress
    assert abs(non["stress_MPa"][-1]) < 1e-6
    assert non["strain_plastic"][-1] > 0
    # without the strain term chi stays at chi_g
    o = HereditaryOptions(nonlinear=True, strain_term=False)
    assert np.allclose(run_program(la60, prog, o)["chi"], 0.4)


def test_hereditary_temperature_step_and_program_segments(la60):
    prog = LoadingProgram(300.0, (
        HoldStress(stress_MPa=50.0, duration_s=100.0),
        Temperature(to_K=420.0, rate_K_per_min=60.0, hold_s=100.0),
        HoldStrain(strain=0.0, duration_s=100.0),
        RampStrain(rate_per_s=1e-4, to_strain=0.002),
        Unload(rate_per_s=1e-4),
    ), 1e-3)
    d = run_program(la60, prog, HereditaryOptions())
    assert d["temperature_K"][0] == 300.0
    assert d["temperature_K"].max() == pytest.approx(420.0)
    seg = d["segment"]
    # the temperature segment keeps the held stress
    assert np.allclose(d["stress_MPa"][seg == 1], 50.0)
    # creep strain grows faster at 420 K than at 300 K
    assert d["strain"][seg == 1][-1] > d["strain"][seg == 0][-1]
    assert np.allclose(d["strain"][seg == 2], 0.0, atol=1e-12)
    assert d["stress_MPa"][-1] == pytest.approx(0.0, abs=1e-6)


def test_tau_max_drives_steady_creep_rate(la60):
    """Long creep reaches the Eq. 19 rate A_vp sigma / tau_max."""
    m = dataclasses.replace(la60)
    T, s = 445.0, 20.0
    cr = Creep(temperature_K=T, stress_MPa=s, creep_time_s=1e5)
    d = run_program(m, compile_protocol(cr), HereditaryOptions())
    tb = kinetics.tau_beta(m, T)
    tm = kinetics.tau_max(m, tb, kinetics.chi(m, T))
    rate = np.gradient(d["strain"], d["time_s"])[-1]
    assert rate == pytest.approx(m.A_vp * s / tm, rel=1e-3)
