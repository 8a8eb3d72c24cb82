"""Sweep throughput on a local Dask cluster with 1 and 2 workers (target: 2 workers >= 1.8x).

    python scripts/bench_sweep.py [--runs 8] [--L 5] [--repeats 2] [--scratch DIR]

A sweep of ``--runs`` independent kMC runs (mean-field creep at 400 K, two engine replicas
on sc L, one engine thread per run) is run through ``mgmeso.sweep.run_sweep`` on a
``LocalCluster`` of 1 and of 2 single-threaded worker processes. Each cluster is warmed up
first (every worker loads the compiled kernels by running a tiny ensemble), so the timing is
of the sweep, not of numba's cache. The measurements alternate (1, 2, 1, 2, ...) and the
median of ``--repeats`` is reported, with the load average of the machine before and after
(the machine may be shared: a load above the core count means the workers were not alone).
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
    ap.add_argument("--L", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--scratch", type=Path, default=None)
    args = ap.parse_args()
    from mgmeso.sweep import parse_sweep

    sweep = parse_sweep(tomllib.loads(TEMPLATE.format(L=args.L, runs=args.runs)))
    scratch = args.scratch or Path(tempfile.mkdtemp(prefix="bench_sweep_"))
    scratch.mkdir(parents=True, exist_ok=True)
    load0 = os.getloadavg()
    walls: dict[int, list[float]] = {1: [], 2: []}
    events = 0
    for i in range(args.repeats):
        for n in (1, 2):
            w, events = measure(n, sweep, scratch)
            walls[n].append(w)
            print(f"repeat {i + 1}, {n} worker(s): {args.runs} runs in {w:.1f} s "
                  f"({args.runs / w:.3f} runs/s, {events / w:.3g} events/s)", flush=True)
    load1 = os.getloadavg()
    med = {n: statistics.median(v) for n, v in walls.items()}
    ratio = med[1] / med[2]
    print(f"\nsweep of {args.runs} kMC runs (sc L = {args.L}, 2 engine replicas each, "
          f"{events:.3g} events in all), {os.cpu_count()} CPUs")
    print(f"load average (1/5/15 min) before: {load0[0]:.1f} / {load0[1]:.1f} / {load0[2]:.1f}, "
          f"after: {load1[0]:.1f} / {load1[1]:.1f} / {load1[2]:.1f}")
    for n in (1, 2):
        print(f"  {n} worker(s): median {med[n]:.1f} s, {args.runs / med[n]:.3f} runs/s, "
              f"{events / med[n]:.3g} events/s")
    print(f"  throughput 2 workers / 1 worker: {ratio:.2f}x (target >= 1.8x: "
          f"{'met' if ratio >= 1.8 else 'NOT met'})")


if __name__ == "__main__":
    main()
