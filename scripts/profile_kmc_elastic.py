"""Where the time of an interacting kMC event goes (docs/kmc_elastic.md section 6.7).

One process, CPU time (``time.process_time``), after JIT warm-up and a start-up transient;
the replicas of one size are measured in turns (``--rounds`` rounds of ``--events`` events
each, medians), so the load of the shared machine is the same for all of them. Variants, the
same configuration and seed (scripts/bench_kmc.py):

* ``off``: no interactions (:func:`.kernels.run_until`): selection and the event itself;
* ``exact``: interactions, exact query (the default refresh interval unless ``--refresh-per-site``);
* ``no-scan``: the windowed query with near radius 0 at the same refresh interval: the same
  loop, records and refreshes, no scan of the pending list and no stencil;
* ``windowed``: the windowed query (near radius 3);
* ``thinning`` (``--thin``): ``exact`` with ``stress_dependent_rates = true``.

The decomposition printed: refresh (the CPU time inside the field's refresh, FFT and Python,
per event), scan = exact - no-scan, bookkeeping = no-scan - off - refresh (the interacting
loop's own work: local stress, records, plastic self-term, the SMD's own-footprint term, the
calls), thinning = thinning - exact (with the CPU time of its epoch starts: exact stresses,
bounds, every leaf and the tree, and of the extra refreshes at the epochs' ends).

    python scripts/profile_kmc_elastic.py [--L 32] [--config mean-field] [--events 300000]
        [--rounds 3] [--refresh-per-site X] [--thin]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
from bench_kmc import CONFIGS, load, replica  # scripts/


def _timed_refresh(rep) -> None:
    f = rep.field.field
    inner = f.refresh
    f.cpu_refresh = 0.0

    def refresh() -> None:
        c = time.process_time()
        inner()
        f.cpu_refresh += time.process_time() - c

    f.refresh = refresh
    rf = rep.field
    rf.cpu_epoch = 0.0
    if rf.thin:     # the thinning's epoch starts: exact stresses, bounds, leaves, tree
        start = rf._start_epoch

        def start_epoch(S, C, K) -> None:
            c = time.process_time()
            start(S, C, K)
            rf.cpu_epoch += time.process_time() - c

        rf._start_epoch = start_epoch


def _run(rep, n: int) -> float:
    C = rep.control(math.inf, n)
    c0 = time.process_time()
    rep.run_kernel(C)
    return time.process_time() - c0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--L", type=int, default=32)
    ap.add_argument("--config", default="mean-field", choices=tuple(CONFIGS))
    ap.add_argument("--events", type=int, default=300_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--transient", type=float, default=2.0, help="start-up events per QPD site")
    ap.add_argument("--refresh-per-site", type=float, default=None)
    ap.add_argument("--thin", action="store_true")
    args = ap.parse_args()
    rps = "" if args.refresh_per_site is None else \
        f"elastic_refresh_per_site = {args.refresh_per_site}\n"
    on = 'elastic_interactions = true\nelastic_update = "exact"\n'
    if args.refresh_per_site is None:   # no-scan at the exact mode's default interval
        from mgmeso.kmc.elastic_refresh import refresh_interval
        rps_ns = f"elastic_refresh_per_site = {refresh_interval(args.L ** 3, True)!r}\n"
    else:
        rps_ns = rps
    variants = {
        "off": "",
        "exact": on + rps,
        "no-scan": 'elastic_interactions = true\nelastic_update = "windowed"\n'
                   "elastic_near_radius = 0\n" + rps_ns,
        "windowed": 'elastic_interactions = true\nelastic_update = "windowed"\n' + rps,
    }
    if args.thin:
        variants["thinning"] = on + rps + "stress_dependent_rates = true\n"
    for e in variants.values():     # JIT warm-up (and cache load)
        _run(replica(8, args.config, extra=e), 10_000)
    reps = {}
    for k, e in variants.items():
        rep = replica(args.L, args.config, extra=e)
        _run(rep, max(100_000, int(args.transient * rep.n_qpd)))
        if rep.field is not None:
            _timed_refresh(rep)
        reps[k] = rep
    print(f"{args.config}, L = {args.L} (sc, {args.L ** 3} sites), {args.events} events x "
          f"{args.rounds} rounds; before: {load()}")
    ns = {k: [] for k in reps}
    ref = {k: [] for k in reps}
    epo = {k: [] for k in reps}
    for _ in range(args.rounds):
        for k, rep in reps.items():
            f = rep.field.field if rep.field is not None else None
            r0 = f.cpu_refresh if f is not None else 0.0
            e0 = rep.field.cpu_epoch if f is not None else 0.0
            cpu = _run(rep, args.events)
            epo[k].append(((rep.field.cpu_epoch if f is not None else 0.0) - e0) / args.events * 1e9)
            ns[k].append(cpu / args.events * 1e9)
            ref[k].append(((f.cpu_refresh if f is not None else 0.0) - r0) / args.events * 1e9)
    med = {k: float(np.median(v)) for k, v in ns.items()}
    mref = {k: float(np.median(v)) for k, v in ref.items()}
    for k, rep in reps.items():
        cap = int(rep.field.state.geom[7]) if rep.field is not None else 0
        print(f"{k:<9} ns/event {med[k]:7.0f} (runs {', '.join(f'{x:.0f}' for x in ns[k])}); "
              f"refresh {mref[k]:5.0f} ns/event; refresh every {cap} changes")
    print(f"decomposition (ns/event, CPU): off (selection + event) {med['off']:.0f}; "
          f"refresh {mref['exact']:.0f}; scan {med['exact'] - med['no-scan']:.0f}; bookkeeping "
          f"{med['no-scan'] - med['off'] - mref['no-scan']:.0f}"
          + (f"; thinning {med['thinning'] - med['exact']:.0f} (of which epoch starts "
             f"{np.median(epo['thinning']):.0f} and their extra refreshes "
             f"{mref['thinning'] - mref['exact']:.0f})" if args.thin else ""))
    print(f"exact at {med['off'] / med['exact'] * 100:.1f} % of the rate without, windowed at "
          f"{med['off'] / med['windowed'] * 100:.1f} %; after: {load()}")


if __name__ == "__main__":
    main()
