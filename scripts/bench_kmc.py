"""kMC engine speed and memory on simple-cubic lattices from 16^3 to 128^3.

Prints, for each lattice size and two configurations, events per second, ns per
event and bytes per site, all measured in this run after JIT warm-up:

* mean-field: parallel plasticity, one-site footprints, no coalescence; 430 K,
  no elimination of fast units (beta events dominate);
* mesoscale: series plasticity, 13-site footprints, coalescence on; 450 K with the
  beta units in local equilibrium, so that SMD events (footprint growth and
  contact checks) dominate.

    python scripts/bench_kmc.py [--events N] [--sizes 16,32,64,128] [--long]
                                [--selection tree,composition] [--configs mean-field,mesoscale]

Both event selections of ``[simulation] event_selection`` are timed at every size, one right
after the other (the same load); the rows of the engine's default selection carry the bare
configuration name (what ``bench_all.py`` reads), the other selection's rows ``config/selection``.

``--long`` also runs 1e8 events on 128^3 (mean-field) and reports the wall time.
Targets (engine issue): >= 1e6 events/s at 64^3 for the mean-field configuration;
with footprints and coalescence at least 3.6e5 events/s at 64^3 (SPPARKS tree-solver
3D Ising on this machine type); cost per event growing no faster than log N;
at most 64 bytes per site.

What is reported is what a user of this machine gets: the bias law is the default one
(``physical``, a tanh per draw; ``--bias-law linear`` for the validation mode), rates are
wall-clock events per second, and beside them the CPU-time rate of the process. When the two
differ by more than 10 % both are printed with the reason (the load average: on a shared
machine the process waits for a core). The start-up transient (the first 20 events per QPD
site from a fresh lattice) is timed too and printed when its rate differs from the measured
one by more than 10 %. Per configuration a fit of ns/event against log2 N gives the growth:
exponent k of ns/event ~ (log2 N)^k (k <= 1: no faster than log N).
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import time
import tomllib

import numpy as np

from mgmeso.config import parse_config
from mgmeso.config.tables import Simulation
from mgmeso.kmc import kernels as kn
from mgmeso.kmc.composition import AUTO_MIN_SITES
from mgmeso.kmc.replica import Replica
from mgmeso.kmc.setup import make_setup

CONFIGS = {
    "mean-field": dict(T=430.0, sim='plasticity = "parallel"\ncoalescence = false\n'
                       'footprint_max_sites = 1\nelimination_factor = 0.0'),
    "mesoscale": dict(T=450.0, sim='plasticity = "series"\ncoalescence = true\n'
                      'footprint_max_sites = 13\nelimination_factor = 100.0'),
}


#: the event selections of [simulation] event_selection (the default, "auto", picks one of
#: them by the number of sites: Simulation.selection_for)
SELECTIONS = ("tree", "composition")
DEFAULT_SELECTION = Simulation().event_selection


def replica(L: int, which: str, bias_law: str = "physical", selection: str = DEFAULT_SELECTION,
            extra: str = "") -> Replica:
    c = CONFIGS[which]
    text = f'''
material = "la60ni15al25"
[protocol]
kind = "creep"
temperature_K = {c["T"]}
stress_MPa = 100.0
creep_time_s = 1e9
t_first_s = 1.0
[simulation]
lattice = "sc"
L = {L}
{c["sim"]}
bias_law = "{bias_law}"
event_selection = "{selection}"
{extra}
'''
    setup = make_setup(parse_config(tomllib.loads(text)))
    rep = Replica(setup, 0, np.random.SeedSequence(L))
    rep._begin_segment()
    return rep


def bytes_per_site(rep: Replica) -> float:
    """All per-site state: kernel arrays (incl. the sum tree) and the Python-layer disorder.
    A buffer shared by two fields (``log_tb_hier`` is ``log_tb`` under the site rule) counts once.
    """
    arrays = [a for k, a in rep.S._asdict().items() if k != "offsets"] + [rep.U, rep.W, rep.frac]
    seen, per_site = set(), 0
    for a in arrays:
        address = a.__array_interface__["data"][0]
        if address not in seen:
            seen.add(address)
            per_site += a.nbytes
    if getattr(rep, "field", None) is not None:      # elastic interactions: the field
        per_site += rep.field.field.nbytes
    return per_site / rep.N


def long_run(rep: Replica, measure, n_events: int = 100_000_000) -> None:
    """Run ``n_events`` events in chunks of 1e7 with ``measure`` and print the wall rate."""
    t0 = time.perf_counter()
    done = 0
    while done < n_events:
        step = min(10_000_000, n_events - done)
        measure(rep, step)
        done += step
    dt = time.perf_counter() - t0
    print(f"{n_events:.0e} events on {rep.N} sites: {dt:.1f} s wall, {n_events / dt:.3g} "
          f"events/s, simulated {rep.t:.3g} s")


def measure(rep: Replica, n_events: int) -> float:
    """Wall time (s) of ``n_events`` events."""
    return measure2(rep, n_events)[0]


def measure2(rep: Replica, n_events: int) -> tuple[float, float]:
    """Wall and CPU time (s) of ``n_events`` events of the kernel."""
    C = rep.control(math.inf, n_events)
    t0, c0 = time.perf_counter(), time.process_time()
    kn.run_until(rep.S, C, rep.K)
    return time.perf_counter() - t0, time.process_time() - c0


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load() -> str:
    try:
        a, b, c = os.getloadavg()
        return f"load average {a:.1f} {b:.1f} {c:.1f} on {os.cpu_count()} CPUs"
    except OSError:
        return "load average unknown"


def growth_exponent(sizes_N: list[int], ns: list[float]) -> float:
    """k of ns/event ~ (log2 N)^k, least squares in log-log (k <= 1: no faster than log N)."""
    if len(ns) < 2:
        return math.nan
    x = np.log(np.log2(np.asarray(sizes_N, float)))
    return float(np.polyfit(x, np.log(np.asarray(ns)), 1)[0])


def label(which: str, selection: str, n_sites: int | None = None) -> str:
    """Row label: the configuration alone for the selection the engine's default uses at
    ``n_sites`` (the rows ``bench_all.py`` reads), ``config/selection`` for the other one.
    """
    if n_sites is not None and selection == Simulation().selection_for(n_sites):
        return which
    return f"{which}/{selection}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=5_000_000, help="events per measurement")
    ap.add_argument("--sizes", default="16,32,64,128")
    ap.add_argument("--long", action="store_true", help="also 1e8 events on 128^3")
    ap.add_argument("--bias-law", default="physical", choices=("physical", "linear"),
                    help="bias law of both configurations (default: the engine default)")
    ap.add_argument("--selection", default=",".join(SELECTIONS),
                    help="event selections to time side by side at every size "
                         f"(default: {','.join(SELECTIONS)})")
    ap.add_argument("--configs", default=",".join(CONFIGS))
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    selections = [s for s in args.selection.split(",") if s]
    configs = [c for c in args.configs.split(",") if c]
    bad = [s for s in selections if s not in SELECTIONS] + [c for c in configs if c not in CONFIGS]
    if bad:
        ap.error(f"unknown selection or configuration {bad}: choose from {SELECTIONS} and "
                 f"{tuple(CONFIGS)}")
    for sel in selections:     # JIT warm-up (and cache load)
        measure(replica(8, "mesoscale", args.bias_law, sel), 10_000)
        measure(replica(8, "mean-field", args.bias_law, sel), 10_000)
    print(f"machine: {cpu_model()}, {os.cpu_count()} CPUs; bias law {args.bias_law}; "
          f"{args.events} events per measurement; selections {','.join(selections)} "
          f"(default {DEFAULT_SELECTION}: tree below {AUTO_MIN_SITES} sites, composition from "
          f"there; its rows carry the bare configuration name), timed one after the other at "
          f"each size; {load()}")
    print(f"{'config':<22} {'L':>4} {'sites':>9} {'events/s':>10} {'ns/event':>9} "
          f"{'ns/(event log2 N)':>18} {'bytes/site':>10}  event mix (beta/smd/ann/coal)  "
          f"{'CPU ev/s':>9} {'start-up ev/s':>13}")
    notes, fits, cpu_fits = [], {}, {}
    for which in configs:
        Ns = []
        nss = {s: [] for s in selections}
        cpu_nss = {s: [] for s in selections}
        for L in sizes:
            for sel in selections:
                rep = replica(L, which, args.bias_law, sel)
                # leave the start-up transient: the same number of events per QPD site at every
                # size, so that footprints and coalescence are in comparable states
                n_tr = max(100_000, 20 * rep.n_qpd)
                dt_tr, _ = measure2(rep, n_tr)
                n = args.events
                c0 = rep.K.counts.copy()
                load0 = os.getloadavg()[0]
                dt, cpu = measure2(rep, n)
                mix = rep.K.counts - c0
                ns = dt / n * 1e9
                if sel == selections[0]:
                    Ns.append(rep.N)
                nss[sel].append(ns)
                cpu_nss[sel].append(cpu / n * 1e9)
                rate, cpu_rate, tr_rate = n / dt, n / max(cpu, 1e-12), n_tr / dt_tr
                name = label(which, sel, rep.N)
                print(f"{name:<22} {L:>4} {rep.N:>9} {rate:>10.3g} {ns:>9.1f} "
                      f"{ns / math.log2(rep.N):>18.2f} {bytes_per_site(rep):>10.1f}  "
                      f"{mix[0] / n:.2f}/{mix[1] / n:.2f}/{mix[2] / n:.3f}/{mix[3] / n:.4f}"
                      f"{'':>10}{cpu_rate:>9.3g} {tr_rate:>13.3g}", flush=True)
                if abs(cpu_rate / rate - 1.0) > 0.10:
                    notes.append(f"{name} {L}^3: wall {rate:.3g} events/s, CPU {cpu_rate:.3g} "
                                 f"events/s: the process ran {cpu / dt:.0%} of the wall time "
                                 f"(load {load0:.1f} on {os.cpu_count()} CPUs: it waited for a "
                                 f"core)")
                if abs(tr_rate / rate - 1.0) > 0.10:
                    notes.append(f"{name} {L}^3: the start-up transient ({n_tr} events from a "
                                 f"fresh lattice) ran at {tr_rate:.3g} events/s, the measurement "
                                 f"after it at {rate:.3g}")
        for sel in selections:
            fits[(which, sel)] = growth_exponent(Ns, nss[sel])
            cpu_fits[(which, sel)] = growth_exponent(Ns, cpu_nss[sel])
        if set(SELECTIONS) <= set(selections):     # what the default gives at each size
            pick = [Simulation().selection_for(N) for N in Ns]
            fits[(which, "default")] = growth_exponent(
                Ns, [nss[p][i] for i, p in enumerate(pick)])
            cpu_fits[(which, "default")] = growth_exponent(
                Ns, [cpu_nss[p][i] for i, p in enumerate(pick)])
    for (which, sel), k in fits.items():
        if not math.isnan(k):
            kc = cpu_fits[(which, sel)]
            name = which if sel == "default" else f"{which}/{sel}"
            print(f"growth {name}: ns/event ~ (log2 N)^{k:.2f} over L = {args.sizes} "
                  f"({'no faster' if k <= 1.0 else 'faster'} than log N); CPU time: "
                  f"(log2 N)^{kc:.2f} [{sel} selection]")
    for note in notes:
        print("note:", note)
    print(f"after: {load()}")
    if args.long:
        rep = replica(128, "mean-field", args.bias_law)
        long_run(rep, measure)


if __name__ == "__main__":
    main()
