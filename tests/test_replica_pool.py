"""Replicas in forked worker processes (:mod:`mgmeso.kmc.replica_pool`) give the bytes of the
threaded run, and a run in processes stops cleanly on Ctrl-C and resumes to the same bytes.
"""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from mgmeso.cli import main
from mgmeso.config import parse_config
from mgmeso.kmc import checkpoint, replica_pool
from mgmeso.kmc.ensemble import run_ensemble

from .conftest import REPO

DOC = {"material": "la30ce30ni10al20co10",
       "protocol": {"kind": "creep", "temperature_K": 400.0, "stress_MPa": 25.0,
                    "creep_time_s": 60.0, "recovery_time_s": 60.0, "points_per_decade": 10},
       "simulation": {"L": 4, "replicas": 3, "seed": 7},
       "defects": {"enabled": True, "fictive_temperature_K": 480.0,
                   "rejuvenation_yield_per_MPa": 0.17, "max_step_s": 5.0}}


# DOC as a file, longer (a few seconds of CPU per replica)
LONG = """material = "la30ce30ni10al20co10"
[protocol]
kind = "creep"
temperature_K = 400.0
stress_MPa = 25.0
creep_time_s = 600.0
recovery_time_s = 600.0
points_per_decade = 60
[simulation]
L = 6
replicas = 3
seed = 7
[defects]
enabled = true
fictive_temperature_K = 480.0
rejuvenation_yield_per_MPa = 0.17
max_step_s = 5.0
"""


def _run(monkeypatch, mode, ckpt_dir):
    monkeypatch.setenv("MGMESO_REPLICA_WORKERS", mode)
    used = []
    real = replica_pool.run_in_processes

    def spy(*a, **k):
        used.append(True)
        return real(*a, **k)

    monkeypatch.setattr(replica_pool, "run_in_processes", spy)
    # pytest may run helper threads (a Dask cluster of another test): forking is still safe
    # here, the workers use none of them
    monkeypatch.setattr(replica_pool, "_single_threaded", lambda: True)
    res = run_ensemble(parse_config(DOC), ckpt_dir / "r.zarr", progress=False, workers=2)
    return res, bool(used)


def test_processes_give_the_bytes_of_threads(tmp_path, monkeypatch):
    """Every array of every replica's final state, its time series and its last checkpoint
    file's content are identical, bit for bit, between threads and forked workers.
    """
    a, used_a = _run(monkeypatch, "threads", tmp_path / "t")
    b, used_b = _run(monkeypatch, "processes", tmp_path / "p")
    assert not used_a and used_b
    for ra, rb in zip(a.replicas[0], b.replicas[0], strict=True):
        assert ra.done and rb.done
        da, db = checkpoint.state_dict(ra), checkpoint.state_dict(rb)
        assert sorted(da) == sorted(db)
        for k in da:
            x, y = np.asarray(da[k]), np.asarray(db[k])
            assert x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes(), k
        assert ra.table().tobytes() == rb.table().tobytes()
    for r in range(3):
        fa = tmp_path / "t" / "r.zarr.ckpt" / f"case000_rep{r:05d}.npz"
        fb = tmp_path / "p" / "r.zarr.ckpt" / f"case000_rep{r:05d}.npz"
        with np.load(fa) as x, np.load(fb) as y:
            assert checkpoint.content_digest({k: x[k] for k in x.files if k != checkpoint.HEADER}) \
                == checkpoint.content_digest({k: y[k] for k in y.files if k != checkpoint.HEADER})


def test_small_runs_stay_on_threads():
    """Below MIN_SAMPLES planned samples, or with one worker or one replica run: threads."""
    assert not replica_pool.use_processes(2, 4, replica_pool.MIN_SAMPLES - 1)
    assert not replica_pool.use_processes(1, 4, 10 * replica_pool.MIN_SAMPLES)
    assert not replica_pool.use_processes(2, 1, 10 * replica_pool.MIN_SAMPLES)


def _children(pid):
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(x) for x in out.stdout.split()]


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:     # a zombie is dead too
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.slow
def test_ctrl_c_and_kill_of_a_process_run(tmp_path):
    """Ctrl-C of a run in worker processes: exit 130, checkpoints, and --resume gives the
    threaded run's time series; SIGKILL of the driver takes its workers with it.
    """
    from mgmeso.kmc.store import read_run

    cfg = tmp_path / "c.toml"
    cfg.write_text(LONG)
    env = {**os.environ, "PYTHONPATH": str(REPO), "MGMESO_REPLICA_WORKERS": "threads"}
    ref = tmp_path / "ref.zarr"
    assert subprocess.run([sys.executable, "-m", "mgmeso", "run", str(cfg), "--out", str(ref),
                           "--quiet", "--workers", "2"], env=env).returncode == 0
    env["MGMESO_REPLICA_WORKERS"] = "processes"
    out = tmp_path / "r.zarr"
    cmd = [sys.executable, "-m", "mgmeso", "run", str(cfg), "--out", str(out), "--quiet",
           "--workers", "2"]
    p = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True)
    t0 = time.time()
    while len(_children(p.pid)) < 2 and time.time() - t0 < 120:
        time.sleep(0.1)
    time.sleep(1.0)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=300)
    assert p.returncode == 130 and "interrupted" in err and "Traceback" not in err, err
    assert main(["run", str(cfg), "--out", str(out), "--resume", "--quiet"]) == 0
    for name in ("strain", "time_s"):
        assert np.array_equal(read_run(out).series(name), read_run(ref).series(name),
                              equal_nan=True)
    # SIGKILL of the driver: its workers die with it
    p = subprocess.Popen(cmd + ["--overwrite"], env=env, stderr=subprocess.DEVNULL)
    t0 = time.time()
    while len(kids := _children(p.pid)) < 2 and time.time() - t0 < 120:
        time.sleep(0.1)
    assert len(kids) >= 2
    p.kill()
    p.wait()
    t0 = time.time()
    while any(_alive(k) for k in kids) and time.time() - t0 < 10:
        time.sleep(0.1)
    assert not any(_alive(k) for k in kids)
