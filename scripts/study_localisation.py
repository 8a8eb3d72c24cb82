"""Localisation study of a sweep over (T, stress): figures and numbers of docs/kmc_localisation.md.

    mgmeso sweep configs/sweeps/localisation.toml --out localisation.zarr
    python scripts/study_localisation.py --sweep localisation.zarr --out docs/figures

Writes ``localisation_maps.png`` (plastic-strain maps of two runs), ``localisation_correlation.png``
(radial autocorrelation and its cos(4 theta) amplitude), ``localisation_index.png`` (index
against T and stress, with the random-placement baseline), ``localisation_avalanches.png``
(avalanche sizes between snapshots with the power-law fit) and ``localisation_deformation_map.png``
(the simulated map beside the percolation map); prints the numbers.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from mgmeso.analysis import correlation, fit_power_law, plane_index, snapshot_avalanches  # noqa: E402
from mgmeso.analysis.deformation_map import plot_simulated_deformation_map, simulated_deformation_map  # noqa: E402
from mgmeso.kmc.lattice import make_lattice  # noqa: E402
from mgmeso.kmc.reader import read_run  # noqa: E402
from mgmeso.sweep.collect import SweepData  # noqa: E402


def runs_of(sweep: str):
    sd = SweepData(sweep)
    out = []
    for r, st in zip(sd.runs, sd.status("kmc"), strict=True):
        if st == "done":
            out.append(read_run(sd.store.group_path("kmc", r["id"])))
    return out


def label(d) -> str:
    p = d.config.protocol
    return f"{p.temperature_K:g} K, {p.stress_MPa:g} MPa"


def plot_maps(runs, path):
    fig, axes = plt.subplots(2, len(runs), figsize=(3.2 * len(runs), 6.0), squeeze=False)
    for j, d in enumerate(runs):
        lat = make_lattice(str(d.attrs["lattice"]), int(d.attrs["L"]))
        ep = d.snapshots(["plastic_strain"])["plastic_strain"][0, 0, -1].astype(float)
        L = lat.L
        grid = ep.reshape((L,) * lat.dim + ((lat.nb,) if lat.nb > 1 else ()))
        sl = grid[..., 0] if lat.dim == 3 else grid      # the z = 0 slice (x down, y across)
        im = axes[0, j].imshow(sl.T if sl.ndim == 2 else sl[..., 0].T, origin="lower", cmap="magma")
        fig.colorbar(im, ax=axes[0, j], shrink=0.8, label="plastic strain")
        axes[0, j].set_title(label(d) + ", z = 0 slice", fontsize=8)
        axes[0, j].set_xlabel("x")
        axes[0, j].set_ylabel("y")
        for a, c in ((0, "C0"), (1, "C3")):
            lab = plane_index(lat, a)
            P = np.bincount(lab, weights=ep)
            axes[1, j].plot(P / P.mean(), c + "o-", ms=3, label=f"planes normal to {'xy'[a]}")
        axes[1, j].axhline(1, color="k", lw=0.6)
        axes[1, j].set_xlabel("plane")
        axes[1, j].set_ylabel("plane plastic strain / mean")
        axes[1, j].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def plot_correlation(runs, path):
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 3.6))
    for d in runs:
        lat = (str(d.attrs["lattice"]), int(d.attrs["L"]))
        ep = d.snapshots(["plastic_strain"])["plastic_strain"][0, :, -1].astype(float)
        ep = ep[np.any(ep != 0, axis=1)]
        if not len(ep):
            continue
        c = correlation(ep, lat)
        a1.plot(c.r[1:], c.c_radial[1:], "o-", ms=3, label=f"{label(d)} (q4 = {c.q4:+.2f})")
        a2.plot(c.r_plane, c.a4, "o-", ms=3, label=label(d))
    for a in (a1, a2):
        a.axhline(0, color="k", lw=0.6)
        a.set_xlabel("distance (cell edges)")
        a.legend(fontsize=7)
    a1.set_ylabel("C(r), radial average")
    a2.set_ylabel("cos(4 theta) amplitude a4 in the x-y plane")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def plot_index(res, path):
    tab = res.table()
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for k, s in enumerate(np.unique(tab["stress_MPa"])):
        m = tab["stress_MPa"] == s
        ax.errorbar(tab["T_K"][m] + 2 * k, tab["index"][m], 3 * tab["index_se"][m], fmt="o-",
                    ms=4, capsize=2, label=f"{s:g} MPa (kMC, 3 SE)")
        ax.plot(tab["T_K"][m] + 2 * k, tab["null"][m], "x:", color=f"C{k}",
                label=f"{s:g} MPa, same values at random sites")
    ax.axhline(0.1, color="k", lw=0.6, ls="--", label="homogeneous (0.1)")
    ax.axhline(res.threshold, color="r", lw=0.8, label=f"localised threshold ({res.threshold:g})")
    ax.set_xlabel("temperature (K)")
    ax.set_ylabel("localisation index")
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


#: the window rule: an interval between snapshots is used only if at most this fraction of the
#: sites is active in it (far below the sc site threshold 0.31: independent events then rarely
#: touch by chance)
MAX_ACTIVE = 0.05


def avalanches(d, seed=0):
    """Pooled avalanche sizes (in plastic events and in sites) between consecutive snapshots
    whose active fraction obeys the window rule, and the same for the active sites of each
    interval placed at random (the null of independent events).
    """
    lat = make_lattice(str(d.attrs["lattice"]), int(d.attrs["L"]))
    snaps = d.snapshots(["plastic_strain"])
    ep = snaps["plastic_strain"][0].astype(float)   # (rep, snap, site)
    unit = float(np.nanmean(d.calibration("unit_strain_plastic")))
    rng = np.random.default_rng(seed)
    sizes, nsites, null, acts, dts = [], [], [], [], []
    for r in range(ep.shape[0]):
        for k in range(1, ep.shape[1]):
            a, b = ep[r, k - 1], ep[r, k]
            act = float(np.mean(b > a))
            if act == 0 or act > MAX_ACTIVE:
                continue
            s, n = snapshot_avalanches(a, b, lat, unit=unit)
            sizes.append(s)
            nsites.append(n)
            acts.append(act)
            dts.append(float(snaps["time_s"][0, r, k] - snaps["time_s"][0, r, k - 1]))
            perm = rng.permutation(lat.n_sites)
            null.append(snapshot_avalanches(a[perm], b[perm], lat, unit=unit)[1])
    def cat(x):
        return np.concatenate(x) if x else np.zeros(0)

    return cat(sizes), cat(nsites).astype(int), cat(null).astype(int), acts, dts


def plot_avalanches(runs, path):
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    rows = []
    for j, d in enumerate(runs):
        s, n, nul, acts, dts = avalanches(d)
        if n.size < 20:
            rows.append((label(d), n.size, acts, dts, None, n, nul))
            continue
        fit = fit_power_law(s)
        edges = np.geomspace(max(s.min(), 1e-3) / 1.01, s.max() * 1.01, 16)
        h, _ = np.histogram(s, edges)
        c = np.sqrt(edges[1:] * edges[:-1])
        dens = h / (s.size * np.diff(edges))
        ax.loglog(c[h > 0], dens[h > 0], "o", color=f"C{j}", ms=4,
                  label=f"{label(d)}: alpha = {fit.alpha:.2f} +/- {fit.se:.2f} "
                        f"(xmin {fit.xmin:.3g}, {fit.n_tail} in the tail)")
        x = np.geomspace(fit.xmin, s.max(), 20)
        ax.loglog(x, (fit.alpha - 1) / fit.xmin * (x / fit.xmin) ** -fit.alpha
                  * fit.n_tail / s.size, "-", color=f"C{j}", lw=0.8)
        rows.append((label(d), n.size, acts, dts, fit, n, nul))
    ax.set_xlabel("avalanche size (plastic events: deposited strain / d_p)")
    ax.set_ylabel("probability density")
    ax.legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return rows


def plot_map(res, path, title=None, runs_label="kMC runs", dpi=110):
    """Draw the simulated deformation map beside the percolation map with the runs on it."""
    from mgmeso.plotting.percolation_plots import plot_deformation_map

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 5.5))
    plot_simulated_deformation_map(res, ax=a1)
    if title is not None:
        a1.set_title(title, fontsize=9)
    if res.percolation is not None:
        plot_deformation_map(res.percolation, ax=a2)
        tab = res.table()
        good = np.isfinite(tab["plastic_rate_per_s"]) & (tab["plastic_rate_per_s"] > 0)
        a2.scatter(tab["T_K"][good], tab["plastic_rate_per_s"][good], c="k", marker="s", s=20,
                   zorder=5, label=f"{runs_label} (mean plastic rate)")
        a2.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sweep", required=True, help="sweep store of configs/sweeps/localisation.toml")
    ap.add_argument("--out", default="docs/figures", help="directory of the figures")
    a = ap.parse_args(argv)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    runs = runs_of(a.sweep)
    res = simulated_deformation_map(runs)
    tab = res.table()
    print("T_K stress_MPa index +/- SE null ipr_N q4 plastic_rate kmc_loc perc_static_homog "
          "perc_spectral_homog lit_loc")
    for i in range(len(res.runs)):
        print(f"{tab['T_K'][i]:5.0f} {tab['stress_MPa'][i]:6.0f} {tab['index'][i]:.3f} +/- "
              f"{tab['index_se'][i]:.3f} {tab['null'][i]:.3f} {tab['ipr_N'][i]:6.1f} "
              f"{tab['q4'][i]:+.2f} {tab['plastic_rate_per_s'][i]:.2e} "
              f"{bool(tab['kmc_localised'][i])!s:5} {tab['percolation_homogeneous'][i]:.0f} "
              f"{tab['percolation_spectral_homogeneous'][i]:.0f} "
              f"{bool(tab['literature_localised'][i])!s}")
    with_plastic = [d for d, r in zip(runs, res.runs, strict=True) if np.isfinite(r.index)]
    hi = max(with_plastic, key=lambda d: (d.config.protocol.temperature_K, d.config.protocol.stress_MPa))
    lo = min(with_plastic, key=lambda d: (d.config.protocol.temperature_K, d.config.protocol.stress_MPa))
    plot_maps([lo, hi], out / "localisation_maps.png")
    plot_correlation(with_plastic, out / "localisation_correlation.png")
    plot_index(res, out / "localisation_index.png")
    rows = plot_avalanches(with_plastic, out / "localisation_avalanches.png")
    for lab_, n, acts, dts, fit, ns, nul in rows:
        head = (f"avalanches {lab_}: {n} clusters from {len(acts)} intervals (window "
                f"{min(dts, default=np.nan):g}-{max(dts, default=np.nan):g} s, active fraction "
                f"{np.mean(acts) if acts else np.nan:.4f})")
        if fit is None:
            print(head + ": too few for a fit")
            continue
        print(head + f", mean size {ns.mean():.2f} sites (random placement {nul.mean():.2f}), "
              f"alpha = {fit.alpha:.3f} +/- {fit.se:.3f}, xmin = {fit.xmin:g} ({fit.n_tail} in "
              f"the tail), KS = {fit.ks:.3f}")
    plot_map(res, out / "localisation_deformation_map.png")
    print(f"wrote the figures into {out}")


if __name__ == "__main__":
    main()
