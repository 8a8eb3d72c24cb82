"""The windowed field update against the exact one (docs/kmc_elastic.md section 6.3).

Runs the replicas of a creep config twice with interactions on, ``elastic_update = "exact"``
and ``"windowed"`` (same seeds: the differences are paired), and prints at the end of creep
the beta, anelastic and plastic strains (the protocol's lower-noise estimators), the paired
difference windowed - exact with its standard error, and the verdict of the tolerance written
in docs/kmc_elastic.md section 6.3 before the runs (|difference| < 3 SE for each observable).
Along the windowed runs it probes the field error: the windowed local stress of every site
against a fresh FFT (the exact one), RMS weighted by the sites' event rates (the stress as
the events see it), beside the RMS of the interaction stress itself.

    python scripts/study_elastic_windowed.py configs/la60_kmc_creep_430K_elastic.toml \
        --replicas 8 --set protocol.recovery_time_s=1
    python scripts/study_elastic_windowed.py configs/la60_kmc_creep_430K_elastic.toml \
        --replicas 2 --radii 1,2,3,4 --only-error      # field error against the near radius
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from mgmeso.config import load_config
from mgmeso.config.overrides import parse_set
from mgmeso.kmc.elastic_loop import query_all
from mgmeso.kmc.ensemble import _seeds
from mgmeso.kmc.observables import TS_INDEX
from mgmeso.kmc.replica import Replica
from mgmeso.kmc.setup import make_setup

COLS = ("strain_beta_expected", "strain_anelastic_expected", "strain_plastic")


def run_replica(cfg, r, probe_error):
    """End-of-creep strains of replica r; with ``probe_error`` the windowed field error."""
    setup = make_setup(cfg)
    rep = Replica(setup, 0, _seeds(setup)[0][r])      # the ensemble's replica r
    t_creep = float(cfg.protocol.creep_time_s)
    err, inter = [], []

    def probe(rp):
        if not probe_error or rp.field is None or rp.t > t_creep:
            return
        sig, _ = rp._macro(rp.t)
        got = np.empty(rp.N)
        query_all(rp.S, rp.field.state, sig, 0, got)     # windowed: the state is not touched
        ref = rp.field.local_stress(sig)
        w = rp.S.leaves / rp.S.leaves.sum()               # where the events happen
        err.append(float(np.sqrt(np.sum(w * (got - ref) ** 2))))
        inter.append(float(np.sqrt(np.sum(w * (ref - sig) ** 2))))

    t0 = time.process_time()
    rep.run(on_chunk=probe)
    tab = rep.table()
    t = tab[:, TS_INDEX["time_s"]]
    i = int(np.argmin(np.abs(t - t_creep)))
    vals = np.array([tab[i, TS_INDEX[c]] for c in COLS])
    return vals, err, inter, int(rep.K.counts[5]), time.process_time() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("config")
    ap.add_argument("--replicas", type=int, default=8)
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("--radii", default="3", help="near radii of the windowed runs (nn distances)")
    ap.add_argument("--only-error", action="store_true", help="windowed runs only: the field error")
    args = ap.parse_args()
    sets = [parse_set(s) for s in args.set] + [
        parse_set(f"simulation.replicas={args.replicas}"),
        parse_set("simulation.elastic_interactions=true")]
    runs = [("exact", None)] if not args.only_error else []
    runs += [("windowed", float(R)) for R in args.radii.split(",")]
    res = {}
    for mode, R in runs:
        extra = [parse_set(f'simulation.elastic_update="{mode}"')]
        if R is not None:
            extra.append(parse_set(f"simulation.elastic_near_radius={R}"))
        cfg = load_config(args.config, sets + extra)
        out = [run_replica(cfg, r, mode == "windowed") for r in range(args.replicas)]
        res[(mode, R)] = out
        v = np.array([o[0] for o in out])
        ev, cpu = sum(o[3] for o in out), sum(o[4] for o in out)
        print(f"{mode} R={R}: {ev} events, {cpu:.0f} s CPU ({cpu / ev * 1e9:.0f} ns/event)",
              flush=True)
        for k, c in enumerate(COLS):
            print(f"  {c:28s} {v[:, k].mean():.4e} +- {v[:, k].std(ddof=1) / np.sqrt(len(v)):.1e}")
        if mode == "windowed":
            e = np.concatenate([o[1] for o in out])
            s = np.concatenate([o[2] for o in out])
            if e.size:
                print(f"  field error at the events (rate-weighted RMS over {e.size} probes): "
                      f"{np.sqrt(np.mean(e ** 2)):.2f} MPa; interaction stress RMS "
                      f"{np.sqrt(np.mean(s ** 2)):.1f} MPa; ratio "
                      f"{np.sqrt(np.mean(e ** 2)) / np.sqrt(np.mean(s ** 2)):.3f}", flush=True)
    if ("exact", None) in res:
        ex = np.array([o[0] for o in res[("exact", None)]])
        for (mode, R), out in res.items():
            if mode != "windowed":
                continue
            w = np.array([o[0] for o in out])
            print(f"windowed R={R} - exact at the end of creep (paired, {len(w)} replicas; "
                  f"pass: |difference| < 3 SE for every observable):")
            ok = True
            for k, c in enumerate(COLS):
                d = w[:, k] - ex[:, k]
                se = d.std(ddof=1) / np.sqrt(len(d))
                z = d.mean() / se if se > 0 else 0.0
                ok &= abs(z) < 3.0
                print(f"  {c:28s} {d.mean():+.3e} +- {se:.1e} ({z:+.2f} SE, "
                      f"{100 * d.mean() / ex[:, k].mean():+.1f} % of exact)")
            print(f"  verdict: {'PASS' if ok else 'FAIL'}")


if __name__ == "__main__":
    main()
