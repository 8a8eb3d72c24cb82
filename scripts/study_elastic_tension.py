"""Tension of La60Ni15Al25 at 430 K and 3e-4 1/s ([Hao2022] Fig. 10): the flow stress of the
kMC with the physical and the linear bias law, against the analytical model.

Prints the table of docs/kmc_elastic.md section 1.7: the stress at 1-5 % strain of

* the analytical model (hereditary integration) linear, with tau_beta(sigma) only, and with
  tau_beta(sigma) and chi(eps_an) (the 647 MPa of docs/theory.md N4);
* the kMC (no tau_beta(sigma): its rates do not depend on the stress) with the linear law
  (mean-field configuration), the physical law (mean-field configuration) and the physical law
  with the mesoscale rules (series, coalescence, 13-site footprints, alpha growth);
* the steady flow stress of the mean-field model with tau_beta(sigma) for three plastic flux laws
  of two-state units: linear, the engine's resampling tanh, and the Eyring sinh of the same
  two-level system (function steady_flows).

    python scripts/study_elastic_tension.py                 # about 90 s CPU (sc L = 16, 16 replicas)
    python scripts/study_elastic_tension.py --replicas 16 --L 16 --skip-series

``--thinning`` runs instead the kMC with elastic interactions and stress-dependent rates
(tau_beta(sigma) at the local stress by thinning, docs/kmc_elastic.md section 6.10), mean-field
rules and the physical law, with the resampling and the Eyring plastic rate law:

    python scripts/study_elastic_tension.py --thinning --replicas 8

``--thinning --no-interactions``: the same two rows without interactions (every unit at the
macroscopic stress; the thinning runs in the interacting loop with a zero field, section 6.10):

    python scripts/study_elastic_tension.py --thinning --no-interactions --replicas 8
"""

from __future__ import annotations

import argparse
import math
import time
import tomllib
from pathlib import Path

import numpy as np
from scipy.optimize import brentq

from mgmeso.config import load_config, parse_config
from mgmeso.kmc.bias import sigma_sat_MPa
from mgmeso.kmc.ensemble import run_ensemble
from mgmeso.kmc.observables import TS_INDEX
from mgmeso.theory import kinetics
from mgmeso.theory.hereditary import HereditaryOptions, run_program

ROOT = Path(__file__).resolve().parents[1]
STRAINS = (0.01, 0.02, 0.03, 0.04, 0.05)


def theory_rows():
    cfg = load_config(ROOT / "configs" / "la60_tension_430K.toml")
    prog = cfg.protocol.loading_program()
    rows = []
    for name, kw in (("analytical, linear", dict(nonlinear=False)),
                     ("analytical, tau_beta(sigma)", dict(nonlinear=True, strain_term=False)),
                     ("analytical, tau_beta(sigma) + chi(eps_an)",
                      dict(nonlinear=True, strain_term=True))):
        d = run_program(cfg.material, prog, HereditaryOptions(modes_per_decade=6, **kw))
        s, e = np.asarray(d["stress_MPa"]), np.asarray(d["strain"])
        i = int(np.argmax(s))
        rows.append((name, [f"{np.interp(x, e[:i + 1], s[:i + 1]):.0f}" for x in STRAINS]))
    return cfg, rows


def kmc_row(law, rules, L, reps, seed, stats=None):
    doc = tomllib.loads((ROOT / "configs" / "la60_kmc_tension_430K.toml").read_text())
    doc["protocol"].update(max_strain=0.05, recovery_time_s=0.0, unload=False, samples=50)
    doc["simulation"].update(bias_law=law, L=L, replicas=reps, seed=seed, **rules)
    res = run_ensemble(parse_config(doc), None, progress=False)
    if stats is not None and res.replicas[0][0].field is not None:
        for r in res.replicas[0]:
            for k, v in r.field.thinning_counts().items():
                stats[k] = stats.get(k, 0) + v
    tabs = np.array([r.table() for r in res.replicas[0]])
    s = tabs[..., TS_INDEX["stress_MPa_expected"]]
    e = tabs[..., TS_INDEX["strain"]].mean(0)
    m, se = s.mean(0), s.std(0, ddof=1) / math.sqrt(reps)
    cells = []
    for x in STRAINS:
        k = int(np.argmin(np.abs(e - x)))
        cells.append(f"{m[k]:.0f} +/- {se[k]:.1f}")
    return cells


def steady_flows(cfg, T=430.0, rate=3e-4):
    """Mean-field steady flow stresses of three plastic flux laws of two-state units.

    chi fixed at chi(T), tau_beta(sigma) on. Fluxes: linear (``A_vp sigma/tau_max``), the
    resampling tanh of the engine (``A_vp s_p tanh(sigma/s_p)/tau_max``: at most
    ``A_vp s_p/tau_max``) and the Eyring form of the same two-level system (forward and
    backward rates ``k0 exp(+-sigma/s_p)``, ``2 k0 = 1/tau_max``: the same equilibrium tanh,
    net flux ``A_vp s_p sinh(sigma/s_p)/tau_max``). Returns the three roots (MPa, NaN if none
    below sigma1/2), s_p, chi and the largest tanh flux at zero stress's tau_max over the
    applied rate.
    """
    mat = cfg.material
    c = float(kinetics.defect_concentration(mat, T))
    ss_p = float(sigma_sat_MPa(mat.A_vp, c, T, mat.site_volume_nm3))
    chi = float(kinetics.chi(mat, T))

    def tmax(s):
        return float(kinetics.tau_max(mat, float(kinetics.tau_beta(mat, T, s)), chi))

    laws = {"linear": lambda s: mat.A_vp * s,
            "tanh (resampling, the engine)": lambda s: mat.A_vp * ss_p * math.tanh(s / ss_p),
            "sinh (Eyring rates)": lambda s: mat.A_vp * ss_p * math.sinh(s / ss_p)}
    roots = {}
    for name, flux in laws.items():
        def f(s, flux=flux):
            return rate * tmax(s) - flux(s)
        hi = 0.5 * mat.sigma1_MPa
        roots[name] = brentq(f, 1e-3, hi) if f(1e-3) * f(hi) < 0 else float("nan")
    cap = mat.A_vp * ss_p / tmax(0.0) / rate
    return roots, ss_p, chi, cap


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--L", type=int, default=16)
    ap.add_argument("--replicas", type=int, default=16)
    ap.add_argument("--seed", type=int, default=430)
    ap.add_argument("--skip-series", action="store_true")
    ap.add_argument("--thinning", action="store_true",
                    help="the kMC with interactions and stress-dependent rates instead")
    ap.add_argument("--eyring-only", action="store_true", help="with --thinning: the Eyring row only")
    ap.add_argument("--no-interactions", action="store_true",
                    help="with --thinning: without interactions (the macroscopic stress)")
    args = ap.parse_args(argv)
    t0 = time.time()
    cfg, rows = theory_rows()
    mf = dict(plasticity="parallel", coalescence=False, footprint_max_sites=1)
    meso = dict(plasticity="series", coalescence=True, footprint_max_sites=13,
                footprint_growth="alpha")
    runs = [("kMC, linear law (mean-field rules)", "linear", mf),
            ("kMC, physical law (mean-field rules)", "physical", mf)]
    if not args.skip_series:
        runs.append(("kMC, physical law (mesoscale rules, alpha growth)", "physical", meso))
    if args.thinning:
        inter = not args.no_interactions
        thin = dict(mf, elastic_interactions=inter, stress_dependent_rates=True)
        what = "interactions" if inter else "no interactions"
        runs = [(f"kMC, {what}, tau_beta(sigma) by thinning, resampling plastic law",
                 "physical", thin),
                (f"kMC, {what}, tau_beta(sigma) by thinning, Eyring plastic law", "physical",
                 dict(thin, plastic_rate_law="eyring"))]
        if args.eyring_only:
            runs = runs[1:]
    for name, law, rules in runs:
        stats: dict = {}
        rows.append((name, kmc_row(law, rules, args.L, args.replicas, args.seed, stats)))
        if stats:
            print(f"{name}: thinning {stats}, acceptance "
                  f"{1 - stats['null_events'] / max(stats['candidates'], 1):.3f} "
                  f"(wall so far {time.time() - t0:.0f} s)", flush=True)
    print(f"stress (MPa) at 430 K, 3e-4 1/s; kMC: sc L = {args.L}, {args.replicas} replicas, "
          f"mean +/- SE")
    print("| model | " + " | ".join(f"strain {x:g}" for x in STRAINS) + " |")
    print("|---|" + "---|" * len(STRAINS))
    for name, cells in rows:
        print(f"| {name} | " + " | ".join(cells) + " |")
    roots, ss_p, chi, cap = steady_flows(cfg)
    print(f"\nmean-field steady flow stress with tau_beta(sigma), chi fixed at {chi:.3f}, "
          f"sigma_sat_p = {ss_p:.0f} MPa; the tanh law's largest plastic rate at zero stress's "
          f"tau_max is {cap:.3g} of the applied rate:")
    for name, s in roots.items():
        print(f"  {name}: {s:.0f} MPa")
    print(f"(wall {time.time() - t0:.0f} s)")


if __name__ == "__main__":
    main()
