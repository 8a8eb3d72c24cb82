"""Cost and error of the elastic-interaction field update (docs/kmc_elastic.md section 3).

A reference event loop (:func:`mgmeso.kmc.elastic_kernels.drive_two_state`) resamples
two-state units at their local stress and records every change, refreshing the field by
FFT whenever the pending buffer is full -- the pattern the kMC engine will follow. Printed
after JIT warm-up (numbers, never asserted):

* ns per event with interactions (queries, records, refreshes amortised) and without;
* the error of the local stress against a fresh FFT just before each refresh (the worst
  point of the cycle), RMS and max, next to the RMS of the interaction stress itself;
* bytes per site of the field (persistent) and of a refresh (transient).

Units: SMD-like units of La60Ni15Al25 at 430 K (d = 0.0113, sigma_sat = 188 MPa,
mu = 12.2 GPa, nu = 0.35) on a quarter of the sites (C_d = 0.25). Event sequences:
``uniform`` (every unit equally fast, the worst case) and ``gumbel`` (unit rates 1/E,
E ~ Exp(1): the beta-time disorder of [Hao2022] Eq. 24 with B = 1).

    python scripts/bench_elastic.py                 # sc, L = 16, 32, 64
    python scripts/bench_elastic.py --sizes 16 32 64 128 --lattice sc
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from numba import njit

from mgmeso.kmc.bias import PHYSICAL, draw_state_biased
from mgmeso.kmc.elastic import ElasticField, ElasticOptions, shear_modulus_MPa
from mgmeso.kmc.elastic_kernels import drive_two_state, local_stress_at
from mgmeso.kmc.lattice import make_lattice
from mgmeso.kmc.rng import seed_state

E_U, NU, D, SIG_SAT, SIGMA_A, CD = 33000.0, 0.35, 0.0113, 188.0, 25.0, 0.25


@njit(cache=True)
def _drive_free(sites, state, sigma_applied, sig_sat, mode, rng):
    """The same loop without interactions (baseline)."""
    flips = 0
    for i in range(sites.shape[0]):
        j = sites[i]
        new = draw_state_biased(rng, sigma_applied, sig_sat, mode)
        if new != state[j]:
            state[j] = new
            flips += 1
    return flips


def _sequence(kind, units, n_events, rng):
    if kind == "uniform":
        return units[rng.integers(len(units), size=n_events)].astype(np.int32)
    rate = 1.0 / rng.exponential(size=len(units))
    p = rate / rate.sum()
    return units[rng.choice(len(units), size=n_events, p=p)].astype(np.int32)


def _setup(lat, opts, seed):
    rng = np.random.default_rng(seed)
    N = lat.n_sites
    units = np.flatnonzero(rng.random(N) < CD)
    state = np.zeros(N, dtype=np.int64)
    state[units] = rng.choice([-1, 1], size=len(units))
    F = ElasticField(lat, shear_modulus_MPa(E_U, NU), NU, opts)
    F.set_eigenstrain(D * state)
    return rng, units, state, F


def run(lat, opts, kind, events_per_site, seed=1):
    """Time the loop; returns ns/event, refreshes, ns/event without interactions."""
    rng, units, state, F = _setup(lat, opts, seed)
    seq = _sequence(kind, units, int(events_per_site * lat.n_sites), rng)
    st = seed_state(np.random.SeedSequence(seed))
    drive_two_state(seq[:10], 0, state, D, SIGMA_A, SIG_SAT, PHYSICAL, st, F.state,
                    int(opts.exact))  # JIT warm-up (cached)
    F.set_eigenstrain(D * state)
    t0 = time.process_time()
    i = 0
    while i < len(seq):
        i = drive_two_state(seq, i, state, D, SIGMA_A, SIG_SAT, PHYSICAL, st, F.state,
                            int(opts.exact))
        if i < len(seq):
            F.refresh()
    dt = time.process_time() - t0
    s2 = state.copy()
    _drive_free(seq[:10], s2, SIGMA_A, SIG_SAT, PHYSICAL, st)
    t1 = time.process_time()
    _drive_free(seq, s2, SIGMA_A, SIG_SAT, PHYSICAL, st)
    dt_free = time.process_time() - t1
    return 1e9 * dt / len(seq), F.n_refresh, 1e9 * dt_free / len(seq), F


def errors(lat, opts, kind, cycles=3, n_probe=400, seed=2):
    """Local-stress error (MPa) against a fresh FFT just before each refresh."""
    rng, units, state, F = _setup(lat, opts, seed)
    st = seed_state(np.random.SeedSequence(seed))
    errs, scale = [], []
    seq = _sequence(kind, units, 4 * lat.n_sites, rng)
    i = 0
    for _ in range(cycles):
        # run to the next refresh, or through one sequence of 4 events per site if the
        # buffer does not fill (concentrated rates touch few distinct sites)
        i = drive_two_state(seq, i, state, D, SIGMA_A, SIG_SAT, PHYSICAL, st, F.state,
                            int(opts.exact))
        if i >= len(seq):
            seq, i = _sequence(kind, units, 4 * lat.n_sites, rng), 0
        ref = F.exact_local_stress(SIGMA_A)
        probe = units[rng.integers(len(units), size=n_probe)]
        got = np.array([local_stress_at(j, SIGMA_A, F.state, int(opts.exact)) for j in probe])
        errs.append(got - ref[probe])
        scale.append(ref[units] - SIGMA_A)
        F.refresh()
    e = np.concatenate(errs)
    return float(np.sqrt(np.mean(e**2))), float(np.abs(e).max()), \
        float(np.std(np.concatenate(scale)))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lattice", default="sc")
    ap.add_argument("--sizes", type=int, nargs="*", default=[16, 32, 64])
    ap.add_argument("--events-per-site", type=float, default=4.0)
    ap.add_argument("--exact-max-N", type=int, default=40000,
                    help="run the exact mode only up to this many sites (its cost grows as N)")
    ap.add_argument("--json", default=None, help="also write the rows to this JSON file")
    ap.add_argument("--figure", default=None, help="draw ns/event and error from --json rows")
    args = ap.parse_args(argv)
    if args.figure and args.json and not args.sizes:
        with open(args.json) as fh:
            return plot(json.load(fh), args.figure)
    variants = [
        ("windowed R=2 cap=0.25", ElasticOptions(near_radius=2.0, capacity_per_site=0.25)),
        ("windowed R=3 cap=0.25", ElasticOptions(near_radius=3.0, capacity_per_site=0.25)),
        ("windowed R=3 cap=0.05", ElasticOptions(near_radius=3.0, capacity_per_site=0.05)),
        ("exact R=0 cap=0.01", ElasticOptions(near_radius=0.0, capacity_per_site=0.01, exact=True)),
        ("exact R=0 cap=0.05", ElasticOptions(near_radius=0.0, capacity_per_site=0.05, exact=True)),
    ]
    print(f"lattice {args.lattice}; SMD-like units d = {D}, sigma_sat = {SIG_SAT} MPa, "
          f"C_d = {CD}, {args.events_per_site:g} events per site")
    print("| L | N | method | events | ns/event | refreshes | ns/event free | err RMS (MPa) | "
          "err max (MPa) | field RMS (MPa) | bytes/site | refresh bytes/site |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    rows = []
    for L in args.sizes:
        lat = make_lattice(args.lattice, L)
        N = lat.n_sites
        for kind in ("uniform", "gumbel"):
            for name, opts in variants:
                if opts.exact and N > args.exact_max_N:
                    continue
                if 2 * int(np.ceil(opts.near_radius + 1)) + 1 > L:
                    continue
                ns, nref, ns_free, F = run(lat, opts, kind, args.events_per_site)
                rms, mx, field = errors(lat, opts, kind) if N <= 2**18 else (np.nan,) * 3
                print(f"| {L} | {N} | {name} ({kind}) | {int(args.events_per_site * N)} | "
                      f"{ns:.0f} | {nref} | {ns_free:.0f} | {rms:.3g} | {mx:.3g} | {field:.3g} | "
                      f"{F.nbytes / N:.1f} | {F.refresh_peak_bytes() / N:.1f} |", flush=True)
                rows.append({"L": L, "N": N, "method": name, "stream": kind, "ns": ns,
                             "ns_free": ns_free, "refreshes": nref, "err_rms": rms,
                             "err_max": mx, "field_rms": field, "bytes_site": F.nbytes / N})
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)
    if args.figure:
        plot(rows, args.figure)


def plot(rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 2, figsize=(10.5, 5.6))
    methods = sorted({r["method"] for r in rows})
    for i, m in enumerate(methods):
        for kind, ls in (("uniform", "-"), ("gumbel", "--")):
            sel = [r for r in rows if r["method"] == m and r["stream"] == kind]
            if not sel:
                continue
            ax[0].plot([r["N"] for r in sel], [r["ns"] for r in sel], "o" + ls, color=f"C{i}",
                       label=f"{m} ({kind})")
            ok = [r for r in sel if np.isfinite(r["err_rms"]) and not m.startswith("exact")]
            if ok:
                ax[1].plot([r["N"] for r in ok], [r["err_rms"] / r["field_rms"] for r in ok],
                           "o" + ls, color=f"C{i}", label=f"{m} ({kind})")
    free = {}
    for r in rows:
        free.setdefault(r["N"], []).append(r["ns_free"])
    Ns = sorted(free)
    ax[0].plot(Ns, [np.median(free[n]) for n in Ns], "k:", label="no interactions")
    ax[0].set_xscale("log")
    ax[0].set_yscale("log")
    ax[0].set_xlabel("sites N (sc)")
    ax[0].set_ylabel("CPU ns per event")
    ax[0].legend(fontsize=6, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.14))
    ax[0].set_title("(a) cost per event (refreshes included)", fontsize=10)
    ax[1].set_xscale("log")
    ax[1].set_yscale("log")
    ax[1].set_ylim(0.05, 1.0)
    ax[1].set_xlabel("sites N (sc)")
    ax[1].set_ylabel("RMS error / RMS interaction stress")
    ax[1].set_title("(b) windowed mode: error just before a refresh", fontsize=10)
    ax[1].text(0.03, 0.93, "exact mode: RMS error < 2e-13 MPa (rounding)", fontsize=8,
               transform=ax[1].transAxes)
    ax[1].legend(fontsize=6, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.14))
    fig.tight_layout()
    fig.savefig(path, dpi=130)

if __name__ == "__main__":
    main()
