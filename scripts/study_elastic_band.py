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


def _counts(r) -> dict:
    """Event counters of a finished replica (kernels, thinning, defect updates)."""
    from mgmeso.kmc.layout import C_ALL, C_BETA, C_SMD

    c = dict(events=int(r.K.counts[C_ALL]), beta_events=int(r.K.counts[C_BETA]),
             smd_events=int(r.K.counts[C_SMD]))
    if r.field is not None:
        c["refreshes"] = int(r.field.n_refresh)
        if r.field.thin:
            tc = r.field.thinning_counts()
            c["candidates"] = int(tc.get("candidates", 0))
            c["epochs"] = int(tc.get("epochs", 0))
    if r.dyn is not None:
        c.update(renewed=int(r.dyn.renewed), healed=int(r.dyn.healed), formed=int(r.dyn.formed))
    return c


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
    out.update(_counts(r))
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
    updates at least 100 times per run.
    """
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
    null, null_sd = null_plane_share(p, lat, n_perm=20)
    out = dict(index=float(plane_share(p, lat)), null=null, null_sd=null_sd,
               eps_p=float(p.mean()), c=float(np.mean(r.S.kind != 0)),
               c_eff=float(np.mean(p != 0)), strain=e.tolist(), stress=s.tolist(),
               peak=float(s.max()), final=float(s[-1]),
               renewed=int(r.dyn.renewed) if r.dyn is not None else 0,
               cpu_s=time.process_time() - t0)
    if r.field is not None and r.field.thin:
        out["violations"] = int(r.field.thinning_counts().get("violations", 0))
    out.update(_counts(r))
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


def load_runs(out: Path) -> list[dict]:
    return [json.loads(x) for x in (out / "runs.jsonl").read_text().splitlines() if x.strip()]


def summarise(runs: list[dict]) -> list[dict]:
    """One row per (lattice, L, T, rate, variant): seed means and SE, the paired statistics."""
    groups: dict = {}
    for r in runs:
        groups.setdefault((r["lattice"], r["L"], r["T"], r["rate"], r["variant"]), []).append(r)
    rows = []
    for (lat, L, T, rate, var), rs in sorted(groups.items()):
        rs = sorted(rs, key=lambda r: r["seed"])
        idx = np.array([r["index"] for r in rs])
        nul = np.array([r["null"] for r in rs])
        peak = np.array([r["peak"] for r in rs])
        fin = np.array([r["final"] for r in rs])
        n = len(rs)

        def se(a):
            return float(a.std(ddof=1) / math.sqrt(a.size)) if a.size > 1 else math.nan
        d = idx - nul
        over = peak - fin
        rows.append(dict(lattice=lat, L=L, T=T, rate=rate, variant=var, n=n,
                         seeds=[r["seed"] for r in rs],
                         index=float(idx.mean()), index_se=se(idx), null=float(nul.mean()),
                         excess=float(d.mean()), excess_se=se(d),
                         localised=bool(idx.mean() >= 0.5 and d.mean() > 3 * se(d)),
                         final=float(fin.mean()), final_se=se(fin),
                         overshoot=float(over.mean()), overshoot_se=se(over),
                         eps_p=float(np.mean([r["eps_p"] for r in rs])),
                         c_eff=float(np.mean([r["c_eff"] for r in rs])),
                         cpu_s=float(sum(r["cpu_s"] for r in rs)),
                         violations=int(sum(r.get("violations", 0) for r in rs))))
    return rows


def paired(runs, a="int+ren", b="int"):
    """index(a) - index(b) per (lattice, L, T, rate) over the shared seeds: mean, SE."""
    by = {}
    for r in runs:
        by[(r["lattice"], r["L"], r["T"], r["rate"], r["variant"], r["seed"])] = r["index"]
    out = {}
    for (lat, L, T, rate, var, seed), v in by.items():
        if var != a or (lat, L, T, rate, b, seed) not in by:
            continue
        out.setdefault((lat, L, T, rate), []).append(v - by[(lat, L, T, rate, b, seed)])
    res = {}
    for k, d in sorted(out.items()):
        d = np.array(d)
        res[k] = (float(d.mean()), float(d.std(ddof=1) / math.sqrt(d.size)) if d.size > 1
                  else math.nan, d.size)
    return res


def _field_2d(r, out: Path):
    p = np.load(out / r["field"])
    L = r["L"]
    return p.reshape((L, L) if r["lattice"] == "square" else (L, L, L))


def cmd_plot(args):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from mgmeso.analysis.deformation_map import (
        RunLocalisation,
        plot_simulated_deformation_map,
        simulated_deformation_map,
    )

    out = Path(args.out)
    figs = Path(args.figures)
    figs.mkdir(parents=True, exist_ok=True)
    runs = load_runs(out)
    rows = summarise(runs)
    pair = paired(runs)
    print("| lattice | T (K) | rate (1/s) | variant | n | index | null | index - null | "
          "stress at 10 % (MPa) | peak - final (MPa) | plastic strain | c_eff | localised |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['lattice']} {r['L']} | {r['T']:g} | {r['rate']:g} | {r['variant']} | {r['n']} | "
              f"{r['index']:.3f} +/- {r['index_se']:.3f} | {r['null']:.3f} | "
              f"{r['excess']:.3f} +/- {r['excess_se']:.3f} | {r['final']:.0f} +/- {r['final_se']:.0f} | "
              f"{r['overshoot']:.1f} +/- {r['overshoot_se']:.1f} | {r['eps_p']:.2e} | "
              f"{r['c_eff']:.2f} | {'yes' if r['localised'] else 'no'} |")
    print("\npaired index(int+ren) - index(int):")
    for k, (m, se, n) in pair.items():
        print(f"  {k}: {m:+.3f} +/- {se:.3f} (n = {n})")
    print(f"CPU of the runs: {sum(r['cpu_s'] for r in rows):.0f} s; bound violations: "
          f"{sum(r['violations'] for r in rows)}")

    sq = [r for r in runs if r["lattice"] == "square"]
    # strain maps: the most and the least localised run with renewal, and the same seed without
    ren = [r for r in sq if r["variant"] == "int+ren"]
    hi = max(ren, key=lambda r: r["index"] - r["null"])
    lo = min(ren, key=lambda r: r["index"] - r["null"])
    twins = [next((x for x in sq if x["variant"] == "int" and x["seed"] == r["seed"]
                   and x["T"] == r["T"] and x["rate"] == r["rate"]), None) for r in (hi, lo)]
    show = [r for r in (hi, twins[0], lo, twins[1]) if r is not None]
    fig, axs = plt.subplots(2, len(show), figsize=(3.4 * len(show), 5.0),
                            gridspec_kw=dict(height_ratios=[3, 1.3]))
    for i, r in enumerate(show):
        f = _field_2d(r, out)
        im = axs[0, i].imshow(f.T, origin="lower", cmap="magma", interpolation="nearest")
        fig.colorbar(im, ax=axs[0, i], fraction=0.046, label="plastic strain")
        axs[0, i].set_title(f"{r['T']:g} K, {r['rate']:g}/s, {r['variant']}\nseed {r['seed']}: "
                            f"index {r['index']:.3f} (null {r['null']:.3f})", fontsize=8)
        axs[0, i].set_xlabel("x")
        axs[0, i].set_ylabel("y")
        axs[1, i].plot(f.sum(1), label="planes normal to x")
        axs[1, i].plot(f.sum(0), label="planes normal to y")
        axs[1, i].set_xlabel("plane")
        axs[1, i].set_ylabel("plane total")
        if i == 0:
            axs[1, i].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(figs / "elastic_band_maps.png", dpi=110)
    plt.close(fig)

    # stress-strain curves
    Ts = sorted({r["T"] for r in sq})
    rates = sorted({r["rate"] for r in sq})
    fig, axs = plt.subplots(1, len(Ts), figsize=(4.2 * len(Ts), 3.6), sharey=True)
    axs = np.atleast_1d(axs)
    for a, T in zip(axs, Ts):
        for ci, rate in enumerate(rates):
            for var, ls in (("int+ren", "-"), ("int", "--"), ("ren", ":")):
                rs = [r for r in sq if r["T"] == T and r["rate"] == rate and r["variant"] == var]
                if not rs:
                    continue
                e = np.mean([r["strain"] for r in rs], axis=0)
                sgm = np.mean([r["stress"] for r in rs], axis=0)
                a.plot(e * 100, sgm, ls, color=f"C{ci}", label=f"{rate:g}/s {var}")
        a.set_title(f"{T:g} K ({T / 453:.2f} Tg)", fontsize=9)
        a.set_xlabel("strain (%)")
    axs[0].set_ylabel("stress (MPa)")
    # the panel with the most curves carries the legend (every rate and variant drawn)
    max(axs, key=lambda a: len(a.get_lines())).legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(figs / "elastic_band_curves.png", dpi=110)
    plt.close(fig)

    # index against T
    fig, ax = plt.subplots(figsize=(5.5, 4))
    for ci, rate in enumerate(rates):
        for var, mk in (("int+ren", "o"), ("int", "s"), ("ren", "^")):
            rr = [r for r in rows if r["lattice"] == "square" and r["rate"] == rate
                  and r["variant"] == var]
            if not rr:
                continue
            ax.errorbar([r["T"] for r in rr], [r["index"] for r in rr],
                        [r["index_se"] for r in rr], marker=mk, color=f"C{ci}",
                        ls="-" if var == "int+ren" else "--", label=f"{rate:g}/s {var}")
            ax.plot([r["T"] for r in rr], [r["null"] for r in rr], mk, color=f"C{ci}",
                    mfc="none", alpha=0.5)
    ax.axhline(0.5, color="r", lw=1)
    ax.set_xlabel("temperature (K)")
    ax.set_ylabel("localisation index (open: random null)")
    ax.set_ylim(0.08, 0.6)
    ax.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    fig.savefig(figs / "elastic_band_index.png", dpi=110)
    plt.close(fig)

    # deformation map: the runs with interactions and renewal at their stress at 10 %
    rr = [r for r in rows if r["lattice"] == "square" and r["variant"] == "int+ren"]
    locs = [RunLocalisation(T_K=r["T"], stress_MPa=r["final"], index=r["index"],
                            index_se=r["index_se"], null=r["null"], ipr_N=math.nan, q4=math.nan,
                            plastic_rate_per_s=r["eps_p"] * r["rate"] / args.max_strain)
            for r in rr]
    cfg = parse_config(search_doc(400.0, 3e-4, "int+ren", 1000, "sc", 16, args.max_strain))
    res = simulated_deformation_map(locs, material=cfg.material, config=cfg,
                                    percolation=not args.no_percolation)
    fig, ax = plt.subplots(figsize=(6.5, 5.2))
    plot_simulated_deformation_map(res, ax=ax)
    for r in rr:
        ax.annotate(f"{r['rate']:g}", (r["T"], r["final"]), fontsize=6, xytext=(4, 4),
                    textcoords="offset points")
    if res.percolation is not None:
        # the percolation lines at the runs' plastic rates: homogeneous to their right
        pt = res.percolation.table.columns
        lr = np.log([x.plastic_rate_per_s for x in locs])
        Tsp = np.interp(lr, np.log(pt["strain_rate_per_s"]), pt["T_spectral_K"])
        Tst = np.interp(lr, np.log(pt["strain_rate_per_s"]), pt["T_static_K"])
        ax.axvspan(Tsp.min(), Tsp.max(), color="C3", alpha=0.25,
                   label="percolation, spectral line at the runs' rates")
        ax.axvline(float(np.median(Tst)), color="C1", lw=1.5,
                   label="percolation, static line")
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)
        print(f"percolation at the runs' rates: spectral {Tsp.min():.0f}-{Tsp.max():.0f} K, "
              f"static {Tst.min():.0f}-{Tst.max():.0f} K")
    fig.tight_layout()
    fig.savefig(figs / "elastic_band_deformation_map.png", dpi=110)
    plt.close(fig)
    tab = res.table()
    print("\ndeformation map (int+ren, stress at 10 %):")
    for i in range(len(tab["T_K"])):
        print({k: (round(float(v[i]), 3) if np.isfinite(v[i]) else None) for k, v in tab.items()})
    if res.percolation is not None:
        pt = res.percolation.table.columns
        print("percolation lines:", {k: np.round(np.asarray(v), 4).tolist() for k, v in pt.items()})


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
    g = sub.add_parser("plot")
    g.add_argument("--out", required=True)
    g.add_argument("--figures", default=str(ROOT / "docs" / "figures"))
    g.add_argument("--max-strain", type=float, default=0.1)
    g.add_argument("--no-percolation", action="store_true")
    args = ap.parse_args(argv)
    {"diagnose": cmd_diagnose, "search": cmd_search, "plot": cmd_plot}[args.cmd](args)


if __name__ == "__main__":
    main()
