"""Stress-dependent rates by thinning against off, with interactions (docs/kmc_elastic.md 6.10).

Runs the replicas of a creep config with elastic interactions, ``stress_dependent_rates`` off
and on (same seeds: paired), and prints at the end of creep the beta, anelastic, plastic and
total strains, the on/off ratio with the paired standard error, the thinning's counters
(acceptance = accepted candidates / candidates, leaf raises, epochs, bound violations) and the
CPU time per accepted event of each setting (the load average is printed beside it).

    python scripts/study_elastic_thinning.py configs/la60_kmc_creep_430K_elastic.toml \
        --replicas 16 --set protocol.recovery_time_s=1 --workers 2
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from mgmeso.config import load_config
from mgmeso.config.overrides import parse_set
from mgmeso.kmc.ensemble import _seeds
from mgmeso.kmc.observables import TS_INDEX
from mgmeso.kmc.replica import Replica
from mgmeso.kmc.setup import make_setup

COLS = ("strain_beta_expected", "strain_anelastic_expected", "strain_plastic", "strain_expected")


def run_replica(args):
    path, sets, r, on = args
    cfg = load_config(path, [parse_set(s) for s in sets] + [parse_set(
        f"simulation.stress_dependent_rates={'true' if on else 'false'}")])
    setup = make_setup(cfg)
    rep = Replica(setup, 0, _seeds(setup)[0][r])
    t0 = time.process_time()
    rep.run()
    cpu = time.process_time() - t0
    tab = rep.table()
    t_creep = float(cfg.protocol.creep_time_s)
    i = int(np.argmin(np.abs(tab[:, TS_INDEX["time_s"]] - t_creep)))
    vals = np.array([tab[i, TS_INDEX[c]] for c in COLS])
    counts = rep.field.thinning_counts() if on else {}
    return vals, int(rep.K.counts[5]), cpu, counts, rep.field.n_refresh


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("config")
    ap.add_argument("--replicas", type=int, default=16)
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args()
    sets = list(args.set) + ["simulation.elastic_interactions=true"]
    jobs = [(args.config, sets, r, on) for r in range(args.replicas) for on in (False, True)]
    t_wall = time.time()
    if args.workers > 1:
        with ProcessPoolExecutor(args.workers) as ex:
            out = list(ex.map(run_replica, jobs))
    else:
        out = [run_replica(j) for j in jobs]
    res = {on: [o for o, j in zip(out, jobs) if j[3] == on] for on in (False, True)}
    print(f"wall {time.time() - t_wall:.0f} s, load average {os.getloadavg()[0]:.1f} at the end")
    for on in (False, True):
        v = np.array([o[0] for o in res[on]])
        ev = sum(o[1] for o in res[on])
        cpu = sum(o[2] for o in res[on])
        print(f"stress_dependent_rates {'on ' if on else 'off'}: {ev} events, {cpu:.0f} s CPU, "
              f"{1e9 * cpu / ev:.0f} ns CPU per event, refreshes {sum(o[4] for o in res[on])}")
        for k, c in enumerate(COLS):
            print(f"  {c:28s} {v[:, k].mean():.4e} +- {v[:, k].std(ddof=1) / np.sqrt(len(v)):.1e}")
        if on:
            tot = {k: sum(o[3][k] for o in res[on]) for k in res[on][0][3]}
            print(f"  thinning: {tot}; acceptance {1 - tot['null_events'] / tot['candidates']:.3f}")
    off = np.array([o[0] for o in res[False]])
    on_ = np.array([o[0] for o in res[True]])
    n = len(on_)
    print("on / off at the end of creep (paired differences):")
    for k, c in enumerate(COLS):
        d = on_[:, k] - off[:, k]
        m = off[:, k].mean()
        se = d.std(ddof=1) / np.sqrt(n)
        print(f"  {c:28s} ratio {on_[:, k].mean() / m:.3f} +- {se / abs(m):.3f}; difference "
              f"{d.mean():+.3e} +- {se:.1e} ({d.mean() / se if se > 0 else 0:+.1f} SE)")


if __name__ == "__main__":
    main()
