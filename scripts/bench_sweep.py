"""Sweep throughput on a local Dask cluster with 1 and 2 workers (target: 2 workers >= 1.8x).

    python scripts/bench_sweep.py [--runs 8] [--L 6] [--repeats 2] [--scratch DIR]

A sweep of ``--runs`` independent kMC runs (mean-field creep at 400 K, two engine replicas
on sc L, one engine thread per run) is run through ``mgmeso.sweep.run_sweep`` on a
``LocalCluster`` of 1 and of 2 single-threaded worker processes. Each cluster is warmed up
first (every worker loads the compiled kernels by running a tiny ensemble), so the timing is
of the sweep, not of numba's cache. The measurements alternate (1, 2, 1, 2, ...) and the
median of ``--repeats`` is reported, with the load average of the machine before and after
(the machine may be shared: a load above the core count means the workers were not alone).

As a control, the same runs are timed as bare ``run_ensemble`` calls in a ProcessPoolExecutor
of 1 and 2 processes (no Dask, no store): if the bare engine does not scale either, the
machine, not the sweep, set the ratio. On Linux with ``sched_autogroup_enabled = 1`` the
processes of one session share one fair share of the CPU with the other sessions, so on a busy
machine a second worker adds no CPU time at all.
"""

from __future__ import annotations

import argparse
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


def _warm(_):
    """Load the compiled kernels in a worker (what its first run would otherwise pay)."""
    from mgmeso.config import parse_config
    from mgmeso.kmc.ensemble import run_ensemble

    doc = tomllib.loads(TEMPLATE.format(L=3, runs=1))["base"]
    doc["protocol"]["creep_time_s"] = doc["protocol"]["recovery_time_s"] = 5.0
    run_ensemble(parse_config(doc), None, progress=False, workers=1)
    return os.getpid()


def _bare_run(seed: int) -> int:
    from mgmeso.config import parse_config
    from mgmeso.kmc.ensemble import run_ensemble

    doc = tomllib.loads(TEMPLATE.format(L=_BARE_L[0], runs=1))["base"]
    doc["simulation"]["seed"] = seed
    run_ensemble(parse_config(doc), None, progress=False, workers=1)
    return seed


_BARE_L = [6]


def _init_bare(L: int) -> None:
    _BARE_L[0] = L
    _warm(0)


def measure_bare(n_workers: int, sweep) -> float:
    """The sweep's runs as bare engine calls in n processes (no Dask, no store)."""
    import concurrent.futures as cf
    import multiprocessing

    seeds = [r.cfg.simulation.seed for r in sweep.runs]
    L = sweep.runs[0].cfg.simulation.L
    with cf.ProcessPoolExecutor(n_workers, mp_context=multiprocessing.get_context("spawn"),
                                initializer=_init_bare, initargs=(L,)) as pool:
        list(pool.map(_bare_run, [0] * n_workers))         # start and warm every process
        t0 = time.perf_counter()
        list(pool.map(_bare_run, seeds))
        return time.perf_counter() - t0


def measure(n_workers: int, sweep, scratch: Path) -> tuple[float, int]:
    from distributed import Client, LocalCluster

    from mgmeso.sweep import run_sweep
    from mgmeso.sweep.executors import DaskExecutor

    with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        client.run(_warm, 0)
        store = scratch / f"bench_{n_workers}w_{time.time_ns()}.zarr"
        t0 = time.perf_counter()
        report = run_sweep(sweep, store, DaskExecutor(client=client), quiet=True)
        wall = time.perf_counter() - t0
    shutil.rmtree(store, ignore_errors=True)
    if report.n_failed:
        raise SystemExit(f"{report.n_failed} runs failed: {report.failed}")
    return wall, report.events


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=8)
    ap.add_argument("--L", type=int, default=6)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--scratch", type=Path, default=None)
    args = ap.parse_args()
    from mgmeso.sweep import parse_sweep

    sweep = parse_sweep(tomllib.loads(TEMPLATE.format(L=args.L, runs=args.runs)))
    scratch = args.scratch or Path(tempfile.mkdtemp(prefix="bench_sweep_"))
    scratch.mkdir(parents=True, exist_ok=True)
    load0 = os.getloadavg()
    walls: dict[int, list[float]] = {1: [], 2: []}
    bare: dict[int, list[float]] = {1: [], 2: []}
    events = 0
    for i in range(args.repeats):
        for n in (1, 2):
            w, events = measure(n, sweep, scratch)
            walls[n].append(w)
            b = measure_bare(n, sweep)
            bare[n].append(b)
            print(f"repeat {i + 1}, {n} worker(s): sweep {args.runs} runs in {w:.1f} s "
                  f"({args.runs / w:.3f} runs/s, {events / w:.3g} events/s); bare engine "
                  f"{b:.1f} s", flush=True)
    load1 = os.getloadavg()
    med = {n: statistics.median(v) for n, v in walls.items()}
    med_b = {n: statistics.median(v) for n, v in bare.items()}
    ratio = med[1] / med[2]
    try:
        autogroup = Path("/proc/sys/kernel/sched_autogroup_enabled").read_text().strip() == "1"
    except OSError:
        autogroup = False
    print(f"\nsweep of {args.runs} kMC runs (sc L = {args.L}, 2 engine replicas each, "
          f"{events:.3g} events in all), {os.cpu_count()} CPUs")
    print(f"load average (1/5/15 min) before: {load0[0]:.1f} / {load0[1]:.1f} / {load0[2]:.1f}, "
          f"after: {load1[0]:.1f} / {load1[1]:.1f} / {load1[2]:.1f}")
    for n in (1, 2):
        print(f"  {n} worker(s): median {med[n]:.1f} s, {args.runs / med[n]:.3f} runs/s, "
              f"{events / med[n]:.3g} events/s")
    print(f"  throughput 2 workers / 1 worker: {ratio:.2f}x (target >= 1.8x: "
          f"{'met' if ratio >= 1.8 else 'NOT met'})")
    print(f"  control, bare engine in 1 / 2 processes: median {med_b[1]:.1f} s / {med_b[2]:.1f} s, "
          f"{med_b[1] / med_b[2]:.2f}x; sweep overhead at 1 worker: "
          f"{med[1] / med_b[1] - 1:+.0%} of the bare time")
    if autogroup and load0[0] > (os.cpu_count() or 1):
        print("  note: the machine was loaded (load average above the CPU count) and "
              "sched_autogroup_enabled = 1: this session's processes share one fair share of "
              "the CPU, so the ratio measures the machine, not the sweep")


if __name__ == "__main__":
    main()
