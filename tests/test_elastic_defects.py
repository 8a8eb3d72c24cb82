"""Defect dynamics (aging, rejuvenation, reordering) with elastic interactions.

docs/kmc_elastic.md section 6.11. Tolerances, fixed before the runs: zero interaction strength
with defect dynamics equals the engine without interactions with the same defect dynamics bit
for bit; defect updates that change nothing leave the interacting run bit for bit; after many
defect events the field's eigenstrains equal those rebuilt from the state to 1e-5 relative (the
float32 plastic store, as in tests/test_elastic_engine.py) and its stresses a fresh FFT plus the
plastic self-term to 1e-8 MPa, the mean local stress the applied stress to 1e-9 MPa; healing a
dynamic site moves no other site's stress by more than 1e-8 MPa; 0 thinning-bound violations;
a resumed run equals the uninterrupted one bit for bit; the interacting loop equals its
dense-sum twin bit for bit on a lattice changed by defect events.
"""

from __future__ import annotations

import tomllib

import numpy as np
import pytest

from mgmeso.config import parse_config
from mgmeso.kmc import defect_kernels as dk
from mgmeso.kmc import kernels as kn
from mgmeso.kmc import replica_driver as driver
from mgmeso.kmc.elastic_loop import query_all
from mgmeso.kmc.elastic_replica import ReplicaField, eigenstrain_of_state
from mgmeso.kmc.replica import Replica
from mgmeso.kmc.setup import make_setup

from .kmc_helpers import DEFECTS_CFG as CFG
from .kmc_helpers import MEANFIELD, resumed_run
from .test_elastic_engine import _same_engine_state, run_against_dense_twin

SERIES = 'plasticity = "series"\ncoalescence = true\nfootprint_max_sites = 6\n'
EL = "elastic_interactions = true\n"
THIN = EL + 'stress_dependent_rates = true\n'
#: heals, forms (as-quenched below T), rejuvenation and reordering within a short run
ACTIVE = ("fictive_temperature_K = 430.0\nreordering_probability = 0.3\n"
          "rejuvenation_yield_per_MPa = 2.0")


def _setup(rules, T=470.0, seg="hold_strain", segkey="strain = 0.003", dur=20.0, samples=8,
           L=8, het="paper", step=2.0, extra=ACTIVE):
    doc = tomllib.loads(CFG.format(T=T, seg=seg, segkey=segkey, dur=dur, samples=samples, L=L,
                                   het=het, rules=rules, step=step, extra=extra))
    return make_setup(parse_config(doc))


def _run(setup, seed=4, mu=None, each_update=None):
    rep = Replica(setup, 0, np.random.SeedSequence(seed))
    if mu is not None:
        rep.field = ReplicaField(setup, mu_MPa=mu)
    if each_update is not None:
        step = rep.dyn.step

        def checked(*a, **k):
            n = step(*a, **k)
            each_update(rep, n)
            return n
        rep.dyn.step = checked
    rep.run()
    return rep


def test_elastic_interactions_with_defects_is_accepted():
    setup = _setup(MEANFIELD + EL)
    assert setup.sim.elastic_interactions and setup.defects.enabled


@pytest.mark.parametrize("rules", [MEANFIELD + 'elimination_factor = 100.0\n', SERIES],
                         ids=["meanfield", "series"])
def test_zero_strength_with_defect_dynamics_is_the_engine_bit_for_bit(rules):
    plain = _run(_setup(rules))
    el = _run(_setup(rules + EL), mu=0.0)
    assert plain.dyn.healed > 20 and plain.dyn.formed > 20 and plain.dyn.rejuvenated > 0
    _same_engine_state(plain, el)
    assert el.S.kind.tobytes() == plain.S.kind.tobytes()
    assert el.table().tobytes() == plain.table().tobytes()
    assert el.dyn.state() == plain.dyn.state()
    assert el.field.n_refresh > 0


@pytest.mark.parametrize("rules", [MEANFIELD + EL, MEANFIELD + THIN + 'plastic_rate_law = "eyring"\n'],
                         ids=["interactions", "stress_dependent"])
def test_defect_updates_that_change_nothing_leave_the_run_bit_for_bit(rules):
    """At 360 K (tau_max ~ 1e7 s) with zero yield nothing heals or forms: the run equals the
    same run whose defect updates only move their clock (chi follows the same defect rule).
    """
    setup = _setup(rules, T=360.0, seg="hold_stress", segkey="stress_MPa = 400.0", dur=20.0,
                   extra="rejuvenation_yield_per_MPa = 0.0")
    ref = _run(setup)
    assert ref.dyn.healed == 0 and ref.dyn.formed == 0
    idle = Replica(setup, 0, np.random.SeedSequence(4))

    def clock_only(S, C, K, T_K, sigma_MPa, t):
        idle.dyn.t_last = t
        return 0
    idle.dyn.step = clock_only
    idle.run()
    _same_engine_state(ref, idle)
    assert ref.table().tobytes() == idle.table().tobytes()
    assert ref.field.state.eps.tobytes() == idle.field.state.eps.tobytes()
    assert int(ref.K.counts[kn.C_ALL]) > 1000


def _fresh_field_checks(rep):
    f = rep.field
    rebuilt = eigenstrain_of_state(rep.S, rep.calib)
    assert np.allclose(f.state.eps, rebuilt, rtol=1e-5, atol=1e-9)
    got = np.empty(rep.N)
    sig_app = float(kn.stress_strain(float(rep.K.t[0]), rep.control(rep.t, 0), rep.K)[0])
    query_all(rep.S, f.state, sig_app, 1, got)
    fresh = f.local_stress(sig_app)
    assert np.max(np.abs(got - fresh)) < 1e-8
    assert abs(got.mean() - sig_app) < 1e-9


@pytest.mark.parametrize("rules", [MEANFIELD + EL, SERIES + EL], ids=["meanfield", "series"])
def test_field_equals_a_fresh_fft_after_many_defect_events(rules):
    setup = _setup(rules + "elastic_refresh_per_site = 0.5\n")
    rep = Replica(setup, 0, np.random.SeedSequence(4))
    seen = []

    def update():   # the driver's defect update, then the checks (after the field's rebuild)
        n0 = rep.dyn.healed + rep.dyn.formed
        driver._defect_update(rep)
        if rep.dyn.healed + rep.dyn.formed > n0:
            seen.append(rep.t)
            _fresh_field_checks(rep)
    rep._defect_update = update
    rep.run()
    assert rep.dyn.healed + rep.dyn.formed > 100 and len(seen) >= 5
    assert rep.field.n_refresh > len(seen)             # incremental epochs between the updates
    _fresh_field_checks(rep)
    assert np.std(rep.field.local_stress(0.0)) > 1.0     # the interactions are not trivially small


def test_healing_moves_other_stresses_only_by_the_mean_plastic_shift():
    """Healing keeps every eigenstrain (float32 rounding of the plastic store aside); the
    frozen strain joins the plastic part, so the other sites' stress moves only by the uniform
    -kappa d(mean p) that keeps the mean local stress at the applied stress.
    """
    setup = _setup(MEANFIELD + EL + 'elimination_factor = 0.0\n', extra="")
    rep = Replica(setup, 0, np.random.SeedSequence(3))
    rep._begin_segment()
    rep.run_kernel(rep.control(1e9, 20000))
    rep.field.rebuild(rep.S, rep.calib)
    before_eps = eigenstrain_of_state(rep.S, rep.calib)
    before = rep.field.local_stress(0.0)
    p0 = rep.S.eps_p.astype(np.float64).mean()
    qpd = np.flatnonzero((rep.S.kind == 1) & (rep.S.elim == 0))
    heal = np.sort(qpd[:: max(1, qpd.size // 20)])
    assert np.any(rep.S.beta[heal] != 0) and np.any(rep.S.smd[heal] != 0)
    dk.heal_sites(heal, 0.0, rep.t, rep.S, rep.control(rep.t, 0), rep.K)
    rep.field.rebuild(rep.S, rep.calib)
    after_eps = eigenstrain_of_state(rep.S, rep.calib)
    d_eps = np.abs(after_eps - before_eps)
    assert np.all(d_eps <= 1e-7 * np.abs(before_eps) + 1e-15)     # float32 rounding only
    after = rep.field.local_stress(0.0)
    other = np.ones(rep.N, bool)
    other[heal] = False
    shift = -rep.field.state.coef[3] * (rep.S.eps_p.astype(np.float64).mean() - p0)
    assert abs(shift) > 1e-3                                      # the shift is not vacuous
    prop = rep.field.field.prop
    k_max = float(np.abs(prop.table).max()) + abs(float(rep.field.state.coef[0]))
    tol = 1e-8 + k_max * d_eps.sum()                               # the rounding's field
    assert np.max(np.abs(after[other] - before[other] - shift)) < tol
    assert abs(after.mean()) < 1e-9


@pytest.mark.slow
def test_stress_dependent_rates_with_defects_keep_their_bounds():
    rep = _run(_setup(MEANFIELD + THIN + 'plastic_rate_law = "eyring"\n', T=470.0, dur=1.0,
                      samples=4, step=0.25, L=6))
    assert rep.dyn.healed > 5 and rep.dyn.formed > 5
    c = rep.field.thinning_counts()
    assert c["bound_violations"] == 0 and c["candidates"] > 1000


@pytest.mark.parametrize("rules", [
    MEANFIELD + EL,
    pytest.param(SERIES + EL, marks=pytest.mark.slow),          # minutes under load
    pytest.param(MEANFIELD + THIN, marks=pytest.mark.slow),
], ids=["meanfield", "series", "stress_dependent"])
def test_resume_with_interactions_and_defects_is_exact(rules):
    kw = dict(dur=1.0, samples=4, step=0.25, L=6) if "stress_dependent" in rules else {}
    setup = _setup(rules, **{"dur": 6.0, "step": 1.0, **kw})
    ref, again = resumed_run(setup, advances=12, events=3000)
    assert ref.dyn.healed > 0 and ref.dyn.formed > 0 and ref.dyn.rejuvenated > 0
    assert again.table().tobytes() == ref.table().tobytes()
    _same_engine_state(ref, again)
    for k in ("eps", "phi", "seen", "pend_n"):
        assert getattr(ref.field.state, k).tobytes() == getattr(again.field.state, k).tobytes()


@pytest.mark.parametrize("rules", [MEANFIELD + EL, SERIES + EL], ids=["meanfield", "series"])
def test_loop_matches_the_twin_after_defect_events(rules):
    setup = _setup(rules, dur=6.0, samples=3)
    rep = Replica(setup, 0, np.random.SeedSequence(6))
    while rep.dyn.healed + rep.dyn.formed < 30 and not rep.done:
        rep.advance(2000)
    assert rep.dyn.healed > 0 and rep.dyn.formed > 0
    assert np.any(rep.S.eps_p[rep.S.kind == 0] != 0)   # frozen strain on healed sites
    rep.field.rebuild(rep.S, rep.calib)
    run_against_dense_twin(rep, setup)
