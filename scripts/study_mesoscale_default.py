"""Plastic and anelastic strain of the mesoscale kMC configuration against [Hao2022] Eq. 25a.

Runs `configs/la60_kmc_creep_430K_mesoscale.toml` (creep 25 MPa for 330 s at 430 K, series
plasticity, coalescence, 13-site footprints) with its shipped rules, or with the rules given,
and prints, at the end of creep, the ensemble means of the plastic and anelastic strain (with
their standard errors over the replicas) divided by the mean-field values of Eq. 25a
(docs/kmc.md section 5, K2/K3).

    python scripts/study_mesoscale_default.py                           # the shipped default
    python scripts/study_mesoscale_default.py --growth every_event       # the alternative rule
    python scripts/study_mesoscale_default.py --law linear --replicas 32
"""

from __future__ import annotations

import argparse
import math
import time
import tomllib
from pathlib import Path

import numpy as np

from mgmeso.config import parse_config
from mgmeso.kmc.ensemble import run_ensemble
from mgmeso.kmc.observables import TS_INDEX
from mgmeso.theory import kinetics
from mgmeso.theory.compliance import creep_compliance, state_point
from mgmeso.theory.gumbel import gumbel_grid

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "la60_kmc_creep_430K_mesoscale.toml"


def run(growth=None, law=None, replicas=None, L=None, seed=None, T=None, recovery=0.0):
    doc = tomllib.loads(CONFIG.read_text())
    sim = doc["simulation"]
    for k, v in (("footprint_growth", growth), ("bias_law", law), ("replicas", replicas),
                 ("L", L), ("seed", seed)):
        if v is not None:
            sim[k] = v
    if T is not None:
        doc["protocol"]["temperature_K"] = T
    doc["protocol"]["recovery_time_s"] = recovery     # the ratios are taken at the end of creep
    doc.pop("output", None)                            # no snapshots
    cfg = parse_config(doc)
    t0 = time.time()
    res = run_ensemble(cfg, None, progress=False)
    tabs = np.array([r.table() for r in res.replicas[0]])
    t = tabs[0, :, TS_INDEX["time_s"]]
    k = int(np.argmin(np.abs(t - cfg.protocol.creep_time_s)))
    mat, p = cfg.material, cfg.protocol
    sp = state_point(mat, p.temperature_K)
    J = creep_compliance(mat, np.array([t[k]]), sp, gumbel_grid(mat.B_beta, 241))
    out = {"T_K": p.temperature_K, "t_s": float(t[k]), "wall_s": time.time() - t0,
           "rules": f"{cfg.simulation.footprint_growth} growth, {cfg.simulation.bias_law} law, "
                    f"sc L = {cfg.simulation.L}, {len(tabs)} replicas"}
    for name, col, term in (("plastic", "strain_plastic", "plastic"),
                            ("anelastic", "strain_anelastic_expected", "anelastic")):
        x = tabs[:, k, TS_INDEX[col]]
        ref = p.stress_MPa * float(np.asarray(J[term])[0])
        out[name] = (x.mean() / ref, x.std(ddof=1) / math.sqrt(len(x)) / ref)
    c = tabs[:, k, TS_INDEX["events_coalescence"]].mean()
    out["coalescences_per_site"] = c / res.setup.lattice.n_sites
    out["tau_max_s"] = float(kinetics.tau_max(mat, float(sp.tau_beta_s), float(sp.chi)))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--growth", choices=("alpha", "every_event"))
    ap.add_argument("--law", choices=("physical", "linear"))
    ap.add_argument("--replicas", type=int)
    ap.add_argument("--L", type=int)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--T", type=float, help="creep temperature (K)")
    args = ap.parse_args(argv)
    r = run(args.growth, args.law, args.replicas, args.L, args.seed, args.T)
    print(f"{CONFIG.name} at {r['T_K']:g} K, {r['rules']}: at t = {r['t_s']:.0f} s")
    for name in ("plastic", "anelastic"):
        m, se = r[name]
        print(f"  {name} strain / [Hao2022] Eq. 25a = {m:.3f} +/- {se:.3f}")
    print(f"  coalescences per site: {r['coalescences_per_site']:.3g}; wall {r['wall_s']:.0f} s")


if __name__ == "__main__":
    main()
