"""Defect dynamics of the kMC: aging toward C_d(T), freezing below Tg, rejuvenation, exactness."""

from __future__ import annotations

import tomllib

import numpy as np
import pytest

from mgmeso.config import parse_config
from mgmeso.kmc import defect_kernels as dk
from mgmeso.kmc import kernels as kn
from mgmeso.kmc.replica import TS_INDEX, Replica
from mgmeso.kmc.setup import make_setup
from mgmeso.theory import kinetics

from .kmc_helpers import DEFECTS_CFG as CFG
from .kmc_helpers import MEANFIELD, resumed_run
from .kmc_twin import TwinEngine


def _setup(T=480.0, seg="hold_stress", segkey="stress_MPa = 0.0", dur=120.0, samples=24, L=10,
           het="paper", rules=MEANFIELD, step=1.0, extra=""):
    doc = tomllib.loads(CFG.format(T=T, seg=seg, segkey=segkey, dur=dur, samples=samples, L=L,
                                   het=het, rules=rules, step=step, extra=extra))
    cfg = parse_config(doc)
    return cfg, make_setup(cfg)


def _fractions(setup, seeds):
    out = []
    for s in seeds:
        r = Replica(setup, 0, np.random.SeedSequence(s))
        r.run()
        out.append(r.table()[:, TS_INDEX["defect_fraction"]])
    return np.array(out)


@pytest.mark.parametrize("T_f", [420.0, 560.0])
def test_defect_fraction_relaxes_to_equilibrium_above_Tg(T_f):
    """From below (aging) and from above (a glass too rich in defects), the lattice's defect
    fraction at 480 K > Tg settles at C_d(T) of [Hao2022] Eq. 1, within 3 SE over replicas.
    """
    cfg, setup = _setup(extra=f"fictive_temperature_K = {T_f}")
    mat = cfg.material
    c_eq = float(kinetics.equilibrium_defect_concentration(mat, 480.0))
    c_0 = float(kinetics.equilibrium_defect_concentration(mat, T_f))
    fr = _fractions(setup, range(12))
    late = fr[:, fr.shape[1] // 2:].mean(axis=1)        # t >= 60 s >> tau_max(480 K)
    se = late.std(ddof=1) / np.sqrt(late.size)
    assert abs(late.mean() - c_eq) < 3 * se
    assert abs(c_0 - c_eq) > 10 * se                    # the start was far from equilibrium
    if T_f < 453.0:
        # aging from a defect-poor start is slow at first (tau_max(chi = kappa C_0) ~ 50 s):
        # the first sample (5 s) is still well below equilibrium
        se0 = fr[:, 0].std(ddof=1) / np.sqrt(fr.shape[0])
        assert fr[:, 0].mean() < c_eq - 3 * se0


def test_defects_freeze_below_Tg():
    """At 360 K tau_max is ~4e7 s: over 1000 s (nearly) no site changes, although C_d(360 K)
    is far below the frozen C_d(Tg) the lattice starts with.
    """
    cfg, setup = _setup(T=360.0, dur=1000.0, step=50.0)
    r = Replica(setup, 0, np.random.SeedSequence(3))
    n0 = r.n_qpd
    r.run()
    assert r.dyn.healed + r.dyn.formed <= 0.001 * r.N
    assert r.n_qpd == n0 - r.dyn.healed + r.dyn.formed
    assert kinetics.equilibrium_defect_concentration(cfg.material, 360.0) < 0.6 * n0 / r.N
    assert np.exp(r.times.log_tmax) > 1e7


def test_chi_follows_the_defect_fraction():
    """chi = kappa C_d ([Hao2022] Eq. 10): in 'paper' mode chi_mean is kappa times the fraction."""
    cfg, setup = _setup(extra="fictive_temperature_K = 420.0", dur=30.0, samples=6)
    r = Replica(setup, 0, np.random.SeedSequence(1))
    r.run()
    tab = r.table()
    np.testing.assert_allclose(tab[:, TS_INDEX["chi_mean"]],
                               cfg.material.kappa * tab[:, TS_INDEX["defect_fraction"]], rtol=1e-6)


def test_rejuvenation_follows_the_anelastic_work():
    """Under cyclic strain at 430 K, yield x N x (net anelastic work, sum of sigma d eps_an)
    new QPDs appear next to active footprints; the work is positive (dissipation). With zero
    yield none appear, and the aging channel alone leaves the fraction unchanged within noise.
    """
    from mgmeso.program import LoadingProgram, Oscillate
    prog = LoadingProgram(430.0, (Oscillate(frequency_Hz=1.0, cycles=40, strain_amplitude=0.005),),
                          1.0 / 16)
    res = {}
    for y in (0.0, 2.0):
        cfg, setup = _setup(T=430.0, dur=1.0, samples=2, step=0.05,
                            extra=f"rejuvenation_yield_per_MPa = {y}")
        setup = type(setup)(**{**setup.__dict__, "programs": (prog,)})
        r = Replica(setup, 0, np.random.SeedSequence(5))
        r.run()
        res[y] = (r.dyn.rejuvenated, float(r.K.work[0]), r.N, r.dyn.credit)
    made, work, N, credit = res[2.0]
    assert work > 0
    expected = 2.0 * N * work
    assert expected > 20                                  # the test is not vacuous
    assert made + credit == pytest.approx(expected, rel=1e-9)
    assert 0.0 <= credit < 1.0
    assert res[0.0][0] == 0


@pytest.mark.parametrize("law", ["linear", "physical"])
def test_heal_and_form_kernels_match_the_twin(law):
    """Healing (series rule with footprints, and units in equilibrium) and forming are pinned
    to the pure-Python twin bit for bit, and alpha times likewise, under both bias laws.
    """
    series = ('plasticity = "series"\ncoalescence = true\nfootprint_max_sites = 6\n'
              'elimination_factor = 5.0')
    series += f'\nbias_law = "{law}"'
    cfg, setup = _setup(T=440.0, seg="hold_strain", segkey="strain = 0.004", rules=series, L=6,
                        het="local")
    r = Replica(setup, 0, np.random.SeedSequence(8))
    r._begin_segment()
    kn.run_until(r.S, r.control(1e9, 20000), r.K)
    C = r.control(1e9, 0)
    twin = TwinEngine(r.S, C, r.K, setup.lattice)
    rng = np.random.default_rng(0)
    qpd = np.flatnonzero(r.S.kind == 1)
    assert np.any(r.S.fp_size[qpd] > 1) and np.any(r.S.elim[qpd] > 0)
    heal = np.sort(rng.choice(qpd, size=qpd.size // 2, replace=False))
    ta = np.empty(r.N)
    dk.log_alpha_times(r.S, C, ta)
    np.testing.assert_array_equal(ta, twin.log_alpha_times())
    dk.heal_sites(heal, 35.0, 7.0, r.S, C, r.K)
    twin.heal([int(j) for j in heal], 35.0, 7.0)
    free = np.flatnonzero((r.S.kind == 0) & (r.S.owner == -1))[:10]
    dk.form_sites(free, r.S)
    twin.form([int(j) for j in free])
    assert float(r.K.frozen[0]) == twin.frozen and list(r.K.sums) == twin.sums
    assert list(r.K.rng) == twin.rng.s
    for name in ("kind", "elim", "beta", "smd", "owner", "fp_next", "fp_size", "eps_p", "last_smd"):
        assert np.array_equal(getattr(r.S, name), twin.S[name]), name


def test_healing_under_strain_freezes_strain_and_keeps_the_stress():
    """A healed site keeps its strain (frozen in), so the stress does not jump."""
    cfg, setup = _setup(T=440.0, seg="hold_strain", segkey="strain = 0.004")
    r = Replica(setup, 0, np.random.SeedSequence(2))
    r._begin_segment()
    kn.run_until(r.S, r.control(0.5, 10**6), r.K)
    before = r._inelastic_dynamic()
    qpd = np.flatnonzero((r.S.kind == 1) & (r.S.elim == 0))
    dk.heal_sites(qpd[:50], 0.0, r.t, r.S, r.control(0.5, 0), r.K)
    assert r._inelastic_dynamic() == pytest.approx(before, rel=1e-12, abs=1e-15)


def test_resume_with_defect_dynamics_is_exact():
    """A checkpoint restores the defect generator, the work credit and the frozen strain."""
    cfg, setup = _setup(T=470.0, seg="hold_strain", segkey="strain = 0.003", dur=40.0, samples=8,
                        step=3.0, extra="fictive_temperature_K = 430.0\nreordering_probability = 0.3\n"
                        "rejuvenation_yield_per_MPa = 1e-3")
    ref, again = resumed_run(setup, advances=25, events=20000)
    assert ref.dyn.healed > 0 and ref.dyn.formed > 0
    assert again.table().tobytes() == ref.table().tobytes()
