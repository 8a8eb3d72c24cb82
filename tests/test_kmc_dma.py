"""Oscillatory loading, temperature ramps and lock-in analysis in the kMC engine."""

from __future__ import annotations

import tomllib

import numpy as np

from mgmeso.config import parse_config
from mgmeso.kmc.ensemble import run_ensemble
from mgmeso.kmc.lockin import dma_table, lockin_windows, phasor, window_average
from mgmeso.kmc.replica import TS_INDEX, Replica
from mgmeso.kmc.setup import make_setup
from mgmeso.theory.gumbel import gumbel_grid
from mgmeso.theory.protocols import dma_columns

from .kmc_helpers import resumed_run


def test_lockin_recovers_a_debye_element():
    """Strain of a Debye solid under sinusoidal stress, with drift and noise: E* comes back."""
    E_u, E_r, tau, w = 3.3e4, 3.0e4, 0.2, 2 * np.pi * 1.0
    J = 1 / E_u + (1 / E_r - 1 / E_u) / (1 + 1j * w * tau)        # J* = J' - i J''
    E_true = 1 / J
    t = np.linspace(0, 40, 40 * 16 + 1)[1:]
    s0 = 3.0
    stress = s0 * np.sin(w * t)
    strain = s0 * np.abs(J) * np.sin(w * t - np.angle(E_true)) + 1e-6 * t
    rng = np.random.default_rng(0)
    strain_noisy = strain + rng.normal(0, 1e-7, t.size)
    tm, E = lockin_windows(t, stress, strain_noisy, w, 0.0, 5)
    assert tm.size == 8
    assert np.allclose(E.real, E_true.real, rtol=2e-3)
    assert np.allclose(E.imag, E_true.imag, rtol=2e-2)
    # without noise the phasor is exact (the drift is absorbed)
    assert abs(phasor(t, strain, w, 0.0) - s0 * np.abs(J) * np.exp(-1j * np.angle(E_true))) < 1e-12


DMA = """
material = "la60ni15al25"
[protocol]
kind = "dma_isochronal"
frequency_Hz = [1.0]
T_start_K = {T0}
T_end_K = {T1}
T_step_K = 2.0
heating_rate_K_per_min = 3.0
[simulation]
lattice = "sc"
L = {L}
replicas = {reps}
seed = {seed}
plasticity = "parallel"
coalescence = false
footprint_max_sites = 1
elimination_factor = {elim}
temperature_slice_K = {slice}
plastic_drift = {drift}
bias_law = "linear"
"""


def _cfg(**kw):
    base = dict(T0=350.0, T1=360.0, L=8, reps=16, seed=1, elim=20, slice=0.5, drift="true")
    base.update(kw)
    return parse_config(tomllib.loads(DMA.format(**base)))


def _lockin(cfg, window=2.0):
    res = run_ensemble(cfg, None, progress=False)
    data = res.stacked()
    return dma_table(lambda k: data[..., TS_INDEX[k]], res.setup, window), data


def test_ramp_temperature_follows_the_slices():
    cfg = _cfg(reps=1, slice=2.0)
    setup = make_setup(cfg)
    rep = Replica(setup, 0, np.random.SeedSequence(1))
    temps_used = []
    while not rep.done:
        before = rep.T
        rep.advance()
        if rep.T != before:
            temps_used.append(rep.T)
    T = rep.table()[:, TS_INDEX["temperature_K"]]
    t = rep.table()[:, TS_INDEX["time_s"]]
    # recorded temperature is the exact ramp; rates used the slice midpoints 351, 353, ... 359
    assert np.allclose(T, 350.0 + t * 3.0 / 60.0)
    assert np.allclose(temps_used, [351.0, 353.0, 355.0, 357.0, 359.0, 360.0])
    assert rep.table()[:, TS_INDEX["segment"]].max() == 0


def test_dma_mean_field_matches_exact_form():
    """Small-amplitude DMA, mean-field configuration, 16 replicas: E', E'' within 3 SE."""
    d, _ = _lockin(_cfg())
    mat = _cfg().material
    grid = gumbel_grid(mat.B_beta, 241)

    def model(T):
        c = dma_columns(mat, T, d["frequency_Hz"], grid)
        return c["E_storage_MPa"] + 1j * c["E_loss_MPa"]

    E = window_average(model, d["temperature_K"], d["window_K"])    # the lock-in's estimand
    th = {"E_storage_MPa": E.real, "E_loss_MPa": E.imag}
    assert np.allclose(d["window_K"], 2.0)
    z1 = (d["E_storage_MPa"] - th["E_storage_MPa"]) / d["E_storage_MPa_se"]
    z2 = (d["E_loss_MPa"] - th["E_loss_MPa"]) / d["E_loss_MPa_se"]
    assert d["temperature_K"].size == 4       # 2 K windows after the first cycle
    assert np.all(np.abs(z1) < 3) and np.all(np.abs(z2) < 3), (z1, z2)
    # and the SE is informative: below 3 % of E''
    assert np.all(d["E_loss_MPa_se"] < 0.03 * th["E_loss_MPa"])


def test_slices_converge():
    """Halving the slice changes E'' by less than the statistical error; same seed throughout."""
    a, _ = _lockin(_cfg(slice=2.0, reps=8))
    b, _ = _lockin(_cfg(slice=0.5, reps=8))
    diff = np.abs(a["E_loss_MPa"] - b["E_loss_MPa"])
    assert np.all(diff < 3 * np.hypot(a["E_loss_MPa_se"], b["E_loss_MPa_se"]))


def test_elimination_against_full_simulation():
    """Units in local equilibrium (factor 20) against no elimination at all: same E', E''."""
    full, _ = _lockin(_cfg(elim=0, reps=12, T0=350.0, T1=356.0))
    elim, _ = _lockin(_cfg(elim=20, reps=12, T0=350.0, T1=356.0, seed=2))
    for n in ("E_storage", "E_loss"):
        diff = full[f"{n}_MPa"] - elim[f"{n}_MPa"]
        assert np.all(np.abs(diff) < 3 * np.hypot(full[f"{n}_MPa_se"], elim[f"{n}_MPa_se"]))


def test_plastic_drift_against_annihilation_events():
    """Near the alpha peak (496-504 K) the mean plastic drift of the fast units gives the same
    E', E'' as their annihilation events, within 3 combined SE.
    """
    kw = dict(reps=12, T0=496.0, T1=504.0, L=6)
    events, _ = _lockin(_cfg(drift="false", **kw), window=4.0)
    drift, _ = _lockin(_cfg(drift="true", seed=2, **kw), window=4.0)
    for n in ("E_storage", "E_loss"):
        diff = events[f"{n}_MPa"] - drift[f"{n}_MPa"]
        assert np.all(np.abs(diff) < 3 * np.hypot(events[f"{n}_MPa_se"], drift[f"{n}_MPa_se"]))
    assert np.all(drift["E_loss_MPa_se"] < events["E_loss_MPa_se"])   # the drift has no deposit noise


def test_cli_dma_run_export_and_compare(tmp_path, capsys):
    from mgmeso.cli import main

    cfg = tmp_path / "d.toml"
    cfg.write_text(DMA.format(T0=350.0, T1=354.0, L=6, reps=2, seed=3, elim=20, slice=0.5, drift="true"))
    store = tmp_path / "d.zarr"
    assert main(["run", str(cfg), "--out", str(store), "--quiet"]) == 0
    out = tmp_path / "lockin.csv"
    assert main(["export", str(store), "--dma", str(out)]) == 0
    head = out.read_text().splitlines()[0].split(",")
    # the theory's columns of an isochronal scan, in its order; standard errors as <name>_se
    assert head[:6] == ["time_s", "temperature_K", "frequency_Hz", "E_storage_MPa", "E_loss_MPa",
                        "tan_delta"]
    assert "E_loss_MPa_se" in head and "tan_delta_se" in head
    assert main(["compare", str(cfg), "--out", str(tmp_path / "cmp"), "--quiet"]) == 0
    text = capsys.readouterr().out
    # pass/fail of E' and E'' against the limit for the number of windows and replicas
    assert "E': largest |z|" in text and "E'': largest |z|" in text and "overall:" in text
    assert (tmp_path / "cmp" / "compare.png").stat().st_size > 20000
    assert main(["export", str(store)]) == 2


def test_resume_during_a_ramp_is_exact():
    """A checkpoint taken mid-scan restores everything the next slices need (even into a
    replica built from another seed): the resumed run equals the uninterrupted one.
    """
    setup = make_setup(_cfg(reps=1, slice=1.0, T0=350.0, T1=356.0))
    ref, again = resumed_run(setup, advances=700, events=500)
    assert again.table().tobytes() == ref.table().tobytes()


OSC_PROGRAM = '''
material = "la60ni15al25"
[protocol]
kind = "program"
temperature_K = 400.0
[[protocol.segments]]
type = "oscillate"
frequency_Hz = 1.0
cycles = 8
strain_amplitude = 1e-4
samples_per_cycle = 32
[simulation]
L = 8
replicas = 12
seed = 21
plasticity = "parallel"
coalescence = false
footprint_max_sites = 1
bias_law = "linear"
'''


def test_oscillate_segment_in_a_user_program():
    """An `oscillate` table in a user program runs in both halves: the theory's hereditary
    integration gives the steady-state E* of the exact form, and the kMC's lock-in agrees
    with it within 3 SE. Setting both amplitudes is a clean config error.
    """
    import pytest

    from mgmeso.errors import ConfigError
    from mgmeso.theory.protocols import evaluate
    cfg = parse_config(tomllib.loads(OSC_PROGRAM))
    w = 2 * np.pi
    exact = dma_columns(cfg.material, 400.0, 1.0, gumbel_grid(cfg.material.B_beta,
                                                               cfg.theory.gumbel_points))
    E_exact = complex(float(exact["E_storage_MPa"]), float(exact["E_loss_MPa"]))
    tab = evaluate(cfg).tables["theory"]
    t, s, e = tab["time_s"], tab["stress_MPa"], tab["strain"]
    late = t > 4.0
    E_th = phasor(t[late], s[late], w, 0.0) / phasor(t[late], e[late], w, 0.0)
    assert abs(E_th - E_exact) / abs(E_exact) < 5e-3
    assert abs(E_th.imag - E_exact.imag) / E_exact.imag < 0.03
    res = run_ensemble(cfg, progress=False)
    Es = []
    for r in res.replicas[0]:
        d = r.table()
        tt = d[:, TS_INDEX["time_s"]]
        m = tt > 4.0
        Es.append(phasor(tt[m], d[m, TS_INDEX["stress_MPa_expected"]], w, 0.0)
                  / phasor(tt[m], d[m, TS_INDEX["strain"]], w, 0.0))
    Es = np.array(Es)
    for part in (np.real, np.imag):
        se = part(Es).std(ddof=1) / np.sqrt(Es.size)
        assert abs(part(Es).mean() - part(E_exact)) < 3 * se
    bad = OSC_PROGRAM.replace("strain_amplitude = 1e-4",
                              "strain_amplitude = 1e-4\nstress_amplitude_MPa = 5.0")
    with pytest.raises(ConfigError, match="exactly one"):
        parse_config(tomllib.loads(bad))
