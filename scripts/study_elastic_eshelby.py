"""The lattice Eshelby propagator against Eshelby's solution, on every lattice.

Prints the markdown tables of docs/kmc_elastic.md section 4 (far field of one site and of a
13-site footprint, interior stress of circular/spherical inclusions against Eshelby 1957)
and draws docs/figures/elastic_point_field.png and docs/figures/elastic_inclusion.png.

    python scripts/study_elastic_eshelby.py --figures docs/figures     # ~1 min
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import SymLogNorm

from mgmeso.kmc.eshelby import (
    FINE,
    eshelby_interior,
    far_field,
    lattice_field,
    make_propagator,
)
from mgmeso.kmc.lattice import make_lattice

NU = 0.35
SIZES = {"square": 1024, "triangular": 1024, "sc": 96, "bcc": 48, "fcc": 40}
RADII = {"square": (2, 4, 8, 16, 32), "triangular": (2, 4, 8, 16, 32), "sc": (2, 3, 4, 6, 8),
         "bcc": (2, 3, 4, 6), "fcc": (2, 3, 4, 5)}


def _min_image(lat):
    """Minimal-image displacement (N, dim) of every site from site 0, in cell units."""
    d = lat.positions() - lat.positions()[0]
    frac = d @ np.linalg.inv(lat.vectors)
    frac -= lat.L * np.round(frac / lat.L)
    return frac @ lat.vectors


def shell_fit(lat, field, n_src, r_lo, r_hi):
    d = _min_image(lat)
    rr = np.linalg.norm(d, axis=1)
    sel = (rr >= r_lo) & (rr <= r_hi)
    F = n_src * far_field(lat, 1.0, NU, d[sel])
    amp = np.dot(field[sel], F) / np.dot(F, F)
    resid = np.sqrt(np.mean((field[sel] - amp * F) ** 2) / np.mean(F**2))
    return amp, resid, int(sel.sum())


def far_table(names):
    rows = [("| lattice | L | source | shell (cells) | sites | amplitude / analytical | "
             "pattern residual (RMS / RMS analytical) |"), "|---|---|---|---|---|---|---|"]
    for name in names:
        L = {"square": 256, "triangular": 256, "sc": 64, "bcc": 40, "fcc": 32}[name]
        lat = make_lattice(name, L)
        P = make_propagator(lat, 1.0, NU)
        rr = np.linalg.norm(_min_image(lat), axis=1)
        lo, hi = (8.0, 16.0) if lat.dim == 2 else (6.0, 10.0)
        e1 = np.zeros(lat.n_sites)
        e1[0] = 1.0
        for label, e, n_src in (("one site", e1, 1), ("13-site footprint", None, 13)):
            if e is None:
                e = np.zeros(lat.n_sites)
                e[np.argsort(rr, kind="stable")[:13]] = 1.0
            amp, res, n = shell_fit(lat, lattice_field(P, e), n_src, lo, hi)
            rows.append(f"| {name} | {L} | {label} | {lo:g}-{hi:g} | {n} | {amp:.3f} | {res:.3f} |")
    return "\n".join(rows)


def inclusion_errors(name):
    lat = make_lattice(name, SIZES[name])
    P = make_propagator(lat, 1.0, NU)
    pos = lat.positions()
    c = (lat.L / 2) * lat.vectors.sum(0)
    j0 = int(np.argmin(np.linalg.norm(pos - c, axis=1)))
    r = np.linalg.norm(pos - pos[j0], axis=1)
    ref = eshelby_interior(lat.dim, 1.0, NU)
    out = []
    for R in RADII[name]:
        inc = r <= R + 1e-9
        s = lattice_field(P, inc.astype(float))
        core = r <= R / 2 + 1e-9
        out.append({"R": R, "n": int(inc.sum()), "f": float(inc.mean()),
                    "mean": float(s[inc].mean() / ref - 1),
                    "core": float(s[core].mean() / ref - 1),
                    "spread": float(s[inc].std() / abs(ref))})
    return out


def inclusion_table(results):
    rows = [("| lattice | L | R (cells) | sites | volume fraction f | mean interior error | "
             "core (r < R/2) error | interior spread (std / Eshelby) |"),
            "|---|---|---|---|---|---|---|---|"]
    for name, res in results.items():
        for o in res:
            rows.append(f"| {name} | {SIZES[name]} | {o['R']} | {o['n']} | {o['f']:.1e} | "
                        f"{o['mean']:+.3f} | {o['core']:+.3f} | {o['spread']:.3f} |")
    return "\n".join(rows)


def fig_point(path):
    fig = plt.figure(figsize=(11, 7.5))
    gs = fig.add_gridspec(2, 3)
    # (a) square lattice map, (b) sc slice z = 0
    for k, (name, L) in enumerate((("square", 64), ("sc", 48))):
        ax = fig.add_subplot(gs[0, k])
        lat = make_lattice(name, L)
        P = make_propagator(lat, 1.0, NU)
        e = np.zeros(lat.n_sites)
        e[0] = 1.0
        s = lattice_field(P, e).reshape((L,) * lat.dim)
        s = s if lat.dim == 2 else s[:, :, 0]
        s = np.roll(s, (L // 2, L // 2), axis=(0, 1))
        s[L // 2, L // 2] = np.nan                                   # the self-term
        h = 12
        sub = s[L // 2 - h:L // 2 + h + 1, L // 2 - h:L // 2 + h + 1]
        im = ax.imshow(sub.T, origin="lower", cmap="RdBu_r", extent=(-h - .5, h + .5, -h - .5, h + .5),
                       norm=SymLogNorm(linthresh=1e-3, vmin=-0.3, vmax=0.3))
        ax.set_title(f"({'ab'[k]}) {name}{' z = 0' if lat.dim == 3 else ''}: K(r) / mu", fontsize=10)
        ax.set_xlabel("x (cells)")
        ax.set_ylabel("y (cells)")
        fig.colorbar(im, ax=ax, shrink=0.8)
    # (c) angular pattern on a ring, square lattice
    ax = fig.add_subplot(gs[0, 2])
    lat = make_lattice("square", 256)
    P = make_propagator(lat, 1.0, NU)
    e = np.zeros(lat.n_sites)
    e[0] = 1.0
    s = lattice_field(P, e)
    d = _min_image(lat)
    rr = np.linalg.norm(d, axis=1)
    sel = (rr > 9.5) & (rr < 10.5)
    th = np.arctan2(d[sel, 1], d[sel, 0])
    o = np.argsort(th)
    ax.plot(np.degrees(th[o]), (s[sel] * rr[sel] ** 2)[o], ".", label="lattice, 9.5 < r < 10.5")
    tt = np.linspace(-np.pi, np.pi, 361)
    ax.plot(np.degrees(tt), 2 * np.cos(4 * tt) / (np.pi * (1 - NU)), "-",
            label="2 mu cos(4 theta) / (pi (1 - nu))")
    ax.set_xlabel("theta (deg)")
    ax.set_ylabel("K r$^2$ / mu")
    ax.set_ylim(-1.1, 1.6)
    ax.set_title("(c) square: quadrupolar pattern", fontsize=10)
    ax.legend(fontsize=7, loc="upper center", ncol=1)
    # (d, e) radial decay: r^d K along directions against the analytical value
    for k, dimname in enumerate(("2D", "3D")):
        ax = fig.add_subplot(gs[1, k])
        names = ("square", "triangular") if dimname == "2D" else ("sc", "bcc", "fcc")
        n_col = 0
        for name in names:
            L = {"square": 512, "triangular": 512, "sc": 96, "bcc": 48, "fcc": 40}[name]
            lat = make_lattice(name, L)
            P = make_propagator(lat, 1.0, NU)
            v = lat.vectors
            dirs = ((1, 0), (1, -2)) if name == "triangular" else (
                ((1, 0), (1, 1)) if lat.dim == 2 else ((1, 0, 0), (1, 1, 0), (0, 0, 1)))
            for dv, mk in zip(dirs, "osd"):
                steps = np.arange(1, (L // 4 if lat.dim == 3 else 64) + 1)
                idx = np.array(dv)[None, :] * steps[:, None]
                r = idx @ v
                fine = np.zeros((len(steps), 3), dtype=int)
                fine[:, : lat.dim] = idx * (FINE[name] if lat.dim == 3 else 1)
                rn = np.linalg.norm(r, axis=1)
                # per unit eigenstrain volume (the site volume differs between lattices)
                vol = abs(np.linalg.det(v)) / lat.nb
                y = P.lookup(fine) * rn**lat.dim / vol
                ax.plot(rn, y, mk + "-", ms=3, lw=0.7, color=f"C{n_col}", label=f"{name} {dv}")
                ax.axhline(far_field(lat, 1.0, NU, r[-1:])[0] * rn[-1] ** lat.dim / vol,
                           color=f"C{n_col}", ls=":", lw=0.9)
                n_col += 1
        ax.set_xscale("log")
        ax.set_xlabel("r (cells)")
        ax.set_ylabel(f"K r$^{lat.dim}$ / (mu v)")
        ax.set_title(f"({'de'[k]}) {dimname}: r$^{lat.dim}$ K (dotted: analytical)", fontsize=10)
        ax.legend(fontsize=6, ncol=2, loc="center right")
    # (f) the continuum kernel cut at the Brillouin zone rings; the regularised one does not
    ax = fig.add_subplot(gs[1, 2])
    import scipy.fft as sfft

    from mgmeso.kmc.eshelby import kernel_q
    L = 96
    q = 2 * np.pi * np.fft.fftfreq(L)
    Q = np.meshgrid(q**2, q**2, q**2, indexing="ij")
    Kc = sfft.ifftn(kernel_q(Q[0], Q[1], Q[2], 1.0, NU, 3)).real
    lat = make_lattice("sc", L)
    P = make_propagator(lat, 1.0, NU)
    r = np.arange(1, 25)
    ff = far_field(lat, 1.0, NU, np.stack([r, 0 * r, 0 * r], axis=1).astype(float))
    ax.plot(r, Kc[r, 0, 0] / ff, "x-", label="continuum kernel cut at the zone")
    ax.plot(r, P.table[r, 0, 0] / ff, "o-", ms=3, label="lattice-periodic (used)")
    ax.axhline(1.0, color="k", lw=0.8)
    ax.set_ylim(-3, 5)
    ax.set_xlabel("r along x (cells)")
    ax.set_ylabel("K / analytical far field")
    ax.set_title("(f) sc: why the squares are regularised", fontsize=10)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=130)


def fig_inclusion(path, results):
    fig, ax = plt.subplots(1, 3, figsize=(12, 3.9))
    lat = make_lattice("square", 256)
    P = make_propagator(lat, 1.0, NU)
    pos = lat.positions()
    j0 = int(np.argmin(np.linalg.norm(pos - 128, axis=1)))
    r = np.linalg.norm(pos - pos[j0], axis=1)
    R = 16
    s = lattice_field(P, (r <= R).astype(float)).reshape(256, 256)
    h = 48
    c = int(pos[j0, 0])
    im = ax[0].imshow(s[c - h:c + h + 1, c - h:c + h + 1].T, origin="lower", cmap="RdBu_r",
                      extent=(-h - .5, h + .5, -h - .5, h + .5),
                      norm=SymLogNorm(linthresh=1e-2, vmin=-1.6, vmax=1.6))
    ax[0].add_patch(plt.Circle((0, 0), R, fill=False, color="k", lw=0.6))
    ax[0].set_title(f"(a) square, inclusion R = {R}: stress / (mu e*)", fontsize=10)
    fig.colorbar(im, ax=ax[0], shrink=0.8)
    # (b) profile along x and along the diagonal
    xs = np.arange(-h, h + 1)
    ax[1].plot(xs, s[c + xs, c], ".-", ms=3, label="lattice, along x")
    diag = s[c + xs, c + xs]
    ax[1].plot(xs * np.sqrt(2), diag, ".-", ms=3, label="lattice, along the diagonal")
    ref = eshelby_interior(2, 1.0, NU)
    ax[1].hlines(ref, -R, R, color="k", lw=1.2, label="Eshelby interior")
    rr = np.linspace(R + 0.5, h * np.sqrt(2), 200)
    area = float((r <= R).sum())
    ax[1].plot(rr, area * 2 / (np.pi * (1 - NU) * rr**2), "k:", lw=1, label="far field (x)")
    ax[1].plot(-rr, area * 2 / (np.pi * (1 - NU) * rr**2), "k:", lw=1)
    ax[1].plot(rr, -area * 2 / (np.pi * (1 - NU) * rr**2), "k--", lw=0.8, label="far field (diagonal)")
    ax[1].plot(-rr, -area * 2 / (np.pi * (1 - NU) * rr**2), "k--", lw=0.8)
    ax[1].set_xlabel("distance from the centre (cells)")
    ax[1].set_ylabel("stress / (mu e*)")
    ax[1].set_title("(b) profiles", fontsize=10)
    ax[1].legend(fontsize=6, loc="upper center", ncol=2)
    ax[1].set_ylim(-2.2, 1.6)
    # (c) convergence of the mean interior stress
    for name, res in results.items():
        Rs = [o["R"] for o in res]
        ax[2].plot(Rs, [abs(o["mean"]) for o in res], "o-", label=name)
    ax[2].set_xscale("log")
    ax[2].set_yscale("log")
    ax[2].set_xticks([2, 3, 4, 6, 8, 16, 32])
    ax[2].xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
    ax[2].xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax[2].axhline(0.05, color="grey", lw=0.8, ls="--")
    ax[2].text(2.05, 0.041, "test tolerance (R >= 3 in 3D, >= 8 in 2D)", fontsize=7, color="grey")
    ax[2].set_xlabel("inclusion radius R (cells)")
    ax[2].set_ylabel("|mean interior / Eshelby - 1|")
    ax[2].set_title("(c) interior stress against Eshelby 1957", fontsize=10)
    ax[2].legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=130)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--figures", default=None, help="directory for the two PNGs")
    args = ap.parse_args(argv)
    names = ("square", "triangular", "sc", "bcc", "fcc")
    print(f"nu = {NU}; Eshelby interior (sigma_eq per unit eigenstrain, in mu): "
          f"2D {eshelby_interior(2, 1.0, NU):.4f}, 3D {eshelby_interior(3, 1.0, NU):.4f}\n")
    print(far_table(names))
    print()
    results = {name: inclusion_errors(name) for name in names}
    print(inclusion_table(results))
    if args.figures:
        d = Path(args.figures)
        fig_point(d / "elastic_point_field.png")
        fig_inclusion(d / "elastic_inclusion.png", results)
        print(f"wrote {d / 'elastic_point_field.png'}, {d / 'elastic_inclusion.png'}")


if __name__ == "__main__":
    main()
