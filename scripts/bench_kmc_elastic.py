"""kMC engine speed and memory with and without elastic interactions (sc, 16^3 to 128^3).

For each lattice size and two configurations, in one process after JIT warm-up, the same
replica (same seed) is run without interactions, with the exact field update and with the
windowed one (docs/kmc_elastic.md sections 3 and 6.3), each at its default refresh interval
(exact: ``2.5 sqrt(N log2 N)`` changes, windowed: 0.02 N; :func:`.elastic_refresh.refresh_interval`)
unless ``--refresh-per-site`` is given; printed for each: events/s (CPU time of this process,
and wall time), ns per event, the rate with interactions as a share of the rate without, FFT
refreshes and the changes between two, bytes per site (with ``--thin`` also the exact mode with
``stress_dependent_rates = true``); and per configuration and mode the fitted growth
``ns/event ~ N^a`` over the sizes. Configurations (scripts/bench_kmc.py):

* mean-field: parallel plasticity, one-site footprints, no coalescence; 430 K,
  no elimination of fast units (beta events dominate);
* mesoscale: series plasticity, 13-site footprints, coalescence on; 450 K with the
  beta units in local equilibrium, so that SMD events (footprint growth and
  contact checks) dominate.

    python scripts/bench_kmc_elastic.py [--events N] [--sizes 16,32,64,128]
        [--modes exact,windowed] [--transient 20] [--refresh-per-site X] [--thin] [--long]

Each run first leaves the start-up transient (``--transient`` events per QPD site, at least
1e5 events; the same for every mode, so the states compare). Targets (issue 16): >= 1e6
events/s at 32^3 and >= 30 % of the non-interacting rate with interactions on; <= 100 bytes
per site with interactions on. Printed, never asserted.

``--long`` also runs 1e8 events on 128^3 (mean-field, no interactions) and reports the wall time.

``--sweep-kappa 0.5,1,2,4`` instead measures the exact mode at refresh intervals of
``kappa sqrt(N log2 N)`` changes (interleaved, medians of 3 runs), the sweep that set the
default ``kappa`` (docs/kmc_elastic.md section 6.3).
"""

from __future__ import annotations

import argparse
import math
import os
import time

import numpy as np
from bench_kmc import CONFIGS, bytes_per_site, cpu_model, load, long_run, replica  # scripts/

from mgmeso.kmc.replica import Replica


def measure2(rep: Replica, n_events: int) -> tuple[float, float]:
    """Wall and CPU time (s) of ``n_events`` events (refreshes included)."""
    C = rep.control(math.inf, n_events)
    t0, c0 = time.perf_counter(), time.process_time()
    rep.run_kernel(C)
    return time.perf_counter() - t0, time.process_time() - c0


def measure(rep: Replica, n_events: int) -> float:
    return measure2(rep, n_events)[0]


def site_bytes(rep: Replica) -> float:
    """:func:`bench_kmc.bytes_per_site` plus the thinning's arrays when it is on."""
    b = bytes_per_site(rep)
    f = getattr(rep, "field", None)
    if f is not None and f.thin:
        b += sum(a.nbytes for a in f.thin_state) / rep.N
    return b


def growth(Ns, ns) -> float:
    """a of ns/event ~ N^a (least squares in log-log)."""
    if len(ns) < 2:
        return math.nan
    return float(np.polyfit(np.log(np.asarray(Ns, float)), np.log(np.asarray(ns)), 1)[0])


def sweep(kappas: list[float], sizes: list[int], configs: list[str], n_events: int,
          transient: float) -> None:
    """Exact-mode CPU ns/event against the refresh interval (``kappa sqrt(N log2 N)`` changes)."""
    for which in configs:
        for L in sizes:
            N = L ** 3
            unit = math.sqrt(N * math.log2(N)) / N
            reps = {}
            for k in kappas:
                rep = replica(L, which, extra='elastic_interactions = true\nelastic_update = '
                              f'"exact"\nelastic_refresh_per_site = {k * unit!r}\n')
                measure2(rep, max(100_000, int(transient * rep.n_qpd)))
                reps[k] = rep
            runs: dict[float, list[float]] = {k: [] for k in kappas}
            for _ in range(3):
                for k, rep in reps.items():
                    runs[k].append(measure2(rep, n_events)[1] / n_events * 1e9)
            for k in kappas:
                print(f"{which:<11} L = {L:>3} kappa {k:5.2f}: {k * unit * N:8.0f} changes per "
                      f"refresh, {np.median(runs[k]):7.0f} ns/event (CPU; runs "
                      f"{', '.join(f'{x:.0f}' for x in runs[k])}); {load()}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=1_000_000, help="events per measurement")
    ap.add_argument("--sizes", default="16,32,64,128")
    ap.add_argument("--modes", default="exact,windowed", help="field updates to run")
    ap.add_argument("--transient", type=float, default=20.0,
                    help="start-up events per QPD site before each measurement")
    ap.add_argument("--refresh-per-site", type=float, default=None,
                    help="[simulation] elastic_refresh_per_site (default: unset, the rule of "
                    "elastic_refresh.refresh_interval)")
    ap.add_argument("--thin", action="store_true",
                    help="also the exact mode with stress_dependent_rates = true")
    ap.add_argument("--long", action="store_true", help="also 1e8 events on 128^3")
    ap.add_argument("--configs", default=",".join(CONFIGS), help="configurations to run")
    ap.add_argument("--sweep-kappa", default="", help="exact mode at these refresh intervals")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    configs = [c for c in args.configs.split(",") if c]
    if args.sweep_kappa:
        sweep([float(k) for k in args.sweep_kappa.split(",")], sizes, configs, args.events,
              args.transient)
        return
    modes = [m for m in args.modes.split(",") if m]
    extra = {"off": ""}
    for m in modes:
        extra[m] = f'elastic_interactions = true\nelastic_update = "{m}"\n'
        if args.refresh_per_site is not None:
            extra[m] += f"elastic_refresh_per_site = {args.refresh_per_site}\n"
    if args.thin:
        extra["thinning"] = extra.get("exact", 'elastic_interactions = true\n') + \
            "stress_dependent_rates = true\n"
    for which in CONFIGS:                     # JIT warm-up (and cache load)
        for e in extra.values():
            measure(replica(8, which, extra=e), 10_000)
    print(f"machine: {cpu_model()}, {os.cpu_count()} CPUs; {args.events} events per "
          f"measurement; {load()}")
    print(f"{'config':<11} {'mode':<9} {'L':>4} {'sites':>8} {'CPU ev/s':>9} {'ns/ev CPU':>9} "
          f"{'wall ev/s':>9} {'% of off':>8} {'refreshes':>9} {'interval':>8} {'bytes/site':>10} "
          f"{'load':>5}")
    fits = {}
    for which in configs:
        for L in sizes:
            off_ns = None
            for tag, e in extra.items():
                rep = replica(L, which, extra=e)
                measure2(rep, max(100_000, int(args.transient * rep.n_qpd)))
                n = args.events
                r0 = rep.field.n_refresh if rep.field is not None else 0
                dt, cpu = measure2(rep, n)
                ns = cpu / n * 1e9
                if tag == "off":
                    off_ns = ns
                fits.setdefault((which, tag), []).append((rep.N, ns))
                share = f"{off_ns / ns * 100:.1f}" if tag != "off" else ""
                nref = rep.field.n_refresh - r0 if rep.field is not None else 0
                cap = int(rep.field.state.geom[7]) if rep.field is not None else 0
                print(f"{which:<11} {tag:<9} {L:>4} {rep.N:>8} {n / cpu:>9.3g} {ns:>9.0f} "
                      f"{n / dt:>9.3g} {share:>8} {nref:>9} {cap:>8} {site_bytes(rep):>10.1f} "
                      f"{os.getloadavg()[0]:>5.1f}", flush=True)
    for (which, tag), pts in fits.items():
        if len(pts) > 1:
            Ns, nss = zip(*pts)
            print(f"growth {which} {tag}: ns/event (CPU) ~ N^{growth(Ns, nss):.2f} over "
                  f"L = {args.sizes}")
    print(f"after: {load()}")
    if args.long:
        long_run(replica(128, "mean-field"), measure)


if __name__ == "__main__":
    main()
