"""Why interactions stop plastic flow in tension, and the band search under strain control
(docs/kmc_elastic.md section 7.8).

``diagnose``: strain-controlled tension of La60Ni15Al25 (``configs/la60_kmc_tension_430K.toml``
as the base: 430 K, 3e-4 1/s, to 5 %), mean-field rules, physical law, the Eyring plastic law
and stress-dependent rates, with and without interactions. Per replica at the end: the
applied stress, the gross and net plastic events (``C_ANN`` and ``SUM_PLASTIC``), the QPD
fraction c, the share of sites that carry plastic strain (c_eff), the mean local stress on
the QPD, the plastic and the matrix sites, its plastic part (the field of the plastic strain,
``eshelby.lattice_field``) and its two-state part, beside the composite-hardening prediction
``sigma_app - |K(0)| (1 - c_eff)/c_eff eps_p``.

    python scripts/study_elastic_band.py diagnose --lattice square --L 32 --replicas 4

``search``: the band search (section 7.8): tension with interactions, Eyring, stress-dependent
rates, at the grid of temperatures and strain rates given, one line of JSON per finished run
appended to ``--out`` (a rerun skips what is there), then ``plot``.
"""

from __future__ import annotations

import argparse
import json
import math
import time
import tomllib
from pathlib import Path

import numpy as np

from mgmeso.config import parse_config
from mgmeso.kmc.ensemble import run_ensemble
from mgmeso.kmc.eshelby import lattice_field
from mgmeso.kmc.layout import C_ANN, SUM_PLASTIC
from mgmeso.kmc.observables import TS_INDEX

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "configs" / "la60_kmc_tension_430K.toml"


def tension_doc(*, lattice="square", L=32, replicas=4, seed=430, T=430.0, rate=3e-4,
                max_strain=0.05, interactions=True, samples=50, extra=None):
    """The tension config (a TOML document as a dict) of this study."""
    doc = tomllib.loads(BASE.read_text())
    doc["protocol"].update(max_strain=max_strain, recovery_time_s=0.0, unload=False,
                           samples=samples, temperature_K=T, strain_rate_per_s=rate)
    doc["simulation"].update(bias_law="physical", lattice=lattice, L=L, replicas=replicas,
                             seed=seed, plasticity="parallel", coalescence=False,
                             footprint_max_sites=1, elastic_interactions=interactions,
                             stress_dependent_rates=True, plastic_rate_law="eyring")
    for k, v in (extra or {}).items():
        table, key = k.split(".", 1)
        doc.setdefault(table, {})[key] = v
    return doc


def replica_diagnosis(r) -> dict:
    """The numbers of one finished replica (see the module docstring)."""
    sig_app = r._macro(r.t)[0]
    kind = np.asarray(r.S.kind) != 0
    p = np.asarray(r.S.eps_p, np.float64)
    n = p.size
    eps_p = p.mean()
    gross = int(r.K.counts[C_ANN])
    net = int(r.K.sums[SUM_PLASTIC])
    plastic = p != 0.0
    out = dict(sigma_app=sig_app, gross=gross, net=net,
               net_over_gross=abs(net) / gross if gross else math.nan,
               c=kind.mean(), c_eff=plastic.mean(), eps_p=eps_p, d_p=float(r.d_p),
               top10_share=float(np.sort(np.abs(p))[::-1][: max(1, n // 10)].sum()
                                 / max(np.abs(p).sum(), 1e-300)))
    f = r.field
    if f is not None and f.interacting:
        loc = f.local_stress(sig_app)
        prop = f.field.prop
        k0 = float(prop.value(0, 0))
        pl = lattice_field(prop, p)
        two = loc - sig_app - pl
        out.update(K0_MPa=k0,
                   loc_qpd=float(loc[kind].mean()), loc_matrix=float(loc[~kind].mean()),
                   loc_plastic=float(loc[plastic].mean()) if plastic.any() else math.nan,
                   pl_qpd=float(pl[kind].mean()), pl_plastic=float(pl[plastic].mean()),
                   two_qpd=float(two[kind].mean()), two_rms=float(two.std()),
                   loc_rms=float(loc.std()),
                   predicted_plastic_sites=float(
                       sig_app + k0 * (1 - out["c_eff"]) / max(out["c_eff"], 1e-12) * eps_p))
    return out


def run_tension(doc) -> tuple[list[dict], np.ndarray, np.ndarray, np.ndarray]:
    """Run the replicas of ``doc``; return the diagnoses, strain, stress mean and SE."""
    res = run_ensemble(parse_config(doc), None, progress=False, workers=1)
    reps = res.replicas[0]
    diag = [replica_diagnosis(r) for r in reps]
    tabs = np.array([r.table() for r in reps])
    s = tabs[..., TS_INDEX["stress_MPa_expected"]]
    e = tabs[..., TS_INDEX["strain"]].mean(0)
    se = s.std(0, ddof=1) / math.sqrt(len(reps)) if len(reps) > 1 else np.zeros(s.shape[1])
    return diag, e, s.mean(0), se


def _sets(items):
    """``table.key=value`` pairs, the value read as TOML."""
    out = {}
    for kv in items or ():
        k, v = kv.split("=", 1)
        out[k.strip()] = tomllib.loads(f"v = {v}")["v"]
    return out


def _mean_se(vals):
    a = np.asarray(vals, float)
    se = a.std(ddof=1) / math.sqrt(a.size) if a.size > 1 else math.nan
    return a.mean(), se


def cmd_diagnose(args):
    rows = []
    for inter in (False, True):
        t0 = time.process_time()
        doc = tension_doc(lattice=args.lattice, L=args.L, replicas=args.replicas, seed=args.seed,
                          T=args.T, rate=args.rate, interactions=inter,
                          extra=_sets(args.set))
        diag, e, s, se = run_tension(doc)
        cpu = time.process_time() - t0
        k = [int(np.argmin(np.abs(e - x))) for x in (0.01, 0.02, 0.03, 0.04, 0.05)]
        slope = (s[k[4]] - s[k[3]]) / (e[k[4]] - e[k[3]])
        row = dict(interactions=inter, lattice=args.lattice, L=args.L, T=args.T, rate=args.rate,
                   stress=[float(s[i]) for i in k], stress_se=[float(se[i]) for i in k],
                   slope_45_MPa=float(slope), cpu_s=cpu)
        for key in diag[0]:
            m, sd = _mean_se([d[key] for d in diag])
            row[key] = m
            row[key + "_se"] = sd
        rows.append(row)
        print(json.dumps(row), flush=True)
        if args.out:
            with open(args.out, "a") as fh:
                fh.write(json.dumps(row) + "\n")


VARIANTS = {
    # name: (interactions, renewal probability)
    "int+ren": (True, 1.0),
    "int": (True, 0.0),
    "ren": (False, 1.0),
}


def search_doc(T, rate, variant, seed, lattice, L, max_strain, samples=60):
    """One run of the band search: tension with stress-dependent rates and the Eyring law,
    defect dynamics on (plastic renewal needs them; aging is negligible below Tg), defect
    updates at least 100 times per run."""
    inter, p = VARIANTS[variant]
    dur = max_strain / rate
    extra = {"defects.enabled": True, "defects.max_step_s": dur / 100.0,
             "defects.plastic_renewal_probability": p}
    return tension_doc(lattice=lattice, L=L, replicas=1, seed=seed, T=T, rate=rate,
                       max_strain=max_strain, interactions=inter, samples=samples, extra=extra)


def run_one(doc, fields_path: Path) -> dict:
    """Run one replica; its index, null, curve and the plastic field (saved to fields_path)."""
    from mgmeso.analysis.localisation import null_plane_share, plane_share

    t0 = time.process_time()
    cfg = parse_config(doc)
    res = run_ensemble(cfg, None, progress=False, workers=1)
    r = res.replicas[0][0]
    tab = r.table()
    e = tab[:, TS_INDEX["strain"]]
    s = tab[:, TS_INDEX["stress_MPa_expected"]]
    p = np.asarray(r.S.eps_p, np.float64)
    lat = r.setup.lattice
    out = dict(index=float(plane_share(p, lat)), null=float(null_plane_share(p, lat, n_perm=20)),
               eps_p=float(p.mean()), c=float(np.mean(r.S.kind != 0)),
               c_eff=float(np.mean(p != 0)), strain=e.tolist(), stress=s.tolist(),
               peak=float(s.max()), final=float(s[-1]),
               renewed=int(r.dyn.renewed) if r.dyn is not None else 0,
               cpu_s=time.process_time() - t0)
    if r.field is not None and r.field.thin:
        out["violations"] = int(r.field.thinning_counts().get("violations", 0))
    np.save(fields_path, p.astype(np.float32))
    return out


def cmd_search(args):
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    log = out / "runs.jsonl"
    done = set()
    if log.exists():
        for line in log.read_text().splitlines():
            d = json.loads(line)
            done.add((d["T"], d["rate"], d["variant"], d["seed"], d["lattice"], d["L"]))
    for T in args.T:
        for rate in args.rate:
            for variant in args.variants:
                for i in range(args.replicas):
                    seed = args.seed + i
                    key = (T, rate, variant, seed, args.lattice, args.L)
                    if key in done:
                        continue
                    doc = search_doc(T, rate, variant, seed, args.lattice, args.L, args.max_strain)
                    name = f"{args.lattice}{args.L}_{T:g}K_{rate:g}_{variant}_{seed}.npy"
                    row = dict(T=T, rate=rate, variant=variant, seed=seed, lattice=args.lattice,
                               L=args.L, max_strain=args.max_strain, field=name)
                    row.update(run_one(doc, out / name))
                    with open(log, "a") as fh:
                        fh.write(json.dumps(row) + "\n")
                    print(f"{T:g} K {rate:g}/s {variant} seed {seed}: index {row['index']:.3f} "
                          f"null {row['null']:.3f} eps_p {row['eps_p']:.2e} peak {row['peak']:.0f} "
                          f"final {row['final']:.0f} MPa, {row['cpu_s']:.1f} s CPU", flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("diagnose")
    d.add_argument("--lattice", default="square")
    d.add_argument("--L", type=int, default=32)
    d.add_argument("--replicas", type=int, default=4)
    d.add_argument("--seed", type=int, default=430)
    d.add_argument("--T", type=float, default=430.0)
    d.add_argument("--rate", type=float, default=3e-4)
    d.add_argument("--set", action="append", help="table.key=value (value as TOML)")
    d.add_argument("--out")
    q = sub.add_parser("search")
    q.add_argument("--out", required=True)
    q.add_argument("--T", type=float, nargs="+", default=[300.0, 350.0, 400.0])
    q.add_argument("--rate", type=float, nargs="+", default=[3e-4, 3e-3, 1e-2])
    q.add_argument("--variants", nargs="+", default=["int+ren"], choices=list(VARIANTS))
    q.add_argument("--replicas", type=int, default=4)
    q.add_argument("--seed", type=int, default=1000)
    q.add_argument("--lattice", default="square")
    q.add_argument("--L", type=int, default=64)
    q.add_argument("--max-strain", type=float, default=0.05)
    args = ap.parse_args(argv)
    {"diagnose": cmd_diagnose, "search": cmd_search}[args.cmd](args)


if __name__ == "__main__":
    main()
