"""Stress-dependent rates by thinning against off (docs/kmc_elastic.md 6.10).

Runs the replicas of a creep config, ``stress_dependent_rates`` off and on (same seeds:
paired), one replica at a time. Each finished run is appended as one JSON line to ``--out``
(so a killed study keeps its finished runs, and a rerun with the same ``--out`` skips them: it
resumes), and a progress line is printed with its CPU time and the load average. At the end
(or with ``--report`` alone, from the file) it prints, over the complete pairs, at the end of
creep the beta, anelastic, plastic and total strains, the on/off ratios with their paired
standard errors, the thinning's counters (acceptance = accepted candidates / candidates, leaf
raises, epochs, bound violations) and the CPU time per accepted event of each setting.

Interactions are on unless ``--no-interactions`` (then the stress is the applied one and the
thinning runs through the interacting loop with a zero propagator, section 6.10).

    python scripts/study_elastic_thinning.py configs/la60_kmc_creep_430K_elastic.toml \
        --replicas 16 --set protocol.recovery_time_s=1 --out /tmp/thin.jsonl
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

from mgmeso.config import load_config
from mgmeso.config.overrides import parse_set
from mgmeso.kmc.ensemble import _seeds
from mgmeso.kmc.layout import C_ALL, C_ANN, C_BETA, C_NULL, C_SMD
from mgmeso.kmc.observables import TS_INDEX
from mgmeso.kmc.replica import Replica
from mgmeso.kmc.setup import make_setup

COLS = ("strain_beta_expected", "strain_anelastic_expected", "strain_plastic", "strain_expected")


def run_replica(path: str, sets: list[str], r: int, on: bool) -> dict:
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
    field = getattr(rep, "field", None)
    counts = field.thinning_counts() if (on and field is not None) else {}
    # C_ALL counts every accepted event; null events (rejected candidates) are counted apart
    return {"vals": [float(tab[i, TS_INDEX[c]]) for c in COLS],
            "events": int(rep.K.counts[C_ALL]), "null": int(rep.K.counts[C_NULL]),
            "channels": [int(rep.K.counts[c]) for c in (C_BETA, C_SMD, C_ANN)],
            "cpu_s": cpu, "thin": counts, "snapshot": snapshot_stats(rep, setup, cfg),
            "refreshes": int(field.n_refresh) if field is not None else 0}


def snapshot_stats(rep, setup, cfg) -> dict:
    """The local stress at the end of creep (the snapshot nearest to it), over the QPD sites:
    its mean and RMS, the mean ln-gain ``lng(sigma)`` of [Hao2022] Eq. 8 the units would have
    there (against the one at the applied stress), and the mean stress at the sites by the sign
    of their beta state and of their deposited plastic strain (the back-stress of a unit's
    own transformation shows as a lower stress where the strain is positive).
    """
    if not rep.snapshots or "local_stress" not in rep.snapshots[0]:
        return {}
    t_creep = float(cfg.protocol.creep_time_s)
    snap = min(rep.snapshots, key=lambda d: abs(float(d.get("time_s", t_creep)) - t_creep))
    q = np.asarray(snap["kind"]) == 1
    sig = np.asarray(snap["local_stress"], dtype=np.float64)[q]
    C = rep.control(0.0, 0)
    u_rt = float(C.times.log_tb_mean) - math.log(float(setup.material.tau_beta0_s))
    s1 = float(setup.material.sigma1_MPa)

    def lng(x):
        return u_rt * (1.0 - (1.0 - np.minimum(np.abs(x) / s1, 1.0)) ** 1.5)

    beta = np.asarray(snap["beta_state"])[q]
    pl = np.asarray(snap["plastic_strain"], dtype=np.float64)[q]
    mean = lambda m: float(sig[m].mean()) if np.any(m) else float("nan")  # noqa: E731
    return {"sig_mean": float(sig.mean()), "sig_rms": float(np.sqrt((sig ** 2).mean())),
            "lng_mean": float(lng(sig).mean()),
            "lng_applied": float(lng(np.array([float(cfg.protocol.stress_MPa)]))[0]),
            "sig_beta_plus": mean(beta > 0), "sig_beta_minus": mean(beta < 0),
            "sig_plastic_plus": mean(pl > 0), "sig_plastic_minus": mean(pl < 0)}


def report(rows: dict[int, dict]) -> None:
    reps = sorted(rows)
    n = len(reps)
    print(f"{n} replica pairs: {reps}")
    for key in ("off", "on"):
        v = np.array([rows[r][key]["vals"] for r in reps])
        ev = sum(rows[r][key]["events"] for r in reps)
        cpu = sum(rows[r][key]["cpu_s"] for r in reps)
        print(f"stress_dependent_rates {key:3s}: {ev} accepted events, {cpu:.0f} s CPU, "
              f"{1e9 * cpu / max(ev, 1):.0f} ns CPU per accepted event")
        for k, c in enumerate(COLS):
            se = v[:, k].std(ddof=1) / np.sqrt(n) if n > 1 else float("nan")
            print(f"  {c:28s} {v[:, k].mean():.4e} +- {se:.1e}")
        if key == "on" and rows[reps[0]]["on"]["thin"]:
            tot = {k: sum(rows[r]["on"]["thin"][k] for r in reps) for k in rows[reps[0]]["on"]["thin"]}
            acc = 1 - tot["null_events"] / max(tot["candidates"], 1)
            print(f"  thinning: {tot}; acceptance {acc:.3f}")
    off = np.array([rows[r]["off"]["vals"] for r in reps])
    on_ = np.array([rows[r]["on"]["vals"] for r in reps])
    print("on / off at the end of creep (paired differences; SE of the ratio = SE of the "
          "paired difference / mean off):")
    for k, c in enumerate(COLS):
        d = on_[:, k] - off[:, k]
        m = off[:, k].mean()
        se = d.std(ddof=1) / np.sqrt(n) if n > 1 else float("nan")
        z = d.mean() / se if (n > 1 and se > 0) else float("nan")
        print(f"  {c:28s} ratio {on_[:, k].mean() / m:.3f} +- {se / abs(m):.3f}; difference "
              f"{d.mean():+.3e} +- {se:.1e} ({z:+.1f} SE)")


def load_rows(out: Path, meta: dict) -> dict[int, dict]:
    rows: dict[int, dict] = {}
    if out.exists():
        for ln, line in enumerate(out.read_text().splitlines(), 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                sys.exit(f"error: {out} line {ln} is not JSON (a damaged results file); "
                         "remove the line or choose another --out")
            if rec.get("meta") != meta:
                sys.exit(f"error: {out} line {ln} was written for another config or --set "
                         f"({rec.get('meta')}); choose another --out")
            r = int(rec["replica"])
            for key in ("off", "on"):        # a pair line, or one run's line ("setting")
                if key in rec:
                    rows.setdefault(r, {})[key] = rec[key]
            if "setting" in rec:
                rows.setdefault(r, {})[rec["setting"]] = rec["result"]
    return rows


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("config")
    ap.add_argument("--replicas", type=int, default=16, help="replica pairs 0..n-1")
    ap.add_argument("--first", type=int, default=0, help="first replica index")
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("--out", required=True, help="JSON-lines file of finished pairs (resumed)")
    ap.add_argument("--no-interactions", action="store_true")
    ap.add_argument("--report", action="store_true", help="only report what --out holds")
    args = ap.parse_args(argv)
    inter = "false" if args.no_interactions else "true"
    sets = list(args.set) + [f"simulation.elastic_interactions={inter}"]
    meta = {"config": os.path.abspath(args.config), "set": sets}
    out = Path(args.out)
    rows = load_rows(out, meta)
    if not args.report:
        for r in range(args.first, args.first + args.replicas):
            for key, on in (("off", False), ("on", True)):
                if key in rows.get(r, {}):
                    print(f"replica {r} {key}: in {out}, skipped", flush=True)
                    continue
                res = run_replica(args.config, sets, r, on)
                with out.open("a") as f:     # each finished run at once: a kill loses one run
                    f.write(json.dumps({"meta": meta, "replica": r, "setting": key,
                                        "result": res}) + "\n")
                rows.setdefault(r, {})[key] = res
                extra = ""
                if res["thin"]:
                    c = res["thin"]
                    extra = (f", acceptance {1 - c['null_events'] / max(c['candidates'], 1):.3f}, "
                             f"epochs {c['epochs']}, bound violations {c['bound_violations']}")
                print(f"replica {r} {key}: {res['cpu_s']:.1f} s CPU, {res['events']} events"
                      f"{extra}, load {os.getloadavg()[0]:.1f}, "
                      f"{time.strftime('%H:%M:%S', time.gmtime())} UTC", flush=True)
    pairs = {r: v for r, v in rows.items() if "off" in v and "on" in v}
    if pairs:
        report(pairs)


if __name__ == "__main__":
    main()
