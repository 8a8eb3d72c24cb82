"""kMC engine speed and memory with and without elastic interactions (sc, 16^3 to 128^3).

Prints, for each lattice size and two configurations, events per second, ns per
event and bytes per site, all measured in this run after JIT warm-up:

* mean-field: parallel plasticity, one-site footprints, no coalescence; 430 K,
  no elimination of fast units (beta events dominate);
* mesoscale: series plasticity, 13-site footprints, coalescence on; 450 K with the
  beta units in local equilibrium, so that SMD events (footprint growth and
  contact checks) dominate.

    python scripts/bench_kmc_elastic.py [--events N] [--sizes 16,32,64,128] [--long] [--elastic]

``--elastic`` adds, for each size and configuration, the same run with
``[simulation] elastic_interactions = true`` (exact field update; docs/kmc_elastic.md
section 6): its events/s, its share of the rate without interactions, the refreshes and
the bytes per site with the field. Targets (issue 16): >= 1e6 events/s at 32^3 and >= 30 %
of the non-interacting rate; <= 100 bytes per site with interactions on.

``--long`` also runs 1e8 events on 128^3 (mean-field) and reports the wall time.
Targets (engine issue): >= 1e6 events/s at 64^3 for the mean-field configuration;
with footprints and coalescence at least 3.6e5 events/s at 64^3 (SPPARKS tree-solver
3D Ising on this machine type); cost per event growing no faster than log N;
at most 64 bytes per site.
"""

from __future__ import annotations

import argparse
import math
import time

from bench_kmc import CONFIGS, bytes_per_site, long_run, replica  # one bench setup (scripts/)

from mgmeso.kmc.replica import Replica


def measure(rep: Replica, n_events: int) -> float:
    C = rep.control(math.inf, n_events)
    t0 = time.perf_counter()
    rep.run_kernel(C)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=5_000_000, help="events per measurement")
    ap.add_argument("--sizes", default="16,32,64,128")
    ap.add_argument("--long", action="store_true", help="also 1e8 events on 128^3")
    ap.add_argument("--elastic", action="store_true", help="also with elastic interactions")
    ap.add_argument("--elastic-update", default="exact", choices=("exact", "windowed"))
    ap.add_argument("--refresh-per-site", type=float, default=None,
                    help="[simulation] elastic_refresh_per_site (default: the config default)")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    warm = replica(8, "mesoscale")
    measure(warm, 10_000)  # JIT warm-up (and cache load)
    measure(replica(8, "mean-field"), 10_000)
    el = ""
    if args.elastic:
        el = f'elastic_interactions = true\nelastic_update = "{args.elastic_update}"\n'
        if args.refresh_per_site is not None:
            el += f"elastic_refresh_per_site = {args.refresh_per_site}\n"
        measure(replica(8, "mean-field", extra=el), 10_000)
        measure(replica(8, "mesoscale", extra=el), 10_000)
    print(f"{'config':<14} {'L':>4} {'sites':>9} {'events/s':>10} {'ns/event':>9} "
          f"{'ns/(event log2 N)':>18} {'bytes/site':>10}  event mix (beta/smd/ann/coal)")
    for which in CONFIGS:
        for L in sizes:
            rate = {}
            for tag, extra in (("", ""), ("+el", el)) if args.elastic else (("", ""),):
                rep = replica(L, which, extra=extra)
                # leave the start-up transient: the same number of events per QPD site at every
                # size, so that footprints and coalescence are in comparable states
                measure(rep, max(100_000, 20 * rep.n_qpd))
                n = args.events
                c0 = rep.K.counts.copy()
                r0 = rep.field.n_refresh if rep.field is not None else 0
                dt = measure(rep, n)
                mix = rep.K.counts - c0
                ns = dt / n * 1e9
                rate[tag] = n / dt
                more = ""
                if tag:
                    more = (f"  {rate[tag] / rate[''] * 100:.0f} % of the rate without; "
                            f"{rep.field.n_refresh - r0} refreshes")
                print(f"{which + tag:<14} {L:>4} {rep.N:>9} {n / dt:>10.3g} {ns:>9.1f} "
                      f"{ns / math.log2(rep.N):>18.2f} {bytes_per_site(rep):>10.1f}  "
                      f"{mix[0] / n:.2f}/{mix[1] / n:.2f}/{mix[2] / n:.3f}/{mix[3] / n:.4f}{more}")
    if args.long:
        rep = replica(128, "mean-field")
        long_run(rep, measure)


if __name__ == "__main__":
    main()
