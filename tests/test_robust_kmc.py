"""kMC runs refused before they allocate (memory, site count, temperature) and Ctrl-C handling."""

import os
import signal
import subprocess
import sys
import time
import tracemalloc

import numpy as np
import pytest

from mgmeso.cli import main
from mgmeso.config import limits, parse_config

from .conftest import REPO

ENV = {**os.environ, "PYTHONPATH": str(REPO)}


def creep_doc(**sim):
    return {"material": "la60ni15al25",
            "protocol": {"kind": "creep", "temperature_K": 430.0, "stress_MPa": 25.0,
                         "creep_time_s": 10.0, "recovery_time_s": 10.0, "points_per_decade": 2},
            "simulation": {"L": 4, "replicas": 1, **sim}}


def write(tmp_path, doc_text, name="c.toml"):
    p = tmp_path / name
    p.write_text(doc_text)
    return p


TINY = '''material = "la60ni15al25"
[protocol]
kind = "creep"
temperature_K = {T}
stress_MPa = 25.0
creep_time_s = 10.0
recovery_time_s = 10.0
points_per_decade = 2
[simulation]
L = {L}
replicas = {R}
'''


@pytest.mark.parametrize("lattice, L, sim", [("sc", 40, {}), ("fcc", 25, {}),
                                             ("square", 250, {}),
                                             ("sc", 40, {"heterogeneity": "local",
                                                         "hierarchy_beta_time": "neighbourhood"}),
                                             ("bcc", 32, {"chi_radius": 2}),
                                             ("sc", 40, {"defects": True})])
def test_memory_estimate_matches_a_real_replica(lattice, L, sim):
    """The estimate follows the engine: kept bytes within 2 %, construction peak covered (up to
    0.5 MB of fixed overhead: modules imported on first use).
    """
    from mgmeso.kmc.lattice import make_lattice
    from mgmeso.kmc.replica import Replica
    from mgmeso.kmc.setup import make_setup

    sim = dict(sim)
    defects = sim.pop("defects", False)
    doc = creep_doc(lattice=lattice, L=L, **sim)
    if defects:
        doc["defects"] = {"enabled": True}
    cfg = parse_config(doc)
    setup = make_setup(cfg)
    lat = make_lattice(lattice, L)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        rep = Replica(setup, 0, np.random.SeedSequence(3))
        kept, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    est = limits.estimate_memory(lat.n_sites, lat.z, 1, 1, 0, dim=lat.dim,
                                 hierarchy_neighbourhood="hierarchy_beta_time" in sim,
                                 chi_radius=sim.get("chi_radius", 1), defects=defects)
    measured = kept - before
    assert rep.N == lat.n_sites
    assert 0.98 * measured <= est.per_replica_bytes <= 1.05 * measured
    assert est.per_replica_bytes + est.transient_bytes >= peak - before - 500_000


def test_too_many_sites_for_int32_and_memory(tmp_path, capsys, monkeypatch):
    p = write(tmp_path, TINY.format(T=430.0, L=4096, R=1))
    assert main(["run", str(p), "--out", str(tmp_path / "r.zarr")]) == 2
    err = capsys.readouterr().err
    assert "[simulation] L = 4096" in err and "68,719,476,736 sites" in err and "32-bit" in err
    assert "largest L for sc is 1290" in err
    monkeypatch.setattr(limits, "available_memory_bytes", lambda: 2 * 10**9)
    p = write(tmp_path, TINY.format(T=430.0, L=400, R=4))
    assert main(["run", str(p), "--out", str(tmp_path / "r.zarr")]) == 2
    err = capsys.readouterr().err
    assert "[simulation] L = 400, replicas = 4: the run needs about" in err
    assert "but only 2 GB of memory are available" in err and "Traceback" not in err
    assert not (tmp_path / "r.zarr").exists() and not (tmp_path / "r.zarr.ckpt").exists()


def test_kmc_temperature_floor(tmp_path, capsys):
    floor = limits.kmc_temperature_floor(83.12e3, 1.86e-13)
    assert 13 < floor < 15
    assert np.log(1.86e-13) + 83.12e3 / (8.314462618 * floor) == pytest.approx(np.log(1e300))
    p = write(tmp_path, TINY.format(T=1e-12, L=4, R=1))
    assert main(["run", str(p), "--out", str(tmp_path / "r.zarr")]) == 2
    err = capsys.readouterr().err
    assert "[protocol] temperature_K = 1e-12 K: the kMC needs temperatures of at least 13.9 K" in err
    assert "'mgmeso theory'" in err
    # just above the floor the preflight passes (the run itself is tested elsewhere)
    limits.check_kmc(parse_config({**creep_doc(), "protocol": {
        **creep_doc()["protocol"], "temperature_K": floor * 1.01}}))


def test_stepped_and_program_temperatures_named(tmp_path):
    from mgmeso.errors import ConfigError

    doc = {"material": "la60ni15al25",
           "protocol": {"kind": "program", "temperature_K": 300.0, "segments": [
               {"type": "temperature", "to_K": 5.0, "rate_K_per_min": 10.0},
               {"type": "hold_stress", "stress_MPa": 10.0, "duration_s": 10.0}]},
           "simulation": {"L": 4, "replicas": 1}}
    with pytest.raises(ConfigError) as exc:
        limits.check_kmc(parse_config(doc))
    assert "[[protocol.segments]] #1 to_K = 5 K" in str(exc.value)


def _sigint_after(args, seconds):
    p = subprocess.Popen([sys.executable, "-m", "mgmeso", *args], env=ENV,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(seconds)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=600)
    return p.returncode, out, err


def _wait_for(path, timeout=300.0):
    t0 = time.time()
    while not path.exists() and time.time() - t0 < timeout:
        time.sleep(0.05)
    return path.exists()


def test_sigint_early_is_clean(tmp_path):
    """Ctrl-C while Python is still importing: exit 130, one line, nothing written."""
    cfg = write(tmp_path, TINY.format(T=430.0, L=4, R=1))
    out = tmp_path / "r.zarr"
    rc, _, err = _sigint_after(["run", str(cfg), "--out", str(out), "--quiet"], 0.6)
    assert rc in (130, 0), err          # 0: the machine was fast enough to finish
    assert "Traceback" not in err
    if rc == 130:
        assert "interrupted" in err and not out.exists()


@pytest.mark.slow
def test_sigint_at_many_moments_then_resume(tmp_path):
    """Ctrl-C at several moments of a run: always exit 130 without a traceback; where the
    checkpoints exist, --resume gives the same time series as an uninterrupted run.
    """
    from mgmeso.kmc.store import read_run

    cfg = write(tmp_path, TINY.format(T=430.0, L=6, R=2).replace("creep_time_s = 10.0",
                                                                  "creep_time_s = 300.0"))
    ref = tmp_path / "ref.zarr"
    assert main(["run", str(cfg), "--out", str(ref), "--quiet"]) == 0
    expected = read_run(ref).series("strain")
    for i, delay in enumerate((0.3, 1.0, 2.0, 4.0)):
        out = tmp_path / f"r{i}.zarr"
        rc, _, err = _sigint_after(["run", str(cfg), "--out", str(out), "--quiet"], delay)
        assert "Traceback" not in err
        if rc == 0:
            continue
        assert rc == 130 and "interrupted" in err
        if (tmp_path / f"r{i}.zarr.ckpt" / "run.json").exists():
            assert "--resume" in err
            assert main(["run", str(cfg), "--out", str(out), "--resume", "--quiet"]) == 0
            assert np.array_equal(read_run(out).series("strain"), expected, equal_nan=True)
        else:
            assert not out.exists()


@pytest.fixture(scope="module")
def tiny_store(tmp_path_factory):
    d = tmp_path_factory.mktemp("store")
    cfg = d / "c.toml"
    cfg.write_text(TINY.format(T=430.0, L=4, R=1))
    assert main(["run", str(cfg), "--out", str(d / "r.zarr"), "--quiet"]) == 0
    return cfg, d / "r.zarr"


def test_store_paths_of_export_plot_and_run(tiny_store, tmp_path, capsys):
    cfg, store = tiny_store
    # export --csv pointing at the store itself, plot --out at a directory: refused, untouched
    assert main(["export", str(store), "--csv", str(store), "--overwrite"]) == 2
    assert "--csv" in capsys.readouterr().err and (store / "zarr.json").is_file()
    assert main(["plot", str(store), "--out", str(tmp_path), "--overwrite"]) == 2
    assert "is a directory" in capsys.readouterr().err
    # export into an existing file names --csv and suggests --overwrite (export has no --out)
    f = tmp_path / "existing.csv"
    f.write_text("x\n")
    assert main(["export", str(store), "--csv", str(f)]) == 2
    err = capsys.readouterr().err
    assert "choose another --csv" in err and "--out" not in err
    assert main(["export", str(store), "--csv", str(f), "--overwrite"]) == 0
    assert f.read_text().startswith("time_s")
    # a store mgmeso wrote is replaced with --overwrite, leaving no .old or .ckpt behind
    assert main(["run", str(cfg), "--out", str(store), "--quiet", "--overwrite"]) == 0
    assert sorted(p.name for p in store.parent.iterdir()) == ["c.toml", "r.zarr"]
    capsys.readouterr()
