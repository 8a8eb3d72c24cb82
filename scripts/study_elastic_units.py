"""Physical two-state units of a material: sigma_sat, unit strain and gamma0 against T.

Prints the markdown table of docs/kmc_elastic.md section 1 and draws the bias laws and
sigma_sat(T) (docs/figures/elastic_bias_law.png).

    python scripts/study_elastic_units.py
    python scripts/study_elastic_units.py --material la60ni15al25 --site-volume 2.8 \
        --figure docs/figures/elastic_bias_law.png
    python scripts/study_elastic_units.py --engine     # the same numbers from kMC replicas
"""

from __future__ import annotations

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from mgmeso.config import load_material
from mgmeso.kmc.bias import LINEAR, PHYSICAL, bias_mean, two_state_scales


def table(mat, temps, V):
    r = two_state_scales(mat, np.asarray(temps, dtype=float), V)
    lines = [("| T (K) | C_d | sigma_sat beta (MPa) | d_beta | gamma0 beta | "
              "sigma_sat SMD (MPa) | d_an | gamma0 SMD |"),
             "|---|---|---|---|---|---|---|---|"]
    for i, T in enumerate(r["T_K"]):
        lines.append(
            f"| {T:.0f} | {r['Cd'][i]:.3f} | {r['sigma_sat_beta_MPa'][i]:.0f} | "
            f"{r['d_beta'][i]:.4f} | {r['gamma0_beta'][i]:.4f} | {r['sigma_sat_an_MPa'][i]:.0f} | "
            f"{r['d_an'][i]:.4f} | {r['gamma0_an'][i]:.4f} |")
    return "\n".join(lines)


def engine_table(material, temps, V, L):
    """sigma_sat and d as a kMC replica uses them (a creep replica built at each T, physical law)."""
    import tomllib

    from mgmeso.config import parse_config
    from mgmeso.kmc.bias import sigma_sat_MPa
    from mgmeso.kmc.replica import Replica
    from mgmeso.kmc.setup import make_setup

    lines = ["| T (K) | n_QPD/N | engine sigma_sat beta (MPa) | engine sigma_sat SMD (MPa) | "
             "engine d_beta | engine d_an | table at C_d(T): beta, SMD (MPa) | "
             "engine/formula at n_QPD/N - 1 |",
             "|---|---|---|---|---|---|---|---|"]
    for T in temps:
        doc = tomllib.loads(f'''
[material]
base = "{material}"
site_volume_nm3 = {V}
[protocol]
kind = "creep"
temperature_K = {T}
stress_MPa = 25.0
creep_time_s = 1.0
[simulation]
L = {L}
replicas = 1
bias_law = "physical"
''')
        setup = make_setup(parse_config(doc))
        rep = Replica(setup, 0, np.random.SeedSequence(1))
        c = rep.calib
        mat = setup.material
        frac = rep.n_qpd / rep.N
        r = two_state_scales(mat, np.array([T]), V)
        dev = max(abs(c.sig_sat_beta / float(sigma_sat_MPa(mat.A_beta_per_MPa, frac, T, V)) - 1),
                  abs(c.sig_sat_an / float(sigma_sat_MPa(mat.A_an_per_MPa, frac, T, V)) - 1))
        lines.append(f"| {T:.0f} | {frac:.4f} | {c.sig_sat_beta:.1f} | {c.sig_sat_an:.1f} | "
                     f"{c.d_beta:.5f} | {c.d_an:.5f} | {r['sigma_sat_beta_MPa'][0]:.1f}, "
                     f"{r['sigma_sat_an_MPa'][0]:.1f} | {dev:.1e} |")
    return "\n".join(lines)


def plot(mat, V, path):
    fig, ax = plt.subplots(1, 2, figsize=(9.5, 4.6))
    x = np.linspace(-3, 3, 601)
    ax[0].plot(x, [bias_mean(v, 1.0, PHYSICAL) for v in x], label="physical: tanh(sigma/sigma_sat)")
    ax[0].plot(x, [bias_mean(v, 1.0, LINEAR) for v in x], "--",
               label="linear: clip(sigma/sigma_sat, -1, 1)")
    ax[0].plot(x, x, ":", color="grey", lw=0.8, label="slope 1")
    ax[0].set_ylim(-1.15, 1.15)
    ax[0].set_xlabel("sigma / sigma_sat")
    ax[0].set_ylabel("mean unit state <s>")
    ax[0].legend(fontsize=8, loc="upper left")
    ax[0].set_title("two-state bias laws")
    T = np.linspace(280, 520, 121)
    for Vi, ls in ((V / 3, ":"), (V, "-"), (3 * V, "--")):
        r = two_state_scales(mat, T, Vi)
        ax[1].plot(T, r["sigma_sat_beta_MPa"], ls, color="C0",
                   label=f"beta, V = {Vi:.2g} nm$^3$")
        ax[1].plot(T, r["sigma_sat_an_MPa"], ls, color="C3", label=f"SMD, V = {Vi:.2g} nm$^3$")
    ax[1].axvline(mat.Tg_K, color="grey", lw=0.8)
    ax[1].text(mat.Tg_K + 3, 1200, "Tg", color="grey")
    ax[1].set_xlabel("T (K)")
    ax[1].set_ylabel("sigma_sat (MPa)")
    ax[1].set_yscale("log")
    ax[1].set_ylim(70, 1500)
    ax[1].legend(fontsize=7, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.16))
    ax[1].set_title(f"{mat.name}: sigma_sat = (C_d k T / (A V))$^{{1/2}}$", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    return fig


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--material", default="la60ni15al25")
    ap.add_argument("--site-volume", type=float, default=None,
                    help="site volume (nm^3; default: the material's site_volume_nm3)")
    ap.add_argument("--temperatures", type=float, nargs="+",
                    default=[300, 350, 400, 430, 453, 480, 500])
    ap.add_argument("--figure", default=None)
    ap.add_argument("--engine", action="store_true",
                    help="also print the values a kMC replica uses (sc lattice of side --L)")
    ap.add_argument("--L", type=int, default=40, help="lattice side for --engine")
    args = ap.parse_args(argv)
    mat = load_material(args.material)[0]
    if args.site_volume is None:
        args.site_volume = mat.site_volume_nm3
    print(f"{mat.name}, V = {args.site_volume:g} nm^3, A_beta = {mat.A_beta_per_MPa:.4g} 1/MPa, "
          f"A_an = {mat.A_an_per_MPa:.4g} 1/MPa")
    print(table(mat, args.temperatures, args.site_volume))
    if args.engine:
        print()
        print(engine_table(args.material, args.temperatures, args.site_volume, args.L))
    if args.figure:
        plot(mat, args.site_volume, args.figure)
        print(f"wrote {args.figure}")


if __name__ == "__main__":
    main()
