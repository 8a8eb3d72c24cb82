"""Studies with elastic interactions (docs/kmc_elastic.md section 7): figures and numbers.

    mgmeso sweep configs/sweeps/elastic_deviation.toml --workers 1 --out elastic_deviation.zarr
    mgmeso sweep configs/sweeps/elastic_deviation.toml --theory --out elastic_deviation.zarr
    mgmeso sweep configs/sweeps/elastic_dma.toml --workers 1 --out elastic_dma.zarr
    mgmeso sweep configs/sweeps/elastic_dma.toml --theory --out elastic_dma.zarr
    mgmeso sweep configs/sweeps/elastic_localisation.toml --workers 1 --out elastic_localisation.zarr
    python scripts/study_elastic_studies.py --deviation elastic_deviation.zarr --dma elastic_dma.zarr \
        --localisation elastic_localisation.zarr --out docs/figures

(``--run`` runs the five sweep commands first, into ``--stores DIR``.) Writes
``elastic_deviation.png`` (ratios on/off, on/theory, off/theory of the anelastic and plastic
strain at the end of creep and after recovery, against T and stress), ``elastic_dma.png``
(E', E'', tan delta at 1 Hz), ``elastic_localisation_index.png`` (index against T and stress,
both rule sets, on and off), ``elastic_correlation.png`` (C(r) and its cos 4 theta amplitude),
``elastic_avalanches.png`` (sizes with the power-law MLE), ``elastic_maps.png`` (the most and
the least localised run with interactions) and ``elastic_deformation_map.png`` (the map with
interactions beside the percolation map and the literature's regime); prints every number.
Each part is optional.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import mgmeso  # noqa: E402
from mgmeso.analysis import correlation, fit_power_law  # noqa: E402
from mgmeso.analysis.deformation_map import (  # noqa: E402
    simulated_deformation_map,
    yield_stress_MPa,
)
from mgmeso.kmc.reader import read_run  # noqa: E402
from mgmeso.sweep.analyses.elastic import (  # noqa: E402
    STAGES,
    deviation_table,
    dma_curves,
    plot_deviation,
    plot_dma,
)
from mgmeso.sweep.collect import SweepData  # noqa: E402

HERE = Path(__file__).resolve().parent
SWEEPS = HERE.parent / "configs" / "sweeps"


def _study_localisation():
    """The plotting helpers of scripts/study_localisation.py (maps, avalanches)."""
    spec = importlib.util.spec_from_file_location("study_localisation",
                                                  HERE / "study_localisation.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def runs_by_label(store) -> dict[str, list]:
    """Finished kMC run stores of a sweep with an ``interactions`` axis, by label."""
    sd = SweepData(store)
    out: dict[str, list] = {}
    for r, st in zip(sd.runs, sd.status("kmc"), strict=True):
        if st == "done":
            lab = str(r["coords"].get("interactions", "off"))
            out.setdefault(lab, []).append(read_run(sd.store.group_path("kmc", r["id"])))
    return out


def label(d) -> str:
    p = d.config.protocol
    on = "on" if d.config.simulation.elastic_interactions else "off"
    return f"{p.temperature_K:g} K, {p.stress_MPa:g} MPa, {on}"


# ------------------------------------------------------------------------------------------
# deviation


def deviation(store, out: Path) -> dict:
    ds = mgmeso.open_sweep(store)
    tab = deviation_table(ds, SweepData(store))
    axes = plot_deviation(tab)
    axes[0, 0].figure.suptitle("creep 330 s + recovery 1000 s, sc L = 16, mean-field rules, "
                               "physical bias law (+/- 1 SE over replica runs)", fontsize=10)
    axes[0, 0].figure.savefig(out / "elastic_deviation.png", dpi=100)
    plt.close(axes[0, 0].figure)
    print("T_K stress_MPa quantity stage n on/off +/- SE  on/theory +/- SE  off/theory +/- SE  "
          "z(on/off - 1)  tanh(x)/x  z(off/theory - tanh(x)/x)  on-off +/- SE")
    for i in range(len(tab["on"])):
        with np.errstate(divide="ignore", invalid="ignore"):
            z = (tab["on_off"][i] - 1) / tab["on_off_se"][i]
            z2 = (tab["off_theory"][i] - tab["tanh_factor"][i]) / tab["off_theory_se"][i]
        print(f"{tab['temperature_K'][i]:4.0f} {tab['stress_MPa'][i]:4.0f} "
              f"{tab['quantity'][i]:<9s} {STAGES[int(tab['segment'][i])]:<15s} {tab['n'][i]} "
              f"{tab['on_off'][i]:7.3f} +/- {tab['on_off_se'][i]:.3f}  "
              f"{tab['on_theory'][i]:7.3f} +/- {tab['on_theory_se'][i]:.3f}  "
              f"{tab['off_theory'][i]:7.3f} +/- {tab['off_theory_se'][i]:.3f}  {z:+6.2f}  "
              f"{tab['tanh_factor'][i]:.3f}  {z2:+6.2f}  {tab['on_minus_off'][i]:+.2e} +/- "
              f"{tab['on_minus_off_se'][i]:.1e}")
    if "localisation_index" in ds:
        li = ds.localisation_index.isel(case=0)
        print("mean-field rules: localisation index at the last snapshot (mean over replica runs)")
        for lab in ds.interactions.values:
            v = li.sel(interactions=lab)
            print(f"  {lab}: {float(v.min()):.3f}-{float(v.max()):.3f}")
    return {"tab": tab, "ds": ds}


# ------------------------------------------------------------------------------------------
# DMA


def dma(store, out: Path) -> dict:
    sd = SweepData(store)
    ds = mgmeso.open_sweep(store)
    curves = dma_curves(sd, ds)
    axes = plot_dma(curves)
    axes[0].figure.suptitle("1 Hz, 3 K/min, strain amplitude 1e-3, sc L = 16, mean-field rules, "
                            "physical bias law", fontsize=10)
    axes[0].figure.savefig(out / "elastic_dma.png", dpi=100)
    plt.close(axes[0].figure)
    if "on" in curves and "off" in curves:
        on, off = curves["on"], curves["off"]
        n = min(len(on["temperature_K"]), len(off["temperature_K"]))
        print("T_K  E'_on/E'_off  E''_on/E''_off +/- SE  tan_on/tan_off   E''_off/theory")
        th = curves.get("theory")
        for k in range(n):
            r = on["E_loss_MPa"][k] / off["E_loss_MPa"][k]
            se = abs(r) * np.hypot(on["E_loss_MPa_se"][k] / on["E_loss_MPa"][k],
                                   off["E_loss_MPa_se"][k] / off["E_loss_MPa"][k])
            T = on["temperature_K"][k]
            t_th = (np.interp(T, th["temperature_K"], th["E_loss_MPa"]) if th is not None
                    else np.nan)
            print(f"{T:6.1f} {on['E_storage_MPa'][k] / off['E_storage_MPa'][k]:8.4f} "
                  f"{r:8.3f} +/- {se:.3f} {on['tan_delta'][k] / off['tan_delta'][k]:8.3f} "
                  f"{off['E_loss_MPa'][k] / t_th:8.3f}")
    return curves


# ------------------------------------------------------------------------------------------
# localisation, correlations, avalanches, maps, deformation map


def plot_index(res_by: dict, dev_ds, path):
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.0), layout="constrained")
    for lab, res in res_by.items():
        tab = res.table()
        mk = "o" if lab == "on" else "^"
        for k, s in enumerate(np.unique(tab["stress_MPa"])):
            m = tab["stress_MPa"] == s
            axes[0].errorbar(tab["T_K"][m] + (1.5 if lab == "on" else -1.5), tab["index"][m],
                             tab["index_se"][m], fmt=mk + ("-" if lab == "on" else ":"),
                             color=f"C{k}", ms=4, capsize=2,
                             label=f"mesoscale, {s:g} MPa, {lab}")
        for k, T in enumerate(np.unique(tab["T_K"])):
            m = tab["T_K"] == T
            axes[1].errorbar(tab["stress_MPa"][m] * (1.02 if lab == "on" else 0.98),
                             tab["index"][m], tab["index_se"][m],
                             fmt=mk + ("-" if lab == "on" else ":"), color=f"C{k}", ms=4,
                             capsize=2, label=f"mesoscale, {T:g} K, {lab}")
    if dev_ds is not None and "localisation_index" in dev_ds:
        li = dev_ds.localisation_index.isel(case=0)
        if "replica" not in li.dims:
            li = li.expand_dims("replica")
        for lab in li.interactions.values:
            v = li.sel(interactions=lab)
            m = v.mean("replica")
            se = v.std("replica", ddof=1) / np.sqrt(v.count("replica"))
            for k, s in enumerate(v.stress_MPa.values):
                axes[0].errorbar(v.temperature_K.values, m.sel(stress_MPa=s), se.sel(stress_MPa=s),
                                 fmt="x--" if lab == "on" else "+--", color=f"C{k + 4}", ms=5,
                                 capsize=2, label=f"mean-field rules, {s:g} MPa, {lab}")
    for ax in axes:
        ax.axhline(0.1, color="k", lw=0.6, ls="--")
        ax.axhline(0.5, color="r", lw=0.8)
        ax.set_ylabel("localisation index (+/- 1 SE)")
        ax.set_ylim(0, 1.05)
        ax.legend(fontsize=5.5, ncol=2)
    axes[0].set_xlabel("temperature (K)")
    axes[1].set_xlabel("stress (MPa)")
    axes[1].set_xscale("log")
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_correlation(runs_by: dict, path) -> list:
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
    rows = []
    for runs in runs_by.values():
        for d in runs:
            lat = (str(d.attrs["lattice"]), int(d.attrs["L"]))
            ep = d.snapshots(["plastic_strain"])["plastic_strain"][0, :, -1].astype(float)
            ep = ep[np.any(ep != 0, axis=1)]
            if not len(ep):
                continue
            c = correlation(ep, lat)
            rows.append((label(d), c.q4, c))
    if not rows:
        plt.close(fig)
        return rows
    # draw the two runs per label with the most plastic strain (all would be unreadable)
    for lab in runs_by:
        mine = [r for r in rows if r[0].endswith(lab)]
        for lb, q4, c in mine[-2:]:
            st = "-" if lab == "on" else ":"
            a1.plot(c.r[1:], c.c_radial[1:], "o" + st, ms=3, label=f"{lb} (q4 = {q4:+.2f})")
            a2.plot(c.r_plane, c.a4, "o" + st, ms=3, label=lb)
    for a in (a1, a2):
        a.axhline(0, color="k", lw=0.6)
        a.set_xlabel("distance (cell edges)")
        a.legend(fontsize=6)
    a1.set_ylabel("C(r) of the plastic strain, radial average")
    a2.set_ylabel("cos(4 theta) amplitude a4 (x-y plane)")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return rows


def plot_avalanches(runs_by: dict, sl, path) -> list:
    fig, ax = plt.subplots(figsize=(6, 4.2), layout="constrained")
    rows = []
    j = 0
    for lab, runs in runs_by.items():
        for d in runs:
            s, n, nul, acts, dts = sl.avalanches(d)
            if n.size < 60:
                rows.append((label(d), n.size, None, n, nul))
                continue
            fit = fit_power_law(s)
            rows.append((label(d), n.size, fit, n, nul))
            edges = np.geomspace(max(s.min(), 1e-3) / 1.01, s.max() * 1.01, 16)
            h, _ = np.histogram(s, edges)
            cc = np.sqrt(edges[1:] * edges[:-1])
            dens = h / (s.size * np.diff(edges))
            ax.loglog(cc[h > 0], dens[h > 0], "o" if lab == "on" else "^", color=f"C{j % 10}",
                      ms=3, label=f"{label(d)}: alpha {fit.alpha:.2f} +/- {fit.se:.2f}")
            x = np.geomspace(fit.xmin, s.max(), 20)
            ax.loglog(x, (fit.alpha - 1) / fit.xmin * (x / fit.xmin) ** -fit.alpha
                      * fit.n_tail / s.size, "-", color=f"C{j % 10}", lw=0.8)
            j += 1
    ax.set_xlabel("avalanche size (plastic events: deposited strain / d_p)")
    ax.set_ylabel("probability density")
    if j:
        ax.legend(fontsize=5.5)
    else:
        ax.text(0.5, 0.5, "no run with 60 clusters", transform=ax.transAxes, ha="center")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return rows


def localisation(store, out: Path, dev_ds=None) -> dict:
    sl = _study_localisation()
    runs_by = runs_by_label(store)
    res_by = {}
    for lab, runs in runs_by.items():
        res = simulated_deformation_map(runs, percolation=(lab == "on"))
        res_by[lab] = res
        tab = res.table()
        print(f"interactions {lab}: T_K stress_MPa index +/- SE null ipr_N q4 plastic_rate "
              "kmc_loc perc_static_homog perc_spectral_homog lit_loc")
        for i in range(len(res.runs)):
            print(f"  {tab['T_K'][i]:5.0f} {tab['stress_MPa'][i]:6.0f} {tab['index'][i]:.3f} +/- "
                  f"{tab['index_se'][i]:.3f} {tab['null'][i]:.3f} {tab['ipr_N'][i]:6.1f} "
                  f"{tab['q4'][i]:+.2f} {tab['plastic_rate_per_s'][i]:.2e} "
                  f"{bool(tab['kmc_localised'][i])!s:5} {tab['percolation_homogeneous'][i]:.0f} "
                  f"{tab['percolation_spectral_homogeneous'][i]:.0f} "
                  f"{bool(tab['literature_localised'][i])!s}")
    plot_index(res_by, dev_ds, out / "elastic_localisation_index.png")
    rows = plot_correlation(runs_by, out / "elastic_correlation.png")
    for lb, q4, c in rows:
        a4 = ", ".join(f"{x:+.3f}" for x in c.a4[1:5])
        print(f"correlation {lb}: q4 = {q4:+.3f}; a4 at r = 1-4: {a4}; C(1) = {c.c_radial[1]:.3f}")
    arows = plot_avalanches(runs_by, sl, out / "elastic_avalanches.png")
    for lb, n, fit, ns, nul in arows:
        if fit is None:
            print(f"avalanches {lb}: {n} clusters: too few for a fit")
        else:
            print(f"avalanches {lb}: {n} clusters, mean {ns.mean():.2f} sites (random placement "
                  f"{nul.mean():.2f}), alpha = {fit.alpha:.3f} +/- {fit.se:.3f}, xmin = "
                  f"{fit.xmin:.3g} ({fit.n_tail} in the tail), KS = {fit.ks:.3f} (5 % "
                  f"critical {1.36 / np.sqrt(max(fit.n_tail, 1)):.3f})")
    on = runs_by.get("on", [])
    if on:
        res = res_by["on"]
        idx = np.array([r.index for r in res.runs])
        ok = np.isfinite(idx)
        if ok.sum() >= 1:
            hi = on[int(np.nanargmax(np.where(ok, idx, -1)))]
            lo = on[int(np.nanargmin(np.where(ok, idx, 9)))]
            sl.plot_maps([lo, hi], out / "elastic_maps.png")
            print(f"maps: least localised {label(lo)} (index {np.nanmin(idx):.3f}), most "
                  f"localised {label(hi)} (index {np.nanmax(idx):.3f})")
        sl.plot_map(res, out / "elastic_deformation_map.png",
                    title="kMC with interactions (mesoscale rules) and the literature",
                    runs_label="kMC runs with interactions", dpi=100)
        mat = on[0].config.material
        from mgmeso.analysis.deformation_map import T_TRANSITION_FRACTION, shear_modulus_MPa

        mu = shear_modulus_MPa(mat)
        for f in T_TRANSITION_FRACTION:
            T = f * mat.Tg_K
            print(f"literature: {f:g} Tg = {T:.0f} K, yield stress there "
                  f"{float(yield_stress_MPa(T, mat.Tg_K, mu)):.0f} MPa")
        if res.percolation is not None:
            pt = res.percolation.table.columns
            for k in range(0, len(pt["strain_rate_per_s"]), 4):
                print(f"percolation: rate {pt['strain_rate_per_s'][k]:.2e} /s: static "
                      f"{pt['T_static_K'][k]:.0f} K, spectral {pt['T_spectral_K'][k]:.0f} K")
    return {"runs": runs_by, "res": res_by}


def run_sweeps(stores: Path) -> dict:
    """Run the three sweeps (kMC and theory) with one worker; resumes what exists."""
    stores.mkdir(parents=True, exist_ok=True)
    out = {}
    for name, theory in (("elastic_deviation", True), ("elastic_dma", True),
                         ("elastic_localisation", False)):
        st = stores / f"{name}.zarr"
        base = [sys.executable, "-m", "mgmeso", "sweep", str(SWEEPS / f"{name}.toml"), "--out",
                str(st)]
        resume = ["--resume"] if st.exists() else []
        subprocess.run(base + ["--workers", "1"] + resume, check=True)
        if theory:
            subprocess.run(base + ["--theory"] + (["--resume"] if st.exists() else []), check=True)
        out[name] = st
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--deviation", help="store of configs/sweeps/elastic_deviation.toml")
    ap.add_argument("--dma", help="store of configs/sweeps/elastic_dma.toml")
    ap.add_argument("--localisation", help="store of configs/sweeps/elastic_localisation.toml")
    ap.add_argument("--run", action="store_true", help="run the sweeps first (into --stores)")
    ap.add_argument("--stores", default="out/elastic_studies", help="directory of the stores")
    ap.add_argument("--out", default="docs/figures", help="directory of the figures")
    a = ap.parse_args(argv)
    if a.run:
        st = run_sweeps(Path(a.stores))
        a.deviation, a.dma, a.localisation = (str(st[k]) for k in (
            "elastic_deviation", "elastic_dma", "elastic_localisation"))
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    dev = deviation(a.deviation, out) if a.deviation else None
    if a.dma:
        dma(a.dma, out)
    if a.localisation:
        localisation(a.localisation, out, dev["ds"] if dev else None)
    print(f"wrote the figures into {out}")


if __name__ == "__main__":
    main()
