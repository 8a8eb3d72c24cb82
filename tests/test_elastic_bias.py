"""Two-state bias laws (docs/model.md section 2a): kernels against numpy twins, linear-regime agreement,
detailed balance of the resampling form, and the physical stress scale.

Statistical checks use fixed seeds and a 3-SE (about 4-SE for the chi2) criterion; each
test makes at most 4 such comparisons (Bonferroni: family-wise false-alarm rate < 1 %).
"""

import math

import numpy as np
import pytest

from mgmeso.kmc import bias as bs
from mgmeso.kmc.rng import seed_state

SIGMAS = np.array([-900.0, -188.0, -50.0, -1e-3, 0.0, 2e-2, 17.0, 188.0, 250.0, 4000.0])


def twin_mean(sigma, sig_sat, law):
    x = np.asarray(sigma, dtype=float) / sig_sat
    return np.tanh(x) if law == "physical" else np.clip(x, -1.0, 1.0)


@pytest.mark.parametrize("law", ["linear", "physical"])
def test_bias_kernels_match_numpy_twin(law):
    mode = bs.BIAS_LAWS[law]
    for s in SIGMAS:
        assert bs.bias_mean(s, 188.0, mode) == pytest.approx(twin_mean(s, 188.0, law), abs=1e-15)
        assert bs.p_plus(s, 188.0, mode) == pytest.approx(0.5 * (1 + twin_mean(s, 188.0, law)),
                                                          abs=1e-15)


def test_linear_draw_is_the_clipped_linear_law():
    """mode LINEAR draws +1 exactly when the next uniform of the same stream is below
    (1 + clip(sigma/sigma_sat, -1, 1))/2: the engine's linear law, draw for draw.
    """
    from mgmeso.kmc.rng import uniform

    a = seed_state(np.random.SeedSequence(5))
    b = a.copy()
    for s in np.linspace(-300, 300, 301):
        expected = 1 if uniform(b) < 0.5 * (1.0 + min(max(s / 150.0, -1.0), 1.0)) else -1
        assert bs.draw_state_biased(a, s, 150.0, bs.LINEAR) == expected
    assert (a == b).all()


def _ensemble_mean(sigma, sig_sat, mode, n, seed):
    st = seed_state(np.random.SeedSequence(seed))
    draws = np.array([bs.draw_state_biased(st, sigma, sig_sat, mode) for _ in range(n)])
    return draws.mean(), draws.std(ddof=1) / np.sqrt(n)


def test_linear_regime_laws_agree():
    """At sigma << sigma_sat both laws give the same ensemble mean (docs/model.md section 2a)."""
    n = 40_000
    x = 0.05
    m_lin, se_lin = _ensemble_mean(x * 188.0, 188.0, bs.LINEAR, n, 11)
    m_phy, se_phy = _ensemble_mean(x * 188.0, 188.0, bs.PHYSICAL, n, 21)
    assert abs(m_lin - x) < 3 * se_lin
    assert abs(m_phy - x) < 3 * se_phy
    assert abs(m_phy - m_lin) < 3 * math.hypot(se_lin, se_phy)
    # exact means: |tanh x - x| < x^3/3, a relative difference below x^2/3
    for x in (1e-3, 0.01, 0.05, 0.1):
        assert abs(bs.bias_mean(x * 188.0, 188.0, bs.PHYSICAL) - x) < x**3 / 3


def test_nonlinear_regime_laws_differ():
    """The comparison above can fail: at sigma = sigma_sat the laws are 1 and tanh(1)."""
    m_lin, _ = _ensemble_mean(188.0, 188.0, bs.LINEAR, 20_000, 12)
    m_phy, se = _ensemble_mean(188.0, 188.0, bs.PHYSICAL, 20_000, 12)
    assert m_lin == 1.0
    assert abs(m_phy - math.tanh(1.0)) < 3 * se
    assert 1.0 - m_phy > 20 * se


def test_physical_law_is_boltzmann():
    """P(+1)/P(-1) = exp(Delta E / kT) with Delta E = 2 sigma d V (the work of a flip)."""
    A, Cd, T, V = 1.5e-5, 0.25, 430.0, 2.8
    sig_sat = float(bs.sigma_sat_MPa(A, Cd, T, V))
    d = float(bs.unit_strain(A, Cd, T, V))
    kT = bs.K_B_J_PER_K * T
    assert sig_sat * 1e6 * d * V * 1e-27 == pytest.approx(kT, rel=1e-12)   # sigma_sat = kT/(dV)
    assert d == pytest.approx(A * sig_sat / Cd, rel=1e-12)                  # calibration
    for s in (-300.0, -20.0, 5.0, 150.0, 600.0):
        p = bs.p_plus(s, sig_sat, bs.PHYSICAL)
        dE = 2.0 * s * 1e6 * d * V * 1e-27
        assert math.log(p / (1.0 - p)) == pytest.approx(dE / kT, rel=1e-9)


def test_resampling_detailed_balance():
    """The resampling chain is the two-state Markov chain at equilibrium: the next state is
    independent of the last (T(s -> s') = pi(s')), the occupation is pi and the pair
    frequencies obey pi(s) T(s, s') = pi(s') T(s', s).
    """
    sig_sat, sigma = 188.0, 120.0
    p = bs.p_plus(sigma, sig_sat, bs.PHYSICAL)
    st = seed_state(np.random.SeedSequence(13))
    n = 60_000
    s = np.array([bs.draw_state_biased(st, sigma, sig_sat, bs.PHYSICAL) for _ in range(n)])
    a, b = s[:-1], s[1:]
    n_pm = np.sum((a == 1) & (b == -1))
    n_mp = np.sum((a == -1) & (b == 1))
    n_pp = np.sum((a == 1) & (b == 1))
    m = n - 1
    # occupation
    assert abs(np.mean(s == 1) - p) < 3 * math.sqrt(p * (1 - p) / n)
    # pair frequencies (multinomial; chi2 with 3 dof, 4-SE-like bound at p ~ 1e-4)
    expected = m * np.array([p * p, p * (1 - p), (1 - p) * p, (1 - p) ** 2])
    observed = np.array([n_pp, n_pm, n_mp, m - n_pp - n_pm - n_mp])
    assert np.sum((observed - expected) ** 2 / expected) < 21.1
    # detailed balance: the two kinds of transition are equally frequent
    assert abs(n_pm - n_mp) <= 1
    # the transition probability does not depend on the state left
    t_from_p = n_pp / np.sum(a == 1)
    t_from_m = np.sum((a == -1) & (b == 1)) / np.sum(a == -1)
    se = math.sqrt(p * (1 - p) * (1 / np.sum(a == 1) + 1 / np.sum(a == -1)))
    assert abs(t_from_p - t_from_m) < 3 * se


def test_compliance_of_calibrated_units_is_A():
    """d C_d d<s>/dsigma at sigma = 0 equals A for both laws (the linear coefficient)."""
    A, Cd, T, V = 2.377e-6, 0.25, 400.0, 2.8
    sig_sat = float(bs.sigma_sat_MPa(A, Cd, T, V))
    d = float(bs.unit_strain(A, Cd, T, V))
    h = 1e-4
    for mode in (bs.LINEAR, bs.PHYSICAL):
        slope = (bs.bias_mean(h, sig_sat, mode) - bs.bias_mean(-h, sig_sat, mode)) / (2 * h)
        assert d * Cd * slope == pytest.approx(A, rel=1e-8)


def test_two_state_scales_la60(la60):
    """sigma_sat grows as sqrt(C_d T); the SMD scale is below the beta one (A_an > A_beta)."""
    T = np.array([300.0, 400.0, 453.0, 500.0])
    r = bs.two_state_scales(la60, T, 2.8)
    assert np.all(r["sigma_sat_an_MPa"] < r["sigma_sat_beta_MPa"])
    ratio = r["sigma_sat_beta_MPa"] / r["sigma_sat_an_MPa"]
    assert ratio == pytest.approx(np.sqrt(la60.A_an_per_MPa / la60.A_beta_per_MPa), rel=1e-12)
    below = T <= la60.Tg_K
    s = r["sigma_sat_an_MPa"][below]
    assert s == pytest.approx(s[0] * np.sqrt(T[below] / T[0]), rel=1e-12)   # C_d frozen below Tg
    assert r["gamma0_an"] == pytest.approx(4 * r["d_an"], rel=1e-12)
