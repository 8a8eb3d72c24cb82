"""Stress-dependent rates without interactions (docs/kmc_elastic.md section 6.10).

Without elastic interactions ``stress_dependent_rates = true`` runs the interacting loop with a
zero field: every unit feels the applied (macroscopic) stress, so the kMC ensemble under a
uniform creep stress, with the linear (mean-field) bias law, must be the mean-field model's
non-linear mode with tau_beta(sigma) and chi fixed at chi(T) (``HereditaryOptions(nonlinear=True,
strain_term=False)``).

Tolerances, fixed before the runs: at every compared sample time (one per decade of the creep)
the kMC ensemble means of the total, beta, anelastic and plastic strains are within 3 SE of the
non-linear model (SE from the replicas; a family of 4 x n comparisons at 3 SE); and the test
discriminates: the kMC differs from the *linear* model (the rates at zero stress) by more than
6 SE in the total strain at the end of creep. Off is today's engine: no field, the same bytes as
the plain :func:`.kernels.run_until` path.
"""

import tomllib

import numpy as np

from mgmeso.config import parse_config
from mgmeso.kmc.ensemble import _seeds
from mgmeso.kmc.observables import TS_INDEX, estimator
from mgmeso.kmc.replica import Replica
from mgmeso.kmc.setup import make_setup
from mgmeso.theory.hereditary import HereditaryOptions, run_program

CREEP = """
material = "la60ni15al25"
[protocol]
kind = "creep"
temperature_K = {T}
stress_MPa = {stress}
creep_time_s = {t}
recovery_time_s = 0.1
t_first_s = 0.1
points_per_decade = 1
[simulation]
lattice = "sc"
L = {L}
replicas = {n}
seed = 16
bias_law = "linear"
plasticity = "parallel"
coalescence = false
footprint_max_sites = 1
plastic_drift = false
stress_dependent_rates = {on}
"""

NAMES = ("strain", "strain_beta", "strain_anelastic", "strain_plastic")


def _setup(on, T=470.0, stress=400.0, t=3.0, L=6, n=12):
    doc = tomllib.loads(CREEP.format(T=T, stress=stress, t=t, L=L, n=n,
                                     on="true" if on else "false"))
    return make_setup(parse_config(doc))


def _ensemble(setup):
    tabs = []
    for seed in _seeds(setup)[0]:
        rep = Replica(setup, 0, seed)
        rep.run()
        tabs.append(rep.table())
    return np.array(tabs), rep


def test_uniform_stress_thinning_is_the_nonlinear_mean_field_model():
    setup = _setup(True)
    tabs, rep = _ensemble(setup)
    assert rep.field is not None and not rep.field.interacting
    c = rep.field.thinning_counts()
    assert c["bound_violations"] == 0 and c["null_events"] > 100
    t = tabs[0, :, TS_INDEX["time_s"]]
    creep = (t > 0) & (t <= setup.programs[0].segments[0].duration_s * (1 + 1e-9))
    prog = setup.programs[0]
    mat = setup.material
    nl = run_program(mat, prog, HereditaryOptions(nonlinear=True, strain_term=False,
                                                  modes_per_decade=8), eval_times=t[creep])
    lin = run_program(mat, prog, HereditaryOptions(modes_per_decade=8), eval_times=t[creep])
    n = tabs.shape[0]
    for name in NAMES:
        v = tabs[:, creep, TS_INDEX[estimator(name)]]
        m, se = v.mean(0), v.std(0, ddof=1) / np.sqrt(n)
        z = (m - np.asarray(nl[name])) / se
        assert np.all(np.abs(z) < 3.0), (name, z)
    v = tabs[:, creep, TS_INDEX[estimator("strain")]][:, -1]
    z_lin = (v.mean() - float(np.asarray(lin["strain"])[-1])) / (v.std(ddof=1) / np.sqrt(n))
    assert z_lin > 6.0, z_lin       # tau_beta(sigma) is resolved: the test can fail


def test_off_is_todays_engine():
    setup = _setup(False, n=1)
    rep = Replica(setup, 0, _seeds(setup)[0][0])
    assert rep.field is None        # the plain kernels.run_until path, unchanged


def test_uniform_thinning_accepts_defect_dynamics():
    # a defect update that changes a site rebuilds the field and restarts the thinning's
    # bounds from exact stresses (docs/kmc_elastic.md section 6.11), with or without
    # interactions
    doc = CREEP.format(T=470.0, stress=100.0, t=1.0, L=6, n=2, on="true") + \
        "[defects]\nenabled = true\n"
    cfg = parse_config(tomllib.loads(doc))
    assert cfg.simulation.stress_dependent_rates and cfg.defects.enabled
