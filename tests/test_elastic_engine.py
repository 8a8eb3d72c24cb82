"""The kMC engine with elastic interactions (mgmeso.kmc.elastic_loop, elastic_replica).

Tolerances, fixed before the runs: the exact mode's local stress equals a fresh FFT of the
current eigenstrains to 1e-8 MPa at every event and after 1e5 events (round-off of sums of
~1e3 terms of ~1e2 MPa is ~1e-11 MPa); the mean local stress equals the applied stress to
1e-9 MPa; "zero interaction strength" equals the engine without interactions bit for bit; the
dense-sum twin gives the same unit states, counters and RNG state bit for bit (the sums are
taken in another order, so a draw could differ only if a uniform variate fell within ~1e-13
of its threshold).
"""

import numpy as np
import pytest

from mgmeso.errors import ConfigError
from mgmeso.kmc import kernels as kn
from mgmeso.kmc.elastic_loop import query_all
from mgmeso.kmc.elastic_replica import ReplicaField, eigenstrain_of_state

from .kmc_twin import ElasticTwin
from .test_kmc_kernels import make_replica

EL = "elastic_interactions = true\n"

CASES = [
    dict(),                                                        # series, coalescence, sc
    dict(law="physical", lattice="bcc", growth="alpha"),
    dict(law="physical", plast="parallel", coal="false", fp=1, elim=100.0),   # mean-field rules
    dict(law="physical", seg="hold_strain", segkey="strain = 0.01", elim=100.0),  # strain control
]


def _same_engine_state(a, b):
    assert a.K.counts.tobytes() == b.K.counts.tobytes()
    assert a.K.rng.tobytes() == b.K.rng.tobytes()
    assert a.K.sums.tobytes() == b.K.sums.tobytes()
    for f in ("t", "work", "frozen"):
        assert getattr(a.K, f).tobytes() == getattr(b.K, f).tobytes(), f
    for name in ("beta", "smd", "owner", "fp_next", "fp_size", "eps_p", "last_smd"):
        assert getattr(a.S, name).tobytes() == getattr(b.S, name).tobytes(), name


@pytest.mark.parametrize("kw", CASES)
def test_zero_interaction_strength_is_the_engine_bit_for_bit(kw):
    plain, _ = make_replica(**kw)
    el, setup = make_replica(**kw, extra=EL)
    el.field = ReplicaField(setup, mu_MPa=0.0)       # the propagator is identically zero
    el.field.rebuild(el.S, el.calib)
    n = 20000
    assert kn.run_until(plain.S, plain.control(1e9, n), plain.K) == kn.STATUS_EVENTS
    assert el.run_kernel(el.control(1e9, n)) == kn.STATUS_EVENTS
    assert el.field.n_refresh > 0                       # refreshes happened and changed nothing
    _same_engine_state(plain, el)


def _dense(field):
    prop = field.field.prop
    fine = prop.fine_coords()
    Kd = prop.lookup(fine[:, None, :] - fine[None, :, :]) + field.state.coef[0]
    np.fill_diagonal(Kd, 0.0)
    return Kd


@pytest.mark.parametrize("kw", [CASES[0], CASES[2], CASES[3]])
def test_local_stress_at_every_event_is_a_fresh_full_computation(kw):
    rep, setup = make_replica(**kw, extra=EL)
    f = rep.field
    Kd = _dense(f)
    S = rep.S
    n_smd = 0
    for _ in range(400):
        phi = f.local_stress(0.0)                      # fresh FFT, before the event
        assert abs(phi.mean()) < 1e-9                   # mean local stress = applied stress
        fp_next, smd, fp_size = S.fp_next.copy(), S.smd.copy(), S.fp_size.copy()
        assert rep.run_kernel(rep.control(1e9, 1)) == kn.STATUS_EVENTS
        j, sig, sig_smd, sig_app = f.state.probe
        j = int(j)
        assert sig - sig_app == pytest.approx(phi[j], abs=1e-8)
        if not np.isnan(sig_smd):
            n_smd += 1
            own, m = 0.0, int(fp_next[j])
            share = rep.calib.d_an * int(smd[j]) / int(fp_size[j])
            while m != -1:
                own += Kd[j, m] * share
                m = int(fp_next[m])
            assert sig_smd - sig_app == pytest.approx(phi[j] - own, abs=1e-8)
    assert n_smd > 5
    assert np.std(f.local_stress(0.0)) > 1.0           # the interactions are not trivially small


def test_incremental_field_equals_a_fresh_fft_after_1e5_events():
    rep, setup = make_replica(extra=EL + "elastic_refresh_per_site = 0.5\n")
    f = rep.field
    assert rep.run_kernel(rep.control(1e9, 100_000)) == kn.STATUS_EVENTS
    assert f.n_refresh >= 10 and f.field.pending > 0
    # the recorded eigenstrains are the unit states' (footprint growth, coalescence, plastic);
    # the rebuilt ones read the plastic strain from its float32 store (rounded at every
    # deposit, 6e-8 relative each): compared to 1e-5 relative (a first bound of 1e-6 absolute
    # ignored that rounding and failed at 1.3e-6 on a site with 1.5 of plastic strain)
    rebuilt = eigenstrain_of_state(rep.S, rep.calib)
    assert np.allclose(f.state.eps, rebuilt, rtol=1e-5, atol=1e-9)
    got = np.empty(rep.N)
    query_all(rep.S, f.state, 0.0, 1, got)
    fresh = f.local_stress(0.0)
    assert np.max(np.abs(got - fresh)) < 1e-8
    assert abs(got.mean()) < 1e-9


def run_against_dense_twin(rep, setup, n_events=3000):
    """Run ``n_events`` events of ``rep`` and of :class:`ElasticTwin` (dense stress) from the
    same state; assert the same counters, sums, RNG state and time; return the twin.
    """
    C = rep.control(1e9, n_events)
    twin = ElasticTwin(rep.S, C, rep.K, setup.lattice, _dense(rep.field),
                       k_plastic=rep.field.state.coef[3])
    rep.run_kernel(C)
    twin.run(1e9, n_events)
    assert list(rep.K.counts) == twin.counts
    assert list(rep.K.sums) == twin.sums
    assert list(rep.K.rng) == twin.rng.s
    assert float(rep.K.t[0]) == twin.t
    return twin


@pytest.mark.parametrize("kw", [CASES[0], CASES[2]])
def test_kernel_matches_the_dense_sum_twin(kw):
    rep, setup = make_replica(**kw, extra=EL)
    twin = run_against_dense_twin(rep, setup)
    assert float(rep.K.work[0]) == pytest.approx(twin.work, rel=1e-12, abs=1e-15)
    for name in ("beta", "smd", "owner", "fp_next", "fp_size", "eps_p", "last_smd"):
        assert np.array_equal(getattr(rep.S, name), twin.S[name]), name
    assert np.allclose(rep.field.state.eps, twin.eigenstrain(), rtol=0, atol=1e-12)


def test_plastic_deposit_lowers_its_own_stress_by_the_self_term():
    """The restoring force (docs/kmc_elastic.md section 6.9): a plastic deposit dp at site j
    (parallel rule: the event changes nothing else) changes the local stress at j by exactly
    K(0) dp (the lattice self-term, negative: the site is unloaded) and leaves the mean local
    stress equal to the applied stress; a two-state flip does not act on its own site.
    """
    rep, setup = make_replica(**CASES[2], extra=EL)
    f = rep.field
    K0 = f.field.prop.self_term
    mu = f.field.prop.mu_MPa
    nu = setup.material.poisson_ratio
    # the lattice self-term is a one-site inclusion's interior stress: close to Eshelby's sphere
    # (-4 mu (7 - 5 nu)/(15 (1 - nu)) in the engine's measure) and well below zero
    assert 0.9 < K0 / (-4 * mu * (7 - 5 * nu) / (15 * (1 - nu))) < 1.25
    assert K0 < -mu
    n_dep = n_beta = 0
    for _ in range(1200):
        before = f.local_stress(0.0)
        p0, b0 = rep.S.eps_p.astype(np.float64), rep.S.beta.copy()
        assert rep.run_kernel(rep.control(1e9, 1)) == kn.STATUS_EVENTS
        j = int(f.state.probe[0])
        after = f.local_stress(0.0)
        dp = float(rep.S.eps_p[j]) - p0[j]
        if dp != 0.0:
            n_dep += 1
            assert after[j] - before[j] == pytest.approx(K0 * dp, abs=1e-8)
            assert K0 * dp * np.sign(dp) < -100.0          # hundreds of MPa per deposit
        else:                  # two-state changes at j (one-site footprints) do not act on j
            n_beta += rep.S.beta[j] != b0[j]
            assert after[j] == pytest.approx(before[j], abs=1e-8)
        assert abs(after.mean()) < 1e-9
    assert n_dep >= 5 and n_beta >= 5


def test_resume_with_interactions_continues_bit_for_bit():
    def run(rep, chunks):
        for _ in range(chunks):
            rep.advance(700)
        return rep
    ref = run(make_replica(extra=EL)[0], 12)
    part = run(make_replica(extra=EL)[0], 5)
    state = {k: np.array(v) for k, v in part.state_dict().items()}
    assert "E_phi" in state and int(state["E_pend_n"][0]) > 0
    again = make_replica(extra=EL, seed=99)[0]
    again.load_state_dict(state)
    run(again, 7)
    _same_engine_state(ref, again)
    for k in ("eps", "phi", "seen", "pend_n"):
        assert getattr(ref.field.state, k).tobytes() == getattr(again.field.state, k).tobytes()


@pytest.mark.parametrize("extra,needle", [
    ("elastic_update = 'fast'", "elastic_update"),
    ("elastic_refresh_per_site = 0", "elastic_refresh_per_site"),
])
def test_bad_elastic_config_is_a_clear_error(extra, needle):
    import tomllib

    from mgmeso.config import parse_config
    doc = tomllib.loads(f'''
material = "la60ni15al25"
[protocol]
kind = "creep"
temperature_K = 430.0
stress_MPa = 25.0
creep_time_s = 10.0
recovery_time_s = 10.0
[simulation]
elastic_interactions = true
{extra}
''')
    with pytest.raises(ConfigError) as e:
        parse_config(doc)
    assert needle in str(e.value)


CREEP = '''
material = "la60ni15al25"
[protocol]
kind = "creep"
temperature_K = 430.0
stress_MPa = 25.0
creep_time_s = 30.0
recovery_time_s = 1.0
t_first_s = 1.0
points_per_decade = 2
[simulation]
lattice = "sc"
L = 8
replicas = 16
plasticity = "parallel"
coalescence = false
footprint_max_sites = 1
elastic_interactions = {on}
'''


def _creep_end(on, mu_scale=1.0):
    """Strains at the end of creep of the 16 replicas (mean-field rules, physical law)."""
    import tomllib

    from mgmeso.config import parse_config
    from mgmeso.kmc.elastic import shear_modulus_MPa
    from mgmeso.kmc.ensemble import _seeds
    from mgmeso.kmc.observables import TS_INDEX
    from mgmeso.kmc.replica import Replica
    from mgmeso.kmc.setup import make_setup
    setup = make_setup(parse_config(tomllib.loads(CREEP.format(on="true" if on else "false"))))
    mat = setup.material
    cols = ("strain_beta_expected", "strain_anelastic_expected", "strain_plastic",
            "strain_expected")
    out = []
    for seed in _seeds(setup)[0]:
        rep = Replica(setup, 0, seed)
        if on:
            rep.field = ReplicaField(setup, mu_MPa=mu_scale * shear_modulus_MPa(
                mat.E_unrelaxed_MPa, mat.poisson_ratio))
        rep.run()
        tab = rep.table()
        i = int(np.argmin(np.abs(tab[:, TS_INDEX["time_s"]] - 30.0)))
        out.append([tab[i, TS_INDEX[c]] for c in cols])
    return np.array(out)


def test_weak_interactions_leave_the_low_stress_creep_mean_unchanged():
    """The linear-response limit (docs/kmc_elastic.md section 6.9, criteria C1/C2).

    With the two-state self-terms excluded, the plastic self-term and K(q = 0) = 0, the
    interactions change the ensemble mean creep only at second order in their strength; at full
    strength the coupling is not weak (|K(0)| A_an/C_d = 1.7) and the study of section 6.9
    measures the deviation on 16^3 over 330 s. This cheap check runs a tenth of the shear
    modulus: the beta, anelastic, plastic and total strains at the end of a 30 s creep (430 K,
    25 MPa, 16 paired replicas of 8^3) agree with the non-interacting ones within
    max(3 paired SE, 10 %), four comparisons. It catches gross errors of the field (a runaway,
    a non-zero mean, a first-order bias), not the second-order deviation, which this small
    case does not resolve even at full strength.
    """
    off = _creep_end(False)
    weak = _creep_end(True, mu_scale=0.1)
    d = weak - off
    se = d.std(axis=0, ddof=1) / np.sqrt(len(d))
    tol = np.maximum(3 * se, 0.1 * np.abs(off.mean(axis=0)))
    assert np.all(np.abs(d.mean(axis=0)) <= tol), (d.mean(axis=0), se, off.mean(axis=0))
    assert np.all(off.mean(axis=0) > 0)
