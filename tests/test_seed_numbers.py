"""The analytical model with [Hao2022] Table 1 against the numbers the papers report.

Provenance of each target is in the test docstring; tolerances are stated there.
"""

import dataclasses

import numpy as np
import pytest

from mgmeso.config import load_config
from mgmeso.theory import analysis, dma_columns, evaluate, gumbel_grid

from .conftest import CONFIGS


@pytest.fixture(scope="module")
def dma_1Hz():
    return evaluate(load_config(CONFIGS / "la60_dma_1Hz.toml"))


def test_beta_and_alpha_peaks_at_1Hz(dma_1Hz):
    """[Hao2022] Sec. 5.1.1, Fig. 5: beta peak 'around 360 K', alpha maximum 'around 480 K' at 1 Hz.

    Tolerance 5 K for the beta peak and for the alpha peak of the paper form
    (Eq. 25b, what [Hao2022] plotted); the exact form puts the alpha peak 6 K
    higher (488 K) because its anelastic loss is bounded at low frequency
    (docs/model.md E10), so it is held to 10 K.
    """
    f = dma_1Hz.summary["features"][0]
    assert f["beta_kind"] == "peak"
    assert f["beta_T_K"] == pytest.approx(360, abs=5)
    assert f["alpha_T_K_paper"] == pytest.approx(480, abs=5)
    assert f["alpha_T_K"] == pytest.approx(480, abs=10)
    assert f["alpha_T_K"] > f["alpha_T_K_paper"]


def test_storage_modulus_levels(dma_1Hz):
    """E' ~ 33 GPa at ambient T, a slight drop through beta and a sharp drop through alpha."""
    t = dma_1Hz.tables["theory"]
    T, Ep = t["temperature_K"], t["E_storage_MPa"]
    assert Ep[0] == pytest.approx(33000, rel=0.01)
    drop_beta = Ep[np.searchsorted(T, 300)] - Ep[np.searchsorted(T, 420)]
    assert 0 < drop_beta < 0.1 * Ep[0]
    assert Ep[np.searchsorted(T, 520)] < 0.05 * Ep[0]


def test_component_losses_add_up(dma_1Hz):
    t = dma_1Hz.tables["theory"]
    parts = t["E_loss_beta_MPa"] + t["E_loss_anelastic_MPa"] + t["E_loss_plastic_MPa"]
    assert np.allclose(parts, t["E_loss_MPa"], rtol=1e-10)


def test_multifrequency_beta_peaks_give_arrhenius_83kJ():
    """[Hao2022] Fig. 3b,c: distinct beta peaks at 1-16 Hz, Arrhenius fit 83.12 kJ/mol.

    With the default B_beta = 1.0 the model's own peak temperatures return
    U_beta within 5 % (the alpha flank pulls the higher-frequency peaks).
    """
    r = evaluate(load_config(CONFIGS / "la60_dma_multifrequency.toml"))
    kinds = [f["beta_kind"] for f in r.summary["features"]]
    assert kinds == ["peak"] * 5
    U = r.summary["beta_peak_arrhenius"]["U_kJ_per_mol"]
    assert U == pytest.approx(83.12, rel=0.05)


def test_beta_breadth_turns_peak_into_shoulder(la60):
    """With the [Zhang2023] La-based B = 0.35 the 16 Hz beta peak is only a shoulder (why B = 1)."""
    m = dataclasses.replace(la60, B_beta=0.35)
    T = np.arange(300, 550, 0.25)
    c = dma_columns(m, T, 16.0, gumbel_grid(0.35, 241))
    assert analysis.loss_features(T, c["E_loss_MPa"])["beta_kind"] == "shoulder"


def test_t0_sets_peak_shoulder_wing(la60):
    """[Hao2022] Fig. 6b: t0 turns the beta peak into a shoulder or an excess wing.

    Eq. 11b gives tau_max/tau_beta = (tau_beta/t0)^(1/chi - 1), so a LARGER t0
    brings alpha and beta closer ([Hao2022] Sec. 4.3 says 'smaller', docs/model.md E19; documented
    in docs/theory.md as finding N1). With the default B = 1 the beta peak
    becomes a shoulder; with a broad distribution (B = 0.35) it becomes an
    excess wing.
    """
    T = np.arange(300, 560, 0.25)

    def feature(t0, B):
        m = dataclasses.replace(la60, t0_s=t0, B_beta=B)
        c = dma_columns(m, T, 1.0, gumbel_grid(B, 241))
        return analysis.loss_features(T, c["E_loss_MPa"])

    narrow = [feature(t0, 1.0) for t0 in (6e-7, 1e-4, 1e-2)]
    assert [f["beta_kind"] for f in narrow] == ["peak", "shoulder", "shoulder"]
    assert narrow[0]["alpha_T_K"] > narrow[1]["alpha_T_K"] > narrow[2]["alpha_T_K"]
    broad = [feature(t0, 0.35) for t0 in (6e-7, 1e-5, 1e-3)]
    assert [f["beta_kind"] for f in broad] == ["peak", "shoulder", "excess_wing"]


def test_fragility_catalog_values(la60):
    """docs/model.md section 7 (derived): m ~ 44 just above Tg, ~24 just below; m_beta = U/(R Tg ln 10)."""
    fr = analysis.fragility(la60)
    assert fr["m_above_Tg"] == pytest.approx(44, abs=1)
    assert fr["m_below_Tg"] == pytest.approx(24, abs=1)
    assert fr["m_beta"] == pytest.approx(9.58, abs=0.01)


def test_isothermal_sweeps_and_master_curve():
    r = evaluate(load_config(CONFIGS / "la60_dma_isothermal.toml"))
    chi = r.tables["chi"]
    assert len(chi) == 18
    assert np.allclose(chi["chi_model"][chi["temperature_K"] <= 453], 0.4)
    # finding N3: the Eq. 27 slope does not return the model's chi = 0.4 in the 0.01-2 Hz window
    near_tg = (chi["temperature_K"] >= 412) & (chi["temperature_K"] <= 452)
    assert np.all((chi["chi_from_slope"][near_tg] > 0.25) & (chi["chi_from_slope"][near_tg] < 0.33))
    beta_region = (chi["temperature_K"] >= 342) & (chi["temperature_K"] <= 382)
    assert np.all(chi["chi_from_slope"][beta_region] < 0)
    # empirical shifts follow tau_max above Tg, where alpha dominates the window
    sh = r.tables["shift_factors"]
    hot = sh["temperature_K"] >= 452
    assert np.allclose(sh["log10_shift_empirical"][hot], sh["log10_shift_tau_max"][hot], atol=0.15)


def test_stepped_relaxation_liquid_like_fraction():
    """[Duan2022], discussion of Figs. 2, 3: delta < 15 % below 0.7 T_alpha; d delta/dT peaks near
    0.9 T_alpha,2Hz. T_alpha,2Hz = 488 K ([Duan2022] Fig. 1). Full relaxation is only bounded here
    (above 0.95 T_alpha): the model reaches it at 0.91 T_alpha, below the paper's 0.93-0.94, a
    miss reported by the validation case duan2022_stepped_relaxation. Every KWW cell is a fit
    or NaN with the reason (none at the beta_KWW bound).
    """
    r = evaluate(load_config(CONFIGS / "la60_stepped_relaxation.toml"))
    t = r.tables["theory"]
    T, d = t["temperature_K"], t["delta"]
    Ta = 488.0
    assert np.all(d[T < 0.7 * Ta] < 0.15)
    assert np.all(d[T > 0.95 * Ta] > 0.99)
    assert r.summary["T_max_ddelta_dT_K"] / Ta == pytest.approx(0.9, abs=0.03)
    assert np.all((d >= -1e-9) & (d <= 1 + 1e-9))
    beta, why = t["beta_KWW"], t["kww_no_fit_reason"]
    fitted = np.isfinite(beta)
    assert np.all(fitted == (why == "")) and fitted.any() and (~fitted).any()
    assert np.all(beta[fitted] > 0.0101)
    assert any("lower bound" in w for w in why) and any("beyond the window" in w for w in why)


def test_reversible_beta_relaxation_in_loading_sequence():
    """[Hao2023] Fig. 3b: relaxations after unloading coincide (no aging in the theory)."""
    r = evaluate(load_config(CONFIGS / "la60_loading_sequence_315K.toml"))
    t = r.tables["theory"]
    stages = []
    for i in (0, 2, 4):
        sel = t["segment"] == i
        stages.append(t["stress_MPa"][sel])
    assert np.allclose(stages[0], stages[1], rtol=2e-3) and np.allclose(stages[0], stages[2], rtol=2e-3)
    # the beta step is a few percent of the stress
    # ([Hao2023] Sec. III: ~5 %; bound 7.3 %, docs/model.md section 7)
    drop = 1 - stages[0][-1] / stages[0][0]
    assert 0.03 < drop < 0.073


def test_two_step_relaxation_window(la60):
    """[Hao2023] Figs. 1, 4: two-step decay at 315-360 K, one step near Tg: not with Table 1.

    A step is a maximum of -d sigma/d ln t inside the window (the validation suite's rule,
    case hao2023_two_step); a decay still accelerating when the window closes is flagged, not
    counted. In the config's wide window (1e-3 to 1e5 s) the decay at 315-400 K has one step
    (beta, before 10 s) and an alpha decay still accelerating at 1e5 s (which an earlier count
    took for a second step); at 420 and 450 K the one step is the alpha step. In [Hao2023]'s
    own window (first point 0.5 s, about 1800 s) the beta step at 345-360 K is over before
    the first point. Reported in docs/theory.md (finding N5), not tuned away.
    """
    r = evaluate(load_config(CONFIGS / "la60_stress_relaxation.toml"))
    assert "inside the window" in r.summary["step_rule"]
    rows = {row["temperature_K"]: row for row in r.summary["temperatures"]}
    assert all(row["n_steps"] == len(row["decay_steps_at_s"]) == 1 for row in rows.values())
    for T in (315.0, 330.0, 345.0, 360.0, 380.0, 400.0):
        assert rows[T]["decay_steps_at_s"][0] < 10.0 and rows[T]["still_accelerating_at_end"], T
    for T in (420.0, 450.0):
        assert rows[T]["decay_steps_at_s"][0] > 100.0 and not rows[T]["still_accelerating_at_end"]
    for row in rows.values():   # a KWW value, or the reason there is none
        assert np.isfinite(row["kww_beta"]) != bool(row["kww_no_fit_reason"])
    from mgmeso.theory import relaxation_steps, state_point
    from mgmeso.theory.volterra import relax_stress
    t = np.geomspace(0.5, 1800, 200)
    g = gumbel_grid(la60.B_beta, 241)
    for T in (345.0, 360.0):
        s = relax_stress(la60, state_point(la60, T), g, lambda x: np.full_like(x, 0.006), t)
        assert len(relaxation_steps(t, s["stress_MPa"], count_edge=False)) == 0
        assert len(relaxation_steps(t, s["stress_MPa"])) == 1     # only the window edge


def test_training_energy_scaling():
    """docs/model.md E7: per cycle pi E'' eps0^2; the total over the ramp scales about as f^1."""
    r = evaluate(load_config(CONFIGS / "la30_training_energy.toml"))
    ex = r.summary["energy_frequency_exponent"]
    for v in ex.values():
        assert 0.8 < v < 1.2
    t = r.tables["theory"]
    sel = t["frequency_Hz"] == 10.0
    assert np.allclose(t["energy_per_cycle_MJ_per_m3"][sel],
                       np.pi * t["E_loss_MPa"][sel] * 0.002**2)
