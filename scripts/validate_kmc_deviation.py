"""Deviation of the kMC rules from the mean-field QPD model, against temperature.

For creep (25 MPa, 330 s) and recovery (1000 s) of La60Ni15Al25 at a ladder of
temperatures, runs four kMC configurations and compares their ensemble means
at the end of creep with the analytical model (docs/model.md section 4):

1. mean-field (parallel rule, one-site footprints, no coalescence): control,
   must equal Eq. 25a;
2. series rule, one-site footprints, no coalescence: the mean-field
   approximation itself; compared with Eq. 25a and with the exact series-rule
   mean (hereditary integration);
3. mesoscale, footprints up to 13 sites, coalescence, growth at every SMD event
   (docs/model.md);
4. the same with footprints growing at most at the alpha rate ("alpha").

Writes ``validation/kmc_deviation/deviation.csv`` and ``deviation.png``:

    python scripts/validate_kmc_deviation.py [--L 12] [--replicas 16] [--temperatures 400,415,430,445]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import tomllib

from mgmeso.compare import theory_for_case
from mgmeso.config import parse_config
from mgmeso.io.table import Table
from mgmeso.kmc.ensemble import run_ensemble
from mgmeso.kmc.replica import TS_INDEX
from mgmeso.kmc.setup import make_setup
from mgmeso.kmc.store import ensemble_stats
from mgmeso.plotting import plt, save_figure

CONFIGS = {
    "mean-field": 'plasticity = "parallel"\ncoalescence = false\nfootprint_max_sites = 1',
    "series, no coalescence": 'plasticity = "series"\ncoalescence = false\nfootprint_max_sites = 1',
    "mesoscale (growth every event)": 'plasticity = "series"\ncoalescence = true\n'
                                      'footprint_max_sites = 13\nfootprint_growth = "every_event"',
    "mesoscale (alpha growth)": 'plasticity = "series"\ncoalescence = true\n'
                                'footprint_max_sites = 13\nfootprint_growth = "alpha"',
}


def config(T: float, sim: str, L: int, reps: int, seed: int):
    return parse_config(tomllib.loads(f'''
material = "la60ni15al25"
[protocol]
kind = "creep"
temperature_K = {T}
stress_MPa = 25.0
creep_time_s = 330.0
recovery_time_s = 1000.0
t_first_s = 1.0
points_per_decade = 4
[simulation]
lattice = "sc"
L = {L}
replicas = {reps}
seed = {seed}
{sim}
'''))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--L", type=int, default=12)
    ap.add_argument("--replicas", type=int, default=16)
    ap.add_argument("--temperatures", default="400,415,430,445")
    ap.add_argument("--out", default="validation/kmc_deviation")
    args = ap.parse_args()
    temps = [float(x) for x in args.temperatures.split(",")]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = {k: [] for k in ("temperature_K", "configuration", "anelastic_end_creep",
                            "anelastic_se", "plastic_end_creep", "plastic_se",
                            "anelastic_meanfield_theory", "plastic_meanfield_theory",
                            "anelastic_series_theory", "plastic_series_theory",
                            "coalescences_per_site", "wall_s")}
    for T in temps:
        for name, sim in CONFIGS.items():
            cfg = config(T, sim, args.L, args.replicas, seed=int(T))
            t0 = time.perf_counter()
            res = run_ensemble(cfg, None, progress=False)
            wall = time.perf_counter() - t0
            tabs = np.array([[r.table() for r in row] for row in res.replicas])
            st = {n: ensemble_stats(tabs[..., i]) for n, i in TS_INDEX.items()}
            t = st["time_s"][0][0]
            k = int(np.argmin(np.abs(t - 330.0)))
            mf = theory_for_case(make_setup(config(T, CONFIGS["mean-field"], args.L, 1, 0)), 0, t)[0]
            sr = theory_for_case(make_setup(config(T, CONFIGS["series, no coalescence"], args.L, 1,
                                                   0)), 0, t)[0]
            rows["temperature_K"].append(T)
            rows["configuration"].append(name)
            rows["anelastic_end_creep"].append(st["strain_anelastic_expected"][0][0][k])
            rows["anelastic_se"].append(st["strain_anelastic_expected"][1][0][k])
            rows["plastic_end_creep"].append(st["strain_plastic"][0][0][k])
            rows["plastic_se"].append(st["strain_plastic"][1][0][k])
            rows["anelastic_meanfield_theory"].append(mf["strain_anelastic"][k])
            rows["plastic_meanfield_theory"].append(mf["strain_plastic"][k])
            rows["anelastic_series_theory"].append(sr["strain_anelastic"][k])
            rows["plastic_series_theory"].append(sr["strain_plastic"][k])
            rows["coalescences_per_site"].append(st["events_coalescence"][0][0][-1] /
                                                 res.setup.lattice.n_sites)
            rows["wall_s"].append(wall)
            print(f"{T:5.0f} K  {name:<32s} anelastic {rows['anelastic_end_creep'][-1]:.3g} "
                  f"(mean field {mf['strain_anelastic'][k]:.3g})  plastic "
                  f"{rows['plastic_end_creep'][-1]:.3g} (mean field {mf['strain_plastic'][k]:.3g})"
                  f"  [{wall:.0f} s]", flush=True)
    cols = {k: np.array(v) for k, v in rows.items()}
    Table(cols).to_csv(out / "deviation.csv")
    plot(cols, out / "deviation.png", args)


def plot(c, path, args) -> None:
    fig, ax = plt.subplots(1, 2, figsize=(12, 4.6), layout="constrained")
    for name, mk in zip(CONFIGS, "osD^"):
        sel = c["configuration"] == name
        for a, key in ((ax[0], "anelastic"), (ax[1], "plastic")):
            ratio = c[f"{key}_end_creep"][sel] / c[f"{key}_meanfield_theory"][sel]
            err = c[f"{key}_se"][sel] / c[f"{key}_meanfield_theory"][sel]
            a.errorbar(c["temperature_K"][sel], ratio, yerr=err, marker=mk, capsize=3, label=name)
    for a, key in ((ax[0], "anelastic"), (ax[1], "plastic")):
        sel = c["configuration"] == "series, no coalescence"
        a.plot(c["temperature_K"][sel], c[f"{key}_series_theory"][sel] / c[f"{key}_meanfield_theory"][sel],
               "k--", lw=1, label="series rule, exact mean")
        a.axhline(1.0, color="0.5", lw=0.8)
        a.set_xlabel("temperature (K)")
        a.set_ylabel(f"{key} strain at 330 s / mean-field Eq. 25a")
        a.set_yscale("log")
        a.grid(alpha=0.3, which="both")
    ax[0].legend(fontsize=8)
    fig.suptitle(f"La60Ni15Al25, creep 25 MPa: kMC rules against the mean-field model "
                 f"(sc L = {args.L}, {args.replicas} replicas, +/- 1 SE)", fontsize=10)
    save_figure(fig, path)


if __name__ == "__main__":
    main()
