"""kMC engine: reproducibility, chunk and snapshot independence, resume, store and CLI."""

import json
import os
import signal
import subprocess
import sys
import time
import tomllib

import numpy as np
import zarr

from mgmeso.cli import main
from mgmeso.config import parse_config
from mgmeso.kmc.ensemble import run_ensemble
from mgmeso.kmc.replica import TIME_SERIES, Replica
from mgmeso.kmc.setup import make_setup
from mgmeso.kmc.store import read_run

BASE = '''
title = "engine test"
material = "la60ni15al25"
[protocol]
kind = "program"
temperature_K = 420.0
t_first_s = 0.01
[[protocol.segments]]
type = "hold_stress"
stress_MPa = 50.0
duration_s = 20.0
samples = 12
[[protocol.segments]]
type = "temperature"
to_K = 430.0
hold_s = 5.0
samples = 4
[[protocol.segments]]
type = "ramp_strain"
rate_per_s = 1e-3
to_strain = 0.006
samples = 10
[[protocol.segments]]
type = "unload"
rate_per_s = 1e-3
samples = 5
[[protocol.segments]]
type = "hold_stress"
stress_MPa = 0.0
duration_s = 10.0
samples = 8
[simulation]
lattice = "sc"
L = 6
replicas = 2
seed = 5
{sim}
[output]
snapshot_times_s = {snaps}
'''


def cfg_of(sim="", snaps="[3.0, 30.0]"):
    return parse_config(tomllib.loads(BASE.format(sim=sim, snaps=snaps)))


def fresh(cfg, case=0, rep=0):
    setup = make_setup(cfg)
    root = np.random.SeedSequence(cfg.simulation.seed).spawn(setup.n_cases)[case]
    return Replica(setup, case, root.spawn(cfg.simulation.replicas)[rep])


def run_full(rep, chunk=2_000_000):
    while not rep.done:
        rep.advance(chunk)
    return rep


def test_program_runs_all_segment_kinds():
    rep = run_full(fresh(cfg_of()))
    tab = rep.table()
    i = {n: k for k, (n, _, _) in enumerate(TIME_SERIES)}
    seg = tab[:, i["segment"]]
    assert set(seg.astype(int)) == {0, 1, 2, 3, 4}
    # unloading stops at zero stress; recovery holds zero stress
    # (the recorded stress carries the fluctuation of the units in equilibrium, drawn at
    # each observation; the mean-field stress that drives the events is exactly zero)
    last_unload = tab[seg == 3][-1]
    nb, na = rep._n_elim()
    noise = rep.setup.material.E_unrelaxed_MPa * np.sqrt(rep.d_beta**2 * nb + rep.d_an**2 * na) / rep.N
    assert abs(last_unload[i["stress_MPa"]]) < 5 * noise
    assert np.allclose(tab[seg == 4][:, i["stress_MPa"]], 0.0)
    assert np.all(tab[seg >= 1][:, i["temperature_K"]] == 430.0)
    parts = tab[:, i["strain_elastic"]] + tab[:, i["strain_beta"]] + tab[:, i["strain_anelastic"]] \
        + tab[:, i["strain_plastic"]]
    assert np.allclose(parts, tab[:, i["strain"]], atol=1e-15)
    assert len(rep.snapshots) == 2


def test_same_seed_same_bytes_and_chunking():
    a = run_full(fresh(cfg_of()))
    b = run_full(fresh(cfg_of()))
    c = run_full(fresh(cfg_of()), chunk=37)       # many small kernel calls
    assert a.table().tobytes() == b.table().tobytes() == c.table().tobytes()
    assert a.K.rng.tobytes() == c.K.rng.tobytes()
    from mgmeso.kmc.ensemble import with_overrides
    d = run_full(fresh(with_overrides(cfg_of(), seed=6)))
    assert a.table().tobytes() != d.table().tobytes()


def test_snapshots_do_not_change_the_trajectory():
    a = run_full(fresh(cfg_of(snaps="[]")))
    b = run_full(fresh(cfg_of(snaps="[1.0, 2.0, 3.0, 25.0, 31.5]")))
    assert a.table().tobytes() == b.table().tobytes()
    assert len(b.snapshots) == 5
    assert [s["time_s"] for s in b.snapshots] == [1.0, 2.0, 3.0, 25.0, 31.5]


def test_resume_equals_uninterrupted():
    ref = run_full(fresh(cfg_of()))
    for stop_after in (1, 7, 25, 40):
        part = fresh(cfg_of())
        for _ in range(stop_after):
            part.advance(500)
        state = {k: np.array(v) for k, v in part.state_dict().items()}
        again = fresh(cfg_of())
        again.load_state_dict(state)
        run_full(again, chunk=500)
        assert again.table().tobytes() == ref.table().tobytes()
        for s1, s2 in zip(again.snapshots, ref.snapshots):
            for k in s1:
                assert np.array_equal(s1[k], s2[k])


def test_store_layout_units_and_xarray_dims(tmp_path):
    import warnings

    import mgmeso
    out = tmp_path / "run.zarr"
    cfg = cfg_of()
    res = run_ensemble(cfg, out, progress=False, workers=2)
    from mgmeso.cli.info_cmd import versions
    from mgmeso.kmc.store import write_run
    write_run(res, out, versions())
    with warnings.catch_warnings():
        warnings.simplefilter("error")            # consolidated: no warning on open
        ds = mgmeso.open_run(out)
        snaps = mgmeso.open_run(out, "snapshots")
    for name, unit, _ in TIME_SERIES:
        a = ds[name]
        assert a.attrs["units"] == unit
        if name != "time_s":
            assert a.dims == ("case", "replica", "sample") and a.shape[:2] == (1, 2)
    assert ds["time_s"].dims == ("case", "sample")
    # this program unloads: its later sample times depend on the replica
    assert ds["time_s"].attrs["replica_dependent_cases"] == ["program"]
    assert ds["replica_time_s"].dims == ("case", "replica", "sample")
    assert list(ds["case"].values) == ["program"]
    assert ds["unit_strain_beta"].dims == ("case", "replica")
    assert snaps["kind"].shape == (1, 2, 2, 216) and snaps["x"].dims == ("site",)
    assert zarr.open_group(str(out / "snapshots"), mode="r")["kind"].chunks == (1, 1, 1, 216)
    attrs = dict(ds.attrs)
    assert attrs["seed"] == 5 and attrs["config"]["simulation"]["L"] == 6
    assert "numba" in attrs["versions"] and attrs["schema_version"] == 2
    data = read_run(out)
    m, se = data.mean("strain"), data.se("strain")
    assert m.shape == se.shape and np.all(np.isfinite(m[0][np.isfinite(data.times()[0])]))
    # thread count does not change results
    res1 = run_ensemble(cfg, None, progress=False, workers=1)
    assert np.array_equal(res1.replicas[0][1].table(), res.replicas[0][1].table())


def test_cli_run_export_plot_and_errors(tmp_path, capsys):
    cfgfile = tmp_path / "c.toml"
    cfgfile.write_text(BASE.format(sim="", snaps="[]"))
    out = tmp_path / "r.zarr"
    assert main(["run", str(cfgfile), "--out", str(out), "--quiet"]) == 0
    assert not (tmp_path / "r.zarr.ckpt").exists()
    assert main(["run", str(cfgfile), "--out", str(out), "--quiet"]) == 2
    assert "already exists" in capsys.readouterr().err
    csv = tmp_path / "r.csv"
    assert main(["export", str(out), "--csv", str(csv)]) == 0
    header = csv.read_text().splitlines()[0].split(",")
    assert header[:8] == ["time_s", "stress_MPa", "strain", "strain_elastic", "strain_beta",
                          "strain_anelastic", "strain_plastic", "temperature_K"]
    assert "strain_se" in header
    assert main(["plot", str(out)]) == 0
    assert (tmp_path / "r.png").stat().st_size > 10000
    assert main(["export", str(tmp_path / "nope.zarr"), "--csv", str(csv)]) == 2
    assert main(["run", str(cfgfile), "--out", str(tmp_path / "x.zarr"), "--replicas", "0"]) == 2
    assert main(["run", str(cfgfile), "--out", str(tmp_path / "y.zarr"), "--resume"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "no checkpoint" in err


def test_stepped_relaxation_runs_in_the_kmc_with_a_second_run(tmp_path, capsys):
    """[Duan2022]'s stepped relaxation (with aging and a cooled second run) runs through the CLI;
    delta per step comes out for both runs, and an unknown [defects] key is a clean error.
    """
    from mgmeso.config import load_config
    from mgmeso.kmc.aging import STEP_COLUMNS, stepped_delta
    from mgmeso.kmc.ensemble import run_ensemble
    p = tmp_path / "s.toml"
    text = ('material = "la60ni15al25"\n[protocol]\nkind = "stepped_relaxation"\nT_start_K = 440.0\n'
            'T_end_K = 446.0\nhold_s = 20.0\nsecond_run_cooling_K_per_min = 6.0\n'
            '[simulation]\nL = 5\nreplicas = 1\n[defects]\nenabled = true\nfictive_temperature_K = 470.0\n')
    p.write_text(text)
    assert main(["run", str(p), "--out", str(tmp_path / "s.zarr")]) == 0
    res = run_ensemble(load_config(p), progress=False)
    d = stepped_delta(res.replicas[0][0].table(), res.setup.programs[0])
    assert d.shape == (6, len(STEP_COLUMNS))
    assert list(d[:, 0]) == [1, 1, 1, 2, 2, 2]
    assert np.allclose(d[:, 1], [440, 443, 446] * 2, atol=1e-6)
    assert np.all(np.isfinite(d)) and np.all(d[:, 2] > 0)     # sigma_0 > 0 at every step
    p.write_text(text + "yield = 1.0\n")
    assert main(["run", str(p), "--out", str(tmp_path / "t.zarr")]) == 2
    assert "[defects]" in capsys.readouterr().err


KILL_CFG = '''
material = "la60ni15al25"
[protocol]
kind = "creep"
temperature_K = 440.0
stress_MPa = 25.0
creep_time_s = 4.0
t_first_s = 1e-4
points_per_decade = 20
[simulation]
lattice = "sc"
L = 12
replicas = 2
seed = 99
plasticity = "parallel"
coalescence = false
footprint_max_sites = 1
elimination_factor = 0.0
checkpoint_every_s = 1.0
'''


def test_kill_and_resume_gives_the_uninterrupted_result(tmp_path):
    """SIGKILL a run after its first checkpoint, resume it: same bytes as an uninterrupted run."""
    cfgfile = tmp_path / "k.toml"
    cfgfile.write_text(KILL_CFG)
    ref = tmp_path / "ref.zarr"
    assert main(["run", str(cfgfile), "--out", str(ref), "--quiet", "--workers", "1"]) == 0
    out = tmp_path / "k.zarr"
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "mgmeso", "run", str(cfgfile), "--out", str(out),
                             "--quiet", "--workers", "1"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ckpt = tmp_path / "k.zarr.ckpt"
    deadline = time.time() + 120
    while time.time() < deadline and not list(ckpt.glob("case*_rep*.npz")):
        time.sleep(0.2)
    time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not out.exists(), "the run finished before it could be killed; make it longer"
    assert list(ckpt.glob("*.npz")), "no checkpoint was written before the kill"
    assert json.loads((ckpt / "run.json").read_text())["config_hash"]
    assert main(["run", str(cfgfile), "--out", str(out), "--resume", "--quiet", "--workers", "1"]) == 0
    a, b = read_run(ref), read_run(out)
    for name, _, _ in TIME_SERIES:
        assert np.array_equal(a.series(name), b.series(name), equal_nan=True), name
