"""Localisation with strain softening: rejuvenation (defect dynamics) and elastic interactions.

docs/kmc_elastic.md section 7.7. Creep of La60Ni15Al25 at low temperature and high stress with
the mean-field rules (parallel plasticity, one-site footprints), the physical bias law,
stress-dependent rates by thinning with the Eyring plastic law (so that the kMC flows, section
6.10), local chi (``heterogeneity = "local"``, ``chi_radius`` 2, neighbourhood beta time) and
defect dynamics (``[defects] enabled``), in four variants with paired seeds:

* ``int+rej``: interactions and rejuvenation (yield ``--yield`` QPDs per site per MPa);
* ``int``: interactions, no rejuvenation (yield 0);
* ``rej``: rejuvenation, interactions off (the zero-strength propagator: the same loop,
  thinning and defect dynamics, every unit at the applied stress);
* ``none``: neither.

For each run at the end of creep: the localisation index of the deposited plastic strain
(``mgmeso.analysis.localisation.plane_share``) and its random-placement null
(``null_plane_share``, 20 permutations), the mean plastic strain, the QPDs created by
rejuvenation, the defect fraction and the largest local chi.

    python scripts/study_elastic_softening.py size                 # one short run (cost)
    python scripts/study_elastic_softening.py run --out DIR        # the grid, results.json + maps
    python scripts/study_elastic_softening.py plot --out DIR       # docs/figures/elastic_softening*.png
"""

from __future__ import annotations

import argparse
import json
import time
import tomllib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from mgmeso.analysis.localisation import null_plane_share, plane_share
from mgmeso.config import parse_config
from mgmeso.kmc.elastic_replica import ReplicaField
from mgmeso.kmc.replica import TS_INDEX, Replica
from mgmeso.kmc.setup import make_setup

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "configs" / "la60_kmc_creep_430K_elastic.toml"
VARIANTS = ("int+rej", "int", "rej", "none")
THRESHOLD = 0.5   # localised: index >= 0.5 (docs/kmc_localisation.md section 5)


def make_config(T_K: float, stress_MPa: float, creep_s: float, yield_per_MPa: float, L: int):
    doc = tomllib.loads(BASE.read_text())
    doc["protocol"].update(temperature_K=float(T_K), stress_MPa=float(stress_MPa),
                           creep_time_s=float(creep_s), recovery_time_s=1.0)
    doc["simulation"].update(L=int(L), replicas=1, bias_law="physical", heterogeneity="local",
                             chi_radius=2, hierarchy_beta_time="neighbourhood",
                             stress_dependent_rates=True, plastic_rate_law="eyring",
                             elimination_factor=10.0)
    doc.pop("output", None)
    doc["defects"] = {"enabled": True, "rejuvenation_yield_per_MPa": float(yield_per_MPa),
                      "max_step_s": max(creep_s / 20.0, 1.0)}
    return parse_config(doc)


def run_one(args) -> dict:
    T, sig, creep_s, variant, yld, L, seed, max_cpu = args
    cfg = make_config(T, sig, creep_s, yld if "rej" in variant else 0.0, L)
    setup = make_setup(cfg)
    rep = Replica(setup, 0, np.random.SeedSequence(seed))
    if not variant.startswith("int"):
        rep.field = ReplicaField(setup, mu_MPa=0.0)     # interactions off, same loop and thinning
    c0 = time.process_time()
    cut = False
    while not rep.done:
        if rep.seg is not None and rep.seg.finished and rep.seg_index == 0:
            break                                         # end of creep, before the unloading
        if time.process_time() - c0 > max_cpu:
            cut = True                                    # the CPU cap: measured where it stopped
            break
        rep.advance(200_000)
    cpu = time.process_time() - c0
    p = rep.S.eps_p.astype(np.float64)
    lat = setup.lattice
    idx = plane_share(p, lat)
    null = null_plane_share(p, lat, n_perm=20, seed=seed)
    tab = rep.table()
    chi = np.asarray(rep.S.chi, dtype=np.float64)[rep.S.kind == 1]
    return dict(T_K=T, stress_MPa=sig, creep_s=creep_s, variant=variant, seed=seed, L=L,
                yield_per_MPa=yld if "rej" in variant else 0.0, index=float(idx),
                null=float(null[0]), null_sd=float(null[1]),
                plastic=float(tab[-1, TS_INDEX["strain_plastic"]]), eps_p_mean=float(p.mean()),
                eps_p_sd=float(p.std()), rejuvenated=int(rep.dyn.rejuvenated),
                healed=int(rep.dyn.healed), defect_fraction=float(np.mean(rep.S.kind == 1)),
                chi_max=float(chi.max()) if chi.size else float("nan"),
                chi_mean=float(chi.mean()) if chi.size else float("nan"),
                events=int(rep.K.counts[5]), t_end=float(rep.t), cpu_s=cpu, cut=cut,
                thinning=rep.field.thinning_counts(), eps_p=p.tolist())


def _summary(r: dict) -> str:
    return (f"{r['T_K']:5.0f} K {r['stress_MPa']:5.0f} MPa {r['variant']:8s} seed {r['seed']}: "
            f"index {r['index']:.3f} (null {r['null']:.3f}), plastic {r['plastic']:.2e}, "
            f"rejuvenated {r['rejuvenated']}, defects {r['defect_fraction']:.3f}, "
            f"chi max {r['chi_max']:.3f}, {r['events']:.2e} events, t = {r['t_end']:.3g} s"
            f"{' (cut)' if r['cut'] else ''}, {r['cpu_s']:.1f} s CPU, "
            f"violations {r['thinning']['bound_violations']}")


def grid(a) -> list[tuple]:
    jobs = []
    for T in a.T:
        for s in a.stress:
            for v in a.variants:
                for k in range(a.replicas):
                    jobs.append((T, s, a.creep, v, a.yield_per_MPa, a.L, 1000 + k, a.max_cpu))
    return jobs


def cmd_run(a) -> None:
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "results.json"
    done = json.loads(path.read_text()) if path.exists() else []
    have = {(r["T_K"], r["stress_MPa"], r["variant"], r["seed"]) for r in done}
    todo = [j for j in grid(a) if (j[0], j[1], j[3], j[6]) not in have]
    t0 = time.time()
    with ProcessPoolExecutor(a.workers) as ex:
        for r in ex.map(run_one, todo):
            print(_summary(r), flush=True)
            done.append(r)
            path.write_text(json.dumps(done))          # resumable: one record per finished run
    print(f"{len(todo)} runs, {time.time() - t0:.0f} s wall")


def table(res: list[dict]) -> list[dict]:
    """Replica mean and SE of index and null per (T, stress, variant)."""
    keys = sorted({(r["T_K"], r["stress_MPa"], r["variant"]) for r in res})
    rows = []
    for T, s, v in keys:
        rr = [r for r in res if (r["T_K"], r["stress_MPa"], r["variant"]) == (T, s, v)]
        ix = np.array([r["index"] for r in rr])
        nu = np.array([r["null"] for r in rr])
        n = ix.size
        se = float(ix.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan")
        rows.append(dict(T_K=T, stress_MPa=s, variant=v, n=n, index=float(ix.mean()), se=se,
                         null=float(nu.mean()), excess=float((ix - nu).mean()),
                         excess_se=float((ix - nu).std(ddof=1) / np.sqrt(n)) if n > 1 else np.nan,
                         plastic=float(np.mean([r["plastic"] for r in rr])),
                         rejuvenated=float(np.mean([r["rejuvenated"] for r in rr])),
                         chi_max=float(np.mean([r["chi_max"] for r in rr])),
                         chi_mean=float(np.mean([r["chi_mean"] for r in rr])),
                         cpu_s=float(np.sum([r["cpu_s"] for r in rr]))))
    return rows


def paired(res, T, s, a, b) -> tuple[float, float, int]:
    """Mean and SE of index(a) - index(b) over the seeds both have."""
    da = {r["seed"]: r["index"] for r in res if (r["T_K"], r["stress_MPa"], r["variant"]) == (T, s, a)}
    db = {r["seed"]: r["index"] for r in res if (r["T_K"], r["stress_MPa"], r["variant"]) == (T, s, b)}
    d = np.array([da[k] - db[k] for k in sorted(set(da) & set(db))])
    if d.size < 2:
        return float("nan"), float("nan"), int(d.size)
    return float(d.mean()), float(d.std(ddof=1) / np.sqrt(d.size)), int(d.size)


def _slice_and_planes(r):
    L = r["L"]
    p = np.asarray(r["eps_p"]).reshape(L, L, L)    # sc: site = x + L (y + L z) or a permutation
    return p


def cmd_plot(a) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from mgmeso.analysis.deformation_map import T_TRANSITION_FRACTION, yield_stress_MPa
    from mgmeso.config import load_config
    from mgmeso.kmc.lattice import make_lattice

    res = json.loads((Path(a.out) / "results.json").read_text())
    rows = table(res)
    print("T_K stress_MPa variant n index +/- SE null excess +/- SE plastic rejuvenated "
          "chi_mean chi_max cpu_s")
    for w in rows:
        print(f"{w['T_K']:5.0f} {w['stress_MPa']:5.0f} {w['variant']:8s} {w['n']} "
              f"{w['index']:.3f} +/- {w['se']:.3f} {w['null']:.3f} {w['excess']:+.3f} +/- "
              f"{w['excess_se']:.3f} {w['plastic']:.2e} {w['rejuvenated']:.0f} "
              f"{w['chi_mean']:.3f} {w['chi_max']:.3f} {w['cpu_s']:.0f}")
    pts = sorted({(r["T_K"], r["stress_MPa"]) for r in res})
    for T, s in pts:
        for a_, b_ in (("int+rej", "int"), ("int+rej", "rej"), ("int", "none"), ("rej", "none")):
            m, se, n = paired(res, T, s, a_, b_)
            if n:
                print(f"paired {T:.0f} K {s:.0f} MPa: index({a_}) - index({b_}) = {m:+.4f} +/- "
                      f"{se:.4f} (n = {n})")
    fig_dir = Path(a.figures)
    fig_dir.mkdir(parents=True, exist_ok=True)
    mat = load_config(BASE).material
    lat = make_lattice("sc", res[0]["L"])
    pos = np.rint(lat.positions()).astype(int) % res[0]["L"]

    # strain maps: the most and the least localised runs with interactions and rejuvenation
    cand = [r for r in res if r["variant"] == "int+rej"] or res
    hi = max(cand, key=lambda r: r["index"])
    lo = min(cand, key=lambda r: r["index"])
    none = [r for r in res if r["variant"] == "none" and r["seed"] == hi["seed"]
            and (r["T_K"], r["stress_MPa"]) == (hi["T_K"], hi["stress_MPa"])]
    show = [hi, lo] + none[:1]
    fig, axs = plt.subplots(len(show), 3, figsize=(11, 3.3 * len(show)))
    axs = np.atleast_2d(axs)
    for row, r in zip(axs, show):
        L = r["L"]
        p = np.zeros((L, L, L))
        p[pos[:, 0], pos[:, 1], pos[:, 2]] = np.asarray(r["eps_p"])
        m = np.abs(p[:, :, 0]).max() or 1.0
        im = row[0].imshow(p[:, :, 0].T, origin="lower", cmap="RdBu_r", vmin=-m, vmax=m)
        fig.colorbar(im, ax=row[0], label="plastic strain")
        row[0].set_title(f"{r['T_K']:.0f} K, {r['stress_MPa']:.0f} MPa, {r['variant']}: "
                         f"z = 0 slice", fontsize=9)
        row[0].set_xlabel("x")
        row[0].set_ylabel("y")
        for ax, axis, name in ((row[1], 0, "x"), (row[2], 1, "y")):
            tot = p.sum(axis=tuple(i for i in range(3) if i != axis))
            ax.bar(np.arange(L), tot, color="C0")
            ax.set_xlabel(f"plane normal to {name}")
            ax.set_ylabel("plane total of the plastic strain")
            ax.set_title(f"index {r['index']:.3f} (null {r['null']:.3f})", fontsize=9)
    fig.tight_layout()
    fig.savefig(fig_dir / "elastic_softening_maps.png", dpi=90)
    plt.close(fig)

    # the index against T and stress, per variant
    marks = {"int+rej": ("o", "C3"), "int": ("s", "C0"), "rej": ("^", "C2"), "none": ("x", "k")}
    Ts = sorted({w["T_K"] for w in rows})
    Ss = sorted({w["stress_MPa"] for w in rows})
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
    for v, (mk, col) in marks.items():
        for s in Ss:
            ww = [w for w in rows if w["variant"] == v and w["stress_MPa"] == s]
            if ww:
                a1.errorbar([w["T_K"] for w in ww], [w["index"] for w in ww],
                            [w["se"] for w in ww], marker=mk, color=col, ls="-", capsize=2,
                            label=f"{v}, {s:.0f} MPa", alpha=0.5 + 0.5 * s / max(Ss))
        for T in Ts:
            ww = [w for w in rows if w["variant"] == v and w["T_K"] == T]
            if ww:
                a2.errorbar([w["stress_MPa"] for w in ww], [w["index"] for w in ww],
                            [w["se"] for w in ww], marker=mk, color=col, ls="-", capsize=2,
                            label=f"{v}, {T:.0f} K", alpha=0.5 + 0.5 * T / max(Ts))
    for ax in (a1, a2):
        ax.axhline(THRESHOLD, color="r", lw=1)
        ax.axhline(0.1, color="0.6", lw=0.8, ls=":")
        ax.set_ylabel("localisation index")
        ax.set_ylim(0, 1)
        ax.legend(fontsize=6, ncol=2)
    a1.set_xlabel("T (K)")
    a2.set_xlabel("stress (MPa)")
    fig.tight_layout()
    fig.savefig(fig_dir / "elastic_softening_index.png", dpi=90)
    plt.close(fig)

    # deformation map: the runs with interactions and rejuvenation on the literature's map
    from mgmeso.analysis.deformation_map import shear_modulus_MPa
    mu = shear_modulus_MPa(mat)
    fig, ax = plt.subplots(figsize=(6, 4.5))
    Tl = np.linspace(280, 480, 200)
    sy = yield_stress_MPa(Tl, mat.Tg_K, mu)
    lo_T = min(T_TRANSITION_FRACTION) * mat.Tg_K
    hi_T = max(T_TRANSITION_FRACTION) * mat.Tg_K
    ax.fill_between(Tl[Tl <= hi_T], yield_stress_MPa(Tl[Tl <= hi_T], mat.Tg_K, mu), 1500,
                    color="0.85", label="shear bands (literature)")
    ax.plot(Tl, sy, "k-", lw=1, label="yield stress [Johnson2005]")
    for f in (lo_T, hi_T):
        ax.axvline(f, color="k", ls="--", lw=0.8)
    ww = [w for w in rows if w["variant"] == "int+rej"]
    sc = ax.scatter([w["T_K"] for w in ww], [w["stress_MPa"] for w in ww],
                    c=[w["index"] for w in ww], vmin=0.1, vmax=1.0, cmap="viridis", s=80,
                    edgecolor="k", zorder=3, label="kMC, interactions + rejuvenation")
    for w in ww:
        ax.annotate(f"{w['index']:.2f}", (w["T_K"], w["stress_MPa"]), fontsize=7,
                    xytext=(5, 5), textcoords="offset points")
    fig.colorbar(sc, ax=ax, label="localisation index")
    ax.set_xlabel("T (K)")
    ax.set_ylabel("stress (MPa)")
    ax.set_xlim(280, 480)
    ax.set_ylim(0, 1200)
    ax.legend(fontsize=7, loc="upper right")
    ax.set_title("La60Ni15Al25: kMC with softening against the literature's map", fontsize=9)
    fig.tight_layout()
    fig.savefig(fig_dir / "elastic_softening_deformation_map.png", dpi=90)
    plt.close(fig)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=("size", "run", "plot"))
    ap.add_argument("--out", default="out/elastic_softening")
    ap.add_argument("--figures", default=str(ROOT / "docs" / "figures"))
    ap.add_argument("--T", type=float, nargs="+", default=[380.0, 400.0])
    ap.add_argument("--stress", type=float, nargs="+", default=[400.0, 800.0])
    ap.add_argument("--variants", nargs="+", default=list(VARIANTS))
    ap.add_argument("--replicas", type=int, default=3)
    ap.add_argument("--creep", type=float, default=100.0, help="creep time (s)")
    ap.add_argument("--yield-per-MPa", type=float, default=0.17, dest="yield_per_MPa")
    ap.add_argument("--L", type=int, default=16)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--max-cpu", type=float, default=120.0, dest="max_cpu",
                    help="CPU seconds per run; a run cut there is measured at the time reached")
    a = ap.parse_args(argv)
    if a.what == "size":
        r = run_one((a.T[0], a.stress[0], a.creep, a.variants[0], a.yield_per_MPa, a.L, 1000,
                     a.max_cpu))
        print(_summary(r))
    elif a.what == "run":
        cmd_run(a)
    else:
        cmd_plot(a)


if __name__ == "__main__":
    main()
