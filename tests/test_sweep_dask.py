"""Sweeps on a local Dask cluster: SIGKILL of the driver and --resume; failing runs.

The kill test runs the CLI in a subprocess on a two-worker LocalCluster, kills
the driver with SIGKILL once some runs are finished, resumes, and compares the
collected dataset (and every array of every run store) with an uninterrupted
sweep of the same file, exactly. The default version uses six runs of about a
second; the slow one uses longer runs, so that interrupted runs continue from
engine checkpoints, and the local-process executor as well.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("distributed")
xr = pytest.importorskip("xarray")

from mgmeso.cli import main  # noqa: E402  (after the importorskips)
from mgmeso.kmc.reader import open_run_zarr  # noqa: E402
from mgmeso.sweep import load_sweep, open_sweep, run_sweep  # noqa: E402
from mgmeso.sweep.executors import SerialExecutor  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def sweep_file(tmp: Path, L: int, temps: list[float], replicas: int, creep_s: float = 330.0) -> Path:
    p = tmp / "kill.toml"
    p.write_text(sweep_file_text(L, temps, replicas, creep_s))
    return p


def sweep_file_text(L: int, temps: list[float], replicas: int, creep_s: float) -> str:
    return f'''
title = "kill and resume"
[sweep]
retries = 0
[base]
material = "la60ni15al25"
[base.protocol]
kind = "creep"
temperature_K = 400.0
stress_MPa = 25.0
creep_time_s = {creep_s}
recovery_time_s = 1000.0
t_first_s = 1.0
points_per_decade = 4
[base.simulation]
L = {L}
replicas = 2
plasticity = "parallel"
coalescence = false
footprint_max_sites = 1
checkpoint_every_s = 1.0
[[axis]]
key = "protocol.temperature_K"
values = {temps}
[[axis]]
replicas = {replicas}
'''


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _done(store: Path) -> int:
    return len(list((store / "runs").glob("r*/zarr.json")))


def _checkpoints(store: Path) -> int:
    return len(list((store / ".checkpoints").glob("r*.ckpt/case*.npz")))


def _kill_midway(cmd: list[str], store: Path, n_runs: int, need_checkpoint: bool,
                 timeout_s: float = 600.0) -> None:
    """Start the driver, SIGKILL it once >= 2 runs are done and >= 3 are not (and, if asked,
    an unfinished run has a checkpoint).
    """
    proc = subprocess.Popen(cmd, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            cwd=store.parent)
    t0 = time.time()
    try:
        while True:
            if proc.poll() is not None:
                out = proc.stdout.read().decode()
                pytest.fail(f"the sweep finished before it could be killed:\n{out}")
            done = _done(store)
            if 2 <= done <= n_runs - 3 and (not need_checkpoint or _checkpoints(store) > 0):
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                break
            if time.time() - t0 > timeout_s:
                proc.kill()
                pytest.fail("the sweep made no progress")
            time.sleep(0.02)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()


def _assert_stores_equal(a: Path, b: Path, ids: list[str]) -> None:
    """Every array of every run group of two sweep stores is equal, bit for bit."""
    for rid in ids:
        # through the run-store reader: each run store is intact as well as equal
        ga, gb = open_run_zarr(a / "runs" / rid), open_run_zarr(b / "runs" / rid)
        names_a = sorted(p for p, _ in ga.arrays())
        assert names_a == sorted(p for p, _ in gb.arrays())
        for name in names_a:
            xa, xb = np.asarray(ga[name][...]), np.asarray(gb[name][...])
            assert xa.dtype == xb.dtype and xa.shape == xb.shape, (rid, name)
            if xa.dtype.kind in "OUT":      # labels (strings)
                assert np.array_equal(xa, xb), (rid, name)
            else:
                assert np.array_equal(np.atleast_1d(xa).view(np.uint8),
                                      np.atleast_1d(xb).view(np.uint8)), (rid, name)


def _kill_resume(tmp_path: Path, sweep_toml: Path, executor_args: list[str],
                 need_checkpoint: bool, reference=None) -> str:
    store = tmp_path / "killed.zarr"
    sweep = load_sweep(sweep_toml)
    n = len(sweep.runs)
    cmd = [sys.executable, "-m", "mgmeso", "sweep", str(sweep_toml), "--out", str(store),
           *executor_args]
    t0 = time.time()
    _kill_midway(cmd, store, n, need_checkpoint)
    print(f"killed after {time.time() - t0:.1f} s")
    done_at_kill = _done(store)
    assert 2 <= done_at_kill < n     # one more may have finished between the poll and the kill
    res = subprocess.run([*cmd, "--resume"], env=_env(), capture_output=True, text=True,
                         timeout=900, cwd=tmp_path, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    print(f"resumed after {time.time() - t0:.1f} s")
    assert f"{n} done ({done_at_kill}" in res.stdout or f"{n} done (" in res.stdout
    # the reference: the same sweep, uninterrupted, in this process
    ref = tmp_path / "reference.zarr"
    report = run_sweep(sweep, ref, reference or SerialExecutor(), quiet=True)
    assert report.n_failed == 0 and report.complete
    print(f"reference after {time.time() - t0:.1f} s")
    a, b = open_sweep(store), open_sweep(ref)
    print(f"collected after {time.time() - t0:.1f} s")
    assert (a.status == "done").all()
    xr.testing.assert_identical(a, b)
    _assert_stores_equal(store, ref, [r.id for r in sweep.runs])
    return res.stdout + res.stderr


def test_kill_driver_and_resume_on_local_dask(tmp_path):
    """Six short runs on a two-worker LocalCluster (started here, reached by its address, so
    that it outlives the driver as a remote cluster would); SIGKILL of the driver while runs
    are in flight; --resume; the dataset equals an uninterrupted sweep's, bit for bit.
    """
    from distributed import Client, LocalCluster

    from mgmeso.sweep.executors import DaskExecutor

    toml = sweep_file(tmp_path, L=4, temps=[430.0, 445.0, 390.0], replicas=2)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        out = _kill_resume(tmp_path, toml, ["--scheduler", cluster.scheduler_address],
                           need_checkpoint=False, reference=DaskExecutor(client=client))
    assert "(2 workers, 2 threads)" in out


@pytest.mark.slow
def test_kill_driver_and_resume_cli_cluster(tmp_path):
    """The same with the CLI's own LocalCluster (--workers 2), which dies with the driver."""
    toml = sweep_file(tmp_path, L=4, temps=[430.0, 445.0, 390.0], replicas=2)
    out = _kill_resume(tmp_path, toml, ["--workers", "2"], need_checkpoint=False)
    assert "Dask LocalCluster (2 workers" in out


@pytest.mark.slow
def test_kill_driver_and_resume_from_checkpoints(tmp_path):
    """Longer runs: the driver is killed while a run has engine checkpoints; that run
    continues from them after --resume; the dataset equals an uninterrupted sweep.
    """
    toml = sweep_file(tmp_path, L=6, temps=[395.0, 400.0, 405.0, 410.0], replicas=2,
                      creep_s=330.0)
    out = _kill_resume(tmp_path, toml, ["--workers", "2"], need_checkpoint=True)
    assert "continued from its checkpoint" in out


@pytest.mark.slow
def test_kill_driver_and_resume_local_processes(tmp_path):
    """The same with the executor used when Dask is missing (concurrent.futures processes)."""
    toml = sweep_file(tmp_path, L=5, temps=[395.0, 400.0, 405.0], replicas=2)
    out = _kill_resume(tmp_path, toml, ["--workers", "2", "--executor", "processes"],
                       need_checkpoint=False)
    assert "2 local processes" in out


def _failing_engine(fail_always: str, fail_once: str, calls: dict):
    """An engine that raises for one run in every attempt and for another in its first."""
    from mgmeso.sweep import tasks

    real = tasks._run_engine
    lock = threading.Lock()

    def engine(cfg, ckpt_base, resume, threads):
        rid = Path(ckpt_base).name
        with lock:
            calls[rid] = calls.get(rid, 0) + 1
            n = calls[rid]
        if rid == fail_always or (rid == fail_once and n == 1):
            raise RuntimeError(f"injected failure of {rid} (attempt {n})")
        return real(cfg, ckpt_base, resume, threads)

    return engine


def test_failing_run_is_retried_reported_and_others_finish(tmp_path, monkeypatch, capsys):
    """On a Dask cluster (in-process workers, reached by its scheduler address, so the
    failure can be injected): r00002 raises in all 1 + 2 attempts, r00004 in its first
    only. The others finish, r00004 succeeds on its retry, r00002 is reported with its
    error in the summary, the store and the dataset; the exit code is 1.
    """
    from distributed import LocalCluster

    from mgmeso.sweep import tasks

    toml = sweep_file(tmp_path, L=3, temps=[400.0, 405.0, 410.0], replicas=2, creep_s=30.0)
    text = toml.read_text().replace("retries = 0", "retries = 2")
    toml.write_text(text)
    calls: dict[str, int] = {}
    real = tasks._run_engine
    monkeypatch.setattr(tasks, "_run_engine", _failing_engine("r00002", "r00004", calls))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster:
        store = tmp_path / "fail.zarr"
        code = main(["sweep", str(toml), "--scheduler", cluster.scheduler_address,
                     "--out", str(store)])
    out = capsys.readouterr()
    text = out.out + out.err
    assert code == 1
    assert calls["r00002"] == 3 and calls["r00004"] == 2
    assert all(calls[f"r0000{i}"] == 1 for i in (0, 1, 3, 5))
    assert "6 kMC runs: 5 done" in text and "1 failed" in text
    assert "FAILED r00002" in text and "injected failure of r00002 (attempt 3)" in text
    ds = open_sweep(store)
    assert (ds.status.values == "failed").sum() == 1
    assert ds.status.sel(temperature_K=405.0, replica=0).item() == "failed"
    assert "injected failure" in ds.error.sel(temperature_K=405.0, replica=0).item()
    assert np.isnan(ds.strain_end.sel(temperature_K=405.0, replica=0)).all()
    assert np.isfinite(ds.strain_end.sel(temperature_K=400.0)).all()
    # the failed run is tried again by --resume (now without the injected failure)
    monkeypatch.setattr(tasks, "_run_engine", real)
    code = main(["sweep", str(toml), "--executor", "serial", "--out", str(store), "--resume",
                 "--quiet"])
    assert code == 0
    assert (open_sweep(store).status.values == "done").all()
