"""Sweeps: axes grammar, expansion, validation, store, collection, CLI (in-process, serial)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest

from mgmeso.cli import main
from mgmeso.errors import ConfigError
from mgmeso.sweep import load_sweep, open_sweep, parse_sweep, run_sweep
from mgmeso.sweep.axes import get_dotted, parse_axes, replica_seed, set_dotted
from mgmeso.sweep.executors import SerialExecutor

REPO = Path(__file__).resolve().parents[1]

BASE = '''
[base]
material = "la60ni15al25"
[base.protocol]
kind = "creep"
temperature_K = 430.0
stress_MPa = 25.0
creep_time_s = 20.0
recovery_time_s = 20.0
t_first_s = 1.0
points_per_decade = 3
[base.simulation]
L = 3
replicas = 3
plasticity = "parallel"
coalescence = false
footprint_max_sites = 1
'''


def sweep_doc(axes: str, extra: str = "") -> dict:
    return tomllib.loads(extra + BASE + axes)


def axes_of(text: str):
    errors: list[str] = []
    axes = parse_axes(tomllib.loads(text).get("axis"), errors)
    return axes, errors


# ---------------------------------------------------------------------------------------------
# axes

def test_axis_forms():
    axes, errors = axes_of('''
[[axis]]
key = "protocol.temperature_K"
values = [400.0, 430.0]
[[axis]]
key = "simulation.L"
range = {start = 4, stop = 12, step = 4}
[[axis]]
key = "protocol.stress_MPa"
range = {start = 0.1, stop = 0.3, step = 0.1}
[[axis]]
key = "protocol.creep_time_s"
logrange = {start = 1.0, stop = 1000.0, per_decade = 1}
[[axis]]
name = "rule"
labels = ["mean-field", "series"]
set = {"simulation.plasticity" = ["parallel", "series"], "simulation.coalescence" = [false, true]}
[[axis]]
replicas = 3
''')
    assert errors == []
    T, L, s, t, rule, rep = axes
    assert T.name == "temperature_K" and T.labels == (400.0, 430.0)
    assert L.labels == (4, 8, 12) and all(isinstance(v, int) for v in L.labels)
    assert s.labels == (0.1, 0.2, 0.3)           # no 0.30000000000000004
    assert t.labels == (1.0, 10.0, 100.0, 1000.0)
    assert rule.keys == ("simulation.plasticity", "simulation.coalescence")
    assert rule.values == (("parallel", False), ("series", True))
    assert rule.labels == ("mean-field", "series")
    assert rep.name == "replica" and rep.replicas and rep.labels == (0, 1, 2)


def test_axis_errors_are_all_reported():
    _, errors = axes_of('''
[[axis]]
key = "protocol.temperature_K"
[[axis]]
key = "protocol.stress_MPa"
range = {start = 10, stop = 5, step = 1}
[[axis]]
key = "protocol.t_first_s"
logrange = {start = -1.0, stop = 10.0, num = 3}
[[axis]]
name = "rule"
set = {"simulation.plasticity" = ["parallel", "series"], "simulation.coalescence" = [false]}
[[axis]]
replicas = 0
[[axis]]
key = "simulation.L"
values = [4, 4]
[[axis]]
kye = "x"
values = [1]
''')
    text = "\n".join(errors)
    assert "#1: give exactly one of values" in text
    assert "#2 range" in text and "stop >= start" in text
    assert "#3 logrange" in text and "0 < start" in text
    assert "#4 set" in text and "equal lengths" in text
    assert "#5 replicas = 0" in text
    assert "#6 (simulation.L): values must be distinct" in text
    assert "#7: unknown key 'kye'; did you mean 'key'?" in text


def test_dotted_keys():
    doc = {"material": "la60ni15al25", "protocol": {"segments": [{"a": 1}, {"a": 2}]}}
    assert set_dotted(doc, "material.chi_g", 0.3) is None
    assert doc["material"] == {"base": "la60ni15al25", "chi_g": 0.3}
    assert set_dotted(doc, "protocol.segments.2.a", 5) is None
    assert doc["protocol"]["segments"][1]["a"] == 5
    assert get_dotted(doc, "protocol.segments.2.a") == 5
    assert "item number from 1 to 2" in set_dotted(doc, "protocol.segments.3.a", 1)
    assert "is a value, not a table" in set_dotted(doc, "protocol.segments.1.a.b", 1)
    assert set_dotted(doc, "simulation.L", 8) is None and doc["simulation"] == {"L": 8}


def test_replica_seeds_are_distinct_and_reproducible():
    seeds = [replica_seed(20261121, i) for i in range(100)]
    assert len(set(seeds)) == 100
    assert all(0 <= s < 2**63 for s in seeds)
    assert seeds == [replica_seed(20261121, i) for i in range(100)]
    assert replica_seed(1, 0) != replica_seed(2, 0)


# ---------------------------------------------------------------------------------------------
# expansion and validation

def test_product_expansion_order_and_settings():
    sw = parse_sweep(sweep_doc('''
[[axis]]
key = "protocol.temperature_K"
values = [420.0, 430.0]
[[axis]]
key = "protocol.stress_MPa"
values = [10.0, 20.0, 30.0]
[[axis]]
replicas = 2
'''), mode="theory")
    assert sw.dims == ("temperature_K", "stress_MPa", "replica") and sw.shape == (2, 3, 2)
    assert len(sw.runs) == 12 and sw.runs[7].id == "r00007"
    r = sw.runs[7]                                  # C order: (1, 0, 1)
    assert r.coords == {"temperature_K": 430.0, "stress_MPa": 10.0, "replica": 1}
    assert r.cfg.protocol.temperature_K == 430.0 and r.cfg.protocol.stress_MPa == 10.0
    assert r.cfg.simulation.seed == replica_seed(20261121, 1)
    # replica i has the same seed at every point of the other axes (common random numbers)
    assert {x.cfg.simulation.seed for x in sw.runs if x.coords["replica"] == 1} == \
        {replica_seed(20261121, 1)}
    assert sw.sweep_hash() == parse_sweep(sweep_doc('''
[[axis]]
key = "protocol.temperature_K"
values = [420.0, 430.0]
[[axis]]
key = "protocol.stress_MPa"
values = [10.0, 20.0, 30.0]
[[axis]]
replicas = 2
'''), mode="theory").sweep_hash()


def test_zip_expansion():
    sw = parse_sweep(sweep_doc('''
[[axis]]
key = "protocol.temperature_K"
values = [420.0, 430.0]
[[axis]]
key = "protocol.stress_MPa"
values = [10.0, 20.0]
''', '[sweep]\ncombine = "zip"\n'), mode="theory")
    assert sw.dims == ("point",) and sw.shape == (2,)
    assert [(r.cfg.protocol.temperature_K, r.cfg.protocol.stress_MPa) for r in sw.runs] == \
        [(420.0, 10.0), (430.0, 20.0)]
    with pytest.raises(ConfigError, match="same length"):
        parse_sweep(sweep_doc('''
[[axis]]
key = "protocol.temperature_K"
values = [420.0, 430.0]
[[axis]]
key = "protocol.stress_MPa"
values = [10.0]
''', '[sweep]\ncombine = "zip"\n'))


def test_every_invalid_run_is_reported_with_its_axis_values():
    with pytest.raises(ConfigError) as exc:
        parse_sweep(sweep_doc('''
[[axis]]
key = "protocol.stress_MPa"
values = [25.0, 30000.0, 40000.0]
[[axis]]
key = "simulation.L"
values = [2, 4]
'''))
    text = exc.value.format()
    # stress above sigma1 in two stress values, L below 3 in three runs: all listed together
    assert "stress_MPa = 30000" in text and "stress_MPa = 40000" in text and "sigma1_MPa" in text
    assert "3 runs: r00000 (stress_MPa = 25, L = 2)" in text and "L = 2" in text
    assert "[simulation] L = 2" in text
    # the top-level checks of the sweep file itself
    with pytest.raises(ConfigError) as exc:
        parse_sweep(tomllib.loads('title = 3\n[sweep]\ncombin = "zip"\nretries = -1\n'
                                  '[[axis]]\nname = "case"\nkey = "simulation.L"\nvalues = [4]\n'))
    text = exc.value.format()
    assert "title = 3" in text and "did you mean 'combine'" in text and "retries = -1" in text
    assert "no base config" in text and "reserved" in text


def test_unknown_config_key_in_an_axis_is_named():
    with pytest.raises(ConfigError, match="temprature_K"):
        parse_sweep(sweep_doc('[[axis]]\nkey = "protocol.temprature_K"\nvalues = [1.0]\n'))


def test_base_file_with_inline_overrides(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text(f'''
[sweep]
base = "{REPO / 'configs' / 'la60_kmc_creep_430K_meanfield.toml'}"
[base.simulation]
L = 4
[[axis]]
key = "material.chi_g"
values = [0.3, 0.35]
''')
    sw = load_sweep(p)
    assert [r.cfg.material.chi_g for r in sw.runs] == [0.3, 0.35]
    assert sw.runs[0].cfg.simulation.L == 4 and sw.runs[0].cfg.simulation.replicas == 64
    assert sw.runs[0].cfg.protocol.stress_MPa == 25.0


# ---------------------------------------------------------------------------------------------
# running, store, collection

@pytest.fixture(scope="module")
def tiny_store(tmp_path_factory):
    """Four tiny kMC runs (2 temperatures x 2 replicas) and their theory, run serially."""
    tmp = tmp_path_factory.mktemp("sweep")
    p = tmp / "tiny.toml"
    p.write_text('title = "tiny"\n' + BASE + '''
[[axis]]
key = "protocol.temperature_K"
values = [430.0, 445.0]
[[axis]]
replicas = 2
''')
    store = tmp / "tiny.zarr"
    sw = load_sweep(p)
    rep = run_sweep(sw, store, SerialExecutor(), quiet=True)
    assert rep.complete and rep.n_failed == 0
    th = load_sweep(p, mode="theory")
    rep = run_sweep(th, store, SerialExecutor(), mode="theory", quiet=True)
    assert rep.complete
    return p, store, sw


def test_collected_dataset(tiny_store):
    _, store, sw = tiny_store
    ds = open_sweep(store)
    assert dict(ds.sizes) == {"temperature_K": 2, "replica": 2, "case": 1, "segment": 2}
    assert list(ds.temperature_K.values) == [430.0, 445.0]
    assert (ds.status == "done").all() and (ds.theory_status == "done").all()
    assert ds.strain_end.attrs["units"] == "1"
    # the collected value is the replica mean of the run's own store, at the segment end
    from mgmeso.kmc.store import read_run
    run = read_run(store / "runs" / "r00003")
    eps = run.series("strain_expected")[0]                 # (replica, sample)
    seg = run.series("segment")[0]
    last = [np.flatnonzero(seg[r] == 0)[-1] for r in range(eps.shape[0])]
    vals = np.array([eps[r, i] for r, i in enumerate(last)])
    got = ds.strain_end.sel(temperature_K=445.0, replica=1, case=0, segment=1).item()
    assert got == pytest.approx(vals.mean(), rel=1e-12)
    assert ds.strain_end_se.sel(temperature_K=445.0, replica=1, case=0, segment=1).item() == \
        pytest.approx(vals.std(ddof=1) / np.sqrt(vals.size), rel=1e-9)
    # theory: the analytical creep strain at the end of creep equals the model's own summary
    from mgmeso.theory import evaluate
    summ = evaluate(sw.runs[2].cfg).summary
    th = ds.strain_end_theory.sel(temperature_K=445.0, replica=0, case=0, segment=1).item()
    assert th == pytest.approx(summ["strain_end_of_creep"], rel=1e-12)
    # both replicas share the theory; the theory differs between temperatures
    assert np.array_equal(ds.strain_end_theory.isel(replica=0).values,
                          ds.strain_end_theory.isel(replica=1).values)
    assert ds.seed.sel(replica=1).values.tolist() == [replica_seed(20261121, 1)] * 2
    assert (ds.events_total > 0).all()


def test_collect_cli_and_csv(tiny_store, tmp_path, capsys):
    _, store, _ = tiny_store
    csv = tmp_path / "runs.csv"
    assert main(["sweep", "--collect", str(store), "--csv", str(csv)]) == 0
    out = capsys.readouterr().out
    assert "kMC runs: 4 (4 done)" in out and "theory runs: 4 (4 done)" in out
    import csv as csvlib
    with open(csv, newline="") as fh:
        rows = list(csvlib.DictReader(fh))
    assert [r["run_id"] for r in rows] == ["r00000", "r00001", "r00002", "r00003"]
    assert [float(r["temperature_K"]) for r in rows] == [430.0, 430.0, 445.0, 445.0]
    assert "strain_end[segment=1]" in rows[0] and "strain_end_theory[segment=2]" in rows[0]
    ds = open_sweep(store)
    assert float(rows[3]["strain_end[segment=1]"]) == pytest.approx(
        ds.strain_end.sel(temperature_K=445.0, replica=1, segment=1).item(), rel=1e-12)
    assert main(["sweep", "--collect", str(store), "--csv", str(csv)]) == 2     # no overwrite


def test_collect_refuses_a_damaged_run_store(tiny_store, tmp_path, capsys):
    """The collector reads each run through the run-store reader: a flipped byte in one run's
    chunk stops the collection with exit 2 naming that run store, and no CSV is written.
    """
    import shutil
    _, store, _ = tiny_store
    copy = tmp_path / "copy.zarr"
    shutil.copytree(store, copy)
    chunk = sorted(p for p in (copy / "runs" / "r00002" / "strain" / "c").rglob("*")
                   if p.is_file())[0]
    b = bytearray(chunk.read_bytes())
    b[-3] ^= 0xFF
    chunk.write_bytes(bytes(b))
    csv = tmp_path / "runs.csv"
    capsys.readouterr()
    assert main(["sweep", "--collect", str(copy), "--csv", str(csv)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert str(copy / "runs" / "r00002") in err and "checksum" in err, err
    assert not csv.exists()


def test_store_refuses_overwrite_and_a_different_sweep(tiny_store, tmp_path, capsys):
    p, store, _ = tiny_store
    assert main(["sweep", str(p), "--out", str(store), "--executor", "serial"]) == 2
    assert "--resume" in capsys.readouterr().err
    # resuming a finished sweep runs nothing and keeps everything
    assert main(["sweep", str(p), "--out", str(store), "--executor", "serial", "--resume"]) == 0
    assert "4 done (4 kept from before, 0 in this session)" in capsys.readouterr().out
    q = tmp_path / "other.toml"
    q.write_text(p.read_text().replace("445.0", "440.0"))
    assert main(["sweep", str(q), "--out", str(store), "--executor", "serial", "--resume"]) == 2
    assert "different sweep (2 of 4 run configs differ" in capsys.readouterr().err
    other = tmp_path / "notastore"
    other.mkdir()
    (other / "x").write_text("x")
    assert main(["sweep", str(p), "--out", str(other), "--executor", "serial",
                 "--overwrite"]) == 2
    assert "not an mgmeso sweep store" in capsys.readouterr().err
    assert main(["sweep", "--collect", str(other)]) == 2


def test_cli_check_lists_runs_and_bad_files_exit_2(tmp_path, capsys):
    p = tmp_path / "s.toml"
    p.write_text(BASE + '[[axis]]\nkey = "protocol.stress_MPa"\nvalues = [10.0, 30000.0]\n')
    assert main(["sweep", str(p), "--check"]) == 2
    err = capsys.readouterr().err
    assert "run r00001 (stress_MPa = 30000)" in err and "Traceback" not in err
    p.write_text(BASE + '[[axis]]\nkey = "protocol.stress_MPa"\nvalues = [10.0, 20.0]\n')
    assert main(["sweep", str(p), "--check"]) == 0
    assert "r00001: stress_MPa = 20" in capsys.readouterr().out
    assert main(["sweep", str(p), "--workers", "0"]) == 2
    assert main(["sweep"]) == 2
    assert main(["sweep", str(p), "--collect", "x"]) == 2


def test_failing_run_serial_is_retried_and_reported(tmp_path, monkeypatch, capsys):
    """The local executors retry by repeated attempts; the failure is recorded per run."""
    from mgmeso.sweep import tasks

    p = tmp_path / "s.toml"
    p.write_text(BASE + '[sweep]\nretries = 1\n[[axis]]\nreplicas = 3\n')
    calls: dict[str, int] = {}
    real = tasks._run_engine

    def engine(cfg, base, resume, threads):
        rid = Path(base).name
        calls[rid] = calls.get(rid, 0) + 1
        if rid == "r00001":
            raise ValueError("boom")
        return real(cfg, base, resume, threads)

    monkeypatch.setattr(tasks, "_run_engine", engine)
    store = tmp_path / "s.zarr"
    assert main(["sweep", str(p), "--out", str(store), "--executor", "serial"]) == 1
    out = capsys.readouterr()
    assert calls == {"r00000": 1, "r00001": 2, "r00002": 1}
    assert "3 kMC runs: 2 done" in out.out and "1 failed" in out.out
    assert "FAILED r00001 [replica = 1]: ValueError: boom" in out.out
    ds = open_sweep(store)
    assert ds.status.values.tolist() == ["done", "failed", "done"]
    assert ds.error.values[1] == "kmc: ValueError: boom"


def test_without_dask_local_processes_are_used_and_said(monkeypatch):
    import mgmeso.sweep.executors as ex
    from mgmeso.errors import UserError

    monkeypatch.setattr(ex, "have_dask", lambda: False)
    executor, note = ex.make_executor("auto", workers=1)
    try:
        assert isinstance(executor, ex.ProcessExecutor)
        assert "Dask is not installed (pip install mgmeso[dask])" in note
    finally:
        executor.close()
    with pytest.raises(UserError, match="Dask is not installed"):
        ex.make_executor("auto", scheduler="tcp://127.0.0.1:1")
