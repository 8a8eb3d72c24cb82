"""Aging and rejuvenation in the kMC: [Duan2022] second run, [Hao2023] pre-anneal, [Zhang2023] training.

    python scripts/study_aging.py [stepped] [preanneal] [preanneal_baseline] [training]
                                  [training_creep] [yield_scan] [alpha_tail]
                                  [--out DIR] [--workers N] [--resume]

The kMC studies are sweeps now (configs/sweeps/aging_*.toml, docs/sweeps.md); this script is a
thin wrapper that runs each through ``mgmeso sweep`` into ``DIR/<study>.zarr`` and collects it
into ``DIR/<study>/`` (tables and figures). The same on any Dask cluster::

    mgmeso sweep configs/sweeps/aging_stepped.toml --scheduler tcp://host:8786 --out stepped.zarr
    mgmeso sweep --collect stepped.zarr --out stepped/

``preanneal`` includes the former ``preanneal_baseline`` (the anneal axis has an "aging off"
point). ``alpha_tail`` (static glasses, no kMC runs) is computed here: the mean annihilation
rate <1/tau_max_j> at 315 K in 'local' mode against lattice size, for each site's own beta time
and for the neighbourhood's. Replica counts and chi_radius are set in the SWEEP.toml files (copy
one to change them). Default ``--out``: out/study_aging (never the repository).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from mgmeso.cli import main as mgmeso
from mgmeso.io.table import Table

ROOT = Path(__file__).resolve().parents[1]
SWEEPS = {"stepped": "aging_stepped", "preanneal": "aging_preanneal", "training": "aging_training",
          "training_creep": "aging_training_creep", "yield_scan": "aging_yield_scan",
          "preanneal_baseline": "aging_preanneal"}     # the baseline is a point of preanneal
STUDIES = [*SWEEPS, "alpha_tail"]


def run_study(name: str, out: Path, workers: int | None, resume: bool) -> None:
    toml = ROOT / "configs" / "sweeps" / f"{SWEEPS[name]}.toml"
    store = out / f"{name}.zarr"
    args = ["sweep", str(toml), "--out", str(store)]
    if workers:
        args += ["--workers", str(workers)]
    if resume or store.exists():
        args.append("--resume")
    code = mgmeso(args)
    if code != 0:
        raise SystemExit(code)
    code = mgmeso(["sweep", "--collect", str(store), "--out", str(out / name), "--overwrite"])
    if code != 0:
        raise SystemExit(code)


def alpha_tail(replicas: int | None, out: Path) -> None:
    """Mean annihilation (plastic) rate <1/tau_max_j> of the QPD sites at 315 K in 'local' mode,
    against lattice size, for the site rule and the neighbourhood rule (chi_radius 3).

    With the site rule ln tau_max_j = ln t0 + (ln tau_beta_j - ln t0)/chi_j and the Gumbel law
    tau_beta_j = <tau_beta> E^(1/B), E ~ Exp(1): <1/tau_max> ~ <E^(-1/(B chi))>, which diverges
    for B chi < 1, so the lattice mean is set by its fastest few beta sites.
    """
    from mgmeso.config import load_material
    from mgmeso.kmc.lattice import make_lattice
    from mgmeso.percolation.liquid import static_glass
    mat = load_material("la60ni15al25")[0]
    draws = replicas or 8
    rows = {"rule": [], "L": [], "median_rate_per_s": [], "min_rate_per_s": [], "max_rate_per_s": []}
    for rule in ("site", "neighbourhood"):
        for L in (8, 16, 32):
            lat = make_lattice("sc", L)
            rates = []
            for seed in range(draws):
                g = static_glass(mat, lat, seed, heterogeneity="local", chi_radius=3,
                                 hierarchy_beta_time=rule)
                lt = g.log_tau_max(315.0)
                rates.append(np.mean(np.exp(-lt[np.isfinite(lt)])))
            r = np.array(rates)
            for k, v in (("rule", rule), ("L", L), ("median_rate_per_s", np.median(r)),
                         ("min_rate_per_s", r.min()), ("max_rate_per_s", r.max())):
                rows[k].append(v)
            print(f"alpha tail, {rule:>13} rule, sc L = {L:2d}: <1/tau_max_j> at 315 K median "
                  f"{np.median(r):.2e} 1/s, range {r.min():.1e}-{r.max():.1e} over {draws} glasses")
    Table({k: np.array(v) for k, v in rows.items()}).to_csv(out / "alpha_tail_315K.csv")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("studies", nargs="*", default=STUDIES, choices=STUDIES)
    ap.add_argument("--out", type=Path, default=Path("out") / "study_aging")
    ap.add_argument("--workers", type=int, help="local worker processes (default: one per core)")
    ap.add_argument("--resume", action="store_true", help="continue interrupted sweeps")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for s in dict.fromkeys(SWEEPS.get(x, x) for x in args.studies):
        s = next((k for k, v in SWEEPS.items() if v == s), s)
        if s == "alpha_tail":
            alpha_tail(None, args.out)
        else:
            run_study(s, args.out, args.workers, args.resume)


if __name__ == "__main__":
    main()
