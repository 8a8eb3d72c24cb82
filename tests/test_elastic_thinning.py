"""Stress-dependent event rates by thinning (mgmeso.kmc.elastic_thinning, docs/kmc_elastic.md 6.10).

Tolerances, fixed before the runs: the bound of every site's |local stress| holds at every
site and every probed instant (exact stresses from a fresh FFT, slack 1e-6 MPa), and every leaf
is at least its site's total rate at the exact stress (relative 1e-12): zero violations; the
loop's own violation counter is 0; with a zero propagator under a uniform stress the thinned
event count equals the expectation ``T sum_j r_j(sigma)`` within 4 Poisson SE (one comparison
per case; the rates at the stress are evaluated by :func:`mgmeso.theory.kinetics.tau_beta`
independently of the kernels); resume and chunking give the same bytes.
"""

import math

import numpy as np
import pytest

from mgmeso.errors import ConfigError
from mgmeso.kmc import elastic_thinning as th
from mgmeso.kmc import kernels as kn
from mgmeso.kmc.elastic_replica import THIN_RADIUS_NN, ReplicaField
from mgmeso.kmc.layout import C_ALL

from .test_elastic_engine import _same_engine_state
from .test_kmc_kernels import make_replica

ON = "elastic_interactions = true\nstress_dependent_rates = true\n"

CASES = [
    dict(law="physical", plast="parallel", coal="false", fp=1, elim=100.0),      # mean-field rules
    dict(law="physical"),                                       # series, coalescence, footprints
    dict(law="physical", seg="hold_strain", segkey="strain = 0.01", elim=100.0),  # strain control
    dict(law="physical", lattice="bcc", growth="alpha", het="local"),
]


def _check_bounds(rep):
    f = rep.field
    sig_app = float(kn.stress_strain(float(rep.K.t[0]), rep.control(0.0, 0), rep.K)[0])
    exact = f.local_stress(sig_app)
    bound = f.stress_bounds(sig_app)
    assert np.all(np.abs(exact) <= bound + 1e-6), float(np.max(np.abs(exact) - bound))
    from mgmeso.kmc import elastic_thinning as th
    C = rep.control(0.0, 0)
    qpd = np.flatnonzero(rep.S.kind == 1)
    for j in qpd[:: max(1, qpd.size // 200)]:
        r = _rates(j, exact[j], rep, C, th)
        assert r <= rep.S.leaves[j] * (1.0 + 1e-12)
    return np.abs(bound - np.abs(exact))


def _rates(j, sig, rep, C, th):
    from mgmeso.kmc.rates import site_rates_stressed_of, stress_log_gain
    TH = rep.field.thin_state
    lng = stress_log_gain(sig, TH.st[th.U_RT], TH.st[th.SIGMA1])
    r_dyn, r_ann, _ = site_rates_stressed_of(j, int(rep.S.elim[j]), lng, rep.S.log_tb,
                                             rep.S.log_tb_hier, rep.S.chi, rep.S.log_S, C.times,
                                             C.rules, TH.st[th.CHI_P])
    return r_dyn + r_ann


@pytest.mark.parametrize("kw", CASES)
def test_the_bound_holds_at_every_site(kw):
    rep, _ = make_replica(**kw, extra=ON)
    loose = []
    for _ in range(8):
        rep.run_kernel(rep.control(1e9, 1500))
        loose.append(np.median(_check_bounds(rep)))
    c = rep.field.thinning_counts()
    assert c["bound_violations"] == 0
    assert c["candidates"] > 10000 and c["null_events"] > 0 and c["epochs"] >= 2
    assert c["candidates"] == int(rep.K.counts[C_ALL]) + c["null_events"]
    assert np.median(loose) < 1000.0            # the bounds are not vacuous


@pytest.mark.parametrize("eyring", [False, True])
def test_thinning_under_a_uniform_stress_has_the_stressed_rates(eyring):
    """Zero propagator: every site feels the applied 400 MPa; the accepted events of a time
    window must be Poisson with the sum of the rates at that stress (with the Eyring plastic
    law the annihilations at ``cosh(sigma/sigma_sat_p)/tau_max``).
    """
    from mgmeso.theory import kinetics
    extra = ON + ("plastic_rate_law = 'eyring'\n" if eyring else "")
    rep, setup = make_replica(law="physical", plast="parallel", coal="false", fp=1,
                              segkey="stress_MPa = 400.0", extra=extra)
    rep.field = ReplicaField(setup, mu_MPa=0.0)
    rep.field.rebuild(rep.S, rep.calib)
    mat = setup.material
    T = rep.T
    lng = math.log(kinetics.tau_beta(mat, T, 0.0) / kinetics.tau_beta(mat, T, 400.0))
    C = rep.control(0.0, 0)
    # expected total rate at 400 MPa, independently of the kernels ('paper' mode, elim = 0)
    tm = rep.times
    ln_tb = tm.log_tb_mean + rep.S.log_tb[rep.S.kind == 1] * tm.temp_factor - lng
    tb_m = math.exp(tm.log_tb_mean - lng)
    tmax = float(kinetics.tau_max(mat, tb_m, tm.chi))
    r_ann = np.count_nonzero(rep.S.kind == 1) / tmax
    if eyring:
        r_ann *= math.cosh(400.0 / rep.calib.sig_sat_p)
    rate = float(np.sum(np.exp(-ln_tb))) + r_ann
    t0 = float(rep.K.t[0])
    window = 40000.0 / rate
    rep.run_kernel(rep.control(t0 + window, 10**7))
    n = int(rep.K.counts[C_ALL])
    n_ann = int(rep.K.counts[kn.C_ANN])
    assert rep.field.thinning_counts()["null_events"] > 100
    assert abs(n - rate * window) < 4.0 * math.sqrt(rate * window), (n, rate * window)
    assert abs(n_ann - r_ann * window) < 4.0 * math.sqrt(r_ann * window), (n_ann, r_ann * window)
    assert n_ann > 20
    assert C.rules.local is False


def test_resume_with_thinning_continues_bit_for_bit():
    def run(rep, chunks):
        for _ in range(chunks):
            rep.advance(700)
        return rep
    ref = run(make_replica(**CASES[1], extra=ON)[0], 12)
    part = run(make_replica(**CASES[1], extra=ON)[0], 5)
    state = {k: np.array(v) for k, v in part.state_dict().items()}
    assert "E_thin_head" in state
    again = make_replica(**CASES[1], extra=ON, seed=99)[0]
    again.load_state_dict(state)
    run(again, 7)
    _same_engine_state(ref, again)
    for k in ("c", "nacc", "head", "st", "cnt"):
        assert getattr(ref.field.thin_state, k).tobytes() == \
            getattr(again.field.thin_state, k).tobytes(), k
    # and one long call gives the same bytes as the chunks
    one = make_replica(**CASES[1], extra=ON)[0]
    one.advance(8400)
    _same_engine_state(ref, one)


@pytest.mark.parametrize("extra", ["elastic_interactions = true\nstress_dependent_rates = true\n"
                                   "elastic_update = 'windowed'"])
def test_thinning_needs_the_exact_interacting_loop(extra):
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
{extra}
''')
    with pytest.raises(ConfigError) as e:
        parse_config(doc)
    assert "stress_dependent_rates" in str(e.value)


@pytest.mark.parametrize("kw", [CASES[0], pytest.param(dict(law="physical", fp=1, coal="false"),
                                                        marks=pytest.mark.slow)])
def test_kernel_matches_the_thinning_twin(kw):
    """The kernel against :class:`tests.kmc_twin.ThinTwin` (dense stress, bounds recomputed
    from scratch after every unit's change) on sc 5^3, 1500 candidates (the series rule
    without footprints behind the slow marker: the Python twin costs about 10 s per 1000): the same
    candidates, null
    events, epochs, unit states, counters and RNG state; the time to 1e-5 relative (the
    kernel's bounds are float32 sums rounded up, the twin's float64 sums from scratch, so the
    leaves differ in their 7th digit).
    """
    from .kmc_twin import ThinTwin
    from .test_elastic_engine import _dense
    rep, setup = make_replica(**kw, extra=ON)
    rep.run_kernel(rep.control(1e9, 0))            # the first epoch of the bounds
    f = rep.field
    fine = f.field.prop.fine_coords()
    n = f.field.prop.n_fine
    d = np.abs(fine[:, None, :] - fine[None, :, :]) % n
    d = np.minimum(d, n - d)
    r = np.sqrt((d.astype(float) ** 2).sum(-1))
    near = (r > 1e-9) & (r <= min(THIN_RADIUS_NN, 0.499 * setup.lattice.L) + 1e-9)
    Kd = _dense(f)
    # the far bound's constants against the dense rows (sc: one basis site, every row alike)
    far = np.abs(Kd) * ~near
    st = f.thin_state.st
    assert np.sqrt((far ** 2).sum(1)).max() == pytest.approx(st[th.C2], rel=1e-8)
    assert ((far ** 3).sum(1) ** (1 / 3)).max() == pytest.approx(st[th.C3], rel=1e-8)
    assert far.max() <= st[th.K_FAR]
    C = rep.control(1e9, 1500)
    twin = ThinTwin(rep.S, C, rep.K, setup.lattice, Kd, f.state.coef[3],
                    f.thin_state, f.state.geom[7], near)
    rep.run_kernel(C)
    twin.run(1e9, 1500)
    c = f.thinning_counts()
    assert c["bound_violations"] == 0
    assert (c["candidates"], c["null_events"], c["epochs"] - 1) == \
        (twin.n_cand, twin.n_null, twin.n_epoch)
    assert twin.n_null > 50 and twin.n_epoch > 2 and rep.K.counts[kn.C_SMD] > 20
    assert list(rep.K.counts) == twin.counts
    assert list(rep.K.sums) == twin.sums
    assert list(rep.K.rng) == twin.rng.s
    # the kernel stores c_j and N_j in float32 rounded up, summed change by change; the twin
    # sums them from scratch: leaves differ in the 7th digit, so the time does (1e-9 with the
    # float64 stores of before; measured 1.8e-6 with float32); every count and state is equal
    assert float(rep.K.t[0]) == pytest.approx(twin.t, rel=1e-5)
    for name in ("beta", "smd", "eps_p"):
        assert np.array_equal(getattr(rep.S, name), twin.S[name]), name


def _plastic_creep(eyring, stress):
    import tomllib

    from mgmeso.config import parse_config
    from mgmeso.kmc.ensemble import _seeds
    from mgmeso.kmc.observables import TS_INDEX
    from mgmeso.kmc.replica import Replica
    from mgmeso.kmc.setup import make_setup
    doc = tomllib.loads(EYRING_CREEP.format(stress=stress, law="eyring" if eyring else
                                            "resampling"))
    setup = make_setup(parse_config(doc))
    out = []
    for seed in _seeds(setup)[0]:
        rep = Replica(setup, 0, seed)
        rep.field = ReplicaField(setup, mu_MPa=0.0)     # uniform stress: the law alone
        rep.run()
        tab = rep.table()
        i = int(np.argmin(np.abs(tab[:, TS_INDEX["time_s"]] - 10.0)))
        out.append(tab[i, TS_INDEX["strain_plastic"]])
    return np.array(out)


EYRING_CREEP = """
material = "la60ni15al25"
[protocol]
kind = "creep"
temperature_K = 470.0
stress_MPa = {stress}
creep_time_s = 10.0
recovery_time_s = 0.1
t_first_s = 0.1
points_per_decade = 1
[simulation]
lattice = "sc"
L = 6
replicas = 16
plasticity = "parallel"
coalescence = false
footprint_max_sites = 1
plastic_drift = false
elastic_interactions = true
stress_dependent_rates = true
plastic_rate_law = "{law}"
"""


@pytest.mark.slow
def test_eyring_law_gives_the_resampling_mean_in_the_linear_regime():
    """At 20 MPa (x = sigma/sigma_sat_p about 0.1, where sinh x and tanh x differ by x^2 =
    1 %), 16 replicas with each plastic law under a uniform stress, 10 s of creep at 470 K
    (tau_max about 1 s): the plastic strains at the end of creep agree within 3 combined SE
    (slow: about 1 CPU minute, several at a load of 13 on 2 cores).
    """
    a, b = _plastic_creep(False, 20.0), _plastic_creep(True, 20.0)
    se = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    assert a.mean() > 2 * a.std(ddof=1) / math.sqrt(a.size)      # the plastic strain is resolved
    assert abs(a.mean() - b.mean()) < 3 * se, (a.mean(), b.mean(), se)
