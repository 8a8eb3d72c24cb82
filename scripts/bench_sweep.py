"""Sweep throughput on a local Dask cluster with 1 and 2 workers (target: 2 workers >= 1.8x).

    python scripts/bench_sweep.py [--runs 6] [--L 16] [--repeats 1] [--scratch DIR]

Runs of a realistic size: each kMC run (mean-field creep at 400 K, two engine replicas on sc
L = 16, one engine thread) takes about 9 s of one core, so the fixed cost of a run in a sweep
(the task, the run's store group, its checkpoints) is a small part of it, as in a real study.
With 2 workers the sweep has ``--runs`` runs; with 1 worker half as many (each worker does the
same number of runs in both cases, and the throughput is runs/s, also given as events/s).

Per repeat, four measurements, interleaved: the sweep through ``mgmeso.sweep.run_sweep`` on a
``LocalCluster`` of 1 single-threaded worker process; the same runs as bare ``run_ensemble``
calls in a ProcessPoolExecutor of 1 process (no Dask, no store: the control); then the sweep on
2 workers and the bare engine in 2 processes. Every worker and process is warmed up first
(it loads the compiled kernels by running a tiny ensemble), so the timing is of the runs, not
of numba's cache. The control says what the machine allows: if the bare engine does not scale,
the machine, not the sweep, set the ratio. The load average before and after is printed (on
Linux with ``sched_autogroup_enabled = 1`` the processes of one session share one fair share
of the CPU with the other sessions, so on a busy machine a second worker adds little CPU).
With the defaults the bench takes about 2.5 minutes on a quiet 2-core machine.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import statistics
import tempfile
import time
import tomllib
from pathlib import Path

TEMPLATE = '''
title = "bench_sweep"
[sweep]
retries = 0
[base]
material = "la60ni15al25"
[base.protocol]
kind = "creep"
temperature_K = 400.0
stress_MPa = 25.0
creep_time_s = 330.0
recovery_time_s = 1000.0
t_first_s = 1.0
points_per_decade = 4
[base.simulation]
L = {L}
replicas = 2
plasticity = "parallel"
coalescence = false
footprint_max_sites = 1
[[axis]]
replicas = {runs}
'''


def _warm(_, store: bool = False):
    """Load the compiled kernels in a worker (what its first run would otherwise pay); with
    ``store``, also write the tiny run's store once (the first write imports zarr and its
    codecs: a cost per worker, not per run).
    """
    from mgmeso.config import parse_config
    from mgmeso.kmc.ensemble import run_ensemble

    doc = tomllib.loads(TEMPLATE.format(L=3, runs=1))["base"]
    doc["protocol"]["creep_time_s"] = doc["protocol"]["recovery_time_s"] = 5.0
    res = run_ensemble(parse_config(doc), None, progress=False, workers=1)
    if store:
        from mgmeso.kmc.store import write_run
        from mgmeso.sweep.store_groups import sweep_versions

        with tempfile.TemporaryDirectory() as tmp:
            write_run(res, Path(tmp) / "warm.zarr", sweep_versions())
    return os.getpid()


def _bare_run(seed: int) -> float:
    """One run as a bare engine call; returns the CPU time it took (all threads)."""
    from mgmeso.config import parse_config
    from mgmeso.kmc.ensemble import run_ensemble

    c0 = time.process_time()
    doc = tomllib.loads(TEMPLATE.format(L=_BARE_L[0], runs=1))["base"]
    doc["simulation"]["seed"] = seed
    run_ensemble(parse_config(doc), None, progress=False, workers=1)
    return time.process_time() - c0


def _cpu_s() -> float:
    """CPU time of this (worker) process so far, all threads."""
    return time.process_time()


_BARE_L = [16]


def _ping(wait_s: float) -> int:
    time.sleep(wait_s)
    return os.getpid()


def _init_bare(L: int) -> None:
    _BARE_L[0] = L
    _warm(0)


def measure_bare(n_workers: int, sweep) -> tuple[float, float]:
    """The sweep's runs as bare engine calls in n processes (no Dask, no store): wall time
    and CPU time of the runs.
    """
    import concurrent.futures as cf
    import multiprocessing

    seeds = [r.cfg.simulation.seed for r in sweep.runs]
    L = sweep.runs[0].cfg.simulation.L
    with cf.ProcessPoolExecutor(n_workers, mp_context=multiprocessing.get_context("spawn"),
                                initializer=_init_bare, initargs=(L,)) as pool:
        # start every process (spawned on demand, each warmed by its initializer before its
        # first task): ping until every one of them has answered
        pids: set[int] = set()
        for _ in range(200):
            pids |= set(pool.map(_ping, [0.5] * n_workers))
            if len(pids) >= n_workers:
                break
        else:
            raise SystemExit(f"bare control: {len(pids)} processes answered, not {n_workers}")
        t0 = time.perf_counter()
        cpu = sum(pool.map(_bare_run, seeds))
        return time.perf_counter() - t0, cpu


def measure(n_workers: int, sweep, scratch: Path) -> tuple[float, int, float]:
    """The sweep on a LocalCluster of n workers: wall time, events and the workers' CPU time
    (every thread of the worker processes: the runs, Dask's own threads, the store writes).
    """
    from distributed import Client, LocalCluster

    from mgmeso.sweep import run_sweep
    from mgmeso.sweep.executors import DaskExecutor

    with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=logging.ERROR) as cluster, \
            Client(cluster) as client:
        client.run(_warm, 0, True)
        cpu0 = client.run(_cpu_s)
        store = scratch / f"bench_{n_workers}w_{time.time_ns()}.zarr"
        t0 = time.perf_counter()
        report = run_sweep(sweep, store, DaskExecutor(client=client), quiet=True)
        wall = time.perf_counter() - t0
        cpu1 = client.run(_cpu_s)
    cpu = sum(cpu1[w] - cpu0[w] for w in cpu1)
    shutil.rmtree(store, ignore_errors=True)
    if report.n_failed:
        raise SystemExit(f"{report.n_failed} runs failed: {report.failed}")
    return wall, report.events, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=6, help="runs of the 2-worker sweep (even)")
    ap.add_argument("--L", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--scratch", type=Path, default=None)
    args = ap.parse_args()
    if args.runs < 2 or args.runs % 2:
        raise SystemExit(f"--runs {args.runs}: must be even and at least 2")
    from mgmeso.sweep import parse_sweep

    t_start = time.perf_counter()
    n_runs = {1: args.runs // 2, 2: args.runs}
    sweeps = {n: parse_sweep(tomllib.loads(TEMPLATE.format(L=args.L, runs=k)))
              for n, k in n_runs.items()}
    scratch = args.scratch or Path(tempfile.mkdtemp(prefix="bench_sweep_"))
    scratch.mkdir(parents=True, exist_ok=True)
    load0 = os.getloadavg()
    rate: dict[int, list[float]] = {1: [], 2: []}        # runs/s
    erate: dict[int, list[float]] = {1: [], 2: []}       # events/s
    bare: dict[int, list[float]] = {1: [], 2: []}        # runs/s
    walls: dict[int, list[float]] = {1: [], 2: []}
    bwalls: dict[int, list[float]] = {1: [], 2: []}
    events = {1: 0, 2: 0}
    cpu_run: dict[int, list[float]] = {1: [], 2: []}     # CPU s per run, sweep workers
    bcpu_run: dict[int, list[float]] = {1: [], 2: []}    # CPU s per run, bare engine
    for i in range(args.repeats):
        for n in (1, 2):
            w, events[n], c = measure(n, sweeps[n], scratch)
            b, bc = measure_bare(n, sweeps[n])
            cpu_run[n].append(c / n_runs[n])
            bcpu_run[n].append(bc / n_runs[n])
            walls[n].append(w)
            bwalls[n].append(b)
            rate[n].append(n_runs[n] / w)
            erate[n].append(events[n] / w)
            bare[n].append(n_runs[n] / b)
            print(f"repeat {i + 1}, {n} worker(s): sweep of {n_runs[n]} runs in {w:.1f} s "
                  f"({n_runs[n] / w:.3f} runs/s, {events[n] / w:.3g} events/s); bare engine "
                  f"{b:.1f} s; CPU per run: sweep {c / n_runs[n]:.2f} s, bare {bc / n_runs[n]:.2f} s; "
                  f"load {os.getloadavg()[0]:.1f}", flush=True)
    load1 = os.getloadavg()
    med = {n: statistics.median(v) for n, v in rate.items()}
    med_e = {n: statistics.median(v) for n, v in erate.items()}
    med_b = {n: statistics.median(v) for n, v in bare.items()}
    ratio = med[2] / med[1]
    try:
        autogroup = Path("/proc/sys/kernel/sched_autogroup_enabled").read_text().strip() == "1"
    except OSError:
        autogroup = False
    per_run = {n: statistics.median(walls[n]) / n_runs[n] * n for n in (1, 2)}
    print(f"\nsweep of kMC runs (sc L = {args.L}, 2 engine replicas each, about "
          f"{events[2] / n_runs[2]:.3g} events per run, {per_run[1]:.1f} s per run on 1 worker), "
          f"{n_runs[1]} runs on 1 worker, {n_runs[2]} on 2; {os.cpu_count()} CPUs; median of "
          f"{args.repeats}")
    print(f"load average (1/5/15 min) before: {load0[0]:.1f} / {load0[1]:.1f} / {load0[2]:.1f}, "
          f"after: {load1[0]:.1f} / {load1[1]:.1f} / {load1[2]:.1f}")
    for n in (1, 2):
        print(f"  {n} worker(s): {med[n]:.4f} runs/s, {med_e[n]:.3g} events/s; bare engine "
              f"{med_b[n]:.4f} runs/s")
    print(f"  throughput 2 workers / 1 worker: {ratio:.2f}x in runs/s, "
          f"{med_e[2] / med_e[1]:.2f}x in events/s (target >= 1.8x: "
          f"{'met' if ratio >= 1.8 else 'NOT met'})")
    print(f"  control, bare engine 2 / 1 processes: {med_b[2] / med_b[1]:.2f}x; sweep overhead "
          f"at 1 worker: {med_b[1] / med[1] - 1:+.0%} of the bare time, at 2 workers: "
          f"{med_b[2] / med[2] - 1:+.0%}; sweep ratio / control ratio: "
          f"{ratio / (med_b[2] / med_b[1]):.2f}")
    cs = statistics.median(cpu_run[1] + cpu_run[2])
    cb = statistics.median(bcpu_run[1] + bcpu_run[2])
    print(f"  CPU time per run (load-independent): sweep worker {cs:.2f} s, bare engine "
          f"{cb:.2f} s: the sweep's own cost per run {cs - cb:+.2f} s ({cs / cb - 1:+.1%})")
    print(f"  bench wall time: {time.perf_counter() - t_start:.0f} s")
    if autogroup and load0[0] > (os.cpu_count() or 1):
        print("  note: the machine was loaded (load average above the CPU count) and "
              "sched_autogroup_enabled = 1: this session's processes share one fair share of "
              "the CPU, so the ratio measures the machine, not the sweep")


if __name__ == "__main__":
    main()
